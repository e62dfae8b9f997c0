package secretcache_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"junction"
	"junction/clocktest"
	"junction/secretcache"
)

// newFakeClock moves only when a test says so: TTLs are tested without
// sleeping.
func newFakeClock() *clocktest.Clock {
	return clocktest.New(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
}

func mustCache(tb testing.TB, clock junction.Clock) *secretcache.Cache {
	tb.Helper()
	c, err := secretcache.New(secretcache.Options{Clock: clock, TTL: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

var (
	secretA = junction.StoredSecret{Username: "svc-reporting", Value: junction.NewSecret("pa55-w0rd-alpha-7f3c")}
	secretB = junction.StoredSecret{Username: "svc-reporting", Value: junction.NewSecret("pa55-w0rd-bravo-91d2")}
)

// countingFetch returns v and counts its calls.
func countingFetch(v junction.StoredSecret) (func(context.Context) (junction.StoredSecret, error), *atomic.Int64) {
	var n atomic.Int64
	return func(context.Context) (junction.StoredSecret, error) {
		n.Add(1)
		return v, nil
	}, &n
}

func sameSecret(a, b junction.StoredSecret) bool {
	return a.Username == b.Username && a.Value.Equal(b.Value)
}

func TestGet(t *testing.T) {
	ctx := context.Background()

	t.Run("HitWithinTTL", func(t *testing.T) {
		clock := newFakeClock()
		c := mustCache(t, clock)
		fetch, n := countingFetch(secretA)
		for _, step := range []time.Duration{0, time.Minute, 59*time.Minute - time.Nanosecond} {
			clock.Advance(step)
			v, err := c.Get(ctx, "vault/prod/db", fetch)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSecret(v, secretA) {
				t.Fatal("wrong secret returned")
			}
		}
		if n.Load() != 1 {
			t.Fatalf("fetched %d times within the hour, want 1", n.Load())
		}
		if s := c.Stats(); s != (secretcache.Stats{Hits: 2, Misses: 1, Fetches: 1}) {
			t.Fatalf("stats = %+v", s)
		}
	})

	t.Run("MissAfterExactlyTTL", func(t *testing.T) {
		clock := newFakeClock()
		c := mustCache(t, clock)
		fetch, n := countingFetch(secretA)
		if _, err := c.Get(ctx, "k", fetch); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if _, err := c.Get(ctx, "k", fetch); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 2 {
			t.Fatalf("fetched %d times, want a second fetch at exactly one hour", n.Load())
		}
	})

	t.Run("KeysAreSeparate", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fa, _ := countingFetch(secretA)
		fb, _ := countingFetch(secretB)
		a, _ := c.Get(ctx, "a", fa)
		b, _ := c.Get(ctx, "b", fb)
		if !sameSecret(a, secretA) || !sameSecret(b, secretB) {
			t.Fatal("entries mixed up")
		}
		if a, _ = c.Get(ctx, "a", fb); !sameSecret(a, secretA) {
			t.Fatal("cached entry of a not returned")
		}
	})

	t.Run("ErrFetchNotCached", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		errVault := junction.Errorf(junction.ECREDSTOREUNAVAILABLE, "store prod-vault cannot be reached")
		calls := 0
		fetch := func(context.Context) (junction.StoredSecret, error) {
			calls++
			if calls == 1 {
				return junction.StoredSecret{}, errVault
			}
			return secretA, nil
		}
		if _, err := c.Get(ctx, "k", fetch); !errors.Is(err, errVault) {
			t.Fatalf("err = %v, want the fetch error", err)
		}
		v, err := c.Get(ctx, "k", fetch)
		if err != nil || !sameSecret(v, secretA) {
			t.Fatalf("after a failed fetch: %v", err)
		}
		if s := c.Stats(); s.Fetches != 2 || s.Errors != 1 || s.Misses != 2 {
			t.Fatalf("stats = %+v", s)
		}
	})

	t.Run("Invalidate", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fetch, n := countingFetch(secretA)
		c.Get(ctx, "k", fetch)
		c.Invalidate("k")
		c.Invalidate("never-cached")
		c.Get(ctx, "k", fetch)
		if n.Load() != 2 {
			t.Fatalf("fetched %d times, want 2 (invalidation forces a fetch)", n.Load())
		}
	})

	t.Run("Labels", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fetch, _ := countingFetch(secretA)
		c.GetLabeled(ctx, "a", "hashicorp-vault", fetch)
		c.GetLabeled(ctx, "a", "hashicorp-vault", fetch)
		c.GetLabeled(ctx, "b", "cyberark-ccp", fetch)
		byLabel := c.StatsByLabel()
		if byLabel["hashicorp-vault"] != (secretcache.Stats{Hits: 1, Misses: 1, Fetches: 1}) ||
			byLabel["cyberark-ccp"] != (secretcache.Stats{Misses: 1, Fetches: 1}) {
			t.Fatalf("stats by label = %+v", byLabel)
		}
		if c.Stats() != (secretcache.Stats{Hits: 1, Misses: 2, Fetches: 2}) {
			t.Fatalf("total stats = %+v", c.Stats())
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fetch, _ := countingFetch(secretA)
		c.Get(ctx, "k", fetch)
		c.Close()
		if _, err := c.Get(ctx, "k", fetch); !errors.Is(err, secretcache.ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
	})

	t.Run("ErrNoTTL", func(t *testing.T) {
		if _, err := secretcache.New(secretcache.Options{}); !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestGet_ConcurrentMissesShareOneFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		release := make(chan struct{})
		var fetches atomic.Int64
		fetch := func(context.Context) (junction.StoredSecret, error) {
			fetches.Add(1)
			<-release
			return secretA, nil
		}
		const callers = 50
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				v, err := c.Get(context.Background(), "k", fetch)
				if err == nil && !sameSecret(v, secretA) {
					err = errors.New("wrong secret")
				}
				errs <- err
			})
		}
		synctest.Wait() // every caller has missed and is waiting on the one fetch
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if fetches.Load() != 1 {
			t.Fatalf("%d cold misses made %d fetches, want 1", callers, fetches.Load())
		}
		if s := c.Stats(); s.Misses != callers || s.Fetches != 1 {
			t.Fatalf("stats = %+v", s)
		}
	})
}

func TestGet_CancelledCallerDoesNotFailOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		release := make(chan struct{})
		var fetchCtxErr error
		var fetches atomic.Int64
		fetch := func(ctx context.Context) (junction.StoredSecret, error) {
			fetches.Add(1)
			<-release
			fetchCtxErr = ctx.Err()
			return secretA, nil
		}

		ctxA, cancelA := context.WithCancel(context.Background())
		errA := make(chan error, 1)
		go func() {
			_, err := c.Get(ctxA, "k", fetch) // A starts the shared fetch
			errA <- err
		}()
		synctest.Wait()
		type result struct {
			v   junction.StoredSecret
			err error
		}
		resB := make(chan result, 1)
		go func() {
			v, err := c.Get(context.Background(), "k", fetch)
			resB <- result{v, err}
		}()
		synctest.Wait()

		cancelA()
		if err := <-errA; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller: err = %v, want context.Canceled", err)
		}
		close(release)
		r := <-resB
		if r.err != nil || !sameSecret(r.v, secretA) {
			t.Fatalf("other caller failed with the cancelled one: %v", r.err)
		}
		if fetchCtxErr != nil {
			t.Fatalf("shared fetch saw its context end: %v", fetchCtxErr)
		}
		if fetches.Load() != 1 {
			t.Fatalf("fetches = %d", fetches.Load())
		}
		// The shared result was cached for everyone.
		if _, err := c.Get(context.Background(), "k", fetch); err != nil || fetches.Load() != 1 {
			t.Fatalf("result not cached: %v, fetches %d", err, fetches.Load())
		}
	})
}

