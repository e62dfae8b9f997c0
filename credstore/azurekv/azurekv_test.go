package azurekv_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"junction"
	"junction/credstore/azurekv"
	"junction/credstore/azurekv/azurekvtest"
	"junction/credstore/credstoretest"
)

// noRetry keeps failure tests quick: the SDK would otherwise back off
// before reporting an unreachable vault.
var noRetry = azurekv.Retry{MaxRetries: -1}

type harness struct{ srv *azurekvtest.Server }

func (h harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	opts.Transport, opts.Resolver = h.srv.Transport(), h.srv.Resolver()
	s, err := azurekv.NewType(noRetry).Open(h.srv.Config(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.PutCredential(name, v.Username, v.Value.Reveal())
		return
	}
	h.srv.Put(name, v.Value.Reveal(), nil)
}

func (h harness) Remove(t *testing.T, name string) { h.srv.Delete(name) }

func (h harness) SetUnavailable(t *testing.T, down bool) {
	if down {
		h.srv.Stop()
		return
	}
	if err := h.srv.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

func (h harness) SetLoginInvalid(t *testing.T, invalid bool) { h.srv.RejectLogins(invalid) }

func TestConformance(t *testing.T) {
	credstoretest.Run(t, harness{azurekvtest.New(t)})
}

func open(t *testing.T, srv *azurekvtest.Server, config map[string]string) (*azurekv.Store, *credstoretest.LogBuffer) {
	t.Helper()
	logger, logs := credstoretest.NewLogger()
	st, err := azurekv.NewType(noRetry).Open(config, junction.CredentialStoreOptions{
		Name: "kv", Logger: logger, Transport: srv.Transport(), Resolver: srv.Resolver(), Allow: credstoretest.Loopback,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return st.(*azurekv.Store), logs
}

func TestOpen(t *testing.T) {
	srv := azurekvtest.New(t)
	typ := azurekv.Type()
	for _, tc := range []struct {
		name   string
		change func(map[string]string)
		opts   junction.CredentialStoreOptions
		field  string
	}{
		{"UnknownKey", func(c map[string]string) { c["vault_url"] = "https://x.vault.azure.net/" }, junction.CredentialStoreOptions{}, "vault_url"},
		{"MissingVaultURI", func(c map[string]string) { delete(c, "vault_uri") }, junction.CredentialStoreOptions{}, "vault_uri"},
		{"MissingTenant", func(c map[string]string) { delete(c, "tenant_id") }, junction.CredentialStoreOptions{}, "tenant_id"},
		{"MissingClientID", func(c map[string]string) { c["client_id"] = " " }, junction.CredentialStoreOptions{}, "client_id"},
		{"MissingClientSecret", func(c map[string]string) { delete(c, "client_secret") }, junction.CredentialStoreOptions{}, "client_secret"},
		{"BadTenant", func(c map[string]string) { c["tenant_id"] = "not a tenant/" }, junction.CredentialStoreOptions{}, "tenant_id"},
		{"HTTPVault", func(c map[string]string) { c["vault_uri"] = "http://junction.vault.test/" }, junction.CredentialStoreOptions{}, "vault_uri"},
		{"HTTPAuthority", func(c map[string]string) { c["authority_host"] = "http://login.test/" }, junction.CredentialStoreOptions{}, "authority_host"},
		{"VaultPath", func(c map[string]string) { c["vault_uri"] = "https://junction.vault.test/secrets/x" }, junction.CredentialStoreOptions{}, "vault_uri"},
		{"BadCA", func(c map[string]string) { c["ca_cert"] = "not a certificate" }, junction.CredentialStoreOptions{}, "ca_cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := maps.Clone(srv.Config())
			tc.change(cfg)
			_, err := typ.Open(cfg, tc.opts)
			var je *junction.Error
			if !junction.IsCode(err, junction.EINVALID) || !asError(err, &je) || je.Field != tc.field {
				t.Fatalf("Open error = %v, want %s naming %q", err, junction.EINVALID, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(azurekvtest.ClientSecret))
		})
	}
	t.Run("HTTPAllowedWhenInsecure", func(t *testing.T) {
		cfg := maps.Clone(srv.Config())
		cfg["vault_uri"] = "http://junction.vault.test/"
		if _, err := typ.Open(cfg, junction.CredentialStoreOptions{Insecure: true}); err != nil {
			t.Fatalf("Open: %v", err)
		}
	})
	t.Run("OptionalKeys", func(t *testing.T) {
		cfg := maps.Clone(srv.Config())
		delete(cfg, "authority_host")
		delete(cfg, "ca_cert")
		if _, err := typ.Open(cfg, junction.CredentialStoreOptions{}); err != nil {
			t.Fatalf("Open: %v", err)
		}
	})
	t.Run("Keys", func(t *testing.T) {
		secret := map[string]bool{}
		for _, k := range typ.ConfigKeys {
			secret[k.Name] = k.Secret
		}
		if !secret["client_secret"] || len(secret) != 6 || !typ.Writable || typ.Name != "azure-key-vault" {
			t.Fatalf("type = %+v", typ)
		}
	})
}

func asError(err error, target **junction.Error) bool {
	e, ok := err.(*junction.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestSecretNames(t *testing.T) {
	srv := azurekvtest.New(t)
	st, _ := open(t, srv, srv.Config())
	ctx := context.Background()
	for _, name := range []string{"", "with_underscore", "with.dot", "slash/name", strings.Repeat("a", 128), "ümlaut"} {
		_, err := st.Read(ctx, junction.KindSecret, name)
		var je *junction.Error
		if !asError(err, &je) || je.Code != junction.EINVALID || je.Field != "external_name" {
			t.Errorf("Read(%q) error = %v, want %s on external_name", name, err, junction.EINVALID)
		}
		if err := st.Write(ctx, junction.KindSecret, name, junction.StoredSecret{Value: junction.NewSecret("v")}); !junction.IsCode(err, junction.EINVALID) {
			t.Errorf("Write(%q) error = %v, want %s", name, err, junction.EINVALID)
		}
	}
	if srv.Reads() != 0 || srv.TokenRequests() != 0 {
		t.Fatalf("invalid names reached the vault: %d reads, %d token requests", srv.Reads(), srv.TokenRequests())
	}
	srv.Put("Abc-123", "v", nil)
	if _, err := st.Read(ctx, junction.KindSecret, "Abc-123"); err != nil {
		t.Fatalf("Read valid name: %v", err)
	}
}

func TestCredentialLayouts(t *testing.T) {
	srv := azurekvtest.New(t)
	st, _ := open(t, srv, srv.Config())
	ctx := context.Background()
	t.Run("UsernameTag", func(t *testing.T) {
		srv.Put("tagged", "tag-password", map[string]string{"username": "svc-tag"})
		got, err := st.Read(ctx, junction.KindCredential, "tagged")
		if err != nil || got.Username != "svc-tag" || got.Value.Reveal() != "tag-password" {
			t.Fatalf("Read = %q, %v", got.Username, err)
		}
	})
	t.Run("JSONWithTagUsername", func(t *testing.T) {
		srv.Put("json-tag", `{"password":"p"}`, map[string]string{"username": "svc-json"})
		got, err := st.Read(ctx, junction.KindCredential, "json-tag")
		if err != nil || got.Username != "svc-json" || got.Value.Reveal() != "p" {
			t.Fatalf("Read = %q, %v", got.Username, err)
		}
	})
	for name, value := range map[string]string{
		"plain":       "just-a-password",
		"no-password": `{"username":"u"}`,
		"no-username": `{"password":"just-a-password"}`,
		"bad-types":   `{"username":"u","password":42}`,
	} {
		t.Run("ErrInvalid-"+name, func(t *testing.T) {
			srv.Put(name, value, nil)
			_, err := st.Read(ctx, junction.KindCredential, name)
			if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(junction.ErrorMessage(err), name) {
				t.Fatalf("Read error = %v, want %s naming %q", err, junction.EINVALID, name)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("just-a-password"))
		})
	}
	t.Run("SecretReadsWholeValue", func(t *testing.T) {
		srv.PutCredential("whole", "u", "p")
		got, err := st.Read(ctx, junction.KindSecret, "whole")
		if err != nil || got.Value.Reveal() != `{"password":"p","username":"u"}` {
			t.Fatalf("Read = %v", err)
		}
	})
	t.Run("WrittenAsJSON", func(t *testing.T) {
		if err := st.Write(ctx, junction.KindCredential, "written", junction.StoredSecret{Username: "u", Value: junction.NewSecret("p")}); err != nil {
			t.Fatal(err)
		}
		raw, _ := srv.Value("written")
		var v map[string]string
		if err := json.Unmarshal([]byte(raw), &v); err != nil || v["username"] != "u" || v["password"] != "p" {
			t.Fatalf("stored value is not the documented JSON layout")
		}
	})
}

func TestTokenReused(t *testing.T) {
	srv := azurekvtest.New(t)
	st, _ := open(t, srv, srv.Config())
	srv.Put("reused", "v", nil)
	ctx := context.Background()
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := st.Read(ctx, junction.KindSecret, "reused"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
}

func TestCheckReadsNoSecret(t *testing.T) {
	srv := azurekvtest.New(t)
	srv.Put("existing", "v", nil)
	st, _ := open(t, srv, srv.Config())
	if err := st.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The one read is of a name that does not exist.
	if srv.Reads() != 1 || srv.TokenRequests() != 1 {
		t.Fatalf("reads = %d, token requests = %d", srv.Reads(), srv.TokenRequests())
	}
}

func TestErrors(t *testing.T) {
	srv := azurekvtest.New(t)
	ctx := context.Background()
	planted := junction.NewSecret(azurekvtest.ClientSecret)
	for _, tc := range []struct {
		name   string
		change func(map[string]string)
		code   string
		text   string
	}{
		{"WrongSecret", func(c map[string]string) { c["client_secret"] = "wrong-secret-value" }, junction.ECREDSTOREAUTH, "AADSTS7000215"},
		{"UnknownClient", func(c map[string]string) { c["client_id"] = "11111111-2222-3333-4444-555555555555" }, junction.ECREDSTOREAUTH, "client_id"},
		{"UnknownTenant", func(c map[string]string) { c["tenant_id"] = "contoso.onmicrosoft.com" }, junction.ECREDSTOREAUTH, "another Microsoft Entra tenant"},
		{"UntrustedCA", func(c map[string]string) { delete(c, "ca_cert") }, junction.ECREDSTOREUNAVAILABLE, "unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := maps.Clone(srv.Config())
			tc.change(cfg)
			st, logs := open(t, srv, cfg)
			err := st.Check(ctx)
			if !junction.IsCode(err, tc.code) || !strings.Contains(said(err), tc.text) {
				t.Fatalf("Check error = %v, want %s mentioning %q", err, tc.code, tc.text)
			}
			credstoretest.AssertErrorNoLeak(t, err, planted, junction.NewSecret("wrong-secret-value"))
			credstoretest.AssertNoLeak(t, "logs", logs.String(), planted, junction.NewSecret("wrong-secret-value"))
		})
	}
	t.Run("AuthorityGuarded", func(t *testing.T) {
		// The SDK's own login call goes through the guard: an authority on
		// the metadata address is refused, and reported like any
		// unreachable store.
		cfg := maps.Clone(srv.Config())
		cfg["authority_host"] = "https://169.254.169.254/"
		st, _ := open(t, srv, cfg)
		before := srv.TokenRequests()
		err := st.Check(ctx)
		var ue *junction.StoreUnreachableError
		if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) || !errors.As(err, &ue) || !ue.Blocked {
			t.Fatalf("Check error = %v, want %s refused by the guard", err, junction.ECREDSTOREUNAVAILABLE)
		}
		if msg := junction.ErrorMessage(err); strings.Contains(msg, "metadata") || strings.Contains(msg, "refused") {
			t.Errorf("message %q tells the guard's refusal apart", msg)
		}
		if srv.TokenRequests() != before {
			t.Error("the token request reached the server")
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		st, _ := open(t, srv, srv.Config())
		srv.FailWith(403)
		defer srv.FailWith(0)
		if _, err := st.Read(ctx, junction.KindSecret, "anything"); !junction.IsCode(err, junction.ECREDSTOREAUTH) {
			t.Fatalf("Read error = %v, want %s", err, junction.ECREDSTOREAUTH)
		}
	})
	t.Run("TokenEndpointDown", func(t *testing.T) {
		st, _ := open(t, srv, srv.Config())
		srv.FailTokenEndpoint(503)
		defer srv.FailTokenEndpoint(0)
		err := st.Check(ctx)
		if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) || !strings.Contains(junction.ErrorMessage(err), "Entra") {
			t.Fatalf("Check error = %v, want %s naming Entra ID", err, junction.ECREDSTOREUNAVAILABLE)
		}
		srv.FailTokenEndpoint(0)
		if err := st.Check(ctx); err != nil {
			t.Fatalf("Check after recovery: %v", err)
		}
	})
	t.Run("ServerError", func(t *testing.T) {
		st, _ := open(t, srv, srv.Config())
		srv.FailWith(503)
		defer srv.FailWith(0)
		_, err := st.Read(ctx, junction.KindSecret, "while-failing")
		if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) || strings.Contains(junction.ErrorMessage(err), "while-failing") {
			t.Fatalf("Read error = %v, want %s not naming the secret", err, junction.ECREDSTOREUNAVAILABLE)
		}
	})
}

// said is an error's message and, for a store that could not be reached,
// the diagnosis kept for the server log.
func said(err error) string {
	var ue *junction.StoreUnreachableError
	if errors.As(err, &ue) {
		return junction.ErrorMessage(err) + " " + ue.Diagnosis
	}
	return junction.ErrorMessage(err)
}

func TestDeleteIsSoft(t *testing.T) {
	srv := azurekvtest.New(t)
	st, _ := open(t, srv, srv.Config())
	ctx := context.Background()
	v := junction.StoredSecret{Value: junction.NewSecret("v1")}
	if err := st.Write(ctx, junction.KindSecret, "soft", v); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "soft"); err != nil {
		t.Fatal(err)
	}
	if !srv.IsSoftDeleted("soft") {
		t.Fatal("secret was not soft-deleted")
	}
	err := st.Write(ctx, junction.KindSecret, "soft", v)
	if !junction.IsCode(err, junction.ECONFLICT) || !strings.Contains(junction.ErrorMessage(err), "purge") {
		t.Fatalf("Write over a deleted secret: %v, want %s", err, junction.ECONFLICT)
	}
	srv.Purge("soft")
	if err := st.Write(ctx, junction.KindSecret, "soft", v); err != nil {
		t.Fatalf("Write after purge: %v", err)
	}
}
