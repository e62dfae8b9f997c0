package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/webui"
)

const userPassword = "another long planted passphrase"

// signInUser makes a user with the given tenant-wide roles, a password,
// and a signed-in client.
func (e *env) signInUser(name string, roles ...string) (*app.UserWithRoles, *http.Client) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.admin, app.CreateUserInput{Name: name, Roles: roles})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.app.SetPassword(ctx, e.admin, u.ID, app.SetPasswordInput{Password: junction.NewSecret(userPassword)}); err != nil {
		e.t.Fatal(err)
	}
	c := e.newClient()
	resp, _ := e.do(c, "POST", "/login", url.Values{"username": {name}, "password": {userPassword}})
	wantStatus(e.t, "sign in as "+name, resp, http.StatusSeeOther)
	return u, c
}

func TestAccountPassword(t *testing.T) {
	e := newEnv(t, webui.Options{})
	_, c := e.signInUser("paula", "Viewer")
	other := e.newClient()
	resp, _ := e.do(other, "POST", "/login", url.Values{"username": {"paula"}, "password": {userPassword}})
	wantStatus(t, "second sign-in", resp, http.StatusSeeOther)

	_, body := e.do(c, "GET", "/account", nil)
	for _, want := range []string{`id="account-link"`, `id="password-form"`, `for="current-password"`, `id="preferences"`, `id="token-form"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("account page lacks %s", want)
		}
	}
	csrf := e.csrf(c, "/account")

	t.Run("NoCSRF", func(t *testing.T) {
		resp, _ := e.do(c, "POST", "/account/password", url.Values{"current_password": {userPassword},
			"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
		wantStatus(t, "password without CSRF", resp, http.StatusForbidden)
	})
	t.Run("WrongCurrent", func(t *testing.T) {
		resp, body := e.do(c, "POST", "/account/password", url.Values{"csrf": {csrf}, "current_password": {"not my password at all"},
			"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
		wantStatus(t, "wrong current password", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="current-password-error"`) || strings.Contains(body, "a brand new passphrase") {
			t.Fatalf("the error is not next to the field, or the page holds the new password:\n%s", body)
		}
	})
	t.Run("Rules", func(t *testing.T) {
		for _, pw := range []string{"short", "my name is paula, ok"} {
			resp, body := e.do(c, "POST", "/account/password", url.Values{"csrf": {csrf}, "current_password": {userPassword},
				"password": {pw}, "password_confirm": {pw}})
			wantStatus(t, "password "+pw, resp, http.StatusUnprocessableEntity)
			if !strings.Contains(body, `id="new-password-error"`) {
				t.Fatalf("%q: no error next to the new password", pw)
			}
		}
		resp, body := e.do(c, "POST", "/account/password", url.Values{"csrf": {csrf}, "current_password": {userPassword},
			"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase!"}})
		wantStatus(t, "mismatch", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="confirm-password-error"`) {
			t.Fatal("no error next to the confirmation")
		}
	})
	t.Run("OK", func(t *testing.T) {
		resp, _ := e.do(c, "POST", "/account/password", url.Values{"csrf": {csrf}, "current_password": {userPassword},
			"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
		wantStatus(t, "change password", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/account?notice=") {
			t.Fatalf("redirected to %q", loc)
		}
		// This browser goes on with a new session; the other is signed out.
		resp, _ = e.do(c, "GET", "/account", nil)
		wantStatus(t, "account after the change", resp, http.StatusOK)
		resp, _ = e.do(other, "GET", "/account", nil)
		wantStatus(t, "the other session", resp, http.StatusSeeOther)
		resp, _ = e.do(e.newClient(), "POST", "/login", url.Values{"username": {"paula"}, "password": {"a brand new passphrase"}})
		wantStatus(t, "sign in with the new password", resp, http.StatusSeeOther)
		// The change is audited.
		_, audit := e.do(e.loggedIn(), "GET", "/audit", nil)
		if !strings.Contains(audit, "user.password.set") {
			t.Fatal("the password change is not in the audit log")
		}
	})
}

// loggedIn is a client signed in as the administrator.
func (e *env) loggedIn() *http.Client {
	c := e.newClient()
	e.login(c, "/")
	return c
}

var tokenSecretRE = regexp.MustCompile(`id="token-secret" value="([^"]+)"`)

