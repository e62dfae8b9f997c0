package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

type debugConnection struct {
	ID         string     `json:"id"`
	DebugUntil *time.Time `json:"debug_until"`
}

// Debug logging is switched on for at most 24 hours by PATCH, audited,
// shows each request and response on the execution's detail to those who
// may edit the connection only, never the token, and ends by itself.
func TestConnectionDebugLogging(t *testing.T) {
	store, path := openSQLite(t)
	e := newEnv(t, store)
	token := plant("debug-bearer")
	up := newBearerUpstream(t, token.Reveal())
	f := e.createFolder(e.admin, "F", "")
	c := e.createConnection(e.admin, bearerConnection(f.ID, "c", up.URL, token.Reveal()))
	patch := func(until any) *response {
		return e.call("PATCH", "/api/v1/connections/"+c.ID, e.admin, map[string]any{"debug_until": until})
	}

	now := e.clock.Now()
	for _, bad := range []any{now.Add(25 * time.Hour).Format(time.RFC3339), "tomorrow", 42} {
		p := patch(bad).problem(t)
		if p.Code != junction.EINVALID || p.Field != "debug_until" {
			t.Fatalf("debug_until %v: %+v", bad, p)
		}
	}
	var dc debugConnection
	until := now.Add(2 * time.Hour).UTC().Truncate(time.Second)
	if r := patch(until.Format(time.RFC3339)); r.status != http.StatusOK {
		t.Fatalf("switch on: %d %s", r.status, r.body)
	} else {
		r.decode(t, &dc)
	}
	if dc.DebugUntil == nil || !dc.DebugUntil.Equal(until) {
		t.Fatalf("debug_until answered %v, want %v", dc.DebugUntil, until)
	}
	var audit list[junction.AuditEntry]
	e.must(http.StatusOK, "GET", "/api/v1/audit?action=connection.update", e.admin, nil, &audit)
	if len(audit.Items) != 1 || audit.Items[0].ObjectID != c.ID || !strings.Contains(mustMarshal(t, audit.Items[0].Details), "debug_until") {
		t.Fatalf("audit of switching debug on: %+v", audit.Items)
	}

	var res executeResult
	e.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, getThings, &res)
	var d executionDetail
	r := e.must(http.StatusOK, "GET", "/api/v1/executions/"+res.ExecutionID, e.admin, nil, &d)
	if d.Debug == nil || len(d.Debug.Attempts) != 1 {
		t.Fatalf("execution detail without its debug record: %s", r.body)
	}
	a := d.Debug.Attempts[0]
	if a.Request.Method != "GET" || !strings.HasSuffix(a.Request.URL, "/things") ||
		a.Request.Headers["Authorization"][0] != junction.Redacted || a.Response == nil || a.Response.Status != 200 ||
		!strings.Contains(a.Response.Body, `"path":"/things"`) {
		t.Fatalf("debug record %+v", a)
	}
	credstoretest.AssertNoLeak(t, "execution detail", string(r.body), token)

	// A viewer sees the record, not its debug; lists show none.
	viewer, viewerToken := e.createUser(e.admin, "viewer")
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+viewer.ID, e.admin,
		map[string]any{"roles": []string{junction.RoleViewer}}, nil)
	r = e.must(http.StatusOK, "GET", "/api/v1/executions/"+res.ExecutionID, viewerToken, nil, nil)
	if strings.Contains(string(r.body), `"debug"`) {
		t.Fatalf("a viewer sees the debug record: %s", r.body)
	}
	r = e.must(http.StatusOK, "GET", "/api/v1/executions", e.admin, nil, nil)
	if strings.Contains(string(r.body), `"debug"`) {
		t.Fatalf("the list shows debug records: %s", r.body)
	}
	if r := e.call("PATCH", "/api/v1/connections/"+c.ID, viewerToken, map[string]any{"debug_until": nil}); r.status != http.StatusForbidden {
		t.Fatalf("a viewer switching debug off: %d %s", r.status, r.body)
	}

	// Past debug_until, executions keep nothing.
	e.clock.Advance(2*time.Hour + time.Second)
	e.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, getThings, &res)
	d = executionDetail{}
	e.must(http.StatusOK, "GET", "/api/v1/executions/"+res.ExecutionID, e.admin, nil, &d)
	if d.Debug != nil {
		t.Fatalf("an execution after debug_until kept %+v", d.Debug)
	}

	// null switches it off, and so does a past time.
	patch(e.clock.Now().Add(time.Hour).Format(time.RFC3339)).decode(t, &dc)
	if dc.DebugUntil == nil {
		t.Fatal("debug not switched on again")
	}
	dc = debugConnection{}
	patch(nil).decode(t, &dc)
	if dc.DebugUntil != nil {
		t.Fatalf("null left debug_until %v", dc.DebugUntil)
	}
	dc = debugConnection{}
	patch(e.clock.Now().Add(-time.Hour).Format(time.RFC3339)).decode(t, &dc)
	if dc.DebugUntil != nil {
		t.Fatalf("a past time left debug_until %v", dc.DebugUntil)
	}

	assertNotInDatabaseFiles(t, path, `"attempts"`, token)
	credstoretest.AssertNoLeak(t, "server logs", e.logs.String(), token)
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
