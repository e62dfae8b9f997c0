package httpapi

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Lazily added attributes come out as With's would, in the same order.
func TestWithLazyAttrs(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l := withLazyAttrs(withLazyAttrs(base, slog.String("request_id", "r1")), slog.String("user_id", "u1"))

	l.Debug("hidden")
	if buf.Len() != 0 {
		t.Fatalf("a disabled level wrote %q", buf.String())
	}
	l.Info("plain", "n", 1)
	l.With("extra", true).WithGroup("g").Info("grouped", "n", 2)
	want := []string{
		`"msg":"plain","request_id":"r1","user_id":"u1","n":1}`,
		`"msg":"grouped","request_id":"r1","user_id":"u1","extra":true,"g":{"n":2}}`,
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("wrote %d lines: %q", len(lines), buf.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %s, want it to end with %s", i, lines[i], w)
		}
	}
}
