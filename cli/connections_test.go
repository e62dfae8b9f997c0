package cli_test

import (
	"reflect"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

func TestConnections(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	conn := map[string]any{
		"id": "c1", "folder_id": "f1", "connector": "servicenow", "name": "erp", "auth_type": "basic",
		"fields": map[string]any{
			"instance": map[string]any{"value": "acme"},
			"username": map[string]any{"asset_id": "a1", "part": "username"},
			"password": map[string]any{"asset_id": "a1", "part": "password"},
			"api_key":  map[string]any{"set": true},
			"timeout":  map[string]any{"value": 30},
		},
		"is_default": true, "status": "disconnected", "status_reason": "three authentication failures in a row",
		"poll_interval_minutes": 5, "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z",
	}
	api.answer("POST /api/v1/connections", 201, conn)
	api.answer("GET /api/v1/connections/c1", 200, conn)
	api.answer("PATCH /api/v1/connections/c1", 200, conn)
	api.answer("DELETE /api/v1/connections/c1", 204, nil)
	api.answer("GET /api/v1/connections", 200, map[string]any{"items": []any{conn}})

	const apiKey = "sk_live-never-shown-0123"

	t.Run("Create", func(t *testing.T) {
		out, errOut, err := r.run("connections", "create", "erp", "--folder", "f1", "--connector", "servicenow", "--auth", "basic",
			"--field", "instance=acme", "--asset-field", "username=a1:username", "--asset-field", "password=a1:password",
			"--asset-field", "client_secret=a2", "--secret-field", "api_key=@"+writeFile(t, "key", apiKey+"\n"),
			"--default", "--poll-interval", "5", "--no-test")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "POST", "/api/v1/connections?test=false")
		want := map[string]any{
			"folder_id": "f1", "connector": "servicenow", "name": "erp", "auth_type": "basic", "is_default": true,
			"poll_interval_minutes": float64(5),
			"fields": map[string]any{
				"instance":      "acme",
				"username":      map[string]any{"asset_id": "a1", "part": "username"},
				"password":      map[string]any{"asset_id": "a1", "part": "password"},
				"client_secret": map[string]any{"asset_id": "a2"},
				"api_key":       apiKey,
			},
		}
		if !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v\nwant   %v", got.Body, want)
		}
		wantAbsent(t, apiKey, out, errOut)
		for _, s := range []string{
			"Field api_key:", "(secret, set)", "asset a1 (username)", "Field instance:", "acme", "Field timeout:", "30",
			"disconnected (three authentication failures in a row)", "5 min",
		} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("CreateTestedSecretFromStdin", func(t *testing.T) {
		out, errOut, err := r.runWithStdin(apiKey, "connections", "create", "crm", "--folder", "f1", "--connector", "hubspot",
			"--secret-field", "token=-", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "POST", "/api/v1/connections")
		if fields, _ := got.Body["fields"].(map[string]any); fields["token"] != apiKey {
			t.Fatalf("fields = %v", got.Body["fields"])
		}
		for _, k := range []string{"auth_type", "poll_interval_minutes", "proxy_url"} {
			if _, ok := got.Body[k]; ok {
				t.Fatalf("%s sent though not given: %v", k, got.Body)
			}
		}
		wantAbsent(t, apiKey, out, errOut)
		if v := wantJSON(t, out); v["id"] != "c1" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("ErrCreateTestFailed", func(t *testing.T) {
		api.fail("POST /api/v1/connections", 422, "connection_auth_failed", "the API rejected the credentials (HTTP 401)")
		defer api.answer("POST /api/v1/connections", 201, conn)
		_, _, err := r.run("connections", "create", "erp", "--folder", "f1", "--connector", "servicenow")
		if got := cli.FormatError(err); got != "error: the API rejected the credentials (HTTP 401) (connection_auth_failed)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := api.count()
		for name, args := range map[string][]string{
			"NoFolder":        {"connections", "create", "x", "--connector", "k"},
			"NoConnector":     {"connections", "create", "x", "--folder", "f1"},
			"FieldTwice":      {"connections", "create", "x", "--folder", "f1", "--connector", "k", "--field", "a=1", "--secret-field", "a=2"},
			"BadPart":         {"connections", "create", "x", "--folder", "f1", "--connector", "k", "--asset-field", "a=a1:secret"},
			"NoAssetID":       {"connections", "create", "x", "--folder", "f1", "--connector", "k", "--asset-field", "a="},
			"NothingToUpdate": {"connections", "update", "c1"},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := r.run(args...)
				wantCode(t, err, junction.EINVALID)
			})
		}
		if api.count() != before {
			t.Fatal("a request was sent despite invalid flags")
		}
	})

	t.Run("List", func(t *testing.T) {
		out, _, err := r.run("connections", "list", "--folder", "f1", "--connector", "servicenow", "--status", "disconnected")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/connections?connector=servicenow&folder_id=f1&status=disconnected")
		if !strings.Contains(out, "CONNECTOR") || !strings.Contains(out, "servicenow") || !strings.Contains(out, "disconnected") {
			t.Fatalf("output:\n%s", out)
		}
		out, _, err = r.run("connections", "list", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) != 1 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("Show", func(t *testing.T) {
		if _, _, err := r.run("connections", "show", "c1"); err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/connections/c1")
	})

	t.Run("Update", func(t *testing.T) {
		out, errOut, err := r.runWithStdin(apiKey+"\n", "connections", "update", "c1", "--name", "erp2", "--default=false",
			"--secret-field", "api_key=-", "--proxy-url", "")
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "PATCH", "/api/v1/connections/c1")
		want := map[string]any{"name": "erp2", "is_default": false, "proxy_url": "", "fields": map[string]any{"api_key": apiKey}}
		if !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v\nwant   %v", got.Body, want)
		}
		wantAbsent(t, apiKey, out, errOut)
	})

	t.Run("Delete", func(t *testing.T) {
		out, _, err := r.run("connections", "delete", "c1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "DELETE", "/api/v1/connections/c1")
		if out != "Deleted connection c1.\n" {
			t.Fatalf("output: %q", out)
		}
	})
}

func TestConnectionsTestAndAuthorize(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)

	t.Run("TestOK", func(t *testing.T) {
		api.answer("POST /api/v1/connections/c1/test", 200, map[string]any{"ok": true})
		out, _, err := r.run("connections", "test", "c1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "POST", "/api/v1/connections/c1/test")
		if out != "Connection c1: test passed.\n" {
			t.Fatalf("output: %q", out)
		}
	})

	t.Run("TestNoContent", func(t *testing.T) {
		api.answer("POST /api/v1/connections/c2/test", 204, nil)
		if _, _, err := r.run("connections", "test", "c2"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("TestFailedAsProblem", func(t *testing.T) {
		api.fail("POST /api/v1/connections/c3/test", 502, "provider_error", "the API answered HTTP 500")
		_, _, err := r.run("connections", "test", "c3")
		if got := cli.FormatError(err); got != "error: the API answered HTTP 500 (provider_error)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("TestFailedAsDiagnosis", func(t *testing.T) {
		api.answer("POST /api/v1/connections/c4/test", 200, map[string]any{"ok": false, "code": "connection_auth_failed", "message": "HTTP 401"})
		_, _, err := r.run("connections", "test", "c4")
		if got := cli.FormatError(err); got != "error: Connection c4 failed the test: HTTP 401 (connection_auth_failed)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	const authorizeURL = "https://github.com/login/oauth/authorize?client_id=x&state=abc"

	t.Run("Authorize", func(t *testing.T) {
		api.answer("POST /api/v1/connections/c1/authorize", 200, map[string]any{"authorize_url": authorizeURL})
		out, errOut, err := r.run("connections", "authorize", "c1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "POST", "/api/v1/connections/c1/authorize")
		if out != authorizeURL+"\n" {
			t.Fatalf("stdout should hold the URL alone, got %q", out)
		}
		if !strings.Contains(errOut, "browser") {
			t.Fatalf("stderr = %q", errOut)
		}
	})

	t.Run("AuthorizeJSON", func(t *testing.T) {
		out, errOut, err := r.run("connections", "authorize", "c1", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if v := wantJSON(t, out); v["authorize_url"] != authorizeURL || errOut != "" {
			t.Fatalf("json = %v, stderr = %q", v, errOut)
		}
	})
}
