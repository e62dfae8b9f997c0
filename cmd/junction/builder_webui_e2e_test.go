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

// browserSteps drives one signed-in browser through a test: each step
// waits on a condition of the page, fails with the page and the server
// log when it never comes, and keeps the page's HTML for the secret scan.
type browserSteps struct {
	t     *testing.T
	ctx   context.Context
	base  string
	logs  fmt.Stringer
	start time.Time
	pages []string
}

func (b *browserSteps) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.t.Logf("%6.1fs %s", time.Since(b.start).Seconds(), what)
	stepCtx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(stepCtx, actions...); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML("body"))
		b.t.Fatalf("%s: %v\npage:\n%.4000s\nserver log:\n%s", what, err, html, b.logs)
	}
	b.pages = append(b.pages, value(b.t, b.ctx, what, chromedp.OuterHTML("html")))
}

func (b *browserSteps) visit(path, ready string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(ready))
}

// submit sends a form and waits for the next page; the page's problem,
// when it shows one, is returned rather than failing, for the steps that
// expect one.
func (b *browserSteps) submit(what, button, ready string) string {
	b.t.Helper()
	b.run(what, chromedp.WaitVisible(button), markPage(), chromedp.Submit(button), awaitNewPage(ready+", #problem"), chromedp.WaitVisible(ready+", #problem"))
	return b.text(`#problem`)
}

