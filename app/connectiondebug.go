package app

import (
	"time"

	"junction"
)

// checkDebugUntil validates a requested end of debug logging and returns
// what to store: nil (off) for the zero time or a time already past, the
// time in UTC to the microsecond otherwise. More than
// junction.MaxDebugWindow ahead is refused: request and response bodies
// may hold business data, so debug logging must end by itself soon.
func (a *App) checkDebugUntil(until *time.Time) (*time.Time, error) {
	if until == nil || until.IsZero() {
		return nil, nil
	}
	now := a.now()
	t := until.UTC().Truncate(time.Microsecond)
	if !t.After(now) {
		return nil, nil
	}
	if t.Sub(now) > junction.MaxDebugWindow+debugClockGrace {
		return nil, junction.Invalid("debug_until", "must be at most %s ahead (until %s at the latest)",
			"24 hours", now.Add(junction.MaxDebugWindow).Format(time.RFC3339))
	}
	return &t, nil
}

// debugClockGrace lets a client whose clock runs a little ahead ask for
// the whole window ("--for 24h").
const debugClockGrace = time.Minute

func sameDebugUntil(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
