package cli_test

import (
	"strings"
	"testing"

	"junction"
)

func TestUsersSetPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create("users", "create", "vera")
	const good = "a good long passphrase"

	_, _, err := e.runWithStdin("short", "users", "set-password", "vera")
	wantCode(t, err, junction.EINVALID)
	_, _, err = e.runWithStdin("I am vera, really", "users", "set-password", "vera")
	wantCode(t, err, junction.EINVALID)

	out, errOut, err := e.runWithStdin(good+"\n", "users", "set-password", "vera")
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, out+errOut, "Password set")
	wantAbsent(t, good, out, errOut)

	out, errOut, err = e.run("users", "set-password", "vera", "--password-file", writeFile(t, "pw", "another passphrase here\n"))
	if err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, "another passphrase here", out, errOut)
}

// TestUsersListFilters: users list narrows by name, status and role, and
// an unknown status or role is refused as the API refuses it.
func TestUsersListFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create("users", "create", "vera", "--role", junction.RoleViewer)
	walt := e.create("users", "create", "walt", "--role", junction.RoleViewer)
	e.create("users", "create", "xena")
	e.must("users", "update", walt, "--disabled")

	out := e.must("users", "list", "--role", junction.RoleViewer, "--status", "active")
	wantContains(t, out, "vera")
	if strings.Contains(out, "walt") || strings.Contains(out, "xena") {
		t.Fatalf("active viewers:\n%s", out)
	}
	out = e.must("users", "list", "--status", "disabled", "-o", "json")
	if items, _ := wantJSON(t, out)["items"].([]any); len(items) != 1 || !strings.Contains(out, "walt") {
		t.Fatalf("disabled users:\n%s", out)
	}
	out = e.must("users", "list", "--name", "XE")
	if !strings.Contains(out, "xena") || strings.Contains(out, "vera") {
		t.Fatalf("by name:\n%s", out)
	}
	_, _, err := e.run("users", "list", "--status", "asleep")
	wantCode(t, err, junction.EINVALID)
	_, _, err = e.run("users", "list", "--role", "Astronaut")
	wantCode(t, err, junction.EINVALID)
}
