package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

// A failed execution's message shows on its page, and the list's search
// finds the execution by it.
func TestExecutionMessagePages(t *testing.T) {
	e := newFullEnv(t)
	up := upstream(t)
	id := e.createHTTPConnection("upstream", up.URL)
	ctx := context.Background()
	_, err := e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/boom"}})
	if err == nil {
		t.Fatal("/boom succeeded")
	}
	if _, err := e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/things"}}); err != nil {
		t.Fatal(err)
	}
	failed, err := e.app.ListExecutions(ctx, e.admin, app.ExecutionQuery{Status: "failed"})
	if err != nil || len(failed.Items) != 1 {
		t.Fatalf("failed executions %v %v", failed.Items, err)
	}
	ex := failed.Items[0]
	want := junction.PublicMessage(err)
	if ex.ErrorMessage == "" {
		t.Fatalf("the record keeps no message (the call failed with %q)", want)
	}

	body := e.get("/executions/"+ex.ID, http.StatusOK)
	if !strings.Contains(body, `id="execution-error-message">`+ex.ErrorMessage+`<`) {
		t.Fatalf("detail shows no message %q: %s", ex.ErrorMessage, body)
	}
	if strings.Contains(body, `"down"`) {
		t.Fatal("the upstream body reached the page")
	}
	// "answered HTTP 500" is in the message only: not in the activity,
	// connector, code or the connection's name.
	body = e.get("/executions?q="+url.QueryEscape("answered HTTP 500"), http.StatusOK)
	if n := strings.Count(body, `status-failed">failed`); n != 1 || strings.Contains(body, `status-succeeded">`) {
		t.Fatalf("search by message: %d failed rows: %s", n, body)
	}
	if !strings.Contains(body, `value="answered HTTP 500"`) {
		t.Fatal("the search box does not keep what was searched")
	}
	if body := e.get("/executions?q=nothing-says-this", http.StatusOK); !strings.Contains(body, "No executions.") {
		t.Fatal("a search matching nothing lists executions")
	}
	e.get("/executions?q="+strings.Repeat("x", 201), http.StatusUnprocessableEntity)
}
