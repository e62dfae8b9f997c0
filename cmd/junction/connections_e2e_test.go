package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"junction/credstore/vault/vaulttest"
)

// apiClient calls the real server's REST API as one token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (c *apiClient) call(method, path string, body any) *apiResponse {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &apiResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// must calls and fails the test unless the answer has status want; the
// body is decoded into out when out is not nil.
func (c *apiClient) must(want int, method, path string, body, out any) *apiResponse {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.status != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.t.Fatalf("decode %s: %v", r.body, err)
		}
	}
	return r
}

type e2eProblem struct {
	Status  int            `json:"status"`
	Code    string         `json:"code"`
	Field   string         `json:"field"`
	Detail  string         `json:"detail"`
	Details map[string]any `json:"details"`
}

// problem calls and expects a problem document with the given code.
func (c *apiClient) problem(code, method, path string, body any) e2eProblem {
	c.t.Helper()
	r := c.call(method, path, body)
	var p e2eProblem
	if err := json.Unmarshal(r.body, &p); err != nil || p.Code != code {
		c.t.Fatalf("%s %s: %d %s, want code %s", method, path, r.status, r.body, code)
	}
	return p
}

type e2eResult struct {
	ExecutionID string         `json:"execution_id"`
	Status      string         `json:"status"`
	Output      map[string]any `json:"output"`
	HTTPStatus  int            `json:"http_status"`
	Attempts    int            `json:"attempts"`
}

type e2eConnection struct {
	ID           string                    `json:"id"`
	Status       string                    `json:"status"`
	StatusReason string                    `json:"status_reason"`
	AuthType     string                    `json:"auth_type"`
	Fields       map[string]map[string]any `json:"fields"`
}

// keyedAPI is a loopback API that accepts one X-API-Key at a time.
type keyedAPI struct {
	*httptest.Server
	mu    sync.Mutex
	key   string
	calls int
}

