package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"junction/app"
	"junction/httpapi/httpapitest"
)

// TestFolderSwitcherNarrows: the header's folder narrows the triggers and
// executions lists, and the executions page's connection picker, to the
// folder and those below it, as it does connections and assets.
func TestFolderSwitcherNarrows(t *testing.T) {
	e := newFullEnv(t, httpapitest.Options{HoldQueue: true})
	ctx := context.Background()
	up := upstream(t)
	child, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: "Child", ParentID: e.folder.ID})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	// In each folder: an http connection that ran once, and a webhook
	// connection with a trigger.
	conns, hooks := map[string]string{}, map[string]string{}
	for _, f := range []struct{ name, id string }{{"pages", e.folder.ID}, {"child", child.ID}, {"other", other.ID}} {
		resp, body := e.post("/connections", url.Values{"connector": {"http"}, "auth_type": {"api_key"},
			"folder_id": {f.id}, "name": {"api-" + f.name}, "field.base_url": {up.URL}, "literal.api_key": {apiKeyPlanted}})
		wantStatus(t, "create a connection: "+body, resp, http.StatusSeeOther)
		conns[f.name] = connectionPathRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
		if _, err := e.app.Execute(ctx, e.admin, conns[f.name], app.ExecuteInput{Activity: "http_request",
			Input: map[string]any{"path": "/things"}}); err != nil {
			t.Fatal(err)
		}
		hook, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: f.id, Connector: "webhook",
			Name: "hook-" + f.name, SkipTest: true})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: f.id, ConnectionID: hook.ID,
			Object: "event", Event: "received", Name: "trigger-" + f.name, Target: app.TriggerTargetInput{Type: "queue", Name: "q"}})
		if err != nil {
			t.Fatal(err)
		}
		hooks[f.name] = tr.ID
	}

	// Choose Pages in the header, as a person does.
	resp, _ := e.do(e.client, "GET", "/folder?folder="+e.folder.ID+"&next=/executions", nil)
	wantStatus(t, "switch folder", resp, http.StatusSeeOther)

	t.Run("Executions", func(t *testing.T) {
		body := e.get("/executions", http.StatusOK)
		for _, name := range []string{"pages", "child"} {
			if !strings.Contains(body, `<a href="/connections/`+conns[name]+`">`) {
				t.Errorf("the execution of %s is not listed", name)
			}
		}
		if strings.Contains(body, conns["other"]) {
			t.Error("an execution, or the connection, of another folder is shown")
		}
		// A connection of another folder, asked for by ID, shows nothing.
		if body := e.get("/executions?connection_id="+conns["other"], http.StatusOK); !strings.Contains(body, "No executions.") {
			t.Error("the connection filter leaves the folder")
		}
	})

	t.Run("Triggers", func(t *testing.T) {
		body := e.get("/triggers", http.StatusOK)
		for _, name := range []string{"pages", "child"} {
			if !strings.Contains(body, `href="/triggers/`+hooks[name]+`"`) {
				t.Errorf("the trigger of %s is not listed", name)
			}
		}
		if strings.Contains(body, hooks["other"]) {
			t.Error("a trigger of another folder is listed")
		}
	})

	t.Run("AllFolders", func(t *testing.T) {
		resp, _ := e.do(e.client, "GET", "/folder?folder=&next=/triggers", nil)
		wantStatus(t, "switch to all", resp, http.StatusSeeOther)
		body := e.get("/triggers", http.StatusOK)
		for name, id := range hooks {
			if !strings.Contains(body, id) {
				t.Errorf("the trigger of %s is not listed under all folders", name)
			}
		}
		if body := e.get("/executions", http.StatusOK); strings.Count(body, `status-succeeded">succeeded`) != 3 {
			t.Errorf("not every execution under all folders: %s", body)
		}
	})
}
