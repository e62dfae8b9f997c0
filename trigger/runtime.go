// Package trigger runs triggers: it polls connections on their interval,
// takes in vendors' webhooks, filters each event with the trigger's CEL
// filter, and starts jobs (kept for queue workers, or delivered signed to a
// webhook target), all through committed rows and River jobs so that no
// acknowledged event is lost and none makes two jobs.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"junction"
	"junction/connector"
	"junction/engine"
	"junction/outbound"
	"junction/queue"
)

// Defaults for zero Options fields.
const (
	// DefaultScheduleInterval is how often the elected leader looks for
	// polls that are due.
	DefaultScheduleInterval = time.Minute
	// DefaultDeliveryAttempts is how many times a delivery to a webhook
	// target is tried before the job fails.
	DefaultDeliveryAttempts = 8
	// DefaultDeliveryTimeout bounds one delivery attempt.
	DefaultDeliveryTimeout = 30 * time.Second
	// DefaultPollPages caps the pages one poll follows.
	DefaultPollPages = engine.MaxPages
	// DefaultEventRetention is how long a processed webhook event is kept.
	DefaultEventRetention = 7 * 24 * time.Hour
	// CleanUpInterval is how often the elected leader removes processed
	// webhook events past their retention.
	CleanUpInterval = time.Hour
)

// Kinds of the queue jobs the runtime runs, as River reports them in its
// events (a job's Kind).
const (
	// KindSchedulePolls inserts the polls due at the start of an interval
	// (the elected leader only).
	KindSchedulePolls = "trigger.schedule_polls"
	// KindPoll polls a batch of (connection, object, event, input), each
	// for its interval.
	KindPoll = "trigger.poll_batch"
	// KindFirstDeliveries makes the first delivery attempt of jobs for
	// webhook targets made together from received webhook events, when
	// the server that made them did not (a fallback: see firstDeliveries).
	KindFirstDeliveries = "trigger.first_deliveries"
	// KindWebhookEvent processes one webhook event stored by an earlier
	// version (which stored events before firing triggers).
	KindWebhookEvent = "trigger.webhook_event"
	// KindWebhookEvents processes webhook events stored together by an
	// earlier version.
	KindWebhookEvents = "trigger.webhook_events"
	// KindDeliver delivers one job to a webhook target.
	KindDeliver = "trigger.deliver"
	// KindCleanUp removes processed webhook events past their retention
	// (the elected leader only).
	KindCleanUp = "trigger.clean_up"
)

// PollQueue is the queue the polls run in, with PollWorkers workers of
// their own.
const PollQueue = "trigger_poll"

// DefaultPollWorkers is how many batches of polls a server runs at once;
// each runs its polls (up to 50) at once. Twenty overlap more of the
// polls' waiting (for the one SQLite writer, for the API) than ten did:
// of 10,000 polls due together (bench, 2 shared cores), the last started
// after about 7 s rather than 10 to 12 s.
const DefaultPollWorkers = 20

// PollIntervals are the poll intervals, in minutes, a connection may have.
var PollIntervals = []int{1, 5, 10, 15, 30, 60}

// UsageCounter counts the trigger events received and the jobs
// delivered to webhook targets. It must not block on I/O: it is called on
// the intake's path. *usage.Meter implements it.
type UsageCounter interface {
	Count(scope junction.UsageScope, n junction.UsageCounts)
}

