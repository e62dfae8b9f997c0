package httpapi_test

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"junction"
	"junction/sqldb/sqldbtest"
)

// bearerUpstream is a loopback API that accepts one bearer token.
type bearerUpstream struct {
	*httptest.Server
	mu    sync.Mutex
	token string
}

func newBearerUpstream(t *testing.T, token string) *bearerUpstream {
	u := &bearerUpstream{token: token}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		want := "Bearer " + u.token
		u.mu.Unlock()
		if r.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *bearerUpstream) accept(token string) { u.mu.Lock(); u.token = token; u.mu.Unlock() }

func (e *env) createConnection(token string, body map[string]any) *junction.Connection {
	e.t.Helper()
	var c junction.Connection
	e.must(http.StatusCreated, "POST", "/api/v1/connections", token, body, &c)
	return &c
}

func bearerConnection(folderID, name, baseURL, token string) map[string]any {
	return map[string]any{"folder_id": folderID, "connector": "http", "name": name, "auth_type": "bearer",
		"fields": map[string]any{"base_url": baseURL, "token": token}}
}

// testedConnectors is a directory with a connector whose test request
// calls the API, unlike the http connector's, which only resolves
// credentials.
func testedConnectors(t *testing.T) string {
	dir := t.TempDir()
	def := `key: loopback
display_name: Loopback
version: 1.0.0
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
test:
  path: /me
`
	if err := os.WriteFile(filepath.Join(dir, "loopback.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

var getThings = map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}

func TestConnectors(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	_, token := e.createUser(e.admin, "nobody")
	t.Run("List", func(t *testing.T) {
		var l list[struct {
			Key       string   `json:"key"`
			AuthTypes []string `json:"auth_types"`
		}]
		e.must(http.StatusOK, "GET", "/api/v1/connectors", token, nil, &l)
		found := false
		for _, c := range l.Items {
			if c.Key == "http" {
				found = strings.Contains(strings.Join(c.AuthTypes, ","), "oauth2_authorization_code")
			}
		}
		if !found || len(l.Items) < 5 {
			t.Fatalf("connectors %+v", l.Items)
		}
	})
	t.Run("Get", func(t *testing.T) {
		var d struct {
			Key     string `json:"key"`
			BaseURL string `json:"base_url"`
			Auth    []struct {
				Type string `json:"type"`
			} `json:"auth"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/connectors/http", token, nil, &d)
		if d.Key != "http" || d.BaseURL != "{base_url}" || len(d.Auth) < 5 {
			t.Fatalf("definition %+v", d)
		}
	})
	t.Run("Schema", func(t *testing.T) {
		r := e.must(http.StatusOK, "GET", "/api/v1/connectors/schema", token, nil, nil)
		var s map[string]any
		r.decode(t, &s)
		if r.header.Get("Content-Type") != "application/schema+json" || s["$schema"] == nil {
			t.Fatalf("schema %s: %.100s", r.header.Get("Content-Type"), r.body)
		}
	})
	t.Run("Docs", func(t *testing.T) {
		r := e.must(http.StatusOK, "GET", "/api/v1/connectors/github/docs", token, nil, nil)
		if r.header.Get("Content-Type") != "text/markdown; charset=utf-8" || !strings.HasPrefix(string(r.body), "# GitHub\n") {
			t.Fatalf("docs %s: %.100s", r.header.Get("Content-Type"), r.body)
		}
		if p := e.call("GET", "/api/v1/connectors/nope/docs", token, nil).problem(t); p.Status != 404 {
			t.Fatalf("problem %+v", p)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if p := e.call("GET", "/api/v1/connectors/nope", token, nil).problem(t); p.Status != 404 {
			t.Fatalf("problem %+v", p)
		}
	})
}

// sqliteStore opens a fresh SQLite store; these tests' logic does not
// depend on the backend, which the lifecycle and end-to-end tests run on
// both.
func sqliteStore(t *testing.T) junction.Store { return sqldbtest.Open(t) }

func TestConnectionLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t), envOptions{connectorsDir: testedConnectors(t)})
		const secret1, secret2 = "conn-literal-one-77a1", "conn-literal-two-91b3"
		up := newBearerUpstream(t, secret1)
		f := e.createFolder(e.admin, "Team", "")

		t.Run("FailedTestStoresNothing", func(t *testing.T) {
			b := bearerConnection(f.ID, "untested", up.URL, "wrong-token-5678")
			b["connector"] = "loopback"
			if p := e.call("POST", "/api/v1/connections", e.admin, b).problem(t); p.Code != junction.ECONNAUTHFAILED {
				t.Fatalf("problem %+v", p)
			}
			var l list[junction.Connection]
			e.must(http.StatusOK, "GET", "/api/v1/connections", e.admin, nil, &l)
			if len(l.Items) != 0 {
				t.Fatalf("stored %+v", l.Items)
			}
			// Asked to, it is saved untested.
			var c junction.Connection
			e.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", e.admin, b, &c)
			e.must(http.StatusNoContent, "DELETE", "/api/v1/connections/"+c.ID, e.admin, nil, nil)
		})
		b := bearerConnection(f.ID, "api", up.URL, secret1)
		b["connector"] = "loopback"
		c := e.createConnection(e.admin, b)
		if c.Status != junction.ConnectionConnected || !c.Fields["token"].Set || c.Fields["token"].Value != nil ||
			c.PollIntervalMinutes != 5 || c.AuthType != "bearer" {
			t.Fatalf("created %+v", c)
		}
		path := "/api/v1/connections/" + c.ID

		t.Run("ReadsHoldNoSecret", func(t *testing.T) {
			for _, p := range []string{path, "/api/v1/connections?folder_id=" + f.ID} {
				r := e.must(http.StatusOK, "GET", p, e.admin, nil, nil)
				if strings.Contains(string(r.body), secret1) || !strings.Contains(string(r.body), `"token":{"set":true}`) {
					t.Fatalf("GET %s: %s", p, r.body)
				}
			}
		})
		t.Run("Execute", func(t *testing.T) {
			var res struct {
				Status   string         `json:"status"`
				Output   map[string]any `json:"output"`
				Attempts int            `json:"attempts"`
			}
			e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, &res)
			if res.Status != "succeeded" || res.Attempts != 1 || res.Output["status"] != float64(200) {
				t.Fatalf("result %+v", res)
			}
		})
		t.Run("RenameKeepsTheSecret", func(t *testing.T) {
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"name": "api-2", "poll_interval_minutes": 15}, nil)
			e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, nil)
		})
		t.Run("NewSecretReplacesTheOld", func(t *testing.T) {
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"fields": map[string]any{"token": secret2}}, nil)
			if p := e.call("POST", path+"/execute", e.admin, getThings).problem(t); p.Code != junction.ECONNAUTHFAILED {
				t.Fatalf("old token accepted? %+v", p)
			}
			up.accept(secret2)
			e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, nil)
		})
		t.Run("DisableAndEnable", func(t *testing.T) {
			var got junction.Connection
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"status": "disabled"}, &got)
			if got.Status != junction.ConnectionDisabled {
				t.Fatalf("status %s", got.Status)
			}
			if p := e.call("POST", path+"/execute", e.admin, getThings).problem(t); p.Code != junction.EINVALID {
				t.Fatalf("executing a disabled connection: %+v", p)
			}
			if p := e.call("PATCH", path, e.admin, map[string]any{"status": "disconnected"}).problem(t); p.Field != "status" {
				t.Fatalf("problem %+v", p)
			}
			// Enabled again, it is untested until something proves it.
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"status": "connected"}, &got)
			if got.Status != junction.ConnectionUntested {
				t.Fatalf("status %s", got.Status)
			}
			e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, nil)
			e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
			if got.Status != junction.ConnectionConnected {
				t.Fatalf("status after an execution %s", got.Status)
			}
		})
		t.Run("TestReconnects", func(t *testing.T) {
			up.accept("someone-else")
			for range 3 {
				e.call("POST", path+"/execute", e.admin, getThings)
			}
			var got junction.Connection
			e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
			if got.Status != junction.ConnectionDisconnected {
				t.Fatalf("after three failures: %s", got.Status)
			}
			if p := e.call("PATCH", path, e.admin, map[string]any{"status": "connected"}).problem(t); p.Field != "status" {
				t.Fatalf("enabling a disconnected connection by hand: %+v", p)
			}
			if p := e.call("POST", path+"/test", e.admin, nil).problem(t); p.Code != junction.ECONNAUTHFAILED {
				t.Fatalf("failed test: %+v", p)
			}
			up.accept(secret2)
			var res struct {
				OK     bool   `json:"ok"`
				Status string `json:"status"`
			}
			e.must(http.StatusOK, "POST", path+"/test", e.admin, nil, &res)
			if !res.OK || res.Status != "connected" {
				t.Fatalf("test %+v", res)
			}
			e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, nil)
		})
		t.Run("OneDefaultPerConnector", func(t *testing.T) {
			b := bearerConnection(f.ID, "second", up.URL, secret2)
			b["connector"], b["is_default"] = "loopback", true
			second := e.createConnection(e.admin, b)
			e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"is_default": true}, nil)
			var got junction.Connection
			e.must(http.StatusOK, "GET", "/api/v1/connections/"+second.ID, e.admin, nil, &got)
			if got.IsDefault {
				t.Fatal("two default connections of one connector in a folder")
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			b := bearerConnection(f.ID, "api-2", up.URL, secret2)
			if p := e.call("POST", "/api/v1/connections?test=false", e.admin, b).problem(t); p.Code != junction.ECONFLICT || p.Field != "name" {
				t.Fatalf("problem %+v", p)
			}
		})
		t.Run("Audited", func(t *testing.T) {
			var l list[junction.AuditEntry]
			e.must(http.StatusOK, "GET", "/api/v1/audit?object_id="+c.ID+"&limit=500", e.admin, nil, &l)
			seen := map[string]bool{}
			for _, a := range l.Items {
				seen[a.Action+" "+a.Outcome] = true
				if b, _ := json.Marshal(a); strings.Contains(string(b), secret1) || strings.Contains(string(b), secret2) {
					t.Fatalf("audit entry with a secret: %s", b)
				}
			}
			for _, want := range []string{"connection.create success", "connection.update success",
				"connection.test connection_auth_failed", "connection.test success"} {
				if !seen[want] {
					t.Errorf("no audit entry %q in %v", want, seen)
				}
			}
		})
		t.Run("Delete", func(t *testing.T) {
			e.must(http.StatusNoContent, "DELETE", path, e.admin, nil, nil)
			e.must(http.StatusNotFound, "GET", path, e.admin, nil, nil)
		})
		if strings.Contains(e.logs.String(), secret1) || strings.Contains(e.logs.String(), secret2) {
			t.Fatal("a secret reached the logs")
		}
	})
}

// The folder rule: a connection in a folder the caller cannot see is not
// found; in a visible one, a missing permission is permission_denied. The
// executions list shows only folders with Logs.View.
func TestConnectionPermissions(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	up := newBearerUpstream(t, "perm-token-1234")
	a := e.createFolder(e.admin, "A", "")
	b := e.createFolder(e.admin, "B", "")
	ca := e.createConnection(e.admin, bearerConnection(a.ID, "in-a", up.URL, "perm-token-1234"))
	cb := e.createConnection(e.admin, bearerConnection(b.ID, "in-b", up.URL, "perm-token-1234"))
	e.must(http.StatusOK, "POST", "/api/v1/connections/"+ca.ID+"/execute", e.admin, getThings, nil)
	e.must(http.StatusOK, "POST", "/api/v1/connections/"+cb.ID+"/execute", e.admin, getThings, nil)

	viewer, viewerToken := e.createUser(e.admin, "viewer")
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+a.ID+"/members/"+viewer.ID, e.admin,
		map[string]any{"roles": []string{junction.RoleViewer}}, nil)

	e.must(http.StatusOK, "GET", "/api/v1/connections/"+ca.ID, viewerToken, nil, nil)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"PATCH", "/api/v1/connections/" + ca.ID, map[string]any{"name": "x"}, http.StatusForbidden},
		{"POST", "/api/v1/connections/" + ca.ID + "/execute", getThings, http.StatusForbidden},
		{"POST", "/api/v1/connections/" + ca.ID + "/test", nil, http.StatusForbidden},
		{"DELETE", "/api/v1/connections/" + ca.ID, nil, http.StatusForbidden},
		{"POST", "/api/v1/connections", bearerConnection(a.ID, "mine", up.URL, "t-1234"), http.StatusForbidden},
		{"GET", "/api/v1/connections/" + cb.ID, nil, http.StatusNotFound},
		{"POST", "/api/v1/connections/" + cb.ID + "/execute", getThings, http.StatusNotFound},
		{"GET", "/api/v1/connections/not-an-id", nil, http.StatusNotFound},
	} {
		if r := e.call(tc.method, tc.path, viewerToken, tc.body); r.status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.body)
		}
	}
	var conns list[junction.Connection]
	e.must(http.StatusOK, "GET", "/api/v1/connections", viewerToken, nil, &conns)
	if len(conns.Items) != 1 || conns.Items[0].ID != ca.ID {
		t.Fatalf("viewer lists %+v", conns.Items)
	}
	var execs list[junction.Execution]
	e.must(http.StatusOK, "GET", "/api/v1/executions", viewerToken, nil, &execs)
	if len(execs.Items) != 1 || execs.Items[0].ConnectionID != ca.ID || execs.Items[0].Status != "succeeded" {
		t.Fatalf("viewer's executions %+v", execs.Items)
	}
	e.must(http.StatusOK, "GET", "/api/v1/executions?connection_id="+cb.ID, viewerToken, nil, &execs)
	if len(execs.Items) != 0 {
		t.Fatalf("executions of an invisible connection: %+v", execs.Items)
	}
	e.must(http.StatusOK, "GET", "/api/v1/executions", e.admin, nil, &execs)
	if len(execs.Items) != 2 {
		t.Fatalf("admin's executions %+v", execs.Items)
	}
	if p := e.call("GET", "/api/v1/executions?status=maybe", e.admin, nil).problem(t); p.Field != "status" {
		t.Fatalf("problem %+v", p)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	up := newBearerUpstream(t, "metrics-token-1234")
	f := e.createFolder(e.admin, "M", "")
	c := e.createConnection(e.admin, bearerConnection(f.ID, "m", up.URL, "metrics-token-1234"))
	e.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, getThings, nil)
	r := e.must(http.StatusOK, "GET", "/metrics", "", nil, nil)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(string(r.body), `junction_executions_total{activity="http_request",connector="http",outcome="succeeded"} 1`) {
		t.Fatalf("metrics %s:\n%s", r.header.Get("Content-Type"), r.body)
	}
}

// The OAuth 2.0 authorization-code flow through the API: authorize gives
// the provider's URL, the browser logs in there, and the callback, called
// without a token, completes the flow and shows a page.
func TestOAuthAuthorizeAndCallback(t *testing.T) {
	const clientID, clientSecret = "junction", "oauth-api-client-secret-4e1d"
	var handler http.Handler
	as := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(as.Close)
	clients := map[string]*storage.Client{clientID: storage.WebClient(clientID, clientSecret, oauthRedirectURI)}
	handler = exampleop.SetupServer(as.URL, storage.NewStorageWithClients(storage.NewUserStore(as.URL), clients), nil, false)
	roots := x509.NewCertPool()
	roots.AddCert(as.Certificate())

	e := newEnv(t, sqliteStore(t), envOptions{roots: roots})
	// The upstream API asks the provider whether the token is good.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, as.URL+"/userinfo", nil)
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp, err := as.Client().Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(up.Close)

	f := e.createFolder(e.admin, "OAuth", "")
	c := e.createConnection(e.admin, map[string]any{"folder_id": f.ID, "connector": "http", "name": "idp",
		"auth_type": "oauth2_authorization_code", "fields": map[string]any{
			"base_url": up.URL, "authorize_url": as.URL + "/auth", "token_url": as.URL + "/oauth/token",
			"client_id": clientID, "client_secret": clientSecret, "scopes": "openid profile offline_access",
		}})
	if c.Status != junction.ConnectionDisconnected || c.StatusReason != "authorization pending" {
		t.Fatalf("created %+v", c)
	}
	path := "/api/v1/connections/" + c.ID
	if p := e.call("POST", path+"/execute", e.admin, getThings).problem(t); p.Code != junction.ECONNAUTHFAILED {
		t.Fatalf("executing before consent: %+v", p)
	}

	var start struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	e.must(http.StatusOK, "POST", path+"/authorize", e.admin, nil, &start)
	u, err := url.Parse(start.AuthorizeURL)
	if err != nil || u.Query().Get("redirect_uri") != oauthRedirectURI || u.Query().Get("state") == "" {
		t.Fatalf("authorize URL %q", start.AuthorizeURL)
	}

	browser := as.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next := func(resp *http.Response, err error) *url.URL {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d, no redirect: %s", resp.StatusCode, body)
		}
		return loc
	}
	login := next(browser.Get(start.AuthorizeURL))
	back := next(browser.Get(next(browser.PostForm(as.URL+"/login/username", url.Values{
		"username": {"test-user@127.0.0.1"}, "password": {"verysecure"}, "id": {login.Query().Get("authRequestID")},
	})).String()))
	if !strings.HasPrefix(back.String(), oauthRedirectURI+"?") {
		t.Fatalf("provider sent the browser to %s", back)
	}

	r := e.call("GET", "/oauth/callback?"+back.RawQuery, "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(r.body), "is connected. You can close this window.") {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	var got junction.Connection
	e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
	if got.ID != c.ID || got.Status != junction.ConnectionConnected {
		t.Fatalf("after consent %+v", got)
	}
	var res struct {
		Status string `json:"status"`
	}
	e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, &res)

	t.Run("CallbackOnce", func(t *testing.T) {
		r := e.call("GET", "/oauth/callback?"+back.RawQuery, "", nil)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "unknown, already used or expired") {
			t.Fatalf("second callback: %d %s", r.status, r.body)
		}
	})
	t.Run("ProviderRefused", func(t *testing.T) {
		r := e.call("GET", "/oauth/callback?state=x&error=access_denied&error_description=%3Cscript%3E", "", nil)
		if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), "access_denied") ||
			strings.Contains(string(r.body), "<script>") {
			t.Fatalf("refused: %d %s", r.status, r.body)
		}
	})
	t.Run("Audited", func(t *testing.T) {
		var l list[junction.AuditEntry]
		e.must(http.StatusOK, "GET", "/api/v1/audit?object_id="+c.ID, e.admin, nil, &l)
		var actions []string
		for _, a := range l.Items {
			actions = append(actions, a.Action)
		}
		if got := strings.Join(actions, " "); got != "connection.create connection.authorize connection.authorized" {
			t.Fatalf("audit %s", got)
		}
	})
	t.Run("NoTokenInLogs", func(t *testing.T) {
		if strings.Contains(e.logs.String(), clientSecret) || strings.Contains(e.logs.String(), back.Query().Get("code")) {
			t.Fatal("a secret reached the logs")
		}
	})
	t.Run("MovedDestinationDropsTheTokens", func(t *testing.T) {
		// The tokens were issued for the old destination: pointed
		// elsewhere, even with the client secret given again, the
		// connection is authorized anew before it sends anything.
		elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the moved connection sent a request: %s", r.Header.Get("Authorization"))
		}))
		t.Cleanup(elsewhere.Close)
		p := e.call("PATCH", path, e.admin, map[string]any{"fields": map[string]any{"base_url": elsewhere.URL}}).problem(t)
		if p.Code != junction.EINVALID || p.Field != "fields.client_secret" {
			t.Fatalf("problem %+v", p)
		}
		var moved junction.Connection
		e.must(http.StatusOK, "PATCH", path, e.admin,
			map[string]any{"fields": map[string]any{"base_url": elsewhere.URL, "client_secret": clientSecret}}, &moved)
		if moved.Status != junction.ConnectionDisconnected || moved.StatusReason != "authorization pending" {
			t.Fatalf("after the move %+v", moved)
		}
		if p := e.call("POST", path+"/execute", e.admin, getThings).problem(t); p.Code != junction.ECONNAUTHFAILED {
			t.Fatalf("executing after the move: %+v", p)
		}
	})
}
