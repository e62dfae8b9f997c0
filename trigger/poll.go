package trigger

import (
	"context"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/connector"
	"junction/engine"
)

// scheduleArgs is the periodic job, run by the elected leader only, that
// inserts the polls that are due.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return KindSchedulePolls }

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	r *Runtime
}

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	_, err := w.r.SchedulePolls(ctx)
	return err
}

// slotSchedule runs the scheduler at the start of every interval of
// length every (aligned on the Unix epoch, as Slot is), a moment after
// the boundary so that a timer firing a hair early still lands in the new
// interval. Every poll interval is a multiple of the shortest, so a run
// at each of its boundaries finds every poll as it falls due, wherever
// in the minute the server started.
type slotSchedule struct{ every time.Duration }

// scheduleDelay is how long after a boundary the scheduler runs.
const scheduleDelay = 50 * time.Millisecond

func (s slotSchedule) Next(t time.Time) time.Time {
	return Slot(t.Add(-scheduleDelay), s.every).Add(s.every + scheduleDelay)
}

// pollArgs is one poll of one (connection, object, event, input) for the
// interval starting at Slot. The job is unique by its arguments, so however
// many servers schedule the same interval, it is inserted once. The input
// itself is read from the triggers when the poll runs; a job without
// InputHash (scheduled before inputs were kept apart) polls every input.
type pollArgs struct {
	TenantID     string    `json:"tenant_id"`
	ConnectionID string    `json:"connection_id"`
	Object       string    `json:"object"`
	Event        string    `json:"event"`
	InputHash    string    `json:"input_hash,omitempty"`
	Slot         time.Time `json:"slot"`
}

func (pollArgs) Kind() string { return KindPoll }

