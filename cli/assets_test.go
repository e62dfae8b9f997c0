package cli_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/cli"
	"junction/credstore/vault/vaulttest"
)

// resolved is an asset's value as the API's resolve answers it.
type resolved struct {
	Type     string `json:"type"`
	Value    any    `json:"value"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func (e *env) resolve(id string) resolved {
	e.t.Helper()
	var v resolved
	e.api(http.StatusOK, "POST", "/api/v1/assets/"+id+"/resolve", map[string]any{"refresh": true}, &v)
	return v
}

// vaultStore makes a HashiCorp Vault credential store over a Vault
// reproduced over TLS, holding kv/apps/erp with the value key.
func (e *env) vaultStore(key string) (storeID string, vs *vaulttest.Server) {
	e.t.Helper()
	vs = vaulttest.New(e.t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", "secret-id-1")
	vs.Put("secret/apps/erp", map[string]string{"value": key})
	ca := writeFile(e.t, "ca.pem", vs.CACertPEM())
	storeID = e.create("stores", "create", "vault-prod", "--type", "hashicorp-vault",
		"--config", "address="+vs.URL(), "--config", "auth_method=approle", "--config", "role_id=role-1",
		"--config", "data_path=apps", "--config-file", "ca_cert="+ca, "--secret", "secret_id=secret-id-1")
	return storeID, vs
}

func TestAssets(t *testing.T) {
	e := newEnv(t)
	folder := e.folder("Finance")
	const password = "Pa55-w0rd-never-shown"
	const vaultKey = "vault-held-key-never-shown"
	store, _ := e.vaultStore(vaultKey)

	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  resolved
	}{
		"Text": {
			args: []string{"--type", "text", "--value", "eu-west-1", "--description", "AWS region"},
			want: resolved{Type: "text", Value: "eu-west-1"},
		},
		"Integer": {
			args: []string{"--type", "integer", "--value", "42"},
			want: resolved{Type: "integer", Value: float64(42)},
		},
		"SecretFromFile": {
			args: []string{"--type", "secret", "--value-file", writeFile(t, "key", password+"\r\n")},
			want: resolved{Type: "secret", Value: password},
		},
		"SecretFromStdin": {
			stdin: password,
			args:  []string{"--type", "secret", "--value-file", "-"},
			want:  resolved{Type: "secret", Value: password},
		},
		"CredentialPasswordFile": {
			args: []string{"--type", "credential", "--username", "svc-erp", "--password-file", writeFile(t, "pw", password+"\n")},
			want: resolved{Type: "credential", Username: "svc-erp", Password: password},
		},
		"CredentialPasswordStdin": {
			stdin: password + "\n",
			args:  []string{"--type", "credential", "--username", "svc-erp", "--password", "-"},
			want:  resolved{Type: "credential", Username: "svc-erp", Password: password},
		},
		"External": {
			args: []string{"--type", "secret", "--store", store, "--external-name", "erp"},
			want: resolved{Type: "secret", Value: vaultKey},
		},
	} {
		t.Run("Create"+name, func(t *testing.T) {
			out, errOut, err := e.runWithStdin(tc.stdin, append([]string{"assets", "create", "asset-" + strings.ToLower(name), "--folder", folder}, tc.args...)...)
			if err != nil {
				t.Fatal(cli.FormatError(err))
			}
			wantAbsent(t, password, out, errOut)
			wantAbsent(t, vaultKey, out, errOut)
			if !strings.Contains(out, "Value:") {
				t.Fatalf("output:\n%s", out)
			}
			var created struct {
				ID          string `json:"id"`
				FolderID    string `json:"folder_id"`
				Description string `json:"description"`
			}
			list := e.must("assets", "list", "--folder", folder, "--name", "asset-"+strings.ToLower(name), "-o", "json")
			var page struct {
				Items []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal([]byte(list), &page); err != nil || len(page.Items) != 1 {
				t.Fatalf("list: %v, %d items", err, len(page.Items))
			}
			if err := json.Unmarshal(page.Items[0], &created); err != nil || created.FolderID != folder {
				t.Fatalf("created %+v (%v)", created, err)
			}
			// Compared, never printed: the values may be secrets.
			if got := e.resolve(created.ID); got != tc.want {
				t.Fatalf("the asset resolves to another %s value than given", got.Type)
			}
		})
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		before := e.must("assets", "list", "--all", "-o", "json")
		for name, args := range map[string][]string{
			"NoFolder":            {"assets", "create", "x", "--type", "text"},
			"NoType":              {"assets", "create", "x", "--folder", folder},
			"ValueTwice":          {"assets", "create", "x", "--folder", folder, "--type", "secret", "--value", "a", "--value-file", "-"},
			"PasswordTwice":       {"assets", "create", "x", "--folder", folder, "--type", "credential", "--password", "-", "--password-file", "-"},
			"StdinTwice":          {"assets", "create", "x", "--folder", folder, "--type", "credential", "--value-file", "-", "--password", "-"},
			"NothingToUpdate":     {"assets", "update", missingID},
			"UnreadablePassword":  {"assets", "update", missingID, "--password-file", t.TempDir()},
			"UnreadableValueFile": {"assets", "update", missingID, "--value-file", "/nonexistent/value"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := e.runWithStdin("v", args...)
				wantCode(t, err, junction.EINVALID)
			})
		}
		if after := e.must("assets", "list", "--all", "-o", "json"); after != before {
			t.Fatal("an asset changed despite invalid flags")
		}
	})

	t.Run("ListTable", func(t *testing.T) {
		out := e.must("assets", "list", "--folder", folder)
		wantContains(t, out, "eu-west-1", "42", "(sealed)", "(in store: erp)")
		wantAbsent(t, password, out)
		out = e.must("assets", "list", "--folder", folder, "--subfolders", "--type", "secret", "--store", store, "--name", "asset-external")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "asset-external") {
			t.Fatalf("filtered list:\n%s", out)
		}
	})

	t.Run("ListJSONTypedValues", func(t *testing.T) {
		out := e.must("assets", "list", "--folder", folder, "--type", "integer", "-o", "json")
		wantContains(t, out, `"value": 42`)
	})

	var login string
	t.Run("Show", func(t *testing.T) {
		page := e.must("assets", "list", "--folder", folder, "--name", "asset-credentialpasswordfile", "-o", "json")
		var l struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(page), &l); err != nil || len(l.Items) != 1 {
			t.Fatalf("list: %v", err)
		}
		login = l.Items[0].ID
		out := e.must("assets", "show", login, "-o", "json")
		wantAbsent(t, password, out)
		if v := wantJSON(t, out); v["name"] != "asset-credentialpasswordfile" || v["has_value"] != true {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("Update", func(t *testing.T) {
		const next = "N3xt-pa55-never-shown"
		out, errOut, err := e.runWithStdin(next, "assets", "update", login, "--name", "erp", "--password", "-")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		wantAbsent(t, next, out, errOut)
		if got := e.resolve(login); got.Password != next || got.Username != "svc-erp" {
			t.Fatal("the update did not replace the password alone")
		}
		if e.get("/api/v1/assets/" + login)["name"] != "erp" {
			t.Fatal("the update did not rename the asset")
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if out := e.must("assets", "delete", login); out != "Deleted asset "+login+".\n" {
			t.Fatalf("output: %q", out)
		}
		e.api(http.StatusNotFound, "GET", "/api/v1/assets/"+login, nil, nil)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := e.run("assets", "show", missingID)
		if got := cli.FormatError(err); got != "error: asset not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	if logs := e.srv.Logs(); strings.Contains(logs, password) || strings.Contains(logs, vaultKey) {
		t.Fatal("a secret reached the server's logs")
	}
}

func TestAssetsResolve(t *testing.T) {
	e := newEnv(t)
	folder := e.folder("Finance")
	const vaultKey = "k3y-from-the-vault"
	store, vs := e.vaultStore(vaultKey)
	cred := e.create("assets", "create", "erp-login", "--folder", folder, "--type", "credential",
		"--username", "svc-erp", "--password-file", writeFile(t, "pw", "Pa55\n"))
	key := e.create("assets", "create", "erp-key", "--folder", folder, "--type", "secret", "--store", store, "--external-name", "erp")
	flag := e.create("assets", "create", "dry-run", "--folder", folder, "--type", "boolean", "--value", "TRUE")

	t.Run("CredentialTable", func(t *testing.T) {
		out, errOut, err := e.run("assets", "resolve", cred)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Type:      credential\nUsername:  svc-erp\nPassword:  Pa55\n"; out != want {
			t.Fatal("resolve printed another table than the credential's")
		}
		// Resolve is for scripts: nothing but the value, no warnings.
		if errOut != "" {
			t.Fatalf("stderr = %q", errOut)
		}
	})

	t.Run("SecretJSONRefresh", func(t *testing.T) {
		e.must("assets", "resolve", key) // cached from here on
		before := vs.Requests()
		out := e.must("assets", "resolve", key, "-o", "json")
		cached := vs.Requests()
		out2 := e.must("assets", "resolve", key, "--refresh", "-o", "json")
		if out != out2 || cached != before || vs.Requests() == cached {
			t.Fatalf("vault requests: %d before, %d after a cached resolve, %d after a refresh", before, cached, vs.Requests())
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil || v["type"] != "secret" || v["value"] != vaultKey || len(v) != 2 {
			t.Fatal("resolve -o json printed another value than the vault's")
		}
	})

	t.Run("BooleanTable", func(t *testing.T) {
		if out := e.must("assets", "resolve", flag); out != "Type:   boolean\nValue:  true\n" {
			t.Fatalf("output %q", out)
		}
	})

	t.Run("ErrStoreUnavailable", func(t *testing.T) {
		vs.Stop()
		defer func() {
			if err := vs.Start(); err != nil {
				t.Fatal(err)
			}
		}()
		_, _, err := e.run("assets", "resolve", key, "--refresh")
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, `error: `) || !strings.HasSuffix(got, "(credential_store_unavailable)") ||
			!strings.Contains(got, "vault-prod") || strings.Contains(got, vaultKey) {
			t.Fatalf("FormatError = %q", got)
		}
	})
}
