package webui_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/app"
)

// An execution run while its connection's debug logging was on shows what
// it sent and got in a <pre>, the key masked; one run after shows none,
// and a viewer sees no debug record.
func TestExecutionDebugPage(t *testing.T) {
	e := newFullEnv(t)
	up := upstream(t)
	id := e.createHTTPConnection("debugged", up.URL)
	ctx := context.Background()
	until := e.s.Clock.Now().Add(time.Hour)
	if _, err := e.app.UpdateConnection(ctx, e.admin, id, app.UpdateConnectionInput{DebugUntil: &until}); err != nil {
		t.Fatal(err)
	}
	res, err := e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/things"}})
	if err != nil {
		t.Fatal(err)
	}
	body := e.get("/executions/"+res.ExecutionID, http.StatusOK)
	start := strings.Index(body, `<pre id="execution-debug">`)
	if start < 0 {
		t.Fatalf("no debug record on the page: %s", body)
	}
	pre := html.UnescapeString(body[start:])
	for _, want := range []string{"# Request 1", "GET " + up.URL + "/things", "X-Api-Key: [redacted]", "HTTP 200", `"things":["alpha","beta"]`} {
		if !strings.Contains(pre, want) {
			t.Errorf("debug record lacks %q: %s", want, pre)
		}
	}

	viewer, _ := e.signInAs("debug-viewer", junction.RoleViewer)
	resp, vbody := e.do(viewer, "GET", "/executions/"+res.ExecutionID, nil)
	wantStatus(t, "viewer's detail", resp, http.StatusOK)
	if strings.Contains(vbody, "execution-debug") {
		t.Fatal("a viewer sees the debug record")
	}

	e.s.Clock.Advance(time.Hour + time.Second)
	e.login(e.client, "/") // the session idled out meanwhile
	res, err = e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/things"}})
	if err != nil {
		t.Fatal(err)
	}
	if body := e.get("/executions/"+res.ExecutionID, http.StatusOK); strings.Contains(body, "execution-debug") {
		t.Fatal("an execution after debug_until shows a debug record")
	}
}
