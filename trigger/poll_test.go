package trigger_test

import (
	"strings"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestPollingFiresOncePerNewRecord walks a polling trigger through a
// baseline, new records (two with equal timestamps), repeats of the
// look-back window, a record that shows up late with an older time, a
// restart onto a new runtime, a record changed again, and a second poll of
// the same interval.
func TestPollingFiresOncePerNewRecord(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			old := start.Add(-time.Hour)
			e.api.put("t1", old, old, nil)
			e.api.put("t2", old, old.Add(time.Minute), nil)

			created := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
			e.newTrigger(t, s, created)
			updated := &junction.Trigger{Kind: junction.TriggerPolling, Event: "updated"}
			e.newTrigger(t, s, updated)

			// The first poll is the baseline: existing tickets fire nothing.
			e.poll(t, s, e.conn, "created")
			e.poll(t, s, e.conn, "updated")
			wantStrings(t, "jobs after the baseline", jobObjects(e.jobs(t, created.ID)), nil)
			got, err := db.GetTrigger(e.ctx, e.tenant.ID, created.ID)
			must(t, err)
			if got.BaselineAt == nil {
				t.Fatal("baseline not recorded")
			}

			// Two tickets with the same timestamp, found over two pages.
			at := start.Add(time.Minute)
			e.api.put("t3", at, at, map[string]any{"priority": "high"})
			e.api.put("t4", at, at, map[string]any{"priority": "low"})
			e.clock.Advance(5 * time.Minute)
			e.poll(t, s, e.conn, "created")
			e.poll(t, s, e.conn, "updated")
			wantStrings(t, "jobs", jobObjects(e.jobs(t, created.ID)), []string{"t3", "t4"})

			// The look-back brings t3 and t4 again; they do not fire again.
			// t5 arrives late, stamped with the same second as t3 (the API's
			// clock, or a slow commit): it fires.
			e.api.put("t5", at, at, nil)
			e.clock.Advance(5 * time.Minute)
			e.poll(t, s, e.conn, "created")
			e.poll(t, s, e.conn, "updated")
			wantStrings(t, "jobs", jobObjects(e.jobs(t, created.ID)), []string{"t3", "t4", "t5"})

			// A second poll of the same interval does nothing, not even
			// call the API.
			calls := e.api.listCalls()
			e.poll(t, s, e.conn, "created")
			if e.api.listCalls() != calls {
				t.Fatal("a second poll of one interval called the API")
			}

			// A new runtime on the same database (a restart) carries on
			// where the first left off.
			s2 := e.startServer(t, db)
			e.api.put("t6", start.Add(12*time.Minute), start.Add(12*time.Minute), nil)
			e.api.put("t3", at, start.Add(13*time.Minute), map[string]any{"priority": "high"})
			e.clock.Advance(5 * time.Minute)
			e.poll(t, s2, e.conn, "created")
			e.poll(t, s2, e.conn, "updated")
			wantStrings(t, "created jobs", jobObjects(e.jobs(t, created.ID)), []string{"t3", "t4", "t5", "t6"})
			wantStrings(t, "updated jobs", jobObjects(e.jobs(t, updated.ID)), []string{"t3"})

			// Nothing new: nothing fires, whichever runtime polls.
			e.clock.Advance(5 * time.Minute)
			e.poll(t, s, e.conn, "created")
			e.poll(t, s2, e.conn, "updated")
			if n := len(e.jobs(t, created.ID)) + len(e.jobs(t, updated.ID)); n != 5 {
				t.Fatalf("%d jobs after an idle poll, want 5", n)
			}
			js := e.jobs(t, created.ID)
			if js[0].Status != junction.JobPending || js[0].Queue != "inbox" || js[0].Target != junction.TargetQueue {
				t.Fatalf("job = %+v", js[0])
			}
			if p, ok := js[0].Payload.(map[string]any); !ok || p["priority"] != "high" {
				t.Fatalf("payload = %#v", js[0].Payload)
			}

			// Executions are recorded like activities'.
			must(t, s.eng.Flush(e.ctx))
			must(t, s2.eng.Flush(e.ctx))
			xs, err := db.ListExecutions(e.ctx, e.tenant.ID, junction.ExecutionFilter{})
			must(t, err)
			// Newest first: the first poll is last.
			if len(xs) == 0 || xs[len(xs)-1].Activity != "ticket.created.poll" || xs[len(xs)-1].Status != "succeeded" {
				t.Fatalf("executions = %+v", xs)
			}
		})
	}
}