// Options configure a Runtime.
type Options struct {
	Store    junction.Store
	Keyring  junction.Keyring
	Catalog  connector.Definitions
	Engine   *engine.Engine
	Queue    *queue.Queue
	Outbound *outbound.Client
	Clock    junction.Clock
	Logger   *slog.Logger

	// ScheduleInterval is the length of the intervals at whose start the
	// elected leader schedules the polls due (default 1 minute, the
	// shortest poll interval, of which the others are multiples). The
	// queue's timer runs on the wall clock; which interval is due is
	// decided by Clock. Negative turns the periodic scheduling off: the
	// caller runs SchedulePolls itself (tests that drive Clock).
	ScheduleInterval time.Duration
	// DeliveryAttempts and DeliveryTimeout tune deliveries to webhook
	// targets (defaults 8 and 30 s).
	DeliveryAttempts int
	DeliveryTimeout  time.Duration
	// DeliveryRetryDelay, when set, replaces River's backoff for
	// deliveries (tests); by default attempt n waits about n^4 seconds,
	// with jitter.
	DeliveryRetryDelay func(attempt int) time.Duration
	// PollWorkers is how many batches of polls this server runs at once
	// (default DefaultPollWorkers).
	PollWorkers int
	// FirstAttemptJobs bounds the jobs this server holds in memory for
	// their first delivery attempt (default DefaultFirstAttemptJobs);
	// beyond it, groups are handed to the queue.
	FirstAttemptJobs int
	// OnQueueJobs, when set, is called once a webhook event has made a
	// job for a queue target and it has committed: workers waiting to
	// claim jobs on this server can look again. (Polls end as queue jobs
	// of kind KindPoll, which callers can watch for themselves.)
	OnQueueJobs func()
	// EventRetention is how long processed webhook events are kept
	// before the hourly clean-up removes them (default 7 days).
	EventRetention time.Duration
	// Usage, when set, counts trigger events and deliveries.
	Usage UsageCounter
	// Registerer receives the runtime's metrics (events by outcome,
	// webhook intake, polls and their start delay, deliveries); nil
	// keeps them unregistered.
	Registerer prometheus.Registerer
}

// Runtime runs triggers. Make one per server with New before starting the
// Queue; it is safe for concurrent use.
type Runtime struct {
	store    junction.Store
	keyring  junction.Keyring
	catalog  connector.Definitions
	engine   *engine.Engine
	queue    *queue.Queue
	out      *outbound.Client
	clock    junction.Clock
	logger   *slog.Logger
	attempts int
	timeout  time.Duration
	delay    func(int) time.Duration
	keep     time.Duration
	metrics  *metrics
	usage    UsageCounter

	filters sync.Map // filter source -> *filter
	writes  txBatcher

	// First delivery attempts made in the background: see
	// firstDeliveries.
	inFlight  sync.WaitGroup
	firstHeld atomic.Int64 // jobs held for their first attempt
	firstMax  int

	onQueueJobs func()
	firstSlots  chan struct{}
	firstCtx    context.Context
	stopFirst   context.CancelFunc
}

// New returns a Runtime and registers its workers and the periodic poll
// scheduler with the queue. Start the queue afterwards.
func New(opts Options) (*Runtime, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("trigger: Options.Store is required")
	case opts.Keyring == nil:
		return nil, errors.New("trigger: Options.Keyring is required")
	case opts.Catalog == nil:
		return nil, errors.New("trigger: Options.Catalog is required")
	case opts.Engine == nil:
		return nil, errors.New("trigger: Options.Engine is required")
	case opts.Queue == nil:
		return nil, errors.New("trigger: Options.Queue is required")
	case opts.Outbound == nil:
		return nil, errors.New("trigger: Options.Outbound is required")
	}
	r := &Runtime{
		store:    opts.Store,
		keyring:  opts.Keyring,
		catalog:  opts.Catalog,
		engine:   opts.Engine,
		queue:    opts.Queue,
		out:      opts.Outbound,
		clock:    opts.Clock,
		logger:   opts.Logger,
		attempts: opts.DeliveryAttempts,
		timeout:  opts.DeliveryTimeout,
		delay:    opts.DeliveryRetryDelay,
		keep:     opts.EventRetention,
		usage:    opts.Usage,

		onQueueJobs: opts.OnQueueJobs,
	}
	if !r.queue.SingleWriter() {
		r.writes.concurrent = maxConcurrentBatches
	}
	r.firstSlots = make(chan struct{}, maxFirstAttemptGroups)
	r.firstMax = opts.FirstAttemptJobs
	if r.firstMax <= 0 {
		r.firstMax = DefaultFirstAttemptJobs
	}
	r.firstCtx, r.stopFirst = context.WithCancel(context.Background())
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("trigger: register metrics: %w", err)
	}
	r.metrics = m
	if r.keep <= 0 {
		r.keep = DefaultEventRetention
	}
	if r.clock == nil {
		r.clock = junction.SystemClock{}
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.attempts <= 0 {
		r.attempts = DefaultDeliveryAttempts
	}
	if r.timeout <= 0 {
		r.timeout = DefaultDeliveryTimeout
	}
	every := opts.ScheduleInterval
	if every == 0 {
		every = DefaultScheduleInterval
	}
	w := r.queue.Workers()
	river.AddWorker(w, &scheduleWorker{r: r})
	river.AddWorker(w, &pollWorker{r: r})
	river.AddWorker(w, &pollBatchWorker{r: r})
	pollWorkers := opts.PollWorkers
	if pollWorkers <= 0 {
		pollWorkers = DefaultPollWorkers
	}
	if err := r.queue.AddQueue(PollQueue, pollWorkers); err != nil {
		return nil, err
	}
	river.AddWorker(w, &eventWorker{r: r})
	river.AddWorker(w, &eventsWorker{r: r})
	river.AddWorker(w, &firstDeliveriesWorker{r: r})
	river.AddWorker(w, &deliveryWorker{r: r})
	river.AddWorker(w, &cleanUpWorker{r: r})
	if every > 0 {
		// At each interval's start, and once on start for the interval
		// under way.
		r.queue.AddPeriodic(river.NewPeriodicJob(slotSchedule{every: every},
			func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindSchedulePolls, RunOnStart: true}))
	}
	r.queue.AddPeriodic(river.NewPeriodicJob(river.PeriodicInterval(CleanUpInterval),
		func() (river.JobArgs, *river.InsertOpts) { return cleanUpArgs{}, nil },
		&river.PeriodicJobOpts{ID: KindCleanUp}))
	return r, nil
}

