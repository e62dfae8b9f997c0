package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"junction"
	"junction/outbound"
)

// deliveryArgs delivers one job to its trigger's webhook target. River
// retries a failed delivery with exponential backoff and jitter, up to
// Options.DeliveryAttempts in all.
type deliveryArgs struct {
	TenantID string `json:"tenant_id"`
	JobID    string `json:"job_id"`
	// Tried counts the attempts made before this River job (the first,
	// made by the webhook event's job): River's attempt n is the
	// delivery's attempt Tried+n.
	Tried int `json:"tried,omitempty"`
}

func (deliveryArgs) Kind() string { return KindDeliver }

type deliveryWorker struct {
	river.WorkerDefaults[deliveryArgs]
	r *Runtime
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	a := job.Args
	return w.r.deliver(ctx, a, a.Tried+job.Attempt, a.Tried+job.MaxAttempts)
}

// NextRetry uses the runtime's delay when one is configured, else River's
// retry policy, counting the attempts made before this River job.
func (w *deliveryWorker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	n := job.Args.Tried + job.Attempt
	if w.r.delay != nil {
		return time.Now().Add(w.r.delay(n))
	}
	if job.Args.Tried == 0 {
		return time.Time{}
	}
	return retryAt(job.Args.Tried + len(job.Errors) + 1)
}

// Delivery is the JSON body POSTed to a webhook target: the job, without
// its processing state.
type Delivery struct {
	JobID          string         `json:"job_id"`
	TriggerID      string         `json:"trigger_id"`
	ConnectionID   string         `json:"connection_id"`
	Connector      string         `json:"connector"`
	Event          string         `json:"event"`
	ObjectType     string         `json:"object_type"`
	ObjectID       string         `json:"object_id,omitempty"`
	Payload        any            `json:"payload,omitempty"`
	Parameters     map[string]any `json:"parameters,omitempty"`
	IdempotencyKey string         `json:"idempotency_key"`
	CreatedAt      time.Time      `json:"created_at"`
}

// deliver is a delivery job's attempt: see deliverJob. With attempts left
// after a failure it returns an error, for River to retry.
func (r *Runtime) deliver(ctx context.Context, a deliveryArgs, attempt, maxAttempts int) error {
	j, err := r.store.GetJob(ctx, a.TenantID, a.JobID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if j.Status != junction.JobPending {
		// Delivered, given up, or cancelled by an operator: a cancelled
		// job is never sent, even by a retry scheduled before the cancel.
		return nil
	}
	t, err := r.store.GetTrigger(ctx, a.TenantID, j.TriggerID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	reason, err := r.deliverJob(ctx, t, j, attempt, maxAttempts)
	if err != nil || reason == "" {
		return err
	}
	return fmt.Errorf("delivery to the webhook target failed: %s", reason)
}

// Redeliver schedules, in the transaction tx, a new round of delivery
// attempts of a webhook target job an operator returned to pending
// (JobStore.RetryJob): the same delivery job a failed first attempt
// leaves for the next ones, with the full Options.DeliveryAttempts, so a
// retried job reaches its target by the one path every delivery takes.
func (r *Runtime) Redeliver(ctx context.Context, tx junction.Store, j *junction.Job) error {
	if j.Target != junction.TargetWebhook {
		return nil
	}
	_, err := r.queue.InsertTx(ctx, tx, deliveryArgs{TenantID: j.TenantID, JobID: j.ID},
		&river.InsertOpts{MaxAttempts: r.attempts})
	return err
}

// deliverNow makes the first attempt to deliver each job (jobs[i] for
// ts[i]), at the same time, and records each outcome: the successes
// together, in one write, and each failure with, when attempts are left,
// the delivery job that makes the next ones. When fallback is not zero it
// names the queue job that would make these attempts had this server not
// (see firstAttempts): it is deleted with the successes, once every
// outcome is recorded.
func (r *Runtime) deliverNow(ctx context.Context, ts []*junction.Trigger, jobs []*junction.Job, fallback int64) error {
	errs := make([]error, len(jobs)+1)
	ok := make([]bool, len(jobs))
	sem := make(chan struct{}, maxDeliveriesNow)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok[i], _, errs[i] = r.attempt(ctx, ts[i], j, 1, r.attempts, true)
		}()
	}
	wg.Wait()
	var done []int
	for i := range jobs {
		if ok[i] {
			done = append(done, i)
		}
	}
	// An outcome left unrecorded (the attempt was cut short) is the
	// fallback's to retry.
	if errors.Join(errs...) != nil {
		fallback = 0
	}
	if len(done) > 0 || fallback != 0 {
		now := r.clock.Now()
		errs[len(jobs)] = r.writes.do(ctx, r, func(ctx context.Context, s junction.Store) error {
			reset := map[string]bool{}
			for _, i := range done {
				j, t := jobs[i], ts[i]
				if err := s.SetJobStatus(ctx, j.TenantID, j.ID, junction.JobCompleted, 1, "", now); err != nil {
					return err
				}
				// A success resets the trigger's failure count: once
				// for all its jobs does the same, and none is needed
				// when the trigger, as read for these jobs, had no
				// failure since a success moments ago.
				if !reset[t.ID] && !recentSuccess(t, now) {
					reset[t.ID] = true
					if err := r.success(ctx, s, t); err != nil {
						return err
					}
				}
			}
			if fallback != 0 {
				// Already running elsewhere (this server was slow), it
				// finds every attempt recorded and does nothing.
				_, err := r.queue.DeleteTx(ctx, s, fallback)
				return err
			}
			return nil
		})
		if errs[len(jobs)] == nil && len(done) > 0 {
			r.metrics.deliveries.WithLabelValues("ok").Add(float64(len(done)))
			for _, i := range done {
				j := jobs[i]
				r.count(j.TenantID, j.FolderID, j.Connector, j.ConnectionID, junction.UsageCounts{JobsDelivered: 1})
			}
		}
	}
	return errors.Join(errs...)
}

