package main

import (
	"crypto/x509"
	"encoding/base64"
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
	"time"

	"junction/credstore/credstoretest"
	"junction/credstore/vault/vaulttest"
	"junction/outbound"
)

// The product guide's three Connector Builder examples, each against the
// real server and a loopback API that answers only the exact requests the
// example's connector must send.

// exampleAPI is a loopback API whose routes check every request they are
// sent. A route answers 200 with its JSON unless check reports a problem,
// which fails the test and answers 400 so the server sees a failure too.
type exampleAPI struct {
	*httptest.Server
	t      *testing.T
	mu     sync.Mutex
	seen   []string
	routes map[string]func(r *http.Request, body string) (any, string)
}

func newExampleAPI(t *testing.T) *exampleAPI {
	a := &exampleAPI{t: t, routes: map[string]func(*http.Request, string) (any, string){}}
	a.Server = httptest.NewServer(a.serve())
	t.Cleanup(a.Close)
	return a
}

// newExampleTLSAPI is newExampleAPI over TLS, for OAuth endpoints, which
// must be https.
func newExampleTLSAPI(t *testing.T) *exampleAPI {
	a := &exampleAPI{t: t, routes: map[string]func(*http.Request, string) (any, string){}}
	a.Server = httptest.NewTLSServer(a.serve())
	t.Cleanup(a.Close)
	return a
}

func (a *exampleAPI) serve() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen = append(a.seen, r.Method+" "+r.URL.RequestURI())
		route := a.routes[r.Method+" "+r.URL.Path]
		a.mu.Unlock()
		if route == nil {
			a.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
			w.WriteHeader(http.StatusNotFound)
			return
		}
		out, problem := route(r, string(b))
		if problem != "" {
			a.t.Errorf("%s %s: %s", r.Method, r.URL.RequestURI(), problem)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func (a *exampleAPI) handle(pattern string, f func(r *http.Request, body string) (any, string)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.routes[pattern] = f
}

// requests returns the requests seen since the last call.
func (a *exampleAPI) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.seen
	a.seen = nil
	return s
}

// wantHeaders reports the first header of want that r does not carry
// exactly. It names the header and not the values, which are credentials.
func wantHeaders(r *http.Request, want map[string]string) string {
	for k, v := range want {
		if r.Header.Get(k) != v {
			return "header " + k + " is not the expected value"
		}
	}
	return ""
}

// wantJSON reports whether body is the JSON document want.
func wantJSON(body, want string) string {
	var got, exp any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		return "body is not JSON: " + body
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		panic(err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		return "body " + string(g) + ", want " + string(e)
	}
	return ""
}