// count meters what a trigger's connection consumed.
func (r *Runtime) count(tenantID, folderID, connector, connectionID string, n junction.UsageCounts) {
	if r.usage == nil {
		return
	}
	r.usage.Count(junction.UsageScope{TenantID: tenantID, FolderID: folderID, Connector: connector, ConnectionID: connectionID}, n)
}

// Validate checks a trigger before it is saved: the connector offers the
// object event with the trigger's kind, a polling trigger's parameters give
// every input the event's list operation requires with the declared type
// (Field "parameters.<name>"; see PollInput), the filter compiles, and the
// target is complete, a webhook target's URL being one the outbound guard
// lets through (CheckTargetURL). Errors are validation_failed naming the
// field.
func (r *Runtime) Validate(ctx context.Context, t *junction.Trigger) error {
	def, err := r.definition(ctx, t)
	if err != nil {
		return err
	}
	ev := def.Event(t.Object, t.Event)
	if ev == nil {
		return junction.Invalid("event", "connector %s has no event %q on object %q", def.Key, t.Event, t.Object)
	}
	switch t.Kind {
	case junction.TriggerPolling:
		if ev.Polling == nil {
			return junction.Invalid("kind", "event %s.%s cannot be polled; use a webhook trigger", t.Object, t.Event)
		}
		if err := checkPollInput(def, t); err != nil {
			return err
		}
	case junction.TriggerWebhook:
		if ev.Webhook == nil {
			return junction.Invalid("kind", "event %s.%s is not delivered by webhook; use a polling trigger", t.Object, t.Event)
		}
	default:
		return junction.Invalid("kind", "must be polling or webhook")
	}
	if err := CompileFilter(t.Filter); err != nil {
		return err
	}
	switch t.Target.Type {
	case junction.TargetQueue:
		if t.Target.Name == "" {
			return junction.Invalid("target.name", "a queue target needs a queue name")
		}
	case junction.TargetWebhook:
		return r.CheckTargetURL(ctx, t.Target.URL)
	default:
		return junction.Invalid("target.type", "must be webhook or queue")
	}
	return nil
}

// CheckTargetURL refuses a webhook target URL that is not absolute http(s)
// or whose host resolves to an address the outbound guard blocks (private,
// loopback, metadata, unless allowed by --outbound-allow). The guard checks
// again at every delivery, so a name that later resolves elsewhere is
// still refused then. Errors: validation_failed or outbound_blocked, Field
// "target.url".
func (r *Runtime) CheckTargetURL(ctx context.Context, raw string) error {
	return checkTargetURL(ctx, r.out, raw)
}

