package engine_test

import (
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