func TestInvalidate_DuringFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		release := make(chan struct{})
		slow := func(context.Context) (junction.StoredSecret, error) {
			<-release
			return secretA, nil
		}
		done := make(chan error, 1)
		go func() {
			_, err := c.Get(context.Background(), "k", slow)
			done <- err
		}()
		synctest.Wait()
		c.Invalidate("k") // e.g. the asset's external name changed meanwhile
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		fetch, n := countingFetch(secretB)
		v, err := c.Get(context.Background(), "k", fetch)
		if err != nil || n.Load() != 1 || !sameSecret(v, secretB) {
			t.Fatalf("a fetch begun before Invalidate was cached (fetches %d): %v", n.Load(), err)
		}
	})
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()

	t.Run("Unchanged", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fetch, n := countingFetch(secretA)
		c.Get(ctx, "k", fetch)
		v, changed, err := c.Refresh(ctx, "k", fetch)
		if err != nil {
			t.Fatal(err)
		}
		if changed || !sameSecret(v, secretA) || n.Load() != 2 {
			t.Fatalf("changed = %v, fetches = %d; want false, 2", changed, n.Load())
		}
	})

	t.Run("Changed", func(t *testing.T) {
		clock := newFakeClock()
		c := mustCache(t, clock)
		fa, _ := countingFetch(secretA)
		c.Get(ctx, "k", fa)
		clock.Advance(30 * time.Minute)
		fb, nb := countingFetch(secretB)
		v, changed, err := c.Refresh(ctx, "k", fb)
		if err != nil {
			t.Fatal(err)
		}
		if !changed || !sameSecret(v, secretB) {
			t.Fatal("a rotated secret was not reported as changed")
		}
		// The refreshed value is cached for a full TTL from the refresh.
		clock.Advance(59 * time.Minute)
		if v, _ := c.Get(ctx, "k", fb); !sameSecret(v, secretB) || nb.Load() != 1 {
			t.Fatal("refreshed value not cached")
		}
	})

	t.Run("UsernameChanged", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fa, _ := countingFetch(secretA)
		c.Get(ctx, "k", fa)
		other := junction.StoredSecret{Username: "svc-other", Value: secretA.Value}
		fo, _ := countingFetch(other)
		if _, changed, _ := c.Refresh(ctx, "k", fo); !changed {
			t.Fatal("a changed username was not reported as changed")
		}
	})

	t.Run("NothingCached", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fa, _ := countingFetch(secretA)
		if _, changed, err := c.Refresh(ctx, "k", fa); err != nil || !changed {
			t.Fatalf("changed = %v, err = %v; want true", changed, err)
		}
	})

	t.Run("ErrKeepsEntry", func(t *testing.T) {
		c := mustCache(t, newFakeClock())
		fa, n := countingFetch(secretA)
		c.Get(ctx, "k", fa)
		errVault := errors.New("vault sealed")
		_, _, err := c.Refresh(ctx, "k", func(context.Context) (junction.StoredSecret, error) {
			return junction.StoredSecret{}, errVault
		})
		if !errors.Is(err, errVault) {
			t.Fatalf("err = %v", err)
		}
		if v, _ := c.Get(ctx, "k", fa); !sameSecret(v, secretA) || n.Load() != 1 {
			t.Fatal("failed refresh dropped the cached entry")
		}
		if s := c.Stats(); s.Errors != 1 || s.Fetches != 2 {
			t.Fatalf("stats = %+v", s)
		}
	})
}

// TestMemoryHoldsCiphertextOnly inspects what the cache keeps for an entry.
func TestMemoryHoldsCiphertextOnly(t *testing.T) {
	c := mustCache(t, newFakeClock())
	fetch, _ := countingFetch(secretA)
	if _, err := c.Get(context.Background(), "k", fetch); err != nil {
		t.Fatal(err)
	}
	stored, ok := c.EntryBytes("k")
	if !ok {
		t.Fatal("no entry stored")
	}
	value := []byte(secretA.Value.Reveal())
	if bytes.Contains(stored, value) || bytes.Contains(stored, value[:8]) || bytes.Contains(stored, []byte(secretA.Username)) {
		t.Fatal("the cache holds the secret in plaintext")
	}
	if len(stored) < len(value) {
		t.Fatal("stored entry too short to hold the secret at all")
	}
}

func TestSweepDropsExpired(t *testing.T) {
	clock := newFakeClock()
	c := mustCache(t, clock)
	fetch, _ := countingFetch(secretA)
	c.Get(context.Background(), "old", fetch)
	clock.Advance(2 * time.Hour)
	c.Get(context.Background(), "new", fetch)
	if c.Len() != 1 {
		t.Fatalf("%d entries held; an expired one was kept", c.Len())
	}
}

func BenchmarkGet_Warm(b *testing.B) {
	c := mustCache(b, junction.SystemClock{})
	fetch, _ := countingFetch(secretA)
	ctx := context.Background()
	c.Get(ctx, "vault/prod/db", fetch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, "vault/prod/db", fetch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet_WarmParallel(b *testing.B) {
	c := mustCache(b, junction.SystemClock{})
	fetch, _ := countingFetch(secretA)
	ctx := context.Background()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, k := range keys {
		c.Get(ctx, k, fetch)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.Get(ctx, keys[i%len(keys)], fetch); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