// failure records a failed event for a trigger and counts it towards the
// health check: after TriggerMaxConsecutiveFailures failures in a row and
// no success for TriggerFailureWindow, the trigger is disabled, once, with
// a history entry and a trigger.disabled event.
func (r *Runtime) failure(ctx context.Context, s junction.Store, t *junction.Trigger, rec junction.TriggerRecord, tl *tally) error {
	now := r.clock.Now()
	rec.TenantID, rec.TriggerID, rec.FolderID, rec.Status, rec.At = t.TenantID, t.ID, t.FolderID, junction.TriggerFailed, now
	if err := s.AppendTriggerRecord(ctx, &rec); err != nil {
		return err
	}
	tl.add(junction.TriggerFailed)
	u, err := s.RecordTriggerResult(ctx, t.TenantID, t.ID, false, now)
	if err != nil {
		return err
	}
	if u.ConsecutiveFailures == junction.TriggerFailingAfter {
		// Once a streak: the count passes this number once.
		if err := s.AppendEvent(ctx, &junction.Event{
			TenantID: t.TenantID, Type: junction.EventTriggerFailing, ObjectType: "trigger", ObjectID: t.ID,
			FolderID: t.FolderID, At: now,
			Details: map[string]any{"reason": rec.Reason, "failures": u.ConsecutiveFailures,
				"connection_id": t.ConnectionID, "object": t.Object, "event": t.Event},
		}); err != nil {
			return err
		}
	}
	if u.ConsecutiveFailures < junction.TriggerMaxConsecutiveFailures {
		return nil
	}
	off, err := s.DisableTriggerForFailures(ctx, t.TenantID, t.ID, junction.TriggerMaxConsecutiveFailures,
		now.Add(-junction.TriggerFailureWindow), now)
	if err != nil || !off {
		return err
	}
	r.logger.LogAttrs(ctx, slog.LevelWarn, "trigger disabled after consecutive failures",
		slog.String("trigger_id", t.ID), slog.Int("failures", u.ConsecutiveFailures))
	reason := fmt.Sprintf("%d consecutive failures and no success for %s; last: %s",
		u.ConsecutiveFailures, junction.TriggerFailureWindow, rec.Reason)
	if err := s.AppendTriggerRecord(ctx, &junction.TriggerRecord{TenantID: t.TenantID, TriggerID: t.ID,
		FolderID: t.FolderID, At: now, Status: junction.TriggerDisabled, Reason: reason}); err != nil {
		return err
	}
	tl.add(junction.TriggerDisabled)
	return s.AppendEvent(ctx, &junction.Event{
		TenantID: t.TenantID, Type: junction.EventTriggerDisabled, ObjectType: "trigger", ObjectID: t.ID,
		FolderID: t.FolderID, At: now,
		Details: map[string]any{"reason": junction.DisabledDueToFailures, "failures": u.ConsecutiveFailures,
			"connection_id": t.ConnectionID, "object": t.Object, "event": t.Event},
	})
}

// success resets a trigger's failure count.
func (r *Runtime) success(ctx context.Context, s junction.Store, t *junction.Trigger) error {
	_, err := s.RecordTriggerResult(ctx, t.TenantID, t.ID, true, r.clock.Now())
	return err
}

// compiled returns the trigger's compiled filter, cached by source.
func (r *Runtime) compiled(src string) (*filter, error) {
	if v, ok := r.filters.Load(src); ok {
		return v.(*filter), nil
	}
	f, err := compileFilter(src)
	if err != nil {
		return nil, err
	}
	r.filters.Store(src, f)
	return f, nil
}

// event is one event to fire triggers with, from a poll or a webhook.
type event struct {
	vars eventVars
	// key identifies the event for idempotency: the same event processed
	// again has the same key.
	key string
	// jobID and at, when set, are the ID and CreatedAt of the job the
	// event makes: a webhook event's own ID (a UUIDv7 made at intake) and
	// receipt time. Events are processed concurrently, in any order; jobs
	// made this way still reach a queue's workers in the order their
	// events were received (JobStore.ClaimJob).
	jobID string
	at    time.Time
	// callerDelivers leaves the first attempt to deliver a job for a
	// webhook target to the caller of fire, which records it (or
	// schedules the retry) in a later transaction, rather than to a
	// delivery job inserted with the job (see txBatcher.fire).
	callerDelivers bool
	// recordRepeat records an event whose key already made a job as
	// duplicate in the history, rather than nothing: a vendor's repeat
	// (webhooks), as opposed to the same event processed again after a
	// crash.
	recordRepeat bool
}

// duplicate records, for an event that asks for it, that it repeated one
// that made the job firstJobID.
func (r *Runtime) duplicate(ctx context.Context, s junction.Store, ev event, rec junction.TriggerRecord, firstJobID string, tl *tally) error {
	if !ev.recordRepeat {
		return nil
	}
	rec.Status, rec.JobID = junction.TriggerDuplicate, firstJobID
	rec.Reason = "a repeat of an event received before: no second job"
	if err := s.AppendTriggerRecord(ctx, &rec); err != nil {
		return err
	}
	tl.add(rec.Status)
	return nil
}

