// Package secretcache is the secret resolver's in-memory cache of values read
// from external vaults. Entries are kept encrypted under a per-process key
// held in locked memory, live for a fixed time from their fetch (less when
// the store gives the value a shorter lease, which RenewLeases then reads
// again before it runs out), and concurrent misses for one secret share a
// single fetch.
package secretcache

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"junction"
	"junction/lockedmem"
)

// DefaultFetchTimeout bounds one shared fetch when Options.FetchTimeout is
// zero. The fetch runs detached from its callers, so something must stop it.
const DefaultFetchTimeout = time.Minute

const (
	keySize   = 32
	nonceSize = 12
)

// ErrClosed is returned by a cache used after Close.
var ErrClosed = errors.New("secret cache closed")

// Options configure a Cache.
type Options struct {
	// Clock decides entry freshness; nil means the system clock.
	Clock junction.Clock
	// TTL is the longest an entry may be used after its fetch began (a
	// value the store says is valid for less is kept less). Required.
	TTL time.Duration
	// FetchTimeout bounds each fetch; zero means DefaultFetchTimeout.
	FetchTimeout time.Duration
	// Logger receives the one-time warning when memory cannot be locked,
	// and failed lease renewals and releases; nil discards.
	Logger *slog.Logger
	// Release lets go of what a dropped value held in its store
	// (StoredSecret.Lease); nil when no store holds anything. It is called
	// from RenewLeases, never with the cache's lock held.
	Release func(ctx context.Context, key, lease string) error
}

// Stats counts cache activity. Hits and Misses count callers; Fetches and
// Errors count calls of a fetch function, so fifty callers sharing one fetch
// add fifty misses and one fetch.
type Stats struct {
	Hits    uint64 // answered from a fresh entry
	Misses  uint64 // found no fresh entry and waited for a fetch
	Fetches uint64 // fetch functions called (by Get, Refresh or RenewLeases)
	Errors  uint64 // fetches that returned an error
	Renewed uint64 // leased values read again before they ran out
}

type counters struct {
	hits, misses, fetches, errors, renewed atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Fetches: c.fetches.Load(), Errors: c.errors.Load(), Renewed: c.renewed.Load()}
}

// Cache holds secrets in memory, encrypted. It is safe for concurrent use.
//
// The raw cache key lives in locked memory excluded from core dumps; the AES
// implementation keeps its own expanded copy, which is why the key is
// per-process and never written anywhere.
type Cache struct {
	clock        junction.Clock
	ttl          time.Duration
	fetchTimeout time.Duration
	log          *slog.Logger
	release      func(ctx context.Context, key, lease string) error

	key  *lockedmem.Buffer
	aead cipher.AEAD

	mu        sync.RWMutex
	entries   map[string]entry
	closed    bool
	lastSweep time.Time
	// epoch changes on every Invalidate, so a fetch that began before an
	// invalidation does not store its now-suspect result.
	epoch uint64
	// released are leases of values dropped since the last RenewLeases,
	// which lets them go outside the lock.
	released []heldLease

	flights singleflight.Group
	stats   sync.Map // label → *counters
}

// entry is what the cache keeps of a secret: ciphertext only.
type entry struct {
	fetchedAt time.Time
	// expires is when the entry stops being used: the TTL after the fetch
	// began, or sooner when the store said the value is valid for less.
	expires time.Time
	sealed  []byte // nonce followed by AES-GCM ciphertext of the encoded secret
	// lease is set when the store's validity, not the TTL, bounds the
	// entry: RenewLeases then reads it again before it expires, if used.
	lease *lease
	// held is the store's handle on what the value holds (StoredSecret.Lease).
	held string
}

// lease is what RenewLeases needs to read a leased entry again.
type lease struct {
	// renewAt is when a used entry is read again; moved on after a
	// failed attempt. Guarded by Cache.mu.
	renewAt time.Time
	// used says a caller was handed the value in this lifetime; only used
	// entries are renewed, the others simply expire.
	used  atomic.Bool
	fetch func(ctx context.Context) (junction.StoredSecret, error)
	st    *counters
}

