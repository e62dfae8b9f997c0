package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"junction/cli"
	"junction/credstore/credstoretest"
	"junction/credstore/vault/vaulttest"
)

// A store behind a Credentials Proxy resolves while the server itself may
// not reach the vault's address at all: the server's --store-allow admits
// the proxy (127.0.0.2) and not the vault (127.0.0.1), the proxy's admits
// the vault. The vault's login lives on the proxy's side only, and no value,
// login or key reaches the server's database or either process's logs.
func TestCredentialsProxy_ResolveThroughConnection(t *testing.T) {
	const (
		roleID    = "junction-proxied"
		secretID  = "e2e-proxy-approle-secret-6a2f"
		proxyKey  = "e2e-proxy-shared-key-0123456789abcdef"
		apiKey    = "e2e-proxied-upstream-key-4d8e"
		directSID = "e2e-direct-attempt-secret-93b1"
	)
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", roleID, secretID)
	vs.Put("secret/upstream/api-key", map[string]string{"value": apiKey})

	// The proxy, with a certificate for 127.0.0.2 and its stores file.
	dir, ca, proxyArgs := writeProxyFiles(t, vs, roleID)
	proxyEnv := map[string]string{envProxyKey: proxyKey, "VAULT_SECRET_ID": secretID}

	// Without a key (or a client CA) the command refuses to start.
	var stderr bytes.Buffer
	code := run(context.Background(), append([]string{"credentials-proxy"}, proxyArgs...),
		cli.Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(k string) string {
			if k == envProxyKey {
				return ""
			}
			return proxyEnv[k]
		}})
	if code == 0 || !strings.Contains(stderr.String(), "shared key is required") {
		t.Fatalf("credentials-proxy without a key: exit %d, %s", code, stderr.String())
	}

	proxyLogs := &syncBuffer{}
	pm := NewProxyMain()
	pm.Stderr, pm.Getenv, pm.ShutdownTimeout = proxyLogs, func(k string) string { return proxyEnv[k] }, 10*time.Second
	if err := pm.ParseFlags(proxyArgs); err != nil {
		t.Fatal(err)
	}
	if err := pm.Run(context.Background()); err != nil {
		t.Fatalf("run proxy: %v\n%s", err, proxyLogs)
	}
	t.Cleanup(func() { _ = pm.Close() })
	health, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tlsTrusting(ca)}}).Get(pm.URL() + "/healthz")
	if err != nil || health.StatusCode != http.StatusOK {
		t.Fatalf("proxy /healthz: %v", err)
	}
	health.Body.Close()

	dataDir := t.TempDir()
	m, logs := MustRunMain(t, dataDir, "", map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_STORE_ALLOW":    "127.0.0.2/32",
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	type testResult struct {
		OK   bool   `json:"ok"`
		Code string `json:"code"`
	}
	var store struct {
		ID string `json:"id"`
	}

	// The server cannot reach the vault itself.
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "vault-direct", "type": "hashicorp-vault", "config": map[string]string{
			"address": vs.URL(), "auth_method": "approle", "role_id": roleID, "secret_id": directSID, "ca_cert": vs.CACertPEM()},
	}, &store)
	var res testResult
	api.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+store.ID+"/test", nil, &res)
	if res.OK || res.Code != "credential_store_unavailable" {
		t.Fatalf("direct store test: %+v, want credential_store_unavailable", res)
	}

	// A wrong key is the store's login refused.
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "vault-proxied-wrong-key", "type": "credentials-proxy", "config": map[string]string{
			"url": pm.URL(), "store": "team-vault", "ca_cert": ca.CertPEM(), "key": "not-the-" + proxyKey},
	}, &store)
	api.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+store.ID+"/test", nil, &res)
	if res.OK || res.Code != "credential_store_auth_failed" {
		t.Fatalf("wrong-key store test: %+v, want credential_store_auth_failed", res)
	}

	// Through the proxy it resolves; the server holds the proxy's address
	// and key, not the vault's login.
	var proxied struct {
		ID         string   `json:"id"`
		SecretKeys []string `json:"secret_keys"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "vault-proxied", "type": "credentials-proxy", "config": map[string]string{
			"url": pm.URL(), "store": "team-vault", "ca_cert": ca.CertPEM(), "key": proxyKey},
	}, &proxied)
	if strings.Join(proxied.SecretKeys, ",") != "key" {
		t.Fatalf("secret keys of the proxied store: %v", proxied.SecretKeys)
	}
	api.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+proxied.ID+"/test", nil, &res)
	if !res.OK {
		t.Fatalf("proxied store test: %+v", res)
	}
	var folder, asset struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Proxied"}, &folder)
	api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "upstream-proxied", "type": "secret",
		"store_id": proxied.ID, "external_name": "upstream/api-key",
	}, &asset)
	upstream := newKeyedAPI(t, apiKey)
	var conn e2eConnection
	api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{
		"folder_id": folder.ID, "connector": "http", "name": "upstream-proxied", "auth_type": "api_key",
		"fields": map[string]any{
			"base_url": upstream.URL + "/v1", "api_key_in": "header", "api_key_name": "X-API-Key",
			"api_key": map[string]any{"asset_id": asset.ID},
		},
	}, &conn)
	var out e2eResult
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn.ID+"/execute",
		map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}, &out)
	if out.Status != "succeeded" {
		t.Fatalf("execution through the proxy: %+v", out)
	}
	if n := vs.Reads("secret/upstream/api-key"); n != 1 {
		t.Errorf("%d vault reads, want 1", n)
	}

	// A registered proxy, with an address that is down before the one
	// that answers: a store naming it holds only the proxy's store name.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "https://" + ln.Addr().String()
	_ = ln.Close()
	var reg struct {
		ID         string   `json:"id"`
		URLs       []string `json:"urls"`
		SecretKeys []string `json:"secret_keys"`
	}
	created := api.must(http.StatusCreated, "POST", "/api/v1/credential-proxies", map[string]any{
		"name": "dc-east", "urls": []string{down, pm.URL()}, "ca_cert": ca.CertPEM(), "key": proxyKey}, &reg)
	if strings.Contains(string(created.body), proxyKey) || strings.Join(reg.SecretKeys, ",") != "key" || len(reg.URLs) != 2 {
		t.Fatalf("registered proxy: %s", created.body)
	}
	api.must(http.StatusOK, "POST", "/api/v1/credential-proxies/"+reg.ID+"/test", nil, &res)
	if !res.OK {
		t.Fatalf("proxy test: %+v", res)
	}
	var viaReg struct {
		ID         string            `json:"id"`
		Type       string            `json:"type"`
		ProxyID    string            `json:"proxy_id"`
		Config     map[string]string `json:"config"`
		SecretKeys []string          `json:"secret_keys"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
		"name": "vault-via-dc-east", "proxy_id": reg.ID, "config": map[string]string{"store": "team-vault"}}, &viaReg)
	if viaReg.Type != "credentials-proxy" || viaReg.ProxyID != reg.ID || len(viaReg.SecretKeys) != 0 || len(viaReg.Config) != 1 {
		t.Fatalf("store through the registered proxy: %+v", viaReg)
	}
	api.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+viaReg.ID+"/test", nil, &res)
	if !res.OK {
		t.Fatalf("store through the registered proxy, test: %+v", res)
	}
	var asset2 struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "upstream-dc-east", "type": "secret",
		"store_id": viaReg.ID, "external_name": "upstream/api-key",
	}, &asset2)
	var conn2 e2eConnection
	api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{
		"folder_id": folder.ID, "connector": "http", "name": "upstream-dc-east", "auth_type": "api_key",
		"fields": map[string]any{
			"base_url": upstream.URL + "/v1", "api_key_in": "header", "api_key_name": "X-API-Key",
			"api_key": map[string]any{"asset_id": asset2.ID},
		},
	}, &conn2)
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+conn2.ID+"/execute",
		map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}, &out)
	if out.Status != "succeeded" {
		t.Fatalf("execution through the registered proxy: %+v", out)
	}
	api.must(http.StatusConflict, "DELETE", "/api/v1/credential-proxies/"+reg.ID, nil, nil)

	// The same through the command line, the proxy and the store named
	// by name.
	if err := os.WriteFile(filepath.Join(dir, "proxy-key.txt"), []byte(proxyKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	junctionCLI := func(args ...string) (int, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(args, "--server", m.URL(), "--token", testBootstrapToken),
			cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		return code, out.String() + errOut.String()
	}
	for _, args := range [][]string{
		{"credential-proxies", "add", "dc-west", "--url", pm.URL(), "--ca-file", filepath.Join(dir, "proxy-ca.pem"), "--key", "@" + filepath.Join(dir, "proxy-key.txt")},
		{"credential-proxies", "list"},
		{"credential-proxies", "show", "dc-west"},
		{"credential-proxies", "test", "dc-west"},
		{"stores", "create", "vault-via-dc-west", "--proxy", "dc-west", "--config", "store=team-vault"},
		{"stores", "test", "vault-via-dc-west"},
		{"credential-proxies", "update", "dc-west", "--key", "@" + filepath.Join(dir, "proxy-key.txt"), "--url", pm.URL()},
		{"stores", "test", "vault-via-dc-west"},
	} {
		code, out := junctionCLI(args...)
		if code != 0 {
			t.Fatalf("junction %s: exit %d: %s", strings.Join(args, " "), code, out)
		}
		if strings.Contains(out, proxyKey) {
			t.Fatalf("junction %s printed the proxy's key", strings.Join(args, " "))
		}
	}
	if code, out := junctionCLI("credential-proxies", "delete", "dc-west"); code == 0 || !strings.Contains(out, "conflict") {
		t.Fatalf("deleting a proxy a store goes through: exit %d: %s", code, out)
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pm.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(proxyLogs.String(), "credentials proxy call") {
		t.Errorf("the proxy logged no call:\n%s", proxyLogs)
	}
	secrets := []string{apiKey, secretID, proxyKey, directSID}
	assertNoSecretAtRest(t, dataDir, logs.String()+proxyLogs.String(), secrets)
	// The vault's login never reached the server, not even sealed: its
	// store holds the proxy's key only.
	if strings.Contains(logs.String(), roleID) {
		t.Errorf("the server's log names the vault's role")
	}
}

// writeProxyFiles writes a Credentials Proxy's certificate for 127.0.0.2,
// its key, and a stores file serving vs as "team-vault" through an AppRole
// login whose secret ID comes from VAULT_SECRET_ID; it returns the
// directory, the CA of the proxy's certificate, and the proxy's arguments.
func writeProxyFiles(t *testing.T, vs *vaulttest.Server, roleID string) (string, *credstoretest.CA, []string) {
	t.Helper()
	dir := t.TempDir()
	ca, err := credstoretest.NewCA("Junction proxy CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueServer("127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"proxy.crt":    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})),
		"proxy.key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		"vault-ca.pem": vs.CACertPEM(),
		"proxy-ca.pem": ca.CertPEM(),
		"stores.yaml":  proxyStoresFile(vs.URL(), roleID, filepath.Join(dir, "vault-ca.pem")),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ca, []string{"--listen", "127.0.0.2:0", "--tls-cert", filepath.Join(dir, "proxy.crt"),
		"--tls-key", filepath.Join(dir, "proxy.key"), "--stores", filepath.Join(dir, "stores.yaml"), "--store-allow", "127.0.0.1/32"}
}

// proxyStoresFile is a stores file serving one Vault as "team-vault".
func proxyStoresFile(vaultURL, roleID, caFile string) string {
	return `stores:
  team-vault:
    type: hashicorp-vault
    config:
      address: ` + vaultURL + `
      auth_method: approle
      role_id: ` + roleID + `
    config_env:
      secret_id: VAULT_SECRET_ID
    config_files:
      ca_cert: ` + caFile + "\n"
}

// tlsTrusting is a client TLS configuration trusting only ca.
func tlsTrusting(ca *credstoretest.CA) *tls.Config {
	return &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
}
