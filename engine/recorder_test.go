package engine_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"junction"
	"junction/engine"
)

func TestExecutionRecords(t *testing.T) {
	t.Run("WrittenInBatchesAndOnClose", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		f := newFixture(t, fixtureOptions{engine: func(o *engine.Options) {
			o.RecordBatchSize = 4
			o.RecordFlushInterval = time.Hour // only full batches and Close write
			o.Registerer = reg
		}})
		api := newKeyedAPI(t, "k")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, "k")
		ids := map[string]bool{}
		for range 6 {
			res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
			if err != nil {
				t.Fatal(err)
			}
			ids[res.ExecutionID] = true
		}
		if err := f.eng.Close(); err != nil {
			t.Fatal(err)
		}
		list, err := f.store.ListExecutions(f.ctx, f.tenant.ID, junction.ExecutionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 6 {
			t.Fatalf("%d records after Close, want 6", len(list))
		}
		for _, e := range list {
			if !ids[e.ID] {
				t.Fatalf("unexpected record %+v", e)
			}
		}
		// After Close, executions still run but are not recorded.
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
			t.Fatal(err)
		}
		if n := counterValue(t, reg, "junction_execution_records_dropped_total"); n != 1 {
			t.Fatalf("dropped %v", n)
		}
		got, err := testutil.GatherAndCount(reg, "junction_executions_total", "junction_execution_duration_seconds")
		if err != nil || got != 2 {
			t.Fatalf("%d series, %v", got, err)
		}
	})

	t.Run("SlowDatabaseLosesNothing", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		store := &slowStore{Store: openStores(t, 1)[0], latency: 2 * time.Millisecond}
		f := newFixture(t, fixtureOptions{store: store, engine: func(o *engine.Options) {
			// A queue of one and batches of two: most executions wait for
			// room while the database writes.
			o.RecordQueueSize = 1
			o.RecordBatchSize = 2
			o.RecordFlushInterval = time.Hour
			o.Registerer = reg
		}})
		api := newKeyedAPI(t, "k")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, "k")
		const n = 40
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = res.ExecutionID
			})
		}
		wg.Wait()
		if err := f.eng.Close(); err != nil {
			t.Fatal(err)
		}
		wantRecords(t, f, ids)
		if n := counterValue(t, reg, "junction_execution_records_dropped_total"); n != 0 {
			t.Fatalf("dropped %v", n)
		}
	})

	t.Run("RefusedRecordCostsOnlyItself", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		f := newFixture(t, fixtureOptions{engine: func(o *engine.Options) {
			o.RecordBatchSize = 4
			o.RecordFlushInterval = time.Hour
			o.Registerer = reg
		}})
		api := newKeyedAPI(t, "k")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, "k")
		var ids []string
		for range 3 {
			res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.ExecutionID)
		}
		// A record of a tenant the database does not know breaks the
		// batch's foreign key.
		orphan := *conn
		orphan.TenantID = junction.NewID()
		if _, err := f.eng.Execute(f.ctx, itemsRequest(&orphan)); err == nil {
			t.Fatal("execution in an unknown tenant succeeded")
		}
		if err := f.eng.Close(); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatal(err)
		}
		wantRecords(t, f, ids)
		if n := counterValue(t, reg, "junction_execution_records_dropped_total"); n != 1 {
			t.Fatalf("dropped %v, want 1", n)
		}
		if n := counterValue(t, reg, "junction_execution_record_flush_errors_total"); n != 1 {
			t.Fatalf("refused batches %v, want 1", n)
		}
	})

	t.Run("TransientErrorsRetried", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		store := &flakyStore{Store: openStores(t, 1)[0]}
		store.failOne.Store(2)
		f := newFixture(t, fixtureOptions{store: store, engine: func(o *engine.Options) {
			o.RecordBatchSize = 3
			o.RecordFlushInterval = time.Hour
			o.Registerer = reg
		}})
		api := newKeyedAPI(t, "k")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, "k")
		var ids []string
		for range 3 {
			res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.ExecutionID)
		}
		if err := f.eng.Close(); err != nil {
			t.Fatal(err)
		}
		wantRecords(t, f, ids)
		if n := counterValue(t, reg, "junction_execution_records_dropped_total"); n != 0 {
			t.Fatalf("dropped %v", n)
		}
		if store.failOne.Load() != 0 {
			t.Fatal("the single-record writes never failed")
		}
	})

	t.Run("CallerGivesUpWhileQueueFull", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		store := &gatedStore{Store: openStores(t, 1)[0], gate: make(chan struct{})}
		f := newFixture(t, fixtureOptions{store: store, engine: func(o *engine.Options) {
			o.RecordQueueSize = 1
			o.RecordBatchSize = 1
			o.RecordFlushInterval = time.Hour
			o.Registerer = reg
		}})
		var release sync.Once
		t.Cleanup(func() { release.Do(func() { close(store.gate) }) }) // before the engine's Close
		api := newKeyedAPI(t, "k")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, "k")
		// The first record is taken and its write held at the gate; the
		// second fills the queue.
		var ids []string
		for range 2 {
			res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.ExecutionID)
		}
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		// The cancelled execution fails, and its record finds no room.
		_, _ = f.eng.Execute(ctx, itemsRequest(conn))
		if n := counterValue(t, reg, "junction_execution_records_dropped_total"); n != 1 {
			t.Fatalf("dropped %v, want 1", n)
		}
		release.Do(func() { close(store.gate) })
		if err := f.eng.Close(); err != nil {
			t.Fatal(err)
		}
		wantRecords(t, f, ids)
	})

	t.Run("Metrics", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		f := newFixture(t, fixtureOptions{engine: func(o *engine.Options) { o.Registerer = reg }})
		api := newKeyedAPI(t, "k")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, "k")
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
			t.Fatal(err)
		}
		_, _ = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request", Input: map[string]any{"path": "/missing"}})
		_, _ = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "made_up_name"})
		want := map[[3]string]float64{
			{"http", "http_request", "succeeded"}:      1,
			{"http", "http_request", "provider_error"}: 1,
			{"http", "unknown", "not_found"}:           1,
		}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, mf := range families {
			if mf.GetName() != "junction_executions_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				var k [3]string
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "connector":
						k[0] = l.GetValue()
					case "activity":
						k[1] = l.GetValue()
					case "outcome":
						k[2] = l.GetValue()
					}
				}
				if want[k] != m.GetCounter().GetValue() {
					t.Fatalf("series %v = %v", k, m.GetCounter().GetValue())
				}
				seen++
			}
		}
		if seen != len(want) {
			t.Fatalf("%d series, want %d", seen, len(want))
		}
	})
}

