package cli_test

import (
	"strings"
	"testing"

	"junction/cli"
)

func TestConnectors(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	api.answer("GET /api/v1/connectors", 200, map[string]any{"items": []any{
		map[string]any{"key": "github", "display_name": "GitHub", "version": "1.2.0", "categories": []string{"developer"}, "auth_types": []string{"bearer", "oauth2_authorization_code"}},
		map[string]any{"key": "servicenow", "display_name": "ServiceNow", "version": "1.0.0", "auth_types": []string{"basic"}},
	}})
	api.answer("GET /api/v1/connectors/github", 200, map[string]any{
		"key": "github", "display_name": "GitHub", "version": "1.2.0", "description": "GitHub's REST API.\nIssues and repositories.",
		"base_url": "https://api.github.com",
		"fields":   []any{map[string]any{"name": "org", "type": "text", "required": true}},
		"auth": []any{
			map[string]any{"type": "bearer", "fields": []any{map[string]any{"name": "token", "type": "secret", "required": true}}},
			map[string]any{"type": "oauth2_authorization_code", "id": "oauth"},
		},
		"objects": []any{map[string]any{"name": "issues", "operations": map[string]any{
			"get": map[string]any{"method": "GET"}, "list": map[string]any{"method": "GET"}, "create": map[string]any{"method": "POST"},
		}}},
		"activities": []any{map[string]any{"name": "get_user"}, map[string]any{"name": "star_repo"}},
	})
	api.answer("GET /api/v1/connectors/schema", 200, map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"})
	api.fail("GET /api/v1/connectors/nope", 404, "connector_not_found", `no connector "nope"`)

	t.Run("ListTable", func(t *testing.T) {
		out, _, err := r.run("connectors", "list")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/connectors")
		if !strings.Contains(out, "KEY") || !strings.Contains(out, "bearer, oauth2_authorization_code") || !strings.Contains(out, "ServiceNow") {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("ListJSON", func(t *testing.T) {
		out, _, err := r.run("connectors", "list", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) != 2 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("ShowTable", func(t *testing.T) {
		out, _, err := r.run("connectors", "show", "github")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/connectors/github")
		for _, s := range []string{
			"GitHub's REST API. Issues and repositories.", "org (text, required)", "token (secret, required)",
			"Auth oauth:", "Object issues:", "list, get, create", "get_user, star_repo",
		} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("ShowJSON", func(t *testing.T) {
		out, _, err := r.run("connectors", "show", "github", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if v := wantJSON(t, out); v["base_url"] != "https://api.github.com" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("Schema", func(t *testing.T) {
		out, _, err := r.run("connectors", "schema")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/connectors/schema")
		if v := wantJSON(t, out); v["type"] != "object" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := r.run("connectors", "show", "nope")
		if got := cli.FormatError(err); got != `error: no connector "nope" (connector_not_found)` {
			t.Fatalf("FormatError = %q", got)
		}
	})
}
