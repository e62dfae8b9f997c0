package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"junction/httpapi/httpapitest"
)

// erpConnector describes erpAPI to the server, from a connectors directory.
const erpConnector = `key: erp
display_name: ERP
version: "1"
description: The ERP API the client's tests call through the real server.
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
  - {name: signing_key, type: secret}
auth:
  - type: basic
    fields:
      - {name: username, type: text, required: true}
      - {name: password, type: secret, required: true}
  - type: api_key
    in: header
    name: X-API-Key
    fields:
      - {name: api_key, type: secret, required: true}
test:
  method: GET
  path: /me
  expect_status: [200]
auth_failure:
  status: [401]
objects:
  - name: issues
    id_field: id
    operations:
      list:
        method: GET
        path: /issues
        inputs:
          - {name: state, type: string}
        records: data
activities:
  - name: get_user
    method: GET
    path: /users/{username}
    inputs:
      - {name: username, type: string, required: true}
  - name: ping
    method: GET
    path: /ping
  - name: search_issues
    method: GET
    path: /search
    records: items
    pagination: {type: page, page_param: page}
    outputs:
      - {name: issues, type: array, path: items}
`

// erpAPI is a loopback ERP API: it takes one username and password, or
// one API key, at a time.
type erpAPI struct {
	*httptest.Server
	mu                  sync.Mutex
	user, password, key string
}

func newERPAPI(t *testing.T, user, password, key string) *erpAPI {
	a := &erpAPI{user: user, password: password, key: key}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		u, p, ok := r.BasicAuth()
		authorized := ok && u == a.user && p == a.password || r.Header.Get("X-API-Key") == a.key
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		reply := func(status int, v any) {
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		switch {
		case !authorized:
			reply(http.StatusUnauthorized, map[string]any{"message": "Bad credentials"})
		case r.URL.Path == "/me", r.URL.Path == "/ping":
			reply(http.StatusOK, map[string]any{"ok": true})
		case r.URL.Path == "/users/octocat":
			reply(http.StatusOK, map[string]any{"login": "octocat", "id": 1})
		case r.URL.Path == "/search":
			// Two pages of issues, then an empty one.
			pages := map[string][]any{"": {7, 8}, "1": {7, 8}, "2": {9}}
			reply(http.StatusOK, map[string]any{"items": pages[r.URL.Query().Get("page")]})
		case r.URL.Path == "/issues" && r.URL.Query().Get("state") == "open":
			reply(http.StatusOK, map[string]any{"data": []any{map[string]any{"id": 7, "title": "Broken build"}}})
		default:
			reply(http.StatusNotFound, map[string]any{"message": "Not Found"})
		}
	}))
	t.Cleanup(a.Close)
	return a
}

// rotate makes the API take another password and key.
func (a *erpAPI) rotate(password, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.password, a.key = password, key
}

// newERPEnv is a client and a real server that knows the erp connector.
func newERPEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "erp.yaml"), []byte(erpConnector), 0o600); err != nil {
		t.Fatal(err)
	}
	return newEnv(t, httpapitest.Options{ConnectorsDir: dir})
}
