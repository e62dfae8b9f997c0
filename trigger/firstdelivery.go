package trigger

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"junction"
)

// The first delivery attempt of a job made from a webhook event.
//
// Intake stores the jobs for webhook targets of the events it takes in
// (txBatcher.fire), and the server that stored them makes their first
// delivery attempt as soon as the transaction has committed, from memory.
// Left to a queue job, each group would have cost the single SQLite writer
// the job's fetch and completion, and each job a read back: together
// about a fifth of the server's time under a stream of events.
//
// Nothing is lost if the server dies before it has made or recorded those
// attempts: the same transaction inserts a fallback queue job
// (firstDeliveriesArgs) naming the jobs, scheduled fallbackAfter later.
// The server deletes it once every attempt of the group is recorded; if it
// runs instead, it attempts the jobs that still have no attempt recorded.
// On SQLite, where one server owns the database, a server starting up
// runs every fallback at once (ResumeFirstDeliveries): the process that
// scheduled them is gone.

// maxFirstAttemptGroups bounds the groups whose first attempts a server
// makes at once; further groups wait their turn. Each makes up to
// maxDeliveriesNow attempts at once.
const maxFirstAttemptGroups = 32

// DefaultFirstAttemptJobs bounds the jobs held in memory for their first
// attempt, waiting or under way (Options.FirstAttemptJobs). When targets
// answer slowly the jobs pile up; a group beyond the bound is left to its
// fallback job, made to run at once, so that the queue's workers (a fixed
// number) deliver it from the database.
const DefaultFirstAttemptJobs = 4096

// jobRef names a job.
type jobRef struct {
	TenantID string `json:"tenant_id"`
	JobID    string `json:"job_id"`
}

// firstAttempts is a group of jobs for webhook targets, committed together,
// whose first attempt this server makes.
type firstAttempts struct {
	jobs     []*junction.Job
	triggers []*junction.Trigger // triggers[i] made jobs[i]
	args     firstDeliveriesArgs
	fallback int64 // the fallback queue job's ID
}

// fallbackAfter is how long the fallback of a group waits: long enough
// that the server that made the group has made every attempt (each bounded
// by the delivery timeout) unless it is gone.
func (r *Runtime) fallbackAfter() time.Duration { return 2 * r.timeout }

// firstDeliveries makes the first attempts of a committed group, in the
// background; nil is no group.
func (r *Runtime) firstDeliveries(f *firstAttempts) {
	if f == nil {
		return
	}
	n := int64(len(f.jobs))
	r.inFlight.Add(1)
	if r.firstHeld.Add(n) > int64(r.firstMax) {
		r.firstHeld.Add(-n)
		go func() {
			defer r.inFlight.Done()
			if _, err := r.queue.Client().JobRetry(r.firstCtx, f.fallback); err != nil && r.firstCtx.Err() == nil {
				r.logger.LogAttrs(r.firstCtx, slog.LevelWarn, "could not hand first delivery attempts to the queue now; their fallback job makes them when due",
					slog.Int("jobs", len(f.jobs)), slog.Any("error", err))
			}
		}()
		return
	}
	go func() {
		defer r.inFlight.Done()
		defer r.firstHeld.Add(-n)
		r.firstSlots <- struct{}{}
		defer func() { <-r.firstSlots }()
		if err := r.deliverNow(r.firstCtx, f.triggers, f.jobs, f.fallback); err != nil && r.firstCtx.Err() == nil {
			r.logger.LogAttrs(r.firstCtx, slog.LevelWarn, "first delivery attempts not all recorded; their fallback job makes them",
				slog.Int("jobs", len(f.jobs)), slog.Any("error", err))
		}
	}()
}

// Close waits for the first delivery attempts under way; when ctx ends
// first, it cuts them short (their fallback jobs make them later). Call
// it before stopping the queue.
func (r *Runtime) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() { r.inFlight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		r.stopFirst()
		<-done
		return ctx.Err()
	}
}

// ResumeFirstDeliveries makes the fallback jobs scheduled by a server that
// is gone run now. Only where one server owns the database (SQLite) are
// all of them that server's; elsewhere it does nothing, and they run when
// scheduled. Call it before starting the queue.
func (r *Runtime) ResumeFirstDeliveries(ctx context.Context) (int, error) {
	if !r.queue.SingleWriter() {
		return 0, nil
	}
	n := 0
	params := river.NewJobListParams().Kinds(KindFirstDeliveries).States(rivertype.JobStateScheduled).First(1000)
	for {
		res, err := r.queue.Client().JobList(ctx, params)
		if err != nil {
			return n, junction.Internal(err)
		}
		for _, j := range res.Jobs {
			if _, err := r.queue.Client().JobRetry(ctx, j.ID); err != nil {
				return n, junction.Internal(err)
			}
			n++
		}
		if len(res.Jobs) < 1000 {
			return n, nil
		}
		params = params.After(res.LastCursor)
	}
}

// firstDeliveriesArgs makes the first delivery attempt of jobs made
// together for webhook targets that the server which made them did not
// make (see firstAttempts): it attempts the jobs that have no attempt
// recorded.
type firstDeliveriesArgs struct {
	Jobs []jobRef `json:"jobs"`
}

func (firstDeliveriesArgs) Kind() string { return KindFirstDeliveries }

func (firstDeliveriesArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

type firstDeliveriesWorker struct {
	river.WorkerDefaults[firstDeliveriesArgs]
	r *Runtime
}

func (w *firstDeliveriesWorker) Work(ctx context.Context, job *river.Job[firstDeliveriesArgs]) error {
	return w.r.deliverFirst(ctx, job.Args.Jobs)
}

// deliverFirst makes the first delivery attempt of each job that is still
// waiting for it: pending, for a webhook target, with no attempt recorded.
// Jobs and triggers deleted meanwhile are passed over.
func (r *Runtime) deliverFirst(ctx context.Context, refs []jobRef) error {
	var (
		jobs     []*junction.Job
		ts       []*junction.Trigger
		triggers = map[string]*junction.Trigger{}
	)
	for _, ref := range refs {
		j, err := r.store.GetJob(ctx, ref.TenantID, ref.JobID)
		if junction.IsCode(err, junction.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		if j.Target != junction.TargetWebhook || j.Status != junction.JobPending || j.Attempts != 0 {
			continue
		}
		t := triggers[j.TriggerID]
		if t == nil {
			t, err = r.store.GetTrigger(ctx, j.TenantID, j.TriggerID)
			if junction.IsCode(err, junction.ENOTFOUND) {
				continue
			}
			if err != nil {
				return err
			}
			triggers[j.TriggerID] = t
		}
		jobs, ts = append(jobs, j), append(ts, t)
	}
	return r.deliverNow(ctx, ts, jobs, 0)
}
