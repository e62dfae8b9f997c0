package httpapi

import (
	"bytes"
	"encoding/json"
	"time"

	"junction"
)

// nullableTime is a request member that is an RFC 3339 time or null, where
// null means something (switch off) that leaving the member out does not:
// Set tells that the member was given, null leaves Time zero. A value that
// is neither is kept as bad, for the handler to name the member in its
// error (encoding/json does not say whose UnmarshalJSON failed).
type nullableTime struct {
	Set  bool
	Time time.Time
	bad  bool
}

func (n *nullableTime) UnmarshalJSON(b []byte) error {
	n.Set, n.Time, n.bad = true, time.Time{}, false
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		n.bad = true
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		n.bad = true
		return nil
	}
	n.Time = t
	return nil
}

// value is the time for an app input: nil when the member was left out,
// the zero time for null.
func (n nullableTime) value(field string) (*time.Time, error) {
	switch {
	case !n.Set:
		return nil, nil
	case n.bad:
		return nil, junction.Invalid(field, "must be an RFC 3339 time such as 2026-03-01T09:00:00Z, or null")
	}
	t := n.Time
	return &t, nil
}
