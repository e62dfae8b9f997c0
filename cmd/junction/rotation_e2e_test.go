package main

import (
	"net/http"
	"testing"

	"junction/credstore/vault/vaulttest"
)

// Two servers on one PostgreSQL database: when one finds a vault value
// rotated (its API refused the old one, the vault held a new one), the
// other drops the value from its cache, and its next execution uses the
// new one with no failed attempt and one vault read of its own.
func TestRotationReachesOtherServers_EndToEnd(t *testing.T) {
	const (
		secretID = "e2e-rotation-secret-id-3f0b"
		key1     = "e2e-rotation-key-one-81c4"
		key2     = "e2e-rotation-key-two-d27e"
	)
	dsn := postgresURL(t)
	env := map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_STORE_ALLOW":    "127.0.0.1/32",
	}
	dataDir := t.TempDir() // one master key for both
	m1, logs1 := MustRunMain(t, dataDir, dsn, env)
	m2, logs2 := MustRunMain(t, dataDir, dsn, env)
	api1 := &apiClient{t: t, base: m1.URL(), token: testBootstrapToken}
	api2 := &apiClient{t: t, base: m2.URL(), token: testBootstrapToken}

	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", "role-1", secretID)
	const keyPath = "secret/apps/upstream"
	vs.Put(keyPath, map[string]string{"value": key1})
	upstream := newKeyedAPI(t, key1)

	var store, folder, asset struct {
		ID string `json:"id"`
	}
	api1.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "corp-vault", "type": "hashicorp-vault", "config": map[string]string{
			"address": vs.URL(), "auth_method": "approle", "role_id": "role-1", "secret_id": secretID,
			"data_path": "apps", "ca_cert": vs.CACertPEM(),
		}}, &store)
	api1.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Integrations"}, &folder)
	api1.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "upstream-key", "type": "secret", "store_id": store.ID, "external_name": "upstream",
	}, &asset)
	var conn e2eConnection
	api1.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "http", "name": "upstream", "auth_type": "api_key",
		"fields": map[string]any{
			"base_url": upstream.URL + "/v1", "api_key_in": "header", "api_key_name": "X-API-Key",
			"api_key": map[string]any{"asset_id": asset.ID},
		},
	}, &conn)
	execute := func(api *apiClient) e2eResult {
		t.Helper()
		var res e2eResult
		api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute",
			map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}, &res)
		if res.Status != "succeeded" {
			t.Fatalf("execution %+v\nserver 1:\n%s\nserver 2:\n%s", res, logs1, logs2)
		}
		return res
	}
	// Both servers hold the first key.
	execute(api1)
	execute(api2)
	if n := vs.Reads(keyPath); n != 2 {
		t.Fatalf("%d vault reads to warm two servers, want 2", n)
	}

	vs.Put(keyPath, map[string]string{"value": key2})
	upstream.setKey(key2)
	refused := upstream.callCount()
	if res := execute(api1); res.Attempts != 2 {
		t.Fatalf("the server that finds the rotation: %+v", res)
	}
	refused = upstream.callCount() - refused - 1 // the attempt with the old key
	eventually(t, "the other server to hear of the rotation", func() bool { return m2.resolver.RotationsHeard() >= 1 })
	before := upstream.callCount()
	if res := execute(api2); res.Attempts != 1 {
		t.Fatalf("the other server after the rotation: %+v", res)
	}
	if n := upstream.callCount() - before; n != 1 || refused != 1 {
		t.Fatalf("the API got %d calls from the other server (want 1) and %d refused ones in all (want 1)", n, refused)
	}
	if n := vs.Reads(keyPath); n != 4 {
		t.Fatalf("%d vault reads in all, want 4: one per server to warm, one per server for the new value", n)
	}
}
