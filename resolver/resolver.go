// Package resolver turns a secret or credential asset into its value at run
// time. It goes through the asset to its credential store, keeps what it
// read in an encrypted in-memory cache for one hour from the fetch (less
// when the store says the value is valid for less, in which case a value in
// use is read again before it runs out), and never writes a resolved value
// anywhere. Every feature that needs a
// secret (the resolve endpoint, connections, triggers) goes through it.
package resolver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
	"junction/secretcache"
)

// CacheTTL is how long a resolved value may be used after it was fetched.
// It is deliberately not configurable: credentials rotated in a vault reach
// every server within the hour, and no value outlives it.
const CacheTTL = time.Hour

// Options configure a Resolver.
type Options struct {
	Store   junction.Store
	Keyring junction.Keyring
	// Types maps a store type name to its adapter ("hashicorp-vault", ...).
	// The built-in "database" type is handled here and needs no entry.
	Types  map[string]junction.CredentialStoreType
	Clock  junction.Clock
	Logger *slog.Logger
	// Transport is the base transport store adapters clone (nil: default).
	Transport *http.Transport
	// StoreTimeout bounds one request to a store (zero: adapter default).
	StoreTimeout time.Duration
	// StoreAllow lists the loopback, link-local and metadata addresses
	// stores may reach (--store-allow); see CredentialStoreOptions.Allow.
	StoreAllow []netip.Prefix
	// Peers, when set, is told of every value Refresh finds rotated, so
	// that the other servers drop it too (nil: one server).
	Peers RotationAnnouncer
	// ServerIdentity says whether a tenant's stores may log in as the
	// Junction server itself (see CredentialStoreType.ServerIdentity);
	// nil lets every tenant's.
	ServerIdentity func(tenantID string) bool
	// RenewInterval is how often leased values are looked at for renewal
	// and release (zero: secretcache.DefaultRenewInterval). Negative runs
	// no background loop: the owner calls RenewLeases itself (tests).
	RenewInterval time.Duration
}

// RotationAnnouncer tells the other servers that the value behind an asset
// changed in its vault; each then calls Rotated. Implemented by sqldb.DB.
type RotationAnnouncer interface {
	AnnounceRotation(ctx context.Context, tenantID, assetID string) error
}

// Resolver resolves assets to values. It is safe for concurrent use.
type Resolver struct {
	opts  Options
	cache *secretcache.Cache

	mu      sync.Mutex
	clients map[string]openStore // by store ID

	health storeHealth
	// rotationsHeard counts the rotations other servers announced that
	// dropped a value here.
	rotationsHeard atomic.Uint64

	stopLeases func()
	leasesDone chan struct{}
}

// openStore is a live adapter for one store configuration version.
type openStore struct {
	updatedAt time.Time
	store     junction.CredentialStore
}