func newKeyedAPI(t *testing.T, key string) *keyedAPI {
	a := &keyedAPI{key: key}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.calls++
		want := a.key
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("X-API-Key") != want:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid api key"}`)
		case r.URL.Path == "/v1/fail":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"database on fire"}`)
		default:
			_, _ = io.WriteString(w, `{"ok":true,"path":"`+r.URL.Path+`"}`)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *keyedAPI) setKey(k string) { a.mu.Lock(); a.key = k; a.mu.Unlock() }

func (a *keyedAPI) callCount() int { a.mu.Lock(); defer a.mu.Unlock(); return a.calls }

// The connection scenario against the real server: a key kept in Vault over
// TLS reaches a loopback API through an http connection; a rotation costs
// one vault read and one repeated attempt; a stopped vault does not stop
// executions within the hour; a stale key disconnects the connection after
// three failures; and the key never lands in the database or the logs.
func TestConnections_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		dataDir := t.TempDir()
		runConnectionScenario(t, dataDir, "")
	})
	t.Run("Postgres", func(t *testing.T) {
		runConnectionScenario(t, t.TempDir(), postgresURL(t))
	})
}

func runConnectionScenario(t *testing.T, dataDir, database string) {
	const (
		secretID  = "e2e-conn-approle-secret-3d9a"
		key1      = "e2e-conn-api-key-one-5c1e"
		key2      = "e2e-conn-api-key-two-8f4b"
		stale     = "e2e-conn-api-key-new-at-api-2a7d"
		bearerLit = "e2e-conn-literal-bearer-6e0c"
	)
	m, logs := MustRunMain(t, dataDir, database, map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_STORE_ALLOW":    "127.0.0.1/32",
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}

	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", secretID)
	const keyPath = "secret/apps/upstream"
	vs.Put(keyPath, map[string]string{"value": key1})
	upstream := newKeyedAPI(t, key1)

	var store, folder, asset struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "config": map[string]string{
			"address": vs.URL(), "auth_method": "approle", "role_id": "role-1", "secret_id": secretID,
			"data_path": "apps", "ca_cert": vs.CACertPEM(),
		}}, &store)
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Integrations"}, &folder)
	api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "upstream-key", "type": "secret", "store_id": store.ID, "external_name": "upstream",
	}, &asset)

	base := map[string]any{
		"folder_id": folder.ID, "connector": "http", "name": "upstream", "auth_type": "api_key",
		"fields": map[string]any{
			"base_url": upstream.URL + "/v1", "api_key_in": "header", "api_key_name": "X-API-Key",
			"api_key": map[string]any{"asset_id": asset.ID},
		},
	}
	var conn e2eConnection
	api.must(http.StatusCreated, "POST", "/api/v1/connections", base, &conn)
	// Without a test path the test reaches the API but proves no
	// credentials: untested until an execution does.
	if conn.Status != "untested" || conn.Fields["api_key"]["asset_id"] != asset.ID || conn.Fields["base_url"]["value"] != upstream.URL+"/v1" {
		t.Fatalf("created connection: %+v", conn)
	}
	execPath := "/api/v1/connections/" + conn.ID + "/execute"
	get := map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}

	t.Run("Execute", func(t *testing.T) {
		var res e2eResult
		api.must(http.StatusOK, "POST", execPath, get, &res)
		if res.Status != "succeeded" || res.HTTPStatus != 200 || res.Attempts != 1 || res.ExecutionID == "" {
			t.Fatalf("result %+v", res)
		}
		body, _ := res.Output["body"].(map[string]any)
		if body["path"] != "/v1/things" {
			t.Fatalf("output %+v", res.Output)
		}
	})

	t.Run("RotationCostsOneVaultRead", func(t *testing.T) {
		before := vs.Reads(keyPath)
		vs.Put(keyPath, map[string]string{"value": key2})
		upstream.setKey(key2)
		var res e2eResult
		api.must(http.StatusOK, "POST", execPath, get, &res)
		if res.Status != "succeeded" || res.Attempts != 2 {
			t.Fatalf("after rotation: %+v", res)
		}
		if n := vs.Reads(keyPath) - before; n != 1 {
			t.Fatalf("%d vault reads for the rotation, want 1", n)
		}
	})

	t.Run("VaultDownWithinTheHour", func(t *testing.T) {
		vs.Stop()
		defer func() {
			if err := vs.Start(); err != nil {
				t.Fatal(err)
			}
		}()
		for range 3 {
			var res e2eResult
			api.must(http.StatusOK, "POST", execPath, get, &res)
			if res.Status != "succeeded" || res.Attempts != 1 {
				t.Fatalf("with the vault down: %+v", res)
			}
		}
	})

	t.Run("ProviderError", func(t *testing.T) {
		// POST is not repeated on a 5xx, so no backoff is waited for.
		p := api.problem("provider_error", "POST", execPath, map[string]any{"activity": "http_request",
			"input": map[string]any{"method": "POST", "path": "/fail", "body": map[string]any{"x": 1}}})
		if p.Status != http.StatusBadGateway || p.Details["source"] != "provider" || p.Details["status"] != float64(500) ||
			!strings.Contains(p.Details["body"].(string), "database on fire") || p.Details["execution_id"] == nil {
			t.Fatalf("problem %+v", p)
		}
	})

	t.Run("StaleKeyDisconnects", func(t *testing.T) {
		upstream.setKey(stale)
		for i := 1; i <= 3; i++ {
			p := api.problem("connection_auth_failed", "POST", execPath, get)
			if p.Status != http.StatusBadGateway || p.Details["attempts"] != float64(1) {
				t.Fatalf("failure %d: %+v", i, p)
			}
			var c e2eConnection
			api.must(http.StatusOK, "GET", "/api/v1/connections/"+conn.ID, nil, &c)
			want := "connected"
			if i == 3 {
				want = "disconnected"
			}
			if c.Status != want {
				t.Fatalf("after %d failures: status %s (%s), want %s", i, c.Status, c.StatusReason, want)
			}
		}
		// Disconnected: refused without calling the API.
		calls := upstream.callCount()
		api.problem("connection_auth_failed", "POST", execPath, get)
		if upstream.callCount() != calls {
			t.Fatal("a disconnected connection called the API")
		}
		// The key is fixed where it lives. A test that reaches the API but
		// checks no credentials leaves the connection disconnected; one
		// with a test path that needs them reconnects it.
		vs.Put(keyPath, map[string]string{"value": stale})
		var tr struct {
			Proved string `json:"proved"`
			Status string `json:"status"`
		}
		api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/test", nil, &tr)
		if tr.Proved != "reachability" || tr.Status != "disconnected" {
			t.Fatalf("test without a test path: %+v", tr)
		}
		api.must(http.StatusOK, "PATCH", "/api/v1/connections/"+conn.ID,
			map[string]any{"fields": map[string]any{"test_path": "/v1/me"}}, nil)
		api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/test", nil, &tr)
		if tr.Proved != "credentials" || tr.Status != "connected" {
			t.Fatalf("test with a test path: %+v", tr)
		}
		var res e2eResult
		api.must(http.StatusOK, "POST", execPath, get, &res)
		if res.Status != "succeeded" {
			t.Fatalf("after reconnecting: %+v", res)
		}
	})

	t.Run("Executions", func(t *testing.T) {
		var l struct {
			Items []struct {
				ConnectionID string `json:"connection_id"`
				Status       string `json:"status"`
				ErrorCode    string `json:"error_code"`
			} `json:"items"`
		}
		api.must(http.StatusOK, "GET", "/api/v1/executions?connection_id="+conn.ID+"&status=failed&limit=500", nil, &l)
		if len(l.Items) < 4 {
			t.Fatalf("%d failed executions recorded", len(l.Items))
		}
		for _, e := range l.Items {
			if e.ConnectionID != conn.ID || e.Status != "failed" || e.ErrorCode == "" {
				t.Fatalf("execution %+v", e)
			}
		}
	})

	var literal e2eConnection
	t.Run("LiteralSecretSealed", func(t *testing.T) {
		bearer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+bearerLit {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, `{}`)
		}))
		defer bearer.Close()
		api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{
			"folder_id": folder.ID, "connector": "http", "name": "literal", "auth_type": "bearer",
			"fields": map[string]any{"base_url": bearer.URL, "token": bearerLit},
		}, &literal)
		if literal.Fields["token"]["set"] != true || len(literal.Fields["token"]) != 1 {
			t.Fatalf("literal secret shown as %v", literal.Fields["token"])
		}
		api.must(http.StatusOK, "POST", "/api/v1/connections/"+literal.ID+"/execute", get, nil)
		// Renaming keeps the sealed value.
		api.must(http.StatusOK, "PATCH", "/api/v1/connections/"+literal.ID, map[string]any{"name": "literal-2"}, nil)
		api.must(http.StatusOK, "POST", "/api/v1/connections/"+literal.ID+"/test", nil, nil)
	})

	t.Run("ValidationNamesTheField", func(t *testing.T) {
		with := func(change func(b map[string]any)) map[string]any {
			b := map[string]any{}
			for k, v := range base {
				b[k] = v
			}
			f := map[string]any{}
			for k, v := range base["fields"].(map[string]any) {
				f[k] = v
			}
			b["fields"] = f
			b["name"] = "bad"
			change(b)
			return b
		}
		fields := func(b map[string]any) map[string]any { return b["fields"].(map[string]any) }
		var text struct {
			ID string `json:"id"`
		}
		api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
			"folder_id": folder.ID, "name": "plain", "type": "text", "value": "x"}, &text)
		var cred struct {
			ID string `json:"id"`
		}
		api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
			"folder_id": folder.ID, "name": "login", "type": "credential", "username": "u", "password": "e2e-pw-0a1b"}, &cred)
		var hidden struct {
			ID string `json:"id"`
		}
		var other struct {
			ID string `json:"id"`
		}
		api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Elsewhere"}, &other)
		api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
			"folder_id": other.ID, "name": "theirs", "type": "secret", "value": "e2e-hidden-5f5f"}, &hidden)

		for _, tc := range []struct {
			name, field string
			body        map[string]any
		}{
			{"UnknownConnector", "connector", with(func(b map[string]any) { b["connector"] = "nope" })},
			{"UnknownAuthType", "auth_type", with(func(b map[string]any) { b["auth_type"] = "telepathy" })},
			{"UnknownField", "fields.x", with(func(b map[string]any) { fields(b)["x"] = "1" })},
			{"MissingRequired", "fields.base_url", with(func(b map[string]any) { delete(fields(b), "base_url") })},
			{"SelectOutOfRange", "fields.api_key_in", with(func(b map[string]any) { fields(b)["api_key_in"] = "cookie" })},
			{"SelectWrongType", "fields.api_key_in", with(func(b map[string]any) { fields(b)["api_key_in"] = true })},
			{"AssetForPlainField", "fields.base_url", with(func(b map[string]any) {
				fields(b)["base_url"] = map[string]any{"asset_id": asset.ID}
			})},
			{"NumberForSecret", "fields.api_key", with(func(b map[string]any) { fields(b)["api_key"] = 42 })},
			{"MissingAsset", "fields.api_key", with(func(b map[string]any) {
				fields(b)["api_key"] = map[string]any{"asset_id": "01890000-0000-7000-8000-000000000000"}
			})},
			{"TextAsset", "fields.api_key", with(func(b map[string]any) { fields(b)["api_key"] = map[string]any{"asset_id": text.ID} })},
			{"CredentialWithoutPart", "fields.api_key", with(func(b map[string]any) {
				fields(b)["api_key"] = map[string]any{"asset_id": cred.ID}
			})},
			{"PartOnSecret", "fields.api_key", with(func(b map[string]any) {
				fields(b)["api_key"] = map[string]any{"asset_id": asset.ID, "part": "password"}
			})},
			{"PollInterval", "poll_interval_minutes", with(func(b map[string]any) { b["poll_interval_minutes"] = 7 })},
			{"ProxyURL", "proxy_url", with(func(b map[string]any) { b["proxy_url"] = "not a url" })},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := api.problem("validation_failed", "POST", "/api/v1/connections", tc.body)
				if p.Field != tc.field || p.Status != http.StatusUnprocessableEntity {
					t.Fatalf("problem %+v, want field %s", p, tc.field)
				}
			})
		}

		t.Run("AssetTheCallerCannotView", func(t *testing.T) {
			// A user who may create connections in Integrations but sees
			// nothing of Elsewhere gets the missing-asset answer.
			var u struct {
				ID string `json:"id"`
			}
			api.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "dev", "roles": []string{}}, &u)
			var tok struct {
				Token string `json:"token"`
			}
			api.must(http.StatusCreated, "POST", "/api/v1/users/"+u.ID+"/tokens", map[string]any{"name": "t"}, &tok)
			api.must(http.StatusOK, "PUT", "/api/v1/folders/"+folder.ID+"/members/"+u.ID,
				map[string]any{"roles": []string{"Automation Developer"}}, nil)
			dev := &apiClient{t: t, base: m.URL(), token: tok.Token}
			missing := dev.problem("validation_failed", "POST", "/api/v1/connections", with(func(b map[string]any) {
				fields(b)["api_key"] = map[string]any{"asset_id": "01890000-0000-7000-8000-000000000000"}
			}))
			hid := dev.problem("validation_failed", "POST", "/api/v1/connections", with(func(b map[string]any) {
				fields(b)["api_key"] = map[string]any{"asset_id": hidden.ID}
			}))
			if hid.Field != "fields.api_key" || strings.ReplaceAll(hid.Detail, hidden.ID, "X") !=
				strings.ReplaceAll(missing.Detail, "01890000-0000-7000-8000-000000000000", "X") {
				t.Fatalf("hidden asset %+v, missing asset %+v", hid, missing)
			}
			// The same user may use the asset of the folder it works in.
			var c e2eConnection
			dev.must(http.StatusCreated, "POST", "/api/v1/connections", with(func(b map[string]any) { b["name"] = "dev's" }), &c)
		})

		t.Run("AuthTypeIsFixed", func(t *testing.T) {
			p := api.problem("validation_failed", "PATCH", "/api/v1/connections/"+conn.ID, map[string]any{"auth_type": "bearer"})
			if p.Field != "auth_type" {
				t.Fatalf("problem %+v", p)
			}
		})
		t.Run("FailedTestStoresNothing", func(t *testing.T) {
			// The http connector has no test request of its own, so the
			// test resolves credentials only: a vault without the asset's
			// secret fails it.
			var missingSecret struct {
				ID string `json:"id"`
			}
			api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
				"folder_id": folder.ID, "name": "gone", "type": "secret", "store_id": store.ID, "external_name": "not-there",
			}, &missingSecret)
			api.problem("credential_not_found", "POST", "/api/v1/connections", with(func(b map[string]any) {
				fields(b)["api_key"] = map[string]any{"asset_id": missingSecret.ID}
			}))
			var l struct {
				Items []e2eConnection `json:"items"`
			}
			api.must(http.StatusOK, "GET", "/api/v1/connections?name=bad", nil, &l)
			if len(l.Items) != 0 {
				t.Fatalf("a connection that failed its test was stored: %+v", l.Items)
			}
		})
	})

	t.Run("Metrics", func(t *testing.T) {
		r := (&apiClient{t: t, base: m.URL()}).must(http.StatusOK, "GET", "/metrics", nil, nil)
		text := string(r.body)
		for _, want := range []string{
			`junction_executions_total{activity="http_request",connector="http",outcome="succeeded"}`,
			`junction_executions_total{activity="http_request",connector="http",outcome="connection_auth_failed"}`,
			`junction_execution_duration_seconds_bucket{connector="http"`,
			`junction_resolver_store_reads_total{store_type="hashicorp-vault"}`,
			`junction_resolver_cache_hits_total{store_type="hashicorp-vault"}`,
			"go_goroutines",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Run("DeleteRemovesSealedSecrets", func(t *testing.T) {
		api.must(http.StatusNoContent, "DELETE", "/api/v1/connections/"+literal.ID, nil, nil)
		api.problem("not_found", "GET", "/api/v1/connections/"+literal.ID, nil)
	})

	if database != "" {
		return
	}
	t.Run("NoSecretAtRest", func(t *testing.T) {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dataDir, "junction.db*"))
		if len(files) == 0 {
			t.Fatal("no database files in the data dir")
		}
		secrets := []string{secretID, key1, key2, stale, bearerLit}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, filepath.Base(f), b, secrets)
		}
		assertNoSecret(t, "logs", []byte(logs.String()), secrets)
	})
}

// --metrics=false takes /metrics off the listener; --public-url names the
// OAuth callback.
func TestMetricsAndPublicURLFlags(t *testing.T) {
	m, _ := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken: testBootstrapToken, "JUNCTION_METRICS": "false",
		"JUNCTION_PUBLIC_URL": "https://junction.example.com/",
	})
	anon := &apiClient{t: t, base: m.URL()}
	anon.must(http.StatusNotFound, "GET", "/metrics", nil, nil)
	if got := m.Config.OAuthRedirectURI(m.Addr()); got != "https://junction.example.com/oauth/callback" {
		t.Fatalf("redirect URI %q", got)
	}
	var c Config
	if got := c.OAuthRedirectURI("127.0.0.1:4321"); got != "http://127.0.0.1:4321/oauth/callback" {
		t.Fatalf("default redirect URI %q", got)
	}
	for _, bad := range [][]string{{"--metrics=maybe"}, {"--public-url", "ftp://x"}} {
		m := NewMain()
		m.Getenv = func(string) string { return "" }
		if err := m.ParseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	m2 := NewMain()
	m2.Getenv = func(string) string { return "" }
	if err := m2.ParseFlags([]string{"--metrics"}); err != nil || !m2.Config.MetricsEnabled() {
		t.Fatalf("--metrics alone: %v", err)
	}
}
