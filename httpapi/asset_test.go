package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/clocktest"
	"junction/credstore/credstoretest"
	"junction/credstore/vault/vaulttest"
	"junction/httpapi"
	"junction/resolver"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// plant returns a fresh random secret value for a test to look for where
// it must never appear.
func plant(what string) junction.Secret {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return junction.NewSecret(what + "-" + hex.EncodeToString(b))
}

type storeJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	ReadOnly   bool              `json:"read_only"`
	Insecure   bool              `json:"insecure"`
	Config     map[string]string `json:"config"`
	SecretKeys []string          `json:"secret_keys"`
	BuiltIn    bool              `json:"built_in"`
}

type assetJSON struct {
	ID           string `json:"id"`
	FolderID     string `json:"folder_id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	Value        any    `json:"value"` // a string, number or boolean by the type
	HasValue     bool   `json:"has_value"`
	StoreID      string `json:"store_id"`
	ExternalName string `json:"external_name"`
}

type revealed struct {
	Type     string  `json:"type"`
	Value    any     `json:"value"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// openSQLite opens a SQLite database at a known path, so a test can read
// the file itself.
func openSQLite(t *testing.T) (junction.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "junction.db")
	return sqldbtest.MustOpen(t, path, sqldb.Options{}), path
}

// assertNotInDatabaseFiles fails if any secret is in the SQLite file or its
// write-ahead log, in plain text, base64 or hex. marker, which the database
// must hold, proves the right files were read.
func assertNotInDatabaseFiles(t *testing.T, path, marker string, secrets ...junction.Secret) {
	t.Helper()
	var all []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(marker)) {
		t.Fatalf("the database files do not hold %q: wrong files?", marker)
	}
	credstoretest.AssertNoLeak(t, "database file", string(all), secrets...)
}

// vaultStore creates a hashicorp-vault store logging in with AppRole.
func (e *env) vaultStore(vs *vaulttest.Server, name, secretID string, extra map[string]any) storeJSON {
	e.t.Helper()
	config := map[string]any{
		"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle",
		"role_id": "role-1", "secret_id": secretID, "mount": "secret", "data_path": "apps",
	}
	body := map[string]any{"name": name, "type": "hashicorp-vault", "config": config}
	for k, v := range extra {
		body[k] = v
	}
	var cs storeJSON
	e.must(http.StatusCreated, "POST", "/api/v1/credential-stores", e.admin, body, &cs)
	return cs
}

// robot creates a user holding the built-in Robot role on folder f.
func (e *env) robot(name string, f *junction.Folder, role string) (*junction.User, string) {
	e.t.Helper()
	u, tok := e.createUser(e.admin, name)
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+u.ID, e.admin,
		map[string]any{"roles": []string{role}}, nil)
	return u, tok
}

func (e *env) resolve(token, id string, refresh bool) revealed {
	e.t.Helper()
	var v revealed
	r := e.must(http.StatusOK, "POST", "/api/v1/assets/"+id+"/resolve", token, map[string]any{"refresh": refresh}, &v)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		e.t.Fatalf("resolve answered Cache-Control %q, want no-store", cc)
	}
	return v
}

