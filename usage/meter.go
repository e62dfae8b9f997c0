// Package usage counts what tenants consume (executions, API calls,
// trigger events, polls, deliveries) in memory, adds it to the database's
// daily rows every few seconds, and holds each tenant's month of API calls
// against its quota.
package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"sync"
	"time"

	"junction"
)

// DefaultFlushInterval is how often counts are written when Options say
// nothing: short enough that a crash loses little and that servers sharing
// a database see each other's API calls soon, long enough that a busy
// server writes one small transaction per interval, not one per execution.
const DefaultFlushInterval = 5 * time.Second

// Options configure a Meter.
type Options struct {
	Store  junction.Store
	Clock  junction.Clock
	Logger *slog.Logger
	// FlushInterval is how often Run writes the counts (default
	// DefaultFlushInterval).
	FlushInterval time.Duration
}

// Meter counts usage. It is safe for concurrent use.
//
// Counting costs a mutex and a map update: nothing is written per
// execution. Run writes the counts every FlushInterval in one transaction
// that adds them to the day's rows, and Close writes what is left. What a
// crash (the process killed, the machine down) loses is what was counted
// since the last flush: at most one FlushInterval of usage. A flush the
// database refuses keeps its counts for the next one.
//
// # Quotas
//
// The month's API calls of a tenant with a quota are the stored total,
// read again at every flush (so it includes what other servers wrote),
// plus what this server counted since. Servers sharing a database each
// see the others' calls only after their flush, so together they may
// overshoot a quota by what they count in one FlushInterval.
type Meter struct {
	store    junction.Store
	clock    junction.Clock
	logger   *slog.Logger
	interval time.Duration

	mu sync.Mutex
	// pending are the counts not written yet, by scope and day.
	pending map[dayScope]*junction.UsageCounts
	// day and dayEnd cache the current UTC day's key: formatting it for
	// every count would cost more than the count.
	day              string
	dayStart, dayEnd time.Time
	months           map[string]*month // by tenant
	quotas           map[string]junction.Quotas
	// quotasLoaded is set once the quotas were read from the store.
	quotasLoaded bool
	// told are the thresholds this server knows are told already.
	told map[threshold]bool

	flushMu sync.Mutex
	stop    context.CancelFunc
	done    chan struct{}
}

type dayScope struct {
	junction.UsageScope
	day string
}

// month is a tenant's API calls in one UTC month: stored as last read,
// plus pending, counted here and not yet written.
type month struct {
	name            string // 2006-01
	stored, pending int64
	loaded          bool
}

type threshold struct {
	tenant, month string
	percent       int
}

// New returns a Meter. Start its flushes with Run.
func New(opts Options) *Meter {
	m := &Meter{store: opts.Store, clock: opts.Clock, logger: opts.Logger, interval: opts.FlushInterval,
		pending: map[dayScope]*junction.UsageCounts{}, months: map[string]*month{},
		quotas: map[string]junction.Quotas{}, told: map[threshold]bool{}}
	if m.clock == nil {
		m.clock = junction.SystemClock{}
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.interval <= 0 {
		m.interval = DefaultFlushInterval
	}
	return m
}

// Count adds n to the scope's counts of today (UTC).
func (m *Meter) Count(scope junction.UsageScope, n junction.UsageCounts) {
	now := m.clock.Now()
	m.mu.Lock()
	day := m.dayOf(now)
	k := dayScope{UsageScope: scope, day: day}
	c := m.pending[k]
	if c == nil {
		c = &junction.UsageCounts{}
		m.pending[k] = c
	}
	c.Add(n)
	if n.APICalls != 0 {
		m.monthOf(scope.TenantID, day[:7]).pending += n.APICalls
	}
	m.mu.Unlock()
}

// dayOf returns t's UTC day key. Called with mu held.
func (m *Meter) dayOf(t time.Time) string {
	if t.Before(m.dayEnd) && !t.Before(m.dayStart) {
		return m.day
	}
	u := t.UTC()
	start := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	m.day, m.dayStart, m.dayEnd = start.Format(junction.UsageDay), start, start.AddDate(0, 0, 1)
	return m.day
}

// monthOf returns the tenant's month named name, starting it afresh when
// the one held is another. Called with mu held.
func (m *Meter) monthOf(tenantID, name string) *month {
	mo := m.months[tenantID]
	if mo == nil || mo.name != name {
		mo = &month{name: name}
		m.months[tenantID] = mo
	}
	return mo
}

// Run flushes every FlushInterval until Close.
func (m *Meter) Run(ctx context.Context) {
	ctx, m.stop = context.WithCancel(ctx)
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(m.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := m.Flush(ctx); err != nil && ctx.Err() == nil {
					m.logger.LogAttrs(ctx, slog.LevelWarn, "write usage counts; kept for the next flush", slog.Any("error", err))
				}
			}
		}
	}()
}

