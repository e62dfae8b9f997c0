package app

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"junction"
	"junction/trigger"
)

// Jobs are what fired triggers start. Those with a queue target wait for
// workers, who claim them for a lease and complete or fail them; Jobs.View
// shows them, Jobs.Process works them, both per folder. Claims, completions
// and failures are not audited: they are a worker's routine, recorded on
// the job itself (attempts, who holds it, result, error). An operator's
// retry, cancel or delete is audited.

// Limits of a claim.
const (
	// MaxClaimWait bounds how long a claim waits for a job.
	MaxClaimWait = 30 * time.Second
	// DefaultLease and MaxLease bound how long a claimed job is held.
	DefaultLease = 5 * time.Minute
	MaxLease     = 12 * time.Hour
	// DefaultJobRecheck is how often a waiting claim looks at the store
	// again, for jobs made by other servers and leases that ran out.
	DefaultJobRecheck = time.Second

	maxJobResultBytes = 256 << 10
	maxJobErrorLen    = 2000
)

// ClaimJobInput asks for the oldest waiting job of a queue.
type ClaimJobInput struct {
	Queue string
	// FolderID, when set, claims only jobs of that folder.
	FolderID string
	// Wait is how long to wait for a job when none is waiting, at most
	// MaxClaimWait; zero answers at once.
	Wait time.Duration
	// Lease is how long the job is held; DefaultLease when zero.
	Lease time.Duration
}

// ClaimResult is the answer of a claim: Job is nil when none came in time.
type ClaimResult struct {
	Job *junction.Job `json:"job"`
}

// JobQuery narrows ListJobs.
type JobQuery struct {
	FolderID  string
	Queue     string
	Status    junction.JobStatus
	TriggerID string
	junction.Page
}

// jobSignal wakes the claims waiting on this server. It is a broadcast:
// every waiter's channel is closed at once, and the next wait gets a new
// one.
type jobSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *jobSignal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *jobSignal) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// NotifyJobs wakes the claims waiting on this server: call it when work
// that may have made queue jobs has committed here (a poll, a webhook
// event for a queue target). Waiting claims also look again every
// Options.JobRecheck on their own, for jobs made by other servers and
// leases that ran out.
func (a *App) NotifyJobs() { a.jobSignal.notify() }

// worker names the caller as the holder of the jobs it claims: its token,
// so that a worker whose lease ran out cannot complete a job another
// token claimed since.
func worker(p *junction.Principal) string {
	if p.Token != nil && p.Token.ID != "" {
		return "token:" + p.Token.ID
	}
	return "user:" + p.User.ID
}

// ClaimJob claims the oldest waiting job of a queue (or one whose lease
// ran out) in the folders where the caller holds Jobs.Process, waiting up
// to in.Wait for one to come. The wait holds no database connection: it
// sleeps until NotifyJobs or the recheck interval, then tries again. A
// caller that goes away (ctx done) ends the wait with no job claimed.
func (a *App) ClaimJob(ctx context.Context, p *junction.Principal, in ClaimJobInput) (*ClaimResult, error) {
	queue := strings.TrimSpace(in.Queue)
	switch {
	case queue == "":
		return nil, junction.Invalid("queue", "is required")
	case in.Wait < 0 || in.Wait > MaxClaimWait:
		return nil, junction.Invalid("wait_seconds", "must be between 0 and %d", int(MaxClaimWait.Seconds()))
	case in.Lease < 0 || in.Lease > MaxLease:
		return nil, junction.Invalid("lease_seconds", "must be between 1 and %d", int(MaxLease.Seconds()))
	}
	lease := in.Lease
	if lease == 0 {
		lease = DefaultLease
	}
	ids, all, err := a.folderScope(ctx, p, junction.PermJobsProcess, in.FolderID, false)
	if err != nil {
		return nil, err
	}
	if !all && len(ids) == 0 {
		if in.FolderID == "" {
			return nil, denied(junction.PermJobsProcess)
		}
		return &ClaimResult{}, nil
	}
	if all {
		ids = nil
	}
	// The wait is measured in real time, not by the App's clock: it is
	// how long a request is held open.
	deadline := time.Now().Add(in.Wait)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Take the signal before looking, so a job made between the look
		// and the wait still wakes this claim.
		woken := a.jobSignal.wait()
		j, err := a.store.ClaimJob(ctx, p.TenantID(), ids, queue, worker(p), lease, a.now())
		if err == nil {
			if a.usage != nil {
				// A queue job is delivered when a worker takes it.
				a.usage.Count(junction.UsageScope{TenantID: j.TenantID, FolderID: j.FolderID, Connector: j.Connector,
					ConnectionID: j.ConnectionID}, junction.UsageCounts{JobsDelivered: 1})
			}
			return &ClaimResult{Job: j}, nil
		}
		if !junction.IsCode(err, junction.ENOTFOUND) {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return &ClaimResult{}, nil
		}
		t := time.NewTimer(min(left, a.jobRecheck))
		select {
		case <-woken:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}

// jobIn loads a job for the caller with the folder rule applied.
func (a *App) jobIn(ctx context.Context, p *junction.Principal, id string, perm junction.Permission) (*junction.Job, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("job")
	}
	j, err := a.store.GetJob(ctx, p.TenantID(), id)
	if err != nil {
		return nil, err
	}
	if _, err := a.folderFor(ctx, a.store, p, j.FolderID, perm); err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, junction.NotFound("job")
		}
		return nil, err
	}
	return j, nil
}