// resolveConcurrently resolves an asset n times at once and returns the
// answers; it is safe to call from the test goroutine only.
func resolveConcurrently(t *testing.T, baseURL, token, id string, n int) []revealed {
	t.Helper()
	var wg sync.WaitGroup
	out := make([]revealed, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", baseURL+"/api/v1/assets/"+id+"/resolve", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("status %d: %s", resp.StatusCode, b)
				return
			}
			errs[i] = json.Unmarshal(b, &out[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// secondServer starts another API process on the same database, with a
// resolver of its own and so a cold cache.
func (e *env) secondServer() *env {
	e.t.Helper()
	res, err := resolver.New(resolver.Options{Store: e.store, Keyring: e.keyring, Types: storeTypes(), Clock: e.clock, Logger: e.logger,
		StoreAllow: credstoretest.Loopback})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { res.Close() })
	a := app.New(e.store, app.Options{Clock: e.clock, Logger: e.logger, Keyring: e.keyring, Resolver: res, StoreTypes: storeTypes()})
	srv := httptest.NewServer(httpapi.New(a, httpapi.Options{Logger: e.logger}).Handler())
	e.t.Cleanup(srv.Close)
	e2 := *e
	e2.srv, e2.app = srv, a
	return &e2
}

func passwordOf(v revealed) string {
	if v.Password == nil {
		return "<none>"
	}
	return *v.Password
}

// The scenario credential stores exist for: an administrator points a
// credential asset at a Vault secret, a robot resolves it, the cache spares
// the vault and outlives it, refresh picks up a rotation, and neither the
// value nor the store's login ever reaches the database or the logs.
func TestResolveFromVault(t *testing.T) {
	clock := clocktest.New(time.Time{})
	vs := vaulttest.New(t, vaulttest.Options{Clock: clock})
	secretID, first, second := plant("secret-id"), plant("first-password"), plant("second-password")
	vs.SetAppRole("approle", "role-1", secretID.Reveal())
	const path = "secret/apps/crm"
	vs.Put(path, map[string]string{"username": "crm-bot", "password": first.Reveal()})

	store, dbPath := openSQLite(t)
	e := newEnv(t, store)
	clock.Set(e.clock.Now())

	cs := e.vaultStore(vs, "corp-vault", secretID.Reveal(), nil)
	if !slices.Equal(cs.SecretKeys, []string{"secret_id"}) || cs.Config["secret_id"] != "" || cs.Config["role_id"] != "role-1" {
		t.Fatalf("store = %+v", cs)
	}
	var got storeJSON
	r := e.must(http.StatusOK, "GET", "/api/v1/credential-stores/"+cs.ID, e.admin, nil, &got)
	if !slices.Equal(got.SecretKeys, []string{"secret_id"}) || strings.Contains(string(r.body), secretID.Reveal()) {
		t.Fatalf("GET store shows %s", r.body)
	}

	f := e.createFolder(e.admin, "Robots", "")
	var asset assetJSON
	e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "crm", "type": "credential", "store_id": cs.ID,
	}, &asset)
	if asset.ExternalName != "crm" || asset.HasValue || asset.StoreID != cs.ID || asset.Value != nil {
		t.Fatalf("asset = %+v", asset)
	}
	if vs.Writes(path) != 0 {
		t.Fatal("creating a reference wrote to the vault")
	}
	_, robotToken := e.robot("robot", f, junction.RoleRobot)

	v := e.resolve(robotToken, asset.ID, false)
	if v.Type != "credential" || v.Username == nil || *v.Username != "crm-bot" || passwordOf(v) != first.Reveal() || v.Value != nil {
		t.Fatalf("resolved %s / %s", v.Type, passwordOf(v))
	}
	if n := vs.Reads(path); n != 1 {
		t.Fatalf("vault reads after the first resolve: %d", n)
	}

	t.Run("WarmCacheSparesTheVault", func(t *testing.T) {
		for _, v := range resolveConcurrently(t, e.srv.URL, robotToken, asset.ID, 50) {
			if passwordOf(v) != first.Reveal() {
				t.Fatal("a concurrent resolve answered another password")
			}
		}
		if n := vs.Reads(path); n != 1 {
			t.Fatalf("vault reads after 50 warm resolves: %d, want still 1", n)
		}
	})

	// A second server on the same database starts with a cold cache: 50
	// resolves at once cost one read, not 50.
	e2 := e.secondServer()
	t.Run("ColdCacheReadsOnce", func(t *testing.T) {
		for _, v := range resolveConcurrently(t, e2.srv.URL, robotToken, asset.ID, 50) {
			if passwordOf(v) != first.Reveal() {
				t.Fatal("a concurrent cold resolve answered another password")
			}
		}
		if n := vs.Reads(path); n != 2 {
			t.Fatalf("vault reads after 50 cold resolves: %d, want 2", n)
		}
	})

	t.Run("CacheOutlivesTheVault", func(t *testing.T) {
		vs.Stop()
		defer func() {
			if err := vs.Start(); err != nil {
				t.Fatal(err)
			}
		}()
		for _, srv := range []*env{e, e2} {
			if v := srv.resolve(robotToken, asset.ID, false); passwordOf(v) != first.Reveal() {
				t.Fatal("resolve with the vault down answered another password")
			}
		}
		// Refreshing needs the vault: the error names the store, not the secret.
		r := e.call("POST", "/api/v1/assets/"+asset.ID+"/resolve", robotToken, map[string]any{"refresh": true})
		p := r.problem(t)
		if r.status != http.StatusServiceUnavailable || p.Code != junction.ECREDSTOREUNAVAILABLE || !strings.Contains(p.Detail, "corp-vault") {
			t.Fatalf("refresh with the vault down: %d %+v", r.status, p)
		}
	})

	t.Run("RefreshAfterRotation", func(t *testing.T) {
		vs.Put(path, map[string]string{"username": "crm-bot", "password": second.Reveal()})
		if v := e.resolve(robotToken, asset.ID, false); passwordOf(v) != first.Reveal() {
			t.Fatal("a cached resolve already saw the rotation")
		}
		if v := e.resolve(robotToken, asset.ID, true); passwordOf(v) != second.Reveal() {
			t.Fatal("refresh did not pick up the rotated password")
		}
		if v := e.resolve(robotToken, asset.ID, false); passwordOf(v) != second.Reveal() {
			t.Fatal("the refreshed value was not cached")
		}
	})

	t.Run("AuditWithoutValues", func(t *testing.T) {
		var l list[junction.AuditEntry]
		r := e.must(http.StatusOK, "GET", "/api/v1/audit?action=asset.resolve&object_id="+asset.ID+"&limit=500", e.admin, nil, &l)
		credstoretest.AssertNoLeak(t, "audit", string(r.body), first, second, secretID)
		outcomes := map[string]int{}
		for _, a := range l.Items {
			outcomes[a.Outcome]++
			if a.ActorName != "robot" || a.Details["store_id"] != cs.ID || a.Details["external_name"] != "crm" {
				t.Fatalf("audit entry = %+v", a)
			}
		}
		if outcomes["success"] != 106 || outcomes[junction.ECREDSTOREUNAVAILABLE] != 1 {
			t.Fatalf("audit outcomes = %v", outcomes)
		}
	})

	t.Run("NothingInTheDatabaseFile", func(t *testing.T) {
		assertNotInDatabaseFiles(t, dbPath, "corp-vault", first, second, secretID)
	})
	t.Run("NothingInTheLogs", func(t *testing.T) {
		credstoretest.AssertNoLeak(t, "logs", e.logs.String(), first, second, secretID)
	})
}

