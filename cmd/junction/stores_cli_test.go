package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction"
	"junction/cli"
	"junction/credstore/vault/vaulttest"
)

// runClient runs one client command against server with stdin as standard
// input, and returns what it printed; err is the one error line, if any.
func runClient(t *testing.T, server, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(args, "--server", server, "--token", testBootstrapToken), cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv:    func(string) string { return "" },
		ConfigDir: func() (string, error) { return t.TempDir(), nil },
	})
	if code != 0 {
		return out.String(), errOut.String(), &junction.Error{Code: "exit", Message: strings.TrimSpace(errOut.String())}
	}
	return out.String(), errOut.String(), nil
}

// The credential store and asset commands against the real server and a
// Vault over TLS: the store's secret ID goes in through standard input, an
// asset's password through a file, and neither comes back out of any
// command but resolve.
func TestCLI_StoresAndAssets(t *testing.T) {
	// The Vault test server listens on 127.0.0.1, which stores may reach
	// only when the operator allows it.
	m, logs := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken, "JUNCTION_STORE_ALLOW": "127.0.0.1/32"})
	url := m.URL()
	must := func(stdin string, args ...string) (string, string) {
		t.Helper()
		out, errOut, err := runClient(t, url, stdin, args...)
		if err != nil {
			t.Fatalf("junction %s: %v", strings.Join(args, " "), err)
		}
		return out, errOut
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

	out, _ := must("", "stores", "types")
	if !strings.Contains(out, "hashicorp-vault") {
		t.Skipf("this server offers no hashicorp-vault credential stores (types:\n%s)", out)
	}

	const secretID, password, apiKey = "e2e-approle-secret-id-4f1c", "e2e-asset-password-9b2d", "e2e-vault-api-key-77aa"
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", secretID)
	vs.Put("secret/apps/crm", map[string]string{"value": apiKey})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte(vs.CACertPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	var shown []string // every output, checked for secrets at the end

	out, errOut := must(secretID+"\n", "stores", "create", "corp-vault", "--type", "hashicorp-vault",
		"--config", "address="+vs.URL(), "--config", "auth_method=approle", "--config", "role_id=role-1",
		"--config", "data_path=apps", "--config-file", "ca_cert="+caFile, "--secret", "secret_id=-", "-o", "json")
	shown = append(shown, out, errOut)
	store := id(out)

	out, errOut = must("", "stores", "show", store)
	shown = append(shown, out, errOut)
	if !strings.Contains(out, "Secret keys set:") || !strings.Contains(out, "secret_id") {
		t.Fatalf("stores show:\n%s", out)
	}
	out, errOut = must("", "stores", "test", store)
	shown = append(shown, out, errOut)
	if !strings.Contains(out, "test passed") {
		t.Fatalf("stores test:\n%s", out)
	}
	must("", "stores", "update", store, "--name", "corp-vault-2", "--config", "namespace=")
	if out, _ := must("", "stores", "list"); !strings.Contains(out, "corp-vault-2") || !strings.Contains(out, "Database") {
		t.Fatalf("stores list:\n%s", out)
	}

	folder := id(func() string { o, _ := must("", "folders", "create", "Ops", "-o", "json"); return o }())
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut = must("", "assets", "create", "erp-login", "--folder", folder, "--type", "credential",
		"--username", "svc-erp", "--password-file", pwFile, "-o", "json")
	shown = append(shown, out, errOut)
	login := id(out)
	out, errOut = must("", "assets", "create", "crm-key", "--folder", folder, "--type", "secret",
		"--store", store, "--external-name", "crm", "--allowed-host", "API.crm.example.com", "--allowed-host", "*.crm.example.net",
		"-o", "json")
	shown = append(shown, out, errOut)
	crm := id(out)
	if out, _ := must("", "assets", "show", crm); !strings.Contains(out, "Allowed hosts:  api.crm.example.com, *.crm.example.net") {
		t.Fatalf("assets show with allowed hosts:\n%s", out)
	}
	must("", "assets", "update", crm, "--allowed-host", "api.crm.example.com")
	if out, _ := must("", "assets", "show", crm); !strings.Contains(out, "Allowed hosts:  api.crm.example.com\n") {
		t.Fatalf("assets show after narrowing:\n%s", out)
	}
	must("", "assets", "update", crm, "--any-host")
	if out, _ := must("", "assets", "show", crm); !strings.Contains(out, "Allowed hosts:  (any)") {
		t.Fatalf("assets show after lifting:\n%s", out)
	}
	if _, _, err := runClient(t, url, "", "assets", "update", crm, "--allowed-host", "https://x.example.com"); err == nil {
		t.Fatal("a URL was accepted as an allowed host")
	}
	must("", "assets", "create", "region", "--folder", folder, "--type", "text", "--value", "eu-west-1")

	out, errOut = must("", "assets", "list", "--folder", folder)
	shown = append(shown, out, errOut)
	if !strings.Contains(out, "eu-west-1") || !strings.Contains(out, "erp-login") || !strings.Contains(out, "crm-key") {
		t.Fatalf("assets list:\n%s", out)
	}
	out, errOut = must("", "assets", "show", login)
	shown = append(shown, out, errOut)

	// The secrets leave the server only through resolve, and only as asked.
	for _, s := range []string{secretID, password, apiKey} {
		for _, o := range shown {
			if strings.Contains(o, s) {
				t.Fatalf("a secret appeared in a command's output:\n%s", o)
			}
		}
	}
	if out, errOut := must("", "assets", "resolve", login); !strings.Contains(out, "svc-erp") || !strings.Contains(out, password) || errOut != "" {
		t.Fatalf("resolve credential: %q, stderr %q", out, errOut)
	}
	out, _ = must("", "assets", "resolve", crm, "--refresh", "-o", "json")
	var v struct{ Type, Value string }
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Type != "secret" || v.Value != apiKey {
		t.Fatalf("resolve external: %q (%v)", out, err)
	}

	if _, _, err := runClient(t, url, "", "stores", "delete", store); err == nil || !strings.Contains(err.Error(), "(conflict)") {
		t.Fatalf("deleting a store assets use: %v", err)
	}
	must("", "assets", "delete", crm)
	must("", "stores", "delete", store)
	if _, _, err := runClient(t, url, "", "assets", "show", crm); err == nil || !strings.Contains(err.Error(), "(not_found)") {
		t.Fatalf("deleted asset: %v", err)
	}
	for _, s := range []string{secretID, password, apiKey} {
		if strings.Contains(logs.String(), s) {
			t.Fatal("a secret reached the server's logs")
		}
	}
}
