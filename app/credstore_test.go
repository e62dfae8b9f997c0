package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/keyring"
	"junction/resolver"
	"junction/sqldb/sqldbtest"
)

// withStores returns an App on a fresh database with a keyring, a resolver
// and the Vault store type, and the administrator's principal.
func withStores(t *testing.T) (*app.App, *junction.Principal, junction.Store, *credstoretest.LogBuffer) {
	t.Helper()
	ctx := context.Background()
	st := sqldbtest.Open(t)
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	logger, logs := credstoretest.NewLogger()
	types := map[string]junction.CredentialStoreType{vault.TypeName: vault.Type}
	res, err := resolver.New(resolver.Options{Store: st, Keyring: ring, Types: types, Clock: newClock(), Logger: logger,
		StoreAllow: credstoretest.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	a := app.New(st, app.Options{Clock: newClock(), Logger: logger, Keyring: ring, Resolver: res, StoreTypes: types})
	boot, err := a.Bootstrap(ctx, app.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Authenticate(ctx, boot.Token.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	return a, admin, st, logs
}

func databaseStoreOf(t *testing.T, a *app.App, p *junction.Principal) *app.CredentialStoreView {
	t.Helper()
	l, err := a.ListCredentialStores(context.Background(), p, junction.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Items {
		if s.Type == junction.DatabaseStoreType {
			return s
		}
	}
	return nil
}

// Tenants that predate credential stores get their database store at start
// (EnsureDatabaseStores) or on first need (a secret asset without a store).
func TestDatabaseStoreForOlderTenants(t *testing.T) {
	ctx := context.Background()
	a, admin, st, _ := withStores(t)
	db := databaseStoreOf(t, a, admin)
	if db == nil || db.Name != app.DatabaseStoreName || !db.BuiltIn {
		t.Fatalf("a bootstrapped tenant's database store: %+v", db)
	}

	t.Run("AtStart", func(t *testing.T) {
		if err := st.DeleteCredentialStore(ctx, admin.TenantID(), databaseStoreOf(t, a, admin).ID); err != nil {
			t.Fatal(err)
		}
		if databaseStoreOf(t, a, admin) != nil {
			t.Fatal("the store is still there")
		}
		if err := a.EnsureDatabaseStores(ctx); err != nil {
			t.Fatal(err)
		}
		if databaseStoreOf(t, a, admin) == nil {
			t.Fatal("EnsureDatabaseStores created no database store")
		}
		// Running it again changes nothing.
		if err := a.EnsureDatabaseStores(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OnDemand", func(t *testing.T) {
		if err := st.DeleteCredentialStore(ctx, admin.TenantID(), databaseStoreOf(t, a, admin).ID); err != nil {
			t.Fatal(err)
		}
		folders, err := a.ListFolders(ctx, admin, app.FolderQuery{})
		if err != nil {
			t.Fatal(err)
		}
		v := junction.NewSecret("value")
		as, err := a.CreateAsset(ctx, admin, app.CreateAssetInput{
			FolderID: folders.Items[0].ID, Name: "key", Type: junction.AssetSecret, Value: &v,
		})
		if err != nil {
			t.Fatal(err)
		}
		db := databaseStoreOf(t, a, admin)
		if db == nil || as.StoreID != db.ID || !as.HasValue {
			t.Fatalf("asset %+v, database store %+v", as, db)
		}
		got, err := a.ResolveAsset(ctx, admin, as.ID, false)
		if err != nil || got.Value.Reveal() != "value" {
			t.Fatalf("resolve: %v", err)
		}
	})
}

// Every insecure store is named in a warning at start; secure ones are not.
func TestWarnInsecureStores(t *testing.T) {
	ctx := context.Background()
	a, admin, _, logs := withStores(t)
	for _, tc := range []struct {
		name     string
		address  string
		insecure bool
	}{
		{"lab-vault", "http://127.0.0.1:8200", true},
		{"prod-vault", "https://vault.example.com", false},
	} {
		_, err := a.CreateCredentialStore(ctx, admin, app.CreateCredentialStoreInput{
			Name: tc.name, Type: vault.TypeName, Insecure: tc.insecure,
			Config: map[string]junction.Secret{
				"address": junction.NewSecret(tc.address), "auth_method": junction.NewSecret("token"),
				"token": junction.NewSecret("hvs.planted-token"),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Plain http without insecure is refused by the adapter.
	_, err := a.CreateCredentialStore(ctx, admin, app.CreateCredentialStoreInput{
		Name: "sloppy", Type: vault.TypeName,
		Config: map[string]junction.Secret{"address": junction.NewSecret("http://127.0.0.1:8200"),
			"auth_method": junction.NewSecret("token"), "token": junction.NewSecret("t")},
	})
	var e *junction.Error
	if !junction.IsCode(err, junction.EINVALID) || !errors.As(err, &e) || e.Field != "config.address" {
		t.Fatalf("plain http without insecure: %v", err)
	}

	before := strings.Count(logs.String(), "lab-vault")
	if err := a.WarnInsecureStores(ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Count(out, "lab-vault") != before+1 || strings.Contains(out, "prod-vault") {
		t.Fatalf("warnings:\n%s", out)
	}
	credstoretest.AssertNoLeak(t, "logs", out, junction.NewSecret("hvs.planted-token"))
}
