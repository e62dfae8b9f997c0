package httpapi_test

import (
	"crypto/x509"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/connector"
)

// A Confluence 3LO connection gets its cloud ID from accessible-resources
// when consent completes: the callback page names the sites to choose from
// when the token reaches several, and once site picks one, the cloud ID is
// saved with the token and named in the connection.authorized audit entry.
func TestOAuthCallbackFillsCloudID(t *testing.T) {
	const (
		access       = "atl-access-plant-c41e"
		clientSecret = "atl-client-secret-plant-0d7a"
		betaID       = "99887766-f1e2-4d3c-b2a1-0123456789ab"
		sites        = `[{"id":"11223344-a1b2-3b33-c444-def123456789","url":"https://acme.atlassian.net","name":"acme","scopes":[]},` +
			`{"id":"` + betaID + `","url":"https://beta.atlassian.net","name":"beta","scopes":[]}]`
	)
	var (
		mu      sync.Mutex
		lookups int
	)
	as := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/authorize":
			q := r.URL.Query()
			http.Redirect(w, r, q.Get("redirect_uri")+"?code=atl-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
		case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
			_, _ = w.Write([]byte(`{"access_token":"` + access + `","refresh_token":"atl-refresh","token_type":"Bearer","expires_in":3600}`))
		case r.URL.Path == "/oauth/token/accessible-resources" && r.Header.Get("Authorization") == "Bearer "+access:
			mu.Lock()
			lookups++
			mu.Unlock()
			_, _ = w.Write([]byte(sites))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(as.Close)
	roots := x509.NewCertPool()
	roots.AddCert(as.Certificate())

	data, err := fs.ReadFile(connector.Builtin(), "confluence.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := strings.Replace(string(data), "key: confluence\n", "key: confluence-standin\n", 1)
	for _, h := range []string{"https://auth.atlassian.com", "https://api.atlassian.com"} {
		def = strings.ReplaceAll(def, h, as.URL)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "confluence-standin.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t, sqliteStore(t), envOptions{roots: roots, connectorsDir: dir})
	f := e.createFolder(e.admin, "Wiki", "")
	c := e.createConnection(e.admin, map[string]any{"folder_id": f.ID, "connector": "confluence-standin", "name": "wiki",
		"auth_type": "oauth2_3lo", "fields": map[string]any{"client_id": "atl-3lo-client", "client_secret": clientSecret}})
	path := "/api/v1/connections/" + c.ID

	browser := as.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	consent := func() *response {
		t.Helper()
		var start struct {
			AuthorizeURL string `json:"authorize_url"`
		}
		e.must(http.StatusOK, "POST", path+"/authorize", e.admin, nil, &start)
		resp, err := browser.Get(start.AuthorizeURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, err := resp.Location()
		if err != nil {
			t.Fatalf("consent answered %d", resp.StatusCode)
		}
		return e.call("GET", "/oauth/callback?"+back.RawQuery, "", nil)
	}

	// Two sites and no site field: the page and the connection say which.
	r := consent()
	body := string(r.body)
	if r.status != http.StatusBadRequest || !strings.Contains(body, "https://acme.atlassian.net, https://beta.atlassian.net") ||
		!strings.Contains(body, "set site") || strings.Contains(body, access) {
		t.Fatalf("callback with two sites: %d %s", r.status, body)
	}
	var got junction.Connection
	e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
	if got.Status != junction.ConnectionDisconnected || !strings.Contains(got.StatusReason, "https://beta.atlassian.net") {
		t.Fatalf("after a consent that could not choose: %s %q", got.Status, got.StatusReason)
	}

	// The site chooses.
	e.must(http.StatusOK, "PATCH", path, e.admin, map[string]any{"fields": map[string]any{"site": "beta"}}, nil)
	if r := consent(); r.status != http.StatusOK || !strings.Contains(string(r.body), "is connected") {
		t.Fatalf("callback with site: %d %s", r.status, r.body)
	}
	e.must(http.StatusOK, "GET", path, e.admin, nil, &got)
	if got.Status != junction.ConnectionConnected || got.Fields["cloud_id"].Value != betaID {
		t.Fatalf("after consent: %s %+v", got.Status, got.Fields)
	}
	mu.Lock()
	if lookups != 2 {
		t.Errorf("accessible-resources asked %d times", lookups)
	}
	mu.Unlock()

	var l list[junction.AuditEntry]
	e.must(http.StatusOK, "GET", "/api/v1/audit?object_id="+c.ID, e.admin, nil, &l)
	var authorized *junction.AuditEntry
	for i := range l.Items {
		if l.Items[i].Action == "connection.authorized" {
			authorized = &l.Items[i]
		}
	}
	if authorized == nil {
		t.Fatalf("no connection.authorized entry: %+v", l.Items)
	}
	if fields, _ := authorized.Details["fields"].([]any); len(fields) != 1 || fields[0] != "cloud_id" {
		t.Errorf("audit details %v", authorized.Details)
	}
	for _, s := range []string{access, clientSecret} {
		audit, _ := json.Marshal(l)
		if strings.Contains(e.logs.String(), s) || strings.Contains(string(audit), s) {
			t.Fatal("a secret reached the logs or the audit")
		}
	}
}
