package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// TestWebhookHandshakes_EndToEnd has the real server answer Microsoft
// Graph's subscription validation and Trello's HEAD check, as the vendors
// send them, before any event is delivered.
func TestWebhookHandshakes_EndToEnd(t *testing.T) {
	m, logs := triggerServer(t, t.TempDir(), "", credstoretest.NewClock(time.Now().UTC()))
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Subscriptions"}, &folder)
	hook := func(connector, auth, object, event string, fields map[string]any) string {
		t.Helper()
		var conn e2eConnection
		c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
			"folder_id": folder.ID, "connector": connector, "name": connector, "auth_type": auth, "fields": fields,
		}, &conn)
		var tr e2eTrigger
		c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
			"folder_id": folder.ID, "connection_id": conn.ID, "object": object, "event": event, "kind": "webhook",
			"target": map[string]any{"type": "queue", "name": connector},
		}, &tr)
		return tr.WebhookURL
	}
	graph := hook("microsoft-outlook", "application", "message", "notified",
		map[string]any{"tenant": "contoso", "user_id": "adele@contoso.example", "client_id": "c", "client_secret": "graph-client-SECRET"})
	trello := hook("trello", "api_key_token", "card", "created",
		map[string]any{"api_key": "k", "token": "trello-token-SECRET", "webhook_secret": "w", "callback_url": "https://junction.example/hook"})

	send := func(method, u, contentType string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	// Graph POSTs an empty text/plain body with the token in the query and
	// wants it back, decoded, as text/plain.
	token := "Validation: Testing client application reachability for subscription Request-Id: 9b4c6e39-2c57-4f64-8d7c-3d5e8c1a7b20"
	resp, body := send("POST", graph+"?validationToken="+url.QueryEscape(token), "text/plain; charset=utf-8")
	if resp.StatusCode != http.StatusOK || body != token || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("Graph validation: %d %q %v", resp.StatusCode, body, resp.Header)
	}

	resp, body = send("HEAD", trello, "")
	if resp.StatusCode != http.StatusOK || body != "" {
		t.Fatalf("Trello HEAD: %d %q", resp.StatusCode, body)
	}
	if resp, _ := send("HEAD", m.URL()+"/hooks/no-such-token", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD of an unknown hook: %d", resp.StatusCode)
	}
	if resp, _ := send("GET", trello+"?challenge=x", ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET of a hook without a GET handshake: %d", resp.StatusCode)
	}

	for _, leak := range []string{"graph-client-SECRET", "trello-token-SECRET", strings.TrimPrefix(trello, m.URL()+"/hooks/")} {
		if strings.Contains(logs.String(), leak) {
			t.Fatalf("the logs show %q", leak)
		}
	}
}
