package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebUI_AccountUsageSettings drives the signed-in user's own page and
// the operator pages in a real browser: the header's user name opens the
// account, a token is made (shown once) and revoked, a notification
// preference saved, the password changed without being signed out, then
// usage read and retention set.
func TestWebUI_AccountUsageSettings(t *testing.T) {
	ctx := browser(t)
	const (
		adminPassword = "account root passphrase"
		newPassword   = "account fresh passphrase"
	)
	m, logs := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken, envBootstrapPassword: adminPassword})
	base := m.URL()
	admin := &apiClient{t: t, base: base, token: testBootstrapToken}

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("body"))
			t.Fatalf("%s: %v\npage:\n%.3000s\nserver log:\n%s", what, err, html, logs)
		}
	}
	submit := func(what, button, ready string) {
		t.Helper()
		step(what, chromedp.WaitVisible(button), markPage(), chromedp.Submit(button), awaitNewPage(ready+", #problem"), chromedp.WaitVisible(ready+", #problem"))
		if p := value(t, ctx, what, chromedp.Evaluate[string](`(document.querySelector('#problem') || {}).innerText || ""`)); p != "" {
			t.Fatalf("%s: %s", what, p)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return value(t, ctx, "read "+sel, chromedp.Evaluate[string](`(document.querySelector('`+sel+`') || {}).innerText || ""`))
	}

	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#username"),
		chromedp.SetValue("#username", "admin"), chromedp.SetValue("#password", adminPassword),
		chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))
	step("open the account from the header", chromedp.Click("#account-link"), chromedp.WaitVisible("#token-form"))

	step("name a token", chromedp.SetValue("#token-name", "laptop"), chromedp.SetValue("#token-days", "30"))
	submit("create the token", "#create-token", "#token-secret")
	secret := value(t, ctx, "token secret", chromedp.Evaluate[string](`document.querySelector('#token-secret').value`))
	var me struct {
		User struct{ Name string } `json:"user"`
	}
	(&apiClient{t: t, base: base, token: secret}).must(http.StatusOK, "GET", "/api/v1/me", nil, &me)
	if me.User.Name != "admin" {
		t.Fatalf("the new token is %q's", me.User.Name)
	}
	step("back to the account", chromedp.Click("#back-to-account"), chromedp.WaitVisible("#tokens"))
	if strings.Contains(value(t, ctx, "account page", chromedp.OuterHTML("body")), secret) {
		t.Fatal("the account page shows the token's secret again")
	}
	submit("revoke the token", `#tokens tr:first-child .revoke-token`, ".notice")
	(&apiClient{t: t, base: base, token: secret}).must(http.StatusUnauthorized, "GET", "/api/v1/me", nil, nil)

	step("email me when a job fails", chromedp.Click("#pref-set-5"), chromedp.Click("#pref-email-5"))
	submit("save preferences", "#save-preferences", ".notice")
	var prefs struct {
		Preferences []struct {
			EventType string `json:"event_type"`
			Email     bool   `json:"email"`
		} `json:"preferences"`
	}
	admin.must(http.StatusOK, "GET", "/api/v1/me/notification-preferences", nil, &prefs)
	if len(prefs.Preferences) != 1 || prefs.Preferences[0].EventType != "job.failed" || !prefs.Preferences[0].Email {
		t.Fatalf("preferences = %+v", prefs.Preferences)
	}

	step("fill the password form", chromedp.SetValue("#current-password", adminPassword),
		chromedp.SetValue("#new-password", newPassword), chromedp.SetValue("#confirm-password", newPassword))
	submit("change the password", "#change-password", ".notice")
	if n := text(".notice"); !strings.Contains(n, "Password changed") {
		t.Fatalf("notice after the change: %q", n)
	}
	step("still signed in", chromedp.Navigate(base+"/account"), chromedp.WaitVisible("#password-form"))

	step("open usage", chromedp.Click(`nav a[href="/usage"]`), chromedp.WaitVisible("#usage-table"))
	step("group by connector", chromedp.SetValue("#usage-group", "connector"))
	submit("show usage", "#show-usage", "#usage-table")
	if h := text("#usage-table thead"); !strings.Contains(h, "connector") {
		t.Fatalf("usage table head: %q", h)
	}

	step("open settings", chromedp.Click(`nav a[href="/settings"]`), chromedp.WaitVisible("#retention-form"))
	step("keep executions 10 days", chromedp.SetValue("#executions-days", "10"))
	submit("save retention", "#save-retention", ".notice")
	var ret struct {
		ExecutionsDays int `json:"executions_days"`
	}
	admin.must(http.StatusOK, "GET", "/api/v1/settings/retention", nil, &ret)
	if ret.ExecutionsDays != 10 {
		t.Fatalf("retention = %+v", ret)
	}
	step("set a trigger quota", chromedp.WaitVisible("#quota-form"), chromedp.SetValue("#quota-triggers", "25"))
	submit("save quotas", "#save-quotas", ".notice")
	if v := value(t, ctx, "trigger quota", chromedp.Evaluate[string](`document.querySelector('#quota-triggers').value`)); v != "25" {
		t.Fatalf("trigger quota shows %q", v)
	}
}