// successRefresh is how old a trigger's last success may grow, with no
// failure since, before a new one is written: under a stream of events
// every delivery wrote the trigger's row, one of the costliest writes of
// an event, to change only the time. A failure recorded after the trigger
// was read is not reset by a success that skips the write; the next
// success written resets it.
const successRefresh = time.Second

func recentSuccess(t *junction.Trigger, now time.Time) bool {
	if t.ConsecutiveFailures != 0 || t.LastSuccessAt == nil {
		return false
	}
	age := now.Sub(*t.LastSuccessAt)
	return age >= 0 && age < successRefresh
}

// maxDeliveriesNow bounds the first attempts one call of deliverNow makes
// at once.
const maxDeliveriesNow = 16

// deliverJob makes a delivery job's attempt (see attempt) and records a
// success. It returns why the attempt failed when the job is to be
// retried.
func (r *Runtime) deliverJob(ctx context.Context, t *junction.Trigger, j *junction.Job, attempt, maxAttempts int) (reason string, err error) {
	sent, reason, err := r.attempt(ctx, t, j, attempt, maxAttempts, false)
	if err != nil || !sent {
		return reason, err
	}
	now := r.clock.Now()
	err = r.writes.do(ctx, r, func(ctx context.Context, s junction.Store) error {
		if err := s.SetJobStatus(ctx, j.TenantID, j.ID, junction.JobCompleted, attempt, "", now); err != nil {
			return err
		}
		return r.success(ctx, s, t)
	})
	if err == nil {
		r.metrics.deliveries.WithLabelValues("ok").Inc()
		r.count(j.TenantID, j.FolderID, j.Connector, j.ConnectionID, junction.UsageCounts{JobsDelivered: 1})
	}
	return "", err
}

// attempt POSTs the job to the target, signed, as the given attempt. It
// reports whether the target took it (a 2xx), which the caller records;
// anything else it records itself. Any other answer or a transport
// failure is a failure of the trigger, and with attempts left the job
// stays pending and attempt returns the reason: when first, the delivery
// job for the next attempts is inserted with the failure, else the
// caller's delivery job is to be retried. A job whose trigger was
// deleted, or disabled (by a user or the health check) or given another
// target meanwhile, is not sent again: it fails, and its retries stop.
func (r *Runtime) attempt(ctx context.Context, t *junction.Trigger, j *junction.Job, attempt, maxAttempts int, first bool) (sent bool, reason string, err error) {
	if !t.Enabled || t.Target.Type != junction.TargetWebhook {
		why := "not delivered: the trigger was disabled"
		if t.Enabled {
			why = "not delivered: the trigger no longer has a webhook target"
		}
		if err := r.store.SetJobStatus(ctx, j.TenantID, j.ID, junction.JobFailed, j.Attempts, why, r.clock.Now()); err != nil {
			return false, "", err
		}
		r.metrics.deliveries.WithLabelValues("failed").Inc()
		return false, "", nil
	}
	reason = r.send(ctx, t, j)
	if reason == "" {
		return true, "", nil
	}
	if err := ctx.Err(); err != nil {
		// Cut short by this server's shutdown: not the target's fault,
		// and the attempt is made again (River retries the delivery
		// job, or the fallback of a first attempt runs).
		return false, "", err
	}
	now := r.clock.Now()
	final := attempt >= maxAttempts
	var tl tally
	err = r.store.InTx(ctx, func(s junction.Store) error {
		tl = nil
		status := junction.JobPending
		if final {
			status = junction.JobFailed
		}
		if err := s.SetJobStatus(ctx, j.TenantID, j.ID, status, attempt, reason, now); err != nil {
			return err
		}
		if final {
			if err := s.AppendEvent(ctx, JobFailedEvent(j, now, fmt.Sprintf("%d delivery attempts failed; last: %s", attempt, reason))); err != nil {
				return err
			}
		}
		if first && !final {
			if _, err := r.queue.InsertTx(ctx, s, deliveryArgs{TenantID: j.TenantID, JobID: j.ID, Tried: attempt},
				&river.InsertOpts{MaxAttempts: maxAttempts - attempt, ScheduledAt: r.retryAt(attempt)}); err != nil {
				return err
			}
		}
		return r.failure(ctx, s, t, junction.TriggerRecord{EventType: t.Event, ObjectID: j.ObjectID, JobID: j.ID,
			IdempotencyKey: j.IdempotencyKey, Reason: fmt.Sprintf("delivery attempt %d of %d failed: %s", attempt, maxAttempts, reason)}, &tl)
	})
	if err != nil {
		return false, "", err
	}
	r.metrics.count(tl)
	if final {
		r.metrics.deliveries.WithLabelValues("failed").Inc()
		return false, "", nil
	}
	r.metrics.deliveries.WithLabelValues("retried").Inc()
	return false, reason, nil
}

