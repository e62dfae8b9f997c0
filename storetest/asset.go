package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"junction"
)

func testCredentialStores(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		sealed := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, sealed))
		cs := &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: tn.ID, Name: "Vault", Type: "hashicorp-vault",
			ReadOnly: true, Insecure: true, ProxyURL: "http://proxy.example.com:3128",
			AllowedHosts: []string{"api.example.com", "*.example.net"},
			Config:       map[string]string{"address": "https://vault.example.com", "mount": "kv"},
			SecretKeys:   []string{"role_id", "secret_id"}, SealedID: sealed.ID, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateCredentialStore(ctx, cs))
		got, err := s.GetCredentialStore(ctx, tn.ID, cs.ID)
		must(t, err)
		wantCredStore(t, got, cs)

		cs.Name, cs.ReadOnly, cs.Insecure, cs.ProxyURL, cs.AllowedHosts = "Vault 2", false, false, "", nil
		cs.Config = map[string]string{"address": "https://vault2.example.com"}
		cs.SecretKeys, cs.SealedID = nil, ""
		cs.UpdatedAt = base.Add(later)
		must(t, s.UpdateCredentialStore(ctx, cs))
		got, err = s.GetCredentialStore(ctx, tn.ID, cs.ID)
		must(t, err)
		wantCredStore(t, got, cs)

		must(t, s.DeleteCredentialStore(ctx, tn.ID, cs.ID))
		_, err = s.GetCredentialStore(ctx, tn.ID, cs.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("HealthReports", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		cs := mustCredStore(t, s, a.ID, "Vault")
		claim := func(what, tenant, state string, at time.Time, want bool) {
			t.Helper()
			ok, err := s.ClaimStoreHealthReport(ctx, tenant, cs.ID, state, at)
			must(t, err)
			wantEqual(t, what, ok, want)
		}
		claim("a recovery never reported down", a.ID, junction.StoreRecovered, base, false)
		claim("another tenant's store", b.ID, junction.StoreUnreachable, base, false)
		claim("the first server down", a.ID, junction.StoreUnreachable, base, true)
		claim("a second server down", a.ID, junction.StoreUnreachable, base.Add(time.Minute), false)
		claim("another tenant's recovery", b.ID, junction.StoreRecovered, base.Add(2*time.Minute), false)
		claim("the first server back", a.ID, junction.StoreRecovered, base.Add(3*time.Minute), true)
		claim("a second server back", a.ID, junction.StoreRecovered, base.Add(4*time.Minute), false)
		claim("down again", a.ID, junction.StoreUnreachable, base.Add(time.Hour), true)
		claim("still down, a day later", a.ID, junction.StoreUnreachable,
			base.Add(time.Hour+junction.StoreHealthReportStale+time.Minute), true)
		_, err := s.ClaimStoreHealthReport(ctx, a.ID, cs.ID, "sideways", base)
		wantCode(t, err, junction.EINVALID)
		// The report goes with its store.
		must(t, s.DeleteCredentialStore(ctx, a.ID, cs.ID))
		ok, err := s.ClaimStoreHealthReport(ctx, a.ID, cs.ID, junction.StoreRecovered, base.Add(48*time.Hour))
		must(t, err)
		wantEqual(t, "a deleted store", ok, false)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		cs := mustCredStore(t, s, a.ID, "Vault")
		_, err := s.GetCredentialStore(ctx, a.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetCredentialStore(ctx, b.ID, cs.ID)
		wantCode(t, err, junction.ENOTFOUND)
		moved := *cs
		moved.TenantID = b.ID
		wantCode(t, s.UpdateCredentialStore(ctx, &moved), junction.ENOTFOUND)
		wantCode(t, s.DeleteCredentialStore(ctx, b.ID, cs.ID), junction.ENOTFOUND)
		wantCode(t, s.DeleteCredentialStore(ctx, a.ID, junction.NewID()), junction.ENOTFOUND)
		list, err := s.ListCredentialStores(ctx, b.ID, junction.Page{})
		must(t, err)
		wantEqual(t, "stores seen from b", len(list), 0)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		mustCredStore(t, s, tn.ID, "Vault")
		other := mustCredStore(t, s, tn.ID, "Other")
		err := s.CreateCredentialStore(ctx, &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: tn.ID,
			Name: "Vault", Type: junction.DatabaseStoreType})
		wantCode(t, err, junction.ECONFLICT)
		other.Name = "Vault"
		wantCode(t, s.UpdateCredentialStore(ctx, other), junction.ECONFLICT)
	})

	t.Run("ErrDeleteInUse", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		cs := mustCredStore(t, s, tn.ID, "Vault")
		a1 := mustAsset(t, s, f, "one", cs)
		a2 := mustAsset(t, s, f, "two", cs)
		mustAsset(t, s, f, "plain", nil)

		err := s.DeleteCredentialStore(ctx, tn.ID, cs.ID)
		wantCode(t, err, junction.ECONFLICT)
		var je *junction.Error
		if !asError(err, &je) || je.Details["assets"] != 2 {
			t.Fatalf("details = %v, want assets: 2", je)
		}
		if msg := junction.ErrorMessage(err); !containsAll(msg, "2") {
			t.Fatalf("message %q does not give the count", msg)
		}
		must(t, s.DeleteAsset(ctx, tn.ID, a1.ID))
		must(t, s.DeleteAsset(ctx, tn.ID, a2.ID))
		must(t, s.DeleteCredentialStore(ctx, tn.ID, cs.ID))
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		tn := mustTenant(t, s, "acme")
		var all []string
		for _, n := range []string{"a", "b", "c"} {
			all = append(all, mustCredStore(t, s, tn.ID, n).ID)
		}
		testPaging(t, sorted(all...), func(p junction.Page) []string {
			cs, err := s.ListCredentialStores(ctxFor(t), tn.ID, p)
			must(t, err)
			return ids(cs, func(c *junction.CredentialStoreConfig) string { return c.ID })
		})
	})
}

