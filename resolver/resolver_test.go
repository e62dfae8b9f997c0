package resolver_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/credstore/vault/vaulttest"
	"junction/keyring"
	"junction/resolver"
	"junction/sqldb/sqldbtest"
)

type fixture struct {
	store  junction.Store
	vault  *vaulttest.Server
	clock  *credstoretest.Clock
	res    *resolver.Resolver
	asset  *junction.Asset
	dbAsst *junction.Asset
	// opts made res: another resolver from them is another server on
	// the same database.
	opts resolver.Options
}

const vaultPath = "secret/apps/crm"

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := credstoretest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	vs := vaulttest.New(t, vaulttest.Options{Clock: clock})
	vs.SetAppRole("approle", "role-1", "secret-id-1")
	vs.Put(vaultPath, map[string]string{"username": "crm-bot", "password": "first-password-plant"})

	st := sqldbtest.Open(t)
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	tenant := &junction.Tenant{ID: junction.NewID(), Name: "t", CreatedAt: clock.Now()}
	if err := st.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	folder := &junction.Folder{ID: junction.NewID(), TenantID: tenant.ID, Name: "Shared", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	folder.Path = []string{folder.ID}
	if err := st.CreateFolder(ctx, folder); err != nil {
		t.Fatal(err)
	}

	sealedID := junction.NewID()
	sv, err := resolver.SealStoreSecrets(ring, tenant.ID, sealedID, map[string]string{"secret_id": "secret-id-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSealed(ctx, sv); err != nil {
		t.Fatal(err)
	}
	cfg := &junction.CredentialStoreConfig{
		ID: junction.NewID(), TenantID: tenant.ID, Name: "corp-vault", Type: vault.TypeName,
		Config: map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle", "role_id": "role-1",
			"engine": "kv-v2", "mount": "secret", "data_path": "apps",
		},
		SecretKeys: []string{"secret_id"}, SealedID: sealedID, CreatedAt: clock.Now(), UpdatedAt: clock.Now(),
	}
	if err := st.CreateCredentialStore(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	asset := &junction.Asset{
		ID: junction.NewID(), TenantID: tenant.ID, FolderID: folder.ID, Name: "crm", Type: junction.AssetCredential,
		StoreID: cfg.ID, ExternalName: "crm", CreatedAt: clock.Now(), UpdatedAt: clock.Now(),
	}
	if err := st.CreateAsset(ctx, asset); err != nil {
		t.Fatal(err)
	}

	dbStore := &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: tenant.ID, Name: "Database",
		Type: junction.DatabaseStoreType, Config: map[string]string{}, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := st.CreateCredentialStore(ctx, dbStore); err != nil {
		t.Fatal(err)
	}
	dbAsset := &junction.Asset{ID: junction.NewID(), TenantID: tenant.ID, FolderID: folder.ID, Name: "api-key",
		Type: junction.AssetSecret, StoreID: dbStore.ID, SealedID: junction.NewID(), CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	dv, err := resolver.SealDatabaseValue(ring, tenant.ID, dbAsset.SealedID, junction.StoredSecret{Value: junction.NewSecret("db-held-plant")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSealed(ctx, dv); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAsset(ctx, dbAsset); err != nil {
		t.Fatal(err)
	}

	opts := resolver.Options{
		Store: st, Keyring: ring, Clock: clock,
		Types:      map[string]junction.CredentialStoreType{vault.TypeName: vault.Type},
		StoreAllow: credstoretest.Loopback,
		// Lease renewal runs when a test calls RenewLeases, after moving
		// the clock.
		RenewInterval: -1,
	}
	res, err := resolver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Close() })
	return &fixture{store: st, vault: vs, clock: clock, res: res, asset: asset, dbAsst: dbAsset, opts: opts}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		f := setup(t)
		v, err := f.res.Resolve(ctx, f.asset)
		if err != nil {
			t.Fatal(err)
		}
		if v.Username != "crm-bot" || v.Value.Reveal() != "first-password-plant" {
			t.Fatalf("got %q / %v", v.Username, v.Value)
		}
	})

	t.Run("ConcurrentColdMissesShareOneRead", func(t *testing.T) {
		f := setup(t)
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.res.Resolve(ctx, f.asset); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := f.vault.Reads(vaultPath); n != 1 {
			t.Fatalf("vault reads = %d, want 1", n)
		}
		for range 50 {
			if _, err := f.res.Resolve(ctx, f.asset); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.vault.Reads(vaultPath); n != 1 {
			t.Fatalf("vault reads after warm resolves = %d, want 1", n)
		}
	})

	t.Run("OutageServedFromCacheForOneHourOnly", func(t *testing.T) {
		f := setup(t)
		if _, err := f.res.Resolve(ctx, f.asset); err != nil {
			t.Fatal(err)
		}
		f.vault.Stop()
		f.clock.Advance(59 * time.Minute)
		if _, err := f.res.Resolve(ctx, f.asset); err != nil {
			t.Fatalf("within the hour: %v", err)
		}
		f.clock.Advance(time.Minute)
		_, err := f.res.Resolve(ctx, f.asset)
		if code := junction.ErrorCode(err); code != junction.ECREDSTOREUNAVAILABLE {
			t.Fatalf("after the hour: code %q (%v)", code, err)
		}
		credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("first-password-plant"), junction.NewSecret("secret-id-1"))
	})

	t.Run("RefreshReportsChange", func(t *testing.T) {
		f := setup(t)
		if _, err := f.res.Resolve(ctx, f.asset); err != nil {
			t.Fatal(err)
		}
		_, changed, err := f.res.Refresh(ctx, f.asset)
		if err != nil || changed {
			t.Fatalf("refresh without rotation: changed=%v err=%v", changed, err)
		}
		f.vault.Put(vaultPath, map[string]string{"username": "crm-bot", "password": "second-password-plant"})
		v, changed, err := f.res.Refresh(ctx, f.asset)
		if err != nil || !changed || v.Value.Reveal() != "second-password-plant" {
			t.Fatalf("refresh after rotation: changed=%v err=%v", changed, err)
		}
		v, err = f.res.Resolve(ctx, f.asset)
		if err != nil || v.Value.Reveal() != "second-password-plant" {
			t.Fatalf("resolve after refresh: %v", err)
		}
	})

	t.Run("WithStoreReadAlongside", func(t *testing.T) {
		f := setup(t)
		a, cfg, err := f.store.GetAssetWithStore(ctx, f.asset.TenantID, f.asset.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.res.ResolveWith(ctx, a, cfg)
		if err != nil || v.Value.Reveal() != "first-password-plant" {
			t.Fatalf("got err %v", err)
		}
		// The same cache as Resolve.
		if _, err := f.res.Resolve(ctx, f.asset); err != nil {
			t.Fatal(err)
		}
		if n := f.vault.Reads(vaultPath); n != 1 {
			t.Fatalf("vault reads = %d, want 1", n)
		}
		// A store other than the asset's is not used: the asset's is looked up.
		_, other, err := f.store.GetAssetWithStore(ctx, f.dbAsst.TenantID, f.dbAsst.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err = f.res.ResolveWith(ctx, a, other)
		if err != nil || v.Value.Reveal() != "first-password-plant" {
			t.Fatalf("with another store: err %v", err)
		}
		v, err = f.res.ResolveWith(ctx, f.dbAsst, other)
		if err != nil || v.Value.Reveal() != "db-held-plant" {
			t.Fatalf("database store: err %v", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		f := setup(t)
		a := *f.asset
		a.ExternalName = "missing"
		_, err := f.res.Resolve(ctx, &a)
		if code := junction.ErrorCode(err); code != junction.ECREDNOTFOUND {
			t.Fatalf("code %q (%v)", code, err)
		}
	})

	t.Run("DatabaseStore", func(t *testing.T) {
		f := setup(t)
		v, err := f.res.Resolve(ctx, f.dbAsst)
		if err != nil || v.Value.Reveal() != "db-held-plant" {
			t.Fatalf("got err %v", err)
		}
	})

	t.Run("ErrNotSensitive", func(t *testing.T) {
		f := setup(t)
		a := *f.asset
		a.Type = junction.AssetText
		if _, err := f.res.Resolve(ctx, &a); junction.ErrorCode(err) != junction.EINVALID {
			t.Fatalf("got %v", err)
		}
	})
}

// TestStoreUnreachableTellsPeople: a store failing every read for five
// minutes is reported once, and its recovery once, though two servers
// (two resolvers on one database) each see the outage and the recovery.
func TestStoreUnreachableTellsPeople(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	other, err := resolver.New(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	events := func() []*junction.Event {
		t.Helper()
		es, err := f.store.ListEvents(ctx, f.asset.TenantID, junction.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	f.vault.Stop()
	for _, step := range []time.Duration{0, 2 * time.Minute, 2 * time.Minute} {
		f.clock.Advance(step)
		for _, res := range []*resolver.Resolver{f.res, other} {
			if _, err := res.Resolve(ctx, f.asset); err == nil {
				t.Fatal("resolved from a stopped vault")
			}
		}
	}
	if es := events(); len(es) != 0 {
		t.Fatalf("reported after 4 minutes: %+v", es[0])
	}
	for range 2 {
		f.clock.Advance(time.Minute)
		_, _ = f.res.Resolve(ctx, f.asset)
		_, _ = other.Resolve(ctx, f.asset)
	}
	es := events()
	if len(es) != 1 || es[0].Type != junction.EventCredentialStoreUnreachable || es[0].Details["state"] != "unreachable" ||
		es[0].Details["name"] != "corp-vault" {
		t.Fatalf("events after 6 minutes: %+v", es)
	}
	if err := f.vault.Start(); err != nil {
		t.Fatal(err)
	}
	for _, res := range []*resolver.Resolver{f.res, other} {
		if _, err := res.Resolve(ctx, f.asset); err != nil {
			t.Fatal(err)
		}
	}
	es = events()
	if len(es) != 2 || es[1].Details["state"] != "recovered" {
		t.Fatalf("events after recovery: %+v", es)
	}
	b, _ := json.Marshal(es)
	credstoretest.AssertErrorNoLeak(t, errors.New(string(b)), junction.NewSecret("first-password-plant"), junction.NewSecret("secret-id-1"))
}
