package junction

import "time"

// Clock tells the time. Everything that depends on time (token expiry, the
// resolver's one-hour cache, renewals, polling) takes a Clock so tests can move
// time forward instead of sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }
