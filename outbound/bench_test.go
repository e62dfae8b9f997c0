package outbound_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"junction/outbound"
)

// The pair below measures what the client adds (guard, per-attempt context,
// header handling, capped read) over a plain http.Client on the same
// loopback server.

const benchBody = `{"id":"c_123","name":"example","items":[1,2,3,4,5,6,7,8]}`

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkDoLoopback(b *testing.B) {
	srv := benchServer(b)
	c, _ := MustNew(b, outbound.Options{Allow: loopback})
	ctx := context.Background()
	req := mustRequest(b, "GET", srv.URL+"/v1/items", nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(ctx, req, outbound.RequestOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Body) != len(benchBody) {
			b.Fatalf("body %d bytes", len(resp.Body))
		}
	}
}

func BenchmarkDirectLoopback(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.Cleanup(client.CloseIdleConnections)
	ctx := context.Background()
	req := mustRequest(b, "GET", srv.URL+"/v1/items", nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		if len(body) != len(benchBody) {
			b.Fatalf("body %d bytes", len(body))
		}
	}
}