// InsertOpts: polls come in thousands at the start of an interval; at a
// lower priority than webhook events and deliveries, those do not wait
// behind them.
func (pollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, Priority: 2, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type pollWorker struct {
	river.WorkerDefaults[pollArgs]
	r *Runtime
}

func (w *pollWorker) Work(ctx context.Context, job *river.Job[pollArgs]) error {
	a := job.Args
	if job.Attempt == 1 {
		w.r.metrics.pollDelay.Observe(max(0, w.r.clock.Now().Sub(a.Slot).Seconds()))
	}
	return w.r.Poll(ctx, junction.PollSubscription{TenantID: a.TenantID, ConnectionID: a.ConnectionID,
		Object: a.Object, Event: a.Event, InputHash: a.InputHash}, a.Slot)
}

// PollInterval returns a connection's poll interval: its
// PollIntervalMinutes when that is one of PollIntervals, else the nearest
// longer one (5 minutes when unset).
func PollInterval(minutes int) time.Duration {
	if minutes <= 0 {
		return 5 * time.Minute
	}
	for _, m := range PollIntervals {
		if minutes <= m {
			return time.Duration(m) * time.Minute
		}
	}
	return time.Duration(PollIntervals[len(PollIntervals)-1]) * time.Minute
}

// Slot is the start of the poll interval that t falls in. Intervals are
// aligned on the Unix epoch, so every server computes the same slots.
func Slot(t time.Time, interval time.Duration) time.Time {
	return t.UTC().Truncate(interval)
}

// SchedulePolls inserts a poll job for every (connection, object, event,
// input) with enabled polling triggers whose current interval has not been
// polled yet, and returns how many it inserted. The elected leader calls it
// at the start of every ScheduleInterval; calling it more often, or from
// several servers, is harmless: a poll job is unique per interval, and a
// poll commits only once per interval.
//
// It works a page of subscriptions at a time: one read lists them, one
// read tells which are due (PollSlots), and one transaction inserts the
// page's polls together. Each page's polls are committed before the next
// page is read, so workers start on the first ones within moments of the
// interval's start rather than after all are scheduled.
func (r *Runtime) SchedulePolls(ctx context.Context) (int, error) {
	now := r.clock.Now()
	n := 0
	after := ""
	// Several parameter sets may make one input: each is scheduled once.
	done := map[junction.PollStateKey]bool{}
	for {
		subs, err := r.store.ListPollSubscriptions(ctx, after, junction.MaxPageSize)
		if err != nil {
			return n, err
		}
		keys := make([]junction.PollStateKey, 0, len(subs))
		polls := make([]pollArgs, 0, len(subs))
		for _, s := range subs {
			def, _ := r.catalog.Get(s.Connector)
			hash, err := PollInputHash(pollInput(def, &junction.Trigger{Object: s.Object, Event: s.Event,
				Parameters: s.Parameters}))
			if err != nil {
				return n, junction.Internal(err)
			}
			key := junction.PollStateKey{ConnectionID: s.ConnectionID, Object: s.Object, Event: s.Event, InputHash: hash}
			if done[key] {
				continue
			}
			done[key] = true
			keys = append(keys, key)
			polls = append(polls, pollArgs{TenantID: s.TenantID, ConnectionID: s.ConnectionID, Object: s.Object,
				Event: s.Event, InputHash: hash, Slot: Slot(now, PollInterval(s.PollIntervalMinutes))})
		}
		slots, err := r.store.PollSlots(ctx, keys)
		if err != nil {
			return n, err
		}
		due := make([]river.InsertManyParams, 0, len(polls))
		for i, p := range polls {
			if last, ok := slots[keys[i]]; ok && !last.Before(storedSlot(p.Slot)) {
				continue
			}
			due = append(due, river.InsertManyParams{Args: p})
		}
		inserted, err := r.queue.InsertMany(ctx, due)
		n += inserted
		if err != nil {
			return n, err
		}
		if len(subs) < junction.MaxPageSize {
			return n, nil
		}
		after = subs[len(subs)-1].PageKey
	}
}

// pollGroup is the triggers that poll with one input.
type pollGroup struct {
	input    map[string]any
	hash     string
	triggers []*junction.Trigger
}

// Poll polls one (connection, object, event, input) for the interval
// starting at slot and applies the result to every enabled polling trigger
// with that input (see PollInput), in one transaction with the new poll
// state: either the state advances and every job is made, or nothing is
// kept and the next poll repeats the work. The input is taken from the
// triggers' parameters, so sub.Input is not needed; an empty sub.InputHash
// polls each distinct input of the triggers on (connection, object, event)
// in turn.
//
// A poll whose interval was already polled (by this or another server)
// does nothing. The first poll of a (connection, object, event, input), and
// the first poll after a trigger is created, set a baseline: the records
// found are existing ones and fire nothing for that trigger. Records the
// previous poll already reported (same ID, same time) are dropped; a record
// changed again fires again. A failed poll is recorded as a failure of each
// trigger and leaves the state as it was.
func (r *Runtime) Poll(ctx context.Context, sub junction.PollSubscription, slot time.Time) error {
	conn, err := r.store.GetConnection(ctx, sub.TenantID, sub.ConnectionID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if conn.Status != junction.ConnectionConnected {
		return nil
	}
	triggers, err := r.pollingTriggers(ctx, conn, sub.Object, sub.Event)
	if err != nil || len(triggers) == 0 {
		return err
	}
	var groups []*pollGroup
	byHash := map[string]*pollGroup{}
	for _, t := range triggers {
		in, hash, err := r.PollInput(t)
		if err != nil {
			return err
		}
		if sub.InputHash != "" && hash != sub.InputHash {
			continue
		}
		g := byHash[hash]
		if g == nil {
			g = &pollGroup{input: in, hash: hash}
			byHash[hash] = g
			groups = append(groups, g)
		}
		g.triggers = append(g.triggers, t)
	}
	for _, g := range groups {
		if err := r.pollInput(ctx, conn, sub.Object, sub.Event, g, slot); err != nil {
			return err
		}
	}
	return nil
}

// pollInput is Poll for the triggers of one input.
func (r *Runtime) pollInput(ctx context.Context, conn *junction.Connection, object, eventName string, g *pollGroup, slot time.Time) error {
	triggers := g.triggers
	prev, err := r.store.GetPollState(ctx, conn.TenantID, conn.ID, object, eventName, g.hash)
	switch {
	case junction.IsCode(err, junction.ENOTFOUND):
		prev = &junction.PollState{}
	case err != nil:
		return err
	case !prev.Slot.Before(storedSlot(slot)):
		return nil
	}
	res, perr := r.engine.Poll(ctx, engine.PollRequest{
		Connection: conn, Object: object, Event: eventName, Input: g.input,
		State:    connector.PollState{Watermark: prev.Watermark, Cursor: prev.Cursor},
		MaxPages: DefaultPollPages,
	})
	var tl tally
	if perr != nil {
		r.metrics.polls.WithLabelValues("failed").Inc()
		err := r.store.InTx(ctx, func(s junction.Store) error {
			tl = nil
			for _, t := range triggers {
				if err := r.failure(ctx, s, t, junction.TriggerRecord{EventType: eventName,
					Reason: "poll failed: " + junction.ErrorMessage(perr)}, &tl); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			r.metrics.count(tl)
		}
		return err
	}
	r.metrics.polls.WithLabelValues("ok").Inc()

	now := r.clock.Now()
	fresh, seen := newRecords(prev.Seen, res.Records, prev.Floor)
	next := &junction.PollState{TenantID: conn.TenantID, ConnectionID: conn.ID, Object: object, Event: eventName,
		InputHash: g.hash, Watermark: res.State.Watermark, Cursor: res.State.Cursor, Seen: seen, Baselined: true,
		Slot: slot, UpdatedAt: now}
	if !prev.Baselined {
		next.Floor = res.State.Watermark
	}
	err = r.store.InTx(ctx, func(s junction.Store) error {
		tl = nil
		stored, err := s.PutPollState(ctx, next)
		if err != nil || !stored {
			return err // !stored: another server applied this interval
		}
		for _, t := range triggers {
			if !prev.Baselined || t.BaselineAt == nil {
				if err := s.SetTriggerBaseline(ctx, t.TenantID, t.ID, now); err != nil {
					return err
				}
				continue
			}
			for _, rec := range fresh {
				ev := event{
					vars: eventVars{Event: eventName, Object: object, ObjectID: rec.ID, Change: rec.Change,
						Record: rec.Record, Payload: rec.Record},
					key: pollKey(rec),
				}
				if _, err := r.fire(ctx, s, t, ev, &tl); err != nil {
					return err
				}
			}
			// A webhook target's health is its deliveries': a good poll
			// must not hide a receiver that keeps failing.
			if t.Target.Type == junction.TargetQueue {
				if err := r.success(ctx, s, t); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		r.metrics.count(tl)
	}
	return err
}

func storedSlot(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// pollingTriggers lists the enabled polling triggers of conn on one object
// event.
func (r *Runtime) pollingTriggers(ctx context.Context, conn *junction.Connection, object, event string) ([]*junction.Trigger, error) {
	enabled := true
	var out []*junction.Trigger
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		ts, err := r.store.ListTriggers(ctx, conn.TenantID, junction.TriggerFilter{ConnectionID: conn.ID,
			Kind: junction.TriggerPolling, Enabled: &enabled, Page: page})
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if t.Object == object && t.Event == event {
				out = append(out, t)
			}
		}
		if len(ts) < page.Limit {
			return out, nil
		}
		page.After = ts[len(ts)-1].ID
	}
}

// recordTime is the time a polled record is known by: its update time,
// else its creation time.
func recordTime(p connector.PolledRecord) time.Time {
	if !p.Updated.IsZero() {
		return p.Updated
	}
	return p.Created
}

// pollKey is a polled record's idempotency key: the same record at the
// same time is the same event, however many polls see it.
func pollKey(p connector.PolledRecord) string {
	at := recordTime(p)
	if at.IsZero() {
		return "poll:" + p.ID
	}
	return "poll:" + p.ID + "@" + at.UTC().Format(time.RFC3339Nano)
}

// newRecords drops the records already reported (same ID and time), and
// those at or before floor (see PollState.Floor), and returns the rest with the seen list to keep: the previous one with the
// records' latest times, newest last, bounded by PollSeenMax.
func newRecords(prev []junction.SeenRecord, recs []connector.PolledRecord, floor time.Time) ([]connector.PolledRecord, []junction.SeenRecord) {
	seen := make(map[string]time.Time, len(prev))
	for _, s := range prev {
		seen[s.ID] = s.At
	}
	var fresh []connector.PolledRecord
	changed := map[string]time.Time{}
	for _, rec := range recs {
		at := recordTime(rec)
		if s, ok := seen[rec.ID]; ok && s.Equal(at) {
			continue
		}
		if s, ok := changed[rec.ID]; ok && s.Equal(at) {
			continue // the same record on two pages
		}
		if !floor.IsZero() && !at.After(floor) {
			continue
		}
		changed[rec.ID] = at
		fresh = append(fresh, rec)
	}
	out := make([]junction.SeenRecord, 0, len(prev)+len(changed))
	for _, s := range prev {
		if _, ok := changed[s.ID]; !ok {
			out = append(out, s)
		}
	}
	added := make([]junction.SeenRecord, 0, len(changed))
	for id, at := range changed {
		added = append(added, junction.SeenRecord{ID: id, At: at})
	}
	slices.SortFunc(added, func(a, b junction.SeenRecord) int { return a.At.Compare(b.At) })
	out = append(out, added...)
	if len(out) > junction.PollSeenMax {
		out = out[len(out)-junction.PollSeenMax:]
	}
	return fresh, out
}