type heldLease struct{ key, lease string }

// lifetime is how long a value fetched now may be used: the cache's TTL, or
// less when the store gave the value a shorter validity (a lease), minus a
// margin so the value is read again before it runs out rather than after.
// It is always positive: the margin is at most a tenth of the validity.
func (c *Cache) lifetime(v junction.StoredSecret) time.Duration {
	if v.ValidFor <= 0 {
		return c.ttl
	}
	return min(c.ttl, v.ValidFor-min(v.ValidFor/10, leaseMargin))
}

// leaseMargin is the most a value with a lease is read early: enough for a
// slow vault round trip, small against any lease worth caching.
const leaseMargin = 30 * time.Second

// renewLead is how long before its early expiry a used leased entry is read
// again in the background: a tenth of its lifetime, at most a minute, so
// that a caller at the expiry finds the new value instead of waiting for
// the vault.
func renewLead(lifetime time.Duration) time.Duration {
	return min(lifetime/10, time.Minute)
}

const (
	// renewWorkers bounds the leased entries read again at once.
	renewWorkers = 4
	// renewRetry is how long a failed renewal waits before the next try;
	// the old value is used meanwhile, until its own expiry.
	renewRetry = 10 * time.Second
)

// New returns an empty cache with a fresh random key.
func New(opts Options) (*Cache, error) {
	if opts.TTL <= 0 {
		return nil, junction.Errorf(junction.EINVALID, "secret cache TTL must be positive, got %s", opts.TTL)
	}
	if opts.Clock == nil {
		opts.Clock = junction.SystemClock{}
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	key, err := lockedmem.New(keySize, opts.Logger)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("allocate secret cache key: %w", err))
	}
	_, _ = rand.Read(key.Bytes())
	block, err := aes.NewCipher(key.Bytes())
	if err != nil {
		key.Destroy()
		return nil, junction.Internal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		key.Destroy()
		return nil, junction.Internal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{
		clock:        opts.Clock,
		ttl:          opts.TTL,
		fetchTimeout: opts.FetchTimeout,
		log:          opts.Logger,
		release:      opts.Release,
		key:          key,
		aead:         aead,
		entries:      map[string]entry{},
	}, nil
}

// Close drops every entry and destroys the cache key. Later calls return
// ErrClosed.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.entries = nil
	// The stores' own Close lets go of what they still hold.
	c.released = nil
	c.key.Destroy()
	return nil
}

// Get returns the secret cached under key, calling fetch when there is no
// fresh entry. See GetLabeled.
func (c *Cache) Get(ctx context.Context, key string, fetch func(ctx context.Context) (junction.StoredSecret, error)) (junction.StoredSecret, error) {
	return c.GetLabeled(ctx, key, "", fetch)
}

// GetLabeled is Get with the statistics counted under label (for example the
// credential store type).
//
// An entry is returned without calling fetch while less than the TTL has
// passed since its fetch began, and never after; a value the store gave a
// shorter validity (StoredSecret.ValidFor) is fetched again a little before
// that runs out. Concurrent misses for one
// key share one call of fetch; it runs on a context detached from the
// callers (keeping their values) and bounded by the fetch timeout, so a
// caller whose ctx ends returns ctx.Err() at once without failing the
// others. A fetch error is returned to every caller sharing that fetch and is
// not cached.
func (c *Cache) GetLabeled(ctx context.Context, key, label string, fetch func(ctx context.Context) (junction.StoredSecret, error)) (junction.StoredSecret, error) {
	st := c.counters(label)
	v, ok, err := c.lookup(key)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	if ok {
		st.hits.Add(1)
		return v, nil
	}
	st.misses.Add(1)
	ch := c.flights.DoChan("get\x00"+key, func() (any, error) {
		// A fetch that finished between this caller's lookup and joining
		// the flight has already filled the entry.
		if v, ok, err := c.lookup(key); ok || err != nil {
			return v, err
		}
		return c.fetchAndStore(ctx, key, st, fetch, true)
	})
	select {
	case <-ctx.Done():
		return junction.StoredSecret{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return junction.StoredSecret{}, r.Err
		}
		return r.Val.(junction.StoredSecret), nil
	}
}

