package credproxy_test

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credproxy"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/credstore/vault/vaulttest"
)

const (
	roleID   = "junction-role"
	secretID = "approle-secret-id-proxy-5d21"
	proxyKey = "proxy-shared-key-3f9a6c1e0b7d"
	storeRef = "team-vault"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newVault(t testing.TB) (*vaulttest.Server, *credstoretest.Clock) {
	t.Helper()
	clock := credstoretest.NewClock(t0)
	srv := vaulttest.New(t, vaulttest.Options{Clock: clock})
	srv.SetAppRole("approle", roleID, secretID)
	return srv, clock
}

// vaultDefinition is the proxy's definition of the Vault test server: the
// AppRole login lives here only.
func vaultDefinition(srv *vaulttest.Server) credproxy.Definition {
	return credproxy.Definition{Type: vault.TypeName, Config: map[string]string{
		"address": srv.URL(), "auth_method": vault.AuthAppRole, "ca_cert": srv.CACertPEM(),
		"role_id": roleID, "secret_id": secretID, "data_path": "junction",
	}}
}

// proxy is a Credentials Proxy under test, serving over real TLS.
type proxy struct {
	srv    *credstoretest.TLSServer
	server *credproxy.Server
	logs   *credstoretest.LogBuffer
}

func (p *proxy) URL() string { return p.srv.URL() }

type proxyConfig struct {
	clock     junction.Clock
	key       string
	keys      []string          // more keys, accepted besides key
	clientCAs *credstoretest.CA // set: require a client certificate from this CA
	stores    map[string]credproxy.Definition
}

func startProxy(t *testing.T, c proxyConfig) *proxy {
	t.Helper()
	logger, logs := credstoretest.NewLogger()
	var keys []junction.Secret
	for _, k := range append([]string{c.key}, c.keys...) {
		if k != "" {
			keys = append(keys, junction.NewSecret(k))
		}
	}
	s, err := credproxy.NewServer(credproxy.ServerOptions{
		Stores: c.stores, Types: map[string]junction.CredentialStoreType{vault.TypeName: vault.Type},
		Keys: keys, ClientCertificates: c.clientCAs != nil,
		Allow: credstoretest.Loopback, Timeout: 10 * time.Second, Clock: c.clock, Logger: logger,
	})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var tc credstoretest.TLSServerConfig
	if c.clientCAs != nil {
		tc = credstoretest.TLSServerConfig{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: c.clientCAs.Pool()}
	}
	return &proxy{srv: credstoretest.NewTLSServer(t, s.Handler(), tc), server: s, logs: logs}
}

func clientConfig(p *proxy, key string) map[string]string {
	return map[string]string{"url": p.URL(), "store": storeRef, "ca_cert": p.srv.CACertPEM(), "key": key}
}

func openClient(t *testing.T, config map[string]string) (*credproxy.Store, *credstoretest.LogBuffer) {
	t.Helper()
	logger, logs := credstoretest.NewLogger()
	s, err := credproxy.Open(config, junction.CredentialStoreOptions{Name: "vault via proxy", Logger: logger,
		Timeout: 10 * time.Second, Allow: credstoretest.Loopback})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, logs
}

// harness runs the conformance suite against a Vault reached through a
// proxy: each store gets a proxy of its own, as a proxy started after the
// vault's login changed would.
type harness struct {
	srv   *vaulttest.Server
	clock *credstoretest.Clock
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	p := startProxy(t, proxyConfig{clock: h.clock, key: proxyKey, stores: map[string]credproxy.Definition{storeRef: vaultDefinition(h.srv)}})
	s, err := credproxy.Open(clientConfig(p, proxyKey), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.Put("secret/junction/"+name, map[string]string{"username": v.Username, "password": v.Value.Reveal()})
		return
	}
	h.srv.Put("secret/junction/"+name, map[string]string{"value": v.Value.Reveal()})
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.Delete("secret/junction/" + name) }

func (h *harness) SetUnavailable(t *testing.T, down bool) {
	if down {
		h.srv.Stop()
		return
	}
	if err := h.srv.Start(); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) SetLoginInvalid(t *testing.T, invalid bool) {
	if invalid {
		h.srv.SetAppRole("approle", roleID, "rotated-away")
	} else {
		h.srv.SetAppRole("approle", roleID, secretID)
	}
}

func TestConformance(t *testing.T) {
	srv, clock := newVault(t)
	credstoretest.Run(t, &harness{srv: srv, clock: clock})
}

// The value read through the proxy keeps the lifetime the vault gave it,
// and neither the proxy's log nor the client's holds the value or the
// vault's login.
func TestRead_ValidForAndNoLeak(t *testing.T) {
	srv, clock := newVault(t)
	const value = "leased-value-through-proxy-8e1f"
	srv.PutJSON("secret/junction/leased", map[string]any{"value": value, "ttl": "10m"})
	p := startProxy(t, proxyConfig{clock: clock, key: proxyKey, stores: map[string]credproxy.Definition{storeRef: vaultDefinition(srv)}})
	s, clientLogs := openClient(t, clientConfig(p, proxyKey))
	v, err := s.Read(t.Context(), junction.KindSecret, "leased")
	if err != nil {
		t.Fatal(err)
	}
	if v.Value.Reveal() != value || v.ValidFor != 10*time.Minute {
		t.Fatalf("read valid for %s (value equal: %v), want 10m", v.ValidFor, v.Value.Reveal() == value)
	}
	if !strings.Contains(p.logs.String(), "credentials proxy call") {
		t.Errorf("the proxy logged no call:\n%s", p.logs.String())
	}
	secrets := []junction.Secret{junction.NewSecret(value), junction.NewSecret(secretID), junction.NewSecret(proxyKey)}
	credstoretest.AssertNoLeak(t, "proxy logs", p.logs.String(), secrets...)
	credstoretest.AssertNoLeak(t, "client logs", clientLogs.String(), secrets...)
}

// A wrong key is Junction's login refused: the vault is never asked.
func TestRead_ErrWrongKey(t *testing.T) {
	srv, clock := newVault(t)
	srv.Put("secret/junction/guarded", map[string]string{"value": "guarded-value-1c7b"})
	p := startProxy(t, proxyConfig{clock: clock, key: proxyKey, stores: map[string]credproxy.Definition{storeRef: vaultDefinition(srv)}})
	s, _ := openClient(t, clientConfig(p, "not-"+proxyKey))
	_, err := s.Read(t.Context(), junction.KindSecret, "guarded")
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Read with a wrong key: %v, want %s", err, junction.ECREDSTOREAUTH)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(proxyKey), junction.NewSecret("not-"+proxyKey))
	if n := srv.Reads("secret/junction/guarded"); n != 0 {
		t.Errorf("the vault was read %d times for a refused caller", n)
	}
	if !strings.Contains(p.logs.String(), "wrong or missing key") {
		t.Errorf("the proxy did not log the refusal:\n%s", p.logs.String())
	}
	credstoretest.AssertNoLeak(t, "proxy logs", p.logs.String(), junction.NewSecret(proxyKey), junction.NewSecret("not-"+proxyKey))
}

// With mutual TLS the client certificate authenticates Junction; without
// one the proxy refuses the connection.
func TestMutualTLS(t *testing.T) {
	srv, clock := newVault(t)
	srv.Put("secret/junction/mtls", map[string]string{"value": "mtls-value-2a9d"})
	clientCA, err := credstoretest.NewCA("Junction proxy clients")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, _, err := clientCA.IssueClient("junction-server")
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, proxyConfig{clock: clock, clientCAs: clientCA, stores: map[string]credproxy.Definition{storeRef: vaultDefinition(srv)}})

	t.Run("OK", func(t *testing.T) {
		cfg := clientConfig(p, "")
		cfg["client_cert"], cfg["client_key"] = certPEM, keyPEM
		s, _ := openClient(t, cfg)
		v, err := s.Read(t.Context(), junction.KindSecret, "mtls")
		if err != nil || v.Value.Reveal() != "mtls-value-2a9d" {
			t.Fatalf("Read over mutual TLS: %v", err)
		}
	})
	t.Run("ErrNoCertificate", func(t *testing.T) {
		s, _ := openClient(t, clientConfig(p, "some-key-but-no-certificate"))
		err := s.Check(t.Context())
		if c := junction.ErrorCode(err); c != junction.ECREDSTOREAUTH && c != junction.ECREDSTOREUNAVAILABLE {
			t.Fatalf("Check without a client certificate: %v", err)
		}
		if srv.Reads("secret/junction/mtls") != 1 {
			t.Errorf("the vault was read for a caller without a certificate")
		}
	})
}

