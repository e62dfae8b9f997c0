package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebUI_UsersRolesMembers drives the pages that say who may do what:
// an administrator creates a user with a role, changes the user's roles,
// makes them a member of a folder, disables them, reads the roles and
// switches folders in the header; a Viewer finds none of these actions.
func TestWebUI_UsersRolesMembers(t *testing.T) {
	ctx := browser(t)
	const (
		adminPassword  = "members root passphrase"
		viewerPassword = "members viewer passphrase"
	)
	m, logs := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken, envBootstrapPassword: adminPassword})
	base := m.URL()
	admin := &apiClient{t: t, base: base, token: testBootstrapToken}
	var folder, viewer struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Payroll"}, &folder)
	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "vera", "roles": []string{"Viewer"}}, &viewer)
	admin.must(http.StatusNoContent, "PUT", "/api/v1/users/"+viewer.ID+"/password", map[string]any{"password": viewerPassword}, nil)

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
	signIn := func(user, password string) {
		t.Helper()
		step("sign in as "+user, chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#username"),
			chromedp.SetValue("#username", user), chromedp.SetValue("#password", password),
			chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))
	}

	signIn("admin", adminPassword)
	step("open users", chromedp.Navigate(base+"/users"), chromedp.WaitVisible("#user-form"))
	step("fill a new user", chromedp.SetValue("#user-name", "bob"), chromedp.SetValue("#user-email", "bob@example.com"),
		chromedp.Click(`#user-form input[value="Automation User"]`))
	submit("create the user", "#create-user", ".notice")
	if row := text("#user-bob"); !strings.Contains(row, "enabled") {
		t.Fatalf("bob's row: %q", row)
	}
	step("give bob Viewer as well", chromedp.Click(`#user-bob input[value="Viewer"]`))
	submit("set bob's roles", "#user-bob .set-roles", ".notice")
	var bob struct {
		ID    string   `json:"id"`
		Roles []string `json:"roles"`
	}
	var users struct {
		Items []struct{ ID, Name string }
	}
	admin.must(http.StatusOK, "GET", "/api/v1/users", nil, &users)
	for _, u := range users.Items {
		if u.Name == "bob" {
			admin.must(http.StatusOK, "GET", "/api/v1/users/"+u.ID, nil, &bob)
		}
	}
	if strings.Join(bob.Roles, ",") != "Automation User,Viewer" {
		t.Fatalf("bob's roles: %v", bob.Roles)
	}

	step("open the folder's members", chromedp.Navigate(base+"/folders"), chromedp.WaitVisible("a.members"),
		chromedp.Click("a.members"), chromedp.WaitVisible("#member-form"))
	step("choose bob as Folder Administrator", chromedp.SetValue("#member-user", bob.ID), chromedp.SetValue("#member-role", "Folder Administrator"))
	submit("add bob", "#add-member", "#member-bob")
	if row := text("#member-bob"); !strings.Contains(row, "Folder Administrator") {
		t.Fatalf("member row: %q", row)
	}
	submit("remove bob", "#member-bob .remove-member", ".notice")
	if row := text("#member-bob"); row != "" {
		t.Fatalf("bob still a member: %q", row)
	}

	step("back to users", chromedp.Navigate(base+"/users"), chromedp.WaitVisible("#user-bob"))
	submit("disable bob", "#user-bob .disable", ".notice")
	if row := text("#user-bob .status"); row != "disabled" {
		t.Fatalf("bob's status: %q", row)
	}

	step("open roles", chromedp.Navigate(base+"/roles"), chromedp.WaitVisible("#roles"))
	if roles := text("#roles"); !strings.Contains(roles, "Tenant Administrator") || !strings.Contains(roles, "Users.Edit") {
		t.Fatalf("roles page: %.500s", roles)
	}

	step("switch to the folder", chromedp.Navigate(base+"/connections"), chromedp.WaitVisible("#folder-switch"),
		chromedp.SetValue("#folder-switch", folder.ID))
	submit("show the folder", "#switch-folder", "#folder-switch")
	if loc := value(t, ctx, "where", chromedp.Location()); !strings.HasSuffix(loc, "/connections") {
		t.Fatalf("switching folder went to %s", loc)
	}
	if chosen := value(t, ctx, "chosen folder", chromedp.Evaluate[string](`document.querySelector('#folder-switch').value`)); chosen != folder.ID {
		t.Fatalf("switcher shows %q after switching", chosen)
	}
	step("the choice stays", chromedp.Navigate(base+"/assets"), chromedp.WaitVisible("#folder-switch"))
	if chosen := value(t, ctx, "chosen folder", chromedp.Evaluate[string](`document.querySelector('#folder-switch').value`)); chosen != folder.ID {
		t.Fatalf("switcher forgot the folder: %q", chosen)
	}
	step("sign out", chromedp.Submit("#logout"), chromedp.WaitVisible("#username"))

	signIn("vera", viewerPassword)
	for _, p := range []struct{ path, absent string }{
		{"/", `a[href="/users"]`}, {"/", `a[href="/roles"]`}, {"/folders", "a.members"},
	} {
		step("open "+p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible("#logout"))
		if !value(t, ctx, "look for "+p.absent, chromedp.Evaluate[bool](`document.querySelector('`+p.absent+`') === null`)) {
			t.Errorf("a Viewer sees %s on %s", p.absent, p.path)
		}
	}
	// The server refuses what the page does not offer.
	step("open users anyway", chromedp.Navigate(base+"/users"), chromedp.WaitVisible("#problem"))
	if p := text("#problem"); !strings.Contains(p, "permission_denied") {
		t.Fatalf("a Viewer on /users: %q", p)
	}
}
