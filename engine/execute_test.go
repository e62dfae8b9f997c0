package engine_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

func asError(err error, target **junction.Error) bool { return errors.As(err, target) }

// keyedAPI is an upstream API that accepts one API key in X-API-Key.
type keyedAPI struct {
	srv      *httptest.Server
	mu       sync.Mutex
	key      string
	requests atomic.Int64
}

func newKeyedAPI(t testing.TB, key string) *keyedAPI {
	a := &keyedAPI{key: key}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		a.mu.Lock()
		want := a.key
		a.mu.Unlock()
		if r.Header.Get("X-API-Key") != want {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"bad key"}`)
			return
		}
		switch r.URL.Path {
		case "/v1/items":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "req-1")
			fmt.Fprintf(w, `{"items":[{"id":1}],"q":%q}`, r.URL.Query().Get("q"))
		case "/v1/missing":
			w.Header().Set("X-Upstream-Secret", "header-value-never-shown")
			w.WriteHeader(http.StatusNotFound)
			// An API that echoes the key it was given, and a long body.
			fmt.Fprintf(w, `{"error":"no such thing for key %s","pad":"%s"}`, r.Header.Get("X-API-Key"), strings.Repeat("x", 4000))
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *keyedAPI) setKey(k string) { a.mu.Lock(); a.key = k; a.mu.Unlock() }

const keyAsset = "crm-key"

// assetKeyConnection is an http connection whose API key is a vault-backed
// secret asset.
func assetKeyConnection(t testing.TB, f *fixture, api *keyedAPI, key string) *junction.Connection {
	a := f.vaultAsset(t, keyAsset, junction.AssetSecret, map[string]string{"value": key})
	return f.connection(t, "http", "api_key", map[string]junction.FieldValue{
		"base_url": {Value: api.srv.URL + "/v1"},
		"api_key":  {AssetID: a.ID},
	}, nil)
}

func itemsRequest(c *junction.Connection) engine.ExecuteRequest {
	return engine.ExecuteRequest{
		Connection: c, Caller: "user-1", Activity: "http_request",
		Input: map[string]any{"method": "GET", "path": "/items", "query": map[string]any{"q": "open"}},
	}
}

func TestExecuteHTTPRequest(t *testing.T) {
	const key1, key2 = "key-one-plant-7f3a", "key-two-plant-9c1d"

	t.Run("OK", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)

		res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != engine.StatusSucceeded || res.HTTPStatus != 200 || res.Attempts != 1 || res.ExecutionID == "" {
			t.Fatalf("result %+v", res)
		}
		out := res.Output.(*engine.HTTPOutput)
		if out.Status != 200 || out.Headers["X-Request-Id"] != "req-1" {
			t.Fatalf("output %+v", out)
		}
		if got := mustJSON(t, out.Body); got != `{"items":[{"id":1}],"q":"open"}` {
			t.Fatalf("body %s", got)
		}

		list := f.executions(t)
		if len(list) != 1 {
			t.Fatalf("%d executions recorded", len(list))
		}
		e := list[0]
		if e.ID != res.ExecutionID || e.ConnectionID != conn.ID || e.Activity != "http_request" || e.Status != "succeeded" ||
			e.HTTPStatus != 200 || e.Attempts != 1 || e.CallerID != "user-1" || e.Connector != "http" || e.FolderID != f.folder.ID {
			t.Fatalf("record %+v", e)
		}
		credstoretest.AssertNoLeak(t, "execution record", mustJSON(t, e), junction.NewSecret(key1))
	})

	t.Run("KeyRotatedInVaultAndAtAPI", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
			t.Fatal(err)
		}
		readsBefore := f.vault.Reads("secret/apps/" + keyAsset)

		f.vault.Put("secret/apps/"+keyAsset, map[string]string{"value": key2})
		api.setKey(key2)
		res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 2 {
			t.Fatalf("attempts %d, want 2", res.Attempts)
		}
		if n := f.vault.Reads("secret/apps/"+keyAsset) - readsBefore; n != 1 {
			t.Fatalf("%d extra vault reads, want 1", n)
		}
		// The fresh key is cached: the next execution needs no vault read.
		if res, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil || res.Attempts != 1 {
			t.Fatalf("after rotation: %+v %v", res, err)
		}
		if n := f.vault.Reads("secret/apps/"+keyAsset) - readsBefore; n != 1 {
			t.Fatalf("%d vault reads after rotation, want 1", n)
		}
	})

	t.Run("VaultDownWithinTheHour", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
			t.Fatal(err)
		}
		f.vault.Stop()
		for _, step := range []time.Duration{0, 30 * time.Minute, 29 * time.Minute} {
			f.clock.Advance(step)
			if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
				t.Fatalf("after %v with the vault down: %v", step, err)
			}
		}
		// Past the hour the cached value is gone and the vault is needed.
		f.clock.Advance(2 * time.Minute)
		_, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		wantCode(t, err, junction.ECREDSTOREUNAVAILABLE)
	})

	t.Run("StaleKeyAtAPIThenDisconnected", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		api.setKey("a-key-the-vault-does-not-have")

		for i := 1; i <= engine.AuthFailureLimit; i++ {
			conn = f.reload(t, conn)
			before := api.requests.Load()
			res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
			je := wantCode(t, err, junction.ECONNAUTHFAILED)
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(key1))
			if res.Attempts != 1 || api.requests.Load()-before != 1 || res.Status != engine.StatusFailed || res.HTTPStatus != 401 {
				t.Fatalf("failure %d: %+v, %d upstream requests", i, res, api.requests.Load()-before)
			}
			if je.Details["status"] != 401 {
				t.Fatalf("details %v", je.Details)
			}
			got := f.reload(t, conn)
			wantStatus := junction.ConnectionConnected
			if i == engine.AuthFailureLimit {
				wantStatus = junction.ConnectionDisconnected
			}
			if got.AuthFailures != i || got.Status != wantStatus {
				t.Fatalf("after failure %d: failures %d, status %s", i, got.AuthFailures, got.Status)
			}
		}
		conn = f.reload(t, conn)
		if conn.StatusReason != "authentication failed" {
			t.Fatalf("status reason %q", conn.StatusReason)
		}
		events, err := f.store.ListEvents(f.ctx, f.tenant.ID, junction.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Type != "connection.disconnected" || events[0].ObjectID != conn.ID {
			t.Fatalf("events %s", mustJSON(t, events))
		}
		// A disconnected connection is not used until it is reconnected.
		before := api.requests.Load()
		_, err = f.eng.Execute(f.ctx, itemsRequest(conn))
		wantCode(t, err, junction.ECONNAUTHFAILED)
		if api.requests.Load() != before {
			t.Fatal("a disconnected connection called the API")
		}
		for _, e := range f.executions(t) {
			if e.Status != "failed" || e.ErrorCode != junction.ECONNAUTHFAILED {
				t.Fatalf("record %+v", e)
			}
		}
	})

	t.Run("SuccessResetsFailures", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, "wrong-for-now")
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err == nil {
			t.Fatal("want an authentication failure")
		}
		api.setKey(key1)
		if _, err := f.eng.Execute(f.ctx, itemsRequest(f.reload(t, conn))); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(t, conn); got.AuthFailures != 0 {
			t.Fatalf("failures %d", got.AuthFailures)
		}
	})

	t.Run("ProviderError", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request",
			Input: map[string]any{"path": "/missing"}})
		je := wantCode(t, err, junction.EPROVIDER)
		if res.HTTPStatus != 404 || je.Details["status"] != 404 || je.Details["source"] != "provider" {
			t.Fatalf("result %+v details %v", res, je.Details)
		}
		body := je.Details["body"].(string)
		if len(body) > 2048 || !strings.HasPrefix(body, `{"error":"no such thing for key [redacted]"`) {
			t.Fatalf("body (%d bytes) %.120s", len(body), body)
		}
		text := mustJSON(t, je.Details) + err.Error()
		if strings.Contains(text, "header-value-never-shown") {
			t.Fatal("an upstream header reached the error")
		}
		credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(key1))
		credstoretest.AssertNoLeak(t, "details", text, junction.NewSecret(key1))
	})

	t.Run("LiteralSecret", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := f.connection(t, "http", "api_key", map[string]junction.FieldValue{
			"base_url": {Value: api.srv.URL + "/v1"},
		}, map[string]junction.Secret{"api_key": junction.NewSecret(key1)})
		res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 1 {
			t.Fatalf("%+v", res)
		}
		// A literal secret cannot be refreshed: a rejection fails at once.
		api.setKey(key2)
		before := api.requests.Load()
		res, err = f.eng.Execute(f.ctx, itemsRequest(conn))
		wantCode(t, err, junction.ECONNAUTHFAILED)
		if res.Attempts != 1 || api.requests.Load()-before != 1 {
			t.Fatalf("%+v", res)
		}
		for _, e := range f.executions(t) {
			credstoretest.AssertNoLeak(t, "execution record", mustJSON(t, e), junction.NewSecret(key1), junction.NewSecret(key2))
		}
	})

	t.Run("ValidationErrorsSurfaceUnchanged", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request",
			Input: map[string]any{"path": "/items", "bogus": 1}})
		if je := wantCode(t, err, junction.EINVALID); je.Field != "input.bogus" {
			t.Fatalf("field %q", je.Field)
		}
		_, err = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request",
			Input: map[string]any{"path": 7}})
		if je := wantCode(t, err, junction.EINVALID); je.Field != "input.path" {
			t.Fatalf("field %q", je.Field)
		}
		_, err = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "no_such_activity"})
		wantCode(t, err, junction.ENOTFOUND)
		if api.requests.Load() != 0 {
			t.Fatal("an invalid execution reached the API")
		}
		if n := len(f.executions(t)); n != 3 {
			t.Fatalf("%d records, want every execution recorded", n)
		}
	})

	t.Run("DisabledConnection", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key1)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key1)
		conn.Status = junction.ConnectionDisabled
		_, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		wantCode(t, err, junction.EINVALID)
	})
}

// pagedDefinition is a connector whose item list pages with a cursor.
const pagedDefinition = `
key: paged
display_name: Paged API
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
test:
  path: /items
objects:
  - name: item
    operations:
      list:
        method: GET
        path: /items
        records: data
        pagination:
          type: cursor
          cursor_param: cursor
          next_cursor_path: next
`

func pagedAPI(t testing.TB, key string) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-API-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"data":[{"id":1},{"id":2}],"next":"c2"}`)
		case "c2":
			fmt.Fprint(w, `{"data":[{"id":3}],"next":"c3"}`)
		default:
			fmt.Fprint(w, `{"data":[{"id":4}],"next":""}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestExecuteListPagination(t *testing.T) {
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, pagedDefinition)})
	srv, calls := pagedAPI(t, "k-paged")
	f.trust(srv)
	conn := f.connection(t, "paged", "api_key", map[string]junction.FieldValue{"base_url": {Value: srv.URL}},
		map[string]junction.Secret{"api_key": junction.NewSecret("k-paged")})

	for _, tc := range []struct {
		maxPages  int
		want      string
		calls     int64
		truncated bool // the API had pages the execution did not read
	}{
		{0, `[{"id":1},{"id":2}]`, 1, true},
		{2, `[{"id":1},{"id":2},{"id":3}]`, 2, true},
		{3, `[{"id":1},{"id":2},{"id":3},{"id":4}]`, 3, false},
		{10, `[{"id":1},{"id":2},{"id":3},{"id":4}]`, 3, false},
	} {
		before := calls.Load()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Object: "item", Operation: "list", MaxPages: tc.maxPages})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(t, res.Output); got != tc.want || calls.Load()-before != tc.calls || res.Attempts != int(tc.calls) {
			t.Fatalf("max_pages %d: %s in %d calls (%d attempts)", tc.maxPages, got, calls.Load()-before, res.Attempts)
		}
		if res.Pages != int(tc.calls) || res.Truncated != tc.truncated {
			t.Fatalf("max_pages %d: pages %d, truncated %v; want %d, %v", tc.maxPages, res.Pages, res.Truncated, tc.calls, tc.truncated)
		}
	}
	list := f.executions(t)
	if len(list) != 4 || list[0].Activity != "item.list" {
		t.Fatalf("records %s", mustJSON(t, list))
	}
}

func TestTest(t *testing.T) {
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, pagedDefinition)})
	srv, _ := pagedAPI(t, "k-paged")
	f.trust(srv)
	good := f.connection(t, "paged", "api_key", map[string]junction.FieldValue{"base_url": {Value: srv.URL}},
		map[string]junction.Secret{"api_key": junction.NewSecret("k-paged")})
	if _, err := f.eng.Test(f.ctx, good); err != nil {
		t.Fatal(err)
	}
	bad := f.connection(t, "paged", "api_key", map[string]junction.FieldValue{"base_url": {Value: srv.URL}},
		map[string]junction.Secret{"api_key": junction.NewSecret("wrong")})
	_, err := f.eng.Test(f.ctx, bad)
	wantCode(t, err, junction.ECONNAUTHFAILED)
	if got := f.reload(t, bad); got.AuthFailures != 0 {
		t.Fatalf("a test counted %d failures", got.AuthFailures)
	}
	if n := len(f.executions(t)); n != 0 {
		t.Fatalf("tests recorded %d executions", n)
	}
}
