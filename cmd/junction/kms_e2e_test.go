package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"junction/cli"
	"junction/credstore/vault/vaulttest"
	"junction/kms"
)

// runMainArgs starts a server with extra serve flags, like MustRunMain.
func runMainArgs(tb testing.TB, dataDir, database string, env map[string]string, args ...string) (*Main, *syncBuffer) {
	tb.Helper()
	logs := &syncBuffer{}
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, logs
	m.Getenv = func(k string) string { return env[k] }
	m.ShutdownTimeout = 10 * time.Second
	if err := m.ParseFlags(append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--database", database}, args...)); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatalf("run: %v\nlogs:\n%s", err, logs)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m, logs
}

// TestMasterKeyKMS_EndToEnd starts the real server with its master key held
// by Vault Transit: the key file holds the key only wrapped, a restart
// unwraps it and opens what was sealed, a rotation moves it to another
// Transit key, the unwrapped key is in neither the database, the key file
// nor the logs, and a Vault that refuses stops the start with a clear error.
func TestMasterKeyKMS_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runMasterKeyKMSScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runMasterKeyKMSScenario(t, postgresURL(t)) })
}

// dumpPostgres returns every row of every table in the schema the DSN's
// search_path names, as JSON text, to be scanned for secrets.
func dumpPostgres(t *testing.T, dsn string) []byte {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var out bytes.Buffer
	for _, table := range tables {
		rows, err := db.Query(`SELECT row_to_json(t)::text FROM "` + schema + `"."` + table + `" t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out.WriteString(row + "\n")
		}
		rows.Close()
	}
	if len(tables) == 0 {
		t.Fatal("the schema has no tables to scan")
	}
	return out.Bytes()
}

func runMasterKeyKMSScenario(t *testing.T, database string) {
	const secretID = "e2e-kms-approle-secret-5d1e"
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.CreateTransitKey("transit", "junction")
	vs.CreateTransitKey("transit", "junction-next")
	vs.SetAppRole("approle", "robot-role", secretID)
	kmsToken := vs.CreateToken(vaulttest.TokenSpec{})
	caFile := filepath.Join(t.TempDir(), "vault-ca.pem")
	if err := os.WriteFile(caFile, []byte(vs.CACertPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	keyURL := func(key string) string { return "hashivault://" + key + "?address=" + vs.URL() }
	env := map[string]string{envBootstrapToken: testBootstrapToken, "VAULT_TOKEN": kmsToken, "JUNCTION_STORE_ALLOW": "127.0.0.1/32"}
	dataDir := filepath.Join(t.TempDir(), "data")
	kmsArgs := []string{"--master-key-kms", keyURL("junction"), "--master-key-kms-ca-file", caFile}

	m, logs := runMainArgs(t, dataDir, database, env, kmsArgs...)
	admin := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var store struct {
		ID string `json:"id"`
	}
	// The AppRole secret ID is sealed with the KMS-held master key.
	admin.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "read_only": true, "config": map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle",
			"role_id": "robot-role", "secret_id": secretID, "engine": "kv-v2", "mount": "secret",
		}}, &store)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	storeWorks := func(m *Main) {
		t.Helper()
		vs.ResetCounts()
		var diag struct {
			OK bool `json:"ok"`
		}
		(&apiClient{t: t, base: m.URL(), token: testBootstrapToken}).must(http.StatusOK, "POST",
			"/api/v1/credential-stores/"+store.ID+"/test", nil, &diag)
		if !diag.OK || vs.Logins("approle") == 0 {
			t.Fatal("the store's sealed secret ID did not open after the restart")
		}
	}
	keyFile := filepath.Join(dataDir, "master.key")

	t.Run("Restart", func(t *testing.T) {
		decrypts := vs.TransitRequests("decrypt", "junction")
		m2, logs2 := runMainArgs(t, dataDir, database, env, kmsArgs...)
		if vs.TransitRequests("decrypt", "junction") != decrypts+1 {
			t.Fatal("the restart did not ask Vault to unwrap the master key once")
		}
		if !strings.Contains(logs2.String(), "master key unwrapped by the KMS") {
			t.Fatalf("logs do not say the master key came from the KMS:\n%s", logs2)
		}
		storeWorks(m2)
		if err := m2.Close(); err != nil {
			t.Fatal(err)
		}
		logs.Write([]byte(logs2.String()))
	})

	t.Run("RotateToAnotherKey", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"rotate-master-key", "--data-dir", dataDir, "--database", database, "--retire",
			"--master-key-kms", keyURL("junction-next"), "--master-key-kms-ca-file", caFile},
			cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if !strings.Contains(out.String(), "wrapped by the KMS key hashivault://junction-next") ||
			!strings.Contains(out.String(), "Re-wrapped 1 sealed values") || !strings.Contains(out.String(), "removed 1 older keys") {
			t.Fatalf("output:\n%s", out.String())
		}
		logs.Write(errOut.Bytes())
		m3, logs3 := runMainArgs(t, dataDir, database, env, "--master-key-kms", keyURL("junction-next"), "--master-key-kms-ca-file", caFile)
		storeWorks(m3)
		if err := m3.Close(); err != nil {
			t.Fatal(err)
		}
		logs.Write([]byte(logs3.String()))
	})

	t.Run("NoKeyAtRest", func(t *testing.T) {
		var kf struct {
			Keys []struct {
				Key     []byte `json:"key"`
				KMS     string `json:"kms"`
				Wrapped []byte `json:"wrapped"`
			} `json:"keys"`
		}
		b, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &kf); err != nil {
			t.Fatal(err)
		}
		secrets := []string{secretID, kmsToken}
		for _, e := range kf.Keys {
			if len(e.Key) != 0 || e.KMS == "" {
				t.Fatal("the key file holds a master key in the clear")
			}
			w, err := kms.Open(context.Background(), e.KMS, kms.Options{CAFile: caFile,
				LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
			if err != nil {
				t.Fatal(err)
			}
			key, err := w.Unwrap(context.Background(), e.Wrapped)
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, string(key))
		}
		if len(secrets) < 3 {
			t.Fatal("no unwrapped master key to look for")
		}
		files, _ := filepath.Glob(filepath.Join(dataDir, "*"))
		if database == "" && !slices.Contains(files, filepath.Join(dataDir, "junction.db")) {
			t.Fatalf("the database is not among the files scanned: %v", files)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, filepath.Base(f), b, secrets)
		}
		if database != "" {
			dump := dumpPostgres(t, database)
			if !bytes.Contains(dump, []byte("corp-vault")) {
				t.Fatal("the database dump misses the credential store")
			}
			assertNoSecret(t, "database", dump, secrets)
		}
		assertNoSecret(t, "logs", []byte(logs.String()), secrets)
	})

	t.Run("ErrVaultRefuses", func(t *testing.T) {
		vs.RevokeToken(kmsToken)
		var errOut bytes.Buffer
		code := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--database", database,
			"--master-key-kms", keyURL("junction-next"), "--master-key-kms-ca-file", caFile},
			cli.Env{Stdout: io.Discard, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
		msg := errOut.String()
		if code == 0 || !strings.Contains(msg, "error: ") || !strings.Contains(msg, "junction-next") ||
			!strings.Contains(msg, "permission denied") || !strings.Contains(msg, "VAULT_TOKEN") {
			t.Fatalf("exit %d: %s", code, msg)
		}
		assertNoSecret(t, "error output", []byte(msg), []string{kmsToken, secretID})
	})

	t.Run("ErrBadURL", func(t *testing.T) {
		m := NewMain()
		m.Getenv = func(string) string { return "" }
		err := m.ParseFlags([]string{"--master-key-kms", "s3kms://bucket"})
		if err == nil || !strings.Contains(err.Error(), "--master-key-kms") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestMasterKeyKMS_FromFileAndBack moves a running deployment's master key
// from the key file into Vault Transit and back with rotate-master-key
// --retire, restarting the server after each move.
func TestMasterKeyKMS_FromFileAndBack(t *testing.T) {
	const secretID = "e2e-kms-move-secret-4b7a"
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.CreateTransitKey("transit", "junction")
	vs.SetAppRole("approle", "robot-role", secretID)
	caFile := filepath.Join(t.TempDir(), "vault-ca.pem")
	if err := os.WriteFile(caFile, []byte(vs.CACertPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{envBootstrapToken: testBootstrapToken, "VAULT_TOKEN": vs.CreateToken(vaulttest.TokenSpec{}), "JUNCTION_STORE_ALLOW": "127.0.0.1/32"}
	dataDir := filepath.Join(t.TempDir(), "data")
	keyFile := filepath.Join(dataDir, "master.key")
	kmsArgs := []string{"--master-key-kms", "hashivault://junction?address=" + vs.URL(), "--master-key-kms-ca-file", caFile}

	m, _ := runMainArgs(t, dataDir, "", env)
	var store struct {
		ID string `json:"id"`
	}
	(&apiClient{t: t, base: m.URL(), token: testBootstrapToken}).must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "read_only": true, "config": map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle",
			"role_id": "robot-role", "secret_id": secretID, "engine": "kv-v2", "mount": "secret",
		}}, &store)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	rotate := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"rotate-master-key", "--data-dir", dataDir, "--retire"}, args...),
			cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
		if code != 0 || !strings.Contains(out.String(), "Re-wrapped 1 sealed values") || !strings.Contains(out.String(), "removed 1 older keys") {
			t.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
		}
	}
	keyFileHoldsKey := func() bool {
		var kf struct {
			Keys []struct {
				Key []byte `json:"key"`
			} `json:"keys"`
		}
		b, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &kf); err != nil || len(kf.Keys) != 1 {
			t.Fatalf("key file: %v, %d keys", err, len(kf.Keys))
		}
		return len(kf.Keys[0].Key) > 0
	}
	storeWorks := func(args ...string) {
		t.Helper()
		m, _ := runMainArgs(t, dataDir, "", env, args...)
		var diag struct {
			OK bool `json:"ok"`
		}
		(&apiClient{t: t, base: m.URL(), token: testBootstrapToken}).must(http.StatusOK, "POST",
			"/api/v1/credential-stores/"+store.ID+"/test", nil, &diag)
		if !diag.OK {
			t.Fatal("the store's sealed secret ID does not open")
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}

	rotate(kmsArgs...)
	if keyFileHoldsKey() {
		t.Fatal("after moving to the KMS the key file still holds a key in the clear")
	}
	storeWorks(kmsArgs...)

	rotate("--master-key-kms-ca-file", caFile)
	if !keyFileHoldsKey() {
		t.Fatal("after moving back the key file holds no key of its own")
	}
	storeWorks()
}