// Refresh fetches the secret again, caches it and reports whether it differs
// from the entry cached when the refresh began (compared in constant time).
// Callers use it after an upstream API rejected the cached value: changed ==
// false means the vault still holds the rejected value, which is then an
// authentication failure rather than something to retry. With no entry
// cached, changed is true. Concurrent refreshes of one key share one fetch.
// On error the cached entry is left as it was.
func (c *Cache) Refresh(ctx context.Context, key string, fetch func(ctx context.Context) (junction.StoredSecret, error)) (junction.StoredSecret, bool, error) {
	return c.RefreshLabeled(ctx, key, "", fetch)
}

// RefreshLabeled is Refresh with the statistics counted under label.
func (c *Cache) RefreshLabeled(ctx context.Context, key, label string, fetch func(ctx context.Context) (junction.StoredSecret, error)) (junction.StoredSecret, bool, error) {
	st := c.counters(label)
	type result struct {
		v       junction.StoredSecret
		changed bool
	}
	ch := c.flights.DoChan("refresh\x00"+key, func() (any, error) {
		prev, hadPrev, err := c.cachedPlaintext(key)
		if err != nil {
			return nil, err
		}
		defer clear(prev)
		v, err := c.fetchAndStore(ctx, key, st, fetch, true)
		if err != nil {
			return nil, err
		}
		cur := encode(v)
		defer clear(cur)
		return result{v: v, changed: !hadPrev || subtle.ConstantTimeCompare(prev, cur) != 1}, nil
	})
	select {
	case <-ctx.Done():
		return junction.StoredSecret{}, false, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return junction.StoredSecret{}, false, r.Err
		}
		res := r.Val.(result)
		return res.v, res.changed, nil
	}
}

// Invalidate drops the entry for key. A fetch already running when
// Invalidate is called still answers its waiting callers but is not cached;
// for simplicity that holds for fetches of any key, which at worst costs one
// extra fetch later.
func (c *Cache) Invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.dropLocked(key, e)
	}
	c.epoch++
	c.flights.Forget("get\x00" + key)
}

// Stats returns the counters summed over all labels.
func (c *Cache) Stats() Stats {
	var total Stats
	for _, s := range c.StatsByLabel() {
		total.Hits += s.Hits
		total.Misses += s.Misses
		total.Fetches += s.Fetches
		total.Errors += s.Errors
		total.Renewed += s.Renewed
	}
	return total
}

// StatsByLabel returns the counters of each label used so far.
func (c *Cache) StatsByLabel() map[string]Stats {
	out := map[string]Stats{}
	c.stats.Range(func(k, v any) bool {
		out[k.(string)] = v.(*counters).snapshot()
		return true
	})
	return out
}

func (c *Cache) counters(label string) *counters {
	if v, ok := c.stats.Load(label); ok {
		return v.(*counters)
	}
	v, _ := c.stats.LoadOrStore(label, &counters{})
	return v.(*counters)
}

// lookup returns the fresh entry for key, decrypted.
func (c *Cache) lookup(key string) (junction.StoredSecret, bool, error) {
	now := c.clock.Now()
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return junction.StoredSecret{}, false, junction.Internal(ErrClosed)
	}
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return junction.StoredSecret{}, false, nil
	}
	if e.lease != nil && !e.lease.used.Load() {
		e.lease.used.Store(true)
	}
	pt, err := c.open(key, e)
	if err != nil {
		return junction.StoredSecret{}, false, err
	}
	defer clear(pt)
	v, err := decode(pt)
	if err != nil {
		return junction.StoredSecret{}, false, err
	}
	return v, true, nil
}

// cachedPlaintext returns the encoded secret of the entry for key, fresh or
// not: Refresh compares against whatever the caller may have been given.
func (c *Cache) cachedPlaintext(key string) ([]byte, bool, error) {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return nil, false, junction.Internal(ErrClosed)
	}
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok {
		return nil, false, nil
	}
	pt, err := c.open(key, e)
	if err != nil {
		return nil, false, err
	}
	return pt, true, nil
}

