package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"junction/credstore/credstoretest"
)

// The execute and executions commands against the real binary's server,
// whose outbound guard lets it reach a loopback API only because of
// --outbound-allow 127.0.0.0/8: a success prints the summary and the
// output, a failure one error line naming the execution.
func TestCLI_Execute(t *testing.T) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, logs := triggerServer(t, t.TempDir(), "", clock)
	sim := newTicketSim(t)
	sim.put("t-1", "open", clock.Now())
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := runClient(t, m.URL(), stdin, args...)
		if err != nil {
			t.Fatalf("junction %s: %v", strings.Join(args, " "), err)
		}
		if errOut != "" {
			t.Fatalf("junction %s: stderr %q", strings.Join(args, " "), errOut)
		}
		return out
	}
	id := func(out string) string {
		t.Helper()
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" {
			t.Fatalf("no id in %q (%v)", out, err)
		}
		return v.ID
	}

	folder := id(must("", "folders", "create", "Support", "-o", "json"))
	conn := id(must(ticketsKey, "connections", "create", "tickets", "--folder", folder, "--connector", "tickets",
		"--auth", "api_key", "--field", "base_url="+sim.URL, "--secret-field", "api_key=-", "-o", "json"))

	out := must("", "execute", conn, "--object", "ticket", "--operation", "list")
	summary, rest, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(summary, "succeeded, HTTP 200, 1 attempt, ") || !strings.Contains(rest, "Ticket t-1") {
		t.Fatalf("execute:\n%s", out)
	}

	// The API stops taking the key: one line on standard error, nothing
	// on standard output, exit status 1.
	bad := id(must("wrong-key-e2e", "connections", "create", "tickets-bad", "--folder", folder, "--connector", "tickets",
		"--auth", "api_key", "--field", "base_url="+sim.URL, "--secret-field", "api_key=-", "--no-test", "-o", "json"))
	out, errOut, err := runClient(t, m.URL(), "", "execute", bad, "--object", "ticket", "--operation", "list")
	if err == nil || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "error: execution ") ||
		!strings.HasSuffix(errOut, "(connection_auth_failed)\n") {
		t.Fatalf("failed execute: err %v, stdout %q, stderr %q", err, out, errOut)
	}

	list := must("", "executions", "list", "--connection", bad)
	if !strings.Contains(list, "ticket.list") || !strings.Contains(list, "connection_auth_failed") {
		t.Fatalf("executions list:\n%s", list)
	}
	if out := must("", "executions", "list", "--status", "succeeded", "-o", "json"); !strings.Contains(out, conn) || strings.Contains(out, bad) {
		t.Fatalf("executions list --status succeeded:\n%s", out)
	}
	for _, s := range []string{ticketsKey, "wrong-key-e2e"} {
		if strings.Contains(logs.String(), s) {
			t.Fatal("a key reached the server's logs")
		}
	}
}
