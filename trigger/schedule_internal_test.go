package trigger

import (
	"testing"
	"time"
)

// TestSlotScheduleAlignsOnIntervals checks that the scheduler runs just
// after each interval starts, wherever in the interval the server started
// and however River rounds its timer.
func TestSlotScheduleAlignsOnIntervals(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("15:04:05.000", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := slotSchedule{every: time.Minute}
	for _, c := range []struct{ from, want string }{
		{"10:00:30.000", "10:01:00.050"}, // started mid-interval
		{"10:01:00.050", "10:02:00.050"}, // after a run on time
		{"10:00:59.990", "10:01:00.050"}, // just before a boundary
		{"10:01:00.020", "10:01:00.050"}, // just after one, before the run
		{"10:01:00.000", "10:01:00.050"},
	} {
		if got := s.Next(at(c.from)); !got.Equal(at(c.want)) {
			t.Errorf("Next(%s) = %s, want %s", c.from, got.Format("15:04:05.000"), c.want)
		}
	}
	five := slotSchedule{every: 5 * time.Minute}
	if got := five.Next(at("10:07:12.000")); !got.Equal(at("10:10:00.050")) {
		t.Errorf("five-minute Next = %s", got.Format("15:04:05.000"))
	}
}