// fetchAndStore reads the value and caches it; used says a caller asked for
// it (rather than RenewLeases), which makes a leased entry due for renewal.
func (c *Cache) fetchAndStore(ctx context.Context, key string, st *counters, fetch func(context.Context) (junction.StoredSecret, error), used bool) (junction.StoredSecret, error) {
	c.mu.RLock()
	epoch := c.epoch
	c.mu.RUnlock()
	// Freshness counts from when the fetch began: the value is at least
	// that old.
	fetchedAt := c.clock.Now()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fetchTimeout)
	defer cancel()
	st.fetches.Add(1)
	v, err := fetch(fctx)
	if err != nil {
		st.errors.Add(1)
		return junction.StoredSecret{}, err
	}
	pt := encode(v)
	defer clear(pt)
	life := c.lifetime(v)
	e := entry{fetchedAt: fetchedAt, expires: fetchedAt.Add(life), sealed: c.seal(key, fetchedAt, pt), held: v.Lease}
	if life < c.ttl {
		e.lease = &lease{renewAt: e.expires.Add(-renewLead(life)), fetch: fetch, st: st}
		e.lease.used.Store(used)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return v, nil
	case c.epoch != epoch:
		// Not cached, so nothing would ever let go of what it holds.
		if e.held != "" {
			c.released = append(c.released, heldLease{key, e.held})
		}
		return v, nil
	}
	if old, ok := c.entries[key]; ok && old.held != "" && old.held != e.held {
		c.released = append(c.released, heldLease{key, old.held})
	}
	c.entries[key] = e
	c.sweepLocked(c.clock.Now())
	return v, nil
}

// dropLocked removes an entry, keeping what it holds for release.
func (c *Cache) dropLocked(key string, e entry) {
	delete(c.entries, key)
	if e.held != "" {
		c.released = append(c.released, heldLease{key, e.held})
	}
}

// sweepLocked drops expired entries at most once per TTL, so that secrets no
// longer asked for do not stay in memory, even encrypted, and the cost stays
// amortised over many stores.
func (c *Cache) sweepLocked(now time.Time) {
	if now.Sub(c.lastSweep) < c.ttl {
		return
	}
	c.lastSweep = now
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			c.dropLocked(k, e)
		}
	}
}

func (c *Cache) seal(key string, fetchedAt time.Time, pt []byte) []byte {
	out := make([]byte, nonceSize, nonceSize+len(pt)+c.aead.Overhead())
	_, _ = rand.Read(out)
	return c.aead.Seal(out, out[:nonceSize], pt, entryAAD(key, fetchedAt))
}

func (c *Cache) open(key string, e entry) ([]byte, error) {
	if len(e.sealed) < nonceSize {
		return nil, junction.Internal(errors.New("secret cache entry damaged"))
	}
	pt, err := c.aead.Open(nil, e.sealed[:nonceSize], e.sealed[nonceSize:], entryAAD(key, e.fetchedAt))
	if err != nil {
		return nil, junction.Internal(errors.New("secret cache entry fails authentication"))
	}
	return pt, nil
}

// entryAAD binds an entry to its key and fetch time, so an entry moved to
// another key, or made to look younger, fails to open.
func entryAAD(key string, fetchedAt time.Time) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(key)+8)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	return binary.BigEndian.AppendUint64(b, uint64(fetchedAt.UnixNano()))
}

// encode lays out a secret as uvarint(len(username)) username value.
func encode(v junction.StoredSecret) []byte {
	value := v.Value.Reveal()
	b := make([]byte, 0, binary.MaxVarintLen64+len(v.Username)+len(value))
	b = binary.AppendUvarint(b, uint64(len(v.Username)))
	b = append(b, v.Username...)
	return append(b, value...)
}

func decode(b []byte) (junction.StoredSecret, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return junction.StoredSecret{}, junction.Internal(errors.New("secret cache entry malformed"))
	}
	b = b[k:]
	return junction.StoredSecret{Username: string(b[:n]), Value: junction.NewSecret(string(b[n:]))}, nil
}
