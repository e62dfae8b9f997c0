package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"junction"
	"junction/cli"
)

const testToken = "jct_test-token-0123456789abcdefghijklmnopqrstuvwxyz"

// apiServer reproduces the parts of Junction's REST API the tests need and
// records the requests it received.
type apiServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	Method, Path, Query, Auth string
	Body                      map[string]any
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	s := &apiServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			_ = json.Unmarshal(b, &rec.Body)
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		if rec.Auth != "Bearer "+testToken {
			problem(w, http.StatusUnauthorized, "unauthenticated", "missing, invalid or expired token")
			return
		}
		s.route(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) route(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/me":
		writeJSON(w, 200, map[string]any{
			"user":   map[string]any{"id": "u1", "name": "admin", "tenant_id": "t1", "host_admin": true},
			"tenant": map[string]any{"id": "t1", "name": "default"},
		})
	case "GET /api/v1/folders":
		switch r.URL.Query().Get("cursor") {
		case "":
			writeJSON(w, 200, map[string]any{
				"items":       []any{map[string]any{"id": "f1", "name": "Finance", "path": []string{"f1"}}},
				"next_cursor": "f1",
			})
		case "f1":
			writeJSON(w, 200, map[string]any{
				"items": []any{map[string]any{"id": "f2", "name": "Payroll", "parent_id": "f1", "path": []string{"f1", "f2"}}},
			})
		}
	case "POST /api/v1/folders":
		writeJSON(w, 201, map[string]any{"id": "f3", "name": "HR", "path": []string{"f3"}})
	case "GET /api/v1/folders/missing":
		problem(w, 404, "not_found", "folder not found")
	case "PUT /api/v1/folders/f1/members/u2":
		w.WriteHeader(http.StatusNoContent)
	case "POST /api/v1/users/u2/tokens":
		writeJSON(w, 201, map[string]any{"id": "tok1", "token": "jct_new-secret-token"})
	case "POST /api/v1/users":
		problem(w, 422, "validation_failed", "must not be empty")
	default:
		problem(w, 404, "not_found", "no such route")
	}
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "code": code, "detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *apiServer) last() recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1]
}

// runner runs client commands with their own environment and config dir.
type runner struct {
	t         *testing.T
	env       map[string]string
	configDir string
}

func newRunner(t *testing.T, env map[string]string) *runner {
	return &runner{t: t, env: env, configDir: t.TempDir()}
}

func (r *runner) run(args ...string) (stdout, stderr string, err error) {
	r.t.Helper()
	return r.runWithStdin("", args...)
}

