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
	id := func(out string) string { t.Helper(); return idIn(t, out) }

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
	// The failed execution kept its request: shown, then run again once
	// the connection has the right key, as a new execution naming it.
	since := clock.Now().Add(-time.Hour).Format(time.RFC3339)
	_, errOut, err = runClient(t, m.URL(), "", "execute", bad, "--object", "ticket", "--operation", "list",
		"--input", `{"since": "`+since+`"}`)
	failed, _, ok := strings.Cut(strings.TrimPrefix(errOut, "error: execution "), ":")
	if err == nil || !ok {
		t.Fatalf("failed execute: err %v, stderr %q", err, errOut)
	}
	show := must("", "executions", "show", failed)
	for _, want := range []string{"Status:", "failed", "connection_auth_failed", "Retryable:", "yes", "Request:", since} {
		if !strings.Contains(show, want) {
			t.Fatalf("executions show lacks %q:\n%s", want, show)
		}
	}
	must(ticketsKey, "connections", "update", bad, "--secret-field", "api_key=-")
	out = must("", "executions", "retry", failed)
	summary, rest, _ = strings.Cut(out, "\n")
	if !strings.HasPrefix(summary, "succeeded, HTTP 200, 1 attempt, ") || !strings.Contains(rest, "Ticket t-1") {
		t.Fatalf("executions retry:\n%s", out)
	}
	retried := summary[strings.LastIndex(summary, "execution ")+len("execution "):]
	var rec struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Retry  string `json:"retry_of"`
	}
	if err := json.Unmarshal([]byte(must("", "executions", "show", retried, "-o", "json")), &rec); err != nil ||
		rec.ID != retried || rec.Status != "succeeded" || rec.Retry != failed {
		t.Fatalf("the retry's record %+v (%v)", rec, err)
	}
	if out, _, err := runClient(t, m.URL(), "", "executions", "list", "--limit", "1"); err != nil ||
		!strings.Contains(out, retried) || strings.Contains(out, failed) {
		t.Fatalf("executions list --limit 1 is not the newest (%v):\n%s", err, out)
	}

	for _, s := range []string{ticketsKey, "wrong-key-e2e"} {
		if strings.Contains(logs.String(), s) {
			t.Fatal("a key reached the server's logs")
		}
	}
}