// counterValue reads an unlabelled counter from the registry.
func counterValue(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// wantRecords checks that the tenant's execution records are those of ids.
func wantRecords(t *testing.T, f *fixture, ids []string) {
	t.Helper()
	list, err := f.store.ListExecutions(f.ctx, f.tenant.ID, junction.ExecutionFilter{Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range list {
		got[e.ID] = true
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("execution %s not recorded", id)
		}
	}
	if len(list) != len(ids) {
		t.Fatalf("%d records, want %d", len(list), len(ids))
	}
}

// slowStore is a database that takes longer to write execution records.
type slowStore struct {
	junction.Store
	latency time.Duration
}

func (s *slowStore) AppendExecutions(ctx context.Context, es []*junction.Execution) error {
	time.Sleep(s.latency)
	return s.Store.AppendExecutions(ctx, es)
}

func (s *slowStore) AppendExecution(ctx context.Context, e *junction.Execution) error {
	time.Sleep(s.latency)
	return s.Store.AppendExecution(ctx, e)
}

// flakyStore is a database that fails every batch of execution records
// and the first failOne single records, as one that is briefly locked or
// unreachable does.
type flakyStore struct {
	junction.Store
	failOne atomic.Int32
}

var errDatabaseBusy = junction.Internal(errors.New("database is locked"))

func (s *flakyStore) AppendExecutions(context.Context, []*junction.Execution) error {
	return errDatabaseBusy
}

func (s *flakyStore) AppendExecution(ctx context.Context, e *junction.Execution) error {
	if s.failOne.Add(-1) >= 0 {
		return errDatabaseBusy
	}
	s.failOne.Store(0)
	return s.Store.AppendExecution(ctx, e)
}

// gatedStore holds every batch of execution records until gate is closed.
type gatedStore struct {
	junction.Store
	gate chan struct{}
}

func (s *gatedStore) AppendExecutions(ctx context.Context, es []*junction.Execution) error {
	<-s.gate
	return s.Store.AppendExecutions(ctx, es)
}
