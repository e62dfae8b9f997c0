package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/cli"
	"junction/keyring"
	"junction/notify/mailtest"
)

// runDoctor runs `junction doctor` with args and env, returning its exit
// code and everything it printed.
func runDoctor(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), append([]string{"doctor"}, args...),
		cli.Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] }})
	return code, out.String()
}

// checkLine returns the line doctor printed for the check named name and
// the fix line under it.
func checkLine(t *testing.T, out, name string) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) > 1 && strings.HasPrefix(strings.TrimSpace(l[len(f[0]):]), name) {
			if i+1 < len(lines) && strings.Contains(lines[i+1], "fix: ") {
				return l + "\n" + lines[i+1]
			}
			return l
		}
	}
	t.Fatalf("no check %q in:\n%s", name, out)
	return ""
}

// TestDoctor: doctor finds an unreachable vault, a wrong master key and a
// stopped database, each in words a person can act on, and exits 1; the
// API's diagnostics report the same vault to the tenant administrator.
func TestDoctor(t *testing.T) {
	const (
		secretID   = "doctor-planted-secret-id-7f3a"
		assetValue = "doctor-planted-asset-value-19c2"
	)
	dataDir := t.TempDir()
	env := map[string]string{envBootstrapToken: testBootstrapToken, "JUNCTION_STORE_ALLOW": "127.0.0.1/32"}
	m, logs := MustRunMain(t, dataDir, "", env)
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Robots"}, &folder)
	api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "erp", "type": "secret", "value": assetValue}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault",
		"config": map[string]string{"address": "https://" + closed, "auth_method": "approle",
			"role_id": "role-1", "secret_id": secretID},
	}, nil)

	t.Run("API", func(t *testing.T) {
		r := api.must(http.StatusOK, "GET", "/api/v1/system/diagnostics", nil, nil)
		var d struct {
			Status string           `json:"status"`
			Checks []junction.Check `json:"checks"`
		}
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatal(err)
		}
		if d.Status != junction.CheckError || len(d.Checks) < 4 {
			t.Fatalf("diagnostics: %s", r.body)
		}
		byName := map[string]junction.Check{}
		for _, c := range d.Checks {
			byName[c.Name] = c
		}
		if byName["database"].Status != junction.CheckOK || byName["database schema"].Status != junction.CheckOK {
			t.Errorf("database checks: %s", r.body)
		}
		vault := byName["credential store corp-vault (hashicorp-vault)"]
		if vault.Status != junction.CheckError || !strings.Contains(vault.Message, closed) || vault.Fix == "" {
			t.Errorf("vault check: %+v", vault)
		}
		assertNoSecret(t, "diagnostics", r.body, []string{secretID, assetValue})
	})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("UnreachableVault", func(t *testing.T) {
		code, out := runDoctor(t, env, "--data-dir", dataDir)
		if code == 0 {
			t.Fatalf("exit 0:\n%s", out)
		}
		for _, name := range []string{"configuration", "database", "database schema", "clock", "master key"} {
			if l := checkLine(t, out, name); !strings.HasPrefix(l, "ok") {
				t.Errorf("%s: %s", name, l)
			}
		}
		l := checkLine(t, out, "credential store default/corp-vault")
		if !strings.HasPrefix(l, "error") || !strings.Contains(l, closed) || !strings.Contains(l, "connection refused") ||
			!strings.Contains(l, "fix: Correct the store's address") {
			t.Errorf("vault: %s", l)
		}
		if !strings.Contains(out, "error: 1 of ") {
			t.Errorf("summary missing:\n%s", out)
		}
		assertNoSecret(t, "doctor output", []byte(out), []string{secretID, assetValue})
	})

	t.Run("WrongMasterKey", func(t *testing.T) {
		wrong := map[string]string{keyring.EnvMasterKey: base64.StdEncoding.EncodeToString(keyring.GenerateKey())}
		code, out := runDoctor(t, wrong, "--data-dir", dataDir)
		if code == 0 {
			t.Fatalf("exit 0:\n%s", out)
		}
		l := checkLine(t, out, "master key")
		if !strings.HasPrefix(l, "error") || !strings.Contains(l, "does not open the database's secrets") ||
			!strings.Contains(l, "restore master.key from your backup") {
			t.Errorf("master key: %s", l)
		}
		if l := checkLine(t, out, "credential stores"); !strings.HasPrefix(l, "warning") || !strings.Contains(l, "not checked") {
			t.Errorf("stores: %s", l)
		}
	})

	t.Run("StoppedDatabase", func(t *testing.T) {
		code, out := runDoctor(t, env, "--data-dir", t.TempDir(),
			"--database", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
		if code == 0 {
			t.Fatalf("exit 0:\n%s", out)
		}
		l := checkLine(t, out, "database")
		if !strings.HasPrefix(l, "error") || !strings.Contains(l, "cannot open the postgres database") ||
			!strings.Contains(l, "fix: Start the database server, or correct --database") {
			t.Errorf("database: %s", l)
		}
	})

	t.Run("ErrConfiguration", func(t *testing.T) {
		code, out := runDoctor(t, env, "--data-dir", dataDir, "--outbound-allow", "not-a-cidr")
		if code == 0 || !strings.HasPrefix(checkLine(t, out, "configuration"), "error") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	assertNoSecret(t, "logs", []byte(logs.String()), []string{secretID, assetValue})
}

// TestDoctorSMTP: doctor holds an SMTP conversation up to the login and
// sends nothing; a server that does not answer is an error naming it.
func TestDoctorSMTP(t *testing.T) {
	mail := mailtest.Start(t)
	dataDir := t.TempDir()
	env := map[string]string{envSMTPPassword: "doctor-smtp-password-4e1b"}
	code, out := runDoctor(t, env, "--data-dir", dataDir,
		"--smtp-url", "smtp://junction@"+mail.SMTPAddr, "--smtp-from", "Junction <junction@example.com>")
	if l := checkLine(t, out, "SMTP"); !strings.HasPrefix(l, "ok") || !strings.Contains(l, "no mail sent") {
		t.Errorf("SMTP: %s", l)
	}
	// A data directory without a database or a key is not an error: serve
	// would create both.
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	code, out = runDoctor(t, env, "--data-dir", dataDir,
		"--smtp-url", "smtp://junction@"+closed, "--smtp-from", "junction@example.com")
	if l := checkLine(t, out, "SMTP"); code == 0 || !strings.HasPrefix(l, "error") || !strings.Contains(l, closed) {
		t.Errorf("exit %d, SMTP: %s", code, l)
	}
	assertNoSecret(t, "doctor output", []byte(out), []string{env[envSMTPPassword]})
}

// TestDoctorPostgres: on PostgreSQL doctor compares the clocks too, and
// reads an empty schema as one serve has yet to create.
func TestDoctorPostgres(t *testing.T) {
	database := postgresURL(t)
	env := map[string]string{envBootstrapToken: testBootstrapToken}
	code, out := runDoctor(t, env, "--data-dir", t.TempDir(), "--database", database)
	if l := checkLine(t, out, "database schema"); code != 0 || !strings.HasPrefix(l, "warning") || !strings.Contains(l, "no Junction schema yet") {
		t.Errorf("exit %d, empty schema: %s", code, l)
	}
	dataDir := t.TempDir()
	m, _ := MustRunMain(t, dataDir, database, env)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	code, out = runDoctor(t, env, "--data-dir", dataDir, "--database", database)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for name, want := range map[string]string{"database schema": "as this Junction expects", "clock": "differ by",
		"master key": "nothing is sealed", "DNS": "no host to resolve"} {
		if l := checkLine(t, out, name); !strings.HasPrefix(l, "ok") || !strings.Contains(l, want) {
			t.Errorf("%s: %s", name, l)
		}
	}
}