// Text, integer and boolean assets hold their value themselves; secret and
// credential assets without a store go to the database store, sealed.
func TestDatabaseStoreAssets(t *testing.T) {
	store, dbPath := openSQLite(t)
	e := newEnv(t, store)
	f := e.createFolder(e.admin, "Finance", "")
	apiKey, pw, pw2 := plant("api-key"), plant("db-password"), plant("db-password-2")

	var stores list[storeJSON]
	e.must(http.StatusOK, "GET", "/api/v1/credential-stores", e.admin, nil, &stores)
	if len(stores.Items) != 1 || stores.Items[0].Name != "Database" || stores.Items[0].Type != "database" || !stores.Items[0].BuiltIn {
		t.Fatalf("stores of a new tenant = %+v", stores.Items)
	}
	dbStore := stores.Items[0].ID

	var secret, cred, count, flag, note assetJSON
	e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "erp-api-key", "type": "secret", "value": apiKey.Reveal(),
	}, &secret)
	r := e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "erp-login", "type": "credential", "username": "erp-user", "password": pw.Reveal(),
	}, &cred)
	credstoretest.AssertNoLeak(t, "create response", string(r.body), pw)
	e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "batch-size", "type": "integer", "value": 42,
	}, &count)
	e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "dry-run", "type": "boolean", "value": "TRUE",
	}, &flag)
	e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "greeting", "type": "text", "value": "hello",
	}, &note)
	if !secret.HasValue || secret.StoreID != dbStore || secret.Value != nil || secret.ExternalName != "" {
		t.Fatalf("secret asset = %+v", secret)
	}
	if count.Value != float64(42) || flag.Value != true || count.StoreID != "" {
		t.Fatalf("plain assets = %+v %+v", count, flag)
	}

	t.Run("GetAndListShowNoSecret", func(t *testing.T) {
		var l list[assetJSON]
		r := e.must(http.StatusOK, "GET", "/api/v1/assets?folder_id="+f.ID, e.admin, nil, &l)
		credstoretest.AssertNoLeak(t, "list", string(r.body), apiKey, pw)
		if len(l.Items) != 5 {
			t.Fatalf("list = %+v", l.Items)
		}
		r = e.must(http.StatusOK, "GET", "/api/v1/assets/"+cred.ID, e.admin, nil, nil)
		credstoretest.AssertNoLeak(t, "get", string(r.body), pw)
		if strings.Contains(string(r.body), "erp-user") {
			t.Fatal("GET shows the credential's username")
		}
	})

	t.Run("ResolveRoundTrip", func(t *testing.T) {
		if v := e.resolve(e.admin, secret.ID, false); v.Type != "secret" || v.Value != apiKey.Reveal() {
			t.Fatal("secret did not resolve to its value")
		}
		if v := e.resolve(e.admin, cred.ID, false); *v.Username != "erp-user" || passwordOf(v) != pw.Reveal() {
			t.Fatal("credential did not resolve to its pair")
		}
		if v := e.resolve(e.admin, count.ID, false); v.Type != "integer" || v.Value != float64(42) {
			t.Fatalf("integer resolved to %+v", v)
		}
		if v := e.resolve(e.admin, note.ID, true); v.Value != "hello" {
			t.Fatalf("text resolved to %+v", v)
		}
	})

	t.Run("UpdatePasswordOnly", func(t *testing.T) {
		e.resolve(e.admin, cred.ID, false) // cached
		e.must(http.StatusOK, "PATCH", "/api/v1/assets/"+cred.ID, e.admin, map[string]any{"password": pw2.Reveal()}, nil)
		if v := e.resolve(e.admin, cred.ID, false); *v.Username != "erp-user" || passwordOf(v) != pw2.Reveal() {
			t.Fatal("after changing the password the credential resolves to the old pair")
		}
		r := e.call("PATCH", "/api/v1/assets/"+count.ID, e.admin, map[string]any{"value": "many"})
		if p := r.problem(t); r.status != 422 || p.Field != "value" {
			t.Fatalf("integer set to many: %d %+v", r.status, p)
		}
	})

	t.Run("Validation", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"TextWithStore", map[string]any{"name": "x", "type": "text", "value": "v", "store_id": dbStore}, "store_id"},
			{"IntegerNotANumber", map[string]any{"name": "x", "type": "integer", "value": "4.5"}, "value"},
			{"BooleanNotABoolean", map[string]any{"name": "x", "type": "boolean", "value": "yes"}, "value"},
			{"UnknownType", map[string]any{"name": "x", "type": "blob", "value": "v"}, "type"},
			{"SecretWithoutValue", map[string]any{"name": "x", "type": "secret"}, "value"},
			{"CredentialHalf", map[string]any{"name": "x", "type": "credential", "password": "p"}, "username"},
			{"CredentialWithValue", map[string]any{"name": "x", "type": "credential", "value": "v"}, "value"},
			{"ExternalNameInDatabase", map[string]any{"name": "x", "type": "secret", "value": "v", "external_name": "y"}, "external_name"},
			{"MissingStore", map[string]any{"name": "x", "type": "secret", "store_id": junction.NewID()}, "store_id"},
			{"ValueAnObject", map[string]any{"name": "x", "type": "text", "value": map[string]any{}}, "value"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.body["folder_id"] = f.ID
				r := e.call("POST", "/api/v1/assets", e.admin, tc.body)
				if p := r.problem(t); r.status != 422 || p.Code != junction.EINVALID || p.Field != tc.field {
					t.Fatalf("%d %+v, want 422 on %s", r.status, p, tc.field)
				}
			})
		}
		r := e.call("POST", "/api/v1/assets", e.admin, map[string]any{"folder_id": f.ID, "name": "erp-login", "type": "text", "value": "v"})
		if p := r.problem(t); r.status != 409 || p.Code != junction.ECONFLICT || p.Field != "name" {
			t.Fatalf("duplicate name: %d %+v", r.status, p)
		}
		r = e.call("DELETE", "/api/v1/credential-stores/"+dbStore, e.admin, nil)
		if p := r.problem(t); r.status != 409 {
			t.Fatalf("delete the database store: %d %+v", r.status, p)
		}
		r = e.call("PATCH", "/api/v1/credential-stores/"+dbStore, e.admin, map[string]any{"name": "Other"})
		if p := r.problem(t); r.status != 409 {
			t.Fatalf("rename the database store: %d %+v", r.status, p)
		}
	})

	t.Run("DeleteRemovesTheSealedValue", func(t *testing.T) {
		e.must(http.StatusNoContent, "DELETE", "/api/v1/assets/"+secret.ID, e.admin, nil, nil)
		if r := e.call("POST", "/api/v1/assets/"+secret.ID+"/resolve", e.admin, nil); r.status != 404 {
			t.Fatalf("resolve a deleted asset: %d", r.status)
		}
	})

	t.Run("SealedAtRest", func(t *testing.T) {
		assertNotInDatabaseFiles(t, dbPath, "erp-login", apiKey, pw, pw2)
		credstoretest.AssertNoLeak(t, "logs", e.logs.String(), apiKey, pw, pw2)
	})
}