func TestAccountTokens(t *testing.T) {
	e := newEnv(t, webui.Options{})
	_, c := e.signInUser("toby", "Viewer")
	csrf := e.csrf(c, "/account")

	resp, body := e.do(c, "POST", "/account/tokens", url.Values{"csrf": {csrf}, "token_name": {"ci"}, "token_days": {"0"}})
	wantStatus(t, "zero days", resp, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="token-days-error"`) {
		t.Fatal("no error next to the lifetime")
	}
	resp, body = e.do(c, "POST", "/account/tokens", url.Values{"csrf": {csrf}, "token_name": {"ci"}, "token_days": {"30"}})
	wantStatus(t, "create token", resp, http.StatusOK)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	m := tokenSecretRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", body)
	}
	secret := m[1]
	p, err := e.app.Authenticate(context.Background(), secret)
	if err != nil || p.User.Name != "toby" {
		t.Fatalf("the token does not authenticate toby: %v", err)
	}
	_, body = e.do(c, "GET", "/account", nil)
	if strings.Contains(body, secret) {
		t.Fatal("the account page shows the secret again")
	}
	if !strings.Contains(body, ">ci<") || !strings.Contains(body, "revoke-token") {
		t.Fatal("the token is not listed with a revoke button")
	}

	// Another user's token cannot be revoked from here, even by ID.
	adminTokens, err := e.app.ListTokens(context.Background(), e.admin, e.admin.User.ID)
	if err != nil || len(adminTokens) == 0 {
		t.Fatal(err)
	}
	resp, _ = e.do(c, "POST", "/account/tokens/"+adminTokens[0].ID+"/revoke", url.Values{"csrf": {csrf}})
	wantStatus(t, "revoke another's token", resp, http.StatusNotFound)

	resp, _ = e.do(c, "POST", "/account/tokens/"+p.Token.ID+"/revoke", url.Values{})
	wantStatus(t, "revoke without CSRF", resp, http.StatusForbidden)
	resp, _ = e.do(c, "POST", "/account/tokens/"+p.Token.ID+"/revoke", url.Values{"csrf": {csrf}})
	wantStatus(t, "revoke", resp, http.StatusSeeOther)
	if _, err := e.app.Authenticate(context.Background(), secret); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
		t.Fatalf("a revoked token authenticates: %v", err)
	}
	_, body = e.do(c, "GET", "/account", nil)
	if strings.Contains(body, "revoke-token") {
		t.Fatal("a revoked token still offers Revoke")
	}
}

func TestAccountNotificationPreferences(t *testing.T) {
	e := newEnv(t, webui.Options{})
	ctx := context.Background()
	ops, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: "Ops"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.loggedIn()
	csrf := e.csrf(c, "/account")
	_, body := e.do(c, "GET", "/account", nil)
	rows := regexp.MustCompile(`name="rows" value="(\d+)"`).FindStringSubmatch(body)
	if rows == nil || rows[1] != "7" {
		t.Fatalf("rows = %v, want one per event type", rows)
	}
	// job.failed (row 5) by email only, and trigger.failing in Ops muted.
	form := url.Values{"csrf": {csrf}, "rows": {rows[1]}, "event.5": {junction.EventJobFailed}, "set.5": {"on"}, "email.5": {"on"},
		"new.event": {junction.EventTriggerFailing}, "new.folder": {ops.ID}}
	for i := range 7 {
		form.Set("event."+string(rune('0'+i)), junction.NotificationEventTypes[i])
	}
	resp, _ := e.do(c, "POST", "/account/notifications", form)
	wantStatus(t, "save preferences", resp, http.StatusSeeOther)
	got, err := e.app.GetNotificationPreferences(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	want := []junction.NotificationPreference{{EventType: junction.EventJobFailed, Email: true},
		{EventType: junction.EventTriggerFailing, FolderID: ops.ID}}
	if len(got.Preferences) != 2 {
		t.Fatalf("preferences = %+v, want %+v", got.Preferences, want)
	}
	for _, w := range want {
		found := false
		for _, p := range got.Preferences {
			found = found || p == w
		}
		if !found {
			t.Fatalf("preferences = %+v, want %+v", got.Preferences, want)
		}
	}
	_, body = e.do(c, "GET", "/account", nil)
	if !strings.Contains(body, `id="pref-7"`) || !strings.Contains(body, ">Ops<") {
		t.Fatal("the folder's row is not shown")
	}
	// A tenant-wide event cannot be narrowed to a folder: the error shows
	// with the table.
	form.Set("new.event", junction.EventQuotaThreshold)
	resp, body = e.do(c, "POST", "/account/notifications", form)
	wantStatus(t, "quota event for a folder", resp, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="preferences-error"`) {
		t.Fatal("no error next to the table")
	}
	resp, _ = e.do(c, "POST", "/account/notifications", url.Values{"rows": {"0"}})
	wantStatus(t, "preferences without CSRF", resp, http.StatusForbidden)
}
