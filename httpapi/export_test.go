package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/sqldb/sqldbtest"
)

// exportLines checks an NDJSON export's type and returns its lines.
func exportLines(t *testing.T, r *response) []string {
	t.Helper()
	if r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	return strings.Split(strings.TrimSpace(string(r.body)), "\n")
}

// exportRows checks a CSV export's type and returns its rows, header
// first.
func exportRows(t *testing.T, r *response) [][]string {
	t.Helper()
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %d %q", r.status, r.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The audit export streams every entry across pages, oldest first, with
// the list's filters, as NDJSON or CSV; callers without Audit.View get
// nothing.
func TestAuditExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqldbtest.Open(t))
	f := e.createFolder(e.admin, "F", "")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = junction.MaxPageSize + 20 // more than a page
	for i := range n {
		if err := e.store.AppendAudit(t.Context(), &junction.AuditEntry{ID: junction.NewID(), TenantID: f.TenantID,
			At: start.Add(time.Duration(i) * time.Second), ActorName: "robot", Action: "connection.test",
			ObjectType: "connection", ObjectID: junction.NewID(), Outcome: "success",
			Details: map[string]any{"n": i, "note": "a, \"quoted\" value"}}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.must(http.StatusOK, "GET", "/api/v1/audit/export?action=connection.test", e.admin, nil, nil)
	lines := exportLines(t, r)
	if len(lines) != n {
		t.Fatalf("%d NDJSON lines, want %d", len(lines), n)
	}
	var first, last junction.AuditEntry
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[n-1]), &last) != nil ||
		first.Details["n"] != float64(0) || last.Details["n"] != float64(n-1) {
		t.Fatalf("not oldest first: %s ... %s", lines[0], lines[n-1])
	}
	rows := exportRows(t, e.call("GET", "/api/v1/audit/export?format=csv&action=connection.test", e.admin, nil))
	if len(rows) != n+1 || rows[0][0] != "id" || rows[0][11] != "details" {
		t.Fatalf("%d CSV rows, want a header and %d", len(rows), n+1)
	}
	if got := rows[n][11]; got != `{"n":519,"note":"a, \"quoted\" value"}` {
		t.Fatalf("details cell %q", got)
	}

	_, viewer := e.createUser(e.admin, "vic")
	if p := e.call("GET", "/api/v1/audit/export", viewer, nil).problem(t); p.Code != junction.EPERMISSIONDENIED {
		t.Fatalf("a user without Audit.View: %+v", p)
	}
	if p := e.call("GET", "/api/v1/audit/export?since=yesterday", e.admin, nil).problem(t); p.Code != junction.EINVALID {
		t.Fatalf("a bad filter: %+v", p)
	}
}

// A trigger's history export streams every record of that trigger only,
// oldest first; someone who cannot see the trigger gets not_found.
func TestTriggerHistoryExport(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	e.startQueue()
	f := e.createFolder(e.admin, "Hooks", "")
	tr, _ := e.hookTrigger(f.ID, "q", "")
	other, _ := e.hookTrigger(f.ID, "r", "")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = junction.MaxPageSize + 5
	for i := range n + 3 {
		id := tr.ID
		if i >= n {
			id = other.ID
		}
		if err := e.store.AppendTriggerRecord(t.Context(), &junction.TriggerRecord{ID: junction.NewID(), TenantID: f.TenantID,
			TriggerID: id, FolderID: f.ID, At: start.Add(time.Duration(i) * time.Second), Status: junction.TriggerFired,
			EventType: "invoice.paid", ObjectID: "evt", Count: 1}); err != nil {
			t.Fatal(err)
		}
	}
	path := "/api/v1/triggers/" + tr.ID + "/history/export"
	lines := exportLines(t, e.must(http.StatusOK, "GET", path, e.admin, nil, nil))
	if len(lines) != n {
		t.Fatalf("%d NDJSON lines, want %d", len(lines), n)
	}
	rows := exportRows(t, e.call("GET", path, e.admin, nil, "Accept", "text/csv"))
	if len(rows) != n+1 || rows[0][2] != "trigger_id" {
		t.Fatalf("%d CSV rows, want a header and %d", len(rows), n)
	}
	for _, row := range rows[1:] {
		if row[2] != tr.ID || row[4] != string(junction.TriggerFired) {
			t.Fatalf("row of another trigger: %v", row)
		}
	}
	_, outsider := e.createUser(e.admin, "outsider")
	if p := e.call("GET", path, outsider, nil).problem(t); p.Status != http.StatusNotFound {
		t.Fatalf("an outsider exports the history: %+v", p)
	}
}
