package trigger_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestBaselineOverlap holds a trigger's first poll (its baseline) past the
// start of the next interval: the next interval must not take a baseline
// of its own, which would be later and swallow the records made between
// the two, so a record made while the baseline was running fires once the
// baseline is in.
func TestBaselineOverlap(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			events := subscribe(t, s)
			old := e.clock.Now().Add(-time.Hour)
			e.api.put("old", old, old, nil)
			tr := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
			e.newTrigger(t, s, tr)

			entered, release := make(chan struct{}), make(chan struct{})
			var freed sync.Once
			free := func() { freed.Do(func() { close(release) }) }
			t.Cleanup(free) // before the servers close, should the test fail early
			e.api.mu.Lock()
			var first atomic.Bool
			e.api.gate = func() {
				if first.CompareAndSwap(false, true) {
					close(entered)
					<-release
				}
			}
			e.api.mu.Unlock()

			n, err := s.rt.SchedulePolls(e.ctx)
			must(t, err)
			if n != 1 {
				t.Fatalf("scheduled %d polls, want the baseline", n)
			}
			<-entered // the baseline has listed and waits to be answered

			mid := e.clock.Now()
			e.api.put("mid", mid, mid, nil)
			e.clock.Advance(5 * time.Minute)
			e.schedulePolls(t, s, events, 1)
			if c := e.api.listCalls(); c != 1 {
				t.Fatalf("the next interval listed while the baseline was running: %d list calls", c)
			}

			free()
			waitPolls(t, events, 1)
			if js := e.jobs(t, tr.ID); len(js) != 0 {
				t.Fatalf("the baseline fired %v", jobObjects(js))
			}

			e.clock.Advance(5 * time.Minute)
			e.schedulePolls(t, s, events, 1)
			wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{"mid"})
		})
	}
}

// TestBaselineTakenOver: a baseline whose server died (claimed, never
// completed nor given back) holds later intervals back only for a while,
// then one of them takes the baseline.
func TestBaselineTakenOver(t *testing.T) {
	db := sqldbtest.Backends(t)[0].Open(t, sqldb.Options{})
	e := newEnv(t, db)
	s := e.startServer(t, db)
	events := subscribe(t, s)
	tr := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
	e.newTrigger(t, s, tr)
	_, hash, err := s.rt.PollInput(tr)
	must(t, err)
	key := junction.PollStateKey{ConnectionID: e.conn.ID, Object: tr.Object, Event: tr.Event, InputHash: hash}
	ok, err := db.ClaimPollSlot(e.ctx, e.tenant.ID, key, trigger.Slot(e.clock.Now(), 5*time.Minute))
	must(t, err)
	if !ok {
		t.Fatal("the dead server's claim was refused")
	}

	e.clock.Advance(5 * time.Minute)
	e.schedulePolls(t, s, events, 1)
	if c := e.api.listCalls(); c != 0 {
		t.Fatalf("a poll ran beside a baseline claimed 5 minutes ago: %d list calls", c)
	}
	e.clock.Advance(10 * time.Minute)
	e.schedulePolls(t, s, events, 1)
	st, err := db.GetPollState(e.ctx, e.tenant.ID, e.conn.ID, tr.Object, tr.Event, hash)
	must(t, err)
	if c := e.api.listCalls(); c != 1 || !st.Baselined {
		t.Fatalf("after the grace: %d list calls, baselined %v", c, st.Baselined)
	}
}
