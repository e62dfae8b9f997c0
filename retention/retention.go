// Package retention removes what each tenant keeps no longer: executions,
// trigger history, audit entries and ended jobs past the tenant's
// retention (junction.Retention). It deletes in small batches, each its
// own short statement, so the writers that queue behind a batch wait for
// one batch, never for the whole sweep.
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/queue"
)

// Defaults.
const (
	// DefaultBatch is how many rows one delete removes.
	DefaultBatch = 500
	// DefaultEvery is how often the elected leader sweeps.
	DefaultEvery = time.Hour
	// KindPrune is the periodic sweep's job kind.
	KindPrune = "retention_prune"
)

// Options configure a Pruner.
type Options struct {
	Store  junction.Store
	Clock  junction.Clock
	Logger *slog.Logger
	// Batch is the most rows one statement deletes (DefaultBatch when 0).
	Batch int
}

// Pruner sweeps every tenant. It is safe for concurrent use, though one
// sweep at a time (the leader's periodic job) is what it is for.
type Pruner struct {
	store  junction.Store
	clock  junction.Clock
	logger *slog.Logger
	batch  int
}

// New returns a Pruner.
func New(opts Options) *Pruner {
	p := &Pruner{store: opts.Store, clock: opts.Clock, logger: opts.Logger, batch: opts.Batch}
	if p.clock == nil {
		p.clock = junction.SystemClock{}
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if p.batch <= 0 {
		p.batch = DefaultBatch
	}
	return p
}

// Result counts what one sweep removed.
type Result struct {
	Executions, TriggerRecords, Audit, Jobs, Notifications int
}

// Register schedules the sweep every DefaultEvery on q, run by the elected
// leader only.
func (p *Pruner) Register(q *queue.Queue) {
	river.AddWorker(q.Workers(), &pruneWorker{p: p})
	q.AddPeriodic(river.NewPeriodicJob(river.PeriodicInterval(DefaultEvery),
		func() (river.JobArgs, *river.InsertOpts) { return pruneArgs{}, nil },
		&river.PeriodicJobOpts{ID: KindPrune, RunOnStart: true}))
}

// Prune sweeps every tenant once and returns what it removed.
func (p *Pruner) Prune(ctx context.Context) (Result, error) {
	var total Result
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		ts, err := p.store.ListTenants(ctx, page)
		if err != nil {
			return total, err
		}
		for _, t := range ts {
			r, err := p.PruneTenant(ctx, t.ID)
			total.add(r)
			if err != nil {
				return total, err
			}
		}
		if len(ts) < page.Limit {
			return total, nil
		}
		page.After = ts[len(ts)-1].ID
	}
}

func (r *Result) add(o Result) {
	r.Executions += o.Executions
	r.TriggerRecords += o.TriggerRecords
	r.Audit += o.Audit
	r.Jobs += o.Jobs
	r.Notifications += o.Notifications
}

// PruneTenant removes the tenant's records past its retention, batch by
// batch. Notifications go with the executions' retention.
func (p *Pruner) PruneTenant(ctx context.Context, tenantID string) (Result, error) {
	s, err := p.store.GetTenantSettings(ctx, tenantID)
	if err != nil {
		return Result{}, err
	}
	ret := s.Retention.WithDefaults()
	now := p.clock.Now()
	before := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	var r Result
	for _, k := range []struct {
		n     *int
		days  int
		prune func(context.Context, string, time.Time, int) (int, error)
	}{
		{&r.Executions, ret.ExecutionsDays, p.store.PruneExecutions},
		{&r.TriggerRecords, ret.TriggerHistoryDays, p.store.PruneTriggerRecords},
		{&r.Audit, ret.AuditDays, p.store.PruneAudit},
		{&r.Jobs, ret.JobsDays, p.store.PruneJobs},
		{&r.Notifications, ret.ExecutionsDays, p.store.PruneNotifications},
	} {
		cutoff := before(k.days)
		for {
			if err := ctx.Err(); err != nil {
				return r, err
			}
			n, err := k.prune(ctx, tenantID, cutoff, p.batch)
			*k.n += n
			if err != nil {
				return r, err
			}
			if n < p.batch {
				break
			}
		}
	}
	if r != (Result{}) {
		p.logger.LogAttrs(ctx, slog.LevelInfo, "removed records past their retention", slog.String("tenant_id", tenantID),
			slog.Int("executions", r.Executions), slog.Int("trigger_history", r.TriggerRecords),
			slog.Int("audit", r.Audit), slog.Int("jobs", r.Jobs), slog.Int("notifications", r.Notifications))
	}
	return r, nil
}

type pruneArgs struct{}

func (pruneArgs) Kind() string { return KindPrune }

// InsertOpts: a sweep that fails is done by the next one.
func (pruneArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	p *Pruner
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	_, err := w.p.Prune(ctx)
	return err
}

// Timeout: a sweep of a large backlog takes many batches; the next
// sweep goes on where this one stopped.
func (w *pruneWorker) Timeout(*river.Job[pruneArgs]) time.Duration { return 30 * time.Minute }
