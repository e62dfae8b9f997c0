package cli_test

import (
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
