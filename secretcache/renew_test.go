package secretcache_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/secretcache"
)

// leasedFetch returns the values in turn (the last one again once they run
// out), each valid for validFor and holding lease "L<n>", and counts calls;
// fail makes it return an error instead.
type leasedFetch struct {
	validFor time.Duration
	values   []junction.StoredSecret
	n        atomic.Int64
	fail     atomic.Bool
}

func (f *leasedFetch) fetch(context.Context) (junction.StoredSecret, error) {
	n := f.n.Add(1)
	if f.fail.Load() {
		return junction.StoredSecret{}, junction.Errorf(junction.ECREDSTOREUNAVAILABLE, "credential store %q is unavailable", "vault-prod")
	}
	v := f.values[min(int(n)-1, len(f.values)-1)]
	v.ValidFor = f.validFor
	v.Lease = "L" + string(rune('0'+n))
	return v, nil
}

type releases struct {
	mu   sync.Mutex
	list []string
}

func (r *releases) release(_ context.Context, key, lease string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, key+"="+lease)
	return nil
}

func (r *releases) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

func leaseCache(t *testing.T, clock junction.Clock, rel *releases, log *bytes.Buffer) *secretcache.Cache {
	t.Helper()
	opts := secretcache.Options{Clock: clock, TTL: time.Hour, Release: rel.release}
	if log != nil {
		opts.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	c, err := secretcache.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A 10-minute lease lives 9m30s in the cache; a used value is read again in
// the background 57s (a tenth) before that, so the caller at 9m30s is
// answered from memory with the new value.
func TestRenewLeases_UsedValueRenewedBeforeExpiry(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	start := clock.Now()
	c := leaseCache(t, clock, &releases{}, nil)
	f := &leasedFetch{validFor: 10 * time.Minute, values: []junction.StoredSecret{secretA, secretB}}

	if _, err := c.Get(ctx, "k", f.fetch); err != nil {
		t.Fatal(err)
	}
	renewAt := start.Add(9*time.Minute + 30*time.Second - 57*time.Second)
	clock.Set(renewAt.Add(-time.Nanosecond))
	c.RenewLeases(ctx)
	if f.n.Load() != 1 {
		t.Fatalf("renewed %d times before it was due", f.n.Load()-1)
	}
	clock.Set(renewAt)
	c.RenewLeases(ctx)
	if f.n.Load() != 2 {
		t.Fatalf("%d fetches at the renewal time, want 2", f.n.Load())
	}
	c.RenewLeases(ctx) // nothing more is due
	clock.Set(start.Add(9*time.Minute + 30*time.Second))
	v, err := c.Get(ctx, "k", f.fetch)
	if err != nil || f.n.Load() != 2 || !sameSecret(v, secretB) {
		t.Fatalf("at the old expiry: %d fetches, err %v, renewed value %t; want the renewed value from memory", f.n.Load(), err, sameSecret(v, secretB))
	}
	if s := c.Stats(); s.Renewed != 1 || s.Misses != 1 {
		t.Fatalf("stats = %+v, want one renewal and one miss", s)
	}
}

// A renewed value nobody asks for is not renewed again: it expires, and the
// next caller reads the vault.
func TestRenewLeases_UnusedValueExpires(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	c := leaseCache(t, clock, &releases{}, nil)
	f := &leasedFetch{validFor: 10 * time.Minute, values: []junction.StoredSecret{secretA}}
	if _, err := c.Get(ctx, "k", f.fetch); err != nil {
		t.Fatal(err)
	}
	for range 40 { // 20 minutes in 30-second steps: renewed at 9m, expiring at 18m30s
		clock.Advance(30 * time.Second)
		c.RenewLeases(ctx)
	}
	if f.n.Load() != 2 {
		t.Fatalf("%d fetches; want the first and one renewal, then nothing for an unused value", f.n.Load())
	}
	if _, err := c.Get(ctx, "k", f.fetch); err != nil || f.n.Load() != 3 {
		t.Fatalf("%d fetches, err %v; want a read after the unused value expired", f.n.Load(), err)
	}
}

// Values without a lease shorter than the TTL are never read in the
// background: the hour alone bounds them.
func TestRenewLeases_OnlyLeasedEntries(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	c := leaseCache(t, clock, &releases{}, nil)
	for _, validFor := range []time.Duration{0, 2 * time.Hour} {
		f := &leasedFetch{validFor: validFor, values: []junction.StoredSecret{secretA}}
		key := "k" + validFor.String()
		if _, err := c.Get(ctx, key, f.fetch); err != nil {
			t.Fatal(err)
		}
		clock.Advance(59 * time.Minute)
		if _, err := c.Get(ctx, key, f.fetch); err != nil {
			t.Fatal(err)
		}
		c.RenewLeases(ctx)
		if f.n.Load() != 1 {
			t.Fatalf("valid for %s: %d fetches, want 1", validFor, f.n.Load())
		}
	}
}

// A renewal that fails keeps the old value until its own expiry, tries again
// a little later, and logs the store's error without the secret.
func TestRenewLeases_FailureKeepsOldValue(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	start := clock.Now()
	var log bytes.Buffer
	c := leaseCache(t, clock, &releases{}, &log)
	f := &leasedFetch{validFor: 10 * time.Minute, values: []junction.StoredSecret{secretA, secretB}}
	if _, err := c.Get(ctx, "k", f.fetch); err != nil {
		t.Fatal(err)
	}
	f.fail.Store(true)
	clock.Set(start.Add(8*time.Minute + 33*time.Second))
	c.RenewLeases(ctx)
	c.RenewLeases(ctx) // the retry is not due yet
	if f.n.Load() != 2 {
		t.Fatalf("%d fetches, want one failed renewal", f.n.Load())
	}
	v, err := c.Get(ctx, "k", f.fetch)
	if err != nil || !sameSecret(v, secretA) || f.n.Load() != 2 {
		t.Fatalf("after a failed renewal: err %v, old value %t; want the old value from memory", err, sameSecret(v, secretA))
	}
	f.fail.Store(false)
	clock.Advance(10 * time.Second)
	c.RenewLeases(ctx)
	if v, _ := c.Get(ctx, "k", f.fetch); f.n.Load() != 3 || !sameSecret(v, secretB) {
		t.Fatalf("%d fetches; want the retry to succeed and be served", f.n.Load())
	}
	out := log.String()
	if !strings.Contains(out, "could not renew") || strings.Contains(out, secretA.Value.Reveal()) || strings.Contains(out, secretA.Username) {
		t.Fatalf("log = %q; want the failure logged without the secret", out)
	}
	if c.Stats().Errors != 1 {
		t.Fatalf("stats = %+v", c.Stats())
	}
}

// What a value holds in its store is released when the value is replaced
// by a renewal, dropped by Invalidate, or expires.
func TestRenewLeases_ReleasesHeldLeases(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	rel := &releases{}
	c := leaseCache(t, clock, rel, nil)
	f := &leasedFetch{validFor: 5 * time.Minute, values: []junction.StoredSecret{secretA}}

	if _, err := c.Get(ctx, "k", f.fetch); err != nil { // holds L1
		t.Fatal(err)
	}
	clock.Advance(4*time.Minute + 30*time.Second - 27*time.Second) // renewal due
	c.RenewLeases(ctx)                                             // L2 replaces L1
	if got := rel.got(); !slices.Equal(got, []string{"k=L1"}) {
		t.Fatalf("released %v after a renewal, want k=L1", got)
	}
	c.Invalidate("k")
	if got := rel.got(); len(got) != 1 {
		t.Fatalf("released %v before the next pass, want it deferred to RenewLeases", got)
	}
	c.RenewLeases(ctx)
	if got := rel.got(); !slices.Equal(got, []string{"k=L1", "k=L2"}) {
		t.Fatalf("released %v after Invalidate, want k=L2 too", got)
	}

	if _, err := c.Get(ctx, "k", f.fetch); err != nil { // holds L3, never used again
		t.Fatal(err)
	}
	clock.Advance(4*time.Minute + 30*time.Second - 27*time.Second)
	c.RenewLeases(ctx) // L4 replaces L3; L4 is not used
	clock.Advance(5 * time.Minute)
	c.RenewLeases(ctx) // L4 expired
	if got := rel.got(); !slices.Equal(got, []string{"k=L1", "k=L2", "k=L3", "k=L4"}) {
		t.Fatalf("released %v, want every lease once", got)
	}
	if c.Len() != 0 {
		t.Fatalf("%d entries left, want the expired one dropped", c.Len())
	}
}

// A release that fails is logged, without stopping the others.
func TestRenewLeases_ReleaseFailureLogged(t *testing.T) {
	ctx := t.Context()
	clock := newFakeClock()
	var log bytes.Buffer
	var calls atomic.Int64
	c, err := secretcache.New(secretcache.Options{Clock: clock, TTL: time.Hour, Logger: slog.New(slog.NewTextHandler(&log, nil)),
		Release: func(context.Context, string, string) error {
			calls.Add(1)
			return errors.New("request not found")
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, k := range []string{"a", "b"} {
		f := &leasedFetch{validFor: 5 * time.Minute, values: []junction.StoredSecret{secretA}}
		if _, err := c.Get(ctx, k, f.fetch); err != nil {
			t.Fatal(err)
		}
		c.Invalidate(k)
	}
	c.RenewLeases(ctx)
	if calls.Load() != 2 || !strings.Contains(log.String(), "could not release") {
		t.Fatalf("%d releases, log %q", calls.Load(), log.String())
	}
}

// A hit on a leased entry costs what any hit does, plus one atomic load.
func BenchmarkGet_WarmLeased(b *testing.B) {
	c := mustCache(b, junction.SystemClock{})
	v := secretA
	v.ValidFor = 10 * time.Minute
	fetch, _ := countingFetch(v)
	ctx := context.Background()
	c.Get(ctx, "vault/prod/db", fetch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, "vault/prod/db", fetch); err != nil {
			b.Fatal(err)
		}
	}
}

// The pass RunLeases makes every second over 10,000 cached values, half of
// them leased, with nothing due.
func BenchmarkRenewLeases_NothingDue(b *testing.B) {
	c := mustCache(b, junction.SystemClock{})
	ctx := context.Background()
	leased := secretA
	leased.ValidFor = 10 * time.Minute
	for i := range 10000 {
		v := secretA
		if i%2 == 0 {
			v = leased
		}
		fetch, _ := countingFetch(v)
		c.Get(ctx, "k"+strconv.Itoa(i), fetch)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.RenewLeases(ctx)
	}
}
