package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"junction"
	"junction/app"
)

// meUpstream answers GET /me for one bearer token, and counts the calls.
func meUpstream(t *testing.T, token string) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/me":
			_, _ = w.Write([]byte(`{"id":"u-1","login":"ann"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func builderDraft(base string, activities string) string {
	return `key: acme
display_name: Acme
version: 0.1.0
base_url: ` + base + `
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
test:
  path: /me
activities:
` + activities
}

const meActivity = `  - name: me
    method: GET
    path: /me
    outputs:
      - name: login
        type: string
        path: $.login
`

func TestCustomConnectorLifecycle(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		t.Parallel()
		customConnectorLifecycle(t, newEnv(t, open(t)))
	})
}

func customConnectorLifecycle(t *testing.T, e *env) {
	const secret = "planted-builder-token-7f3a"
	up, _ := meUpstream(t, secret)
	folder := e.createFolder(e.admin, "Builder", "")

	t.Run("ErrBuiltinKey", func(t *testing.T) {
		r := e.call("POST", "/api/v1/custom-connectors", e.admin, map[string]any{"key": "github", "display_name": "Mine"})
		if r.status != http.StatusConflict || r.problem(t).Field != "key" {
			t.Fatalf("a built-in key: %d %s", r.status, r.body)
		}
	})
	t.Run("ErrImportBroken", func(t *testing.T) {
		r := e.call("POST", "/api/v1/custom-connectors/import", e.admin, map[string]any{"content": "{\"openapi\": \"3.0.0\",\n  \"paths\": [}"})
		p := r.problem(t)
		if r.status != http.StatusUnprocessableEntity || p.Code != junction.EINVALID || !strings.Contains(p.Detail, "line 2, column 13") {
			t.Fatalf("broken file: %d %s", r.status, r.body)
		}
	})

	// An upload, keeping one resource of two.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "acme.json")
	_, _ = fw.Write([]byte(`{"openapi":"3.0.3","info":{"title":"Acme","version":"1"},"servers":[{"url":"https://api.acme.test"}],
"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"X-Key"}}},"security":[{"key":[]}],
"paths":{"/me":{"get":{"tags":["users"],"operationId":"me","responses":{"200":{"description":"ok"}}}},
"/orders":{"get":{"tags":["orders"],"operationId":"listOrders","responses":{"200":{"description":"ok"}}}}}}`))
	_ = mw.WriteField("key", "acme")
	_ = mw.WriteField("resources", "users")
	_ = mw.Close()
	r := e.call("POST", "/api/v1/custom-connectors/import", e.admin, buf.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var imp app.ImportView
	r.decode(t, &imp)
	if imp.Key != "acme" || imp.Status != "draft" || imp.SourceFormat != "openapi-3.0" || imp.Operations != 2 ||
		len(imp.AuthTypes) != 1 || imp.AuthTypes[0] != "api_key" || len(imp.Resources) != 2 {
		t.Fatalf("import answer: %s", r.body)
	}
	id := imp.ID
	path := "/api/v1/custom-connectors/" + id

	// A JSON definition with a problem is refused with its path.
	r = e.call("PUT", path, e.admin, map[string]any{"key": "acme", "display_name": "Acme", "version": "0.1.0",
		"base_url": up.URL, "auth": []any{map[string]any{"type": "none"}}, "activities": []any{map[string]any{"name": "me", "method": "FETCH", "path": "/me"}}})
	if p := r.problem(t); r.status != http.StatusUnprocessableEntity || p.Field != "definition.activities[0].method" {
		t.Fatalf("bad definition: %d %s", r.status, r.body)
	}
	// The YAML file applies.
	r = e.call("PUT", path+"/definition", e.admin, builderDraft(up.URL, meActivity), "Content-Type", "application/yaml")
	if r.status != http.StatusOK {
		t.Fatalf("apply YAML: %d %s", r.status, r.body)
	}
	var items struct {
		Items []struct{ Item, Status, Detail string }
	}
	e.must(http.StatusOK, "GET", path+"/checklist", e.admin, nil, &items)
	for _, it := range items.Items {
		if it.Status == "error" {
			t.Fatalf("checklist error: %+v", it)
		}
	}
	r = e.call("GET", path+"/definition", e.admin, nil, "Accept", "application/yaml")
	if r.header.Get("Content-Type") != "application/yaml" || !strings.Contains(string(r.body), "path: /me") {
		t.Fatalf("export: %s %s", r.header.Get("Content-Type"), r.body)
	}

	// A test run of the draft with an inline secret shows the request
	// masked and the answer.
	var trial struct {
		Succeeded bool   `json:"succeeded"`
		Request   string `json:"request"`
		Status    int    `json:"status"`
		Output    map[string]any
	}
	r = e.must(http.StatusOK, "POST", path+"/test", e.admin, map[string]any{
		"connection": map[string]any{"auth_type": "bearer", "fields": map[string]any{"token": secret}}, "activity": "me"}, &trial)
	if !trial.Succeeded || trial.Status != 200 || trial.Output["login"] != "ann" ||
		!strings.Contains(trial.Request, "Authorization: [redacted]") || !strings.HasPrefix(trial.Request, "GET "+up.URL+"/me") {
		t.Fatalf("test run: %s", r.body)
	}
	if strings.Contains(string(r.body), secret) {
		t.Fatal("the test run's answer holds the secret")
	}

	// Publish, and use it like a built-in connector.
	e.must(http.StatusCreated, "POST", path+"/publish", e.admin, map[string]any{"version": "1.0.0"}, nil)
	if r := e.call("POST", path+"/publish", e.admin, map[string]any{"version": "1.0.0"}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("same version again: %d %s", r.status, r.body)
	}
	var list app.List[*app.ConnectorSummary]
	e.must(http.StatusOK, "GET", "/api/v1/connectors", e.admin, nil, &list)
	found := false
	for _, s := range list.Items {
		found = found || s.Key == "acme" && s.Custom && s.Version == "1.0.0"
	}
	if !found {
		t.Fatal("the catalog does not list the custom connector")
	}
	conn := e.createConnection(e.admin, map[string]any{"folder_id": folder.ID, "connector": "acme", "name": "Acme",
		"auth_type": "bearer", "fields": map[string]any{"token": secret}})
	if conn.ConnectorVersion != "1.0.0" {
		t.Fatalf("connection version = %q", conn.ConnectorVersion)
	}
	var res struct{ Output map[string]any }
	e.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute", e.admin, map[string]any{"activity": "me"}, &res)
	if res.Output["login"] != "ann" {
		t.Fatalf("execute: %+v", res)
	}

	// A version that drops the activity is breaking.
	whoami := strings.ReplaceAll(meActivity, "name: me", "name: whoami")
	if r := e.call("PUT", path+"/definition", e.admin, builderDraft(up.URL, whoami), "Content-Type", "application/yaml"); r.status != http.StatusOK {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	r = e.call("POST", path+"/publish", e.admin, map[string]any{"version": "2.0.0"})
	if p := r.problem(t); r.status != http.StatusConflict || !strings.Contains(string(r.body), conn.ID) ||
		!strings.Contains(string(r.body), "activity me") {
		t.Fatalf("breaking publish: %d %s %+v", r.status, r.body, p)
	}
	e.must(http.StatusCreated, "POST", path+"/publish", e.admin, map[string]any{"version": "2.0.0", "force": true}, nil)
	var old struct {
		Version    string
		Activities []struct{ Name string }
	}
	e.must(http.StatusOK, "GET", "/api/v1/connectors/acme?version=1.0.0", e.admin, nil, &old)
	if old.Version != "1.0.0" || len(old.Activities) != 1 || old.Activities[0].Name != "me" {
		t.Fatalf("version 1.0.0 reads %+v", old)
	}
	var moved junction.Connection
	e.must(http.StatusOK, "PATCH", "/api/v1/connections/"+conn.ID, e.admin, map[string]any{"connector_version": "2.0.0"}, &moved)
	if moved.ConnectorVersion != "2.0.0" {
		t.Fatalf("moved to %q", moved.ConnectorVersion)
	}
	var versions app.List[*junction.ConnectorVersion]
	e.must(http.StatusOK, "GET", path+"/versions", e.admin, nil, &versions)
	if len(versions.Items) != 2 {
		t.Fatalf("versions: %+v", versions.Items)
	}

	// Deleting a connector in use is refused, naming the connection.
	r = e.call("DELETE", path, e.admin, nil)
	if r.status != http.StatusConflict || !strings.Contains(string(r.body), conn.ID) {
		t.Fatalf("delete in use: %d %s", r.status, r.body)
	}
	e.must(http.StatusNoContent, "DELETE", "/api/v1/connections/"+conn.ID, e.admin, nil, nil)
	e.must(http.StatusNoContent, "DELETE", path, e.admin, nil, nil)
	e.must(http.StatusNotFound, "GET", path, e.admin, nil, nil)
	if strings.Contains(e.logs.String(), secret) {
		t.Fatal("the logs hold the secret")
	}
}

// The import route takes descriptions past the API's 1 MiB limit, and a
// URL is fetched through the outbound client and its guard.
func TestCustomConnectorImportSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqliteStore(t))
	big := `{"openapi":"3.0.3","info":{"title":"Big","version":"1","description":"` + strings.Repeat("x", 3<<20) +
		`"},"servers":[{"url":"https://api.big.test"}],"paths":{"/me":{"get":{"operationId":"me","responses":{"200":{"description":"ok"}}}}}}`
	var v app.ImportView
	e.must(http.StatusCreated, "POST", "/api/v1/custom-connectors/import", e.admin, map[string]any{"content": big, "key": "big"}, &v)
	if v.Operations != 1 {
		t.Fatalf("big import: %+v", v)
	}
	if r := e.call("POST", "/api/v1/custom-connectors", e.admin, map[string]any{"display_name": big}); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("other routes keep 1 MiB: %d", r.status)
	}

	spec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write([]byte("openapi: 3.1.0\ninfo: {title: Fetched, version: '1'}\nservers: [{url: 'https://api.fetched.test'}]\n" +
			"paths:\n  /me:\n    get:\n      operationId: me\n      responses: {'200': {description: ok}}\n"))
	}))
	t.Cleanup(spec.Close)
	e.must(http.StatusCreated, "POST", "/api/v1/custom-connectors/import", e.admin, map[string]any{"url": spec.URL + "/openapi.yaml"}, &v)
	if v.Key != "fetched" || v.SourceFormat != "openapi-3.1" {
		t.Fatalf("fetched import: %+v", v)
	}
	r := e.call("POST", "/api/v1/custom-connectors/import", e.admin, map[string]any{"url": "http://169.254.169.254/openapi.json"})
	if p := r.problem(t); p.Code != junction.EOUTBOUNDBLOCKED {
		t.Fatalf("a private address: %d %s", r.status, r.body)
	}
}
