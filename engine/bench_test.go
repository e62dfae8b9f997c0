package engine_test

import (
	"io"
	"net/http"
	"testing"

	"junction/engine"
)

// BenchmarkExecuteHTTPRequest measures one http_request execution with the
// API key from a vault-backed asset already in the resolver's cache, against
// a loopback TLS upstream: credential materialisation, request building, the
// outbound client's checks and the queued execution record. Compare with
// BenchmarkDirectUpstream for the engine's overhead.
func BenchmarkExecuteHTTPRequest(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	api := newKeyedAPI(b, "bench-key")
	f.trust(api.srv)
	conn := assetKeyConnection(b, f, api, "bench-key")
	req := itemsRequest(conn)
	if _, err := f.eng.Execute(f.ctx, req); err != nil { // warm the cache
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

// BenchmarkDirectUpstream sends the same request with a plain http.Client.
func BenchmarkDirectUpstream(b *testing.B) {
	api := newKeyedAPI(b, "bench-key")
	hc := api.srv.Client()
	url := api.srv.URL + "/v1/items?q=open"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-API-Key", "bench-key")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}
