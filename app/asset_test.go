package app_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"junction"
	"junction/app"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/credstore/vault/vaulttest"
	"junction/keyring"
	"junction/resolver"
	"junction/sqldb/sqldbtest"
)

// racedStore is a real database into which, when armed, a second request
// slips an asset of the same name just before the next transaction begins,
// as one committing first would.
type racedStore struct {
	junction.Store
	race atomic.Pointer[junction.Asset]
}

func (s *racedStore) InTx(ctx context.Context, fn func(tx junction.Store) error) error {
	if other := s.race.Swap(nil); other != nil {
		if err := s.Store.CreateAsset(ctx, other); err != nil {
			return err
		}
	}
	return s.Store.InTx(ctx, fn)
}

// A create that wrote a new secret to a vault deletes it again when the
// asset cannot be committed; one that replaced an existing secret leaves
// it; an update that fails after its vault write leaves the new value.
func TestAssetVaultWriteUndone(t *testing.T) {
	ctx := context.Background()
	st := &racedStore{Store: sqldbtest.Open(t)}
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
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", "secret-id-1")
	sec := junction.NewSecret
	cs, err := a.CreateCredentialStore(ctx, admin, app.CreateCredentialStoreInput{Name: "corp-vault", Type: vault.TypeName,
		Config: map[string]junction.Secret{
			"address": sec(vs.URL()), "ca_cert": sec(vs.CACertPEM()), "auth_method": sec("approle"),
			"role_id": sec("role-1"), "secret_id": sec("secret-id-1"), "engine": sec("kv-v2"), "mount": sec("secret"),
			"data_path": sec("apps"),
		}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "F"})
	if err != nil {
		t.Fatal(err)
	}
	// raced arms the store: the next transaction finds the name taken.
	raced := func(name string) {
		now := newClock().Now()
		st.race.Store(&junction.Asset{ID: junction.NewID(), TenantID: admin.TenantID(), FolderID: f.ID, Name: name,
			Type: junction.AssetText, Value: "first", CreatedAt: now, UpdatedAt: now})
	}
	create := func(name, value string) error {
		v := sec(value)
		_, err := a.CreateAsset(ctx, admin, app.CreateAssetInput{FolderID: f.ID, Name: name, Type: junction.AssetSecret,
			StoreID: cs.ID, Value: &v})
		return err
	}

	t.Run("NewSecretDeleted", func(t *testing.T) {
		raced("api-key")
		if err := create("api-key", "value-new-4821"); !junction.IsCode(err, junction.ECONFLICT) {
			t.Fatalf("create: %v", err)
		}
		if vs.Writes("secret/apps/api-key") != 1 || vs.Deletes("secret/apps/api-key") != 1 {
			t.Fatal("the value was not written to the vault first")
		}
		if _, ok := vs.Get("secret/apps/api-key"); ok {
			t.Fatal("the vault still holds the secret of an asset not created")
		}
		if strings.Contains(logs.String(), "value-new-4821") {
			t.Fatal("the value reached the log")
		}
	})

	t.Run("ExistingSecretKept", func(t *testing.T) {
		vs.Put("secret/apps/shared", map[string]string{"value": "value-old-1375"})
		raced("shared")
		if err := create("shared", "value-new-9264"); !junction.IsCode(err, junction.ECONFLICT) {
			t.Fatalf("create: %v", err)
		}
		got, ok := vs.Get("secret/apps/shared")
		if !ok || got["value"] != "value-new-9264" {
			t.Fatalf("the vault holds %v (%v), want the value written", got, ok)
		}
	})

	t.Run("OK", func(t *testing.T) {
		if err := create("token", "value-kept-5512"); err != nil {
			t.Fatal(err)
		}
		if got, ok := vs.Get("secret/apps/token"); !ok || got["value"] != "value-kept-5512" {
			t.Fatalf("the vault holds %v (%v)", got, ok)
		}
	})

	t.Run("UpdateKeepsNewValue", func(t *testing.T) {
		v := sec("value-one-7730")
		as, err := a.CreateAsset(ctx, admin, app.CreateAssetInput{FolderID: f.ID, Name: "rotated", Type: junction.AssetSecret,
			StoreID: cs.ID, Value: &v})
		if err != nil {
			t.Fatal(err)
		}
		// A rename to a name taken meanwhile fails after the vault write.
		name, v2 := "rotated-2", sec("value-two-8841")
		raced(name)
		if _, err := a.UpdateAsset(ctx, admin, as.ID, app.UpdateAssetInput{Name: &name, Value: &v2}); !junction.IsCode(err, junction.ECONFLICT) {
			t.Fatalf("update: %v", err)
		}
		if got, ok := vs.Get("secret/apps/rotated"); !ok || got["value"] != "value-two-8841" {
			t.Fatalf("the vault holds %v (%v), want the new value", got, ok)
		}
		out := logs.String()
		if !strings.Contains(out, "already holds the new value") || strings.Contains(out, "value-two-8841") {
			t.Fatalf("log: %s", out)
		}
	})
}
