package junction

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what every secret-typed value prints as.
const Redacted = "[redacted]"

// Secret holds a sensitive string: a password, API key, token or client
// secret. It renders as "[redacted]" however it is printed (fmt verbs, JSON,
// slog), so a secret that strays into a log line or an API response leaks
// nothing. Call Reveal only at the point of use.
type Secret struct{ v string }

// NewSecret wraps a sensitive string.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the plain value. Every call site is a place where the secret
// leaves Junction's protection: keep them few and obvious.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Equal compares two secrets without revealing either to the caller.
func (s Secret) Equal(o Secret) bool { return s.v == o.v }

func (Secret) String() string               { return Redacted }
func (Secret) GoString() string             { return Redacted }
func (Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(Redacted)) }
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(Redacted) }

// UnmarshalJSON accepts a JSON string so request bodies can carry secrets in.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.v = v
	return nil
}

var (
	_ fmt.Formatter  = Secret{}
	_ fmt.GoStringer = Secret{}
	_ slog.LogValuer = Secret{}
	_ json.Marshaler = Secret{}
)
