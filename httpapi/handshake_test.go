package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"junction"
)

// catalogHook creates a connection to a catalog connector and a webhook
// trigger on one of its events, and returns the intake path.
func (e *env) catalogHook(folderID, connector, authType, object, event string, fields map[string]any) string {
	e.t.Helper()
	var conn junction.Connection
	e.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", e.admin, map[string]any{
		"folder_id": folderID, "connector": connector, "name": connector + "-hook", "auth_type": authType, "fields": fields,
	}, &conn)
	var tr triggerView
	e.must(http.StatusCreated, "POST", "/api/v1/triggers", e.admin, map[string]any{
		"folder_id": folderID, "connection_id": conn.ID, "object": object, "event": event, "kind": "webhook",
		"target": map[string]any{"type": "queue", "name": connector},
	}, &tr)
	path, ok := strings.CutPrefix(tr.WebhookURL, publicURL)
	if !ok {
		e.t.Fatalf("webhook URL %q", tr.WebhookURL)
	}
	return path
}

// TestWebhookHandshakes answers Trello's HEAD and Microsoft Graph's
// validationToken through the real routes, and nothing undeclared.
func TestWebhookHandshakes(t *testing.T) {
	store, _ := openSQLite(t)
	e := newEnv(t, store)
	f := e.createFolder(e.admin, "Handshakes", "")
	trello := e.catalogHook(f.ID, "trello", "api_key_token", "card", "created",
		map[string]any{"api_key": "k", "token": "trello-token-SECRET", "webhook_secret": "s", "callback_url": "https://j.example/hooks/x"})
	outlook := e.catalogHook(f.ID, "microsoft-outlook", "application", "message", "notified",
		map[string]any{"tenant": "contoso", "user_id": "me@contoso.example", "client_id": "c", "client_secret": "graph-SECRET"})
	generic, _ := e.hookTrigger(f.ID, "generic", "")
	genericPath, _ := strings.CutPrefix(generic.WebhookURL, publicURL)

	t.Run("TrelloHEAD", func(t *testing.T) {
		r := e.call("HEAD", trello, "", nil)
		if r.status != http.StatusOK || len(r.body) != 0 {
			t.Fatalf("HEAD = %d %q", r.status, r.body)
		}
		if r := e.call("HEAD", "/hooks/not-a-token", "", nil); r.status != http.StatusNotFound {
			t.Fatalf("HEAD of an unknown URL = %d", r.status)
		}
	})
	t.Run("GraphValidation", func(t *testing.T) {
		tok := "Validation: Testing client application reachability for subscription Request-Id: 1b6c1e3e-2a52"
		r := e.call("POST", outlook+"?validationToken="+url.QueryEscape(tok), "", nil, "Content-Type", "text/plain")
		if r.status != http.StatusOK || string(r.body) != tok ||
			r.header.Get("Content-Type") != "text/plain; charset=utf-8" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("validation = %d %q %v", r.status, r.body, r.header)
		}
		bad := e.call("POST", outlook+"?validationToken="+url.QueryEscape("<x>\n"), "", nil)
		if bad.status != http.StatusUnprocessableEntity || strings.Contains(string(bad.body), "<x>") {
			t.Fatalf("an unprintable token = %d %s", bad.status, bad.body)
		}
	})
	t.Run("Undeclared", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{"GET", trello + "?challenge=echo-me"},
			{"GET", outlook + "?validationToken=echo-me"},
			{"HEAD", genericPath},
			{"GET", genericPath + "?challenge=echo-me"},
		} {
			r := e.call(c.method, c.path, "", nil)
			if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" || strings.Contains(string(r.body), "echo-me") {
				t.Errorf("%s %s = %d %q, Allow %q", c.method, c.path, r.status, r.body, r.header.Get("Allow"))
			}
		}
	})
	for _, leak := range []string{"trello-token-SECRET", "graph-SECRET"} {
		if strings.Contains(e.logs.String(), leak) {
			t.Fatalf("the logs show %s", leak)
		}
	}
}
