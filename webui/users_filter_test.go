package webui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

// TestUsersFilters: /users narrows by status and by a role held
// tenant-wide or on a folder, keeps both in its form and pager, and shows
// a refused role beside its control over an empty list.
func TestUsersFilters(t *testing.T) {
	e := newFullEnv(t)
	ctx := context.Background()
	mk := func(name string, roles ...string) *app.UserWithRoles {
		t.Helper()
		u, err := e.app.CreateUser(ctx, e.admin, app.CreateUserInput{Name: name, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mk("vera", junction.RoleViewer)
	walt := mk("walt", junction.RoleViewer)
	xena := mk("xena")
	disabled := true
	if _, err := e.app.UpdateUser(ctx, e.admin, walt.ID, app.UpdateUserInput{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.SetFolderMember(ctx, e.admin, e.folder.ID, xena.ID, []string{junction.RoleAutomationUser}); err != nil {
		t.Fatal(err)
	}
	shown := func(body string, names ...string) {
		t.Helper()
		for _, n := range []string{"vera", "walt", "xena"} {
			want := strings.Contains(strings.Join(names, " "), n)
			if got := strings.Contains(body, `id="user-`+n+`"`); got != want {
				t.Fatalf("%s listed: %v, want %v: %s", n, got, want, body)
			}
		}
	}
	body := e.get("/users?status=active&role="+strings.ReplaceAll(junction.RoleViewer, " ", "+"), http.StatusOK)
	shown(body, "vera")
	for _, want := range []string{`<option value="active" selected>active</option>`,
		`<option value="` + junction.RoleViewer + `" selected>` + junction.RoleViewer + `</option>`, `<label for="user-role">`} {
		if !strings.Contains(body, want) {
			t.Fatalf("form lacks %s: %s", want, body)
		}
	}
	shown(e.get("/users?status=disabled", http.StatusOK), "walt")
	shown(e.get("/users?role=Automation+User", http.StatusOK), "xena")
	shown(e.get("/users?q=x&status=active", http.StatusOK), "xena")

	body = e.get("/users?role=Astronaut", http.StatusUnprocessableEntity)
	shown(body)
	if !strings.Contains(body, `there is no role named &#34;Astronaut&#34; <code>validation_failed</code>`) {
		t.Fatalf("the refused role is not shown: %s", body)
	}
	body = e.get("/users?status=asleep", http.StatusUnprocessableEntity)
	if !strings.Contains(body, `must be active or disabled <code>validation_failed</code>`) {
		t.Fatalf("the refused status is not shown: %s", body)
	}
}