// Resolving needs Assets.Resolve: an Automation User sees the asset but may
// not resolve it; a user who cannot see the folder is told it does not
// exist. Refused resolutions of visible assets are audited.
func TestResolvePermission(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		f := e.createFolder(e.admin, "Ops", "")
		other := e.createFolder(e.admin, "Elsewhere", "")
		var as assetJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
			"folder_id": f.ID, "name": "token", "type": "secret", "value": "s3cr3t-value",
		}, &as)
		dave, daveToken := e.robot("dave", f, junction.RoleAutomationUser)
		_, eveToken := e.robot("eve", other, junction.RoleRobot)

		e.must(http.StatusOK, "GET", "/api/v1/assets/"+as.ID, daveToken, nil, nil)
		r := e.call("POST", "/api/v1/assets/"+as.ID+"/resolve", daveToken, nil)
		if p := r.problem(t); r.status != 403 || p.Code != junction.EPERMISSIONDENIED {
			t.Fatalf("Automation User resolves: %d %+v", r.status, p)
		}
		for _, path := range []string{"/api/v1/assets/" + as.ID + "/resolve", "/api/v1/assets/not-an-id/resolve"} {
			r = e.call("POST", path, eveToken, nil)
			if p := r.problem(t); r.status != 404 || p.Code != junction.ENOTFOUND {
				t.Fatalf("robot of another folder resolves %s: %d %+v", path, r.status, p)
			}
		}
		if r := e.call("GET", "/api/v1/assets/"+as.ID, eveToken, nil); r.status != 404 {
			t.Fatalf("robot of another folder reads the asset: %d", r.status)
		}
		var l list[assetJSON]
		e.must(http.StatusOK, "GET", "/api/v1/assets", eveToken, nil, &l)
		if len(l.Items) != 0 {
			t.Fatalf("robot of another folder lists %+v", l.Items)
		}

		var audit list[junction.AuditEntry]
		e.must(http.StatusOK, "GET", "/api/v1/audit?action=asset.resolve", e.admin, nil, &audit)
		if len(audit.Items) != 1 || audit.Items[0].ActorID != dave.ID || audit.Items[0].Outcome != junction.EPERMISSIONDENIED {
			t.Fatalf("audit = %+v", audit.Items)
		}
	})
}

