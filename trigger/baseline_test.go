package trigger_test

import (
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// TestPollingBaselineHolds: nothing that existed unchanged before a
// trigger's baseline ever fires, however many polls bring it back through
// the look-back window; what changes afterwards fires once.
//
// The baseline poll asks for everything and, with no watermark yet, takes
// every record for a creation, so an "updated" trigger cannot see an old
// update then. The polls after it see that update again (the look-back
// repeats the newest records) and must still leave it alone.
func TestPollingBaselineHolds(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			// Changed 50 minutes before the triggers exist; two records share
			// the newest timestamp, one of them created then.
			changed := start.Add(-50 * time.Minute)
			e.api.put("old", start.Add(-48*time.Hour), changed, nil)
			e.api.put("twin", changed, changed, nil)
			e.api.put("older", start.Add(-72*time.Hour), start.Add(-60*time.Minute), nil)

			created := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
			e.newTrigger(t, s, created)
			updated := &junction.Trigger{Kind: junction.TriggerPolling, Event: "updated"}
			e.newTrigger(t, s, updated)
			pollBoth := func() {
				t.Helper()
				e.clock.Advance(5 * time.Minute)
				e.poll(t, s, e.conn, "created")
				e.poll(t, s, e.conn, "updated")
			}
			for i := range 6 {
				pollBoth()
				if n := len(e.jobs(t, created.ID)) + len(e.jobs(t, updated.ID)); n != 0 {
					t.Fatalf("poll %d: %d jobs for records unchanged since before the baseline: created %v, updated %v",
						i+1, n, jobObjects(e.jobs(t, created.ID)), jobObjects(e.jobs(t, updated.ID)))
				}
			}

			// A change after the baseline fires once, as an update; a new
			// record with the same time fires once, as a creation.
			now := start.Add(40 * time.Minute)
			e.api.put("old", start.Add(-48*time.Hour), now, nil)
			e.api.put("new", now, now, nil)
			for range 4 {
				pollBoth()
			}
			wantStrings(t, "updated jobs", jobObjects(e.jobs(t, updated.ID)), []string{"old"})
			wantStrings(t, "created jobs", jobObjects(e.jobs(t, created.ID)), []string{"new"})

			// A trigger made later has its own baseline: what the earlier
			// ones already reported does not fire for it.
			late := &junction.Trigger{Kind: junction.TriggerPolling, Event: "updated"}
			e.newTrigger(t, s, late)
			for range 4 {
				pollBoth()
			}
			wantStrings(t, "late trigger's jobs", jobObjects(e.jobs(t, late.ID)), nil)
		})
	}
}
