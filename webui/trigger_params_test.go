package webui_test

import (
	"context"
	"net/http"
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