// Several addresses serve one store: one that cannot be reached, and one
// that fails, make the next one answer.
func TestFailover(t *testing.T) {
	srv, clock := newVault(t)
	srv.Put("secret/junction/ha", map[string]string{"value": "ha-value-6b0e"})
	p := startProxy(t, proxyConfig{clock: clock, key: proxyKey, stores: map[string]credproxy.Definition{storeRef: vaultDefinition(srv)}})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	_ = ln.Close()
	broken := credstoretest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream exploded", http.StatusBadGateway)
	}), credstoretest.TLSServerConfig{})

	cfg := clientConfig(p, proxyKey)
	cfg["url"] = closed + ", " + broken.URL() + "," + p.URL()
	cfg["ca_cert"] = broken.CACertPEM() + p.srv.CACertPEM()
	s, _ := openClient(t, cfg)
	v, err := s.Read(t.Context(), junction.KindSecret, "ha")
	if err != nil || v.Value.Reveal() != "ha-value-6b0e" {
		t.Fatalf("Read through the third address: %v", err)
	}

	// All down: the store is unavailable, so the resolver's outage rules
	// apply.
	p.srv.Stop()
	_, err = s.Read(t.Context(), junction.KindSecret, "ha")
	if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE {
		t.Fatalf("Read with every proxy down: %v", err)
	}
}