// TestPollingFilter skips records the filter rejects and says why.
func TestPollingFilter(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	s := e.startServer(t, db)
	if err := trigger.CompileFilter(`record.priority ==`); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("bad filter: %v", err)
	}
	if err := trigger.CompileFilter(`record.priority`); err != nil {
		t.Fatalf("dyn filter refused: %v", err)
	}
	if err := trigger.CompileFilter(`1 + 2`); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("int filter: %v", err)
	}
	tr := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created",
		Filter: `record.priority == "high" && object == "ticket" && change == "created"`}
	e.newTrigger(t, s, tr)
	e.poll(t, s, e.conn, "created")
	at := start.Add(time.Minute)
	e.api.put("hi", at, at, map[string]any{"priority": "high"})
	e.api.put("lo", at, at, map[string]any{"priority": "low"})
	e.api.put("none", at, at, nil)
	e.clock.Advance(5 * time.Minute)
	e.poll(t, s, e.conn, "created")
	wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{"hi"})
	skipped := map[string]string{}
	for _, r := range e.history(t, tr.ID) {
		if r.Status == junction.TriggerSkipped {
			skipped[r.ObjectID] = r.Reason
		}
	}
	if skipped["lo"] != "filter did not match" || !strings.Contains(skipped["none"], "no such key") || len(skipped) != 2 {
		t.Fatalf("skipped = %v", skipped)
	}
}

// TestPollingScheduledThroughRiver lets River run the scheduled poll jobs
// and checks each interval is polled once however often polls are
// scheduled.
func TestPollingScheduledThroughRiver(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	s := e.startServer(t, db)
	events := subscribe(t, s)
	tr := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
	e.newTrigger(t, s, tr)

	n, err := s.rt.SchedulePolls(e.ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("scheduled %d polls, want 1", n)
	}
	waitPolls(t, events, 1)
	if n, err := s.rt.SchedulePolls(e.ctx); err != nil || n != 0 {
		t.Fatalf("scheduled %d polls again within the interval (%v)", n, err)
	}
	e.api.put("a", start.Add(time.Minute), start.Add(time.Minute), nil)
	e.clock.Advance(5 * time.Minute)
	n, err = s.rt.SchedulePolls(e.ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("scheduled %d polls, want 1", n)
	}
	waitPolls(t, events, 1)
	wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{"a"})
	if c := e.api.listCalls(); c != 2 {
		t.Fatalf("API listed %d times, want 2", c)
	}
}

// TestAutoDisable disables a trigger after ten consecutive failures once no
// success has been seen for a day, and tells people once.
func TestAutoDisable(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	s := e.startServer(t, db)
	tr := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
	e.newTrigger(t, s, tr)
	e.poll(t, s, e.conn, "created") // baseline, a success
	e.api.setFailing(true)
	for range 12 {
		e.clock.Advance(5 * time.Minute)
		e.poll(t, s, e.conn, "created")
	}
	got, err := db.GetTrigger(e.ctx, e.tenant.ID, tr.ID)
	must(t, err)
	if !got.Enabled || got.ConsecutiveFailures != 12 {
		t.Fatalf("after an hour of failures: enabled %v, failures %d", got.Enabled, got.ConsecutiveFailures)
	}
	e.clock.Advance(junction.TriggerFailureWindow)
	e.poll(t, s, e.conn, "created")
	got, err = db.GetTrigger(e.ctx, e.tenant.ID, tr.ID)
	must(t, err)
	if got.Enabled || got.DisabledReason != junction.DisabledDueToFailures {
		t.Fatalf("after a day: enabled %v, reason %q", got.Enabled, got.DisabledReason)
	}
	hist := e.history(t, tr.ID)
	last := hist[len(hist)-1]
	if last.Status != junction.TriggerDisabled || hist[len(hist)-2].Status != junction.TriggerFailed ||
		!strings.Contains(hist[len(hist)-2].Reason, "poll failed") {
		t.Fatalf("history ends %+v, %+v", hist[len(hist)-2], last)
	}
	evs, err := db.ListEvents(e.ctx, e.tenant.ID, junction.Page{})
	must(t, err)
	// Failing at the fifth failure in a row, once; disabled at the end.
	if len(evs) != 2 || evs[0].Type != junction.EventTriggerFailing || evs[0].Details["failures"] != float64(junction.TriggerFailingAfter) ||
		evs[1].Type != junction.EventTriggerDisabled || evs[1].ObjectID != tr.ID {
		t.Fatalf("events = %+v, %+v", evs[0], evs[len(evs)-1])
	}
	// A disabled trigger is no longer polled.
	subs, err := db.ListPollSubscriptions(e.ctx, "", 10)
	must(t, err)
	if len(subs) != 0 {
		t.Fatalf("subscriptions = %+v", subs)
	}
}

