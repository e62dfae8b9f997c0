package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"junction/app"
)

// deskConnector is a custom connector whose ticket object has standard
// operations, over an API at {base_url}.
const deskConnector = `key: desk
display_name: Desk
version: "1.0.0"
description: A ticketing API the browser test simulates.
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: api_key
    in: header
    name: X-API-Key
    fields:
      - {name: api_key, type: secret, required: true}
test: {path: /tickets}
objects:
  - name: ticket
    display_name: Ticket
    description: A ticket.
    id_field: id
    operations:
      list:
        description: Lists tickets.
        method: GET
        path: /tickets
        inputs:
          - {name: status, type: string, in: query, description: Only tickets with this status.}
        records: data
      get:
        description: Gets a ticket.
        method: GET
        path: /tickets/{id}
        inputs:
          - {name: id, type: string, in: path, required: true, description: The ticket's ID.}
`

// TestWebUI_ObjectOperationAndSearch drives, in a real browser, an
// object's list operation tried from the connection page, then the
// execution it made found with the search box on /executions, and the
// month's usage on the overview.
func TestWebUI_ObjectOperationAndSearch(t *testing.T) {
	ctx := browser(t)
	const (
		adminPassword = "object operations root passphrase"
		apiKey        = "desk-upstream-key-planted-2718281828"
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKey {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":[{"id":"T-1","subject":"printer on fire","status":%q}]}`, r.URL.Query().Get("status"))
	}))
	t.Cleanup(upstream.Close)
	m, logs := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken: testBootstrapToken, envBootstrapPassword: adminPassword,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	bg := context.Background()
	p, err := m.app.Authenticate(bg, testBootstrapToken)
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.app.CreateCustomConnector(bg, p, app.CreateCustomConnectorInput{Key: "desk", DisplayName: "Desk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.ReplaceDraft(bg, p, v.ID, []byte(deskConnector)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.Publish(bg, p, v.ID, app.PublishInput{Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	admin := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder, conn struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Helpdesk"}, &folder)
	admin.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "desk", "name": "helpdesk",
		"fields": map[string]any{"base_url": upstream.URL, "api_key": apiKey}}, &conn)

	b := &pagesBrowser{t: t, ctx: ctx, base: m.URL(), logs: logs, start: time.Now()}
	b.signIn("admin", adminPassword)

	b.visit("/connections/"+conn.ID, "#activity-pick")
	b.run("pick the ticket list", chromedp.SetValue("#activity-pick", "ticket.list"))
	b.submit("show its inputs", "#pick-activity", "#activity-form")
	b.run("fill its inputs", chromedp.SetValue(`[name="input.status"]`, "open"))
	b.submit("run it", "#run-activity", "#activity-output")
	if out := value(t, ctx, "output", chromedp.Text("#activity-output")); !strings.Contains(out, "printer on fire") || !strings.Contains(out, `"open"`) {
		t.Fatalf("list output %q", out)
	}

	b.visit("/executions", "#execution-q")
	b.run("search for the ticket list", chromedp.SetValue("#execution-q", "TICKET"), chromedp.SetValue("#status", "succeeded"))
	b.submit("search", "#filter-executions", "#execution-filters")
	loc := value(t, ctx, "where", chromedp.Location())
	if !strings.Contains(loc, "q=TICKET") || !strings.Contains(loc, "status=succeeded") {
		t.Fatalf("the filters are not in the URL: %s", loc)
	}
	if rows := value(t, ctx, "rows", chromedp.Text("tbody")); !strings.Contains(rows, "ticket.list") {
		t.Fatalf("the search does not find the execution: %q", rows)
	}
	b.run("search for nothing", chromedp.SetValue("#execution-q", "no-such-thing"))
	b.submit("search again", "#filter-executions", "#execution-filters")
	if rows := value(t, ctx, "rows", chromedp.Text("tbody")); !strings.Contains(rows, "No executions.") {
		t.Fatalf("a search that matches nothing shows %q", rows)
	}

	b.visit("/", "#usage")
	b.absent("/", "#quota-meter")

	for _, page := range b.pages {
		if strings.Contains(page, apiKey) {
			t.Fatal("a page holds the API key")
		}
	}
	m.Close()
	if strings.Contains(logs.String(), apiKey) {
		t.Fatal("the log holds the API key")
	}
}
