package engine_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"junction"
	"junction/connector"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// continueDefinition pages the way Dropbox does: the first page at /list,
// the later ones at /list/continue with the cursor alone. The activity, the
// object's list and its poll share the pagination.
const continueDefinition = `
key: continued
display_name: Continued API
version: 1.0.0
base_url: "{base_url}"
fields:
  - {name: base_url, label: Base URL, type: text, required: true}
auth:
  - type: api_key
    in: header
    name: X-API-Key
    fields:
      - {name: api_key, label: API key, type: secret, required: true}
objects:
  - name: entry
    id_field: id
    operations:
      list: &list
        method: POST
        path: /list
        retry_safe: true
        inputs:
          - {name: folder, type: string}
        records: entries
        pagination:
          type: cursor
          next_cursor_path: cursor
          has_more_path: has_more
          continue:
            path: /list/continue
            body: {cursor: "{cursor}"}
    events:
      - name: created
        polling: {created: {path: created}}
activities:
  - name: list_folder
    <<: *list
    outputs:
      - {name: entries, type: array, path: entries}
      - {name: cursor, type: string, path: cursor}
      - {name: has_more, type: boolean, path: has_more}
`

// continueAPI answers /list and /list/continue in three pages. With
// rotateAfterFirst it takes only nextKey once the first page is served.
type continueAPI struct {
	srv *httptest.Server

	mu               sync.Mutex
	key, nextKey     string
	rotateAfterFirst bool
	sent             []string // "path body" of each request
}

func newContinueAPI(t *testing.T, key string) *continueAPI {
	a := &continueAPI{key: key}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.sent = append(a.sent, r.URL.Path+" "+string(body))
		if r.Header.Get("X-API-Key") != a.key {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		var in struct {
			Folder string `json:"folder"`
			Cursor string `json:"cursor"`
		}
		_ = json.Unmarshal(body, &in)
		switch {
		case r.URL.Path == "/list" && in.Folder == "/docs" && in.Cursor == "":
			fmt.Fprint(w, `{"entries":[{"id":"1","created":"2026-12-01T10:00:00Z"}],"cursor":"c1","has_more":true}`)
			if a.rotateAfterFirst {
				a.key = a.nextKey
			}
		case r.URL.Path == "/list/continue" && string(body) == `{"cursor":"c1"}`:
			fmt.Fprint(w, `{"entries":[{"id":"2","created":"2026-12-01T11:00:00Z"}],"cursor":"c2","has_more":true}`)
		case r.URL.Path == "/list/continue" && string(body) == `{"cursor":"c2"}`:
			fmt.Fprint(w, `{"entries":[{"id":"3","created":"2026-12-01T12:00:00Z"}],"cursor":"c3","has_more":false}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_summary":"unexpected request"}`)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *continueAPI) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sent
	a.sent = nil
	return s
}

func TestExecuteContinuePages(t *testing.T) {
	const key1, key2 = "k-continue-one", "k-continue-two"
	threePages := []string{`/list {"folder":"/docs"}`, `/list/continue {"cursor":"c1"}`, `/list/continue {"cursor":"c2"}`}

	t.Run("ActivityThreePages", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{extra: writeDefinition(t, continueDefinition)})
		api := newContinueAPI(t, key1)
		f.trust(api.srv)
		conn := f.connection(t, "continued", "api_key", map[string]junction.FieldValue{"base_url": {Value: api.srv.URL}},
			map[string]junction.Secret{"api_key": junction.NewSecret(key1)})
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "list_folder",
			Input: map[string]any{"folder": "/docs"}, MaxPages: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := res.Output.(map[string]any)
		if n := len(out["entries"].([]any)); n != 3 || out["cursor"] != "c3" || out["has_more"] != false {
			t.Fatalf("output %s", mustJSON(t, out))
		}
		if got := api.take(); mustJSON(t, got) != mustJSON(t, threePages) {
			t.Fatalf("requests %q, want %q", got, threePages)
		}
	})

	t.Run("ListThreePages", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{extra: writeDefinition(t, continueDefinition)})
		api := newContinueAPI(t, key1)
		f.trust(api.srv)
		conn := f.connection(t, "continued", "api_key", map[string]junction.FieldValue{"base_url": {Value: api.srv.URL}},
			map[string]junction.Secret{"api_key": junction.NewSecret(key1)})
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Object: "entry", Operation: "list",
			Input: map[string]any{"folder": "/docs"}, MaxPages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.Output.([]any)); n != 3 {
			t.Fatalf("%d records: %s", n, mustJSON(t, res.Output))
		}
		if got := api.take(); mustJSON(t, got) != mustJSON(t, threePages) {
			t.Fatalf("requests %q", got)
		}
	})

	t.Run("PollFollowsPages", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{extra: writeDefinition(t, continueDefinition)})
		api := newContinueAPI(t, key1)
		f.trust(api.srv)
		conn := f.connection(t, "continued", "api_key", map[string]junction.FieldValue{"base_url": {Value: api.srv.URL}},
			map[string]junction.Secret{"api_key": junction.NewSecret(key1)})
		res, err := f.eng.Poll(f.ctx, engine.PollRequest{Connection: conn, Object: "entry", Event: "created",
			Input: map[string]any{"folder": "/docs"}, State: connector.PollState{}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Records) != 3 || res.Truncated {
			t.Fatalf("%d records, truncated %v", len(res.Records), res.Truncated)
		}
		if got := api.take(); mustJSON(t, got) != mustJSON(t, threePages) {
			t.Fatalf("requests %q", got)
		}
	})

	t.Run("KeyRotatedBeforePageTwo", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{extra: writeDefinition(t, continueDefinition)})
		api := newContinueAPI(t, key1)
		f.trust(api.srv)
		a := f.vaultAsset(t, "continue-key", junction.AssetSecret, map[string]string{"value": key1})
		conn := f.connection(t, "continued", "api_key", map[string]junction.FieldValue{
			"base_url": {Value: api.srv.URL}, "api_key": {AssetID: a.ID}}, nil)
		if _, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "list_folder",
			Input: map[string]any{"folder": "/docs"}}); err != nil {
			t.Fatal(err)
		}
		api.take()

		// The vault holds the new key, which the API takes from the second
		// page on: page two is refused with the cached key, then rebuilt
		// at the continue endpoint from the first page's answer.
		f.vault.Put("secret/apps/continue-key", map[string]string{"value": key2})
		api.mu.Lock()
		api.nextKey, api.rotateAfterFirst = key2, true
		api.mu.Unlock()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "list_folder",
			Input: map[string]any{"folder": "/docs"}, MaxPages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.Output.(map[string]any)["entries"].([]any)); n != 3 || res.Attempts != 4 {
			t.Fatalf("%d entries in %d attempts, want 3 in 4", n, res.Attempts)
		}
		want := []string{threePages[0], threePages[1], threePages[1], threePages[2]}
		if got := api.take(); mustJSON(t, got) != mustJSON(t, want) {
			t.Fatalf("requests %q, want %q", got, want)
		}
		credstoretest.AssertNoLeak(t, "result", mustJSON(t, res), junction.NewSecret(key1), junction.NewSecret(key2))
		credstoretest.AssertNoLeak(t, "execution records", mustJSON(t, f.executions(t)), junction.NewSecret(key1), junction.NewSecret(key2))
	})
}
