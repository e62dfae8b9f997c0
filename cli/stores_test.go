package cli_test

import (
	"reflect"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

var vaultStore = map[string]any{
	"id": "s1", "tenant_id": "t1", "name": "vault-prod", "type": "hashicorp-vault", "read_only": true,
	"config":      map[string]any{"address": "https://vault.example.com:8200", "auth_method": "approle", "ca_cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
	"secret_keys": []string{"secret_id"},
	"built_in":    false,
	"created_at":  "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z",
}

func TestStores(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	api.answer("POST /api/v1/credential-stores", 201, vaultStore)
	api.answer("GET /api/v1/credential-stores/s1", 200, vaultStore)
	api.answer("PATCH /api/v1/credential-stores/s1", 200, vaultStore)
	api.answer("DELETE /api/v1/credential-stores/s1", 204, nil)
	api.answer("GET /api/v1/credential-stores", 200, map[string]any{
		"items": []any{
			map[string]any{"id": "s0", "name": "Database", "type": "database", "built_in": true, "config": map[string]any{}},
			vaultStore,
		},
	})
	api.fail("GET /api/v1/credential-stores/missing", 404, "not_found", "credential store not found")

	const secretID = "a1b2c3-secret-id-never-shown"
	const caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

	t.Run("CreateSecretFromFile", func(t *testing.T) {
		out, errOut, err := r.run("stores", "create", "vault-prod", "--type", "hashicorp-vault",
			"--config", "address=https://vault.example.com:8200", "--config", "auth_method=approle",
			"--config-file", "ca_cert="+writeFile(t, "ca.pem", caPEM),
			"--secret", "secret_id=@"+writeFile(t, "secret-id", secretID+"\n"),
			"--read-only", "--proxy-url", "http://proxy:3128")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "POST", "/api/v1/credential-stores")
		want := map[string]any{
			"name": "vault-prod", "type": "hashicorp-vault", "read_only": true, "insecure": false, "proxy_url": "http://proxy:3128",
			"config": map[string]any{
				"address": "https://vault.example.com:8200", "auth_method": "approle",
				// One trailing line ending is dropped from values read from files.
				"ca_cert":   strings.TrimSuffix(caPEM, "\n"),
				"secret_id": secretID,
			},
		}
		if !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v\nwant   %v", got.Body, want)
		}
		wantAbsent(t, secretID, out, errOut)
		for _, s := range []string{"vault-prod", "Secret keys set:", "secret_id", "Config ca_cert:", "(3 lines)", "Read-only:", "yes"} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("CreateSecretFromStdin", func(t *testing.T) {
		out, errOut, err := r.runWithStdin(secretID+"\n", "stores", "create", "vault-prod", "--type", "hashicorp-vault",
			"--config", "address=https://vault.example.com:8200", "--secret", "secret_id=-", "--insecure", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		body := api.last().Body
		if cfg, _ := body["config"].(map[string]any); cfg["secret_id"] != secretID || body["insecure"] != true {
			t.Fatalf("body = %v", body)
		}
		if _, ok := body["proxy_url"]; ok {
			t.Fatalf("proxy_url sent though not given: %v", body)
		}
		wantAbsent(t, secretID, out, errOut)
		if v := wantJSON(t, out); v["id"] != "s1" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("CreateSecretLiteral", func(t *testing.T) {
		if _, _, err := r.run("stores", "create", "v", "--type", "hashicorp-vault", "--secret", "token=hvs.x=y"); err != nil {
			t.Fatal(err)
		}
		if cfg, _ := api.last().Body["config"].(map[string]any); cfg["token"] != "hvs.x=y" {
			t.Fatalf("config = %v", cfg)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := api.count()
		for name, args := range map[string][]string{
			"NoType":        {"stores", "create", "v"},
			"KeyTwice":      {"stores", "create", "v", "--type", "x", "--config", "a=1", "--secret", "a=2"},
			"NotKeyValue":   {"stores", "create", "v", "--type", "x", "--secret", "hvs.s3cr3t-value"},
			"StdinTwice":    {"stores", "create", "v", "--type", "x", "--secret", "a=-", "--secret", "b=-"},
			"MissingFile":   {"stores", "create", "v", "--type", "x", "--secret", "a=@/nonexistent/secret"},
			"NothingToDo":   {"stores", "update", "s1"},
			"SetAndRemoved": {"stores", "update", "s1", "--config", "a=1", "--unset", "a"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := r.runWithStdin("one value", args...)
				wantCode(t, err, junction.EINVALID)
				// A malformed secret argument is not repeated in the error.
				wantAbsent(t, "s3cr3t", cli.FormatError(err))
			})
		}
		if api.count() != before {
			t.Fatal("a request was sent despite invalid flags")
		}
	})

	t.Run("ListTable", func(t *testing.T) {
		out, _, err := r.run("stores", "list")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "Database") ||
			!strings.Contains(lines[2], "hashicorp-vault") {
			t.Fatalf("output:\n%s", out)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/credential-stores")
	})

	t.Run("ListJSON", func(t *testing.T) {
		out, _, err := r.run("stores", "list", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) != 2 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("Show", func(t *testing.T) {
		out, _, err := r.run("stores", "show", "s1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/credential-stores/s1")
		if !strings.Contains(out, "Config address:") || !strings.Contains(out, "https://vault.example.com:8200") {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("Update", func(t *testing.T) {
		out, errOut, err := r.runWithStdin(secretID, "stores", "update", "s1", "--name", "vault-dr", "--read-only=false",
			"--secret", "secret_id=-", "--unset", "ca_cert")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "PATCH", "/api/v1/credential-stores/s1")
		want := map[string]any{"name": "vault-dr", "read_only": false, "config": map[string]any{"secret_id": secretID, "ca_cert": nil}}
		if !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v\nwant   %v", got.Body, want)
		}
		wantAbsent(t, secretID, out, errOut)
	})

	t.Run("Delete", func(t *testing.T) {
		out, _, err := r.run("stores", "delete", "s1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "DELETE", "/api/v1/credential-stores/s1")
		if out != "Deleted credential store s1.\n" {
			t.Fatalf("output: %q", out)
		}
		if out, _, _ := r.run("stores", "delete", "s1", "-o", "json"); out != "" {
			t.Fatalf("-o json should print nothing, got %q", out)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := r.run("stores", "show", "missing")
		if got := cli.FormatError(err); got != "error: credential store not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}

func TestStoresTypes(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	api.answer("GET /api/v1/credential-store-types", 200, map[string]any{"items": []any{
		map[string]any{"name": "hashicorp-vault", "writable": true, "config_keys": []any{
			map[string]any{"name": "address", "required": true},
			map[string]any{"name": "ca_cert"},
			map[string]any{"name": "secret_id", "secret": true},
		}},
	}})
	out, _, err := r.run("stores", "types")
	if err != nil {
		t.Fatal(err)
	}
	wantRequest(t, api.last(), "GET", "/api/v1/credential-store-types")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "address*, ca_cert") || !strings.HasSuffix(lines[1], "secret_id") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestStoresTest(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)

	t.Run("OK", func(t *testing.T) {
		api.answer("POST /api/v1/credential-stores/s1/test", 200, map[string]any{"ok": true})
		out, _, err := r.run("stores", "test", "s1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "POST", "/api/v1/credential-stores/s1/test")
		if out != "Credential store s1: test passed.\n" {
			t.Fatalf("output: %q", out)
		}
	})

	failed := map[string]any{"ok": false, "code": "credential_store_auth_failed", "message": "Vault refused the AppRole login", "field": "secret_id"}

	t.Run("Failed", func(t *testing.T) {
		api.answer("POST /api/v1/credential-stores/s1/test", 200, failed)
		out, _, err := r.run("stores", "test", "s1")
		want := "error: Credential store s1 failed the test: secret_id: Vault refused the AppRole login (credential_store_auth_failed)"
		if got := cli.FormatError(err); got != want {
			t.Fatalf("FormatError = %q", got)
		}
		if out != "" {
			t.Fatalf("output: %q", out)
		}
	})

	t.Run("FailedJSON", func(t *testing.T) {
		api.answer("POST /api/v1/credential-stores/s1/test", 200, failed)
		out, _, err := r.run("stores", "test", "s1", "-o", "json")
		wantCode(t, err, "credential_store_auth_failed")
		if v := wantJSON(t, out); v["ok"] != false || v["field"] != "secret_id" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		api.fail("POST /api/v1/credential-stores/s1/test", 403, "permission_denied", "you may not edit credential stores")
		_, _, err := r.run("stores", "test", "s1")
		wantCode(t, err, "permission_denied")
	})
}
