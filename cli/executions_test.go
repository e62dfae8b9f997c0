package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

func TestExecute(t *testing.T) {
	e := newERPEnv(t)
	const apiKey = "sk_exec-never-shown-0456"
	upstream := newERPAPI(t, "svc-erp", "unused", apiKey)
	folder := e.folder("Finance")
	conn := e.create("connections", "create", "erp", "--folder", folder, "--connector", "erp", "--auth", "api_key",
		"--field", "base_url="+upstream.URL, "--secret-field", "api_key="+apiKey)
	executions := func() int {
		var l struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal([]byte(e.must("executions", "list", "--all", "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}

	t.Run("ActivityTable", func(t *testing.T) {
		out := e.must("execute", conn, "get_user", "--input", `{"username": "octocat"}`)
		summary, rest, _ := strings.Cut(out, "\n")
		if !strings.HasPrefix(summary, "succeeded, HTTP 200, 1 attempt, ") || !strings.Contains(summary, " ms, execution ") {
			t.Fatalf("summary line = %q", summary)
		}
		var output map[string]any
		if err := json.Unmarshal([]byte(rest), &output); err != nil || output["login"] != "octocat" {
			t.Fatalf("output after the summary is not the output JSON (%v):\n%s", err, rest)
		}
	})

	t.Run("ObjectOperationJSON", func(t *testing.T) {
		path := writeFile(t, "input.json", `{"state": "open"}`+"\n")
		out := e.must("execute", conn, "--object", "issues", "--operation", "list", "--input", "@"+path, "-o", "json")
		v := wantJSON(t, out)
		if id, _ := v["execution_id"].(string); id == "" || v["attempts"] != float64(1) || v["status"] != "succeeded" {
			t.Fatalf("json = %v", v)
		}
		wantContains(t, out, "Broken build")
	})

	t.Run("ActivityMaxPages", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{nil, `{"issues":[7,8]}`},
			{[]string{"--max-pages", "5"}, `{"issues":[7,8,9]}`},
		} {
			args := append([]string{"execute", conn, "search_issues", "-o", "json"}, tc.args...)
			var res struct {
				Output json.RawMessage `json:"output"`
			}
			if err := json.Unmarshal([]byte(e.must(args...)), &res); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Compact(&got, res.Output); err != nil || got.String() != tc.want {
				t.Fatalf("%v: output %s, want %s", tc.args, res.Output, tc.want)
			}
		}
	})

	// The summary says how many pages were read, and when more were left.
	t.Run("ActivityPagesSummary", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{nil, " ms, 1 page, more pages not read (--max-pages), execution "},
			{[]string{"--max-pages", "5"}, " ms, 3 pages, execution "},
		} {
			out := e.must(append([]string{"execute", conn, "search_issues"}, tc.args...)...)
			if summary, _, _ := strings.Cut(out, "\n"); !strings.Contains(summary, tc.want) {
				t.Fatalf("%v: summary line = %q, want it to hold %q", tc.args, summary, tc.want)
			}
		}
		out := e.must("execute", conn, "search_issues", "-o", "json")
		if v := wantJSON(t, out); v["pages"] != float64(1) || v["truncated"] != true {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("InputFromStdinNoInput", func(t *testing.T) {
		out, _, err := e.runWithStdin(`{"username": "octocat"}`, "execute", conn, "get_user", "--input", "-")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		wantContains(t, out, "octocat")
		if out := e.must("execute", conn, "ping"); !strings.HasPrefix(out, "succeeded, HTTP 200") {
			t.Fatalf("output %q", out)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := executions()
		for name, args := range map[string][]string{
			"BadJSON":          {"execute", conn, "get_user", "--input", `{"username": `},
			"Both":             {"execute", conn, "get_user", "--object", "issues", "--operation", "list"},
			"Neither":          {"execute", conn},
			"ObjectOnly":       {"execute", conn, "--object", "issues"},
			"MissingInputFile": {"execute", conn, "get_user", "--input", "@/nonexistent/input.json"},
			"TooManyPages":     {"execute", conn, "search_issues", "--max-pages", "1000"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := e.run(args...)
				wantCode(t, err, junction.EINVALID)
			})
		}
		if executions() != before {
			t.Fatal("an execution ran despite invalid flags")
		}
	})

	// A failure is one line naming the execution, on standard error only.
	t.Run("ErrProvider", func(t *testing.T) {
		out, errOut, err := e.run("execute", conn, "get_user", "--input", `{"username": "ghost"}`)
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: execution ") || !strings.HasSuffix(got, "(provider_error)") || !strings.Contains(got, "404") {
			t.Fatalf("FormatError = %q", got)
		}
		if out != "" || errOut != "" {
			t.Fatalf("stdout %q, stderr %q: the error line is the only output", out, errOut)
		}
		out, _, err = e.run("execute", conn, "get_user", "--input", `{"username": "ghost"}`, "-o", "json")
		wantCode(t, err, junction.EPROVIDER)
		v := wantJSON(t, out)
		if id, _ := v["execution_id"].(string); id == "" || !strings.Contains(cli.FormatError(err), id) ||
			!strings.Contains(out, "Not Found") {
			t.Fatalf("json %v, error %q", v, cli.FormatError(err))
		}
	})

	t.Run("ErrAuth", func(t *testing.T) {
		upstream.rotate("unused", "rotated")
		defer upstream.rotate("unused", apiKey)
		_, _, err := e.run("execute", conn, "ping")
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: execution ") || !strings.HasSuffix(got, "(connection_auth_failed)") {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("Executions", func(t *testing.T) {
		out := e.must("executions", "list", "--connection", conn, "--status", "failed", "--since", "24h", "--until", "2030-01-03T00:00:00Z")
		wantContains(t, out, "STARTED", "2030-01-02T03:04:05Z", "get_user", "provider_error", " ms")
		if strings.Contains(out, "succeeded") {
			t.Fatalf("--status failed listed a success:\n%s", out)
		}
		out = e.must("executions", "list", "--connection", conn, "-o", "json")
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) != executions() || len(items) < 6 {
			t.Fatalf("%d executions listed", len(items))
		}
		if out := e.must("executions", "list", "--until", "24h"); strings.Contains(out, conn) {
			t.Fatalf("--until 24h (ago) listed today's executions:\n%s", out)
		}
	})

	// A failed execution is shown with its kept request and run again.
	t.Run("ShowRetry", func(t *testing.T) {
		upstream.rotate("unused", "rotated")
		_, _, err := e.run("execute", conn, "get_user", "--input", `{"username": "octocat"}`, "-o", "json")
		upstream.rotate("unused", apiKey)
		var failed *junction.Error
		if !errors.As(err, &failed) || failed.Details["execution_id"] == nil {
			t.Fatalf("execution error %v", err)
		}
		id := failed.Details["execution_id"].(string)
		out := e.must("executions", "show", id)
		wantContains(t, out, "ID:", id, "Status:", "failed", "connection_auth_failed", "Retryable:", "yes", "Request:", `"octocat"`)
		out = e.must("executions", "retry", id)
		summary, rest, _ := strings.Cut(out, "\n")
		if !strings.HasPrefix(summary, "succeeded, HTTP 200") || !strings.Contains(rest, "octocat") {
			t.Fatalf("retry output:\n%s", out)
		}
		newID := strings.TrimSpace(summary[strings.LastIndex(summary, "execution ")+len("execution "):])
		v := wantJSON(t, e.must("executions", "show", newID, "-o", "json"))
		if v["retry_of"] != id || v["status"] != "succeeded" || v["retryable"] != false {
			t.Fatalf("the retry's record: %v", v)
		}
		_, _, err = e.run("executions", "retry", newID)
		wantCode(t, err, junction.ECONFLICT)
		_, _, err = e.run("executions", "show", junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("Limit", func(t *testing.T) {
		v := wantJSON(t, e.must("executions", "list", "--limit", "2", "-o", "json"))
		items, _ := v["items"].([]any)
		if len(items) != 2 || v["next_cursor"] == nil {
			t.Fatalf("--limit 2: %v", v)
		}
		// Newest first: the retry just made leads.
		if first := items[0].(map[string]any); first["retry_of"] == nil {
			t.Fatalf("the newest execution is not first: %v", first)
		}
		if n := len(wantJSON(t, e.must("executions", "list", "--limit", "2", "--all", "-o", "json"))["items"].([]any)); n != executions() {
			t.Fatalf("--limit 2 --all listed %d of %d", n, executions())
		}
		_, _, err := e.run("executions", "list", "--limit", "501")
		wantCode(t, err, junction.EINVALID)
	})

	t.Run("ErrBadSince", func(t *testing.T) {
		_, _, err := e.run("executions", "list", "--since", "yesterday")
		wantCode(t, err, junction.EINVALID)
		_, _, err = e.run("executions", "list", "--until", "tomorrow")
		wantCode(t, err, junction.EINVALID)
	})

	wantAbsent(t, apiKey, e.srv.Logs())
}
