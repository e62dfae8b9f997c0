package storetest

import (
	"slices"
	"testing"

	"junction"
)

func testCredentialProxies(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		sealed := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, sealed))
		p := &junction.CredentialProxy{ID: junction.NewID(), TenantID: tn.ID, Name: "dc-east",
			URLs: []string{"https://proxy-a.internal:8443", "https://proxy-b.internal:8443"}, CACert: "CA PEM",
			ClientCert: "CERT PEM", SecretKeys: []string{"client_key", "key"}, SealedID: sealed.ID, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateCredentialProxy(ctx, p))
		got, err := s.GetCredentialProxy(ctx, tn.ID, p.ID)
		must(t, err)
		wantCredProxy(t, got, p)
		list, err := s.ListCredentialProxies(ctx, tn.ID, junction.Page{})
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("listed %d proxies, want 1", len(list))
		}
		wantCredProxy(t, list[0], p)

		p.Name, p.URLs, p.CACert, p.ClientCert, p.SecretKeys = "dc-west", []string{"https://proxy-c.internal"}, "", "", []string{"key"}
		p.UpdatedAt = base.Add(later)
		must(t, s.UpdateCredentialProxy(ctx, p))
		got, err = s.GetCredentialProxy(ctx, tn.ID, p.ID)
		must(t, err)
		wantCredProxy(t, got, p)

		// A store names the proxy; the proxy cannot go while it does.
		cs := &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: tn.ID, Name: "Vault via proxy",
			Type: "credentials-proxy", ProxyID: p.ID, Config: map[string]string{"store": "team-vault"}, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateCredentialStore(ctx, cs))
		gotStore, err := s.GetCredentialStore(ctx, tn.ID, cs.ID)
		must(t, err)
		wantEqual(t, "store's proxy", gotStore.ProxyID, p.ID)
		wantCode(t, s.DeleteCredentialProxy(ctx, tn.ID, p.ID), junction.ECONFLICT)

		cs.ProxyID = ""
		must(t, s.UpdateCredentialStore(ctx, cs))
		gotStore, err = s.GetCredentialStore(ctx, tn.ID, cs.ID)
		must(t, err)
		wantEqual(t, "store's proxy after update", gotStore.ProxyID, "")
		must(t, s.DeleteCredentialProxy(ctx, tn.ID, p.ID))
		_, err = s.GetCredentialProxy(ctx, tn.ID, p.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		p := &junction.CredentialProxy{TenantID: a.ID, Name: "p", URLs: []string{"https://p.internal"}}
		must(t, s.CreateCredentialProxy(ctx, p))
		_, err := s.GetCredentialProxy(ctx, b.ID, p.ID)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteCredentialProxy(ctx, b.ID, p.ID), junction.ENOTFOUND)
		moved := *p
		moved.TenantID = b.ID
		wantCode(t, s.UpdateCredentialProxy(ctx, &moved), junction.ENOTFOUND)
		list, err := s.ListCredentialProxies(ctx, b.ID, junction.Page{})
		must(t, err)
		wantEqual(t, "proxies seen from b", len(list), 0)
		// A store cannot name a proxy that does not exist.
		err = s.CreateCredentialStore(ctx, &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: a.ID, Name: "x",
			Type: "credentials-proxy", ProxyID: junction.NewID()})
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		must(t, s.CreateCredentialProxy(ctx, &junction.CredentialProxy{TenantID: tn.ID, Name: "p", URLs: []string{"https://p.internal"}}))
		err := s.CreateCredentialProxy(ctx, &junction.CredentialProxy{TenantID: tn.ID, Name: "p", URLs: []string{"https://q.internal"}})
		wantCode(t, err, junction.ECONFLICT)
		q := &junction.CredentialProxy{TenantID: tn.ID, Name: "q", URLs: []string{"https://q.internal"}}
		must(t, s.CreateCredentialProxy(ctx, q))
		q.Name = "p"
		wantCode(t, s.UpdateCredentialProxy(ctx, q), junction.ECONFLICT)
	})
}

func wantCredProxy(t *testing.T, got, want *junction.CredentialProxy) {
	t.Helper()
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Name != want.Name || !slices.Equal(got.URLs, want.URLs) ||
		got.CACert != want.CACert || got.ClientCert != want.ClientCert || !slices.Equal(got.SecretKeys, want.SecretKeys) ||
		got.SealedID != want.SealedID || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("read %+v, want %+v", got, want)
	}
}
