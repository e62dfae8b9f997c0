package engine_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// pagedActivityDefinition is the paged connector with a curated search
// that pages with a cursor and declares outputs, beside one that does not
// page.
const pagedActivityDefinition = pagedDefinition + `
activities:
  - name: search
    method: GET
    path: /search
    inputs:
      - {name: q, type: string}
    records: data
    pagination:
      type: cursor
      cursor_param: cursor
      next_cursor_path: next
    outputs:
      - {name: items, type: array, path: data}
      - {name: next, type: string, path: next}
      - {name: total, type: integer, path: total}
  - name: search_first_page
    method: GET
    path: /search
    inputs:
      - {name: q, type: string}
    records: data
    outputs:
      - {name: items, type: array, path: data}
      - {name: next, type: string, path: next}
`

// pagedSearchAPI answers /search in three pages (two records, then one,
// then one), or without end when q is "endless". rotateAfterFirst makes it
// take only the next key once it has served a first page.
type pagedSearchAPI struct {
	srv   *httptest.Server
	calls atomic.Int64

	mu               sync.Mutex
	key, nextKey     string
	rotateAfterFirst bool
}

func newPagedSearchAPI(t testing.TB, key string) *pagedSearchAPI {
	a := &pagedSearchAPI{key: key}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.calls.Add(1)
		a.mu.Lock()
		want := a.key
		a.mu.Unlock()
		if r.Header.Get("X-API-Key") != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		cursor := r.URL.Query().Get("cursor")
		if r.URL.Query().Get("q") == "endless" {
			n, _ := strconv.Atoi(strings.TrimPrefix(cursor, "c"))
			fmt.Fprintf(w, `{"data":[{"id":%d}],"next":"c%d","total":-1}`, n, n+1)
			return
		}
		switch cursor {
		case "":
			fmt.Fprint(w, `{"data":[{"id":1},{"id":2}],"next":"c2","total":4}`)
			a.mu.Lock()
			if a.rotateAfterFirst {
				a.key = a.nextKey
			}
			a.mu.Unlock()
		case "c2":
			fmt.Fprint(w, `{"data":[{"id":3}],"next":"c3","total":4}`)
		default:
			fmt.Fprint(w, `{"data":[{"id":4}],"next":"","total":4}`)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func TestExecuteActivityPagination(t *testing.T) {
	const key1, key2 = "k-act-pages-one", "k-act-pages-two"
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, pagedActivityDefinition)})
	api := newPagedSearchAPI(t, key1)
	f.trust(api.srv)
	conn := f.connection(t, "paged", "api_key", map[string]junction.FieldValue{"base_url": {Value: api.srv.URL}},
		map[string]junction.Secret{"api_key": junction.NewSecret(key1)})

	for _, tc := range []struct {
		name     string
		activity string
		q        string
		maxPages int
		want     string
		calls    int64
		// pages and truncated are what the result says it read.
		pages     int
		truncated bool
	}{
		// Not asked, a paged activity answers as it always has, and says
		// that more pages were there.
		{"FirstPageByDefault", "search", "", 0, `{"items":[{"id":1},{"id":2}],"next":"c2","total":4}`, 1, 1, true},
		{"OnePage", "search", "", 1, `{"items":[{"id":1},{"id":2}],"next":"c2","total":4}`, 1, 1, true},
		// Items of every page; the other outputs as the last page said.
		{"ThreePages", "search", "", 10, `{"items":[{"id":1},{"id":2},{"id":3},{"id":4}],"next":"","total":4}`, 3, 3, false},
		// Stopped by max_pages: the next cursor says where to go on.
		{"Truncated", "search", "", 2, `{"items":[{"id":1},{"id":2},{"id":3}],"next":"c3","total":4}`, 2, 2, true},
		// Exactly the pages there were: nothing left unread.
		{"LastPageAtMaxPages", "search", "", 3, `{"items":[{"id":1},{"id":2},{"id":3},{"id":4}],"next":"","total":4}`, 3, 3, false},
		// An activity that does not page says nothing of pages.
		{"WithoutPagination", "search_first_page", "", 10, `{"items":[{"id":1},{"id":2}],"next":"c2"}`, 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := api.calls.Load()
			res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: tc.activity,
				Input: map[string]any{"q": tc.q}, MaxPages: tc.maxPages})
			if err != nil {
				t.Fatal(err)
			}
			if got := mustJSON(t, res.Output); got != tc.want || api.calls.Load()-before != tc.calls || res.Attempts != int(tc.calls) {
				t.Fatalf("%s in %d calls (%d attempts)", got, api.calls.Load()-before, res.Attempts)
			}
			if res.Pages != tc.pages || res.Truncated != tc.truncated {
				t.Fatalf("pages %d, truncated %v; want %d, %v", res.Pages, res.Truncated, tc.pages, tc.truncated)
			}
		})
	}

	t.Run("Cap", func(t *testing.T) {
		before := api.calls.Load()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "search",
			Input: map[string]any{"q": "endless"}, MaxPages: engine.MaxPages * 10})
		if err != nil {
			t.Fatal(err)
		}
		if n := api.calls.Load() - before; n != engine.MaxPages {
			t.Fatalf("%d pages read, want the cap %d", n, engine.MaxPages)
		}
		out := res.Output.(map[string]any)
		if items := out["items"].([]any); len(items) != engine.MaxPages || out["next"] != fmt.Sprintf("c%d", engine.MaxPages) {
			t.Fatalf("%d items, next %v", len(items), out["next"])
		}
		if res.Pages != engine.MaxPages || !res.Truncated {
			t.Fatalf("pages %d, truncated %v; want the cap, truncated", res.Pages, res.Truncated)
		}
	})

	t.Run("KeyRotatedBeforePageTwo", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{extra: writeDefinition(t, pagedActivityDefinition)})
		api := newPagedSearchAPI(t, key1)
		f.trust(api.srv)
		a := f.vaultAsset(t, "search-key", junction.AssetSecret, map[string]string{"value": key1})
		conn := f.connection(t, "paged", "api_key", map[string]junction.FieldValue{
			"base_url": {Value: api.srv.URL}, "api_key": {AssetID: a.ID}}, nil)
		if _, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "search"}); err != nil {
			t.Fatal(err)
		}
		readsBefore := f.vault.Reads("secret/apps/search-key")

		// The vault holds the new key; the API takes it from the second
		// page on, so page two is refused with the cached one.
		f.vault.Put("secret/apps/search-key", map[string]string{"value": key2})
		api.mu.Lock()
		api.nextKey, api.rotateAfterFirst = key2, true
		api.mu.Unlock()
		before := api.calls.Load()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "search", MaxPages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(t, res.Output); got != `{"items":[{"id":1},{"id":2},{"id":3},{"id":4}],"next":"","total":4}` {
			t.Fatalf("output %s", got)
		}
		if n := api.calls.Load() - before; n != 4 || res.Attempts != 4 {
			t.Fatalf("%d calls, %d attempts; want 4 (three pages, page two twice)", n, res.Attempts)
		}
		if n := f.vault.Reads("secret/apps/search-key") - readsBefore; n != 1 {
			t.Fatalf("%d vault reads, want 1", n)
		}
		list := f.executions(t)
		credstoretest.AssertNoLeak(t, "result", mustJSON(t, res), junction.NewSecret(key1), junction.NewSecret(key2))
		credstoretest.AssertNoLeak(t, "execution records", mustJSON(t, list), junction.NewSecret(key1), junction.NewSecret(key2))
	})
}
