package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/cli"
	"junction/credstore/credstoretest"
)

// TestCLI_Names_EndToEnd: every command that takes an object takes its
// name too (folders as paths), and a name that matches several objects is
// an error that lists them.
func TestCLI_Names_EndToEnd(t *testing.T) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, _ := triggerServer(t, t.TempDir(), "", clock)
	sim := newTicketSim(t)
	sim.put("t-1", "open", clock.Now())
	try := func(stdin string, args ...string) (string, error) {
		t.Helper()
		out, errOut, err := runClient(t, m.URL(), stdin, args...)
		if err != nil {
			return out, &cliError{errOut}
		}
		return out, nil
	}
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, err := try(stdin, args...)
		if err != nil {
			t.Fatalf("junction %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	id := func(out string) string { t.Helper(); return idIn(t, out) }

	finance := id(must("", "folders", "create", "Finance", "-o", "json"))
	payroll := id(must("", "folders", "create", "Payroll", "--parent", "Finance", "-o", "json"))
	ops := id(must("", "folders", "create", "Ops", "-o", "json"))
	opsPayroll := id(must("", "folders", "create", "Payroll", "--parent", "Ops", "-o", "json"))
	if out := must("", "folders", "show", "Finance/Payroll", "-o", "json"); id(out) != payroll {
		t.Fatalf("Finance/Payroll is %s", out)
	}
	if out := must("", "folders", "list", "--parent", "Ops", "-o", "json"); !strings.Contains(out, opsPayroll) || strings.Contains(out, payroll) {
		t.Fatalf("children of Ops: %s", out)
	}
	// Two folders named Payroll: the bare name is ambiguous and says which.
	_, err := try("", "folders", "show", "Payroll")
	if err == nil || !strings.Contains(err.Error(), "Finance/Payroll") || !strings.Contains(err.Error(), "Ops/Payroll") {
		t.Fatalf("ambiguous folder: %v", err)
	}

	bob := id(must("", "users", "create", "bob", "-o", "json"))
	must("", "folders", "assign", "Finance/Payroll", "bob", "--role", junction.RoleViewer)
	if out := must("", "folders", "members", "Finance/Payroll"); !strings.Contains(out, "bob") {
		t.Fatalf("members of Finance/Payroll:\n%s", out)
	}
	must("", "users", "update", "bob", "--display-name", "Bob B.")
	if out := must("", "users", "show", "bob", "-o", "json"); id(out) != bob || !strings.Contains(out, "Bob B.") {
		t.Fatalf("users show bob: %s", out)
	}
	must("", "tokens", "create", "bob", "--name", "ci")

	// The same connection name in two folders.
	c1 := id(must(ticketsKey, "connections", "create", "tickets", "--folder", "Finance/Payroll", "--connector", "tickets",
		"--auth", "api_key", "--field", "base_url="+sim.URL, "--secret-field", "api_key=-", "-o", "json"))
	id(must(ticketsKey, "connections", "create", "tickets", "--folder", "Ops", "--connector", "tickets",
		"--auth", "api_key", "--field", "base_url="+sim.URL, "--secret-field", "api_key=-", "-o", "json"))
	_, err = try("", "connections", "show", "tickets")
	if err == nil || !strings.Contains(err.Error(), "Finance/Payroll/tickets") || !strings.Contains(err.Error(), "Ops/tickets") {
		t.Fatalf("ambiguous connection: %v", err)
	}
	if out := must("", "connections", "show", "Finance/Payroll/tickets", "-o", "json"); id(out) != c1 {
		t.Fatalf("Finance/Payroll/tickets is %s", out)
	}
	out := must("", "execute", "Finance/Payroll/tickets", "--object", "ticket", "--operation", "list")
	if !strings.HasPrefix(out, "succeeded") {
		t.Fatalf("execute by name:\n%s", out)
	}
	if out := must("", "executions", "list", "--connection", "Finance/Payroll/tickets", "-o", "json"); !strings.Contains(out, c1) {
		t.Fatalf("executions of Finance/Payroll/tickets: %s", out)
	}

	// The shell completes names from the server.
	complete := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		// The connection flags go before the word being completed, which
		// is last and empty.
		args = append(append([]string{"__complete", args[0], "--server", m.URL(), "--token", testBootstrapToken}, args[1:]...), "")
		if code := run(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard,
			Getenv: func(string) string { return "" }}); code != 0 {
			t.Fatalf("junction %s: exit %d", strings.Join(args, " "), code)
		}
		return out.String()
	}
	if out := complete("folders", "show"); !strings.Contains(out, "Finance/Payroll\n") || !strings.Contains(out, "Ops/Payroll\n") {
		t.Fatalf("completion of folders show:\n%s", out)
	}
	if out := complete("execute"); !strings.Contains(out, "Finance/Payroll/tickets\n") || !strings.Contains(out, "Ops/tickets\n") {
		t.Fatalf("completion of execute:\n%s", out)
	}
	if out := complete("connections", "list", "--folder"); !strings.Contains(out, "Finance\n") {
		t.Fatalf("completion of --folder:\n%s", out)
	}

	// Unknown names are not_found, and IDs keep working.
	if _, err := try("", "connections", "show", "nope"); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("unknown connection: %v", err)
	}
	must("", "folders", "show", finance)
	must("", "folders", "delete", "Ops/Payroll")
	must("", "folders", "show", ops)
}

// idIn reads the ID of the object a command printed with -o json.
func idIn(t *testing.T, out string) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" {
		t.Fatalf("no id in %q (%v)", out, err)
	}
	return v.ID
}

type cliError struct{ stderr string }

func (e *cliError) Error() string { return strings.TrimSpace(e.stderr) }

// TestCLI_FolderTableShowsPaths: the folder table names each folder by its
// path, not by its parent's ID.
func TestCLI_FolderTableShowsPaths(t *testing.T) {
	m, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken})
	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	s.mustCLI(testBootstrapToken, "folders", "create", "Finance")
	s.mustCLI(testBootstrapToken, "folders", "create", "Payroll", "--parent", "Finance")
	out := s.mustCLI(testBootstrapToken, "folders", "list")
	if !strings.Contains(out, "PATH") || !strings.Contains(out, "Finance/Payroll") {
		t.Fatalf("folders list:\n%s", out)
	}
}
