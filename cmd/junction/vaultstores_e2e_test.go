package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/credstore/beyondtrust/beyondtrusttest"
	"junction/credstore/conjur/conjurtest"
	"junction/credstore/delinea/delineatest"
	"junction/credstore/gcpsm/gcpsmtest"
)

// An asset kept in each of CyberArk Conjur, Google Secret Manager, Delinea
// Secret Server and BeyondTrust Password Safe (a managed account)
// reaches an API through a connection; a rotation in the vault costs one
// vault read and one repeated attempt, no failed execution; and neither the
// vault logins nor the values are in the database or the logs.
func TestVaultStores_ResolveThroughConnection(t *testing.T) {
	const (
		conjurKey1 = "e2e-conjur-upstream-key-one-4b7e"
		conjurKey2 = "e2e-conjur-upstream-key-two-91c3"
		gsmKey1    = "e2e-gsm-upstream-key-one-0d5a"
		gsmKey2    = "e2e-gsm-upstream-key-two-6f28"
		ssKey1     = "e2e-ss-upstream-key-one-3a8c"
		ssKey2     = "e2e-ss-upstream-key-two-c61d"
		ssLogin    = "e2e-ss-app-login-pw-55e0"
		variable   = "prod/upstream/api-key"
		gsmSecret  = "upstream-api-key"
		ssSecret   = "Upstream API key"
		btKey1     = "e2e-bt-upstream-key-one-7e4d"
		btKey2     = "e2e-bt-upstream-key-two-19fa"
		btAPIKey   = "e2e-bt-registration-key-c08b2f"
	)
	dataDir := t.TempDir()
	m, logs := MustRunMain(t, dataDir, "", map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_STORE_ALLOW":    "127.0.0.1/32",
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}

	conjurSrv := conjurtest.New(t, "myorg", junction.SystemClock{})
	conjurAPIKey := conjurSrv.AddHost("host/junction/e2e")
	conjurSrv.Set(variable, conjurKey1)

	gsmSrv := gcpsmtest.New(t, "acme-e2e")
	saKey := gsmSrv.NewServiceAccount(t, "junction-e2e")
	gsmSrv.AddVersion(gsmSecret, []byte(gsmKey1))
	var sa struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(saKey), &sa); err != nil {
		t.Fatal(err)
	}
	// One line of the PEM body stands for the whole private key.
	privateKeyLine := strings.Split(sa.PrivateKey, "\n")[3]

	ssSrv := delineatest.New(t, junction.SystemClock{})
	ssSrv.SetUser("svc-junction", ssLogin)
	ssSrv.Put(ssSecret, "", ssKey1)

	btSrv := beyondtrusttest.New(t, btAPIKey, "junction-api")
	btSrv.PutAccount("upstream-api", "svc_junction", btKey1)

	var folder struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Vaults"}, &folder)

	for _, tc := range []struct {
		name, storeType, externalName string
		config                        map[string]string
		key1, key2                    string
		rotate                        func(string)
		reads                         func() int
	}{
		{
			name: "Conjur", storeType: "cyberark-conjur", externalName: variable,
			config: map[string]string{"url": conjurSrv.URL(), "account": "myorg", "login": "host/junction/e2e",
				"api_key": conjurAPIKey, "ca_cert": conjurSrv.CACertPEM()},
			key1: conjurKey1, key2: conjurKey2,
			rotate: func(v string) { conjurSrv.Set(variable, v) },
			reads:  func() int { return conjurSrv.Reads(variable) },
		},
		{
			name: "GoogleSecretManager", storeType: "gcp-secret-manager", externalName: gsmSecret,
			config: map[string]string{"project": "acme-e2e", "credentials_json": saKey,
				"endpoint": gsmSrv.URL(), "ca_cert": gsmSrv.CACertPEM()},
			key1: gsmKey1, key2: gsmKey2,
			rotate: func(v string) { gsmSrv.AddVersion(gsmSecret, []byte(v)) },
			reads:  func() int { return gsmSrv.Count("access") },
		},
		{
			name: "DelineaSecretServer", storeType: "delinea-secret-server", externalName: `\Integrations\` + ssSecret,
			config: map[string]string{"url": ssSrv.URL(), "username": "svc-junction", "password": ssLogin,
				"ca_cert": ssSrv.CACertPEM()},
			key1: ssKey1, key2: ssKey2,
			rotate: func(v string) { ssSrv.Put(ssSecret, "", v) },
			reads:  func() int { return ssSrv.Count("get") },
		},
		{
			name: "BeyondTrustPasswordSafe", storeType: "beyondtrust-password-safe", externalName: "managed:upstream-api/svc_junction",
			config: map[string]string{"url": btSrv.URL(), "api_key": btAPIKey, "runas": "junction-api",
				"ca_cert": btSrv.CACertPEM()},
			key1: btKey1, key2: btKey2,
			rotate: func(v string) { btSrv.PutAccount("upstream-api", "svc_junction", v) },
			reads:  func() int { return btSrv.Count("credentials") },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var store, asset struct {
				ID string `json:"id"`
			}
			api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
				"name": "corp-" + strings.ToLower(tc.name), "type": tc.storeType, "config": tc.config,
			}, &store)
			var check struct {
				OK bool `json:"ok"`
			}
			api.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+store.ID+"/test", nil, &check)
			if !check.OK {
				t.Fatalf("store test failed")
			}
			api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
				"folder_id": folder.ID, "name": "upstream-" + strings.ToLower(tc.name), "type": "secret",
				"store_id": store.ID, "external_name": tc.externalName,
			}, &asset)
			upstream := newKeyedAPI(t, tc.key1)
			var conn e2eConnection
			api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{
				"folder_id": folder.ID, "connector": "http", "name": "upstream-" + strings.ToLower(tc.name), "auth_type": "api_key",
				"fields": map[string]any{
					"base_url": upstream.URL + "/v1", "api_key_in": "header", "api_key_name": "X-API-Key",
					"api_key": map[string]any{"asset_id": asset.ID},
				},
			}, &conn)
			execPath := "/api/v1/connections/" + conn.ID + "/execute"
			get := map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}

			var res e2eResult
			api.must(http.StatusOK, "POST", execPath, get, &res)
			if res.Status != "succeeded" || res.Attempts != 1 {
				t.Fatalf("first execution: %+v", res)
			}
			before := tc.reads()
			tc.rotate(tc.key2)
			upstream.setKey(tc.key2)
			api.must(http.StatusOK, "POST", execPath, get, &res)
			if res.Status != "succeeded" || res.Attempts != 2 {
				t.Fatalf("after rotation: %+v", res)
			}
			if n := tc.reads() - before; n != 1 {
				t.Fatalf("%d vault reads for the rotation, want 1", n)
			}
		})
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoSecretAtRest(t, dataDir, logs.String(),
		[]string{conjurAPIKey, privateKeyLine, ssLogin, conjurKey1, conjurKey2, gsmKey1, gsmKey2, ssKey1, ssKey2, btAPIKey, btKey1, btKey2})
	if n := btSrv.OpenRequests(); n != 0 {
		t.Errorf("%d Password Safe requests left open", n)
	}
}