// New returns a Resolver with an empty cache.
func New(opts Options) (*Resolver, error) {
	if opts.Clock == nil {
		opts.Clock = junction.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Resolver{opts: opts, clients: map[string]openStore{},
		health: storeHealth{failing: map[string]*failure{}}, leasesDone: make(chan struct{})}
	cache, err := secretcache.New(secretcache.Options{Clock: opts.Clock, TTL: CacheTTL, Logger: opts.Logger, Release: r.releaseLease})
	if err != nil {
		return nil, err
	}
	r.cache = cache
	ctx, cancel := context.WithCancel(context.Background())
	r.stopLeases = cancel
	if opts.RenewInterval < 0 {
		close(r.leasesDone)
	} else {
		go func() {
			defer close(r.leasesDone)
			cache.RunLeases(ctx, opts.RenewInterval)
		}()
	}
	return r, nil
}

// Close stops lease renewal, drops every cached value and closes the store
// adapters, which let go of what they still hold.
func (r *Resolver) Close() error {
	r.stopLeases()
	<-r.leasesDone
	r.mu.Lock()
	for id, c := range r.clients {
		closeStore(c.store)
		delete(r.clients, id)
	}
	r.mu.Unlock()
	return r.cache.Close()
}

// Resolve returns the value of a secret or credential asset, from the cache
// when it was fetched less than an hour ago, otherwise from its store. The
// caller has already checked that it may.
//
// Errors: EINVALID for an asset that holds no secret; the store's errors
// (ECREDNOTFOUND, ECREDSTOREAUTH, ECREDSTOREUNAVAILABLE) otherwise.
func (r *Resolver) Resolve(ctx context.Context, a *junction.Asset) (junction.StoredSecret, error) {
	key, cfg, err := r.locate(ctx, a)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	return r.cache.GetLabeled(ctx, key, cfg.Type, func(ctx context.Context) (junction.StoredSecret, error) {
		return r.read(ctx, cfg, a)
	})
}

// ResolveWith is Resolve for a caller that read the asset's credential store
// in the same query (Store.GetAssetWithStore), which saves a lookup on every
// resolution. cfg must be the store a.StoreID names, as read with a; any
// other (or nil) is ignored and the store is looked up.
func (r *Resolver) ResolveWith(ctx context.Context, a *junction.Asset, cfg *junction.CredentialStoreConfig) (junction.StoredSecret, error) {
	if cfg == nil || cfg.ID != a.StoreID || cfg.TenantID != a.TenantID {
		return r.Resolve(ctx, a)
	}
	if err := resolvable(a); err != nil {
		return junction.StoredSecret{}, err
	}
	return r.cache.GetLabeled(ctx, cacheKey(a), cfg.Type, func(ctx context.Context) (junction.StoredSecret, error) {
		return r.read(ctx, cfg, a)
	})
}

// Refresh reads the asset's value from its store again, replacing the cached
// one, and reports whether it differs from what was cached. A caller whose
// downstream system rejected the value retries only when changed is true.
func (r *Resolver) Refresh(ctx context.Context, a *junction.Asset) (v junction.StoredSecret, changed bool, err error) {
	key, cfg, err := r.locate(ctx, a)
	if err != nil {
		return junction.StoredSecret{}, false, err
	}
	v, changed, err = r.cache.RefreshLabeled(ctx, key, cfg.Type, func(ctx context.Context) (junction.StoredSecret, error) {
		return r.read(ctx, cfg, a)
	})
	if changed && r.opts.Peers != nil {
		// The others would each find out with a failed attempt of their
		// own; a lost announcement only costs them that.
		if aerr := r.opts.Peers.AnnounceRotation(ctx, a.TenantID, a.ID); aerr != nil {
			r.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "could not tell the other servers of a rotated value",
				slog.String("asset_id", a.ID), slog.Any("error", aerr))
		}
	}
	return v, changed, err
}

// Rotated drops the cached value of an asset another server found
// rotated, so the next execution here reads the new one from the vault
// instead of failing with the old. Assets sharing the vault secret share
// the cached value, and are dropped with it.
func (r *Resolver) Rotated(ctx context.Context, tenantID, assetID string) {
	a, err := r.opts.Store.GetAsset(ctx, tenantID, assetID)
	if err != nil {
		if !junction.IsCode(err, junction.ENOTFOUND) {
			r.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "could not drop a value another server found rotated",
				slog.String("asset_id", assetID), slog.Any("error", err))
		}
		return
	}
	r.Invalidate(a)
	r.rotationsHeard.Add(1)
}

// Invalidate forgets the cached value of an asset, so the next Resolve reads
// the store. Used when an asset is changed or deleted through Junction.
func (r *Resolver) Invalidate(a *junction.Asset) {
	r.cache.Invalidate(cacheKey(a))
}

// RenewLeases reads again the leased values in use that are about to run
// out, and releases what dropped values held in their stores; see
// secretcache.Cache.RenewLeases. The resolver does this every
// RenewInterval; tests moving a fake clock call it themselves.
func (r *Resolver) RenewLeases(ctx context.Context) { r.cache.RenewLeases(ctx) }

// releaseLease hands a dropped value's lease back to the store it came
// from. A store replaced since has already let go of it in its Close.
func (r *Resolver) releaseLease(ctx context.Context, key, lease string) error {
	storeID, ok := storeOfKey(key)
	if !ok {
		return nil
	}
	r.mu.Lock()
	c, ok := r.clients[storeID]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	if lr, ok := c.store.(junction.LeaseReleaser); ok {
		return lr.ReleaseLease(ctx, lease)
	}
	return nil
}

