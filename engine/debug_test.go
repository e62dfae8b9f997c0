package engine_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// echoAPI answers every request with what it got: method, URL, headers and
// body, as an API reflecting its input (or an error page quoting it)
// would, and a header carrying a session cookie.
func echoAPI(t *testing.T) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=echo-session-cookie-value")
		w.Header().Set("X-Echo", "yes")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "url": r.URL.String(), "headers": r.Header, "body": string(body),
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExecutionDebugRecord(t *testing.T) {
	const (
		apiKey   = "debug-key-plant-4b7e1c"
		password = "debug-pass/plant+9d2&x"
	)
	planted := []junction.Secret{junction.NewSecret(apiKey), junction.NewSecret(password)}

	dir := t.TempDir()
	store := sqldbtest.MustOpen(t, filepath.Join(dir, "junction.db"), sqldb.Options{})
	logger, logs := credstoretest.NewLogger()
	f := newFixture(t, fixtureOptions{store: store, engine: func(o *engine.Options) { o.Logger = logger }})
	srv := echoAPI(t)
	f.trust(srv)

	// The key goes in a header whose name says nothing of a credential:
	// only the auth type tells that it carries one.
	keyed := f.connection(t, "http", "api_key", map[string]junction.FieldValue{
		"base_url":     {Value: srv.URL + "/v1"},
		"api_key_name": {Value: "X-Partner"},
	}, map[string]junction.Secret{"api_key": junction.NewSecret(apiKey)})
	basic := f.connection(t, "http", "basic", map[string]junction.FieldValue{
		"base_url": {Value: srv.URL + "/v1"},
		"username": {Value: "svc-debug"},
	}, map[string]junction.Secret{"password": junction.NewSecret(password)})

	until := f.clock.Now().Add(2 * time.Hour)
	for _, c := range []*junction.Connection{keyed, basic} {
		c.DebugUntil = &until
		if err := f.store.UpdateConnection(f.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	keyed, basic = f.reload(t, keyed), f.reload(t, basic)

	// The caller puts the secrets in the query and the body too, as a
	// careless activity input would; a long body is cut.
	big := strings.Repeat("é", junction.DebugBodyLimit) // 2 bytes each: twice the limit
	run := func(c *junction.Connection, secret, pad string) string {
		t.Helper()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: c, Caller: "user-1", Activity: "http_request",
			Input: map[string]any{"method": "POST", "path": "/things",
				"query":   map[string]any{"q": "open", "echo": secret, "access_token": "not-a-planted-one"},
				"headers": map[string]any{"X-Trace": "t-1", "X-Session-Token": "tok-abc"},
				"body":    map[string]any{"note": "hello", "copy": "is " + secret, "pad": pad}}})
		if err != nil {
			t.Fatal(err)
		}
		return res.ExecutionID
	}
	keyedID := run(keyed, apiKey, "")
	basicID := run(basic, password, big)

	if err := f.eng.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{keyedID, basicID} {
		x, err := f.store.GetExecution(f.ctx, f.tenant.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if x.Debug == nil || len(x.Debug.Attempts) != 1 {
			t.Fatalf("execution %s: debug %+v, want one attempt", id, x.Debug)
		}
		a := x.Debug.Attempts[0]
		rq, rs := a.Request, a.Response
		if rq.Method != "POST" || !strings.HasPrefix(rq.URL, srv.URL+"/v1/things?") || !strings.Contains(rq.URL, "q=open") {
			t.Fatalf("request %s %s", rq.Method, rq.URL)
		}
		if !strings.Contains(rq.URL, "access_token=[redacted]") {
			t.Errorf("a credential-named query parameter is shown: %s", rq.URL)
		}
		if got := rq.Headers["X-Trace"]; len(got) != 1 || got[0] != "t-1" {
			t.Errorf("request header X-Trace = %v", got)
		}
		if got := rq.Headers["X-Session-Token"]; len(got) != 1 || got[0] != junction.Redacted {
			t.Errorf("request header X-Session-Token = %v, want it masked", got)
		}
		if !strings.Contains(rq.Body, `"note":"hello"`) || !strings.Contains(rq.Body, junction.Redacted) {
			t.Errorf("request body %.200s", rq.Body)
		}
		if rs == nil || rs.Status != 200 {
			t.Fatalf("response %+v", rs)
		}
		if got := rs.Headers["X-Echo"]; len(got) != 1 || got[0] != "yes" {
			t.Errorf("response header X-Echo = %v", got)
		}
		if got := rs.Headers["Set-Cookie"]; len(got) != 1 || got[0] != junction.Redacted {
			t.Errorf("response header Set-Cookie = %v, want it masked", got)
		}
		if !strings.Contains(rs.Body, `hello`) {
			t.Errorf("response body %.200s", rs.Body)
		}
		b, _ := json.Marshal(x.Debug)
		credstoretest.AssertNoLeak(t, "debug record", string(b), planted...)
		if strings.Contains(string(b), "tok-abc") || strings.Contains(string(b), "echo-session-cookie-value") {
			t.Errorf("a credential header's value is in the record")
		}
	}
	keyedX, _ := f.store.GetExecution(f.ctx, f.tenant.ID, keyedID)
	if got := keyedX.Debug.Attempts[0].Request.Headers["X-Partner"]; len(got) != 1 || got[0] != junction.Redacted {
		t.Errorf("the auth type's key header = %v, want it masked", got)
	}
	basicX, _ := f.store.GetExecution(f.ctx, f.tenant.ID, basicID)
	brq := basicX.Debug.Attempts[0].Request
	if got := brq.Headers["Authorization"]; len(got) != 1 || got[0] != junction.Redacted {
		t.Errorf("Authorization = %v, want it masked", got)
	}
	if !brq.BodyTruncated || len(brq.Body) > junction.DebugBodyLimit || len(brq.Body) < junction.DebugBodyLimit-4 {
		t.Errorf("request body of %d bytes, truncated %v; want it cut at %d", len(brq.Body), brq.BodyTruncated, junction.DebugBodyLimit)
	}
	if !basicX.Debug.Attempts[0].Response.BodyTruncated {
		t.Errorf("the echoed response body was not cut")
	}

	// A key in a query parameter the auth type names shows masked by
	// name, whatever its value.
	queried := f.connection(t, "http", "api_key", map[string]junction.FieldValue{
		"base_url":     {Value: srv.URL + "/v1"},
		"api_key_in":   {Value: "query"},
		"api_key_name": {Value: "cred"},
	}, map[string]junction.Secret{"api_key": junction.NewSecret(apiKey)})
	queried.DebugUntil = &until
	queriedID := run(queried, apiKey, "")
	if err := f.eng.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	queriedX, err := f.store.GetExecution(f.ctx, f.tenant.ID, queriedID)
	if err != nil {
		t.Fatal(err)
	}
	if u := queriedX.Debug.Attempts[0].Request.URL; !strings.Contains(u, "cred=[redacted]") {
		t.Errorf("the auth type's query parameter is shown: %s", u)
	}
	b, _ := json.Marshal(queriedX.Debug)
	credstoretest.AssertNoLeak(t, "debug record of a key in the query", string(b), planted...)
	// Once debug_until passes, executions keep nothing more.
	f.clock.Advance(2*time.Hour + time.Second)
	afterID := run(keyed, "", "")
	if err := f.eng.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	after, err := f.store.GetExecution(f.ctx, f.tenant.ID, afterID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Debug != nil {
		t.Fatalf("an execution after debug_until kept %+v", after.Debug)
	}

	credstoretest.AssertNoLeak(t, "logs", logs.String(), planted...)
	if err := f.eng.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		credstoretest.AssertNoLeak(t, "database file "+e.Name(), string(b), planted...)
	}
}
