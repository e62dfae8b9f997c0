package app_test

import (
	"context"
	"errors"
	"testing"

	"junction"
	"junction/app"
	"junction/credstore/credproxy"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/credstore/vault/vaulttest"
	"junction/keyring"
	"junction/resolver"
	"junction/sqldb/sqldbtest"
)

const testProxyKey = "app-test-proxy-key-0123456789abcdef"

func withProxyStores(t *testing.T) (*app.App, *junction.Principal) {
	t.Helper()
	a, p, _, _ := withProxyResolver(t)
	return a, p
}

func withProxyResolver(t *testing.T) (*app.App, *junction.Principal, junction.Store, *resolver.Resolver) {
	t.Helper()
	ctx := context.Background()
	st := sqldbtest.Open(t)
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	logger, _ := credstoretest.NewLogger()
	types := map[string]junction.CredentialStoreType{vault.TypeName: vault.Type, credproxy.TypeName: credproxy.Type}
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
	return a, admin, st, res
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *junction.Error
	if !errors.As(err, &e) || e.Code != junction.EINVALID || e.Field != field {
		t.Fatalf("error %v, want validation_failed on %s", err, field)
	}
}

func TestCreateCredentialProxy_Validation(t *testing.T) {
	a, admin := withProxyStores(t)
	ctx := context.Background()
	key := junction.NewSecret(testProxyKey)
	for _, tc := range []struct {
		name, field string
		in          app.CreateCredentialProxyInput
	}{
		{"NoURL", "urls", app.CreateCredentialProxyInput{Name: "p", Key: key}},
		{"PlainHTTP", "urls", app.CreateCredentialProxyInput{Name: "p", URLs: []string{"http://proxy.internal"}, Key: key}},
		{"ShortKey", "key", app.CreateCredentialProxyInput{Name: "p", URLs: []string{"https://proxy.internal"}, Key: junction.NewSecret("short")}},
		{"NoAuth", "key", app.CreateCredentialProxyInput{Name: "p", URLs: []string{"https://proxy.internal"}}},
		{"CertWithoutKey", "client_cert", app.CreateCredentialProxyInput{Name: "p", URLs: []string{"https://proxy.internal"}, ClientCert: "PEM", Key: key}},
		{"BadCA", "ca_cert", app.CreateCredentialProxyInput{Name: "p", URLs: []string{"https://proxy.internal"}, CACert: "not a certificate", Key: key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.CreateCredentialProxy(ctx, admin, tc.in)
			wantField(t, err, tc.field)
			credstoretest.AssertErrorNoLeak(t, err, key)
		})
	}
}

