package cli_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

func TestExecute(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	result := map[string]any{
		"execution_id": "e1", "status": "succeeded", "output": map[string]any{"login": "octocat", "id": 1},
		"http_status": 200, "attempts": 1, "duration_ms": 84,
	}
	api.answer("POST /api/v1/connections/c1/execute", 200, result)

	t.Run("ActivityTable", func(t *testing.T) {
		out, _, err := r.run("execute", "c1", "get_user", "--input", `{"username": "octocat"}`)
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "POST", "/api/v1/connections/c1/execute")
		want := map[string]any{"activity": "get_user", "input": map[string]any{"username": "octocat"}}
		if !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v", got.Body)
		}
		summary, rest, _ := strings.Cut(out, "\n")
		if summary != "succeeded, HTTP 200, 1 attempt, 84 ms, execution e1" {
			t.Fatalf("summary line = %q", summary)
		}
		var output map[string]any
		if err := json.Unmarshal([]byte(rest), &output); err != nil || output["login"] != "octocat" {
			t.Fatalf("output after the summary is not the output JSON (%v):\n%s", err, rest)
		}
	})

	t.Run("ObjectOperationJSON", func(t *testing.T) {
		path := writeFile(t, "input.json", `{"state": "open"}`+"\n")
		out, _, err := r.run("execute", "c1", "--object", "issues", "--operation", "list", "--input", "@"+path, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"object": "issues", "operation": "list", "input": map[string]any{"state": "open"}}
		if got := api.last().Body; !reflect.DeepEqual(got, want) {
			t.Fatalf("body = %v", got)
		}
		if v := wantJSON(t, out); v["execution_id"] != "e1" || v["attempts"] != float64(1) {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("InputFromStdinNoInput", func(t *testing.T) {
		if _, _, err := r.runWithStdin(`[1, 2]`, "execute", "c1", "sum", "--input", "-"); err != nil {
			t.Fatal(err)
		}
		if got := api.last().Raw; got != `{"activity":"sum","input":[1,2]}` {
			t.Fatalf("raw body = %s", got)
		}
		if _, _, err := r.run("execute", "c1", "ping"); err != nil {
			t.Fatal(err)
		}
		if got := api.last().Raw; got != `{"activity":"ping"}` {
			t.Fatalf("raw body = %s", got)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := api.count()
		for name, args := range map[string][]string{
			"BadJSON":          {"execute", "c1", "get_user", "--input", `{"username": `},
			"Both":             {"execute", "c1", "get_user", "--object", "issues", "--operation", "list"},
			"Neither":          {"execute", "c1"},
			"ObjectOnly":       {"execute", "c1", "--object", "issues"},
			"MissingInputFile": {"execute", "c1", "get_user", "--input", "@/nonexistent/input.json"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := r.run(args...)
				wantCode(t, err, junction.EINVALID)
			})
		}
		if api.count() != before {
			t.Fatal("a request was sent despite invalid flags")
		}
	})

	t.Run("ErrProvider", func(t *testing.T) {
		api.handle("POST /api/v1/connections/c2/execute", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(502)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"status": 502, "code": "provider_error", "detail": "the API answered HTTP 404",
				"details": map[string]any{"execution_id": "e2", "status": 404, "body": `{"message":"Not Found"}`, "source": "provider"},
			})
		})
		out, errOut, err := r.run("execute", "c2", "get_user")
		if got := cli.FormatError(err); got != "error: the API answered HTTP 404 (provider_error)" {
			t.Fatalf("FormatError = %q", got)
		}
		if out != "" {
			t.Fatalf("stdout = %q", out)
		}
		for _, s := range []string{"Execution e2 failed.", "HTTP 404", `{"message":"Not Found"}`} {
			if !strings.Contains(errOut, s) {
				t.Fatalf("stderr lacks %q:\n%s", s, errOut)
			}
		}
	})

	t.Run("FailedStatus", func(t *testing.T) {
		api.answer("POST /api/v1/connections/c3/execute", 200, map[string]any{"execution_id": "e3", "status": "failed", "attempts": 3, "duration_ms": 2000})
		out, _, err := r.run("execute", "c3", "get_user")
		wantCode(t, err, "execution_failed")
		if out != "failed, 3 attempts, 2000 ms, execution e3\n" {
			t.Fatalf("stdout = %q", out)
		}
	})
}

func TestExecutions(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	api.answer("GET /api/v1/executions", 200, map[string]any{"items": []any{
		map[string]any{"id": "e1", "connection_id": "c1", "connector": "github", "activity": "get_user", "status": "succeeded",
			"http_status": 200, "attempts": 1, "duration_ms": 84, "started_at": "2030-01-02T01:00:00Z"},
		map[string]any{"id": "e2", "connection_id": "c1", "connector": "github", "activity": "issues.list", "status": "failed",
			"error_code": "connection_auth_failed", "attempts": 2, "duration_ms": 310, "started_at": "2030-01-02T02:00:00Z"},
	}})

	t.Run("ListTable", func(t *testing.T) {
		out, _, err := r.run("executions", "list", "--connection", "c1", "--status", "failed", "--since", "24h", "--until", "2030-01-02T00:00:00Z")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/executions?connection_id=c1&since=2030-01-01T03%3A04%3A05Z&status=failed&until=2030-01-02T00%3A00%3A00Z")
		for _, s := range []string{"STARTED", "2030-01-02T01:00:00Z", "issues.list", "connection_auth_failed", "310 ms"} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("ListJSON", func(t *testing.T) {
		out, _, err := r.run("executions", "list", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/executions")
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) != 2 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("ErrBadSince", func(t *testing.T) {
		_, _, err := r.run("executions", "list", "--since", "yesterday")
		wantCode(t, err, junction.EINVALID)
		_, _, err = r.run("executions", "list", "--until", "tomorrow")
		wantCode(t, err, junction.EINVALID)
	})
}
