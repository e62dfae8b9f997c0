package cli_test

import (
	"testing"

	"junction/cli"
)

func TestConnectors(t *testing.T) {
	e := newERPEnv(t)

	t.Run("ListTable", func(t *testing.T) {
		out := e.must("connectors", "list")
		// Built-in connectors and the one from the connectors directory.
		wantContains(t, out, "KEY", "github", "GitHub", "bearer, oauth2_authorization_code", "erp", "basic, api_key")
	})

	t.Run("ListJSON", func(t *testing.T) {
		out := e.must("connectors", "list", "-o", "json")
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) < 2 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("ShowTable", func(t *testing.T) {
		out := e.must("connectors", "show", "erp")
		wantContains(t, out, "The ERP API the client's tests call through the real server.", "base_url (text, required)",
			"signing_key (secret)", "username (text, required)", "api_key (secret, required)", "Object issues:", "list",
			"get_user, ping")
		out = e.must("connectors", "show", "github")
		wantContains(t, out, "token (secret, required)", "create_issue")
	})

	t.Run("ShowJSON", func(t *testing.T) {
		if v := wantJSON(t, e.must("connectors", "show", "github", "-o", "json")); v["base_url"] != "https://api.github.com" {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("Schema", func(t *testing.T) {
		if v := wantJSON(t, e.must("connectors", "schema")); v["type"] != "object" || v["$schema"] == nil {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("Docs", func(t *testing.T) {
		// An operator's own definition gets a page as well as the built-in ones.
		out := e.must("connectors", "docs", "erp")
		wantContains(t, out, "<!-- Generated from the connector definition \"erp\"", "## Authentication", "`get_user`")
		_, _, err := e.run("connectors", "docs", "nope")
		if got := cli.FormatError(err); got != "error: connector nope not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := e.run("connectors", "show", "nope")
		if got := cli.FormatError(err); got != "error: connector nope not found (not_found)" {
			t.Fatalf("FormatError = %q", got)
		}
	})
}