// TestDeleteConnectionDeletesTriggers checks the cascade and that the
// trigger's sealed token goes with it.
func TestDeleteConnectionDeletesTriggers(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
			e.newTrigger(t, s, tr)
			must(t, db.DeleteConnection(e.ctx, e.tenant.ID, e.conn.ID))
			if _, err := db.GetTrigger(e.ctx, e.tenant.ID, tr.ID); !junction.IsCode(err, junction.ENOTFOUND) {
				t.Fatalf("trigger after its connection was deleted: %v", err)
			}
			if _, err := db.GetSealed(e.ctx, e.tenant.ID, tr.WebhookTokenSealedID); !junction.IsCode(err, junction.ENOTFOUND) {
				t.Fatalf("sealed token after the cascade: %v", err)
			}
		})
	}
}

// TestPollBatchWritesOnlyChanges runs scheduled polls through River: a
// poll that finds nothing new leaves the stored state as it was but for
// the interval it claimed, and one that finds a record stores it and
// fires once, also when scheduled again within the interval.
func TestPollBatchWritesOnlyChanges(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			events := subscribe(t, s)
			tr := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
			e.newTrigger(t, s, tr)
			_, hash, err := s.rt.PollInput(tr)
			must(t, err)
			state := func() *junction.PollState {
				t.Helper()
				st, err := db.GetPollState(e.ctx, e.tenant.ID, e.conn.ID, tr.Object, tr.Event, hash)
				must(t, err)
				return st
			}

			e.schedulePolls(t, s, events, 1) // the baseline
			base := state()
			if !base.Baselined || e.api.listCalls() != 1 {
				t.Fatalf("after the baseline: baselined %v, %d list calls", base.Baselined, e.api.listCalls())
			}

			// Nothing new: the state is the baseline's but for the slot.
			e.clock.Advance(5 * time.Minute)
			e.schedulePolls(t, s, events, 1)
			st := state()
			if e.api.listCalls() != 2 || !st.Slot.Equal(trigger.Slot(e.clock.Now(), 5*time.Minute)) ||
				!st.UpdatedAt.Equal(base.UpdatedAt) || len(st.Seen) != len(base.Seen) {
				t.Fatalf("after a poll with nothing new: %d list calls, slot %v, updated %v (baseline %v)",
					e.api.listCalls(), st.Slot, st.UpdatedAt, base.UpdatedAt)
			}

			// A new record: stored and fired once, also when scheduled
			// again within the interval.
			at := e.clock.Now().Add(-time.Minute)
			e.api.put("n1", at, at, nil)
			e.clock.Advance(5 * time.Minute)
			e.schedulePolls(t, s, events, 1)
			e.schedulePolls(t, s, events, 0)
			if st := state(); !st.UpdatedAt.After(base.UpdatedAt) {
				t.Fatalf("the state was not stored after a new record: updated %v", st.UpdatedAt)
			}
			wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{"n1"})
		})
	}
}