// Listing shows only folders where the caller holds Assets.View, filters
// by folder (with or without subfolders), type, store and name.
func TestListAssets(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		a := e.createFolder(e.admin, "A", "")
		a1 := e.createFolder(e.admin, "A1", a.ID)
		b := e.createFolder(e.admin, "B", "")
		mk := func(f *junction.Folder, name, typ string) {
			body := map[string]any{"folder_id": f.ID, "name": name, "type": typ, "value": "1"}
			e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, body, nil)
		}
		mk(a, "a-text", "text")
		mk(a1, "a1-secret", "secret")
		mk(a1, "a1-int", "integer")
		mk(b, "b-text", "text")
		_, viewer := e.robot("vic", a, junction.RoleViewer)

		names := func(token, query string) []string {
			t.Helper()
			var l list[assetJSON]
			e.must(http.StatusOK, "GET", "/api/v1/assets"+query, token, nil, &l)
			var out []string
			for _, x := range l.Items {
				out = append(out, x.Name)
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			token, query string
			want         []string
		}{
			{e.admin, "", []string{"a-text", "a1-int", "a1-secret", "b-text"}},
			{viewer, "", []string{"a-text", "a1-int", "a1-secret"}},
			{viewer, "?folder_id=" + a.ID, []string{"a-text"}},
			{viewer, "?folder_id=" + a.ID + "&subfolders=true", []string{"a-text", "a1-int", "a1-secret"}},
			{viewer, "?type=secret", []string{"a1-secret"}},
			{e.admin, "?name=A1-", []string{"a1-int", "a1-secret"}},
		} {
			if got := names(tc.token, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("list%s = %v, want %v", tc.query, got, tc.want)
			}
		}
		var stores list[storeJSON]
		e.must(http.StatusOK, "GET", "/api/v1/credential-stores", e.admin, nil, &stores)
		if got := names(e.admin, "?store_id="+stores.Items[0].ID); !slices.Equal(got, []string{"a1-secret"}) {
			t.Errorf("list by database store = %v", got)
		}
		if r := e.call("GET", "/api/v1/assets?folder_id="+b.ID, viewer, nil); r.status != 404 || r.problem(t).Field != "folder_id" {
			t.Errorf("viewer lists B: %d %s", r.status, r.body)
		}
		if r := e.call("GET", "/api/v1/assets?type=blob", viewer, nil); r.status != 422 {
			t.Errorf("list by unknown type: %d", r.status)
		}
	})
}

