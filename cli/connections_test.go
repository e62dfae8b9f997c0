package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"junction"
	"junction/cli"
)

func TestConnections(t *testing.T) {
	e := newERPEnv(t)
	const password, apiKey, signingKey = "erp-Pa55-never-shown", "sk_live-never-shown-0123", "signing-key-never-shown"
	upstream := newERPAPI(t, "svc-erp", password, apiKey)
	folder := e.folder("Finance")
	login := e.create("assets", "create", "erp-login", "--folder", folder, "--type", "credential",
		"--username", "svc-erp", "--password-file", writeFile(t, "pw", password+"\n"))
	var shown []string // every output, checked for secrets at the end
	count := func() int {
		var l struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal([]byte(e.must("connections", "list", "--all", "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}

	var erp string
	t.Run("Create", func(t *testing.T) {
		out, errOut, err := e.run("connections", "create", "erp", "--folder", folder, "--connector", "erp", "--auth", "basic",
			"--field", "base_url="+upstream.URL, "--field", "username=svc-erp",
			"--asset-field", "password="+login+":password", "--secret-field", "signing_key=@"+writeFile(t, "key", signingKey+"\n"),
			"--default", "--poll-interval", "5")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		shown = append(shown, out, errOut)
		wantContains(t, out, "Field signing_key:", "(secret, set)", "asset "+login+" (password)",
			"Field base_url:", upstream.URL, "connected", "5 min")
		fields := strings.Fields(out)
		erp = fields[1] // "ID:  <id>" heads the view
		c := e.get("/api/v1/connections/" + erp)
		if c["name"] != "erp" || c["auth_type"] != "basic" || c["is_default"] != true || c["status"] != "connected" ||
			c["poll_interval_minutes"] != float64(5) {
			t.Fatalf("connection = %v", c)
		}
	})

	var crm string
	t.Run("CreateTestedSecretFromStdin", func(t *testing.T) {
		out, errOut, err := e.runWithStdin(apiKey, "connections", "create", "crm", "--folder", folder, "--connector", "erp",
			"--auth", "api_key", "--field", "base_url="+upstream.URL, "--secret-field", "api_key=-", "-o", "json")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		shown = append(shown, out, errOut)
		v := wantJSON(t, out)
		crm, _ = v["id"].(string)
		fields, _ := v["fields"].(map[string]any)
		key, _ := fields["api_key"].(map[string]any)
		if v["status"] != "connected" || key["set"] != true || v["proxy_url"] != nil {
			t.Fatalf("json = %v", v)
		}
	})

	t.Run("CreateWithAssetSecret", func(t *testing.T) {
		asset := e.create("assets", "create", "crm-key", "--folder", folder, "--type", "secret", "--value", apiKey)
		id := e.create("connections", "create", "crm-asset", "--folder", folder, "--connector", "erp", "--auth", "api_key",
			"--field", "base_url="+upstream.URL, "--asset-field", "api_key="+asset)
		fields, _ := e.get("/api/v1/connections/" + id)["fields"].(map[string]any)
		if ref, _ := fields["api_key"].(map[string]any); ref["asset_id"] != asset {
			t.Fatalf("fields = %v", fields)
		}
	})

	t.Run("ErrCreateTestFailed", func(t *testing.T) {
		before := count()
		_, _, err := e.runWithStdin("wrong-key", "connections", "create", "bad", "--folder", folder, "--connector", "erp",
			"--auth", "api_key", "--field", "base_url="+upstream.URL, "--secret-field", "api_key=-")
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: ") || !strings.HasSuffix(got, "(connection_auth_failed)") || strings.Contains(got, "wrong-key") {
			t.Fatalf("FormatError = %q", got)
		}
		if count() != before {
			t.Fatal("a connection that failed its test was created")
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		before := count()
		for name, args := range map[string][]string{
			"NoFolder":        {"connections", "create", "x", "--connector", "erp"},
			"NoConnector":     {"connections", "create", "x", "--folder", folder},
			"FieldTwice":      {"connections", "create", "x", "--folder", folder, "--connector", "erp", "--field", "a=1", "--secret-field", "a=2"},
			"BadPart":         {"connections", "create", "x", "--folder", folder, "--connector", "erp", "--asset-field", "a=a1:secret"},
			"NoAssetID":       {"connections", "create", "x", "--folder", folder, "--connector", "erp", "--asset-field", "a="},
			"NothingToUpdate": {"connections", "update", erp},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := e.run(args...)
				wantCode(t, err, junction.EINVALID)
			})
		}
		if count() != before {
			t.Fatal("a connection was created despite invalid flags")
		}
	})

	t.Run("List", func(t *testing.T) {
		out := e.must("connections", "list", "--folder", folder, "--connector", "erp", "--status", "connected")
		wantContains(t, out, "CONNECTOR", "erp", "crm", "connected")
		out = e.must("connections", "list", "--status", "disconnected", "-o", "json")
		if items, _ := wantJSON(t, out)["items"].([]any); len(items) != 0 {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("Show", func(t *testing.T) {
		out := e.must("connections", "show", erp)
		shown = append(shown, out)
		wantContains(t, out, erp, "erp", upstream.URL)
	})

	t.Run("Update", func(t *testing.T) {
		const next = "signing-key-2-never-shown"
		out, errOut, err := e.runWithStdin(next+"\n", "connections", "update", erp, "--name", "erp2", "--default=false",
			"--secret-field", "signing_key=-", "--proxy-url", "")
		if err != nil {
			t.Fatal(cli.FormatError(err))
		}
		shown = append(shown, out, errOut)
		wantAbsent(t, next, out, errOut)
		if c := e.get("/api/v1/connections/" + erp); c["name"] != "erp2" || c["is_default"] != false {
			t.Fatalf("connection = %v", c)
		}
	})

	t.Run("Test", func(t *testing.T) {
		if out := e.must("connections", "test", crm); out != "Connection "+crm+": test passed.\n" {
			t.Fatalf("output: %q", out)
		}
		upstream.rotate(password, "rotated-key")
		out, _, err := e.run("connections", "test", crm)
		got := cli.FormatError(err)
		if !strings.HasPrefix(got, "error: ") || !strings.HasSuffix(got, "(connection_auth_failed)") || out != "" {
			t.Fatalf("FormatError = %q, stdout %q", got, out)
		}
		upstream.rotate(password, apiKey)
	})

	t.Run("Delete", func(t *testing.T) {
		if out := e.must("connections", "delete", crm); out != "Deleted connection "+crm+".\n" {
			t.Fatalf("output: %q", out)
		}
		_, _, err := e.run("connections", "show", crm)
		wantCode(t, err, junction.ENOTFOUND)
	})

	for _, s := range []string{password, apiKey, signingKey} {
		wantAbsent(t, s, shown...)
		wantAbsent(t, s, e.srv.Logs())
	}
}

func TestConnectionsAuthorize(t *testing.T) {
	e := newEnv(t)
	folder := e.folder("Dev")
	const clientSecret = "oauth-client-secret-never-shown"
	gh := e.create("connections", "create", "gh", "--folder", folder, "--connector", "github", "--auth", "oauth2_authorization_code",
		"--field", "client_id=Iv1.abc", "--secret-field", "client_secret="+clientSecret, "--no-test")

	out, errOut, err := e.run("connections", "authorize", gh)
	if err != nil {
		t.Fatal(cli.FormatError(err))
	}
	url := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(url, "https://github.com/login/oauth/authorize?") || !strings.Contains(url, "client_id=Iv1.abc") || strings.Contains(url, "\n") {
		t.Fatalf("stdout should hold the URL alone, got %q", out)
	}
	if !strings.Contains(errOut, "browser") {
		t.Fatalf("stderr = %q", errOut)
	}
	wantAbsent(t, clientSecret, out, errOut)

	out, errOut, err = e.run("connections", "authorize", gh, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if v := wantJSON(t, out); !strings.HasPrefix(v["authorize_url"].(string), "https://github.com/login/oauth/authorize?") || errOut != "" {
		t.Fatalf("json = %v, stderr = %q", v, errOut)
	}
}