// RotationsHeard counts the cached values dropped because another server
// announced them rotated.
func (r *Resolver) RotationsHeard() uint64 { return r.rotationsHeard.Load() }

// Stats returns the cache counters per store type.
func (r *Resolver) Stats() map[string]secretcache.Stats { return r.cache.StatsByLabel() }

// cacheKey names the cached value of an asset. External values are keyed by
// where they live (store, kind, external name), so assets sharing a vault
// secret share one read. Database values include the asset's update time:
// a change made on another server then shows up at once.
func cacheKey(a *junction.Asset) string {
	if a.ExternalName != "" {
		return "ext\x00" + a.TenantID + "\x00" + a.StoreID + "\x00" + string(kindOf(a.Type)) + "\x00" + a.ExternalName
	}
	return "db\x00" + a.TenantID + "\x00" + a.ID + "\x00" + strconv.FormatInt(a.UpdatedAt.UnixNano(), 10)
}

// storeOfKey is the store ID in the cache key of an external value.
func storeOfKey(key string) (string, bool) {
	parts := strings.SplitN(key, "\x00", 4)
	if len(parts) < 4 || parts[0] != "ext" {
		return "", false
	}
	return parts[2], true
}

// resolvable refuses assets that hold no secret.
func resolvable(a *junction.Asset) error {
	if !a.Type.Sensitive() {
		return junction.Invalid("type", "asset %q is of type %s and holds no secret to resolve", a.Name, a.Type)
	}
	if a.StoreID == "" {
		return junction.Invalid("store_id", "asset %q has no credential store", a.Name)
	}
	return nil
}

func (r *Resolver) locate(ctx context.Context, a *junction.Asset) (string, *junction.CredentialStoreConfig, error) {
	if err := resolvable(a); err != nil {
		return "", nil, err
	}
	cfg, err := r.opts.Store.GetCredentialStore(ctx, a.TenantID, a.StoreID)
	if err != nil {
		return "", nil, fmt.Errorf("credential store of asset %q: %w", a.Name, err)
	}
	return cacheKey(a), cfg, nil
}

func kindOf(t junction.AssetType) junction.SecretKind {
	if t == junction.AssetCredential {
		return junction.KindCredential
	}
	return junction.KindSecret
}

// read fetches the value from the store; it runs only on a cache miss or a
// refresh.
func (r *Resolver) read(ctx context.Context, cfg *junction.CredentialStoreConfig, a *junction.Asset) (junction.StoredSecret, error) {
	if cfg.Type == junction.DatabaseStoreType {
		return OpenDatabaseValue(ctx, r.opts.Store, r.opts.Keyring, a)
	}
	s, err := r.Client(ctx, cfg)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	v, err := s.Read(ctx, kindOf(a.Type), a.ExternalName)
	r.health.observe(ctx, r, cfg, err)
	return v, err
}

// Client returns the live adapter of an external store, opening it (with its
// sealed login secrets) on first use and again whenever the configuration
// changed. The database store has no adapter: asking for it is EINVALID.
func (r *Resolver) Client(ctx context.Context, cfg *junction.CredentialStoreConfig) (junction.CredentialStore, error) {
	r.mu.Lock()
	c, ok := r.clients[cfg.ID]
	r.mu.Unlock()
	if ok && c.updatedAt.Equal(cfg.UpdatedAt) {
		return c.store, nil
	}
	s, err := r.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.clients[cfg.ID]; ok {
		if !cur.updatedAt.Before(cfg.UpdatedAt) {
			// Someone opened the same or a newer version meanwhile.
			closeStore(s)
			return cur.store, nil
		}
		closeStore(cur.store)
	}
	r.clients[cfg.ID] = openStore{updatedAt: cfg.UpdatedAt, store: s}
	return s, nil
}

