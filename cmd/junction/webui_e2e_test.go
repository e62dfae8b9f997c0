package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"junction/credstore/vault/vaulttest"
)

// chromiumPath is the browser the web UI tests drive; .ci/run installs
// it from the distribution's packages.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("JUNCTION_TEST_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Chromium at %s: the web UI tests need it", p)
		}
		t.Skipf("no Chromium at %s (install it, or set JUNCTION_TEST_CHROMIUM)", p)
	}
	return p
}

// browser starts one headless Chromium with a fresh profile for the test;
// extra adds to its flags.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	opts = append(opts, extra...)
	// Generous: a loaded two-core machine starts Chromium slowly; every
	// step waits on a condition of the page, never on time.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	// Start the browser now, on this context: the first Run binds the
	// browser to its context, and steps run on shorter-lived ones.
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// TestWebUI_Browser signs in with a real browser and does what a new
// user does: a folder, a Vault store, a credential asset from it, an http
// connection whose API key is that asset, a test of it; then signs out,
// and a Viewer finds no buttons to create anything. A screenshot of each
// main page is saved (to JUNCTION_TEST_SCREENSHOTS when set).
func TestWebUI_Browser(t *testing.T) {
	ctx := browser(t)
	const (
		adminPassword  = "browser root passphrase"
		viewerPassword = "browser viewer passphrase"
		apiKey         = "upstream-api-key-planted-3141592653"
		secretID       = "vault-secret-id-planted-2718281828"
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKey {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"me":"robot"}`))
	}))
	t.Cleanup(upstream.Close)
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "ui-role", secretID)
	vs.Put("secret/ui/upstream", map[string]string{"username": "svc", "password": apiKey})

	m, logs := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken: testBootstrapToken, envBootstrapPassword: adminPassword,
		"JUNCTION_STORE_ALLOW": "127.0.0.1/32", "JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	base := m.URL()
	admin := &apiClient{t: t, base: base, token: testBootstrapToken}
	var viewer struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "vera", "roles": []string{"Viewer"}}, &viewer)
	admin.must(http.StatusNoContent, "PUT", "/api/v1/users/"+viewer.ID+"/password", map[string]any{"password": viewerPassword}, nil)

	shots := os.Getenv("JUNCTION_TEST_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	var pages []string // every page's HTML, scanned for secrets at the end
	start := time.Now()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		t.Logf("%6.1fs %s", time.Since(start).Seconds(), what)
		// A step that never sees its condition fails on its own, with the
		// page and the server log, rather than hanging the package until
		// its timeout; the bound is generous for a loaded machine.
		stepCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("body"))
			t.Fatalf("%s: %v\npage:\n%.3000s\nserver log:\n%s", what, err, html, logs)
		}
		pages = append(pages, value(t, ctx, what, chromedp.OuterHTML("html")))
	}
	shot := func(name string) {
		t.Helper()
		png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	visit := func(path, ready string) {
		t.Helper()
		run("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(ready))
	}
	// submit sends the form of a button and waits for the next page,
	// failing with the problem it shows when it shows one. It submits
	// the form rather than clicking at the button's place, which a page
	// still laying out on a loaded machine can move.
	submit := func(what, button, ready string) {
		t.Helper()
		run(what, chromedp.WaitVisible(button), markPage(), chromedp.Submit(button), awaitNewPage(ready+", #problem"), chromedp.WaitVisible(ready+", #problem"))
		if p := value(t, ctx, what, chromedp.Evaluate[string](`(document.querySelector('#problem') || {}).innerText || ""`)); p != "" {
			t.Fatalf("%s: %s", what, p)
		}
	}
	signIn := func(user, password string) {
		t.Helper()
		visit("/", "#username") // signed out: the login page, coming back to / after
		run("sign in as "+user, chromedp.SetValue("#username", user), chromedp.SetValue("#password", password),
			chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))
	}
	idOf := func(path, name string) string {
		t.Helper()
		var list struct {
			Items []struct{ ID, Name string }
		}
		admin.must(http.StatusOK, "GET", path, nil, &list)
		for _, it := range list.Items {
			if it.Name == name {
				return it.ID
			}
		}
		t.Fatalf("%s: no %q", path, name)
		return ""
	}

	signIn("admin", adminPassword)
	shot("overview")

	visit("/folders", "#folder-form")
	run("name a folder", chromedp.SetValue("#folder-name", "Browser"))
	submit("create a folder", "#create-folder", ".notice")
	folderID := idOf("/api/v1/folders", "Browser")

	visit("/credential-stores?type=hashicorp-vault", "#store-form")
	run("add a Vault store",
		chromedp.SetValue("#store-name", "corp-vault"),
		chromedp.SetValue(`[name="config.address"]`, vs.URL()),
		chromedp.SetValue(`[name="config.ca_cert"]`, vs.CACertPEM()),
		chromedp.SetValue(`[name="config.auth_method"]`, "approle"),
		chromedp.SetValue(`[name="config.role_id"]`, "ui-role"),
		chromedp.SetValue(`[name="config.secret_id"]`, secretID),
		chromedp.SetValue(`[name="config.engine"]`, "kv-v2"),
		chromedp.SetValue(`[name="config.data_path"]`, "ui"))
	submit("add a Vault store", "#create-store", ".notice")
	submit("test the store", `form[action$="/test"] button`, "#store-test")
	storeTest := value(t, ctx, "store test", chromedp.Text("#store-test"))
	if !strings.Contains(storeTest, "passed") {
		t.Fatalf("store test: %s", storeTest)
	}
	shot("credential-stores")
	storeID := idOf("/api/v1/credential-stores", "corp-vault")

	visit("/assets", "#asset-form")
	run("add a credential asset",
		chromedp.SetValue("#asset-folder", folderID), chromedp.SetValue("#asset-name", "upstream-login"),
		chromedp.SetValue("#asset-type", "credential"), chromedp.SetValue("#asset-store", storeID),
		chromedp.SetValue("#asset-external", "upstream"))
	submit("add a credential asset", "#create-asset", ".notice")
	shot("assets")
	assetID := idOf("/api/v1/assets", "upstream-login")

	visit("/connectors/http", `a[href*="auth_type=api_key"]`)
	shot("connector")
	visit("/connections/new?connector=http&auth_type=api_key", "#connection-form")
	run("fill the form generated from the definition",
		chromedp.SetValue("#folder_id", folderID), chromedp.SetValue("#name", "upstream"),
		chromedp.SetValue(`[name="field.base_url"]`, upstream.URL+"/v1"),
		chromedp.SetValue(`[name="field.test_path"]`, "/me"),
		chromedp.SetValue(`[name="asset.api_key"]`, assetID+":password"))
	shot("connection-new")
	submit("create the connection", "#create-connection", "#conn-status")
	submit("test the connection", "#test", "#test-result")
	result := value(t, ctx, "test result", chromedp.Text("#test-result"))
	status := value(t, ctx, "status", chromedp.Text("#conn-status"))
	if status != "connected" || !strings.Contains(result, "passed") {
		t.Fatalf("connection test: status %q, %q", status, result)
	}
	shot("connection")
	// Selectors are searched as text too: "table" also matches a connector
	// whose description speaks of ServiceNow's Table API, so the
	// catalog waits for its heading.
	for _, p := range []struct{ path, ready, name string }{
		{"/connectors", "h1", "connectors"}, {"/connections", "table", "connections"},
		{"/triggers", "table", "triggers"}, {"/executions", "table", "executions"}, {"/audit", "table", "audit"},
	} {
		visit(p.path, p.ready)
		shot(p.name)
	}
	run("narrow screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/"), chromedp.WaitVisible("#logout"))
	for _, path := range []string{"/", "/connections", "/assets"} {
		visit(path, "main")
		if w := value(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px screen", path, w)
		}
	}
	visit("/", "main")
	shot("overview-390")
	run("wide screen", chromedp.EmulateViewport(1280, 900))

	// The browser's session cookie opens pages, never the API.
	cookie := value(t, ctx, "read the cookie", chromedp.Evaluate[string](`document.cookie`))
	if cookie != "" {
		t.Fatalf("the session cookie is readable by scripts: %q", cookie)
	}
	run("sign out", chromedp.Submit("#logout"), chromedp.WaitVisible("#username"))

	signIn("vera", viewerPassword)
	for _, p := range []struct{ path, ready, absent string }{
		{"/connections", "main", "#new-connection"}, {"/assets", "main", "#asset-form"},
		{"/folders", "main", "#folder-form"}, {"/credential-stores", "main", "#pick-type"},
		{"/connections/" + idOf("/api/v1/connections", "upstream"), "#conn-status", "#test"},
	} {
		visit(p.path, p.ready)
		absent := value(t, ctx, "look for "+p.absent, chromedp.Evaluate[bool](`document.querySelector('`+p.absent+`') === null`))
		if !absent {
			t.Errorf("a Viewer sees %s on %s", p.absent, p.path)
		}
	}
	shot("viewer-connections")
	run("viewer signs out", chromedp.Submit("#logout"), chromedp.WaitVisible("#username"))

	for i, html := range pages {
		assertNoSecret(t, fmt.Sprintf("page %d", i), []byte(html),
			[]string{apiKey, secretID, adminPassword, viewerPassword})
	}
	assertNoSecret(t, "server log", []byte(logs.String()), []string{apiKey, secretID, adminPassword, viewerPassword})
}

// markPage tags the document shown now, and awaitNewPage then waits until
// another document shows sel. A form's answer is often a page with the
// same markers as the page it was sent from (a .notice of the previous
// answer): waiting for the marker alone may return before the browser has
// even sent the form.
func markPage() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.junctionSentFrom = true`)(ctx, t)
		return err
	})
}

func awaitNewPage(sel string) chromedp.Action[chromedp.Void] {
	check := chromedp.Evaluate[bool](`!window.junctionSentFrom && document.readyState !== "loading" && document.querySelector(` +
		strconv.Quote(sel) + `) !== null`)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			// While the browser swaps documents, an evaluation may find
			// its context gone: that is not yet the answer, look again.
			if ok, err := check(ctx, t); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
	})
}

// value runs one browser action that returns something.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
