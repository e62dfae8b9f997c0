package secretcache_test

import (
	"context"
	"testing"
	"time"
)

// A value the store says is valid for less than the cache's hour is kept
// for less: read again a little before its lease runs out, never after,
// and a lease longer than the hour changes nothing.
func TestGet_LeaseShorterThanTTL(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		validFor  time.Duration
		stillHit  time.Duration // the last moment served from the cache
		refetched time.Duration // the first moment read again
	}{
		{"TenMinutes", 10 * time.Minute, 9*time.Minute + 30*time.Second - time.Nanosecond, 9*time.Minute + 30*time.Second},
		{"OneMinute", time.Minute, 54*time.Second - time.Nanosecond, 54 * time.Second},
		{"LongerThanTTL", 32 * 24 * time.Hour, time.Hour - time.Nanosecond, time.Hour},
		{"Unsaid", 0, time.Hour - time.Nanosecond, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			c := mustCache(t, clock)
			v := secretA
			v.ValidFor = tc.validFor
			fetch, n := countingFetch(v)
			if _, err := c.Get(ctx, "k", fetch); err != nil {
				t.Fatal(err)
			}
			clock.Set(start.Add(tc.stillHit))
			if _, err := c.Get(ctx, "k", fetch); err != nil || n.Load() != 1 {
				t.Fatalf("at %s: %d fetches, err %v; want the cached value", tc.stillHit, n.Load(), err)
			}
			clock.Set(start.Add(tc.refetched))
			if _, err := c.Get(ctx, "k", fetch); err != nil || n.Load() != 2 {
				t.Fatalf("at %s: %d fetches, err %v; want a second read", tc.refetched, n.Load(), err)
			}
		})
	}

}
