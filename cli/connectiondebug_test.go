package cli_test

import (
	"testing"

	"junction"
)

// connections debug switches debug logging on and off; executions show
// prints what an execution sent and got meanwhile, the key masked.
func TestConnectionDebug(t *testing.T) {
	e := newERPEnv(t)
	const apiKey = "sk_debug-never-shown-0789"
	upstream := newERPAPI(t, "svc-erp", "unused", apiKey)
	folder := e.folder("Finance")
	conn := e.create("connections", "create", "erp", "--folder", folder, "--connector", "erp", "--auth", "api_key",
		"--field", "base_url="+upstream.URL, "--secret-field", "api_key="+apiKey)

	for _, bad := range [][]string{{}, {"--for", "25h"}, {"--for", "1h", "--off"}} {
		_, _, err := e.run(append([]string{"connections", "debug", conn}, bad...)...)
		wantCode(t, err, junction.EINVALID)
	}
	on := e.must("connections", "debug", conn, "--for", "1h")
	wantContains(t, on, "Debug until")

	v := wantJSON(t, e.must("execute", conn, "get_user", "--input", `{"username": "octocat"}`, "-o", "json"))
	id, _ := v["execution_id"].(string)
	shown := e.must("executions", "show", id)
	wantContains(t, shown, "# Request 1", "GET "+upstream.URL+"/users/octocat", "X-Api-Key: [redacted]",
		"# Response 1", "HTTP 200", `"login":"octocat"`)

	off := e.must("connections", "debug", conn, "--off")
	if c := e.get("/api/v1/connections/" + conn); c["debug_until"] != nil {
		t.Fatalf("debug_until after --off: %v", c["debug_until"])
	}
	wantAbsent(t, apiKey, on, shown, off)
}
