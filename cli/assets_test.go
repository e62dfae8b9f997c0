package cli_test

import (
	"reflect"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

func TestAssets(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	credential := map[string]any{
		"id": "a1", "folder_id": "f1", "name": "erp-login", "type": "credential", "has_value": true,
		"store_id": "s0", "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z",
	}
	api.answer("POST /api/v1/assets", 201, credential)
	api.answer("GET /api/v1/assets/a1", 200, credential)
	api.answer("PATCH /api/v1/assets/a1", 200, credential)
	api.answer("DELETE /api/v1/assets/a1", 204, nil)
	api.answer("GET /api/v1/assets", 200, map[string]any{
		"items": []any{
			map[string]any{"id": "a0", "folder_id": "f1", "name": "region", "type": "text", "value": "eu-west-1", "has_value": true},
			credential,
			map[string]any{"id": "a2", "folder_id": "f1", "name": "erp-key", "type": "secret", "store_id": "s1", "external_name": "kv/erp#key"},
		},
		"next_cursor": "a2",
	})
	api.fail("GET /api/v1/assets/missing", 404, "not_found", "asset not found")

	const password = "Pa55-w0rd-never-shown"

	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  map[string]any
	}{
		"Text": {
			args: []string{"--type", "text", "--value", "eu-west-1", "--description", "AWS region"},
			want: map[string]any{"type": "text", "value": "eu-west-1", "description": "AWS region"},
		},
		"SecretFromFile": {
			args: []string{"--type", "secret", "--value-file", writeFile(t, "key", password+"\r\n")},
			want: map[string]any{"type": "secret", "value": password},
		},
		"SecretFromStdin": {
			stdin: password,
			args:  []string{"--type", "secret", "--value-file", "-"},
			want:  map[string]any{"type": "secret", "value": password},
		},
		"CredentialPasswordFile": {
			args: []string{"--type", "credential", "--username", "svc-erp", "--password-file", writeFile(t, "pw", password+"\n")},
			want: map[string]any{"type": "credential", "username": "svc-erp", "password": password},
		},
		"CredentialPasswordStdin": {
			stdin: password + "\n",
			args:  []string{"--type", "credential", "--username", "svc-erp", "--password", "-"},
			want:  map[string]any{"type": "credential", "username": "svc-erp", "password": password},
		},
		"External": {
			args: []string{"--type", "secret", "--store", "s1", "--external-name", "kv/erp#key"},
			want: map[string]any{"type": "secret", "store_id": "s1", "external_name": "kv/erp#key"},
		},
	} {
		t.Run("Create"+name, func(t *testing.T) {
			out, errOut, err := r.runWithStdin(tc.stdin, append([]string{"assets", "create", "erp-login", "--folder", "f1"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			got := api.last()
			wantRequest(t, got, "POST", "/api/v1/assets")
			tc.want["folder_id"], tc.want["name"] = "f1", "erp-login"
			if !reflect.DeepEqual(got.Body, tc.want) {
				t.Fatalf("body = %v\nwant   %v", got.Body, tc.want)
			}
			wantAbsent(t, password, out, errOut)
			if !strings.Contains(out, "Value:") || !strings.Contains(out, "(sealed)") {
				t.Fatalf("output:\n%s", out)
			}
		})
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		before := api.count()
		for name, args := range map[string][]string{
			"NoFolder":            {"assets", "create", "x", "--type", "text"},
			"NoType":              {"assets", "create", "x", "--folder", "f1"},
			"ValueTwice":          {"assets", "create", "x", "--folder", "f1", "--type", "secret", "--value", "a", "--value-file", "-"},
			"PasswordTwice":       {"assets", "create", "x", "--folder", "f1", "--type", "credential", "--password", "-", "--password-file", "-"},
			"StdinTwice":          {"assets", "create", "x", "--folder", "f1", "--type", "credential", "--value-file", "-", "--password", "-"},
			"NothingToUpdate":     {"assets", "update", "a1"},
			"UnreadablePassword":  {"assets", "update", "a1", "--password-file", t.TempDir()},
			"UnreadableValueFile": {"assets", "update", "a1", "--value-file", "/nonexistent/value"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := r.runWithStdin("v", args...)
				wantCode(t, err, junction.EINVALID)
			})
		}
		if api.count() != before {
			t.Fatal("a request was sent despite invalid flags")
		}
	})

	t.Run("ListTable", func(t *testing.T) {
		out, errOut, err := r.run("assets", "list", "--folder", "f1", "--subfolders", "--type", "secret", "--store", "s1", "--name", "erp")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/assets?folder_id=f1&name=erp&store_id=s1&subfolders=true&type=secret")
		for _, s := range []string{"eu-west-1", "(sealed)", "(in store: kv/erp#key)"} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
		if !strings.Contains(errOut, "--all") {
			t.Fatalf("stderr = %q", errOut)
		}
	})

	t.Run("ListJSON", func(t *testing.T) {
		out, _, err := r.run("assets", "list", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		v := wantJSON(t, out)
		if items, _ := v["items"].([]any); len(items) != 3 || v["next_cursor"] != "a2" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("Show", func(t *testing.T) {
		out, _, err := r.run("assets", "show", "a1", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/assets/a1")
		if v := wantJSON(t, out); v["name"] != "erp-login" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("Update", func(t *testing.T) {
		out, errOut, err := r.runWithStdin(password, "assets", "update", "a1", "--name", "erp", "--password", "-")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "PATCH", "/api/v1/assets/a1")
		if want := map[string]any{"name": "erp", "password": password}; !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v", got.Body)
		}
		wantAbsent(t, password, out, errOut)
	})

	t.Run("Delete", func(t *testing.T) {
		out, _, err := r.run("assets", "delete", "a1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "DELETE", "/api/v1/assets/a1")
		if out != "Deleted asset a1.\n" {
			t.Fatalf("output: %q", out)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := r.run("assets", "show", "missing")
		if got := cli.FormatError(err); got != "error: asset not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}

func TestAssetsResolve(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)

	t.Run("CredentialTable", func(t *testing.T) {
		api.answer("POST /api/v1/assets/a1/resolve", 200, map[string]any{"type": "credential", "username": "svc-erp", "password": "Pa55"})
		out, errOut, err := r.run("assets", "resolve", "a1")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "POST", "/api/v1/assets/a1/resolve")
		if got.Body["refresh"] != false {
			t.Fatalf("body = %v", got.Body)
		}
		if want := "Type:      credential\nUsername:  svc-erp\nPassword:  Pa55\n"; out != want {
			t.Fatalf("output = %q, want %q", out, want)
		}
		// Resolve is for scripts: nothing but the value, no warnings.
		if errOut != "" {
			t.Fatalf("stderr = %q", errOut)
		}
	})

	t.Run("SecretJSONRefresh", func(t *testing.T) {
		api.answer("POST /api/v1/assets/a2/resolve", 200, map[string]any{"type": "secret", "value": "k3y"})
		out, _, err := r.run("assets", "resolve", "a2", "--refresh", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if api.last().Body["refresh"] != true {
			t.Fatalf("body = %v", api.last().Body)
		}
		if v := wantJSON(t, out); !reflect.DeepEqual(v, map[string]any{"type": "secret", "value": "k3y"}) {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("ErrStoreUnavailable", func(t *testing.T) {
		api.fail("POST /api/v1/assets/a3/resolve", 503, "credential_store_unavailable", `credential store "vault-prod" is unavailable: connection refused`)
		_, _, err := r.run("assets", "resolve", "a3")
		if got := cli.FormatError(err); got != `error: credential store "vault-prod" is unavailable: connection refused (credential_store_unavailable)` {
			t.Fatalf("FormatError = %q", got)
		}
	})
}