// Close stops Run and writes the counts still in memory.
func (m *Meter) Close(ctx context.Context) error {
	if m.stop != nil {
		m.stop()
		<-m.done
		m.stop = nil
	}
	return m.Flush(ctx)
}

// Flush writes the counts made so far in one transaction, then reads
// again the quotas and, for tenants with an API-call quota, the month's
// stored total, and tells the thresholds crossed. Counts the database
// refuses stay in memory for the next flush.
func (m *Meter) Flush(ctx context.Context) error {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	batch := m.pending
	m.pending = make(map[dayScope]*junction.UsageCounts, len(batch))
	m.mu.Unlock()

	recs := make([]junction.UsageRecord, 0, len(batch))
	calls := map[threshold]int64{} // API calls written, by tenant and month
	for k, c := range batch {
		recs = append(recs, junction.UsageRecord{UsageScope: k.UsageScope, Day: k.day, UsageCounts: *c})
		if c.APICalls != 0 {
			calls[threshold{tenant: k.TenantID, month: k.day[:7]}] += c.APICalls
		}
	}
	if err := m.store.AddUsage(ctx, recs); err != nil {
		m.mu.Lock()
		for k, c := range batch {
			if p := m.pending[k]; p != nil {
				p.Add(*c)
			} else {
				m.pending[k] = c
			}
		}
		m.mu.Unlock()
		return fmt.Errorf("add usage: %w", err)
	}
	m.mu.Lock()
	for k, n := range calls {
		if mo := m.months[k.tenant]; mo != nil && mo.name == k.month {
			mo.pending -= n
			if mo.loaded {
				// Until it is read again below; the read includes it.
				mo.stored += n
			}
		}
	}
	m.mu.Unlock()
	quotas, err := m.store.ListQuotas(ctx)
	if err != nil {
		return fmt.Errorf("read quotas: %w", err)
	}
	m.mu.Lock()
	// A copy: SetQuotas changes the meter's map while this goes on to
	// read its own.
	m.quotas, m.quotasLoaded = maps.Clone(quotas), true
	if m.quotas == nil {
		m.quotas = map[string]junction.Quotas{}
	}
	m.mu.Unlock()
	var errs []error
	for tenantID, q := range quotas {
		if q.APICallsPerMonth == nil {
			continue
		}
		if err := m.refreshMonth(ctx, tenantID, m.clock.Now()); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.tellThresholds(ctx, tenantID, *q.APICallsPerMonth); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// refreshMonth reads the tenant's stored API calls of now's month.
func (m *Meter) refreshMonth(ctx context.Context, tenantID string, now time.Time) error {
	start := junction.MonthStart(now)
	rows, err := m.store.SumUsage(ctx, tenantID, junction.UsageFilter{
		From: start.Format(junction.UsageDay), To: start.AddDate(0, 1, 0).Format(junction.UsageDay)})
	if err != nil {
		return fmt.Errorf("read the month's usage: %w", err)
	}
	var stored int64
	if len(rows) == 1 {
		stored = rows[0].APICalls
	}
	m.mu.Lock()
	mo := m.monthOf(tenantID, start.Format("2006-01"))
	mo.stored, mo.loaded = stored, true
	m.mu.Unlock()
	return nil
}

// MonthAPICalls returns the tenant's API calls of the current UTC month:
// stored plus counted here since the last flush.
func (m *Meter) MonthAPICalls(ctx context.Context, tenantID string) (int64, error) {
	now := m.clock.Now()
	name := junction.MonthStart(now).Format("2006-01")
	m.mu.Lock()
	mo := m.monthOf(tenantID, name)
	loaded := mo.loaded
	m.mu.Unlock()
	if !loaded {
		if err := m.refreshMonth(ctx, tenantID, now); err != nil {
			return 0, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mo = m.monthOf(tenantID, name)
	return mo.stored + mo.pending, nil
}

// Quotas returns the tenant's quotas as last read.
func (m *Meter) Quotas(ctx context.Context, tenantID string) (junction.Quotas, error) {
	m.mu.Lock()
	loaded := m.quotasLoaded
	m.mu.Unlock()
	if !loaded {
		qs, err := m.store.ListQuotas(ctx)
		if err != nil {
			return junction.Quotas{}, fmt.Errorf("read quotas: %w", err)
		}
		m.mu.Lock()
		if !m.quotasLoaded {
			m.quotas, m.quotasLoaded = qs, true
		}
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.quotas[tenantID], nil
}

// SetQuotas makes a tenant's new quotas count at once on this server;
// others read them at their next flush.
func (m *Meter) SetQuotas(tenantID string, q junction.Quotas) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.quotas == nil || !m.quotasLoaded {
		return // read whole at the next use
	}
	m.quotas[tenantID] = q
}

// CheckAPICalls returns quota_exceeded (429) when the tenant has made its
// month's API calls, with details.retry_after_seconds until the month
// ends; nil when it may make more or has no such quota.
func (m *Meter) CheckAPICalls(ctx context.Context, tenantID string) error {
	q, err := m.Quotas(ctx, tenantID)
	if err != nil || q.APICallsPerMonth == nil {
		return err
	}
	used, err := m.MonthAPICalls(ctx, tenantID)
	if err != nil {
		return err
	}
	limit := *q.APICallsPerMonth
	if used < limit {
		return nil
	}
	now := m.clock.Now()
	reset := junction.MonthStart(now).AddDate(0, 1, 0)
	return &junction.Error{Code: junction.EQUOTAEXCEEDED,
		Message: fmt.Sprintf("the tenant made %d API calls this month, its quota is %d: executions are refused until %s, "+
			"unless a host administrator raises the quota", used, limit, reset.Format(time.RFC3339)),
		Details: map[string]any{"quota": "api_calls_per_month", "limit": limit, "used": used,
			"resets_at": reset.Format(time.RFC3339), "retry_after_seconds": int64(math.Ceil(reset.Sub(now).Seconds()))}}
}

// tellThresholds appends a quota.threshold event for each threshold the
// tenant's month has crossed, once per threshold and month across every
// server (ClaimQuotaThreshold decides in the event's transaction).
func (m *Meter) tellThresholds(ctx context.Context, tenantID string, limit int64) error {
	if limit <= 0 {
		return nil // nothing is allowed; there is nothing to warn about
	}
	used, err := m.MonthAPICalls(ctx, tenantID)
	if err != nil {
		return err
	}
	now := m.clock.Now()
	name := junction.MonthStart(now).Format("2006-01")
	for _, p := range junction.QuotaThresholds {
		k := threshold{tenant: tenantID, month: name, percent: p}
		m.mu.Lock()
		told := m.told[k]
		m.mu.Unlock()
		if told || used*100 < limit*int64(p) {
			continue
		}
		err := m.store.InTx(ctx, func(tx junction.Store) error {
			first, err := tx.ClaimQuotaThreshold(ctx, tenantID, name, p)
			if err != nil || !first {
				return err
			}
			return tx.AppendEvent(ctx, &junction.Event{ID: junction.NewID(), TenantID: tenantID,
				Type: junction.EventQuotaThreshold, ObjectType: "tenant", ObjectID: tenantID, At: now,
				Details: map[string]any{"percent": p, "used": used, "limit": limit, "month": name, "quota": "api_calls_per_month"}})
		})
		if err != nil {
			return fmt.Errorf("tell quota threshold: %w", err)
		}
		m.mu.Lock()
		m.told[k] = true
		m.mu.Unlock()
	}
	return nil
}
