// Package storecache keeps, in memory, the lookups every execution makes:
// the principal behind a bearer token, a connection with its folder, an
// asset with its credential store, and the sealed (still encrypted) object
// of a connection's literal secrets; and the trigger behind a webhook
// token, which every webhook delivery looks up. On SQLite each of them is
// a query through the single-process database engine, and together they
// were most of what an execution cost on top of the HTTP exchanges.
//
// A cached answer must never outlive the data it came from, or a revoked
// token, a disabled user or a moved folder would keep working. Two
// mechanisms keep it fresh:
//
//   - Writes made through this Store (the whole server writes through it)
//     drop every cached entry once they have committed. Invalidation is
//     deliberately coarse: these tables change rarely compared with how
//     often they are read, and one rule is easy to get right. Triggers
//     are the exception: their health is written as deliveries succeed
//     and fail, so a write to a trigger drops the cached triggers only.
//   - Writes made by other processes (other servers on a shared PostgreSQL
//     database, or an operator's SQL) arrive through a Feed. While the feed
//     is not connected the cache serves nothing and every lookup goes to
//     the database, so a lost notification channel costs speed, never
//     correctness.
//
// Entries also expire after MaxAge as a last line of defence.
//
// Reads inside a transaction bypass the cache: a transaction must see its
// own writes and a consistent snapshot.
package storecache

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"junction"
)

// Feed tells a cache about changes committed by other processes.
type Feed interface {
	// WatchChanges blocks until ctx is done. It calls changed with the
	// table's name after every committed change to a table whose rows
	// servers cache, changed("") (any table) once it is listening, and lost
	// as soon as it can no longer tell (then changed("") again when it
	// can). It returns ctx.Err() when ctx is done.
	WatchChanges(ctx context.Context, changed func(table string), lost func()) error
}

// Options configures a Store.
type Options struct {
	Clock  junction.Clock
	Logger *slog.Logger
	// Feed reports other processes' writes. Nil means this process is the
	// database's only writer (SQLite), so local invalidation is complete.
	Feed Feed
	// MaxAge bounds how long an entry is served; DefaultMaxAge when zero.
	MaxAge time.Duration
	// MaxEntries bounds each of the three maps; DefaultMaxEntries when zero.
	// A full map is emptied rather than evicted entry by entry: it only
	// fills when more distinct objects are in use than the bound, where an
	// LRU would thrash too.
	MaxEntries int
}

// Defaults for zero Options. Polls read each connection and its sealed
// secrets once per interval, and the shortest interval is a minute: with
// entries kept a minute, every poll missed, and 10,000 polling connections
// overflowed maps of 10,000 entries (emptied when full) on every interval.
// Five minutes still bounds a change missed by invalidation; an entry
// (a connection with its folder, the largest) takes about 2 KiB.
const (
	DefaultMaxAge     = 5 * time.Minute
	DefaultMaxEntries = 50000
)

// Store is a junction.Store that answers GetTokenPrincipal,
// GetConnectionWithFolder, GetAssetWithStore, GetSealed and
// GetTriggerByTokenHash from memory when it can. Everything else goes
// straight to the wrapped Store. It is safe for concurrent use, and what it
// returns is the caller's own copy.
type Store struct {
	junction.Store
	c *cache
	// tx is set on the Store handed to an InTx function: reads go to the
	// transaction and writes mark it dirty, to invalidate after it ends.
	tx *txState
}

var _ junction.Store = (*Store)(nil)

type txState struct {
	mu    sync.Mutex
	dirty bool
	// dirtyTriggers: only triggers were written.
	dirtyTriggers bool
}

