package outbound_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"junction/outbound"
)

// Wait is the pause an API asks for with Retry-After outside of a failure
// (a 202 while it works): what it names, capped, and backoff without it.
func TestWait(t *testing.T) {
	c, rec := MustNew(t, outbound.Options{Allow: loopback, MaxRetryAfter: 10 * time.Second})
	for _, h := range []string{"3", "600", ""} {
		if err := c.Wait(context.Background(), http.Header{"Retry-After": {h}}, 1); err != nil {
			t.Fatal(err)
		}
	}
	got := rec.Delays()
	if len(got) != 3 || got[0] != 3*time.Second || got[1] != 10*time.Second || got[2] <= 0 || got[2] > 10*time.Second {
		t.Errorf("waits %v, want 3s, the 10s cap, and a backoff", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx, http.Header{"Retry-After": {"1"}}, 1); err == nil {
		t.Error("a wait with its context done went on")
	}
}