// retryAt is when a delivery that failed its attempt n runs again: as a
// delivery job's retry would (see deliveryWorker.NextRetry).
func (r *Runtime) retryAt(n int) time.Time {
	if r.delay != nil {
		return time.Now().Add(r.delay(n))
	}
	return retryAt(n)
}

// retryAt is when River's default policy retries after attempt n failed
// (about n^4 seconds later): the policy counts the errors recorded.
func retryAt(n int) time.Time {
	return (&river.DefaultClientRetryPolicy{}).NextRetry(&rivertype.JobRow{Errors: make([]rivertype.AttemptError, n-1)})
}

// send makes one delivery and returns "" on success, else why it failed
// (never a secret: the outbound client's messages name only the host).
func (r *Runtime) send(ctx context.Context, t *junction.Trigger, j *junction.Job) string {
	body, err := json.Marshal(Delivery{JobID: j.ID, TriggerID: j.TriggerID, ConnectionID: j.ConnectionID,
		Connector: j.Connector, Event: j.Event, ObjectType: j.ObjectType, ObjectID: j.ObjectID, Payload: j.Payload,
		Parameters: j.Parameters, IdempotencyKey: j.IdempotencyKey, CreatedAt: j.CreatedAt})
	if err != nil {
		return "the job cannot be encoded as JSON"
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Target.URL, bytes.NewReader(body))
	if err != nil {
		return "the target URL is not valid"
	}
	ts := r.clock.Now()
	var secret *junction.Secret
	if t.Target.SealedID != "" {
		s, err := OpenTargetSecret(ctx, r.store, r.keyring, t)
		if err != nil {
			return "the target's signing secret cannot be read"
		}
		secret = &s
	}
	SignRequest(req, secret, ts, body, j.IdempotencyKey)
	resp, err := r.out.Do(ctx, req, outbound.RequestOptions{MaxResponseBytes: 64 << 10})
	if err != nil {
		return junction.ErrorMessage(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("the target answered HTTP %d", resp.StatusCode)
	}
	return ""
}

// checkTargetURL is CheckTargetURL.
func checkTargetURL(ctx context.Context, out *outbound.Client, raw string) error {
	const field = "target.url"
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return junction.Invalid(field, "must be an absolute http or https URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return junction.Invalid(field, "must be an http or https URL, not %s", u.Scheme)
	}
	if u.User != nil {
		return junction.Invalid(field, "must not carry credentials; use the target's signing secret")
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil || len(addrs) == 0 {
			return junction.Invalid(field, "host %s cannot be resolved", host)
		}
	}
	for _, a := range addrs {
		if err := out.Guard().Check(host, a); err != nil {
			var je *junction.Error
			if e, ok := err.(*junction.Error); ok {
				je = &junction.Error{Code: e.Code, Message: e.Message, Field: field, Details: e.Details}
				return je
			}
			return err
		}
	}
	return nil
}

// JobFailedEvent is the job.failed event of a job that exhausted its
// attempts (a delivery's, or a queue job's worker giving up), for the
// notifications.
func JobFailedEvent(j *junction.Job, at time.Time, reason string) *junction.Event {
	return &junction.Event{TenantID: j.TenantID, Type: junction.EventJobFailed, ObjectType: "job", ObjectID: j.ID,
		FolderID: j.FolderID, At: at, Details: map[string]any{"reason": reason, "trigger_id": j.TriggerID,
			"connection_id": j.ConnectionID, "attempts": j.Attempts}}
}