// New wraps s. Call Run to follow opts.Feed; until it has connected the
// cache stays empty.
func New(s junction.Store, opts Options) *Store {
	if opts.Clock == nil {
		opts.Clock = junction.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	c := &cache{opts: opts, live: opts.Feed == nil}
	c.reset()
	return &Store{Store: s, c: c}
}

// Unwrap returns the wrapped Store, for packages that reach the database
// behind it (sqldb.Tx).
func (s *Store) Unwrap() junction.Store { return s.Store }

// Run follows the feed until ctx is done; without a feed it returns at
// once. While the feed is down nothing is cached.
func (s *Store) Run(ctx context.Context) error {
	c := s.c
	if c.opts.Feed == nil {
		return nil
	}
	err := c.opts.Feed.WatchChanges(ctx,
		func(table string) {
			s.tell(table)
			switch table {
			case triggersTable:
				c.dropTriggers()
				return
			case customConnectorsTable:
				return // nothing of it is cached here
			}
			c.invalidate(true)
		},
		func() {
			s.tell("")
			c.invalidate(false)
			if ctx.Err() == nil { // a feed ended by the server stopping is no loss
				c.opts.Logger.Warn("store cache off: lost the database change feed; every request reads the database until it is back")
			}
		})
	c.invalidate(false)
	return err
}

// cache holds the entries. gen counts invalidations: a lookup notes it
// before reading the database and stores its answer only if no
// invalidation happened meanwhile, so an answer read just before a write
// committed can never be kept after the write's invalidation.
type cache struct {
	opts Options

	mu          sync.RWMutex
	gen         uint64
	live        bool // false while a feed is configured but not connected
	principals  map[string]entry[*junction.TokenPrincipal]
	connections map[key]entry[connectionWithFolder]
	assets      map[key]entry[assetWithStore]
	sealed      map[key]entry[*junction.SealedValue]
	triggers    map[string]entry[*junction.Trigger] // by webhook token hash

	listenMu  sync.Mutex
	listeners []func(table string) // see Store.OnChange
}

// triggersTable is the table whose changes drop only the cached triggers.
const triggersTable = "triggers"

// customConnectorsTable is announced only when a custom connector is
// deleted; the cache holds nothing of it, its listeners do.
const customConnectorsTable = "custom_connectors"

// OnChange adds a function told the name of each table another process
// changed, as the feed reports it, and "" whenever anything may have
// changed unseen (the feed connected, reconnected or was lost). Other
// in-memory caches of database rows (parsed custom connectors) follow the
// feed through it. fn must not block. Without a feed it is never called:
// this process is the database's only writer.
func (s *Store) OnChange(fn func(table string)) {
	s.c.listenMu.Lock()
	defer s.c.listenMu.Unlock()
	s.c.listeners = append(s.c.listeners, fn)
}

func (s *Store) tell(table string) {
	s.c.listenMu.Lock()
	ls := s.c.listeners
	s.c.listenMu.Unlock()
	for _, fn := range ls {
		fn(table)
	}
}

type key struct{ tenantID, id string }

type entry[T any] struct {
	v       T
	expires time.Time
}

type connectionWithFolder struct {
	c *junction.Connection
	f *junction.Folder
}

type assetWithStore struct {
	a *junction.Asset
	s *junction.CredentialStoreConfig
}

// Live reports whether lookups may be answered from memory: always without
// a feed, and only while it is connected with one.
func (s *Store) Live() bool {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	return s.c.live
}

func (c *cache) reset() {
	c.principals = map[string]entry[*junction.TokenPrincipal]{}
	c.connections = map[key]entry[connectionWithFolder]{}
	c.assets = map[key]entry[assetWithStore]{}
	c.sealed = map[key]entry[*junction.SealedValue]{}
	c.triggers = map[string]entry[*junction.Trigger]{}
}

// invalidate drops every entry; live says whether caching may go on.
func (c *cache) invalidate(live bool) {
	c.mu.Lock()
	c.gen++
	c.live = live
	c.reset()
	c.mu.Unlock()
}

// drop drops every entry after a local write.
func (c *cache) drop() {
	c.mu.Lock()
	c.gen++
	c.reset()
	c.mu.Unlock()
}

// dropTriggers drops the cached triggers after a write to triggers. The
// generation moves for every map: a lookup of another kind under way
// merely goes uncached.
func (c *cache) dropTriggers() {
	c.mu.Lock()
	c.gen++
	c.triggers = map[string]entry[*junction.Trigger]{}
	c.mu.Unlock()
}

// lookup returns m[k] when present and fresh, and the generation to pass
// to store.
func lookup[K comparable, T any](c *cache, m func() map[K]entry[T], k K) (v T, ok bool, gen uint64) {
	now := c.opts.Clock.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.live {
		return v, false, 0
	}
	e, ok := m()[k]
	if ok && now.Before(e.expires) {
		return e.v, true, c.gen
	}
	return v, false, c.gen
}

// store keeps v under k unless the cache was invalidated since gen was read.
func store[K comparable, T any](c *cache, m func() map[K]entry[T], k K, v T, gen uint64) {
	expires := c.opts.Clock.Now().Add(c.opts.MaxAge)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	mm := m()
	if len(mm) >= c.opts.MaxEntries {
		clear(mm)
	}
	mm[k] = entry[T]{v: v, expires: expires}
}

// cached answers k from m when it can, and otherwise loads it and keeps a
// copy. Errors (not found included) are never kept: an unknown token or ID
// costs a query each time, as without the cache, so guessing fills nothing.
func cached[K comparable, T any](c *cache, m func() map[K]entry[T], k K, clone func(T) T, load func() (T, error)) (T, error) {
	v, ok, gen := lookup(c, m, k)
	if ok {
		return clone(v), nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	store(c, m, k, clone(v), gen)
	return v, nil
}

// GetTokenPrincipal answers from memory when it can.
func (s *Store) GetTokenPrincipal(ctx context.Context, hash []byte) (*junction.TokenPrincipal, error) {
	if s.tx != nil {
		return s.Store.GetTokenPrincipal(ctx, hash)
	}
	return cached(s.c, func() map[string]entry[*junction.TokenPrincipal] { return s.c.principals }, string(hash),
		clonePrincipal, func() (*junction.TokenPrincipal, error) { return s.Store.GetTokenPrincipal(ctx, hash) })
}

// GetConnectionWithFolder answers from memory when it can.
func (s *Store) GetConnectionWithFolder(ctx context.Context, tenantID, id string) (*junction.Connection, *junction.Folder, error) {
	if s.tx != nil {
		return s.Store.GetConnectionWithFolder(ctx, tenantID, id)
	}
	v, err := cached(s.c, func() map[key]entry[connectionWithFolder] { return s.c.connections }, key{tenantID, id},
		func(v connectionWithFolder) connectionWithFolder {
			return connectionWithFolder{cloneConnection(v.c), cloneFolder(v.f)}
		},
		func() (connectionWithFolder, error) {
			c, f, err := s.Store.GetConnectionWithFolder(ctx, tenantID, id)
			return connectionWithFolder{c, f}, err
		})
	if err != nil {
		return nil, nil, err
	}
	return v.c, v.f, nil
}

// GetAssetWithStore answers from memory when it can.
func (s *Store) GetAssetWithStore(ctx context.Context, tenantID, id string) (*junction.Asset, *junction.CredentialStoreConfig, error) {
	if s.tx != nil {
		return s.Store.GetAssetWithStore(ctx, tenantID, id)
	}
	v, err := cached(s.c, func() map[key]entry[assetWithStore] { return s.c.assets }, key{tenantID, id},
		func(v assetWithStore) assetWithStore {
			return assetWithStore{cloneAsset(v.a), cloneCredentialStore(v.s)}
		},
		func() (assetWithStore, error) {
			a, cs, err := s.Store.GetAssetWithStore(ctx, tenantID, id)
			return assetWithStore{a, cs}, err
		})
	if err != nil {
		return nil, nil, err
	}
	return v.a, v.s, nil
}

// GetSealed answers from memory when it can. What it keeps is the sealed
// value as the database holds it, ciphertext and wrapped key: opening it
// still takes the Keyring, so nothing here is a plain secret. Executions
// with literal secrets read their connection's sealed object every time.
func (s *Store) GetSealed(ctx context.Context, tenantID, id string) (*junction.SealedValue, error) {
	if s.tx != nil {
		return s.Store.GetSealed(ctx, tenantID, id)
	}
	return cached(s.c, func() map[key]entry[*junction.SealedValue] { return s.c.sealed }, key{tenantID, id},
		cloneSealed, func() (*junction.SealedValue, error) { return s.Store.GetSealed(ctx, tenantID, id) })
}

// GetTriggerByTokenHash answers from memory when it can. The health fields
// of a trigger (failures, last success and failure) are those of its last
// read: every write to the trigger drops it, here or, through the feed, on
// other servers. A rotation is such a write, so no server keeps answering
// for a token rotated away; the token a rotation left working for a grace
// period retires without any write, so an entry found by it is dropped
// once the trigger no longer accepts it (Trigger.AcceptsWebhookToken, by
// the cache's clock).
func (s *Store) GetTriggerByTokenHash(ctx context.Context, hash []byte) (*junction.Trigger, error) {
	if s.tx != nil {
		return s.Store.GetTriggerByTokenHash(ctx, hash)
	}
	c, k := s.c, string(hash)
	triggers := func() map[string]entry[*junction.Trigger] { return c.triggers }
	if v, ok, _ := lookup(c, triggers, k); ok && !v.AcceptsWebhookToken(hash, c.opts.Clock.Now()) {
		c.mu.Lock()
		if e, ok := c.triggers[k]; ok && e.v == v {
			delete(c.triggers, k)
		}
		c.mu.Unlock()
	}
	return cached(c, triggers, k, cloneTrigger, func() (*junction.Trigger, error) { return s.Store.GetTriggerByTokenHash(ctx, hash) })
}

// InTx runs fn in a transaction of the wrapped Store. If fn wrote anything
// the cache holds, every entry is dropped once the transaction has ended
// (committed or not): dropping earlier would let a concurrent lookup cache
// the old rows again before the commit made the new ones visible.
func (s *Store) InTx(ctx context.Context, fn func(tx junction.Store) error) error {
	if s.tx != nil {
		return s.Store.InTx(ctx, func(tx junction.Store) error {
			return fn(&Store{Store: tx, c: s.c, tx: s.tx})
		})
	}
	st := &txState{}
	err := s.Store.InTx(ctx, func(tx junction.Store) error {
		return fn(&Store{Store: tx, c: s.c, tx: st})
	})
	st.mu.Lock()
	dirty, dirtyTriggers := st.dirty, st.dirtyTriggers
	st.mu.Unlock()
	switch {
	case dirty:
		s.c.drop()
	case dirtyTriggers:
		s.c.dropTriggers()
	}
	return err
}

// wrote is called after every write to a table the cache reads from,
// whatever its outcome: a failed write may still have been applied (a
// commit whose answer was lost), and dropping the cache is always safe.
func (s *Store) wrote() {
	if s.tx != nil {
		s.tx.mu.Lock()
		s.tx.dirty = true
		s.tx.mu.Unlock()
		return
	}
	s.c.drop()
}

// wroteTriggers is wrote for writes that change triggers only.
func (s *Store) wroteTriggers() {
	if s.tx != nil {
		s.tx.mu.Lock()
		s.tx.dirtyTriggers = true
		s.tx.mu.Unlock()
		return
	}
	s.c.dropTriggers()
}

// TouchToken records a token's use. It changes only the last-used time,
// which the cached principal is updated with rather than dropped: the time
// decides when the next touch is due, and a stale one would turn every
// request after the first minute into a write.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	err := s.Store.TouchToken(ctx, id, at)
	if err != nil || s.tx != nil {
		return err
	}
	// A scan, not an index by token ID: it runs at most once a minute per
	// token in use, over at most MaxEntries entries.
	s.c.mu.Lock()
	for k, e := range s.c.principals {
		if e.v.Token.ID == id {
			// Cached values are never changed in place: a lookup may be
			// copying this one right now.
			p := clonePrincipal(e.v)
			t := at
			p.Token.LastUsedAt = &t
			s.c.principals[k] = entry[*junction.TokenPrincipal]{v: p, expires: e.expires}
		}
	}
	s.c.mu.Unlock()
	return nil
}