// A read-only store is only ever read: a value given with it is refused,
// and deleting an asset leaves the vault alone. A read-write store gets
// values written, replaced and deleted through the asset.
func TestVaultWrites(t *testing.T) {
	vs := vaulttest.New(t, vaulttest.Options{})
	secretID := plant("secret-id")
	vs.SetAppRole("approle", "role-1", secretID.Reveal())
	vs.Put("secret/apps/existing", map[string]string{"value": "already-there"})
	store, dbPath := openSQLite(t)
	e := newEnv(t, store)
	f := e.createFolder(e.admin, "Integrations", "")

	t.Run("ReadOnly", func(t *testing.T) {
		ro := e.vaultStore(vs, "ro-vault", secretID.Reveal(), map[string]any{"read_only": true})
		for _, body := range []map[string]any{
			{"type": "secret", "value": "new-value"},
			{"type": "credential", "username": "u", "password": "p"},
		} {
			body["folder_id"], body["name"], body["store_id"] = f.ID, "ro-"+body["type"].(string), ro.ID
			r := e.call("POST", "/api/v1/assets", e.admin, body)
			if p := r.problem(t); r.status != 409 || p.Code != junction.ECREDSTOREREADONLY || !strings.Contains(p.Detail, "ro-vault") {
				t.Fatalf("write through a read-only store: %d %+v", r.status, p)
			}
		}
		var ref assetJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
			"folder_id": f.ID, "name": "existing", "type": "secret", "store_id": ro.ID,
		}, &ref)
		if v := e.resolve(e.admin, ref.ID, false); v.Value != "already-there" {
			t.Fatalf("reference resolved to %+v", v)
		}
		var missing assetJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
			"folder_id": f.ID, "name": "missing", "type": "secret", "store_id": ro.ID, "external_name": "not/there",
		}, &missing)
		r := e.call("POST", "/api/v1/assets/"+missing.ID+"/resolve", e.admin, nil)
		if p := r.problem(t); r.status != 404 || p.Code != junction.ECREDNOTFOUND || !strings.Contains(p.Detail, "not/there") {
			t.Fatalf("resolve a secret the vault lacks: %d %+v", r.status, p)
		}
		e.must(http.StatusNoContent, "DELETE", "/api/v1/assets/"+missing.ID, e.admin, nil, nil)
		r = e.call("PATCH", "/api/v1/assets/"+ref.ID, e.admin, map[string]any{"value": "changed"})
		if p := r.problem(t); r.status != 409 || p.Code != junction.ECREDSTOREREADONLY {
			t.Fatalf("update through a read-only store: %d %+v", r.status, p)
		}
		e.must(http.StatusNoContent, "DELETE", "/api/v1/assets/"+ref.ID, e.admin, nil, nil)
		if _, ok := vs.Get("secret/apps/existing"); !ok || vs.Writes("secret/apps/existing") != 0 || vs.Deletes("secret/apps/existing") != 0 {
			t.Fatal("a read-only store was written to")
		}
		// The store is unused again and can go.
		e.must(http.StatusNoContent, "DELETE", "/api/v1/credential-stores/"+ro.ID, e.admin, nil, nil)
	})

	t.Run("ReadWrite", func(t *testing.T) {
		rw := e.vaultStore(vs, "rw-vault", secretID.Reveal(), nil)
		first, second := plant("written"), plant("rewritten")
		var as assetJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
			"folder_id": f.ID, "name": "crm-login", "type": "credential", "store_id": rw.ID,
			"external_name": "crm/login", "username": "crm-bot", "password": first.Reveal(),
		}, &as)
		data, ok := vs.Get("secret/apps/crm/login")
		if !ok || data["username"] != "crm-bot" || data["password"] != first.Reveal() || as.HasValue {
			t.Fatalf("vault after create: %v %v, asset %+v", ok, len(data), as)
		}
		if v := e.resolve(e.admin, as.ID, false); passwordOf(v) != first.Reveal() {
			t.Fatal("written credential did not resolve")
		}
		r := e.call("PATCH", "/api/v1/assets/"+as.ID, e.admin, map[string]any{"password": second.Reveal()})
		if p := r.problem(t); r.status != 422 || p.Field != "username" {
			t.Fatalf("half a credential for a vault: %d %+v", r.status, p)
		}
		e.must(http.StatusOK, "PATCH", "/api/v1/assets/"+as.ID, e.admin, map[string]any{"username": "crm-bot", "password": second.Reveal()}, nil)
		if data, _ := vs.Get("secret/apps/crm/login"); data["password"] != second.Reveal() {
			t.Fatal("update did not write to the vault")
		}
		if v := e.resolve(e.admin, as.ID, false); passwordOf(v) != second.Reveal() {
			t.Fatal("after an update the cache still answers the old password")
		}

		r = e.call("DELETE", "/api/v1/credential-stores/"+rw.ID, e.admin, nil)
		if p := r.problem(t); r.status != 409 || p.Code != junction.ECONFLICT || p.Details["assets"] != float64(1) {
			t.Fatalf("delete a store in use: %d %+v", r.status, p)
		}
		e.must(http.StatusNoContent, "DELETE", "/api/v1/assets/"+as.ID, e.admin, nil, nil)
		if _, ok := vs.Get("secret/apps/crm/login"); ok || vs.Deletes("secret/apps/crm/login") != 1 {
			t.Fatal("deleting the asset left its secret in the vault")
		}
		assertNotInDatabaseFiles(t, dbPath, "crm-login", first, second, secretID)
		credstoretest.AssertNoLeak(t, "logs", e.logs.String(), first, second, secretID)
	})
}