func TestStoreErrors(t *testing.T) {
	srv, clock := newVault(t)
	ro := vaultDefinition(srv)
	ro.ReadOnly = true
	p := startProxy(t, proxyConfig{clock: clock, key: proxyKey, stores: map[string]credproxy.Definition{storeRef: ro}})

	t.Run("ErrReadOnly", func(t *testing.T) {
		s, _ := openClient(t, clientConfig(p, proxyKey))
		err := s.Write(t.Context(), junction.KindSecret, "x", junction.StoredSecret{Value: junction.NewSecret("w-3e1d")})
		if junction.ErrorCode(err) != junction.ECREDSTOREREADONLY {
			t.Fatalf("Write to a read-only store: %v", err)
		}
	})
	t.Run("ErrUnknownStore", func(t *testing.T) {
		cfg := clientConfig(p, proxyKey)
		cfg["store"] = "no-such-store"
		s, _ := openClient(t, cfg)
		err := s.Check(t.Context())
		var e *junction.Error
		if junction.ErrorCode(err) != junction.EINVALID || !asError(err, &e) || e.Field != "store" {
			t.Fatalf("Check of an unknown store: %v", err)
		}
	})
}

func TestOpen_Validation(t *testing.T) {
	base := map[string]string{"url": "https://proxy.internal:8443", "store": storeRef, "key": proxyKey}
	for _, tc := range []struct {
		name, field string
		change      map[string]string
	}{
		{"NoURL", "url", map[string]string{"url": ""}},
		{"PlainHTTP", "url", map[string]string{"url": "http://proxy.internal"}},
		{"BadStore", "store", map[string]string{"store": "a/b"}},
		{"NoAuth", "key", map[string]string{"key": ""}},
		{"CertWithoutKey", "client_cert", map[string]string{"client_cert": "x"}},
		{"Unknown", "address", map[string]string{"address": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			for k, v := range tc.change {
				if v == "" {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			_, err := credproxy.Open(cfg, junction.CredentialStoreOptions{Name: "p"})
			var e *junction.Error
			if !asError(err, &e) || e.Code != junction.EINVALID || e.Field != tc.field {
				t.Fatalf("Open: %v, want validation_failed on %s", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(proxyKey))
		})
	}
}

func TestNewServer_RefusesWithoutKey(t *testing.T) {
	srv, _ := newVault(t)
	_, err := credproxy.NewServer(credproxy.ServerOptions{
		Stores: map[string]credproxy.Definition{storeRef: vaultDefinition(srv)},
		Types:  map[string]junction.CredentialStoreType{vault.TypeName: vault.Type},
	})
	if err == nil {
		t.Fatal("NewServer without a key or client certificates succeeded")
	}
}

func TestNewServer_BadDefinition(t *testing.T) {
	d := credproxy.Definition{Type: vault.TypeName, Config: map[string]string{"address": "https://v", "auth_method": "approle",
		"role_id": "r", "secret_id": "secret-login-never-shown-4d2c", "bogus": "x"}}
	_, err := credproxy.NewServer(credproxy.ServerOptions{
		Stores: map[string]credproxy.Definition{storeRef: d}, Keys: []junction.Secret{junction.NewSecret(proxyKey)},
		Types: map[string]junction.CredentialStoreType{vault.TypeName: vault.Type},
	})
	if err == nil || !strings.Contains(err.Error(), "config.bogus") {
		t.Fatalf("NewServer: %v, want the unknown key named", err)
	}
	if strings.Contains(err.Error(), "secret-login-never-shown-4d2c") {
		t.Fatal("the error shows a login")
	}
}

func TestLoadDefinitions(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, []byte("PEM DATA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "stores.yaml")
	body := `stores:
  team-vault:
    type: hashicorp-vault
    config:
      address: https://vault.internal:8200
      auth_method: approle
      role_id: junction
    config_env:
      secret_id: VAULT_SECRET_ID
    config_files:
      ca_cert: ` + caFile + "\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VAULT_SECRET_ID": "from-env-9c3b"}
	defs, err := credproxy.LoadDefinitions(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d := defs["team-vault"]
	if d.Type != "hashicorp-vault" || d.Config["secret_id"] != "from-env-9c3b" || d.Config["ca_cert"] != "PEM DATA" || d.Config["role_id"] != "junction" {
		t.Fatalf("definition: %+v", d.Type)
	}

	t.Run("ErrMissingEnv", func(t *testing.T) {
		_, err := credproxy.LoadDefinitions(file, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "VAULT_SECRET_ID") {
			t.Fatalf("LoadDefinitions: %v", err)
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(bad, []byte("stores:\n  a:\n    type: x\n    secrets: {}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := credproxy.LoadDefinitions(bad, os.Getenv); err == nil {
			t.Fatal("an unknown field was accepted")
		}
	})
}

func asError(err error, target **junction.Error) bool { return errors.As(err, target) }

// Without a store name the store proves only the proxy reachable and
// Junction accepted; it cannot read.
func TestPing(t *testing.T) {
	srv, clock := newVault(t)
	p := startProxy(t, proxyConfig{clock: clock, key: proxyKey, stores: map[string]credproxy.Definition{storeRef: vaultDefinition(srv)}})
	cfg := clientConfig(p, proxyKey)
	delete(cfg, "store")
	s, _ := openClient(t, cfg)
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if _, err := s.Read(t.Context(), junction.KindSecret, "x"); junction.ErrorCode(err) != junction.EINVALID {
		t.Fatalf("Read without a store: %v", err)
	}
	cfg["key"] = "wrong-" + proxyKey
	s, _ = openClient(t, cfg)
	if err := s.Check(t.Context()); junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Check with a wrong key: %v", err)
	}
	if n := srv.Requests(); n != 0 {
		t.Errorf("a ping reached the vault %d times", n)
	}
}