// A store naming a proxy holds only the proxy's store name, and the proxy
// cannot go while the store uses it.
func TestCredentialStore_ThroughRegisteredProxy(t *testing.T) {
	a, admin := withProxyStores(t)
	ctx := context.Background()
	p, err := a.CreateCredentialProxy(ctx, admin, app.CreateCredentialProxyInput{Name: "dc-east",
		URLs: []string{"https://proxy-a.internal:8443, https://proxy-b.internal:8443"}, Key: junction.NewSecret(testProxyKey)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.URLs) != 2 || len(p.SecretKeys) != 1 || p.SecretKeys[0] != "key" {
		t.Fatalf("registered %+v", p)
	}
	store := func(typ string, config map[string]string) app.CreateCredentialStoreInput {
		c := map[string]junction.Secret{}
		for k, v := range config {
			c[k] = junction.NewSecret(v)
		}
		return app.CreateCredentialStoreInput{Name: "through-" + typ, Type: typ, ProxyID: p.ID, Config: c}
	}
	_, err = a.CreateCredentialStore(ctx, admin, store(vault.TypeName, map[string]string{"address": "https://v"}))
	wantField(t, err, "proxy_id")
	_, err = a.CreateCredentialStore(ctx, admin, store("", map[string]string{"store": "team-vault", "url": "https://elsewhere"}))
	wantField(t, err, "config.url")
	_, err = a.CreateCredentialStore(ctx, admin, store("", nil))
	wantField(t, err, "config.store")
	unknown := store("", map[string]string{"store": "team-vault"})
	unknown.ProxyID = junction.NewID()
	_, err = a.CreateCredentialStore(ctx, admin, unknown)
	wantField(t, err, "proxy_id")

	cs, err := a.CreateCredentialStore(ctx, admin, store("", map[string]string{"store": "team-vault"}))
	if err != nil {
		t.Fatal(err)
	}
	if cs.Type != junction.CredentialProxyStoreType || cs.ProxyID != p.ID || len(cs.SecretKeys) != 0 {
		t.Fatalf("store %+v", cs.CredentialStoreConfig)
	}
	if err := a.DeleteCredentialProxy(ctx, admin, p.ID); junction.ErrorCode(err) != junction.ECONFLICT {
		t.Fatalf("deleting a proxy in use: %v", err)
	}
	if err := a.DeleteCredentialStore(ctx, admin, cs.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteCredentialProxy(ctx, admin, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetCredentialProxy(ctx, admin, p.ID); junction.ErrorCode(err) != junction.ENOTFOUND {
		t.Fatalf("get after delete: %v", err)
	}
}

// startProxy serves the Vault test server's store "team-vault" through a
// proxy with testProxyKey, over TLS.
func startProxy(t *testing.T) *credstoretest.TLSServer {
	t.Helper()
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "r", "app-test-secret-id-5b1c")
	srv, err := credproxy.NewServer(credproxy.ServerOptions{
		Stores: map[string]credproxy.Definition{"team-vault": {Type: vault.TypeName, Config: map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle", "role_id": "r", "secret_id": "app-test-secret-id-5b1c"}}},
		Types: map[string]junction.CredentialStoreType{vault.TypeName: vault.Type}, Keys: []junction.Secret{junction.NewSecret(testProxyKey)},
		Allow: credstoretest.Loopback,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return credstoretest.NewTLSServer(t, srv.Handler(), credstoretest.TLSServerConfig{})
}

// A new key reaches the live adapters of the stores that go through the
// proxy: they are reopened, not kept with the old key.
func TestUpdateCredentialProxy_NewKeyReopensStores(t *testing.T) {
	a, admin, st, res := withProxyResolver(t)
	ctx := context.Background()
	ts := startProxy(t)
	p, err := a.CreateCredentialProxy(ctx, admin, app.CreateCredentialProxyInput{Name: "dc-east",
		URLs: []string{ts.URL()}, CACert: ts.CACertPEM(), Key: junction.NewSecret("stale-" + testProxyKey)})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := a.CreateCredentialStore(ctx, admin, app.CreateCredentialStoreInput{Name: "team-vault", ProxyID: p.ID,
		Config: map[string]junction.Secret{"store": junction.NewSecret("team-vault")}})
	if err != nil {
		t.Fatal(err)
	}
	live := func() junction.CredentialStore {
		cfg, err := st.GetCredentialStore(ctx, cs.TenantID, cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, err := res.Client(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := live().Check(ctx); junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Check with the stale key: %v", err)
	}
	key := junction.NewSecret(testProxyKey)
	name := "dc-east-2"
	up, err := a.UpdateCredentialProxy(ctx, admin, p.ID, app.UpdateCredentialProxyInput{Key: &key, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != name || up.ID != p.ID || len(up.SecretKeys) != 1 {
		t.Fatalf("updated %+v", up)
	}
	if err := live().Check(ctx); err != nil {
		t.Fatalf("Check after the new key: %v", err)
	}
	empty := junction.Secret{}
	_, err = a.UpdateCredentialProxy(ctx, admin, p.ID, app.UpdateCredentialProxyInput{Key: &empty})
	wantField(t, err, "key")
}

// Testing a registration reaches the real proxy over TLS and proves the
// key; a wrong key is the store's login refused.
func TestTestCredentialProxy(t *testing.T) {
	a, admin := withProxyStores(t)
	ctx := context.Background()
	ts := startProxy(t)

	for _, tc := range []struct {
		name, key, code string
	}{
		{"OK", testProxyKey, ""},
		{"ErrWrongKey", "wrong-" + testProxyKey, junction.ECREDSTOREAUTH},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.CreateCredentialProxy(ctx, admin, app.CreateCredentialProxyInput{Name: "p-" + tc.name,
				URLs: []string{ts.URL()}, CACert: ts.CACertPEM(), Key: junction.NewSecret(tc.key)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.TestCredentialProxy(ctx, admin, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != (tc.code == "") || res.Code != tc.code {
				t.Fatalf("test: %+v", res)
			}
			if tc.code != "" {
				return
			}
			cs, err := a.CreateCredentialStore(ctx, admin, app.CreateCredentialStoreInput{Name: "team-vault", ProxyID: p.ID,
				Config: map[string]junction.Secret{"store": junction.NewSecret("team-vault")}})
			if err != nil {
				t.Fatal(err)
			}
			sres, err := a.TestCredentialStore(ctx, admin, cs.ID)
			if err != nil || !sres.OK {
				t.Fatalf("store test through the proxy: %+v, %v", sres, err)
			}
		})
	}
}