// runWithStdin runs a command whose standard input holds stdin.
func (r *runner) runWithStdin(stdin string, args ...string) (stdout, stderr string, err error) {
	r.t.Helper()
	var out, errb bytes.Buffer
	root := &cobra.Command{Use: "junction", SilenceErrors: true, SilenceUsage: true}
	root.SetOut(&out)
	root.SetErr(&errb)
	root.AddCommand(cli.New(cli.Env{
		Stdin:     strings.NewReader(stdin),
		Stdout:    &out,
		Stderr:    &errb,
		Getenv:    func(k string) string { return r.env[k] },
		ConfigDir: func() (string, error) { return r.configDir, nil },
		Now:       func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) },
	}).Commands()...)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestFolders(t *testing.T) {
	srv := newAPIServer(t)
	r := newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: testToken})

	t.Run("ListTable", func(t *testing.T) {
		out, errOut, err := r.run("folders", "list")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "NAME") || !strings.Contains(out, "Finance") || strings.Contains(out, "Payroll") {
			t.Fatalf("first page only expected:\n%s", out)
		}
		if !strings.Contains(errOut, "--all") {
			t.Fatalf("expected a hint about --all, got %q", errOut)
		}
	})

	t.Run("ListAllJSON", func(t *testing.T) {
		out, _, err := r.run("folders", "list", "--all", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items      []junction.Folder `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if len(page.Items) != 2 || page.Items[1].Name != "Payroll" || page.NextCursor != "" {
			t.Fatalf("got %+v", page)
		}
		if q := srv.last().Query; q != "cursor=f1" {
			t.Fatalf("second page query = %q", q)
		}
	})

	t.Run("Create", func(t *testing.T) {
		out, _, err := r.run("folders", "create", "HR", "--parent", "f1")
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.last().Body; got["name"] != "HR" || got["parent_id"] != "f1" {
			t.Fatalf("body = %v", got)
		}
		if !strings.Contains(out, "f3") {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("Assign", func(t *testing.T) {
		if _, _, err := r.run("folders", "assign", "f1", "u2", "--role", "Automation User", "--role", "Viewer"); err != nil {
			t.Fatal(err)
		}
		last := srv.last()
		roles, _ := last.Body["roles"].([]any)
		if last.Method != "PUT" || last.Path != "/api/v1/folders/f1/members/u2" || len(roles) != 2 || roles[0] != "Automation User" {
			t.Fatalf("request = %+v", last)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := r.run("folders", "show", "missing")
		if got := cli.FormatError(err); got != "error: folder not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}

func TestErrors(t *testing.T) {
	srv := newAPIServer(t)

	t.Run("Unauthenticated", func(t *testing.T) {
		r := newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: "wrong"})
		_, _, err := r.run("me")
		if got := cli.FormatError(err); got != "error: missing, invalid or expired token (unauthenticated)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("Validation", func(t *testing.T) {
		r := newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: testToken})
		_, _, err := r.run("users", "create", "x")
		if got := cli.FormatError(err); got != "error: must not be empty (validation_failed)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("NoToken", func(t *testing.T) {
		r := newRunner(t, map[string]string{cli.EnvServer: srv.URL})
		_, _, err := r.run("folders", "list")
		if junction.ErrorCode(err) != junction.EUNAUTHENTICATED {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("Unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		r := newRunner(t, map[string]string{cli.EnvServer: dead.URL, cli.EnvToken: testToken})
		_, _, err := r.run("me")
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: cannot reach ") || !strings.HasSuffix(got, "(unavailable)") || strings.Contains(got, testToken) {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("NotAProblemDocument", func(t *testing.T) {
		html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		}))
		defer html.Close()
		r := newRunner(t, map[string]string{cli.EnvServer: html.URL, cli.EnvToken: testToken})
		_, _, err := r.run("me")
		if got := cli.FormatError(err); got != "error: server answered 502 Bad Gateway (unavailable)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}

func TestTokensCreate(t *testing.T) {
	srv := newAPIServer(t)
	r := newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: testToken})

	out, errOut, err := r.run("tokens", "create", "u2", "--name", "robot", "--expires", "720h")
	if err != nil {
		t.Fatal(err)
	}
	if out != "jct_new-secret-token\n" {
		t.Fatalf("stdout should hold the token alone, got %q", out)
	}
	if !strings.Contains(errOut, "only time the token is shown") {
		t.Fatalf("stderr lacks the shown-once warning: %q", errOut)
	}
	body := srv.last().Body
	if body["name"] != "robot" || body["expires_at"] != "2030-02-01T03:04:05Z" {
		t.Fatalf("body = %v", body)
	}

	if _, _, err := r.run("tokens", "create", "u2", "--name", "x", "--expires", "soon"); junction.ErrorCode(err) != junction.EINVALID {
		t.Fatalf("bad --expires: err = %v", err)
	}
}

func TestLogin(t *testing.T) {
	srv := newAPIServer(t)
	r := newRunner(t, nil)

	out, _, err := r.run("login", "--server", srv.URL, "--token", testToken)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "as admin") {
		t.Fatalf("output: %q", out)
	}
	path := filepath.Join(r.configDir, "junction", "credentials.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials mode = %v, want 0600", fi.Mode().Perm())
	}

	t.Run("SavedCredentialsUsed", func(t *testing.T) {
		if _, _, err := r.run("me"); err != nil {
			t.Fatal(err)
		}
		if got := srv.last().Auth; got != "Bearer "+testToken {
			t.Fatalf("Authorization = %q", got)
		}
	})

	t.Run("SavedTokenNotSentElsewhere", func(t *testing.T) {
		other := newAPIServer(t)
		_, _, err := r.run("me", "--server", other.URL)
		if junction.ErrorCode(err) != junction.EUNAUTHENTICATED {
			t.Fatalf("err = %v", err)
		}
		other.mu.Lock()
		n := len(other.requests)
		other.mu.Unlock()
		if n != 0 {
			t.Fatalf("the other server received %d requests", n)
		}
	})

	t.Run("BadToken", func(t *testing.T) {
		r2 := newRunner(t, nil)
		_, _, err := r2.run("login", "--server", srv.URL, "--token", "wrong")
		if junction.ErrorCode(err) != junction.EUNAUTHENTICATED {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(r2.configDir, "junction", "credentials.json")); !os.IsNotExist(err) {
			t.Fatalf("credentials saved despite the failed check: %v", err)
		}
	})

	t.Run("Logout", func(t *testing.T) {
		if _, _, err := r.run("logout"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("credentials still there: %v", err)
		}
	})
}

func TestOutputFlag(t *testing.T) {
	srv := newAPIServer(t)
	r := newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: testToken})
	_, _, err := r.run("me", "-o", "yaml")
	if junction.ErrorCode(err) != junction.EINVALID {
		t.Fatalf("err = %v", err)
	}
}
