package cli_test

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction/cli"
)

// TestOutputFormats: -o yaml, JUNCTION_FORMAT as the default, and --field
// printing one bare value, for scripts.
func TestOutputFormats(t *testing.T) {
	e := newEnv(t)
	folder := e.folder("Finance")
	const password = "hunter2-output-format-pw"
	if _, _, err := e.runWithStdin(password, "assets", "create", "erp", "--folder", folder, "--type", "credential",
		"--username", "svc-erp", "--password", "-"); err != nil {
		t.Fatal(cli.FormatError(err))
	}
	// A script takes the bare password, and nothing else.
	if out := e.must("assets", "resolve", "erp", "--field", "password"); out != password+"\n" {
		t.Fatalf("resolve --field password: %d bytes, want the password alone", len(out))
	}

	out := e.must("assets", "show", "erp", "-o", "yaml")
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil || doc["name"] != "erp" {
		t.Fatalf("-o yaml: %v\n%s", err, out)
	}

	withFormat := newRunner(t, map[string]string{cli.EnvServer: e.srv.URL, cli.EnvToken: e.srv.AdminToken, cli.EnvFormat: "json"})
	if out := withFormat.must("folders", "show", "Finance"); !strings.HasPrefix(out, "{") {
		t.Fatalf("%s=json: %s", cli.EnvFormat, out)
	}
	if out := withFormat.must("folders", "show", "Finance", "-o", "table"); !strings.HasPrefix(out, "ID:") {
		t.Fatalf("-o table over %s: %s", cli.EnvFormat, out)
	}

	if out := e.must("folders", "show", "Finance", "--field", "name"); out != "Finance\n" {
		t.Fatalf("--field name: %q", out)
	}
	if out := e.must("folders", "list", "--field", "id"); strings.TrimSpace(out) == "" || strings.Contains(out, "{") {
		t.Fatalf("--field id of a list: %q", out)
	}
	if _, _, err := e.run("folders", "show", "Finance", "--field", "nope"); err == nil {
		t.Fatal("--field of a missing field passed")
	}
	if _, _, err := e.run("folders", "list", "-o", "xml"); err == nil || !strings.Contains(cli.FormatError(err), "--output") {
		t.Fatalf("-o xml: %v", err)
	}
}

// TestErrorsNameFlags: an error about an API field names the flag the user
// typed.
func TestErrorsNameFlags(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "create", "erin", "--email", "not-an-address"}, "error: --email: "},
		{[]string{"folders", "list", "--parent", "no-such-folder"}, "no folder named"},
		{[]string{"users", "create", "erin", "--display-name", strings.Repeat("x", 300)}, "error: --display-name: "},
	} {
		_, _, err := e.run(tc.args...)
		if err == nil || !strings.Contains(cli.FormatError(err), tc.want) {
			t.Errorf("junction %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestSecretFlagEverywhere: every command that takes a secret takes it as
// --secret NAME=@file or NAME=- (standard input), and never prints it.
func TestSecretFlagEverywhere(t *testing.T) {
	e := newEnv(t)
	e.folder("Finance")
	const value, token = "secret-flag-asset-value-81d2", "secret-flag-bearer-token-4e07"
	out := e.must("assets", "create", "erp", "--folder", "Finance", "--type", "secret",
		"--secret", "value=@"+writeFile(t, "v", value))
	if strings.Contains(out, value) {
		t.Fatal("assets create printed the value")
	}
	if got := e.must("assets", "resolve", "erp", "--field", "value"); got != value+"\n" {
		t.Fatalf("resolved value: %d bytes, want the value", len(got))
	}
	if _, _, err := e.runWithStdin("pw-from-stdin-0c55", "assets", "create", "erp-login", "--folder", "Finance",
		"--type", "credential", "--username", "svc", "--secret", "password=-"); err != nil {
		t.Fatal(cli.FormatError(err))
	}
	if _, _, err := e.run("assets", "create", "x", "--folder", "Finance", "--type", "secret", "--secret", "token=abc"); err == nil {
		t.Fatal("--secret token= on an asset passed")
	}
	out, _, err := e.runWithStdin(token, "connections", "create", "api", "--folder", "Finance", "--connector", "http",
		"--auth", "bearer", "--field", "base_url=https://api.example.com", "--secret", "token=-", "--no-test")
	if err != nil {
		t.Fatal(cli.FormatError(err))
	}
	if strings.Contains(out, token) || !strings.Contains(out, "set") {
		t.Fatalf("connections create output:\n%s", out)
	}
}