// shot saves what the window shows of the page, scrolled to sel, to
// JUNCTION_TEST_SCREENSHOTS when it is set.
func (b *browserSteps) shot(name, sel string) {
	b.t.Helper()
	dir := os.Getenv("JUNCTION_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	b.run("scroll to "+sel, chromedp.ScrollIntoView(sel))
	png := value(b.t, b.ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// text is the inner text of the first element sel matches, or "".
func (b *browserSteps) text(sel string) string {
	b.t.Helper()
	return value(b.t, b.ctx, "read "+sel, chromedp.Evaluate[string](`(document.querySelector('`+sel+`') || {}).innerText || ""`))
}

// TestBuilderWebUI_Browser builds a custom connector in the browser: it
// imports the Freshdesk description through the wizard keeping one of its
// two resources, sees the checklist, adds an activity the validator
// refuses and fixes it, tests it against a loopback API with a password
// typed into the test panel, publishes 1.0.0 and finds the connector in
// the catalog.
func TestBuilderWebUI_Browser(t *testing.T) {
	spec := filepath.Join("..", "..", "..", "shared", "specs", "freshdesk.yaml")
	if _, err := os.Stat(spec); err != nil {
		t.Skip("the shared specs are not here:", err)
	}
	spec, _ = filepath.Abs(spec)
	ctx := browser(t)
	const (
		adminPassword = "builder root passphrase"
		apiKey        = "freshdesk-agent-key-planted-1618033988"
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "agent" || pass != apiKey {
			http.Error(w, `{"code":"invalid_credentials"}`, http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet || r.URL.Path != "/api/v2/tickets/42" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":42,"subject":"Printer on fire"}`))
	}))
	t.Cleanup(upstream.Close)

	m, logs := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken: testBootstrapToken, envBootstrapPassword: adminPassword,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	b := &browserSteps{t: t, ctx: ctx, base: m.URL(), logs: logs, start: time.Now()}

	b.visit("/builder", "#username")
	b.run("sign in", chromedp.SetValue("#username", "admin"), chromedp.SetValue("#password", adminPassword),
		chromedp.Submit("#signin"), chromedp.WaitVisible("#new-custom"))

	b.visit("/builder/new", "#import-form")
	b.run("choose the description", chromedp.SetUploadFiles("#import-file", []string{spec}),
		chromedp.SetValue("#import-key", "helpdesk"))
	if p := b.submit("import", "#do-import", "#resource-form"); p != "" {
		t.Fatalf("import: %s", p)
	}
	b.shot("builder-resources", "#resource-form")
	b.run("keep the tickets only", chromedp.WaitVisible("#resource-contacts"), chromedp.Click("#resource-contacts"))
	if p := b.submit("keep the picked resources", "#keep-resources", "#checklist"); p != "" {
		t.Fatalf("keep resources: %s", p)
	}
	if has := value(t, ctx, "contacts gone", chromedp.Evaluate[bool](`document.querySelector('#activity-list_contacts') !== null`)); has {
		t.Fatal("the contacts activities are still in the draft")
	}
	if c := b.text("#checklist"); !strings.Contains(c, "Validation") {
		t.Fatalf("checklist: %s", c)
	}

	// An activity whose path names a parameter it does not declare is
	// refused beside its form, then fixed.
	b.run("design an activity", chromedp.SetValue("#designer [name=name]", "ticket_subject"),
		chromedp.SetValue("#designer [name=display_name]", "Ticket subject"),
		chromedp.SetValue("#designer [name=path]", "/api/v2/tickets/{ticket_id}"),
		chromedp.SetValue("#designer [name=outputs]", "- {name: subject, type: string, path: subject}"))
	p := b.submit("add the activity", "#save-activity", "#activity-ticket_subject")
	if !strings.Contains(p, "validation_failed") || !strings.Contains(p, "ticket_id") {
		t.Fatalf("an undeclared path parameter: %q", p)
	}
	b.run("declare the parameter", chromedp.SetValue("#designer [name=inputs]", "- {name: ticket_id, type: integer, required: true}"))
	if p := b.submit("fix the activity", "#save-activity", "#activity-ticket_subject"); p != "" {
		t.Fatalf("fixed activity: %s", p)
	}
	if value(t, ctx, "checklist errors", chromedp.Evaluate[bool](`document.querySelector('#checklist tr.check-error') !== null`)) {
		t.Fatalf("the checklist still has an error: %s", b.text("#checklist"))
	}

	b.run("fill the test panel", chromedp.SetValue("#test-auth", "basic"),
		chromedp.SetValue(`[name="test.basic.field.base_url"]`, upstream.URL),
		chromedp.SetValue(`[name="test.basic.field.username"]`, "agent"),
		chromedp.SetValue(`[name="test.basic.literal.password"]`, apiKey),
		chromedp.SetValue("#test-activity", "ticket_subject"),
		chromedp.SetValue("#test-input", `{"ticket_id": 42}`))
	if p := b.submit("run the test", "#run-test", "#test-result"); p != "" {
		t.Fatalf("test: %s", p)
	}
	outcome, request, output := b.text("#test-outcome"), b.text("#test-request"), b.text("#test-output")
	if outcome != "Succeeded" || !strings.Contains(request, "GET "+upstream.URL+"/api/v2/tickets/42") ||
		!strings.Contains(output, "Printer on fire") {
		t.Fatalf("test run: %q\n%s\n%s", outcome, request, output)
	}

	b.shot("builder-test", "#test-result")
	b.run("version", chromedp.SetValue("#publish-version", "1.0.0"))
	if p := b.submit("publish", "#do-publish", ".notice"); p != "" {
		t.Fatalf("publish: %s", p)
	}
	if v := b.text("#latest-version"); v != "1.0.0" {
		t.Fatalf("newest version %q", v)
	}
	draftURL := value(t, ctx, "draft URL", chromedp.Evaluate[string](`location.pathname`))
	b.run("narrow screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, path := range []string{draftURL, "/builder/new"} {
		b.visit(path, "main")
		if w := value(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px screen", path, w)
		}
	}
	b.run("wide screen", chromedp.EmulateViewport(1280, 900))
	b.visit("/connectors?q=helpdesk", `a[href="/connectors/helpdesk"]`)
	b.visit("/builder", "#custom-connectors")
	if list := b.text("#custom-connectors"); !strings.Contains(list, "published") {
		t.Fatalf("builder list: %s", list)
	}

	for i, html := range b.pages {
		assertNoSecret(t, fmt.Sprintf("page %d", i), []byte(html), []string{apiKey, adminPassword})
	}
	assertNoSecret(t, "server log", []byte(logs.String()), []string{apiKey, adminPassword})
}
