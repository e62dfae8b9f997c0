package webui_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium is the browser the layout checks drive, skipped where none is
// installed (and failed on CI, which installs one).
func chromium(t *testing.T) context.Context {
	t.Helper()
	p := os.Getenv("JUNCTION_TEST_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Chromium at %s", p)
		}
		t.Skipf("no Chromium at %s (install it, or set JUNCTION_TEST_CHROMIUM)", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(p), chromedp.UserDataDir(t.TempDir()),
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

// maxTabs bounds the Tab presses that must reach a page's main action:
// the skip link, the header's links and switcher, then the page.
const maxTabs = 40

// TestAccessibilityBrowser opens every page in a real browser at a
// phone's width (390 px) and a desktop's (1280 px): no page may scroll
// sideways, the first Tab lands on the skip link, and Tab alone reaches
// the page's main action, which then shows its focus ring.
func TestAccessibilityBrowser(t *testing.T) {
	ctx := chromium(t)
	e, pages := a11ySite(t)
	base := e.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, js string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	do("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#username"),
		chromedp.SetValue("#username", "admin"), chromedp.SetValue("#password", adminPassword),
		chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))

	for _, width := range []int64{390, 1280} {
		do("viewport", chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile))
		for _, p := range pages {
			do("open "+p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible("#main"))
			if !eval("width of "+p.path, `document.scrollingElement.scrollWidth <= window.innerWidth`) {
				w, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.scrollingElement.scrollWidth + " > " + window.innerWidth + ": " +
					[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(-3).map(e => e.tagName + "#" + e.id + "." + e.className).join(", ")`))
				t.Errorf("%d px: %s scrolls sideways (%s)", width, p.path, w)
			}
			if width != 390 {
				continue
			}
			// A page that focuses its first field itself (sign-in) starts
			// there; any other starts from the top, at the skip link.
			autofocus := eval("autofocus on "+p.path, `document.activeElement !== null && document.activeElement !== document.body`)
			do("first Tab on "+p.path, chromedp.KeyEvent(kb.Tab))
			if !autofocus && !eval("focus on "+p.path, `document.activeElement && document.activeElement.id === "skip"`) {
				t.Errorf("%s: the first Tab does not land on the skip link", p.path)
			}
			if p.action == "" {
				continue
			}
			reached := false
			for range maxTabs {
				do("Tab on "+p.path, chromedp.KeyEvent(kb.Tab))
				if eval("focus on "+p.path, `document.activeElement === document.querySelector(`+jsString(p.action)+`)`) {
					reached = true
					break
				}
			}
			if !reached {
				t.Errorf("%s: %d Tab presses do not reach %s", p.path, maxTabs, p.action)
			} else if !eval("focus ring on "+p.path, `getComputedStyle(document.activeElement).outlineStyle !== "none"`) {
				t.Errorf("%s: %s has focus but shows no focus ring", p.path, p.action)
			}
		}
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
