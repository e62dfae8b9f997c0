package trigger

import (
	"context"
	"errors"
	"slices"
	"sync"
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
// interval starting at Slot: a member of a pollBatchArgs, or, as a job of
// its own (kindPollOne), one that an earlier version scheduled. The input
// itself is read from the triggers when the poll runs; one without
// InputHash (scheduled before inputs were kept apart) polls every input.
type pollArgs struct {
	TenantID     string    `json:"tenant_id"`
	ConnectionID string    `json:"connection_id"`
	Object       string    `json:"object"`
	Event        string    `json:"event"`
	InputHash    string    `json:"input_hash,omitempty"`
	Slot         time.Time `json:"slot"`
}

// kindPollOne is the job of one poll, as earlier versions scheduled them;
// it is still worked so that such jobs left in the queue run.
const kindPollOne = "trigger.poll"

func (pollArgs) Kind() string { return kindPollOne }

func (a pollArgs) key() junction.PollStateKey {
	return junction.PollStateKey{ConnectionID: a.ConnectionID, Object: a.Object, Event: a.Event, InputHash: a.InputHash}
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

// pollBatchSize is how many polls one job runs. Every job costs the queue
// a few writes (inserted, fetched, completed) through SQLite's one writer,
// more than a poll that changed nothing costs itself: with thousands of
// polls due at once, a job per poll kept the writer busy for longer than
// the polls could wait.
const pollBatchSize = 50

// pollBatchArgs is a batch of the polls due at the scheduling run At
// (the minute it ran in), First naming the first of them. A batch is
// unique by (At, First), so servers scheduling the same polls in the same
// minute insert them once, while a poll that falls due later in the
// minute (a trigger just made) starts a batch of its own. Which server
// polls a connection in an interval, and that only one does, is settled
// by claiming the interval in the poll state (ClaimPollSlot), not by the
// batches.
type pollBatchArgs struct {
	At    time.Time  `json:"at" river:"unique"`
	First string     `json:"first" river:"unique"`
	Polls []pollArgs `json:"polls"`
}

func (pollBatchArgs) Kind() string { return KindPoll }

// InsertOpts: polls come in thousands at the start of an interval; in a
// queue of their own (PollQueue), webhook events and deliveries do not
// wait behind them, nor they behind a burst of webhooks.
func (pollBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: PollQueue, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type pollBatchWorker struct {
	river.WorkerDefaults[pollBatchArgs]
	r *Runtime
}

func (w *pollBatchWorker) Work(ctx context.Context, job *river.Job[pollBatchArgs]) error {
	return w.r.pollBatch(ctx, job.Args.Polls, job.Attempt == 1)
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

// SchedulePolls inserts a poll for every (connection, object, event,
// input) with enabled polling triggers whose current interval has not been
// polled yet, and returns how many it inserted. The elected leader calls it
// at the start of every ScheduleInterval; calling it more often, or from
// several servers, is harmless: a batch of polls is unique per scheduling
// minute and first poll, and a poll runs only once it has claimed its
// interval.
//
// It reads a page of subscriptions at a time (one read lists them, one
// tells which are due, PollSlots), then inserts all the due polls,
// pollBatchSize to a job, in one transaction. Inserting each page's polls
// as it was read started the first polls sooner but made the reads of
// the later pages wait behind the polls already running, for the one
// writer and the readers alike: with 10,000 polls due (bench, SQLite),
// the last ones were scheduled 4 to 6 s into the interval; read first,
// all were within a second.
func (r *Runtime) SchedulePolls(ctx context.Context) (int, error) {
	now := r.clock.Now()
	at := Slot(now, time.Minute)
	n := 0
	after := ""
	// Several parameter sets may make one input: each is scheduled once.
	done := map[junction.PollStateKey]bool{}
	var due []pollArgs
	insert := func() error {
		var batches []river.InsertManyParams
		var sizes []int
		for len(due) > 0 {
			k := min(pollBatchSize, len(due))
			p := due[0]
			first := p.ConnectionID + "/" + p.Object + "/" + p.Event + "/" + p.InputHash
			batches = append(batches, river.InsertManyParams{Args: pollBatchArgs{At: at, First: first, Polls: due[:k:k]}})
			sizes = append(sizes, k)
			due = due[k:]
		}
		inserted, err := r.queue.InsertManyEach(ctx, batches)
		for i, ok := range inserted {
			if ok {
				n += sizes[i]
			}
		}
		return err
	}
	for {
		subs, err := r.store.ListPollSubscriptions(ctx, after, junction.MaxPageSize)
		if err != nil {
			return n, err
		}
		keys := make([]junction.PollStateKey, 0, len(subs))
		polls := make([]pollArgs, 0, len(subs))
		for _, s := range subs {
			def, _ := r.connectionDefinition(ctx, s.TenantID, s.Connector, s.ConnectionID)
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
		for i, p := range polls {
			if last, ok := slots[keys[i]]; ok && !last.Before(storedSlot(p.Slot)) {
				continue
			}
			due = append(due, p)
		}
		if len(subs) < junction.MaxPageSize {
			return n, insert()
		}
		after = subs[len(subs)-1].PageKey
	}
}

// pollBatch runs a batch of polls: it claims each one's interval (one
// transaction for all), polls the claimed ones at once, and commits their
// outcomes in one transaction, or, should that fail, each in its own so
// that one poll's failure does not undo the others'. A poll whose outcome
// could not be committed gives its interval back, and the batch fails, so
// that its next attempt polls again what this one could not complete;
// polls completed (or claimed by another server) are not claimed again.
//
// A poll that changed nothing (no new record, the same watermark and
// seen list) writes no state: the claim has recorded the interval
// already. On SQLite, where every write waits for the one writer, that
// is what lets thousands of polls start within seconds of their interval.
func (r *Runtime) pollBatch(ctx context.Context, polls []pollArgs, first bool) error {
	keys := make([]junction.PollStateKey, len(polls))
	for i, p := range polls {
		keys[i] = p.key()
	}
	prevs, err := r.store.PollStates(ctx, keys)
	if err != nil {
		return err
	}
	// Polls with a state are claimed a statement per interval start (all
	// one, but for connections of different intervals), the first poll of
	// each input by an upsert of its own.
	var claimed []int
	err = r.store.InTx(ctx, func(s junction.Store) error {
		claimed = claimed[:0]
		bySlot := map[time.Time][]junction.PollStateKey{}
		for i, p := range polls {
			prev := prevs[keys[i]]
			switch {
			case prev == nil:
				ok, err := s.ClaimPollSlot(ctx, p.TenantID, keys[i], p.Slot)
				if err != nil {
					return err
				}
				if ok {
					claimed = append(claimed, i)
				}
			case baselining(prev, p.Slot):
				// Another poll is taking this input's baseline: a second
				// one now would set the baseline later, and the records
				// made between the two listings would never fire. The
				// next interval polls from the first one's baseline.
			case prev.Slot.Before(storedSlot(p.Slot)):
				bySlot[storedSlot(p.Slot)] = append(bySlot[storedSlot(p.Slot)], keys[i])
			}
		}
		got := map[junction.PollStateKey]bool{}
		for slot, ks := range bySlot {
			set, err := s.ClaimPollSlots(ctx, slot, ks)
			if err != nil {
				return err
			}
			for _, k := range set {
				got[k] = true
			}
		}
		for i := range polls {
			if got[keys[i]] {
				claimed = append(claimed, i)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	outcomes := make([]*pollOutcome, len(polls))
	errs := make([]error, len(polls))
	conns, triggers, err := r.pollTargets(ctx, polls, claimed)
	if err != nil {
		for _, i := range claimed {
			errs[i] = err
		}
	}
	var wg sync.WaitGroup
	for _, i := range claimed {
		if errs[i] != nil {
			continue
		}
		wg.Go(func() {
			if first {
				r.metrics.pollDelay.Observe(max(0, r.clock.Now().Sub(polls[i].Slot).Seconds()))
			}
			p := polls[i]
			outcomes[i], errs[i] = r.pollClaimed(ctx, p, prevs[keys[i]], conns[p.ConnectionID], triggers[p.ConnectionID])
		})
	}
	wg.Wait()

	var pending []int
	for _, i := range claimed {
		if outcomes[i] != nil {
			pending = append(pending, i)
		}
	}
	commit := func(idx []int) error {
		var tl tally
		err := r.store.InTx(ctx, func(s junction.Store) error {
			tl = nil
			var healthy []string
			for _, i := range idx {
				if err := r.commitPoll(ctx, s, outcomes[i], true, &healthy, &tl); err != nil {
					return err
				}
			}
			if len(healthy) == 0 {
				return nil
			}
			return s.RecordTriggerSuccesses(ctx, healthy, r.clock.Now())
		})
		if err == nil {
			r.metrics.count(tl)
		}
		return err
	}
	if len(pending) > 0 && commit(pending) != nil {
		for _, i := range pending {
			errs[i] = commit([]int{i})
		}
	}

	var failed []int
	for _, i := range claimed {
		if errs[i] != nil {
			failed = append(failed, i)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	// Given back even when the job's time is up: the next attempt runs
	// after it.
	rctx := context.WithoutCancel(ctx)
	rerr := r.store.InTx(rctx, func(s junction.Store) error {
		for _, i := range failed {
			var prev time.Time
			if p := prevs[keys[i]]; p != nil {
				prev = p.Slot
			}
			if err := s.ReleasePollSlot(rctx, keys[i], polls[i].Slot, prev); err != nil {
				return err
			}
		}
		return nil
	})
	return errors.Join(append(errs, rerr)...)
}

// pollTargets reads the connections of the claimed polls, and the enabled
// polling triggers on them by connection ID: a query of each for the
// batch (connections, a query per tenant) rather than per poll, as reads
// cost the server more CPU than the polls themselves.
func (r *Runtime) pollTargets(ctx context.Context, polls []pollArgs, claimed []int) (map[string]*junction.Connection, map[string][]*junction.Trigger, error) {
	byTenant := map[string][]string{}
	var all []string
	for _, i := range claimed {
		p := polls[i]
		if !slices.Contains(byTenant[p.TenantID], p.ConnectionID) {
			byTenant[p.TenantID] = append(byTenant[p.TenantID], p.ConnectionID)
			all = append(all, p.ConnectionID)
		}
	}
	conns := map[string]*junction.Connection{}
	for tenant, ids := range byTenant {
		for page := (junction.Page{Limit: junction.MaxPageSize}); ; {
			cs, err := r.store.ListConnections(ctx, tenant, junction.ConnectionFilter{IDs: ids, Page: page})
			if err != nil {
				return nil, nil, err
			}
			for _, c := range cs {
				conns[c.ID] = c
			}
			if len(cs) < page.Limit {
				break
			}
			page.After = cs[len(cs)-1].ID
		}
	}
	triggers := map[string][]*junction.Trigger{}
	if len(all) > 0 {
		ts, err := r.store.ListPollingTriggers(ctx, all)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			// A trigger's tenant is its connection's.
			if c := conns[t.ConnectionID]; c != nil && c.TenantID == t.TenantID {
				triggers[t.ConnectionID] = append(triggers[t.ConnectionID], t)
			}
		}
	}
	return conns, triggers, nil
}

// pollClaimed polls one claimed (connection, object, event, input) with
// the triggers on it, given the connection (nil when it is gone) and the
// enabled polling triggers on it. It returns nil when there is nothing to
// poll: no connection, not connected, or no trigger with this input.
func (r *Runtime) pollClaimed(ctx context.Context, p pollArgs, prev *junction.PollState, conn *junction.Connection, triggers []*junction.Trigger) (*pollOutcome, error) {
	if conn == nil || !conn.Status.Usable() {
		return nil, nil
	}
	g := &pollGroup{hash: p.InputHash}
	for _, t := range triggers {
		if t.Object != p.Object || t.Event != p.Event {
			continue
		}
		in, hash, err := r.PollInput(t)
		if err != nil {
			return nil, err
		}
		if hash == p.InputHash {
			g.input = in
			g.triggers = append(g.triggers, t)
		}
	}
	if len(g.triggers) == 0 {
		return nil, nil
	}
	if prev == nil {
		prev = &junction.PollState{}
	}
	return r.poll(ctx, conn, p.Object, p.Event, g, prev, p.Slot), nil
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
	if !conn.Status.Usable() {
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
	prev, err := r.store.GetPollState(ctx, conn.TenantID, conn.ID, object, eventName, g.hash)
	switch {
	case junction.IsCode(err, junction.ENOTFOUND):
		prev = &junction.PollState{}
	case err != nil:
		return err
	case !prev.Slot.Before(storedSlot(slot)):
		return nil
	}
	o := r.poll(ctx, conn, object, eventName, g, prev, slot)
	var tl tally
	err = r.store.InTx(ctx, func(s junction.Store) error {
		tl = nil
		return r.commitPoll(ctx, s, o, false, nil, &tl)
	})
	if err == nil {
		r.metrics.count(tl)
	}
	return err
}

// pollOutcome is what one poll of one input leaves to commit.
type pollOutcome struct {
	object, event string
	triggers      []*junction.Trigger
	// err is the poll's failure, recorded against each trigger.
	err error
	// prev is the state the poll started from and next the one it leads
	// to; fresh are the records it found that were not reported yet.
	prev, next *junction.PollState
	fresh      []connector.PolledRecord
	at         time.Time
}

// poll polls the API for the triggers of one input, from the state prev,
// for the interval starting at slot.
func (r *Runtime) poll(ctx context.Context, conn *junction.Connection, object, eventName string, g *pollGroup, prev *junction.PollState, slot time.Time) *pollOutcome {
	o := &pollOutcome{object: object, event: eventName, triggers: g.triggers, prev: prev}
	res, perr := r.engine.Poll(ctx, engine.PollRequest{
		Connection: conn, Object: object, Event: eventName, Input: g.input,
		State:    connector.PollState{Watermark: prev.Watermark, Cursor: prev.Cursor},
		MaxPages: DefaultPollPages,
	})
	if perr != nil {
		r.metrics.polls.WithLabelValues("failed").Inc()
		o.err = perr
		return o
	}
	r.metrics.polls.WithLabelValues("ok").Inc()
	o.at = r.clock.Now()
	fresh, seen := newRecords(prev.Seen, res.Records, prev.Floor)
	o.fresh = fresh
	if prev.Baselined && len(fresh) > 0 {
		r.count(conn.TenantID, conn.FolderID, conn.Connector, conn.ID, junction.UsageCounts{TriggerEvents: int64(len(fresh))})
	}
	o.next = &junction.PollState{TenantID: conn.TenantID, ConnectionID: conn.ID, Object: object, Event: eventName,
		InputHash: g.hash, Watermark: res.State.Watermark, Cursor: res.State.Cursor, Seen: seen, Baselined: true,
		Slot: slot, UpdatedAt: o.at}
	// The floor stays for good: the look-back brings the newest records
	// back poll after poll, and one that existed before the baseline must
	// never fire, however late it is first classified as this event.
	o.next.Floor = prev.Floor
	if !prev.Baselined {
		o.next.Floor = res.State.Watermark
	}
	return o
}

// commitPoll applies a poll's outcome inside the transaction s: the new
// state, and for each trigger its baseline, the jobs of the new records,
// its success or failure. With claimed, the poll's interval was claimed
// beforehand (ClaimPollSlot), and a state that did not change is not
// written again; otherwise the state is stored only for a later interval
// than the stored one. Either way, when the state is refused another
// poll got there first, and nothing is fired. With healthy, the triggers
// whose success is to be recorded are added to it, for the caller to
// record them together; otherwise they are recorded one by one.
func (r *Runtime) commitPoll(ctx context.Context, s junction.Store, o *pollOutcome, claimed bool, healthy *[]string, tl *tally) error {
	if o.err != nil {
		for _, t := range o.triggers {
			if err := r.failure(ctx, s, t, junction.TriggerRecord{EventType: o.event,
				Reason: "poll failed: " + junction.ErrorMessage(o.err)}, tl); err != nil {
				return err
			}
		}
		return nil
	}
	prev, next := o.prev, o.next
	if !claimed || !sameState(prev, next) {
		var stored bool
		var err error
		if claimed {
			stored, err = s.PutClaimedPollState(ctx, next)
		} else {
			stored, err = s.PutPollState(ctx, next)
		}
		if err != nil || !stored {
			return err
		}
	}
	for _, t := range o.triggers {
		if !prev.Baselined || t.BaselineAt == nil {
			if err := s.SetTriggerBaseline(ctx, t.TenantID, t.ID, o.at); err != nil {
				return err
			}
			continue
		}
		for _, rec := range o.fresh {
			ev := event{
				vars: eventVars{Event: o.event, Object: o.object, ObjectID: rec.ID, Change: rec.Change,
					Record: rec.Record, Payload: rec.Record},
				key: pollKey(rec),
			}
			if _, err := r.fire(ctx, s, t, ev, tl); err != nil {
				return err
			}
		}
		// A webhook target's health is its deliveries': a good poll
		// must not hide a receiver that keeps failing.
		if t.Target.Type == junction.TargetQueue {
			if healthy != nil {
				*healthy = append(*healthy, t.ID)
			} else if err := r.success(ctx, s, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameState reports whether a poll left the state as it found it: then
// there is nothing new to fire either.
func sameState(prev, next *junction.PollState) bool {
	return prev.Baselined == next.Baselined && prev.Watermark.Equal(next.Watermark) && prev.Floor.Equal(next.Floor) &&
		prev.Cursor == next.Cursor && slices.EqualFunc(prev.Seen, next.Seen, func(a, b junction.SeenRecord) bool {
		return a.ID == b.ID && a.At.Equal(b.At)
	})
}

func storedSlot(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// baselineGrace is how long a claimed baseline keeps later intervals from
// taking one of their own: longer than a poll job may run (the queue's
// job timeout, a minute unless configured otherwise), so that only a
// baseline whose server died is taken over.
const baselineGrace = 10 * time.Minute

// baselining reports whether prev is a baseline claimed for an earlier
// interval and not completed yet (nor given back, which resets the slot),
// as seen from the interval starting at slot.
func baselining(prev *junction.PollState, slot time.Time) bool {
	return !prev.Baselined && !prev.Slot.IsZero() && prev.Slot.Before(storedSlot(slot)) &&
		storedSlot(slot).Sub(prev.Slot) < baselineGrace
}

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
