package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"junction"
	"junction/cli"
)

func TestFolders(t *testing.T) {
	e := newEnv(t)
	finance := e.create("folders", "create", "Finance")
	// One more folder than a page holds.
	for i := range junction.DefaultPageSize {
		e.folder(fmt.Sprintf("Team %02d", i))
	}

	t.Run("ListTable", func(t *testing.T) {
		out, errOut, err := e.run("folders", "list")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !strings.Contains(lines[0], "NAME") || len(lines) != 1+junction.DefaultPageSize {
			t.Fatalf("first page only expected, got %d lines:\n%s", len(lines), out)
		}
		if !strings.Contains(errOut, "--all") {
			t.Fatalf("expected a hint about --all, got %q", errOut)
		}
	})

	t.Run("Create", func(t *testing.T) {
		id := e.create("folders", "create", "Payroll", "--parent", finance)
		var f junction.Folder
		e.api(http.StatusOK, "GET", "/api/v1/folders/"+id, nil, &f)
		if f.Name != "Payroll" || f.ParentID != finance {
			t.Fatalf("created %+v", f)
		}
		wantContains(t, e.must("folders", "show", id), id, "Payroll")
	})

	t.Run("ListAllJSON", func(t *testing.T) {
		out := e.must("folders", "list", "--all", "-o", "json")
		var page struct {
			Items      []junction.Folder `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		names := map[string]bool{}
		for _, f := range page.Items {
			names[f.Name] = true
		}
		if len(page.Items) < junction.DefaultPageSize+2 || !names["Finance"] || !names["Payroll"] || page.NextCursor != "" {
			t.Fatalf("%d items, cursor %q", len(page.Items), page.NextCursor)
		}
	})

	t.Run("Assign", func(t *testing.T) {
		bob := e.create("users", "create", "bob")
		e.must("folders", "assign", finance, bob, "--role", junction.RoleAutomationUser, "--role", junction.RoleViewer)
		out := e.must("folders", "members", finance)
		wantContains(t, out, "bob", junction.RoleAutomationUser, junction.RoleViewer)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := e.run("folders", "show", missingID)
		if got := cli.FormatError(err); got != "error: folder not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}

func TestErrors(t *testing.T) {
	e := newEnv(t)

	t.Run("Unauthenticated", func(t *testing.T) {
		r := newRunner(t, map[string]string{cli.EnvServer: e.srv.URL, cli.EnvToken: "wrong"})
		_, _, err := r.run("me")
		if got := cli.FormatError(err); !strings.HasPrefix(got, "error: ") || !strings.HasSuffix(got, "(unauthenticated)") {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("Validation", func(t *testing.T) {
		_, _, err := e.run("folders", "create", "a/b")
		if got := cli.FormatError(err); !strings.HasPrefix(got, "error: name: ") || !strings.HasSuffix(got, "(validation_failed)") || strings.Contains(got, "\n") {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("NoToken", func(t *testing.T) {
		r := newRunner(t, map[string]string{cli.EnvServer: e.srv.URL})
		_, _, err := r.run("folders", "list")
		wantCode(t, err, junction.EUNAUTHENTICATED)
	})

	t.Run("Unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		r := newRunner(t, map[string]string{cli.EnvServer: dead.URL, cli.EnvToken: e.srv.AdminToken})
		_, _, err := r.run("me")
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: cannot reach ") || !strings.HasSuffix(got, "(unavailable)") || strings.Contains(got, e.srv.AdminToken) {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("NotAProblemDocument", func(t *testing.T) {
		// A proxy in front of Junction answering with its own error page.
		html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		}))
		defer html.Close()
		r := newRunner(t, map[string]string{cli.EnvServer: html.URL, cli.EnvToken: e.srv.AdminToken})
		_, _, err := r.run("me")
		if got := cli.FormatError(err); got != "error: server answered 502 Bad Gateway (unavailable)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}

func TestTokensCreate(t *testing.T) {
	e := newEnv(t)
	bob := e.create("users", "create", "bob")

	out, errOut, err := e.run("tokens", "create", bob, "--name", "robot", "--expires", "720h")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(token, "jct_") || strings.Contains(token, "\n") {
		t.Fatal("stdout should hold the token alone")
	}
	if !strings.Contains(errOut, "only time the token is shown") {
		t.Fatalf("stderr lacks the shown-once warning: %q", errOut)
	}
	list := e.must("tokens", "list", bob, "-o", "json")
	wantAbsent(t, token, list)
	wantContains(t, list, `"robot"`, "2030-02-01T03:04:05Z")
	// The token works.
	r := newRunner(t, map[string]string{cli.EnvServer: e.srv.URL, cli.EnvToken: token})
	wantContains(t, r.must("me"), "bob")

	if _, _, err := e.run("tokens", "create", bob, "--name", "x", "--expires", "soon"); junction.ErrorCode(err) != junction.EINVALID {
		t.Fatalf("bad --expires: err = %v", err)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	r := newRunner(t, nil)

	out, _, err := r.run("login", "--server", e.srv.URL, "--token", e.srv.AdminToken)
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
		wantContains(t, r.must("me"), "admin")
	})

	t.Run("SavedTokenNotSentElsewhere", func(t *testing.T) {
		var requests atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			requests.Add(1)
			w.WriteHeader(http.StatusTeapot)
		}))
		defer other.Close()
		_, _, err := r.run("me", "--server", other.URL)
		wantCode(t, err, junction.EUNAUTHENTICATED)
		if n := requests.Load(); n != 0 {
			t.Fatalf("the other server received %d requests", n)
		}
	})

	t.Run("BadToken", func(t *testing.T) {
		r2 := newRunner(t, nil)
		_, _, err := r2.run("login", "--server", e.srv.URL, "--token", "wrong")
		wantCode(t, err, junction.EUNAUTHENTICATED)
		if _, err := os.Stat(filepath.Join(r2.configDir, "junction", "credentials.json")); !os.IsNotExist(err) {
			t.Fatalf("credentials saved despite the failed check: %v", err)
		}
	})

	t.Run("Logout", func(t *testing.T) {
		r.must("logout")
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("credentials still there: %v", err)
		}
	})
}

func TestOutputFlag(t *testing.T) {
	e := newEnv(t)
	_, _, err := e.run("me", "-o", "xml")
	wantCode(t, err, junction.EINVALID)
}