// GetJob returns a job. Needs Jobs.View on its folder.
func (a *App) GetJob(ctx context.Context, p *junction.Principal, id string) (*junction.Job, error) {
	return a.jobIn(ctx, p, id, junction.PermJobsView)
}

// ListJobs lists jobs, oldest first, in folders where the caller holds
// Jobs.View.
func (a *App) ListJobs(ctx context.Context, p *junction.Principal, q JobQuery) (List[*junction.Job], error) {
	var empty List[*junction.Job]
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	switch q.Status {
	case "", junction.JobPending, junction.JobClaimed, junction.JobCompleted, junction.JobFailed, junction.JobCancelled:
	default:
		return empty, junction.Invalid("status", "must be pending, claimed, completed, failed or cancelled")
	}
	filter := junction.JobFilter{Queue: q.Queue, Status: q.Status, TriggerID: q.TriggerID, Page: q.Page.Normalize()}
	ids, all, err := a.folderScope(ctx, p, junction.PermJobsView, q.FolderID, false)
	if err != nil {
		return empty, err
	}
	if !all {
		if len(ids) == 0 {
			return newList([]*junction.Job{}, q.Page, nil), nil
		}
		filter.FolderIDs = ids
	}
	js, err := a.store.ListJobs(ctx, p.TenantID(), filter)
	if err != nil {
		return empty, err
	}
	return newList(js, q.Page, func(j *junction.Job) string { return j.ID }), nil
}

// CompleteJob marks a job the caller claimed completed with result. Needs
// Jobs.Process on its folder. conflict when the caller does not hold the
// job (its lease ran out and another worker claimed it, or it is done).
func (a *App) CompleteJob(ctx context.Context, p *junction.Principal, id string, result any) (*junction.Job, error) {
	if b, err := json.Marshal(result); err != nil || len(b) > maxJobResultBytes {
		return nil, junction.Invalid("result", "must be JSON of at most %d bytes", maxJobResultBytes)
	}
	j, err := a.jobIn(ctx, p, id, junction.PermJobsProcess)
	if err != nil {
		return nil, err
	}
	return a.store.CompleteJob(ctx, p.TenantID(), j.ID, worker(p), result, a.now())
}

