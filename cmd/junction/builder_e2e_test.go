package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hubspotAPI reproduces the two HubSpot CRM contacts endpoints the test
// uses, answering only requests that carry the private app token in the
// header the description declares, and keeps what it was sent.
type hubspotAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newHubspotAPI(t *testing.T, token string) *hubspotAPI {
	a := &hubspotAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.Method+" "+r.URL.RequestURI())
		a.mu.Unlock()
		if r.Header.Get("private-app") != token || r.URL.Query().Has("hapikey") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/crm/v3/objects/contacts":
			_, _ = w.Write([]byte(`{"results":[]}`))
		case r.Method == "GET" && r.URL.Path == "/crm/v3/objects/contacts/42":
			_, _ = w.Write([]byte(`{"id":"42","properties":{"email":"ann@example.com"},"archived":false}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *hubspotAPI) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) == 0 {
		return ""
	}
	return a.seen[len(a.seen)-1]
}

// A description from the shared specs becomes a custom connector: import,
// fix, test, publish 1.0.0, connect, execute against a loopback API that
// checks the request, publish a compatible 1.1.0, and a breaking 2.0.0
// that is refused until forced. The tokens planted never reach the
// database files or the logs.
func TestConnectorBuilder_EndToEnd(t *testing.T) {
	const (
		token      = "e2e-builder-private-app-token-4b1d"
		trialToken = "e2e-builder-trial-token-9c2e"
	)
	dataDir := t.TempDir()
	m, logs := MustRunMain(t, dataDir, "", map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	upstream := newHubspotAPI(t, token)
	trialAPI := newHubspotAPI(t, trialToken)

	spec, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "specs", "hubspot-crm-contacts.json"))
	if err != nil {
		t.Skip("the shared specs are not here:", err)
	}
	var imp struct {
		ID           string   `json:"id"`
		Key          string   `json:"key"`
		Status       string   `json:"status"`
		SourceFormat string   `json:"source_format"`
		Operations   int      `json:"operations"`
		AuthTypes    []string `json:"auth_types"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/custom-connectors/import",
		map[string]any{"content": string(spec), "key": "hubspot-contacts"}, &imp)
	if imp.Key != "hubspot-contacts" || imp.Status != "draft" || imp.SourceFormat != "openapi-3.0" || imp.Operations != 13 ||
		!strings.Contains(strings.Join(imp.AuthTypes, ","), "api_key") {
		t.Fatalf("import: %+v", imp)
	}
	path := "/api/v1/custom-connectors/" + imp.ID

	// Fix: point the draft at the loopback API.
	api.must(http.StatusOK, "PATCH", path, map[string]any{"base_url": upstream.URL}, nil)

	// Try the draft with an inline token before anything is published.
	var trial struct {
		Succeeded bool           `json:"succeeded"`
		Request   string         `json:"request"`
		Status    int            `json:"status"`
		Output    map[string]any `json:"output"`
	}
	api.must(http.StatusOK, "PATCH", path, map[string]any{"base_url": trialAPI.URL}, nil)
	r := api.must(http.StatusOK, "POST", path+"/test", map[string]any{
		"connection": map[string]any{"auth_type": "private-apps", "fields": map[string]any{"api_key": trialToken}},
		"object":     "basic", "operation": "get", "input": map[string]any{"contactId": "42"}}, &trial)
	if !trial.Succeeded || trial.Status != 200 || trial.Output["id"] != "42" || !strings.Contains(trial.Request, "Private-App: [redacted]") {
		t.Fatalf("test run: %s", r.body)
	}
	api.must(http.StatusOK, "PATCH", path, map[string]any{"base_url": upstream.URL}, nil)

	var checklist struct {
		Items []struct{ Item, Status, Detail string }
	}
	api.must(http.StatusOK, "GET", path+"/checklist", nil, &checklist)
	for _, it := range checklist.Items {
		if it.Status == "error" {
			t.Fatalf("checklist error: %+v", it)
		}
	}
	api.must(http.StatusCreated, "POST", path+"/publish", map[string]any{"version": "1.0.0"}, nil)

	var conn struct {
		ID               string `json:"id"`
		ConnectorVersion string `json:"connector_version"`
		Status           string `json:"status"`
	}
	var folder struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "CRM"}, &folder)
	api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{"folder_id": folder.ID,
		"connector": "hubspot-contacts", "name": "hubspot", "auth_type": "private-apps",
		"fields": map[string]any{"api_key": token}}, &conn)
	if conn.ConnectorVersion != "1.0.0" || conn.Status != "connected" {
		t.Fatalf("connection: %+v", conn)
	}
	var res struct {
		Status string         `json:"status"`
		Output map[string]any `json:"output"`
	}
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute",
		map[string]any{"object": "basic", "operation": "get", "input": map[string]any{"contactId": "42"}}, &res)
	if res.Status != "succeeded" || res.Output["id"] != "42" || upstream.last() != "GET /crm/v3/objects/contacts/42?archived=false" {
		t.Fatalf("execute: %+v, upstream saw %q", res, upstream.last())
	}

	// 1.1.0 only renames: nothing breaks.
	api.must(http.StatusOK, "PATCH", path, map[string]any{"display_name": "HubSpot contacts"}, nil)
	api.must(http.StatusCreated, "POST", path+"/publish", map[string]any{"version": "1.1.0"}, nil)
	api.must(http.StatusOK, "PATCH", "/api/v1/connections/"+conn.ID, map[string]any{"connector_version": "1.1.0"}, nil)

	// 2.0.0 drops the objects the connection uses.
	var def map[string]any
	api.must(http.StatusOK, "GET", path+"/definition", nil, &def)
	delete(def, "objects")
	api.must(http.StatusOK, "PUT", path, def, nil)
	p := api.problem("conflict", "POST", path+"/publish", map[string]any{"version": "2.0.0"})
	body, _ := json.Marshal(p.Details)
	if !strings.Contains(string(body), conn.ID) || !strings.Contains(string(body), "operation basic.get") {
		t.Fatalf("breaking publish: %+v", p)
	}
	api.must(http.StatusCreated, "POST", path+"/publish", map[string]any{"version": "2.0.0", "force": true}, nil)
	// The connection stays on the version it was moved to and still works.
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute",
		map[string]any{"object": "basic", "operation": "get", "input": map[string]any{"contactId": "42"}}, &res)

	// The same from the command line, by key.
	cliMust := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := runClient(t, m.URL(), stdin, args...)
		if err != nil || errOut != "" {
			t.Fatalf("junction %s: %v %s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	if out := cliMust("", "builder", "list"); !strings.Contains(out, "hubspot-contacts") || !strings.Contains(out, "2.0.0") {
		t.Fatalf("builder list:\n%s", out)
	}
	exported := cliMust("", "builder", "export", "hubspot-contacts")
	if !strings.Contains(exported, "key: hubspot-contacts") {
		t.Fatalf("builder export:\n%s", exported)
	}
	file := filepath.Join(t.TempDir(), "connector.yaml")
	if err := os.WriteFile(file, []byte(strings.Replace(exported, "display_name: HubSpot contacts", "display_name: HubSpot CRM", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := cliMust("", "builder", "apply", "hubspot-contacts", file); !strings.Contains(out, "HubSpot CRM") {
		t.Fatalf("builder apply:\n%s", out)
	}
	if out := cliMust("", "builder", "checklist", "hubspot-contacts"); !strings.Contains(out, "Validation") || strings.Contains(out, "error:") {
		t.Fatalf("builder checklist:\n%s", out)
	}
	out := cliMust(token, "builder", "test", "hubspot-contacts", "get_crm_v3_objects_contacts_get_page",
		"--auth", "private-apps", "--secret", "api_key=-")
	if !strings.Contains(out, `"succeeded": true`) || strings.Contains(out, token) {
		t.Fatalf("builder test:\n%s", out)
	}
	// The connection is still on 1.1.0, which has the objects this draft
	// lacks: only --force publishes.
	cliMust("", "builder", "publish", "hubspot-contacts", "2.1.0", "--force")

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoSecretAtRest(t, dataDir, logs.String(), []string{token, trialToken})
}