// builderCLI runs the client against the server and fails on any error.
func builderCLI(t *testing.T, server string) func(stdin string, args ...string) string {
	return func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := runClient(t, server, stdin, args...)
		if err != nil || errOut != "" {
			t.Fatalf("junction %s: %v %s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
}

// startDraft starts a custom connector from a blank canvas and returns its
// path and its (empty) definition.
func startDraft(api *apiClient, key, name, baseURL string) (string, map[string]any) {
	api.t.Helper()
	var draft struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/custom-connectors",
		map[string]any{"display_name": name, "key": key, "base_url": baseURL}, &draft)
	path := "/api/v1/custom-connectors/" + draft.ID
	var def map[string]any
	api.must(http.StatusOK, "GET", path+"/definition", nil, &def)
	return path, def
}

// checklistClean fails the test when the draft's checklist has an error.
func checklistClean(api *apiClient, path string) {
	api.t.Helper()
	var checklist struct {
		Items []struct{ Item, Status, Detail string }
	}
	api.must(http.StatusOK, "GET", path+"/checklist", nil, &checklist)
	for _, it := range checklist.Items {
		if it.Status == "error" {
			api.t.Fatalf("checklist error: %+v", it)
		}
	}
}

// Example A: a blank canvas, personal access token auth (sent as a
// bearer token), one activity added in the activity designer, publish
// 1.0.0, connect, and run the activity.
func TestBuilderExampleA_PersonalAccessToken(t *testing.T) {
	const pat = "e2e-example-a-pat-6f0e2c"
	dataDir := t.TempDir()
	m, logs := MustRunMain(t, dataDir, "", map[string]string{
		envBootstrapToken: testBootstrapToken, "JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8"})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	cli := builderCLI(t, m.URL())
	up := newExampleAPI(t)
	auth := map[string]string{"Authorization": "Bearer " + pat, "Accept": "application/vnd.github+json"}
	up.handle("GET /user", func(r *http.Request, _ string) (any, string) {
		return map[string]any{"login": "octo"}, wantHeaders(r, auth)
	})
	up.handle("POST /repos/acme/site/issues", func(r *http.Request, body string) (any, string) {
		if p := wantHeaders(r, auth); p != "" {
			return nil, p
		}
		if r.Header.Get("Content-Type") != "application/json" || r.URL.RawQuery != "" {
			return nil, "content type " + r.Header.Get("Content-Type") + ", query " + r.URL.RawQuery
		}
		return map[string]any{"number": 7, "html_url": "https://example.test/acme/site/issues/7", "state": "open"},
			wantJSON(body, `{"title":"Broken link","body":"The footer links to /old.","labels":["bug"]}`)
	})

	// The blank canvas, then the auth form and the activity designer's
	// save: the whole definition.
	path, def := startDraft(api, "issue-tracker", "Issue tracker", up.URL)
	def["headers"] = map[string]any{"Accept": "application/vnd.github+json"}
	def["auth"] = []any{map[string]any{"type": "bearer", "label": "Personal access token",
		"fields": []any{map[string]any{"name": "token", "label": "Personal access token", "type": "secret", "required": true}}}}
	def["test"] = map[string]any{"method": "GET", "path": "/user"}
	def["activities"] = []any{map[string]any{
		"name": "create_issue", "display_name": "Create issue", "method": "POST", "path": "/repos/{owner}/{repo}/issues",
		"inputs": []any{
			map[string]any{"name": "owner", "type": "string", "required": true},
			map[string]any{"name": "repo", "type": "string", "required": true},
			map[string]any{"name": "title", "type": "string", "required": true},
			map[string]any{"name": "body", "type": "string"},
			map[string]any{"name": "labels", "type": "array"},
		},
		"outputs": []any{
			map[string]any{"name": "number", "type": "integer", "path": "number"},
			map[string]any{"name": "url", "type": "string", "path": "html_url"},
		},
	}}
	api.must(http.StatusOK, "PUT", path, def, nil)
	checklistClean(api, path)
	cli("", "builder", "publish", "issue-tracker", "1.0.0")

	folder := idIn(t, cli("", "folders", "create", "Web", "-o", "json"))
	conn := idIn(t, cli(pat, "connections", "create", "site-issues", "--folder", folder, "--connector", "issue-tracker",
		"--auth", "bearer", "--secret-field", "token=-", "-o", "json"))
	var c e2eConnection
	api.must(http.StatusOK, "GET", "/api/v1/connections/"+conn, nil, &c)
	if c.Status != "connected" {
		t.Fatalf("connection %+v", c)
	}
	if got := up.requests(); len(got) != 1 || got[0] != "GET /user" {
		t.Fatalf("the connection test sent %q", got)
	}
	var res struct {
		Status string         `json:"status"`
		Output map[string]any `json:"output"`
	}
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn+"/execute", map[string]any{"activity": "create_issue",
		"input": map[string]any{"owner": "acme", "repo": "site", "title": "Broken link", "body": "The footer links to /old.", "labels": []string{"bug"}}}, &res)
	if res.Status != "succeeded" || res.Output["number"] != float64(7) || res.Output["url"] != "https://example.test/acme/site/issues/7" {
		t.Fatalf("execute: %+v", res)
	}
	if got := up.requests(); len(got) != 1 || got[0] != "POST /repos/acme/site/issues" {
		t.Fatalf("the execution sent %q", got)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoSecretAtRest(t, dataDir, logs.String(), []string{pat})
}

// Example B: a blank canvas, an API key in a header, an object whose list
// pages, and a polling trigger built on that list: it takes a baseline,
// then fires once for the contact created after it.
func TestBuilderExampleB_APIKey(t *testing.T) {
	const key = "e2e-example-b-api-key-31d7a9"
	clock := credstoretest.NewClock(time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second))
	dataDir := t.TempDir()
	m, logs := triggerServer(t, dataDir, "", clock)
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	up := newExampleAPI(t)

	var mu sync.Mutex
	contacts := []map[string]any{}
	addContact := func(id string, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		contacts = append(contacts, map[string]any{"id": id, "email": id + "@example.com", "created_at": at.UTC().Format(time.RFC3339)})
	}
	addContact("c1", clock.Now().Add(-3*time.Hour))
	addContact("c2", clock.Now().Add(-2*time.Hour))
	addContact("c3", clock.Now().Add(-time.Hour))
	up.handle("GET /v1/contacts", func(r *http.Request, _ string) (any, string) {
		if p := wantHeaders(r, map[string]string{"X-API-Key": key}); p != "" {
			return nil, p
		}
		q := r.URL.Query()
		if q.Get("per_page") != "2" || q.Get("page") == "" {
			return nil, "query " + r.URL.RawQuery + ", want page and per_page=2"
		}
		var since time.Time
		if s := q.Get("created_after"); s != "" {
			var err error
			if since, err = time.Parse(time.RFC3339, s); err != nil {
				return nil, "created_after " + s
			}
		}
		mu.Lock()
		defer mu.Unlock()
		var match []map[string]any
		for _, c := range contacts {
			if at, _ := time.Parse(time.RFC3339, c["created_at"].(string)); !at.Before(since) {
				match = append(match, c)
			}
		}
		page := 1
		if q.Get("page") == "2" {
			page = 2
		}
		lo, hi := min((page-1)*2, len(match)), min(page*2, len(match))
		return map[string]any{"data": match[lo:hi], "has_more": hi < len(match)}, ""
	})
	up.handle("GET /v1/me", func(r *http.Request, _ string) (any, string) {
		return map[string]any{"account": "acme"}, wantHeaders(r, map[string]string{"X-API-Key": key})
	})

	path, def := startDraft(api, "contacts-api", "Contacts API", up.URL+"/v1")
	def["auth"] = []any{map[string]any{"type": "api_key", "label": "API key", "in": "header", "name": "X-API-Key",
		"fields": []any{map[string]any{"name": "api_key", "label": "API key", "type": "secret", "required": true}}}}
	def["test"] = map[string]any{"path": "/me"}
	def["objects"] = []any{map[string]any{
		"name": "contact", "display_name": "Contact", "id_field": "id",
		"fields": []any{
			map[string]any{"name": "id", "type": "string"}, map[string]any{"name": "email", "type": "string"},
			map[string]any{"name": "created_at", "type": "string"}},
		"operations": map[string]any{"list": map[string]any{
			"method": "GET", "path": "/contacts", "records": "data",
			"inputs":     []any{map[string]any{"name": "created_after", "type": "string", "in": "query"}},
			"pagination": map[string]any{"type": "page", "page_param": "page", "start_page": 1, "limit_param": "per_page", "page_size": 2, "has_more_path": "has_more"},
		}},
		"events": []any{map[string]any{"name": "created", "display_name": "Contact created", "polling": map[string]any{
			"operation": "list", "since": map[string]any{"input": "created_after", "format": "rfc3339"},
			"created": map[string]any{"path": "created_at"}}}},
	}}
	api.must(http.StatusOK, "PUT", path, def, nil)
	checklistClean(api, path)
	api.must(http.StatusCreated, "POST", path+"/publish", map[string]any{"version": "1.0.0"}, nil)

	var folder struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Sales"}, &folder)
	var conn e2eConnection
	api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{"folder_id": folder.ID,
		"connector": "contacts-api", "name": "contacts", "auth_type": "api_key", "poll_interval_minutes": 1,
		"fields": map[string]any{"api_key": key}}, &conn)
	if conn.Status != "connected" {
		t.Fatalf("connection %+v", conn)
	}
	up.requests()

	// The list pages through all three contacts, two at a time.
	var list struct {
		Status string           `json:"status"`
		Output []map[string]any `json:"output"`
	}
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute",
		map[string]any{"object": "contact", "operation": "list", "max_pages": 5}, &list)
	if list.Status != "succeeded" || len(list.Output) != 3 || list.Output[2]["email"] != "c3@example.com" {
		t.Fatalf("list: %+v", list)
	}
	if got := strings.Join(up.requests(), " | "); got != "GET /v1/contacts?page=1&per_page=2 | GET /v1/contacts?page=2&per_page=2" {
		t.Fatalf("the list sent %s", got)
	}

	var tr e2eTrigger
	api.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "contact", "event": "created",
		"target": map[string]any{"type": "queue", "name": "new-contacts"}}, &tr)
	pollNow(t, clock, m) // the baseline: the three contacts fire nothing
	if js := api.jobs("trigger_id=" + tr.ID); len(js) != 0 {
		t.Fatalf("the baseline poll made jobs: %v", jobObjectIDs(js))
	}
	addContact("c4", clock.Now().Add(10*time.Second))
	pollNow(t, clock, m)
	if ids := jobObjectIDs(api.jobs("trigger_id=" + tr.ID)); len(ids) != 1 || ids[0] != "c4" {
		t.Fatalf("jobs for %v, want c4", ids)
	}
	// The poll after the baseline asks only for what came since.
	polls := up.requests()
	last, _ := url.Parse(strings.TrimPrefix(polls[len(polls)-1], "GET "))
	if last.Path != "/v1/contacts" || last.Query().Get("created_after") == "" {
		t.Fatalf("the polls sent %q", polls)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoSecretAtRest(t, dataDir, logs.String(), []string{key})
}

