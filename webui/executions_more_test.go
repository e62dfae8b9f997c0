package webui_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"junction/app"
)

var nextPageRE = regexp.MustCompile(`href="(/executions\?[^"]+)" id="next-page"`)

// TestExecutionSearch: the search box narrows executions by the free
// text of the executions query and keeps the other filters, on the next
// page too.
func TestExecutionSearch(t *testing.T) {
	e := newFullEnv(t)
	up := upstream(t)
	alpha := e.createHTTPConnection("alpha-crm", up.URL)
	beta := e.createHTTPConnection("beta-billing", up.URL)
	ctx := context.Background()
	run := func(id, path string, n int) {
		t.Helper()
		for range n {
			_, _ = e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": path}})
		}
	}
	run(alpha, "/things", 52)
	run(alpha, "/boom", 1)
	run(beta, "/things", 2)

	t.Run("Box", func(t *testing.T) {
		body := e.get("/executions?q=billing", http.StatusOK)
		if !strings.Contains(body, `id="execution-q" name="q" value="billing"`) {
			t.Fatalf("the search box does not keep the text: %s", body)
		}
		if n := strings.Count(body, `href="/connections/`+beta+`"`); n != 2 || strings.Contains(body, `href="/connections/`+alpha+`"`) {
			t.Fatalf("%d rows of beta, or rows of alpha: %s", n, body)
		}
	})

	t.Run("WithFilters", func(t *testing.T) {
		body := e.get("/executions?q=alpha&status=failed", http.StatusOK)
		if n := strings.Count(body, `status-failed">failed`); n != 1 || strings.Contains(body, `status-succeeded">succeeded`) {
			t.Fatalf("%d failed rows: %s", n, body)
		}
		if body := e.get("/executions?q=alpha&connection_id="+beta, http.StatusOK); !strings.Contains(body, "No executions.") {
			t.Fatal("the text and the connection do not narrow together")
		}
	})

	t.Run("NextPageKeepsText", func(t *testing.T) {
		body := e.get("/executions?q=alpha-crm&status=succeeded", http.StatusOK)
		m := nextPageRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no next page: %s", body)
		}
		next := html.UnescapeString(m[1])
		if !strings.Contains(next, "q=alpha-crm") || !strings.Contains(next, "status=succeeded") {
			t.Fatalf("the next page drops a filter: %s", next)
		}
		body = e.get(next, http.StatusOK)
		if n := strings.Count(body, `href="/connections/`+alpha+`"`); n != 2 || strings.Contains(body, `href="/connections/`+beta+`"`) {
			t.Fatalf("second page: %d rows of alpha: %s", n, body)
		}
	})

	t.Run("TooLong", func(t *testing.T) {
		body := e.get("/executions?q="+strings.Repeat("x", 201), http.StatusUnprocessableEntity)
		if !strings.Contains(body, `class="error"`) {
			t.Fatal("the problem is not shown beside the box")
		}
	})
}
