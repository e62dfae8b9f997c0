package trigger

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/sqldb"
)

// maxTxBatch bounds the writes run in one transaction.
const maxTxBatch = 128

// txBatchTimeout bounds one shared transaction; a caller waiting for it
// gives up earlier if its own context ends.
const txBatchTimeout = 30 * time.Second

// txBatcher runs writes given concurrently in shared transactions (group
// commit). Each accepted webhook event is written twice (fired, then
// delivered), each a small transaction; on SQLite every transaction takes
// the one writer connection in turn and writes the log at commit, so a
// transaction per write bounded the rate at which events went through. No
// timer gathers a batch: while one transaction commits, the writes
// arriving meanwhile wait, and the next transaction takes all of them, so
// a write arriving alone is committed at once and batches grow only when
// writes queue. The jobs for webhook targets made in one transaction get
// their first delivery attempt at once from this server, after the commit
// (see firstDeliveries).
//
// A caller returns only after its write committed. When a shared
// transaction fails, each of its writes is tried again alone, so one
// write that cannot be made (its trigger was deleted meanwhile) fails only
// its own caller; a write must therefore be safe to run again after a
// rollback, and leave side effects (metrics) to its caller.
//
// On a database taking concurrent writers (PostgreSQL) up to
// maxConcurrentBatches transactions commit at once: one at a time, each
// statement's round trip would add up and hold the others back.
//
// The zero value is ready to use, committing one transaction at a time.
type txBatcher struct {
	// concurrent is how many transactions may commit at once; zero
	// means one. Set before first use.
	concurrent int

	mu      sync.Mutex
	waiting []*pendingTx
	running int // goroutines committing batches
}

// maxConcurrentBatches bounds the transactions a txBatcher commits at
// once on a database taking concurrent writers.
const maxConcurrentBatches = 8

type pendingTx struct {
	fn func(ctx context.Context, s junction.Store) error
	// made, when set, returns after fn has run the jobs it made for a
	// webhook target, if any, and their trigger: see firstDeliveries.
	made func() ([]*junction.Job, *junction.Trigger)
	done chan error // receives once: nil when committed
}

// do runs fn in a transaction of store, possibly shared with other
// callers' functions, which see each other's writes as if run one after
// the other. It returns once that transaction committed, or with the
// error that kept fn's writes from it; ctx's end returns early with its
// error, though fn's writes may still commit.
func (b *txBatcher) do(ctx context.Context, r *Runtime, fn func(ctx context.Context, s junction.Store) error) error {
	return b.submit(ctx, r, &pendingTx{fn: fn})
}

// fire fires t with the webhook events of one delivery, in one
// transaction as do runs it (see Runtime.fire), and counts the outcome
// once committed. A job made for a
// webhook target gets its first delivery attempt after the commit (see
// firstDeliveries); a job for a queue target counts as the trigger's
// success.
func (b *txBatcher) fire(ctx context.Context, r *Runtime, t *junction.Trigger, evs ...event) error {
	var (
		tl   tally
		made []*junction.Job
	)
	err := b.submit(ctx, r, &pendingTx{
		fn: func(ctx context.Context, s junction.Store) error {
			tl, made = nil, nil // run again alone after a shared transaction failed
			for _, ev := range evs {
				j, err := r.fire(ctx, s, t, ev, &tl)
				if err != nil {
					return err
				}
				if j != nil {
					made = append(made, j)
				}
			}
			if len(made) > 0 && t.Target.Type == junction.TargetQueue && !recentSuccess(t, r.clock.Now()) {
				return r.success(ctx, s, t)
			}
			return nil
		},
		made: func() ([]*junction.Job, *junction.Trigger) {
			if t.Target.Type != junction.TargetWebhook {
				return nil, nil
			}
			return made, t
		},
	})
	if err == nil {
		r.metrics.count(tl)
		if len(made) > 0 && t.Target.Type == junction.TargetQueue && r.onQueueJobs != nil {
			r.onQueueJobs()
		}
	}
	return err
}

func (b *txBatcher) submit(ctx context.Context, r *Runtime, p *pendingTx) error {
	p.done = make(chan error, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, p)
	if b.running < max(b.concurrent, 1) {
		b.running++
		go b.run(r)
	}
	b.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run commits batches until no write waits.
func (b *txBatcher) run(r *Runtime) {
	for {
		b.mu.Lock()
		batch := b.waiting
		if len(batch) > maxTxBatch {
			batch = batch[:maxTxBatch:maxTxBatch]
		}
		b.waiting = b.waiting[len(batch):]
		if len(batch) == 0 {
			b.waiting = nil
			b.running--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		commitBatch(r, batch)
	}
}

func commitBatch(r *Runtime, batch []*pendingTx) {
	ctx, cancel := context.WithTimeout(context.Background(), txBatchTimeout)
	defer cancel()
	first, err := runBatch(ctx, r, batch)
	if err == nil || len(batch) == 1 {
		for _, p := range batch {
			p.done <- err
		}
		r.firstDeliveries(first)
		return
	}
	for _, p := range batch {
		first, err := runBatch(ctx, r, []*pendingTx{p})
		p.done <- err
		r.firstDeliveries(first)
	}
}

// maxConflictRetries bounds how often a shared transaction that PostgreSQL
// gave up for another's sake (sqldb.Conflict) is run again.
const maxConflictRetries = 5

// runBatch runs the batch's writes in one transaction. The jobs they made
// for webhook targets are returned, for their first delivery attempt once
// committed, with the fallback queue job inserted for them.
//
// On PostgreSQL, transactions of several servers (and of this one's
// concurrent batches) take row locks in different orders: the same event's
// job key, the trigger's row for its health. When PostgreSQL breaks the
// resulting deadlock by aborting one of them, that one runs again after a
// short random pause; its writes are safe to run again (see txBatcher).
func runBatch(ctx context.Context, r *Runtime, batch []*pendingTx) (*firstAttempts, error) {
	for try := 1; ; try++ {
		first, err := runBatchOnce(ctx, r, batch)
		if err == nil || !sqldb.Conflict(err) || try == maxConflictRetries {
			return first, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(1+rand.IntN(10*try)) * time.Millisecond):
		}
	}
}

func runBatchOnce(ctx context.Context, r *Runtime, batch []*pendingTx) (*firstAttempts, error) {
	var first *firstAttempts
	err := r.store.InTx(ctx, func(s junction.Store) error {
		first = nil
		var f firstAttempts
		for _, p := range batch {
			if err := p.fn(ctx, s); err != nil {
				return err
			}
			if p.made == nil {
				continue
			}
			js, t := p.made()
			for _, j := range js {
				f.jobs, f.triggers = append(f.jobs, j), append(f.triggers, t)
				f.args.Jobs = append(f.args.Jobs, jobRef{TenantID: j.TenantID, JobID: j.ID})
			}
		}
		if len(f.jobs) == 0 {
			return nil
		}
		// River schedules by the wall clock.
		id, err := r.queue.InsertTxID(ctx, s, f.args, &river.InsertOpts{ScheduledAt: time.Now().Add(r.fallbackAfter())})
		if err != nil {
			return err
		}
		f.fallback = id
		first = &f
		return nil
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, junction.Errorf(junction.EUNAVAILABLE, "the write could not be committed in time")
	}
	if err != nil {
		return nil, err
	}
	return first, nil
}