// exampleCSpec is a small OpenAPI description of a parcel API whose
// security scheme is OAuth 2.0 client credentials.
const exampleCSpec = `openapi: 3.0.3
info:
  title: Parcel Tracking
  version: "2.4"
servers:
  - url: https://api.parcels.example/v2
components:
  securitySchemes:
    oauth:
      type: oauth2
      description: Client credentials issued in the developer portal.
      flows:
        clientCredentials:
          tokenUrl: https://{tenant}.auth.parcels.example/oauth/token
          scopes:
            shipments.read: Read shipments
  schemas:
    Shipment:
      type: object
      properties:
        id: {type: string}
        status: {type: string, enum: [created, in_transit, delivered]}
        eta: {type: string, format: date-time}
security:
  - oauth: [shipments.read]
paths:
  /account:
    get:
      operationId: getAccount
      summary: Get the account
      responses:
        "200":
          description: The account.
          content:
            application/json:
              schema:
                type: object
                properties:
                  name: {type: string}
  /shipments/{shipmentId}:
    get:
      operationId: getShipment
      summary: Get a shipment
      tags: [shipments]
      parameters:
        - name: shipmentId
          in: path
          required: true
          schema: {type: string}
        - name: expand
          in: query
          schema: {type: string, enum: [events]}
      responses:
        "200":
          description: The shipment.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Shipment'
`