// fire runs one event through one trigger inside the transaction s: the
// filter decides, a match makes the job (once per idempotency key) and, for
// a webhook target, its delivery. It returns the job made, nil when none
// was, and tallies the history it records in tl.
func (r *Runtime) fire(ctx context.Context, s junction.Store, t *junction.Trigger, ev event, tl *tally) (*junction.Job, error) {
	now := r.clock.Now()
	rec := junction.TriggerRecord{TenantID: t.TenantID, TriggerID: t.ID, FolderID: t.FolderID, At: now,
		EventType: ev.vars.VendorType, ObjectID: ev.vars.ObjectID, IdempotencyKey: ev.key}
	if rec.EventType == "" {
		rec.EventType = ev.vars.Event
	}
	f, err := r.compiled(t.Filter)
	if err != nil {
		rec.Status, rec.Reason = junction.TriggerSkipped, "filter does not compile: "+junction.ErrorMessage(err)
		tl.add(rec.Status)
		return nil, s.AppendTriggerRecord(ctx, &rec)
	}
	if ok, why := f.match(ev.vars); !ok {
		// A repeat of an event already handled is not recorded again,
		// but as a repeat.
		if j, err := s.GetJobByKey(ctx, t.TenantID, t.ID, ev.key); err == nil {
			return nil, r.duplicate(ctx, s, ev, rec, j.ID, tl)
		}
		rec.Status, rec.Reason = junction.TriggerSkipped, why
		tl.add(rec.Status)
		return nil, s.AppendTriggerRecord(ctx, &rec)
	}
	created := now
	if !ev.at.IsZero() {
		created = ev.at
	}
	j := &junction.Job{
		ID: ev.jobID, TenantID: t.TenantID, FolderID: t.FolderID, TriggerID: t.ID, ConnectionID: t.ConnectionID,
		Connector: t.Connector, Event: t.Event, ObjectType: t.Object, ObjectID: ev.vars.ObjectID,
		Payload: ev.vars.Payload, Parameters: t.Parameters, IdempotencyKey: ev.key, Target: t.Target.Type,
		Status: junction.JobPending, CreatedAt: created, UpdatedAt: now,
	}
	if t.Target.Type == junction.TargetQueue {
		j.Queue = t.Target.Name
	}
	made, err := s.CreateJob(ctx, j)
	if err != nil {
		return nil, err
	}
	if !made {
		// The database holds the key's job already: this event is a
		// repeat, whichever server or transaction saw it first.
		first := ""
		if ev.recordRepeat {
			if fj, err := s.GetJobByKey(ctx, t.TenantID, t.ID, ev.key); err == nil {
				first = fj.ID
			}
		}
		return nil, r.duplicate(ctx, s, ev, rec, first, tl)
	}
	if t.Target.Type == junction.TargetWebhook && !ev.callerDelivers {
		if _, err := r.queue.InsertTx(ctx, s, deliveryArgs{TenantID: t.TenantID, JobID: j.ID},
			&river.InsertOpts{MaxAttempts: r.attempts}); err != nil {
			return nil, err
		}
	}
	rec.Status, rec.JobID = junction.TriggerFired, j.ID
	if err := s.AppendTriggerRecord(ctx, &rec); err != nil {
		return nil, err
	}
	tl.add(rec.Status)
	return j, nil
}

// definition returns the definition a trigger's events come from: its
// connection's connector at the version the connection uses.
func (r *Runtime) definition(ctx context.Context, t *junction.Trigger) (*connector.Definition, error) {
	return r.connectionDefinition(ctx, t.TenantID, t.Connector, t.ConnectionID)
}

// connectionDefinition returns connector key at the version connection
// connectionID uses. Built-in connectors have one version, so only a
// custom connector costs a read of the connection.
func (r *Runtime) connectionDefinition(ctx context.Context, tenantID, key, connectionID string) (*connector.Definition, error) {
	def, err := r.catalog.Definition(ctx, tenantID, key, "")
	if err != nil || !def.Custom || connectionID == "" {
		return def, err
	}
	c, err := r.store.GetConnection(ctx, tenantID, connectionID)
	if err != nil || c.ConnectorVersion == "" || c.ConnectorVersion == def.Version {
		return def, nil
	}
	return r.catalog.Definition(ctx, tenantID, key, c.ConnectorVersion)
}
