package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"junction"
)

// Exports write the server's stream to standard output unchanged, in the
// format asked for; a refused filter is the server's problem document.
func TestExports(t *testing.T) {
	e := newEnv(t)
	e.folder("Finance")

	t.Run("AuditCSV", func(t *testing.T) {
		out := e.must("audit", "export", "--format", "csv", "--action", "folder.create")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,at,") || !strings.Contains(lines[1], "folder.create") {
			t.Fatalf("audit export:\n%s", out)
		}
	})
	t.Run("AuditNDJSON", func(t *testing.T) {
		out := e.must("audit", "export", "--since", "1h")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var entry junction.AuditEntry
			if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Action == "" {
				t.Fatalf("line %q: %v", line, err)
			}
		}
	})
	t.Run("ExecutionsEmpty", func(t *testing.T) {
		if out := e.must("executions", "export", "--format", "csv", "--search", "nothing-matches"); strings.TrimSpace(out) != strings.Join([]string{
			"id", "started_at", "folder_id", "connection_id", "connector", "activity", "status", "http_status", "error_code",
			"attempts", "duration_ms", "caller_id", "retry_of", "error_message"}, ",") {
			t.Fatalf("executions export:\n%s", out)
		}
	})
	t.Run("ErrFormat", func(t *testing.T) {
		_, _, err := e.run("executions", "export", "--format", "xml")
		wantCode(t, err, junction.EINVALID)
	})
	t.Run("ErrTriggerNotFound", func(t *testing.T) {
		_, _, err := e.run("triggers", "history-export", junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
	})
}