// Example C: an OpenAPI description with OAuth 2.0 client credentials is
// imported; the connection's client secret is a credential asset kept in
// Vault; the loopback API's token endpoint checks the grant. Publish
// 1.0.0, connect, execute, then a compatible 1.1.0 that the connection
// moves to and still works on. Neither the client secret nor the access
// token reaches the database files or the logs.
func TestBuilderExampleC_OAuthClientCredentialsFromOpenAPI(t *testing.T) {
	const (
		clientID     = "parcels-robot"
		clientSecret = "e2e-example-c-client-secret-8a44e1"
		accessToken  = "e2e-example-c-access-token-c9b03f"
		vaultSecret  = "e2e-example-c-approle-5d2a"
	)
	dataDir := t.TempDir()
	up := newExampleTLSAPI(t)
	roots := x509.NewCertPool()
	roots.AddCert(up.Certificate())
	m, logs := mustRunTunedMain(t, dataDir, "", map[string]string{envBootstrapToken: testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8", "JUNCTION_STORE_ALLOW": "127.0.0.1/32"},
		func(m *Main) { m.tuneOutbound = func(o *outbound.Options) { o.RootCAs = roots } })
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	cli := builderCLI(t, m.URL())
	var mu sync.Mutex
	grants := 0
	up.handle("POST /oauth/token", func(r *http.Request, body string) (any, string) {
		mu.Lock()
		grants++
		mu.Unlock()
		form, err := url.ParseQuery(body)
		if err != nil || form.Get("grant_type") != "client_credentials" || form.Get("scope") != "shipments.read" {
			return nil, "token request form " + form.Get("grant_type") + " " + form.Get("scope")
		}
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(clientSecret)))
		if r.Header.Get("Authorization") != basic {
			return nil, "the token request does not carry the client's credentials in Basic auth"
		}
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			return nil, "token request content type " + r.Header.Get("Content-Type")
		}
		return map[string]any{"access_token": accessToken, "token_type": "Bearer", "expires_in": 3600}, ""
	})
	bearer := map[string]string{"Authorization": "Bearer " + accessToken}
	up.handle("GET /v2/account", func(r *http.Request, _ string) (any, string) {
		return map[string]any{"name": "Acme"}, wantHeaders(r, bearer)
	})
	up.handle("GET /v2/shipments/SH-1001", func(r *http.Request, _ string) (any, string) {
		if r.URL.RawQuery != "expand=events" {
			return nil, "query " + r.URL.RawQuery
		}
		return map[string]any{"id": "SH-1001", "status": "in_transit", "eta": "2026-12-09T12:00:00Z"}, wantHeaders(r, bearer)
	})

	// The client secret lives in Vault, behind a credential asset.
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "junction", vaultSecret)
	vs.Put("secret/apps/parcels", map[string]string{"username": clientID, "password": clientSecret})
	var store, folder, asset struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "read_only": true, "config": map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle", "role_id": "junction",
			"secret_id": vaultSecret, "engine": "kv-v2", "mount": "secret", "data_path": "apps"}}, &store)
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Logistics"}, &folder)
	api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{"folder_id": folder.ID, "name": "parcels-client",
		"type": "credential", "store_id": store.ID, "external_name": "parcels"}, &asset)

	// Import the description from a file, then point the draft at the
	// loopback API by editing the exported file. The token endpoint is on
	// a per-tenant host, so the connection gives its URL.
	dir := t.TempDir()
	specFile := filepath.Join(dir, "parcels.yaml")
	if err := os.WriteFile(specFile, []byte(exampleCSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	var imp struct {
		ID           string   `json:"id"`
		SourceFormat string   `json:"source_format"`
		Operations   int      `json:"operations"`
		AuthTypes    []string `json:"auth_types"`
	}
	if err := json.Unmarshal([]byte(cli("", "builder", "import", specFile, "--key", "parcels", "-o", "json")), &imp); err != nil {
		t.Fatal(err)
	}
	if imp.SourceFormat != "openapi-3.0" || imp.Operations != 2 || strings.Join(imp.AuthTypes, ",") != "oauth2_client_credentials" {
		t.Fatalf("import: %+v", imp)
	}
	exported := cli("", "builder", "export", "parcels")
	edited := strings.ReplaceAll(exported, "https://api.parcels.example/v2", up.URL+"/v2")
	if edited == exported {
		t.Fatalf("the export does not carry the URLs:\n%s", exported)
	}
	file := filepath.Join(dir, "connector.yaml")
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("", "builder", "apply", "parcels", file)
	path := "/api/v1/custom-connectors/" + imp.ID
	checklistClean(api, path)
	api.must(http.StatusCreated, "POST", path+"/publish", map[string]any{"version": "1.0.0"}, nil)

	var def struct {
		Auth []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"auth"`
	}
	api.must(http.StatusOK, "GET", path+"/definition", nil, &def)
	authKey := def.Auth[0].Type
	if def.Auth[0].ID != "" {
		authKey = def.Auth[0].ID
	}
	var conn struct {
		e2eConnection
		ConnectorVersion string `json:"connector_version"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{"folder_id": folder.ID,
		"connector": "parcels", "name": "parcels", "auth_type": authKey, "fields": map[string]any{
			"token_url": up.URL + "/oauth/token", "client_id": clientID, "client_secret": map[string]any{"asset_id": asset.ID, "part": "password"}}}, &conn)
	if conn.Status != "connected" || conn.ConnectorVersion != "1.0.0" {
		t.Fatalf("connection %+v", conn)
	}
	execute := func() {
		t.Helper()
		var res struct {
			Status string         `json:"status"`
			Output map[string]any `json:"output"`
		}
		api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute", map[string]any{"activity": "get_shipment",
			"input": map[string]any{"shipmentId": "SH-1001", "expand": "events"}}, &res)
		if res.Status != "succeeded" || res.Output["status"] != "in_transit" {
			t.Fatalf("execute: %+v", res)
		}
	}
	execute()
	mu.Lock()
	if grants != 1 {
		t.Errorf("%d token grants, want 1 (the token is kept until it expires)", grants)
	}
	mu.Unlock()

	// 1.1.0 adds nothing the connection lacks and removes nothing it uses.
	api.must(http.StatusOK, "PATCH", path, map[string]any{"display_name": "Parcel tracking"}, nil)
	cli("", "builder", "publish", "parcels", "1.1.0")
	api.must(http.StatusOK, "PATCH", "/api/v1/connections/"+conn.ID, map[string]any{"connector_version": "1.1.0"}, &conn)
	if conn.ConnectorVersion != "1.1.0" {
		t.Fatalf("connection %+v", conn)
	}
	execute()
	if n := vs.Reads("secret/apps/parcels"); n < 1 {
		t.Fatalf("%d vault reads", n)
	}
	for _, r := range up.requests() {
		if strings.Contains(r, "e2e-") {
			t.Fatal("a credential was sent in a URL")
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoSecretAtRest(t, dataDir, logs.String(), []string{clientSecret, accessToken, vaultSecret})
}
