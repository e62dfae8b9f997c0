package main

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"junction/credstore/vault/vaulttest"
)

// The credential asset scenario against the real server: a robot resolves a
// credential kept in Vault over TLS (AppRole, KV v2); warm resolves cost no
// vault read and cold ones share exactly one; a stopped vault does not stop
// resolution within the hour; refresh picks up a rotation; and neither value
// reaches the database or the logs.
func TestAssets_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runAssetScenario(t, t.TempDir(), "") })
	t.Run("Postgres", func(t *testing.T) { runAssetScenario(t, t.TempDir(), postgresURL(t)) })
}

func runAssetScenario(t *testing.T, dataDir, database string) {
	const (
		secretID  = "e2e-asset-approle-secret-71c4"
		password1 = "e2e-asset-password-one-b52e"
		password2 = "e2e-asset-password-two-0d93"
		path      = "secret/robots/erp"
	)
	// The Vault test server listens on 127.0.0.1, which stores may reach
	// only when the operator allows it.
	env := map[string]string{envBootstrapToken: testBootstrapToken, "JUNCTION_STORE_ALLOW": "127.0.0.1/32"}
	m, logs := MustRunMain(t, dataDir, database, env)
	admin := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}

	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "robot-role", secretID)
	vs.Put(path, map[string]string{"username": "svc-erp", "password": password1})

	var store, folder, asset, robot struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "read_only": true, "config": map[string]string{
			"address": vs.URL(), "ca_cert": vs.CACertPEM(), "auth_method": "approle",
			"role_id": "robot-role", "secret_id": secretID, "engine": "kv-v2", "mount": "secret", "data_path": "robots",
		}}, &store)
	var diag struct {
		OK bool `json:"ok"`
	}
	admin.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+store.ID+"/test", nil, &diag)
	if !diag.OK {
		t.Fatal("store test failed")
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Robots"}, &folder)
	admin.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "erp-login", "type": "credential", "store_id": store.ID, "external_name": "erp",
	}, &asset)
	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "robot-1"}, &robot)
	admin.must(http.StatusOK, "PUT", "/api/v1/folders/"+folder.ID+"/members/"+robot.ID,
		map[string]any{"roles": []string{"Robot"}}, nil)
	var tok struct {
		Token string `json:"token"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/users/"+robot.ID+"/tokens", map[string]any{"name": "unattended"}, &tok)

	type pair struct {
		Type     string `json:"type"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	resolvePath := "/api/v1/assets/" + asset.ID + "/resolve"
	resolveAs := func(c *apiClient, refresh bool) pair {
		t.Helper()
		var p pair
		r := c.must(http.StatusOK, "POST", resolvePath, map[string]any{"refresh": refresh}, &p)
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		return p
	}
	concurrently := func(c *apiClient, n int) {
		t.Helper()
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := c.call("POST", resolvePath, map[string]any{}); r.status != http.StatusOK {
					t.Errorf("concurrent resolve: %d %s", r.status, r.body)
				}
			}()
		}
		wg.Wait()
	}

	robotAPI := &apiClient{t: t, base: m.URL(), token: tok.Token}
	if p := resolveAs(robotAPI, false); p.Type != "credential" || p.Username != "svc-erp" || p.Password != password1 {
		t.Fatalf("resolved %q as %q", p.Type, p.Username)
	}
	if n := vs.Reads(path); n != 1 {
		t.Fatalf("first resolve: %d vault reads, want 1", n)
	}

	t.Run("WarmResolvesReadNothing", func(t *testing.T) {
		concurrently(robotAPI, 50)
		if n := vs.Reads(path); n != 1 {
			t.Fatalf("%d vault reads after 50 warm resolves, want 1", n)
		}
	})

	// A restarted server starts with an empty cache.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	firstLogs := logs.String()
	m, logs = MustRunMain(t, dataDir, database, env)
	robotAPI.base, admin.base = m.URL(), m.URL()

	t.Run("ColdResolvesShareOneRead", func(t *testing.T) {
		before := vs.Reads(path)
		concurrently(robotAPI, 50)
		if n := vs.Reads(path) - before; n != 1 {
			t.Fatalf("%d vault reads for 50 cold resolves, want 1", n)
		}
	})

	t.Run("VaultStoppedServedFromCache", func(t *testing.T) {
		vs.Stop()
		defer func() {
			if err := vs.Start(); err != nil {
				t.Fatal(err)
			}
		}()
		if p := resolveAs(robotAPI, false); p.Password != password1 {
			t.Fatal("stale or missing value with the vault stopped")
		}
		// Forcing a refresh with the vault down names the store, not the secret.
		pr := robotAPI.problem("credential_store_unavailable", "POST", resolvePath, map[string]any{"refresh": true})
		if pr.Status != http.StatusServiceUnavailable {
			t.Fatalf("refresh with the vault down: %+v", pr)
		}
	})

	t.Run("RefreshAfterRotation", func(t *testing.T) {
		vs.Put(path, map[string]string{"username": "svc-erp", "password": password2})
		if p := resolveAs(robotAPI, false); p.Password != password1 {
			t.Fatal("the cached value should still answer until a refresh")
		}
		if p := resolveAs(robotAPI, true); p.Password != password2 {
			t.Fatal("refresh did not return the rotated password")
		}
	})

	t.Run("AuditedWithoutValues", func(t *testing.T) {
		var audit struct {
			Items []struct {
				Action  string `json:"action"`
				ActorID string `json:"actor_id"`
				Outcome string `json:"outcome"`
			} `json:"items"`
		}
		admin.must(http.StatusOK, "GET", "/api/v1/audit?action=asset.resolve&limit=500", nil, &audit)
		ok := 0
		for _, e := range audit.Items {
			if e.ActorID == robot.ID && e.Outcome == "success" {
				ok++
			}
		}
		if ok == 0 {
			t.Fatal("no successful asset.resolve audit entry for the robot")
		}
	})

	secrets := []string{password1, password2, secretID}
	t.Run("NothingAtRest", func(t *testing.T) {
		assertNoSecret(t, "logs", []byte(firstLogs+logs.String()), secrets)
		if database == "" {
			for _, name := range []string{"junction.db", "junction.db-wal"} {
				data, err := os.ReadFile(filepath.Join(dataDir, name))
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				assertNoSecret(t, name, data, secrets)
			}
			return
		}
		dump := pgDump(t, database)
		assertNoSecret(t, "pg_dump", dump, secrets)
	})
}

// pgDump dumps the schema a test database URL points at, or skips when
// pg_dump is not installed.
func pgDump(t *testing.T, database string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Skip("pg_dump is not installed")
	}
	u, err := url.Parse(database)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command(bin, "--dbname", u.String(), "--schema", schema, "--data-only").Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if len(out) == 0 {
		t.Fatal("pg_dump wrote nothing")
	}
	return out
}
