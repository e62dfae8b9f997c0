package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"junction/credstore/vault/vaulttest"
)

// registerWithSecret admits Junction's callback with a client secret of
// the test's choosing: what the provider expects after a rotation.
func (p *testIdP) registerWithSecret(junctionURL, secret string) {
	clients := map[string]*storage.Client{ssoClientID: storage.WebClient(ssoClientID, secret, junctionURL+"/login/sso/callback")}
	var h http.Handler = exampleop.SetupServer(p.srv.URL, storage.NewStorageWithClients(storage.NewUserStore(p.srv.URL), clients), nil, false)
	p.handler.Store(&h)
}

// TestSSO_ClientSecretAsset signs in through a real OpenID Connect
// provider with the client secret kept in Vault behind a secret asset:
// resolved at sign-in, read again when the provider refuses the cached
// value after a rotation, and never written to the database or the log.
func TestSSO_ClientSecretAsset(t *testing.T) {
	const (
		secretID = "e2e-sso-approle-secret-5d21"
		secret1  = "oidc-client-secret-in-vault-one-7c3a"
		secret2  = "oidc-client-secret-in-vault-two-91fe"
		path     = "secret/sso/junction-ui"
	)
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "sso-role", secretID)
	vs.Put(path, map[string]string{"value": secret1})

	// The asset must exist before a server names it: a first run makes
	// it, a second signs in with it.
	dataDir := t.TempDir()
	storeAllow := map[string]string{"JUNCTION_STORE_ALLOW": "127.0.0.1/32"}
	first, firstLogs := MustRunMain(t, dataDir, "", map[string]string{envBootstrapToken: testBootstrapToken, "JUNCTION_STORE_ALLOW": "127.0.0.1/32"})
	admin := &apiClient{t: t, base: first.URL(), token: testBootstrapToken}
	var store, folder, asset struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "read_only": true, "config": map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle",
			"role_id": "sso-role", "secret_id": secretID, "data_path": "sso",
		}}, &store)
	admin.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Platform"}, &folder)
	admin.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "oidc-client-secret", "type": "secret", "store_id": store.ID, "external_name": "junction-ui",
	}, &asset)
	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": ssoUser, "roles": []string{"Viewer"}}, nil)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	p := newTestIdP(t)
	env := p.env(storeAllow)
	env[envOIDCClientSecret] = ""
	env["JUNCTION_OIDC_CLIENT_SECRET_ASSET"] = asset.ID
	m, logs := MustRunMain(t, dataDir, "", env)
	base := m.URL()
	p.registerWithSecret(base, secret1)
	if n := vs.Reads(path); n != 0 {
		t.Fatalf("the start read the secret %d times: it is read at sign-in", n)
	}

	signIn := func(t *testing.T, want int) string {
		t.Helper()
		resp, body := ssoSignIn(t, ssoBrowser(t, p), base, p, ssoUser)
		if resp.StatusCode != want {
			t.Fatalf("sign-in: %d, want %d: %s %.500s", resp.StatusCode, want, resp.Request.URL, body)
		}
		return body
	}

	t.Run("OK", func(t *testing.T) {
		if body := signIn(t, http.StatusOK); !strings.Contains(body, `id="logout"`) {
			t.Fatalf("not signed in: %.500s", body)
		}
		if n := vs.Reads(path); n != 1 {
			t.Fatalf("%d vault reads, want 1", n)
		}
		signIn(t, http.StatusOK)
		if n := vs.Reads(path); n != 1 {
			t.Fatalf("%d vault reads after a second sign-in, want 1 (cached)", n)
		}
	})

	t.Run("Rotated", func(t *testing.T) {
		// Rotated in Vault and at the provider, behind Junction's back:
		// the cached value is refused, the store read again, and the
		// sign-in goes through.
		vs.Put(path, map[string]string{"value": secret2})
		p.registerWithSecret(base, secret2)
		signIn(t, http.StatusOK)
		if n := vs.Reads(path); n != 2 {
			t.Fatalf("%d vault reads, want 2", n)
		}
	})

	t.Run("ErrProviderRefuses", func(t *testing.T) {
		p.registerWithSecret(base, "a secret Junction was never given")
		if body := signIn(t, http.StatusUnauthorized); !strings.Contains(body, "code exchange failed") {
			t.Fatalf("refused client: %.500s", body)
		}
		p.registerWithSecret(base, secret2)
	})

	t.Run("ErrUnresolvable", func(t *testing.T) {
		vs.Put(path, map[string]string{"other": "no value here"})
		p.registerWithSecret(base, "yet another secret")
		if body := signIn(t, http.StatusUnauthorized); !strings.Contains(body, "client secret unavailable") {
			t.Fatalf("unresolvable secret: %.500s", body)
		}
	})

	m.Close()
	assertNoSecretAtRest(t, dataDir, firstLogs.String()+logs.String(), []string{secret1, secret2})
}

// TestSSO_ClientSecretAssetConfig refuses a client secret given twice, or
// an asset that cannot hold it, before serving.
func TestSSO_ClientSecretAssetConfig(t *testing.T) {
	t.Run("ErrAssetAndFile", func(t *testing.T) {
		c := &Config{}
		fs := newFlagSet()
		c.bindFlags(fs)
		env := map[string]string{"JUNCTION_OIDC_ISSUER": "https://idp.example.com", "JUNCTION_OIDC_CLIENT_ID": "x",
			"JUNCTION_OIDC_CLIENT_SECRET_ASSET": "01a24f05-ec4c-7480-8921-28a9dae7bb3b", "JUNCTION_OIDC_CLIENT_SECRET_FILE": "/dev/null"}
		err := c.resolve(fs, func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "give one") {
			t.Fatalf("got %v", err)
		}
	})
	for name, tc := range map[string]struct{ asset, secretEnv, want string }{
		"ErrUnknownAsset": {"01a24f05-ec4c-7480-8921-28a9dae7bb3b", "", "the default tenant has no asset"},
		"ErrNotAnID":      {"oidc-secret", "", "is not an asset ID"},
		"ErrAssetAndEnv":  {"01a24f05-ec4c-7480-8921-28a9dae7bb3b", "s3cret", "give one"},
	} {
		t.Run(name, func(t *testing.T) {
			m := NewMain()
			logs := &syncBuffer{}
			m.Stdout, m.Stderr = io.Discard, logs
			env := map[string]string{"JUNCTION_OIDC_ISSUER": "https://idp.example.com", "JUNCTION_OIDC_CLIENT_ID": "x",
				"JUNCTION_OIDC_CLIENT_SECRET_ASSET": tc.asset, envOIDCClientSecret: tc.secretEnv}
			m.Getenv = func(k string) string { return env[k] }
			if err := m.ParseFlags([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}); err != nil {
				t.Fatal(err)
			}
			err := m.Run(t.Context())
			defer m.Close()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
