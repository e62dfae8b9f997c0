package cli_test

import (
	"strings"
	"testing"

	"junction"
	"junction/cli"
	"junction/credstore/vault/vaulttest"
)

func TestStores(t *testing.T) {
	e := newEnv(t)
	const secretID = "a1b2c3-secret-id-never-shown"
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", secretID)
	vs.Put("secret/apps/erp", map[string]string{"value": "v"})
	caPEM := vs.CACertPEM()
	var shown []string
	var s1 string

	t.Run("CreateSecretFromFile", func(t *testing.T) {
		out, errOut, err := e.run("stores", "create", "vault-prod", "--type", "hashicorp-vault",
			"--config", "address="+vs.URL(), "--config", "auth_method=approle", "--config", "role_id=role-1",
			"--config-file", "ca_cert="+writeFile(t, "ca.pem", caPEM),
			"--secret", "secret_id=@"+writeFile(t, "secret-id", secretID+"\n"),
			"--read-only", "--proxy-url", "http://proxy.invalid:3128")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		shown = append(shown, out, errOut)
		wantContains(t, out, "vault-prod", "Secret keys set:", "secret_id", "Config ca_cert:", "lines)", "Read-only:", "yes")
		s1 = strings.Fields(out)[1] // "ID:  <id>" heads the view
		st := e.get("/api/v1/credential-stores/" + s1)
		cfg, _ := st["config"].(map[string]any)
		// One trailing line ending is dropped from values read from files.
		if st["read_only"] != true || st["proxy_url"] != "http://proxy.invalid:3128" || cfg["ca_cert"] != strings.TrimSuffix(caPEM, "\n") ||
			cfg["address"] != vs.URL() {
			t.Fatalf("store = %v", st)
		}
	})

	var s2 string
	t.Run("CreateSecretFromStdin", func(t *testing.T) {
		out, errOut, err := e.runWithStdin(secretID+"\n", "stores", "create", "vault-dr", "--type", "hashicorp-vault",
			"--config", "address="+vs.URL(), "--config", "auth_method=approle", "--config", "role_id=role-1",
			"--config", "data_path=apps", "--config", "ca_cert="+caPEM, "--secret", "secret_id=-", "-o", "json")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		shown = append(shown, out, errOut)
		v := wantJSON(t, out)
		s2, _ = v["id"].(string)
		if keys, _ := v["secret_keys"].([]any); len(keys) != 1 || keys[0] != "secret_id" || v["proxy_url"] != nil {
			t.Fatalf("json = %v", v)
		}
		// The secret went in: the store logs in with it.
		if out := e.must("stores", "test", s2); out != "Credential store "+s2+": test passed.\n" {
			t.Fatalf("test: %q", out)
		}
	})

	t.Run("CreateSecretLiteral", func(t *testing.T) {
		id := e.create("stores", "create", "v", "--type", "hashicorp-vault", "--config", "address="+vs.URL(),
			"--config", "auth_method=token", "--secret", "token=hvs.x=y")
		if keys, _ := e.get("/api/v1/credential-stores/" + id)["secret_keys"].([]any); len(keys) != 1 || keys[0] != "token" {
			t.Fatalf("secret keys = %v", keys)
		}
		e.must("stores", "delete", id)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := e.must("stores", "list", "-o", "json")
		for name, args := range map[string][]string{
			"NoType":        {"stores", "create", "v"},
			"KeyTwice":      {"stores", "create", "v", "--type", "x", "--config", "a=1", "--secret", "a=2"},
			"NotKeyValue":   {"stores", "create", "v", "--type", "x", "--secret", "hvs.s3cr3t-value"},
			"StdinTwice":    {"stores", "create", "v", "--type", "x", "--secret", "a=-", "--secret", "b=-"},
			"MissingFile":   {"stores", "create", "v", "--type", "x", "--secret", "a=@/nonexistent/secret"},
			"NothingToDo":   {"stores", "update", s1},
			"SetAndRemoved": {"stores", "update", s1, "--config", "a=1", "--unset", "a"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := e.runWithStdin("one value", args...)
				wantCode(t, err, junction.EINVALID)
				// A malformed secret argument is not repeated in the error.
				wantAbsent(t, "s3cr3t", cli.FormatError(err))
			})
		}
		if after := e.must("stores", "list", "-o", "json"); after != before {
			t.Fatal("a store changed despite invalid flags")
		}
	})

	t.Run("ListTable", func(t *testing.T) {
		out := e.must("stores", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(out, "Database") ||
			strings.Count(out, "hashicorp-vault") != 2 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("ListJSON", func(t *testing.T) {
		if items, _ := wantJSON(t, e.must("stores", "list", "-o", "json"))["items"].([]any); len(items) != 3 {
			t.Fatalf("%d stores", len(items))
		}
	})

	t.Run("Show", func(t *testing.T) {
		out := e.must("stores", "show", s1)
		shown = append(shown, out)
		wantContains(t, out, "Config address:", vs.URL())
	})

	t.Run("Update", func(t *testing.T) {
		out, errOut, err := e.runWithStdin(secretID, "stores", "update", s1, "--name", "vault-eu", "--read-only=false",
			"--secret", "secret_id=-", "--unset", "ca_cert")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		shown = append(shown, out, errOut)
		st := e.get("/api/v1/credential-stores/" + s1)
		if cfg, _ := st["config"].(map[string]any); st["name"] != "vault-eu" || st["read_only"] != false || cfg["ca_cert"] != nil {
			t.Fatalf("store = %v", st)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if out := e.must("stores", "delete", s1); out != "Deleted credential store "+s1+".\n" {
			t.Fatalf("output: %q", out)
		}
		if out, _, _ := e.run("stores", "delete", s2, "-o", "json"); out != "" {
			t.Fatalf("-o json should print nothing, got %q", out)
		}
		_, _, err := e.run("stores", "show", s2)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := e.run("stores", "show", missingID)
		if got := cli.FormatError(err); got != "error: credential store not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	wantAbsent(t, secretID, shown...)
	wantAbsent(t, secretID, e.srv.Logs())
}

func TestStoresTypes(t *testing.T) {
	e := newEnv(t)
	out := e.must("stores", "types")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "hashicorp-vault") {
			if !strings.Contains(line, "address*") || !strings.Contains(line, "secret_id") ||
				!strings.Contains(line, "auth_method: token | approle | userpass | ldap") {
				t.Fatalf("line: %q", line)
			}
			// One type in detail says which keys go with which login.
			out := e.must("stores", "types", "hashicorp-vault")
			for _, want := range []string{"set auth_method to one of these", "approle: role_id, secret_id", "token: token"} {
				if !strings.Contains(out, want) {
					t.Fatalf("stores types hashicorp-vault lacks %q:\n%s", want, out)
				}
			}
			if _, _, err := e.run("stores", "types", "nope"); err == nil || !strings.Contains(err.Error(), "hashicorp-vault") {
				t.Fatalf("unknown type: %v", err)
			}
			return
		}
	}
	t.Fatalf("no hashicorp-vault line:\n%s", out)
}

func TestStoresTest(t *testing.T) {
	e := newEnv(t)
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", "the-secret-id")
	store := e.create("stores", "create", "vault-prod", "--type", "hashicorp-vault", "--config", "address="+vs.URL(),
		"--config", "auth_method=approle", "--config", "role_id=role-1", "--config", "ca_cert="+vs.CACertPEM(),
		"--secret", "secret_id=the-secret-id")

	t.Run("OK", func(t *testing.T) {
		if out := e.must("stores", "test", store); out != "Credential store "+store+": test passed.\n" {
			t.Fatalf("output: %q", out)
		}
	})

	// Vault no longer takes the secret ID.
	vs.SetAppRole("approle", "role-1", "another-secret-id")

	t.Run("Failed", func(t *testing.T) {
		out, _, err := e.run("stores", "test", store)
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: Credential store "+store+" failed the test: ") ||
			!strings.HasSuffix(got, "(credential_store_auth_failed)") || strings.Contains(got, "the-secret-id") {
			t.Fatalf("FormatError = %q", got)
		}
		if out != "" {
			t.Fatalf("output: %q", out)
		}
	})

	t.Run("FailedJSON", func(t *testing.T) {
		out, _, err := e.run("stores", "test", store, "-o", "json")
		wantCode(t, err, "credential_store_auth_failed")
		if v := wantJSON(t, out); v["ok"] != false || v["code"] != "credential_store_auth_failed" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		viewer := e.create("users", "create", "viewer", "--role", "Viewer")
		token := strings.TrimSpace(e.must("tokens", "create", viewer, "--name", "t"))
		r := newRunner(t, map[string]string{cli.EnvServer: e.srv.URL, cli.EnvToken: token})
		_, _, err := r.run("stores", "test", store)
		wantCode(t, err, "permission_denied")
	})
}
