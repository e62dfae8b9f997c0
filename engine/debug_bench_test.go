package engine_test

import (
	"testing"
	"time"

	"junction/engine"
)

// BenchmarkExecuteDebug is BenchmarkExecuteHTTPRequest with the
// connection's debug logging on: what keeping and masking each request
// and response costs.
func BenchmarkExecuteDebug(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	api := newKeyedAPI(b, "bench-key")
	f.trust(api.srv)
	conn := assetKeyConnection(b, f, api, "bench-key")
	until := f.clock.Now().Add(time.Hour)
	conn.DebugUntil = &until
	req := itemsRequest(conn)
	if _, err := f.eng.Execute(f.ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := f.eng.Execute(f.ctx, req)
		if err != nil || res.Status != engine.StatusSucceeded {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := f.eng.Flush(f.ctx); err != nil {
		b.Fatal(err)
	}
}
