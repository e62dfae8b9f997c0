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
// Graph's subscription validation, Trello's HEAD check and WooCommerce's
// ping, as the vendors send them, before any event is delivered.
func TestWebhookHandshakes_EndToEnd(t *testing.T) {
	m, logs := triggerServer(t, t.TempDir(), "", credstoretest.NewClock(time.Now().UTC()))
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Subscriptions"}, &folder)
	var last e2eTrigger
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
		last = tr
		return tr.WebhookURL
	}
	graph := hook("microsoft-outlook", "application", "message", "notified",
		map[string]any{"tenant": "contoso", "user_id": "adele@contoso.example", "client_id": "c", "client_secret": "graph-client-SECRET"})
	trello := hook("trello", "api_key_token", "card", "created",
		map[string]any{"api_key": "k", "token": "trello-token-SECRET", "webhook_secret": "w", "callback_url": "https://junction.example/hook"})

	woo := hook("woocommerce", "api_key", "order", "created",
		map[string]any{"store_host": "shop.example.com", "consumer_key": "ck_1", "consumer_secret": "cs_1", "webhook_secret": "wc-webhook-SECRET"})
	wooTrigger := last

	send := func(method, u, contentType string, body ...string) (*http.Response, string) {
		t.Helper()
		var rb io.Reader
		if len(body) > 0 {
			rb = strings.NewReader(body[0])
		}
		req, err := http.NewRequest(method, u, rb)
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

	// WooCommerce saves a webhook only if its unsigned ping is answered 200;
	// an unsigned order is refused. The ping shows in the history.
	if resp, body := send("POST", woo, "application/x-www-form-urlencoded", "webhook_id=42"); resp.StatusCode != http.StatusOK {
		t.Fatalf("WooCommerce ping: %d %q", resp.StatusCode, body)
	}
	if resp, _ := send("POST", woo, "application/json", `{"id":727,"status":"processing"}`); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned WooCommerce order: %d", resp.StatusCode)
	}
	var pings struct {
		Items []junction.TriggerRecord `json:"items"`
	}
	c.must(http.StatusOK, "GET", "/api/v1/triggers/"+wooTrigger.ID+"/history?status=ping", nil, &pings)
	if len(pings.Items) != 1 || pings.Items[0].JobID != "" {
		t.Fatalf("ping history %+v", pings.Items)
	}

	for _, leak := range []string{"graph-client-SECRET", "trello-token-SECRET", "wc-webhook-SECRET", strings.TrimPrefix(trello, m.URL()+"/hooks/"),
		strings.TrimPrefix(woo, m.URL()+"/hooks/")} {
		if strings.Contains(logs.String(), leak) {
			t.Fatalf("the logs show %q", leak)
		}
	}
}
