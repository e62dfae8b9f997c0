package httpapi_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/vault/vaulttest"
	"junction/sqldb/sqldbtest"
)

type testResult struct {
	OK      bool   `json:"ok"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
	Detail  string `json:"detail"`
}

// Store configurations are checked by their type's adapter at create and
// update, naming the offending key; the vault is contacted only by the
// test endpoint.
func TestCredentialStoreValidation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		vs := vaulttest.New(t, vaulttest.Options{})
		vs.SetAppRole("approle", "role-1", "the-secret-id")
		e := newEnv(t, open(t))
		base := func() map[string]any {
			return map[string]any{
				"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle",
				"role_id": "role-1", "secret_id": "the-secret-id",
			}
		}
		for _, tc := range []struct {
			name   string
			body   map[string]any
			field  string
			detail string
		}{
			{"UnknownType", map[string]any{"name": "x", "type": "keepass", "config": base()}, "type", "hashicorp-vault"},
			{"DatabaseType", map[string]any{"name": "x", "type": "database"}, "type", "built in"},
			{"UnknownConfigKey", map[string]any{"name": "x", "type": "hashicorp-vault", "config": func() map[string]any {
				c := base()
				c["bogus"] = "1"
				return c
			}()}, "config.bogus", "not a hashicorp-vault setting"},
			{"MissingSecretKey", map[string]any{"name": "x", "type": "hashicorp-vault", "config": func() map[string]any {
				c := base()
				delete(c, "secret_id")
				return c
			}()}, "config.secret_id", "required"},
			{"ProxyWithPassword", map[string]any{"name": "x", "type": "hashicorp-vault", "config": base(),
				"proxy_url": "http://user:pw@proxy.example.com:3128"}, "proxy_url", "password"},
			{"EmptyName", map[string]any{"name": " ", "type": "hashicorp-vault", "config": base()}, "name", "empty"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.call("POST", "/api/v1/credential-stores", e.admin, tc.body)
				p := r.problem(t)
				if r.status != 422 || p.Code != junction.EINVALID || p.Field != tc.field || !strings.Contains(p.Detail, tc.detail) {
					t.Fatalf("%d %+v, want 422 on %s mentioning %q", r.status, p, tc.field, tc.detail)
				}
				credstoretest.AssertNoLeak(t, "problem", string(r.body), junction.NewSecret("the-secret-id"))
			})
		}
		if vs.Requests() != 0 {
			t.Fatalf("validation contacted the vault %d times", vs.Requests())
		}

		var cs storeJSON
		e.must(http.StatusCreated, "POST", "/api/v1/credential-stores", e.admin,
			map[string]any{"name": "corp", "type": "hashicorp-vault", "config": base()}, &cs)
		if r := e.call("POST", "/api/v1/credential-stores", e.admin,
			map[string]any{"name": "corp", "type": "hashicorp-vault", "config": base()}); r.status != 409 || r.problem(t).Field != "name" {
			t.Fatalf("duplicate store name: %d %s", r.status, r.body)
		}
		if r := e.call("POST", "/api/v1/credential-stores", e.admin,
			map[string]any{"name": "Database", "type": "hashicorp-vault", "config": base()}); r.status != 409 {
			t.Fatalf("a store named like the database store: %d %s", r.status, r.body)
		}

		t.Run("Types", func(t *testing.T) {
			var types list[struct {
				Name       string `json:"name"`
				Writable   bool   `json:"writable"`
				ConfigKeys []struct {
					Name   string `json:"name"`
					Secret bool   `json:"secret"`
				} `json:"config_keys"`
			}]
			e.must(http.StatusOK, "GET", "/api/v1/credential-store-types", e.admin, nil, &types)
			var names []string
			for _, ty := range types.Items {
				names = append(names, ty.Name)
			}
			if !slices.Equal(names, []string{"aws-secrets-manager", "azure-key-vault", "beyondtrust-password-safe", "credentials-proxy", "cyberark-ccp", "cyberark-conjur", "delinea-secret-server", "gcp-secret-manager", "hashicorp-vault"}) {
				t.Fatalf("types = %v", names)
			}
		})

		t.Run("Patch", func(t *testing.T) {
			path := "/api/v1/credential-stores/" + cs.ID
			// A secret key left out keeps its sealed value.
			var got storeJSON
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"name": "corp-2", "config": map[string]any{"namespace": "team-a"}}, &got)
			if got.Name != "corp-2" || got.Config["namespace"] != "team-a" || !slices.Equal(got.SecretKeys, []string{"secret_id"}) {
				t.Fatalf("after patch: %+v", got)
			}
			// null removes a key; removing one the auth method needs is refused.
			var removed storeJSON
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"config": map[string]any{"namespace": nil}}, &removed)
			if _, ok := removed.Config["namespace"]; ok || removed.Config["role_id"] != "role-1" {
				t.Fatalf("after removing namespace: %v", slices.Sorted(maps.Keys(removed.Config)))
			}
			r := e.call("PATCH", path, e.admin, map[string]any{"config": map[string]any{"secret_id": ""}})
			if p := r.problem(t); r.status != 422 || p.Field != "config.secret_id" {
				t.Fatalf("remove secret_id: %d %+v", r.status, p)
			}
			r = e.call("PATCH", path, e.admin, map[string]any{"config": map[string]any{"nonsense": "1"}})
			if p := r.problem(t); r.status != 422 || p.Field != "config.nonsense" {
				t.Fatalf("unknown key in a patch: %d %+v", r.status, p)
			}
			var res testResult
			e.must(http.StatusOK, "POST", path+"/test", e.admin, nil, &res)
			if !res.OK {
				t.Fatalf("test after patches: %+v", res)
			}
		})

		t.Run("OtherTenant", func(t *testing.T) {
			var created struct {
				Token string `json:"token"`
			}
			e.must(http.StatusCreated, "POST", "/api/v1/tenants", e.admin, map[string]any{"name": "acme"}, &created)
			var theirs list[storeJSON]
			e.must(http.StatusOK, "GET", "/api/v1/credential-stores", created.Token, nil, &theirs)
			if len(theirs.Items) != 1 || theirs.Items[0].Name != "Database" || !theirs.Items[0].BuiltIn {
				t.Fatalf("a new tenant's stores: %+v", theirs.Items)
			}
			var folders list[junction.Folder]
			e.must(http.StatusOK, "GET", "/api/v1/folders", created.Token, nil, &folders)
			r := e.call("POST", "/api/v1/assets", created.Token, map[string]any{
				"folder_id": folders.Items[0].ID, "name": "x", "type": "secret", "store_id": cs.ID,
			})
			if p := r.problem(t); r.status != 422 || p.Field != "store_id" {
				t.Fatalf("asset in another tenant's store: %d %+v", r.status, p)
			}
			if r := e.call("GET", "/api/v1/credential-stores/"+cs.ID, created.Token, nil); r.status != 404 {
				t.Fatalf("another tenant reads the store: %d", r.status)
			}
		})

		t.Run("Permissions", func(t *testing.T) {
			_, viewer := e.createUser(e.admin, "auditor", junction.RoleViewer)
			if r := e.call("GET", "/api/v1/credential-stores", viewer, nil); r.status != 403 {
				t.Fatalf("list without CredentialStores.View: %d", r.status)
			}
			if r := e.call("POST", "/api/v1/credential-stores/"+cs.ID+"/test", viewer, nil); r.status != 403 {
				t.Fatalf("test without CredentialStores.Edit: %d", r.status)
			}
		})

		var audit list[junction.AuditEntry]
		r := e.must(http.StatusOK, "GET", "/api/v1/audit?object_type=credential_store", e.admin, nil, &audit)
		if len(audit.Items) < 3 {
			t.Fatalf("store audit = %+v", audit.Items)
		}
		credstoretest.AssertNoLeak(t, "audit", string(r.body), junction.NewSecret("the-secret-id"))
		e.must(http.StatusNoContent, "DELETE", "/api/v1/credential-stores/"+cs.ID, e.admin, nil, nil)
		if r := e.call("GET", "/api/v1/credential-stores/"+cs.ID, e.admin, nil); r.status != 404 {
			t.Fatalf("deleted store: %d", r.status)
		}
	})
}

// The test endpoint answers a diagnosis a person can act on: a refused
// AppRole login says so; a store that cannot be reached gets the one message
// of unreachable stores, and the host administrator the cause (an untrusted
// certificate points at ca_cert).
func TestCredentialStoreTest(t *testing.T) {
	vs := vaulttest.New(t, vaulttest.Options{})
	secretID := plant("secret-id")
	vs.SetAppRole("approle", "role-1", secretID.Reveal())
	e := newEnv(t, sqldbtest.Open(t))
	other, err := credstoretest.NewCA("someone else")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		config   map[string]any
		code     string
		mentions string
		detail   string
	}{
		{"OK", map[string]any{"secret_id": secretID.Reveal()}, "", "", ""},
		{"UnknownCA", map[string]any{"secret_id": secretID.Reveal(), "ca_cert": other.CertPEM()}, junction.ECREDSTOREUNAVAILABLE, "--store-allow", "ca_cert"},
		{"BadSecretID", map[string]any{"secret_id": "wrong-" + secretID.Reveal()}, junction.ECREDSTOREAUTH, "approle", ""},
		{"Unreachable", map[string]any{"secret_id": secretID.Reveal(), "address": "https://127.0.0.1:1"}, junction.ECREDSTOREUNAVAILABLE, "--store-allow", "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := map[string]any{"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle", "role_id": "role-1"}
			for k, v := range tc.config {
				config[k] = v
			}
			var cs storeJSON
			e.must(http.StatusCreated, "POST", "/api/v1/credential-stores", e.admin,
				map[string]any{"name": "vault-" + tc.name, "type": "hashicorp-vault", "config": config}, &cs)
			var res testResult
			r := e.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+cs.ID+"/test", e.admin, nil, &res)
			credstoretest.AssertNoLeak(t, "test result", string(r.body), secretID)
			if tc.code == "" {
				if !res.OK || res.Code != "" {
					t.Fatalf("result = %+v", res)
				}
				return
			}
			if res.OK || res.Code != tc.code || !strings.Contains(res.Message, tc.mentions) || !strings.Contains(res.Message, cs.Name) {
				t.Fatalf("result = %+v, want %s mentioning %q and the store", res, tc.code, tc.mentions)
			}
			if !strings.Contains(res.Detail, tc.detail) || (tc.detail == "") != (res.Detail == "") {
				t.Fatalf("result = %+v, want the detail %q for the host administrator", res, tc.detail)
			}
		})
	}
	// The database store has nothing to test and always passes.
	var stores list[storeJSON]
	e.must(http.StatusOK, "GET", "/api/v1/credential-stores", e.admin, nil, &stores)
	var res testResult
	e.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+stores.Items[0].ID+"/test", e.admin, nil, &res)
	if stores.Items[0].Type != "database" || !res.OK {
		t.Fatalf("database store test: %+v %+v", stores.Items[0], res)
	}
	if r := e.call("POST", "/api/v1/credential-stores/"+junction.NewID()+"/test", e.admin, nil); r.status != 404 {
		t.Fatalf("test a missing store: %d", r.status)
	}
	credstoretest.AssertNoLeak(t, "logs", e.logs.String(), secretID)
}

// In the API description, only the resolve answer carries secret members;
// stores and assets show names of secrets, never values or sealed IDs.
func TestOpenAPISecretSchemas(t *testing.T) {
	e := newEnv(t, sqldbtest.Open(t))
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e.must(http.StatusOK, "GET", "/api/v1/openapi.json", "", nil, &doc)
	s := doc.Components.Schemas
	for name, forbidden := range map[string][]string{
		"AssetView":           {"password", "username", "sealed_id"},
		"CredentialStoreView": {"sealed_id", "secret_id", "token"},
	} {
		if len(s[name].Properties) == 0 {
			t.Fatalf("schema %s missing", name)
		}
		for _, p := range forbidden {
			if _, ok := s[name].Properties[p]; ok {
				t.Errorf("schema %s has %s", name, p)
			}
		}
	}
	if _, ok := s["RevealedAssetValue"].Properties["password"]; !ok {
		t.Error("the resolve answer's schema has no password")
	}
}