// The logs of a server resolving, writing and failing never hold a planted
// secret, at any level.
func TestNoSecretsInLogs(t *testing.T) {
	vs := vaulttest.New(t, vaulttest.Options{})
	secretID, pw := plant("secret-id"), plant("pw")
	vs.SetAppRole("approle", "role-1", secretID.Reveal())
	e := newEnv(t, sqldbtest.Open(t))
	f := e.createFolder(e.admin, "F", "")
	cs := e.vaultStore(vs, "v", secretID.Reveal(), map[string]any{"insecure": true})
	var as assetJSON
	e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
		"folder_id": f.ID, "name": "x", "type": "secret", "store_id": cs.ID, "value": pw.Reveal(),
	}, &as)
	e.resolve(e.admin, as.ID, true)
	vs.Seal()
	e.call("POST", "/api/v1/assets/"+as.ID+"/resolve", e.admin, map[string]any{"refresh": true})
	e.call("POST", "/api/v1/credential-stores/"+cs.ID+"/test", e.admin, nil)
	vs.Unseal()
	e.must(http.StatusOK, "PATCH", "/api/v1/credential-stores/"+cs.ID, e.admin, map[string]any{"config": map[string]any{"secret_id": "wrong-" + pw.Reveal()}}, nil)
	e.call("POST", "/api/v1/assets/"+as.ID+"/resolve", e.admin, map[string]any{"refresh": true})
	logs := e.logs.String()
	if !strings.Contains(logs, "plain http") {
		t.Error("no warning about the insecure store")
	}
	if !strings.Contains(logs, "\"request\"") {
		t.Fatal("nothing was logged at all")
	}
	credstoretest.AssertNoLeak(t, "logs", logs, secretID, pw)
	_ = slog.LevelDebug
}

