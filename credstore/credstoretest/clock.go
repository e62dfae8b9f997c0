package credstoretest

import (
	"time"

	"junction/clocktest"
)

// Clock is the shared fake clock (clocktest.Clock), named here too because
// the store tests and test servers were written against it.
type Clock = clocktest.Clock

// NewClock returns a clock stopped at now.
func NewClock(now time.Time) *Clock { return clocktest.New(now) }
