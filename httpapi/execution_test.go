package httpapi_test

import (
	"bytes"
	"encoding/csv"
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
	"junction/sqldb/sqldbtest"
)

type executionDetail struct {
	junction.Execution
	Retryable bool `json:"retryable"`
	Request   *struct {
		Activity string         `json:"activity"`
		Input    map[string]any `json:"input"`
	} `json:"request"`
}

type executeResult struct {
	ExecutionID string `json:"execution_id"`
	Status      string `json:"status"`
	RetryOf     string `json:"retry_of"`
}

// The executions list runs newest first, and its cursor pages on
// backwards to the oldest.
func TestExecutionsNewestFirst(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		up := newBearerUpstream(t, "order-token-1234")
		f := e.createFolder(e.admin, "F", "")
		c := e.createConnection(e.admin, bearerConnection(f.ID, "c", up.URL, "order-token-1234"))
		var ran []string
		for range 5 {
			var res executeResult
			e.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, getThings, &res)
			ran = append(ran, res.ExecutionID)
		}
		var got []string
		cursor := ""
		for range len(ran) {
			var page list[junction.Execution]
			e.must(http.StatusOK, "GET", "/api/v1/executions?limit=2&cursor="+cursor, e.admin, nil, &page)
			for _, x := range page.Items {
				got = append(got, x.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		want := []string{ran[4], ran[3], ran[2], ran[1], ran[0]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("paged executions %v, want newest first %v", got, want)
		}
	})
}

// A failed execution keeps its request sealed, shows it only to those who
// may run it, and runs it again as a new execution naming the old one.
func TestExecutionRetry(t *testing.T) {
	store, path := openSQLite(t)
	e := newEnv(t, store)
	up := newBearerUpstream(t, "someone-else")
	f := e.createFolder(e.admin, "F", "")
	g := e.createFolder(e.admin, "G", "")
	c := e.createConnection(e.admin, bearerConnection(f.ID, "c", up.URL, "retry-token-1234"))
	typed := plant("typed-into-input")
	body := map[string]any{"activity": "http_request",
		"input": map[string]any{"path": "/things", "query": map[string]any{"card": typed.Reveal()}}}

	// The upstream refuses the token: the execution fails.
	r := e.call("POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, body)
	p := r.problem(t)
	failedID, _ := p.Details["execution_id"].(string)
	if failedID == "" {
		t.Fatalf("execution answered %d %s", r.status, r.body)
	}

	var d executionDetail
	e.must(http.StatusOK, "GET", "/api/v1/executions/"+failedID, e.admin, nil, &d)
	if d.ID != failedID || d.Status != "failed" || !d.Retryable || d.Request == nil ||
		d.Request.Activity != "http_request" || d.Request.Input["query"].(map[string]any)["card"] != typed.Reveal() {
		t.Fatalf("the failed execution as its runner sees it: %+v (request %+v)", d, d.Request)
	}

	// A viewer sees the record but not what was typed, and may not run it.
	viewer, viewerToken := e.createUser(e.admin, "viewer")
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+viewer.ID, e.admin,
		map[string]any{"roles": []string{junction.RoleViewer}}, nil)
	d = executionDetail{}
	r = e.must(http.StatusOK, "GET", "/api/v1/executions/"+failedID, viewerToken, nil, &d)
	if d.Request != nil || strings.Contains(string(r.body), typed.Reveal()) {
		t.Fatalf("a viewer sees the kept input: %s", r.body)
	}
	if r := e.call("POST", "/api/v1/executions/"+failedID+"/retry", viewerToken, nil); r.status != http.StatusForbidden {
		t.Fatalf("a viewer's retry: %d %s", r.status, r.body)
	}
	// Someone who sees only folder G does not learn the execution exists.
	outsider, outsiderToken := e.createUser(e.admin, "outsider")
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+g.ID+"/members/"+outsider.ID, e.admin,
		map[string]any{"roles": []string{junction.RoleViewer}}, nil)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/executions/" + failedID},
		{"POST", "/api/v1/executions/" + failedID + "/retry"},
		{"GET", "/api/v1/executions/" + junction.NewID()},
		{"GET", "/api/v1/executions/not-an-id"},
	} {
		if r := e.call(tc.method, tc.path, outsiderToken, nil); r.status != http.StatusNotFound {
			t.Errorf("outsider %s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
	var l list[junction.Execution]
	r = e.must(http.StatusOK, "GET", "/api/v1/executions", e.admin, nil, &l)
	credstoretest.AssertNoLeak(t, "executions list", string(r.body), typed)

	// The upstream takes the token now: the retry succeeds, as a new
	// execution naming the old one.
	up.accept("retry-token-1234")
	var res executeResult
	e.must(http.StatusOK, "POST", "/api/v1/executions/"+failedID+"/retry", e.admin, nil, &res)
	if res.Status != "succeeded" || res.RetryOf != failedID || res.ExecutionID == failedID {
		t.Fatalf("retry: %+v", res)
	}
	d = executionDetail{}
	e.must(http.StatusOK, "GET", "/api/v1/executions/"+res.ExecutionID, e.admin, nil, &d)
	if d.RetryOf != failedID || d.Retryable || d.Request != nil {
		t.Fatalf("the retry's record: %+v", d)
	}
	// A success keeps nothing and cannot be retried.
	if p := e.call("POST", "/api/v1/executions/"+res.ExecutionID+"/retry", e.admin, nil).problem(t); p.Code != junction.ECONFLICT {
		t.Fatalf("retry of a success: %+v", p)
	}
	var audit list[junction.AuditEntry]
	e.must(http.StatusOK, "GET", "/api/v1/audit?action=execution.retry", e.admin, nil, &audit)
	if len(audit.Items) != 1 || audit.Items[0].ObjectID != failedID || audit.Items[0].Details["connection_id"] != c.ID {
		t.Fatalf("audit of the retry: %+v", audit.Items)
	}

	// With its connection gone, the input is too.
	e.must(http.StatusNoContent, "DELETE", "/api/v1/connections/"+c.ID, e.admin, nil, nil)
	if p := e.call("POST", "/api/v1/executions/"+failedID+"/retry", e.admin, nil).problem(t); p.Code != junction.ECONFLICT ||
		!strings.Contains(p.Detail, "kept no input") {
		t.Fatalf("retry without a kept input: %+v", p)
	}
	assertNotInDatabaseFiles(t, path, failedID, typed)
	credstoretest.AssertNoLeak(t, "server logs", e.logs.String(), typed)
}

// The export streams every record the list shows, across pages, newest
// first, as NDJSON or CSV; a viewer of one folder exports only that one.
func TestExecutionsExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqldbtest.Open(t))
	f := e.createFolder(e.admin, "F", "")
	other := e.createFolder(e.admin, "Other", "")
	vic, viewer := e.createUser(e.admin, "vic")
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+vic.ID, e.admin,
		map[string]any{"roles": []string{junction.RoleViewer}}, nil)
	tenant := f.TenantID
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = junction.MaxPageSize + 20 // more than a page
	var es []*junction.Execution
	for i := range n {
		folder := f.ID
		if i%10 == 0 {
			folder = other.ID
		}
		es = append(es, &junction.Execution{ID: junction.NewID(), TenantID: tenant, FolderID: folder,
			ConnectionID: junction.NewID(), Connector: "http", Activity: "http_request", Status: "succeeded",
			Attempts: 1, StartedAt: start.Add(time.Duration(i) * time.Second)})
	}
	if err := e.store.AppendExecutions(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	r := e.must(http.StatusOK, "GET", "/api/v1/executions/export", e.admin, nil, nil)
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if len(lines) != n || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d NDJSON lines (%s), want %d", len(lines), r.header.Get("Content-Type"), n)
	}
	var first, last junction.Execution
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[n-1]), &last) != nil ||
		first.ID != es[n-1].ID || last.ID != es[0].ID {
		t.Fatalf("not newest first: %s ... %s", lines[0], lines[n-1])
	}
	r = e.call("GET", "/api/v1/executions/export", viewer, nil, "Accept", "text/csv")
	if r.status != http.StatusOK {
		t.Fatalf("CSV export: %d", r.status)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := n - (n+9)/10; len(rows) != want+1 || rows[0][0] != "id" {
		t.Fatalf("%d CSV rows for the viewer, want a header and %d", len(rows), want)
	}
	for _, row := range rows[1:] {
		if row[2] != f.ID {
			t.Fatalf("the viewer exported a record of another folder: %v", row)
		}
	}
	p := e.call("GET", "/api/v1/executions/export?format=xml", e.admin, nil).problem(t)
	if p.Code != junction.EINVALID {
		t.Fatalf("format=xml: %+v", p)
	}
}

