package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

// TestTriggerPageParameters: a polling trigger's page shows its
// parameters as set, each poll input with the description the connector
// gives it, and masks those that may hold a credential; a webhook
// trigger's page shows nothing of polling.
func TestTriggerPageParameters(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	const planted, nestedPlanted = "param-token-planted-2718281828", "param-password-planted-1414213562"
	poll, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, Name: "issues",
		ConnectionID: e.github.ID, Object: "issue", Event: "created",
		Parameters: map[string]any{"owner": "octo", "repo": "hello", "labels": []any{"bug", "ui"}, "team": "billing",
			"api_token": planted, "login": map[string]any{"password": nestedPlanted}},
		Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "issues"}})
	if err != nil {
		t.Fatal(err)
	}
	body := e.get("/triggers/"+poll.ID, http.StatusOK)
	for _, want := range []string{
		`id="trigger-parameters"`, `Polls every 5 minutes`,
		`<tr id="trigger-param-owner"><td><code>owner</code> (required)</td>` + "\n" + `<td><code>octo</code></td>` + "\n" +
			`<td>string: Account (user or organization) that owns the repository.</td></tr>`,
		`<code>repo</code> (required)`, `Repository name without the .git extension.`,
		`<code>[&#34;bug&#34;,&#34;ui&#34;]</code>`, `Only issues with all these labels.`,
		`<tr id="trigger-param-team"><td><code>team</code></td>` + "\n" + `<td><code>billing</code></td>`,
		`not an input of the poll; copied into every job`,
		`<tr id="trigger-param-api_token"><td><code>api_token</code></td>` + "\n" + `<td><span class="masked">[redacted]</span>`,
		`<tr id="trigger-param-login"><td><code>login</code></td>` + "\n" + `<td><span class="masked">[redacted]</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, planted) || strings.Contains(body, nestedPlanted) {
		t.Fatal("the page shows a parameter that may be a credential")
	}
	// The inputs the poll sets itself are not parameters.
	if strings.Contains(body, `trigger-param-since`) {
		t.Fatal("the page lists an input the poll sets itself")
	}

	// Who may see triggers but not connections sees the parameters,
	// masked alike, without the connector's descriptions.
	if _, err := e.app.CreateRole(ctx, e.admin, app.CreateRoleInput{Name: "Trigger watcher",
		Permissions: []junction.Permission{junction.PermTriggersView}}); err != nil {
		t.Fatal(err)
	}
	watcher, _ := e.signInAs("wendy", "Trigger watcher")
	resp, body := e.do(watcher, "GET", "/triggers/"+poll.ID, nil)
	wantStatus(t, "watcher", resp, http.StatusOK)
	for _, want := range []string{`id="trigger-poll-unknown"`, `<td><code>octo</code></td>`, `<td><code>billing</code></td>`,
		`<tr id="trigger-param-api_token"><td><code>api_token</code></td>` + "\n" + `<td><span class="masked">[redacted]</span>`} {
		if !strings.Contains(body, want) {
			t.Fatalf("the watcher's page lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, planted) || strings.Contains(body, nestedPlanted) || strings.Contains(body, "owns the repository") ||
		strings.Contains(body, "copied into every job") {
		t.Fatalf("the watcher's page: %s", body)
	}

	if body := e.get("/triggers/"+e.trigger.ID, http.StatusOK); strings.Contains(body, "trigger-parameters") || strings.Contains(body, "Polls every") {
		t.Fatalf("a webhook trigger's page shows polling: %s", body)
	}
}

// pollDefinition polls tickets with an input sent as a credential header.
const pollDefinition = `key: watchdesk
display_name: Watch desk
version: "1.0.0"
description: A ticketing API whose list takes a second key of its own.
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: none
objects:
  - name: ticket
    display_name: Ticket
    id_field: id
    fields:
      - {name: id, type: string}
    operations:
      list:
        description: Lists tickets.
        method: GET
        path: /tickets
        inputs:
          - {name: team, type: string, in: query, description: The team whose tickets are listed.}
          - {name: partner, type: string, in: header, key: X-Partner-Key, description: The partner key some teams need.}
        records: data
    events:
      - name: created
        description: A ticket was opened.
        polling:
          id: id
          created: {path: created_at}
`

// TestTriggerEditMaskedParameters: the edit form shows no parameter that
// may hold a credential; saving keeps them when left out, removes another
// parameter given as null, and a refused save shows none typed.
func TestTriggerEditMaskedParameters(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	v, err := e.app.CreateCustomConnector(ctx, e.admin, app.CreateCustomConnectorInput{Key: "watchdesk", DisplayName: "Watch desk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.ReplaceDraft(ctx, e.admin, v.ID, []byte(pollDefinition)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Publish(ctx, e.admin, v.ID, app.PublishInput{Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	base := junction.NewSecret("https://desk.example.com")
	c, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "watchdesk",
		Name: "watch", SkipTest: true, Fields: map[string]app.FieldInput{"base_url": {Literal: &base}}})
	if err != nil {
		t.Fatal(err)
	}
	const partnerPlanted, tokenPlanted, typedPlanted = "partner-key-planted-1732050807", "api-token-planted-2236067977", "typed-secret-planted-3141592653"
	poll, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: c.ID,
		Object: "ticket", Event: "created",
		Parameters: map[string]any{"team": "billing", "partner": partnerPlanted, "api_token": tokenPlanted, "region": "eu"},
		Target:     app.TriggerTargetInput{Type: junction.TargetQueue, Name: "tickets"}})
	if err != nil {
		t.Fatal(err)
	}
	noneShown := func(what, body string) {
		t.Helper()
		for _, s := range []string{partnerPlanted, tokenPlanted, typedPlanted} {
			if strings.Contains(body, s) {
				t.Fatalf("%s shows %s: %s", what, s, body)
			}
		}
	}
	page := e.get("/triggers/"+poll.ID, http.StatusOK)
	noneShown("the page", page)
	if !strings.Contains(page, `<tr id="trigger-param-partner"><td><code>partner</code></td>`+"\n"+`<td><span class="masked">[redacted]</span>`) ||
		!strings.Contains(page, "The partner key some teams need.") {
		t.Fatalf("the page: %s", page)
	}
	edit := "/triggers/" + poll.ID + "/edit"
	body := e.get(edit, http.StatusOK)
	noneShown("the edit form", body)
	for _, want := range []string{`<input type="password" id="param-partner" name="param.partner" value="" autocomplete="off">`,
		`Set, and not shown: it may hold a credential. Left empty, it is kept.`, `id="param-team" name="param.team" value="billing"`,
		`&#34;region&#34;: &#34;eu&#34;`, `id="kept-parameters">Set, and not shown since they may hold a credential: <code>api_token</code>.`} {
		if !strings.Contains(body, want) {
			t.Fatalf("edit form lacks %s: %s", want, body)
		}
	}
	form := func(other string) url.Values {
		return url.Values{"name": {""}, "filter": {""}, "target_type": {"queue"}, "target_name": {"tickets"},
			"param.team": {"support"}, "param.partner": {""}, "parameters": {other}}
	}
	params := func() map[string]any {
		t.Helper()
		got, err := e.app.GetTrigger(ctx, e.admin, poll.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Parameters
	}

	resp, body := e.post(edit, form(`{"region": "us"}`))
	wantStatus(t, "kept: "+body, resp, http.StatusSeeOther)
	if p := params(); p["team"] != "support" || p["partner"] != partnerPlanted || p["api_token"] != tokenPlanted || p["region"] != "us" {
		t.Fatalf("after a save that left them out: %v", p)
	}

	resp, body = e.post(edit, form(`{"region": "us", "api_token": null}`))
	wantStatus(t, "removed: "+body, resp, http.StatusSeeOther)
	if p := params(); p["partner"] != partnerPlanted || len(p) != 3 {
		t.Fatalf("after removing api_token: %v", p)
	}

	f := form(`{"region": "us", "secret_key": "` + typedPlanted + `"}`)
	f.Set("param.partner", typedPlanted)
	f.Set("target_type", "nowhere")
	resp, body = e.post(edit, f)
	wantStatus(t, "refused", resp, http.StatusUnprocessableEntity)
	noneShown("the refused form", body)
	if !strings.Contains(body, `&#34;region&#34;: &#34;us&#34;`) {
		t.Fatalf("the refused form lost the other parameters: %s", body)
	}
	resp, body = e.post(edit, form(`{"note": "`+typedPlanted+` api_key"`))
	wantStatus(t, "not JSON", resp, http.StatusUnprocessableEntity)
	noneShown("the form refusing bad JSON", body)

	// The new trigger form shows a credential input as a password field,
	// and not again when the form is refused.
	resp, body = e.post("/triggers", url.Values{"connection_id": {c.ID}, "event": {"ticket.created"}, "target_type": {"nowhere"},
		"param.partner": {typedPlanted}, "parameters": {`{"auth": "` + typedPlanted + `"}`}})
	wantStatus(t, "new refused", resp, http.StatusUnprocessableEntity)
	noneShown("the new form", body)
	if !strings.Contains(body, `It may hold a credential: once set it is not shown again.`) {
		t.Fatalf("the new form: %s", body)
	}
}
