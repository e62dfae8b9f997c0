package httpapi

import (
	"context"
	"log/slog"
	"slices"
)

// withLazyAttrs returns l with attrs added to every record it writes, like
// l.With, but formats them only when a record is written. slog's text and
// JSON handlers format the attributes given to With at once, which every
// request paid for (its ID, tenant and user) although most log nothing
// below the access log's level.
func withLazyAttrs(l *slog.Logger, attrs ...slog.Attr) *slog.Logger {
	if h, ok := l.Handler().(*lazyAttrs); ok {
		return slog.New(&lazyAttrs{inner: h.inner, attrs: append(slices.Clip(h.attrs), attrs...)})
	}
	return slog.New(&lazyAttrs{inner: l.Handler(), attrs: attrs})
}

type lazyAttrs struct {
	inner slog.Handler
	attrs []slog.Attr
}

func (h *lazyAttrs) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.WithAttrs(h.attrs).Handle(ctx, r)
}

func (h *lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.inner.WithAttrs(h.attrs).WithAttrs(attrs)
}

func (h *lazyAttrs) WithGroup(name string) slog.Handler {
	return h.inner.WithAttrs(h.attrs).WithGroup(name)
}
