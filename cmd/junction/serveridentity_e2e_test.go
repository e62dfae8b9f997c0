package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction"
)

// TestStoreServerIdentity_EndToEnd: a credential store that would log in
// as the server itself (a key file of the server, its environment, its
// ambient cloud identity) is the operator's to allow. By default only the
// default tenant may make one; another tenant's administrator is refused
// with permission_denied naming the key, and cannot read a file of the
// server through a store either.
func TestStoreServerIdentity_EndToEnd(t *testing.T) {
	m, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken})
	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	host := testBootstrapToken

	var tenant struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(s.mustCLI(host, "tenants", "create", "acme", "--admin", "boss", "-o", "json")), &tenant); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "server-key.json")
	if err := os.WriteFile(keyFile, []byte(`{"type":"service_account","client_email":"ops@p.iam.gserviceaccount.com","private_key":"planted-server-key-5c1e"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		key  string
	}{
		{"File", []string{"--config", "credentials_file=" + keyFile}, "credentials_file"},
		{"Env", []string{"--config", "credentials_env=HOME"}, "credentials_env"},
		{"Ambient", nil, ""},
	} {
		args := append([]string{"stores", "create", "gsm-" + strings.ToLower(tc.name), "--type", "gcp-secret-manager",
			"--config", "project=acme-project-1"}, tc.args...)
		out, err := s.cli(tenant.Token, args...)
		if err == nil || !strings.Contains(err.Error(), junction.EPERMISSIONDENIED) || !strings.Contains(err.Error(), "--store-server-identity") {
			t.Errorf("%s: another tenant's store logs in as the server: %q %v", tc.name, out, err)
		}
		if tc.key != "" && !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: the refusal does not name %s: %v", tc.name, tc.key, err)
		}
		if strings.Contains(out+err.Error(), "planted-server-key") {
			t.Fatalf("%s: the server's key file leaked: %q %v", tc.name, out, err)
		}
		// The operator's own tenant may.
		s.mustCLI(host, args...)
	}
	// A store with its own credentials is anyone's to make.
	s.mustCLI(tenant.Token, "stores", "create", "gsm-own", "--type", "gcp-secret-manager", "--config", "project=acme-project-1",
		"--secret", `credentials_json={"type":"service_account","client_email":"a@p.iam.gserviceaccount.com","private_key":"k"}`)
}

// TestStoreServerIdentity_None: with --store-server-identity none, not even
// the default tenant may.
func TestStoreServerIdentity_None(t *testing.T) {
	m, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken,
		"JUNCTION_STORE_SERVER_IDENTITY": "none"})
	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	out, err := s.cli(testBootstrapToken, "stores", "create", "aws", "--type", "aws-secrets-manager", "--config", "region=eu-central-1")
	if err == nil || !strings.Contains(err.Error(), junction.EPERMISSIONDENIED) || !strings.Contains(err.Error(), "cloud identity") {
		t.Fatalf("a store with the server's ambient identity under none: %q %v", out, err)
	}
}