// TestExternalNameCheckedAtCreation: a name the store can never hold is
// refused when the asset is created or renamed, with the store's own rule,
// before the vault is asked anything.
func TestExternalNameCheckedAtCreation(t *testing.T) {
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", "secret-id-1")
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		cs := e.vaultStore(vs, "corp-vault", "secret-id-1", nil)
		f := e.createFolder(e.admin, "Robots", "")
		before := vs.Requests()
		for _, name := range []string{"apps/erp#prod", "apps//erp", "../erp", "erp?x=1"} {
			r := e.call("POST", "/api/v1/assets", e.admin, map[string]any{
				"folder_id": f.ID, "name": "erp", "type": "credential", "store_id": cs.ID, "external_name": name,
			})
			if p := r.problem(t); r.status/100 != 4 || p.Code != junction.EINVALID || p.Field != "external_name" ||
				!strings.Contains(p.Detail, "Vault secret path") {
				t.Errorf("external name %q: %d %+v", name, r.status, p)
			}
		}
		var asset assetJSON
		e.must(http.StatusCreated, "POST", "/api/v1/assets", e.admin, map[string]any{
			"folder_id": f.ID, "name": "erp", "type": "credential", "store_id": cs.ID, "external_name": "erp/prod",
		}, &asset)
		r := e.call("PATCH", "/api/v1/assets/"+asset.ID, e.admin, map[string]any{"external_name": "erp#prod"})
		if p := r.problem(t); p.Code != junction.EINVALID || p.Field != "external_name" {
			t.Errorf("rename to erp#prod: %d %+v", r.status, p)
		}
		if n := vs.Requests() - before; n != 0 {
			t.Errorf("checking names sent %d requests to the vault", n)
		}
	})
}
