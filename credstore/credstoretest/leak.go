package credstoretest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"junction"
)

// LogBuffer collects a store's log output so tests can prove no secret
// reached it. It is safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// NewLogger returns a debug-level logger writing text lines into a new
// LogBuffer.
func NewLogger() (*slog.Logger, *LogBuffer) {
	b := &LogBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// AssertNoLeak fails the test if text contains any of the secrets, in plain
// text or in base64 (standard or URL alphabet, padded or not) or hex. what
// says where text came from ("error", "logs"). The failure message never
// repeats the secret itself.
func AssertNoLeak(tb testing.TB, what, text string, secrets ...junction.Secret) {
	tb.Helper()
	for i, s := range secrets {
		if s.IsZero() {
			continue
		}
		for form, enc := range encodings(s.Reveal()) {
			if strings.Contains(text, enc) {
				tb.Errorf("%s contains planted secret #%d (%s form)", what, i, form)
			}
		}
	}
}

// AssertErrorNoLeak fails the test if err, any error in its chain, or its
// %+v rendering contains any of the secrets.
func AssertErrorNoLeak(tb testing.TB, err error, secrets ...junction.Secret) {
	tb.Helper()
	if err == nil {
		return
	}
	AssertNoLeak(tb, "error", fmt.Sprintf("%v | %+v | %#v", err, err, err), secrets...)
	for _, e := range chain(err) {
		AssertNoLeak(tb, "wrapped error", e.Error(), secrets...)
	}
	AssertNoLeak(tb, "error message", junction.ErrorMessage(err), secrets...)
}

func chain(err error) []error {
	var out []error
	queue := []error{err}
	for len(queue) > 0 && len(out) < 64 {
		e := queue[0]
		queue = queue[1:]
		if e == nil {
			continue
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		default:
			if w := errors.Unwrap(e); w != nil {
				queue = append(queue, w)
			}
		}
	}
	return out
}

func encodings(v string) map[string]string {
	b := []byte(v)
	return map[string]string{
		"plain":          v,
		"base64":         base64.StdEncoding.EncodeToString(b),
		"base64 raw":     base64.RawStdEncoding.EncodeToString(b),
		"base64 url":     base64.URLEncoding.EncodeToString(b),
		"base64 url raw": base64.RawURLEncoding.EncodeToString(b),
		"hex":            hex.EncodeToString(b),
	}
}
