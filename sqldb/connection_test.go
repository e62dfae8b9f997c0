package sqldb_test

import (
	"testing"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// TestGetConnectionForExecution reads a connection with its folder and the
// assets its fields refer to, in one query, on every backend.
func TestGetConnectionForExecution(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			ctx := t.Context()
			ta, tb := &junction.Tenant{Name: "a"}, &junction.Tenant{Name: "b"}
			must(t, db.CreateTenant(ctx, ta))
			must(t, db.CreateTenant(ctx, tb))
			folder := func(tn *junction.Tenant) *junction.Folder {
				f := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: "F"}
				f.Path = []string{f.ID}
				must(t, db.CreateFolder(ctx, f))
				return f
			}
			fa, fb := folder(ta), folder(tb)
			cs := &junction.CredentialStoreConfig{TenantID: ta.ID, Name: "vault", Type: "database", Config: map[string]string{"k": "v"}}
			must(t, db.CreateCredentialStore(ctx, cs))
			secret := &junction.Asset{TenantID: ta.ID, FolderID: fa.ID, Name: "key", Type: junction.AssetSecret, StoreID: cs.ID, ExternalName: "apps/key"}
			must(t, db.CreateAsset(ctx, secret))
			plain := &junction.Asset{TenantID: ta.ID, FolderID: fa.ID, Name: "region", Type: junction.AssetText, Value: "eu"}
			must(t, db.CreateAsset(ctx, plain))
			foreign := &junction.Asset{TenantID: tb.ID, FolderID: fb.ID, Name: "other", Type: junction.AssetText, Value: "x"}
			must(t, db.CreateAsset(ctx, foreign))

			c := &junction.Connection{TenantID: ta.ID, FolderID: fa.ID, Connector: "http", Name: "with assets",
				Fields: map[string]junction.FieldValue{
					"base_url": {Value: "https://api.example.com"},
					"api_key":  {AssetID: secret.ID},
					"region":   {AssetID: plain.ID},
					"username": {AssetID: secret.ID, Part: "username"}, // the same asset twice
					"other":    {AssetID: foreign.ID},                  // another tenant's: never read
					"gone":     {AssetID: junction.NewID()},
				}}
			must(t, db.CreateConnection(ctx, c))
			bare := &junction.Connection{TenantID: ta.ID, FolderID: fa.ID, Connector: "http", Name: "bare",
				Fields: map[string]junction.FieldValue{"base_url": {Value: "https://api.example.com"}}}
			must(t, db.CreateConnection(ctx, bare))

			t.Run("OK", func(t *testing.T) {
				got, f, assets, err := db.GetConnectionForExecution(ctx, ta.ID, c.ID)
				must(t, err)
				if got.ID != c.ID || got.Fields["api_key"].AssetID != secret.ID || f.ID != fa.ID || f.Name != "F" {
					t.Fatalf("connection %+v, folder %+v", got, f)
				}
				if len(assets) != 2 {
					t.Fatalf("assets %v", assets)
				}
				s := assets[secret.ID]
				if s.Asset == nil || s.Asset.ExternalName != "apps/key" || s.Store == nil || s.Store.ID != cs.ID || s.Store.Config["k"] != "v" {
					t.Fatalf("secret asset %+v, store %+v", s.Asset, s.Store)
				}
				p := assets[plain.ID]
				if p.Asset == nil || p.Asset.Value != "eu" || p.Store != nil {
					t.Fatalf("plain asset %+v, store %+v", p.Asset, p.Store)
				}
			})
			t.Run("NoAssets", func(t *testing.T) {
				got, f, assets, err := db.GetConnectionForExecution(ctx, ta.ID, bare.ID)
				must(t, err)
				if got.ID != bare.ID || f.ID != fa.ID || assets == nil || len(assets) != 0 {
					t.Fatalf("connection %+v, folder %+v, assets %v", got, f, assets)
				}
			})
			t.Run("ErrNotFound", func(t *testing.T) {
				_, _, _, err := db.GetConnectionForExecution(ctx, ta.ID, junction.NewID())
				if !junction.IsCode(err, junction.ENOTFOUND) {
					t.Fatalf("err = %v", err)
				}
				_, _, _, err = db.GetConnectionForExecution(ctx, tb.ID, c.ID)
				if !junction.IsCode(err, junction.ENOTFOUND) {
					t.Fatalf("other tenant: err = %v", err)
				}
			})
		})
	}
}