// pagedConnectors is a directory with a connector whose list operation
// pages by cursor.
func pagedConnectors(t *testing.T) string {
	dir := t.TempDir()
	def := `key: pagedloop
display_name: Paged loopback
version: 1.0.0
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
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
	if err := os.WriteFile(filepath.Join(dir, "pagedloop.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// An execution that pages says how many pages it read, and truncated
// when max_pages stopped it while the API had more; answers that do not
// page, and complete reads, keep their shape.
func TestExecutePagesTruncated(t *testing.T) {
	const token = "paged-token-never-shown-7731"
	e := newEnv(t, sqliteStore(t), envOptions{connectorsDir: pagedConnectors(t)})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("cursor") {
		case "":
			_, _ = io.WriteString(w, `{"data":[{"id":1}],"next":"c2"}`)
		case "c2":
			_, _ = io.WriteString(w, `{"data":[{"id":2}],"next":"c3"}`)
		default:
			_, _ = io.WriteString(w, `{"data":[{"id":3}],"next":""}`)
		}
	}))
	t.Cleanup(up.Close)
	f := e.createFolder(e.admin, "F", "")
	c := e.createConnection(e.admin, map[string]any{"folder_id": f.ID, "connector": "pagedloop", "name": "p",
		"auth_type": "bearer", "fields": map[string]any{"base_url": up.URL, "token": token}})

	for _, tc := range []struct {
		name string
		body map[string]any
		// want is the answer's pages and truncated, absent ones omitted.
		want string
	}{
		{"FirstPageByDefault", map[string]any{"object": "item", "operation": "list"}, `"pages":1,"truncated":true`},
		{"StoppedByMaxPages", map[string]any{"object": "item", "operation": "list", "max_pages": 2}, `"pages":2,"truncated":true`},
		{"Complete", map[string]any{"object": "item", "operation": "list", "max_pages": 3}, `"pages":3`},
		{"CompleteBeforeMaxPages", map[string]any{"object": "item", "operation": "list", "max_pages": 50}, `"pages":3`},
		{"DoesNotPage", map[string]any{"activity": "http_request", "input": map[string]any{"path": "/items"}}, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var res map[string]json.RawMessage
			e.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", e.admin, tc.body, &res)
			var got []string
			for _, k := range []string{"pages", "truncated"} {
				if v, ok := res[k]; ok {
					got = append(got, `"`+k+`":`+string(v))
				}
			}
			if strings.Join(got, ",") != tc.want {
				t.Fatalf("answer has %s, want %s", strings.Join(got, ","), tc.want)
			}
			for k, v := range res {
				if strings.Contains(string(v), token) {
					t.Fatalf("the token appears in %s", k)
				}
			}
		})
	}
}
