package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"junction/cli"
	"junction/credstore/vault/vaulttest"
)

// TestHelpExamplesRun runs every example of the commands' help, in the
// order a person would, against a real server, with a Vault test server
// standing in for the vault at vault.example.com. Examples that call a
// vendor's API (GitHub, Jira), which this machine cannot reach, must get as
// far as the network: the CLI and the server accepted the command line,
// and only the vendor's absence failed it. A new example must be placed in
// the plan below, so none is left unrun.
func TestHelpExamplesRun(t *testing.T) {
	const (
		secretID   = "examples-approle-secret-3c1d"
		hookSecret = "examples-hook-secret-77a0"
	)
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "junction-prod", secretID)
	vs.Put("secret/erp/api-key", map[string]string{"value": "examples-jira-api-token-e61f"})
	m, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken, "JUNCTION_STORE_ALLOW": "127.0.0.1/32",
		// The target URL below is rewritten to a loopback receiver.
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.1/32"})
	receiver := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)

	dir := t.TempDir()
	t.Chdir(dir)
	for name, content := range map[string]string{
		"pw.txt": "examples-erp-password-51b8", "token.txt": "examples-token-9e02", "secret-id.txt": secretID,
		"ca.pem": vs.CACertPEM(), "hook-secret.txt": hookSecret, "secret.txt": "examples-target-secret-c4d5",
		"query.json": `{"visibility": "all", "sort": "updated"}`,
	} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	junction := func(line string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		words := shellWords(t, line)
		code := run(context.Background(), append(words[1:], "--server", m.URL(), "--token", testBootstrapToken), cli.Env{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
			Getenv:    func(string) string { return "" },
			ConfigDir: func() (string, error) { return dir, nil },
		})
		return code, out.String(), errOut.String()
	}
	mustRun := func(line string) string {
		t.Helper()
		code, out, errOut := junction(line)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", line, code, errOut)
		}
		return out
	}
	mustRun("junction folders create Finance")

	// The Connector Builder's examples import descriptions of a loopback
	// API that takes the bearer token in token.txt.
	builderAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer examples-token-9e02" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": "u-1", "orders": []}`)
	}))
	t.Cleanup(builderAPI.Close)
	description := func(title string) string {
		return `{"openapi": "3.0.3", "info": {"title": "` + title + `", "version": "1"},
"servers": [{"url": "` + builderAPI.URL + `"}],
"components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}}, "security": [{"token": []}],
"paths": {"/me": {"get": {"tags": ["users"], "operationId": "me", "responses": {"200": {"description": "ok"}}}},
"/orders": {"get": {"tags": ["orders"], "operationId": "list_orders",
  "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
  "responses": {"200": {"description": "ok"}}}},
"/admin/stats": {"get": {"tags": ["admin"], "operationId": "stats", "responses": {"200": {"description": "ok"}}}}}}`
	}
	if err := os.WriteFile("openapi.yaml", []byte(description("Acme")), 0o600); err != nil {
		t.Fatal(err)
	}
	specServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, description("Example API"))
	}))
	t.Cleanup(specServer.Close)

	// What each example may need before it runs, and how it must end.
	var hookTrigger string
	type step struct {
		prefix  string // the example's beginning, unique among examples
		vendor  string // host of the vendor the example calls, if any
		before  func()
		after   func(stdout string)
		rewrite map[string]string
	}
	plan := []step{
		{prefix: "junction builder import openapi.yaml"},
		{prefix: "junction builder import https://api.example.com/openapi.json", rewrite: map[string]string{
			"https://api.example.com": specServer.URL}},
		{prefix: "junction builder test acme me", after: func(out string) {
			if !strings.Contains(out, `"succeeded": true`) || strings.Contains(out, "examples-token-9e02") {
				t.Errorf("builder test printed %q", out)
			}
		}},
		{prefix: "junction builder test acme list_orders"},
		{prefix: "junction builder export acme", after: func(out string) {
			if !strings.Contains(out, "key: acme") {
				t.Errorf("builder export printed %q", out)
			}
		}},
		{prefix: "junction stores create vault-prod", rewrite: map[string]string{"https://vault.example.com:8200": vs.URL()}},
		{prefix: "junction assets create erp-password"},
		{prefix: "junction assets create erp-api-key"},
		{prefix: "junction assets create crm-token"},
		{prefix: "junction assets resolve erp-password", after: func(out string) {
			if strings.TrimSpace(out) != "examples-erp-password-51b8" {
				t.Errorf("assets resolve --field password printed %q", out)
			}
		}},
		{prefix: "junction connections create jira", vendor: "acme.atlassian.net"},
		{prefix: "junction connections create gh", vendor: "api.github.com", after: func(string) {
			// Later examples use the connection: make it without the test
			// the vendor would have answered.
			mustRun("junction connections create gh --folder Finance --connector github --auth bearer --secret-field token=@token.txt --default --no-test")
		}},
		{prefix: "junction connections create hooks"},
		{prefix: "junction connections debug gh --for 2h", after: func(out string) {
			if !strings.Contains(out, "Debug until") {
				t.Errorf("connections debug --for printed %q", out)
			}
		}},
		{prefix: "junction connections debug gh --off", after: func(out string) {
			if strings.Contains(out, "Debug until") {
				t.Errorf("connections debug --off printed %q", out)
			}
		}},
		{prefix: "junction execute gh create_issue", vendor: "api.github.com"},
		{prefix: "junction execute gh --object repository", vendor: "api.github.com"},
		{prefix: "junction execute gh search_issues", vendor: "api.github.com"},
		{prefix: "junction triggers create --folder Finance --connection gh"},
		{prefix: "junction triggers create --folder Finance --connection hooks", rewrite: map[string]string{
			"https://hooks.acme.com": receiver.URL}, after: func(out string) {
			id, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(out, "ID:")), "\n")
			hookTrigger = strings.TrimSpace(id)
		}},
		{prefix: "junction triggers rotate-hook", before: func() {
			if hookTrigger == "" {
				t.Fatal("no webhook trigger to rotate")
			}
		}},
		{prefix: "junction triggers history-export", before: func() {
			if hookTrigger == "" {
				t.Fatal("no webhook trigger to export the history of")
			}
		}, after: func(out string) {
			if !strings.HasPrefix(out, "id,at,trigger_id,") {
				t.Errorf("history export printed %q", out)
			}
		}},
		{prefix: "junction executions export --format csv", after: func(out string) {
			// The examples above ran executions that could not reach
			// their vendors.
			if !strings.HasPrefix(out, "id,started_at,") || !strings.Contains(out, ",failed,") {
				t.Errorf("executions export printed %q", out)
			}
		}},
		{prefix: "junction executions export --status failed --search", after: func(out string) {
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if line != "" && !strings.Contains(line, `"status":"failed"`) {
					t.Errorf("executions export printed %q", line)
				}
			}
		}},
		{prefix: "junction audit export --format csv", after: func(out string) {
			if !strings.HasPrefix(out, "id,at,") || !strings.Contains(out, "folder.create") {
				t.Errorf("audit export printed %q", out)
			}
		}},
		{prefix: "junction jobs claim --queue triage", before: func() {
			// A webhook event for a trigger whose jobs go to the queue.
			var tr struct {
				WebhookURL string `json:"webhook_url"`
			}
			out := mustRun("junction triggers create --folder Finance --connection hooks --object event --event received --target-queue triage -o json")
			if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.WebhookURL == "" {
				t.Fatalf("queue trigger: %q (%v)", out, err)
			}
			body := []byte(`{"id": "evt-1", "type": "invoice.paid"}`)
			mac := hmac.New(sha256.New, []byte(hookSecret))
			mac.Write(body)
			req, _ := http.NewRequest(http.MethodPost, tr.WebhookURL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Signature", hex.EncodeToString(mac.Sum(nil)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				t.Fatalf("webhook intake answered %d", resp.StatusCode)
			}
		}, after: func(out string) {
			if !strings.Contains(out, "evt-1") {
				t.Errorf("jobs claim printed no job for the event: %q", out)
			}
		}},
		{prefix: "junction usage --since 30d", after: func(out string) {
			if !strings.Contains(out, "CONNECTOR") || !strings.Contains(out, "TOTAL") {
				t.Errorf("usage printed %q", out)
			}
		}},
		{prefix: "junction tenants quotas set acme", before: func() { mustRun("junction tenants create acme") }},
		{prefix: "junction tenants quotas get acme", after: func(out string) {
			if !strings.Contains(out, "0 used of 100000") || !strings.Contains(out, "unlimited") {
				t.Errorf("tenants quotas get printed %q", out)
			}
		}},
	}

	examples := allExamples()
	ran := map[string]bool{}
	for _, s := range plan {
		var line string
		for _, ex := range examples {
			if strings.HasPrefix(ex, s.prefix) {
				if line != "" {
					t.Fatalf("plan step %q matches several examples", s.prefix)
				}
				line = ex
			}
		}
		if line == "" {
			t.Fatalf("plan step %q matches no example", s.prefix)
		}
		ran[line] = true
		if s.before != nil {
			s.before()
		}
		run := line
		for from, to := range s.rewrite {
			run = strings.ReplaceAll(run, from, to)
		}
		if hookTrigger != "" {
			run = strings.ReplaceAll(run, "0190a3c4-...", hookTrigger)
		}
		code, out, errOut := junction(run)
		switch {
		case s.vendor == "" && code != 0:
			t.Errorf("example %q: exit %d: %s", line, code, errOut)
			continue
		case s.vendor != "" && code == 0:
			t.Errorf("example %q reached %s from a machine without network", line, s.vendor)
		case s.vendor != "" && !strings.Contains(errOut, "cannot reach "+s.vendor) && !strings.Contains(errOut, "upstream"):
			t.Errorf("example %q failed before reaching %s: %s", line, s.vendor, errOut)
		}
		if s.after != nil {
			s.after(out)
		}
	}
	for _, ex := range examples {
		if !ran[ex] {
			t.Errorf("example %q is in no plan step: add it to TestHelpExamplesRun", ex)
		}
	}
}

// allExamples lists every example line of the command tree.
func allExamples() []string {
	var out []string
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		out = append(out, exampleLines(cmd.Example)...)
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(cli.Env{Stdout: io.Discard, Stderr: io.Discard}))
	slices.Sort(out)
	return out
}
