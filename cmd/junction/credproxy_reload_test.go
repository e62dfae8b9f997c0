package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"junction/credstore/vault/vaulttest"
)

// The proxy re-reads its key file and stores file on a hangup: a second
// key is accepted at once, the first dropped by the next reload, a renamed
// store served under its new name; a key file that does not validate is
// logged without its content and changes nothing; a renewed TLS
// certificate is served to the connections made after the reload.
func TestCredentialsProxy_Reload(t *testing.T) {
	const (
		roleID   = "junction-reloaded"
		secretID = "e2e-reload-approle-secret-5c0e"
		oldKey   = "e2e-reload-old-shared-key-83f1b6c2d9a4"
		newKey   = "e2e-reload-new-shared-key-2a7e94d0c5b8"
		shortKey = "e2e-short-key-61d3"
	)
	vs := vaulttest.New(t, vaulttest.Options{})
	vs.SetAppRole("approle", roleID, secretID)
	vs.Put("secret/upstream/api-key", map[string]string{"value": "reloaded-value-47b2"})
	dir, ca, args := writeProxyFiles(t, vs, roleID)
	keyFile := filepath.Join(dir, "proxy-keys.txt")
	writeFile := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("proxy-keys.txt", "# the key in use\n"+oldKey+"\n")

	logs := &syncBuffer{}
	pm := NewProxyMain()
	env := map[string]string{"VAULT_SECRET_ID": secretID}
	pm.Stderr, pm.Getenv, pm.ShutdownTimeout = logs, func(k string) string { return env[k] }, 10*time.Second
	if err := pm.ParseFlags(append(args, "--key-file", keyFile)); err != nil {
		t.Fatal(err)
	}
	if err := pm.Run(context.Background()); err != nil {
		t.Fatalf("run proxy: %v\n%s", err, logs)
	}
	t.Cleanup(func() { _ = pm.Close() })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsTrusting(ca)}}
	call := func(key, path, body string) int {
		t.Helper()
		req, err := http.NewRequest("POST", pm.URL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	read := func(key, store string) int {
		return call(key, "/v1/stores/"+store+"/read", `{"kind":"secret","name":"upstream/api-key"}`)
	}
	// hangup delivers one SIGHUP through ReloadOn, as the command's signal
	// handler does, and returns once that reload is done.
	hangup := func() {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		hangups, done := make(chan os.Signal), make(chan struct{})
		go func() {
			defer close(done)
			pm.ReloadOn(ctx, hangups)
		}()
		hangups <- syscall.SIGHUP
		cancel()
		<-done
	}

	if got := read(oldKey, "team-vault"); got != http.StatusOK {
		t.Fatalf("read with the key: %d", got)
	}
	if got := call(newKey, "/v1/ping", ""); got != http.StatusUnauthorized {
		t.Fatalf("ping with a key not yet added: %d", got)
	}

	// Add the new key: both are accepted.
	writeFile("proxy-keys.txt", oldKey+"\n"+newKey+"\n")
	hangup()
	for _, key := range []string{oldKey, newKey} {
		if got := call(key, "/v1/ping", ""); got != http.StatusNoContent {
			t.Fatalf("ping with one of two keys: %d\n%s", got, logs)
		}
	}

	// A key too short: the reload fails, the two keys stay.
	writeFile("proxy-keys.txt", newKey+"\n"+shortKey+"\n")
	if err := pm.Reload(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Reload with a short key: %v", err)
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Errorf("the failed reload was not logged:\n%s", logs)
	}
	if got := call(oldKey, "/v1/ping", ""); got != http.StatusNoContent {
		t.Fatalf("ping with the old key after a failed reload: %d", got)
	}

	// Drop the old key and rename the store.
	writeFile("proxy-keys.txt", newKey+"\n")
	writeFile("stores.yaml", strings.Replace(proxyStoresFile(vs.URL(), roleID, filepath.Join(dir, "vault-ca.pem")),
		"team-vault:", "team-vault-2:", 1))
	hangup()
	if got := read(oldKey, "team-vault-2"); got != http.StatusUnauthorized {
		t.Fatalf("read with the dropped key: %d", got)
	}
	if got := read(newKey, "team-vault"); got != http.StatusUnprocessableEntity {
		t.Fatalf("read of the store renamed away: %d", got)
	}
	if got := read(newKey, "team-vault-2"); got != http.StatusOK {
		t.Fatalf("read of the renamed store: %d\n%s", got, logs)
	}
	// A renewed certificate is served to new connections, and a
	// certificate that does not load keeps the one in use.
	served := func() *big.Int {
		t.Helper()
		conn, err := tls.Dial("tcp", strings.TrimPrefix(pm.URL(), "https://"), tlsTrusting(ca))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber
	}
	before := served()
	renewed, err := ca.IssueServer("127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(renewed.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile("proxy.crt", "not a certificate")
	if err := pm.Reload(); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("Reload with a broken certificate: %v", err)
	}
	if served().Cmp(before) != 0 {
		t.Fatal("a certificate that does not load replaced the one in use")
	}
	writeFile("proxy.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: renewed.Certificate[0]})))
	writeFile("proxy.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	hangup()
	if after := served(); after.Cmp(before) == 0 {
		t.Fatal("the renewed certificate is not served after a reload")
	}
	if got := read(newKey, "team-vault-2"); got != http.StatusOK {
		t.Fatalf("read after the certificate was renewed: %d", got)
	}

	if err := pm.Close(); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{oldKey, newKey, shortKey, secretID, "reloaded-value-47b2"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the proxy's log holds a secret (%d characters)", len(secret))
		}
	}
}