// Open builds a fresh adapter for a store configuration without caching it
// (used to test a configuration before it is saved).
func (r *Resolver) Open(ctx context.Context, cfg *junction.CredentialStoreConfig) (junction.CredentialStore, error) {
	t, ok := r.opts.Types[cfg.Type]
	if !ok {
		return nil, junction.Invalid("type", "unknown credential store type %q", cfg.Type)
	}
	merged := make(map[string]string, len(cfg.Config)+len(cfg.SecretKeys))
	for k, v := range cfg.Config {
		merged[k] = v
	}
	if cfg.SealedID != "" {
		secrets, err := OpenStoreSecrets(ctx, r.opts.Store, r.opts.Keyring, cfg.TenantID, cfg.SealedID)
		if err != nil {
			return nil, err
		}
		for k, v := range secrets {
			merged[k] = v
		}
	}
	if err := r.addProxySettings(ctx, cfg, merged); err != nil {
		return nil, err
	}
	return r.openType(t, cfg, merged)
}

// OpenWith builds an adapter from a configuration whose secret keys are
// given in plain form (a store being created or tested before it is saved).
func (r *Resolver) OpenWith(ctx context.Context, cfg *junction.CredentialStoreConfig, secrets map[string]string) (junction.CredentialStore, error) {
	t, ok := r.opts.Types[cfg.Type]
	if !ok {
		return nil, junction.Invalid("type", "unknown credential store type %q", cfg.Type)
	}
	merged := make(map[string]string, len(cfg.Config)+len(secrets))
	for k, v := range cfg.Config {
		merged[k] = v
	}
	for k, v := range secrets {
		merged[k] = v
	}
	if err := r.addProxySettings(ctx, cfg, merged); err != nil {
		return nil, err
	}
	return r.openType(t, cfg, merged)
}

// openType opens an adapter of type t for cfg with its whole configuration
// (secret keys included), unless it would log in as this server and the
// server does not let cfg's tenant do that.
func (r *Resolver) openType(t junction.CredentialStoreType, cfg *junction.CredentialStoreConfig, config map[string]string) (junction.CredentialStore, error) {
	if key, ok := t.ServerIdentity(config); ok && r.opts.ServerIdentity != nil && !r.opts.ServerIdentity(cfg.TenantID) {
		how := "the server's own cloud identity (no credentials given)"
		if key != "" {
			how = "a file or environment variable of the server (" + key + ")"
		}
		return nil, &junction.Error{Code: junction.EPERMISSIONDENIED, Field: key,
			Message: fmt.Sprintf("credential store %q would log in with %s, which this server does not allow for this tenant (--store-server-identity); give the store credentials of its own",
				cfg.Name, how)}
	}
	return t.Open(config, r.storeOptions(cfg))
}

func (r *Resolver) storeOptions(cfg *junction.CredentialStoreConfig) junction.CredentialStoreOptions {
	return junction.CredentialStoreOptions{
		Name:      cfg.Name,
		Clock:     r.opts.Clock,
		Logger:    r.opts.Logger.With("credential_store", cfg.Name, "store_type", cfg.Type),
		Insecure:  cfg.Insecure,
		ProxyURL:  cfg.ProxyURL,
		Transport: r.opts.Transport,
		Timeout:   r.opts.StoreTimeout,
		Allow:     r.opts.StoreAllow,
	}
}

// Forget closes and drops the adapter of a store that was changed or
// deleted, and nothing else: cached values stay valid for their hour.
func (r *Resolver) Forget(storeID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[storeID]; ok {
		closeStore(c.store)
		delete(r.clients, storeID)
	}
}

func closeStore(s junction.CredentialStore) {
	if c, ok := s.(junction.Closer); ok {
		_ = c.Close()
	}
}

// Collector exposes the cache counters per store type to Prometheus.
func (r *Resolver) Collector() prometheus.Collector { return collector{r} }

var (
	descHits    = prometheus.NewDesc("junction_resolver_cache_hits_total", "Secret resolutions answered from the in-memory cache.", []string{"store_type"}, nil)
	descMisses  = prometheus.NewDesc("junction_resolver_cache_misses_total", "Secret resolutions that found no fresh cached value.", []string{"store_type"}, nil)
	descReads   = prometheus.NewDesc("junction_resolver_store_reads_total", "Reads from credential stores.", []string{"store_type"}, nil)
	descErrors  = prometheus.NewDesc("junction_resolver_store_errors_total", "Credential store reads that failed.", []string{"store_type"}, nil)
	descRenewed = prometheus.NewDesc("junction_resolver_leases_renewed_total", "Leased values in use read again before they ran out.", []string{"store_type"}, nil)
	descHeard   = prometheus.NewDesc("junction_resolver_rotations_heard_total", "Cached values dropped because another server found them rotated.", nil, nil)
)