func wantCredStore(t *testing.T, got, want *junction.CredentialStoreConfig) {
	t.Helper()
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Name != want.Name || got.Type != want.Type ||
		got.ReadOnly != want.ReadOnly || got.Insecure != want.Insecure || got.ProxyURL != want.ProxyURL ||
		got.SealedID != want.SealedID || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) ||
		len(got.Config) != len(want.Config) || len(got.SecretKeys) != len(want.SecretKeys) ||
		!slices.Equal(got.AllowedHosts, want.AllowedHosts) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
	for k, v := range want.Config {
		if got.Config[k] != v {
			t.Fatalf("config[%s] = %q, want %q", k, got.Config[k], v)
		}
	}
	for i := range want.SecretKeys {
		if got.SecretKeys[i] != want.SecretKeys[i] {
			t.Fatalf("secret keys = %v, want %v", got.SecretKeys, want.SecretKeys)
		}
	}
}

func wantAsset(t *testing.T, label string, got, want *junction.Asset) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %+v, want %+v", label, got, want)
	}
}

func testAssets(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		g := mustFolder(t, s, tn.ID, nil, "Other")
		cs := mustCredStore(t, s, tn.ID, "Vault")
		a := &junction.Asset{ID: junction.NewID(), TenantID: tn.ID, FolderID: f.ID, Name: "db", Type: junction.AssetCredential,
			Description: "the database login", StoreID: cs.ID, ExternalName: "apps/db", SealedID: junction.NewID(),
			CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateAsset(ctx, a))
		got, err := s.GetAsset(ctx, tn.ID, a.ID)
		must(t, err)
		wantAsset(t, "read", got, a)
		n, err := s.CountAssetsInStore(ctx, tn.ID, cs.ID)
		must(t, err)
		wantEqual(t, "assets in store", n, 1)

		// Move to another folder, out of the store, into a plain value.
		a.FolderID, a.Name, a.Description, a.Value = g.ID, "db2", "", "plain"
		a.StoreID, a.ExternalName, a.SealedID = "", "", ""
		a.UpdatedAt = base.Add(later)
		must(t, s.UpdateAsset(ctx, a))
		got, err = s.GetAsset(ctx, tn.ID, a.ID)
		must(t, err)
		wantAsset(t, "after update read", got, a)
		n, err = s.CountAssetsInStore(ctx, tn.ID, cs.ID)
		must(t, err)
		wantEqual(t, "assets in store after update", n, 0)

		must(t, s.DeleteAsset(ctx, tn.ID, a.ID))
		_, err = s.GetAsset(ctx, tn.ID, a.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		ta, tb := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		fa := mustFolder(t, s, ta.ID, nil, "Shared")
		fb := mustFolder(t, s, tb.ID, nil, "Shared")
		csb := mustCredStore(t, s, tb.ID, "Vault")
		a := mustAsset(t, s, fa, "url", nil)

		_, err := s.GetAsset(ctx, ta.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetAsset(ctx, tb.ID, a.ID)
		wantCode(t, err, junction.ENOTFOUND)
		moved := *a
		moved.TenantID, moved.FolderID = tb.ID, fb.ID
		wantCode(t, s.UpdateAsset(ctx, &moved), junction.ENOTFOUND)
		wantCode(t, s.DeleteAsset(ctx, tb.ID, a.ID), junction.ENOTFOUND)

		// References to missing folders and stores, or another tenant's.
		for name, bad := range map[string]*junction.Asset{
			"missing folder":      {TenantID: ta.ID, FolderID: junction.NewID(), Name: "x", Type: junction.AssetText},
			"other tenant folder": {TenantID: ta.ID, FolderID: fb.ID, Name: "x", Type: junction.AssetText},
			"other tenant store": {TenantID: ta.ID, FolderID: fa.ID, Name: "x", Type: junction.AssetSecret,
				StoreID: csb.ID, ExternalName: "x"},
		} {
			if err := s.CreateAsset(ctx, bad); junction.ErrorCode(err) != junction.ENOTFOUND {
				t.Fatalf("%s: error %v, want not_found", name, err)
			}
		}
		moved = *a
		moved.FolderID = fb.ID
		wantCode(t, s.UpdateAsset(ctx, &moved), junction.ENOTFOUND)
		n, err := s.CountAssetsInStore(ctx, ta.ID, csb.ID)
		must(t, err)
		wantEqual(t, "count of another tenant's store", n, 0)
	})

	t.Run("WithStore", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn, other := mustTenant(t, s, "acme"), mustTenant(t, s, "other")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		cs := mustCredStore(t, s, tn.ID, "Vault")
		mustCredStore(t, s, other.ID, "Vault")
		secret, plain := mustAsset(t, s, f, "db", cs), mustAsset(t, s, f, "url", nil)

		a, got, err := s.GetAssetWithStore(ctx, tn.ID, secret.ID)
		must(t, err)
		wantAsset(t, "read", a, secret)
		want, err := s.GetCredentialStore(ctx, tn.ID, cs.ID)
		must(t, err)
		if got == nil {
			t.Fatal("no credential store read with the asset")
		}
		wantCredStore(t, got, want)

		a, got, err = s.GetAssetWithStore(ctx, tn.ID, plain.ID)
		must(t, err)
		wantAsset(t, "read", a, plain)
		if got != nil {
			t.Fatalf("read %+v with store %+v, want none", a, got)
		}

		_, _, err = s.GetAssetWithStore(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, _, err = s.GetAssetWithStore(ctx, other.ID, secret.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f, g := mustFolder(t, s, tn.ID, nil, "F"), mustFolder(t, s, tn.ID, nil, "G")
		mustAsset(t, s, f, "url", nil)
		other := mustAsset(t, s, g, "url", nil) // same name, other folder: fine
		err := s.CreateAsset(ctx, &junction.Asset{TenantID: tn.ID, FolderID: f.ID, Name: "url", Type: junction.AssetText})
		wantCode(t, err, junction.ECONFLICT)
		if msg := junction.ErrorMessage(err); !containsAll(msg, `"url"`) {
			t.Fatalf("message %q does not name the asset", msg)
		}
		other.FolderID = f.ID
		wantCode(t, s.UpdateAsset(ctx, other), junction.ECONFLICT)
	})

	t.Run("AllowedHosts", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		cs := mustCredStore(t, s, tn.ID, "Vault")
		a := &junction.Asset{ID: junction.NewID(), TenantID: tn.ID, FolderID: f.ID, Name: "token", Type: junction.AssetSecret,
			StoreID: cs.ID, ExternalName: "apps/token", AllowedHosts: []string{"api.example.com", "*.example.net"},
			CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateAsset(ctx, a))
		got, err := s.GetAsset(ctx, tn.ID, a.ID)
		must(t, err)
		wantAsset(t, "read", got, a)
		got, _, err = s.GetAssetWithStore(ctx, tn.ID, a.ID)
		must(t, err)
		wantAsset(t, "read with store", got, a)
		list, err := s.ListAssets(ctx, tn.ID, junction.AssetFilter{})
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("listed %d assets, want 1", len(list))
		}
		wantAsset(t, "listed", list[0], a)

		a.AllowedHosts = []string{"10.0.0.7"}
		a.UpdatedAt = base.Add(later)
		must(t, s.UpdateAsset(ctx, a))
		got, err = s.GetAsset(ctx, tn.ID, a.ID)
		must(t, err)
		wantAsset(t, "after update read", got, a)

		// None is no restriction, and reads back as nil.
		a.AllowedHosts = []string{}
		must(t, s.UpdateAsset(ctx, a))
		got, err = s.GetAsset(ctx, tn.ID, a.ID)
		must(t, err)
		if got.AllowedHosts != nil {
			t.Fatalf("allowed hosts after clearing = %#v, want nil", got.AllowedHosts)
		}
		plain := mustAsset(t, s, f, "url", nil)
		got, err = s.GetAsset(ctx, tn.ID, plain.ID)
		must(t, err)
		if got.AllowedHosts != nil {
			t.Fatalf("allowed hosts of an asset created without = %#v, want nil", got.AllowedHosts)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		mustAsset(t, s, mustFolder(t, s, other.ID, nil, "F"), "elsewhere", nil)
		f, g := mustFolder(t, s, tn.ID, nil, "F"), mustFolder(t, s, tn.ID, nil, "G")
		cs := mustCredStore(t, s, tn.ID, "Vault")
		a1 := mustAsset(t, s, f, "api-url", nil)
		a2 := mustAsset(t, s, f, "API_key", cs)
		a3 := mustAsset(t, s, g, "retries", nil)
		a4 := mustAsset(t, s, g, "db", cs)
		list := func(af junction.AssetFilter) []string {
			t.Helper()
			as, err := s.ListAssets(ctx, tn.ID, af)
			must(t, err)
			return ids(as, func(a *junction.Asset) string { return a.ID })
		}
		all := sorted(a1.ID, a2.ID, a3.ID, a4.ID)
		wantIDs(t, "all", list(junction.AssetFilter{}), all)
		wantIDs(t, "in F", list(junction.AssetFilter{FolderIDs: []string{f.ID}}), sorted(a1.ID, a2.ID))
		wantIDs(t, "in F and G", list(junction.AssetFilter{FolderIDs: []string{f.ID, g.ID}}), all)
		wantIDs(t, "in no folder", list(junction.AssetFilter{FolderIDs: []string{}}), nil)
		wantIDs(t, "credentials", list(junction.AssetFilter{Type: junction.AssetCredential}), sorted(a2.ID, a4.ID))
		wantIDs(t, "in store", list(junction.AssetFilter{StoreID: cs.ID}), sorted(a2.ID, a4.ID))
		wantIDs(t, "name contains api", list(junction.AssetFilter{NameContains: "api"}), sorted(a1.ID, a2.ID))
		wantIDs(t, "name contains _ literally", list(junction.AssetFilter{NameContains: "_"}), []string{a2.ID})
		wantIDs(t, "in G in store", list(junction.AssetFilter{FolderIDs: []string{g.ID}, StoreID: cs.ID}), []string{a4.ID})
		testPaging(t, all, func(p junction.Page) []string { return list(junction.AssetFilter{Page: p}) })
	})
}
