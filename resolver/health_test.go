package resolver_test

import (
	"context"
	"testing"
	"time"
)

// TestStoreHealth: what the server saw of a store's reads, from memory:
// nothing before any read, unreachable since the first failed one, and
// answered once it answers again.
func TestStoreHealth(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	id := f.asset.StoreID
	if h := f.res.StoreHealth(id); !h.UnreachableSince.IsZero() || !h.AnsweredAt.IsZero() {
		t.Fatalf("before any read %+v", h)
	}
	f.vault.Stop()
	failedAt := f.clock.Now()
	if _, err := f.res.Resolve(ctx, f.asset); err == nil {
		t.Fatal("resolved from a stopped vault")
	}
	f.clock.Advance(time.Minute)
	_, _ = f.res.Resolve(ctx, f.asset)
	if h := f.res.StoreHealth(id); !h.UnreachableSince.Equal(failedAt) || !h.AnsweredAt.IsZero() {
		t.Fatalf("unreachable %+v, want since %s", h, failedAt)
	}
	if err := f.vault.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.res.Resolve(ctx, f.asset); err != nil {
		t.Fatal(err)
	}
	if h := f.res.StoreHealth(id); !h.UnreachableSince.IsZero() || !h.AnsweredAt.Equal(f.clock.Now()) {
		t.Fatalf("after recovery %+v", h)
	}
}
