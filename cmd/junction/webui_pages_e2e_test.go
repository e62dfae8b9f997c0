package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pagesBrowser drives one signed-in browser through the web UI, failing
// a step with the page and the server log when its condition never shows.
type pagesBrowser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	logs  fmt.Stringer
	start time.Time
	pages []string // every page's HTML, scanned for secrets at the end
}

func (b *pagesBrowser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.t.Logf("%6.1fs %s", time.Since(b.start).Seconds(), what)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML("body"))
		b.t.Fatalf("%s: %v\npage:\n%.3000s\nserver log:\n%s", what, err, html, b.logs)
	}
	b.pages = append(b.pages, value(b.t, b.ctx, what, chromedp.OuterHTML("html")))
}

// shot saves a screenshot of the page to JUNCTION_TEST_SCREENSHOTS, when
// set: the README shows some of them.
func (b *pagesBrowser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("JUNCTION_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := value(b.t, b.ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *pagesBrowser) visit(path, ready string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(ready))
}

// submit sends the form of a button and waits for the next page, failing
// with the problem it shows when it shows one.
func (b *pagesBrowser) submit(what, button, ready string) {
	b.t.Helper()
	b.run(what, chromedp.WaitVisible(button), markPage(), chromedp.Submit(button), awaitNewPage(ready+", #problem"), chromedp.WaitVisible(ready+", #problem"))
	if p := value(b.t, b.ctx, what, chromedp.Evaluate[string](`(document.querySelector('#problem') || {}).innerText || ""`)); p != "" {
		b.t.Fatalf("%s: %s", what, p)
	}
}

func (b *pagesBrowser) signIn(user, password string) {
	b.t.Helper()
	b.visit("/", "#username")
	b.run("sign in as "+user, chromedp.SetValue("#username", user), chromedp.SetValue("#password", password),
		chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))
}

func (b *pagesBrowser) absent(path, selector string) {
	b.t.Helper()
	if !value(b.t, b.ctx, "look for "+selector, chromedp.Evaluate[bool](`document.querySelector('`+selector+`') === null`)) {
		b.t.Errorf("%s shows %s", path, selector)
	}
}

// TestWebUI_Pages drives the object pages in a real browser: an http
// connection made with the form and tried with an activity, a webhook
// trigger whose event becomes a job seen in its history and on /jobs,
// disabled; a Viewer finds no button to change any of it; then the
// trigger is deleted.
func TestWebUI_Pages(t *testing.T) {
	ctx := browser(t)
	const (
		adminPassword  = "pages root passphrase"
		viewerPassword = "pages viewer passphrase"
		apiKey         = "pages-upstream-key-planted-1414213562"
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKey {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"path":%q,"answer":"forty-two"}`, r.URL.Path)
	}))
	t.Cleanup(upstream.Close)
	m, logs := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken: testBootstrapToken, envBootstrapPassword: adminPassword,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	admin := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var viewer, folder, hook struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "vince", "roles": []string{"Viewer"}}, &viewer)
	admin.must(http.StatusNoContent, "PUT", "/api/v1/users/"+viewer.ID+"/password", map[string]any{"password": viewerPassword}, nil)
	admin.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Pages"}, &folder)
	admin.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop"}, &hook)

	b := &pagesBrowser{t: t, ctx: ctx, base: m.URL(), logs: logs, start: time.Now()}
	b.signIn("admin", adminPassword)

	b.visit("/connections/new?connector=http&auth_type=api_key", "#connection-form")
	b.run("fill the connection form",
		chromedp.SetValue("#folder_id", folder.ID), chromedp.SetValue("#name", "upstream"),
		chromedp.SetValue(`[name="field.base_url"]`, upstream.URL+"/v1"),
		chromedp.SetValue(`[name="literal.api_key"]`, apiKey))
	b.submit("create the connection", "#create-connection", "#conn-status")
	connPath := strings.TrimPrefix(value(t, ctx, "connection URL", chromedp.Location()), m.URL())
	connPath, _, _ = strings.Cut(connPath, "?")

	b.submit("pick the request activity", "#pick-activity", "#activity-form")
	b.run("fill its inputs", chromedp.SetValue(`[name="input.path"]`, "/answers"))
	b.submit("run it", "#run-activity", "#activity-output")
	if out := value(t, ctx, "output", chromedp.Text("#activity-output")); !strings.Contains(out, "forty-two") || !strings.Contains(out, "/v1/answers") {
		t.Fatalf("activity output %q", out)
	}
	b.shot("connection-try-activity")

	b.visit("/triggers/new?connection_id="+hook.ID, "#trigger-form")
	b.run("write a filter and a queue", chromedp.SetValue("#trigger-filter", `payload.type == "order.paid"`),
		chromedp.SetValue("#target-name", "orders"))
	b.submit("create the trigger", "#create-trigger", "#hook-url")
	triggerPath := strings.TrimPrefix(value(t, ctx, "trigger URL", chromedp.Location()), m.URL())
	triggerPath, _, _ = strings.Cut(triggerPath, "?")
	hookURL := value(t, ctx, "hook URL", chromedp.Text("#hook-url"))
	resp, err := http.Post(hookURL, "application/json", strings.NewReader(`{"type":"order.paid","id":"o-7"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post an event: %d", resp.StatusCode)
	}
	b.visit(triggerPath, ".job-link")
	jobID := value(t, ctx, "job ID", chromedp.Text(".job-link"))
	b.shot("trigger")
	b.visit("/jobs", "#job-"+jobID)
	b.shot("jobs")
	b.visit("/", "#execution-chart")
	b.shot("overview-chart")

	b.visit(triggerPath, "#disable-trigger")
	b.submit("disable the trigger", "#disable-trigger", "#enable-trigger")

	// A Viewer sees it all and no button to change any of it.
	b.run("sign out", chromedp.Submit("#logout"), chromedp.WaitVisible("#username"))
	b.signIn("vince", viewerPassword)
	b.visit(connPath, "#conn-status")
	for _, sel := range []string{"#edit-connection", "#delete-connection", "#set-default", "#activity-form", "#pick-activity", "#new-trigger", "#test"} {
		b.absent(connPath, sel)
	}
	b.visit(triggerPath, "#trigger-state")
	b.absent(triggerPath, "#enable-trigger")
	b.absent(triggerPath, "#delete-trigger")
	b.visit("/jobs", "#job-"+jobID)
	b.absent("/jobs", `form[action$="/delete"]`)
	b.visit("/assets", "main")
	b.absent("/assets", ".reveal-link")
	b.run("viewer signs out", chromedp.Submit("#logout"), chromedp.WaitVisible("#username"))

	b.signIn("admin", adminPassword)
	b.visit(triggerPath+"/delete", "#confirm")
	b.submit("delete the trigger", "#confirm", ".notice")
	if u := value(t, ctx, "after delete", chromedp.Location()); !strings.HasPrefix(u, m.URL()+"/connections/"+hook.ID+"?") {
		t.Fatalf("after deleting the trigger: %s", u)
	}

	for i, html := range b.pages {
		assertNoSecret(t, fmt.Sprintf("page %d", i), []byte(html), []string{apiKey, adminPassword, viewerPassword})
	}
	assertNoSecret(t, "server log", []byte(logs.String()), []string{apiKey, adminPassword, viewerPassword})
}