type collector struct{ r *Resolver }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHits
	ch <- descMisses
	ch <- descReads
	ch <- descErrors
	ch <- descRenewed
	ch <- descHeard
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descHeard, prometheus.CounterValue, float64(c.r.rotationsHeard.Load()))
	for label, s := range c.r.cache.StatsByLabel() {
		if label == "" {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descHits, prometheus.CounterValue, float64(s.Hits), label)
		ch <- prometheus.MustNewConstMetric(descMisses, prometheus.CounterValue, float64(s.Misses), label)
		ch <- prometheus.MustNewConstMetric(descReads, prometheus.CounterValue, float64(s.Fetches), label)
		ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(s.Errors), label)
		ch <- prometheus.MustNewConstMetric(descRenewed, prometheus.CounterValue, float64(s.Renewed), label)
	}
}

// databaseValue is the sealed form of a database-store asset value.
type databaseValue struct {
	Username string `json:"username,omitempty"`
	Value    string `json:"value"`
}

// SealDatabaseValue seals the value of a database-store asset under
// sealedID, ready for Store.PutSealed.
func SealDatabaseValue(k junction.Keyring, tenantID, sealedID string, v junction.StoredSecret) (*junction.SealedValue, error) {
	b, err := json.Marshal(databaseValue{Username: v.Username, Value: v.Value.Reveal()})
	if err != nil {
		return nil, junction.Internal(err)
	}
	defer clear(b)
	return k.Seal(tenantID, sealedID, b)
}

// OpenDatabaseValue reads and opens the value of a database-store asset.
func OpenDatabaseValue(ctx context.Context, st junction.SealedStore, k junction.Keyring, a *junction.Asset) (junction.StoredSecret, error) {
	if a.SealedID == "" {
		return junction.StoredSecret{}, junction.Errorf(junction.ECREDNOTFOUND, "asset %q has no value in the database store", a.Name)
	}
	sv, err := st.GetSealed(ctx, a.TenantID, a.SealedID)
	if err != nil {
		return junction.StoredSecret{}, fmt.Errorf("read value of asset %q: %w", a.Name, err)
	}
	b, err := k.Open(sv)
	if err != nil {
		return junction.StoredSecret{}, junction.Internal(fmt.Errorf("open value of asset %q: %w", a.Name, err))
	}
	defer clear(b)
	var v databaseValue
	if err := json.Unmarshal(b, &v); err != nil {
		return junction.StoredSecret{}, junction.Internal(fmt.Errorf("decode value of asset %q: %w", a.Name, err))
	}
	return junction.StoredSecret{Username: v.Username, Value: junction.NewSecret(v.Value)}, nil
}

// SealStoreSecrets seals the secret configuration keys of a credential
// store (its token, secret_id, client secret, key) under sealedID.
func SealStoreSecrets(k junction.Keyring, tenantID, sealedID string, secrets map[string]string) (*junction.SealedValue, error) {
	b, err := json.Marshal(secrets)
	if err != nil {
		return nil, junction.Internal(err)
	}
	defer clear(b)
	return k.Seal(tenantID, sealedID, b)
}

// OpenStoreSecrets reads and opens the secret configuration keys of a store.
func OpenStoreSecrets(ctx context.Context, st junction.SealedStore, k junction.Keyring, tenantID, sealedID string) (map[string]string, error) {
	sv, err := st.GetSealed(ctx, tenantID, sealedID)
	if err != nil {
		return nil, fmt.Errorf("read credential store secrets: %w", err)
	}
	b, err := k.Open(sv)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("open credential store secrets: %w", err))
	}
	defer clear(b)
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, junction.Internal(fmt.Errorf("decode credential store secrets: %w", err))
	}
	return m, nil
}