// FailJob records a failed attempt of a job the caller claimed: with retry
// the job waits for another claim, otherwise it is failed for good. Needs
// Jobs.Process on its folder; conflict as for CompleteJob.
func (a *App) FailJob(ctx context.Context, p *junction.Principal, id, reason string, retry bool) (*junction.Job, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, junction.Invalid("error", "is required: say why the job failed")
	}
	if len(reason) > maxJobErrorLen {
		reason = oneLine(reason, maxJobErrorLen)
	}
	j, err := a.jobIn(ctx, p, id, junction.PermJobsProcess)
	if err != nil {
		return nil, err
	}
	var out *junction.Job
	err = a.tx(ctx, func(tx junction.Store) error {
		var err error
		if out, err = tx.FailJob(ctx, p.TenantID(), j.ID, worker(p), reason, retry, a.now()); err != nil {
			return err
		}
		if out.Status != junction.JobFailed {
			return nil
		}
		return tx.AppendEvent(ctx, trigger.JobFailedEvent(out, a.now(), reason))
	})
	if err != nil {
		return nil, err
	}
	if retry {
		a.NotifyJobs()
	}
	return out, nil
}

// maxCancelReasonLen bounds the reason an operator gives for a cancel.
const maxCancelReasonLen = 500

// RetryJob returns a failed or cancelled job to pending, for a new round of
// attempts: its attempts start again from zero (the audit entry keeps the
// count it had), so a webhook target job gets the full number of delivery
// attempts and a queue job's attempts count this round's claims. A queue
// job waits for a claim again; a webhook target job is delivered again by
// the trigger runtime's delivery job, scheduled in the same transaction.
// Needs Jobs.Process on its folder; conflict in any other status.
func (a *App) RetryJob(ctx context.Context, p *junction.Principal, id string) (*junction.Job, error) {
	j, err := a.jobIn(ctx, p, id, junction.PermJobsProcess)
	if err != nil {
		return nil, err
	}
	if j.Target == junction.TargetWebhook && a.triggers == nil {
		return nil, junction.Internal(errors.New("app: no trigger runtime configured to deliver the job"))
	}
	var out *junction.Job
	err = a.tx(ctx, func(tx junction.Store) error {
		var err error
		if out, err = tx.RetryJob(ctx, p.TenantID(), j.ID, a.now()); err != nil {
			return err
		}
		if out.Target == junction.TargetWebhook {
			if err := a.triggers.Redeliver(ctx, tx, out); err != nil {
				return err
			}
		}
		return a.audit(ctx, tx, p, "job.retry", "job", j.ID, j.FolderID, map[string]any{
			"trigger_id": j.TriggerID, "previous_status": string(j.Status), "previous_attempts": j.Attempts})
	})
	if err != nil {
		return nil, err
	}
	if out.Target == junction.TargetQueue {
		a.NotifyJobs()
	}
	return out, nil
}

// CancelJob stops a pending or claimed job, saying why: no worker claims
// it, the worker holding it can no longer complete or fail it, and a
// webhook target job is not delivered, not even by a retry already
// scheduled. Needs Jobs.Process on its folder; conflict once the job is
// completed, failed or cancelled.
func (a *App) CancelJob(ctx context.Context, p *junction.Principal, id, reason string) (*junction.Job, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, junction.Invalid("reason", "is required: say why the job is cancelled")
	case len(reason) > maxCancelReasonLen:
		return nil, junction.Invalid("reason", "must be at most %d bytes", maxCancelReasonLen)
	}
	j, err := a.jobIn(ctx, p, id, junction.PermJobsProcess)
	if err != nil {
		return nil, err
	}
	var out *junction.Job
	err = a.tx(ctx, func(tx junction.Store) error {
		var err error
		if out, err = tx.CancelJob(ctx, p.TenantID(), j.ID, "cancelled: "+reason, a.now()); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "job.cancel", "job", j.ID, j.FolderID, map[string]any{
			"trigger_id": j.TriggerID, "previous_status": string(j.Status), "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteJob removes a job in any status; a worker holding it can no
// longer complete or fail it, and a delivery under way finds it gone.
// Needs Jobs.Process on its folder.
func (a *App) DeleteJob(ctx context.Context, p *junction.Principal, id string) error {
	j, err := a.jobIn(ctx, p, id, junction.PermJobsProcess)
	if err != nil {
		return err
	}
	return a.tx(ctx, func(tx junction.Store) error {
		if err := tx.DeleteJob(ctx, p.TenantID(), j.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "job.delete", "job", j.ID, j.FolderID, map[string]any{
			"trigger_id": j.TriggerID, "status": string(j.Status)})
	})
}
