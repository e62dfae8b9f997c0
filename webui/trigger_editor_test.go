package webui_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// editorChromium starts a headless Chromium with a fresh profile for the
// test, or skips it where there is none (outside CI).
func editorChromium(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("JUNCTION_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Chromium at %s: the filter editor test needs it", path)
		}
		t.Skipf("no Chromium at %s (install it, or set JUNCTION_TEST_CHROMIUM)", path)
	}
	// Generous: a loaded machine starts Chromium slowly; every step waits
	// on a condition of the page, never on time.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// TestTriggerFilterEditor_Browser types a filter into the trigger form of
// a real browser: a broken one shows its problem and code under the field
// without the form being sent, the mended one shows valid with the
// record's fields, and warnings of fields not declared and of types that
// differ from the declared ones; then it edits a trigger's filter and
// finds the new one on the trigger's page.
func TestTriggerFilterEditor_Browser(t *testing.T) {
	ctx := editorChromium(t)
	e := newTriggerEditEnv(t)
	base := e.srv.URL
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("body"))
			t.Fatalf("%s: %v\npage:\n%.3000s", what, err, html)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(s, base)
	}

	run("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#username"),
		chromedp.SendKeys("#username", "admin"), chromedp.SendKeys("#password", adminPassword),
		chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))

	form := "/triggers/new?connection_id=" + e.github.ID + "&event=issue.created"
	run("open the trigger form", chromedp.Navigate(base+form), chromedp.WaitVisible("#trigger-form"),
		// The empty filter is checked as the page opens.
		chromedp.WaitVisible("#filter-check-valid"))
	run("type a broken filter", chromedp.SendKeys("#trigger-filter", `record.state == `),
		chromedp.WaitVisible("#filter-check-problem"))
	if p := text("#filter-check-problem"); !strings.Contains(p, "validation_failed") || !strings.Contains(p, "Syntax error") {
		t.Fatalf("problem shown: %q", p)
	}
	if loc := location(); loc != form {
		t.Fatalf("the form was sent: at %s", loc)
	}
	run("mend it", chromedp.SendKeys("#trigger-filter", `"open"`), chromedp.WaitVisible("#filter-check-valid"))
	if v := text("#filter-check-valid"); !strings.HasPrefix(v, "Valid.") || !strings.Contains(v, "record.state (string)") {
		t.Fatalf("valid shown: %q", v)
	}
	run("read a field the connector does not declare", chromedp.SendKeys("#trigger-filter", ` && record.priority == "high"`),
		chromedp.WaitVisible("#filter-check-undeclared"))
	if w := text("#filter-check-undeclared"); !strings.Contains(w, "record.priority") {
		t.Fatalf("warning shown: %q", w)
	}
	run("compare a declared integer with a string", chromedp.SendKeys("#trigger-filter", ` && record.number == "1"`),
		chromedp.WaitVisible("#filter-check-mismatched"))
	if w := text("#filter-check-mismatched"); !strings.Contains(w, `record.number == "1" is always false`) {
		t.Fatalf("type warning shown: %q", w)
	}

	page := "/triggers/" + e.trigger.ID
	run("open the trigger", chromedp.Navigate(base+page), chromedp.WaitVisible("#edit-trigger"))
	run("edit it", chromedp.Click("#edit-trigger"), chromedp.WaitVisible("#trigger-edit-form"),
		chromedp.WaitVisible("#filter-check-valid"))
	run("break its filter", chromedp.SetValue("#trigger-filter", `payload.type ==`), chromedp.SendKeys("#trigger-filter", ` `),
		chromedp.WaitVisible("#filter-check-problem"))
	run("mend it", chromedp.SendKeys("#trigger-filter", `"order.refunded"`), chromedp.WaitVisible("#filter-check-valid"))
	run("save", chromedp.Submit("#save-trigger"), chromedp.WaitVisible("#trigger-filter-shown"))
	if f := text("#trigger-filter-shown"); f != `payload.type == "order.refunded"` {
		t.Fatalf("the trigger page shows filter %q", f)
	}
	if loc := location(); !strings.HasPrefix(loc, page+"?notice=") {
		t.Fatalf("after saving: at %s", loc)
	}
}
