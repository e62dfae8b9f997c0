package vault_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/credstore/vault/vaulttest"
)

const (
	roleID   = "junction-role"
	secretID = "approle-secret-id-7f3a"
	userName = "junction"
	userPass = "userpass-password-91c2"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// newServer starts a Vault test server with Junction's AppRole and user set
// up, on a fake clock.
func newServer(t *testing.T) (*vaulttest.Server, *credstoretest.Clock) {
	t.Helper()
	clock := credstoretest.NewClock(t0)
	srv := vaulttest.New(t, vaulttest.Options{Clock: clock})
	srv.SetAppRole("approle", roleID, secretID)
	srv.SetUser("userpass", userName, userPass)
	srv.SetUser("ldap", userName, userPass)
	return srv, clock
}

func baseConfig(srv *vaulttest.Server, method string) map[string]string {
	c := map[string]string{
		"address":     srv.URL(),
		"auth_method": method,
		"ca_cert":     srv.CACertPEM(),
	}
	switch method {
	case vault.AuthAppRole:
		c["role_id"], c["secret_id"] = roleID, secretID
	case vault.AuthUserpass, vault.AuthLDAP:
		c["username"], c["password"] = userName, userPass
	}
	return c
}

func mustOpen(t *testing.T, config map[string]string, clock junction.Clock) *vault.Store {
	t.Helper()
	logger, _ := credstoretest.NewLogger()
	s, err := vault.Open(config, junction.CredentialStoreOptions{Name: "team vault", Clock: clock, Logger: logger, Timeout: 10 * time.Second,
		Allow: credstoretest.Loopback})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// harness runs the conformance suite against one configuration.
type harness struct {
	srv    *vaulttest.Server
	clock  *credstoretest.Clock
	config map[string]string
	prefix string // logical path external names live under
	sealed bool   // unavailable means sealed rather than stopped
	method string
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	opts.Clock = h.clock
	s, err := vault.Open(h.config, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.Put(h.prefix+"/"+name, map[string]string{"username": v.Username, "password": v.Value.Reveal()})
		return
	}
	h.srv.Put(h.prefix+"/"+name, map[string]string{"value": v.Value.Reveal()})
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.Delete(h.prefix + "/" + name) }

func (h *harness) SetUnavailable(t *testing.T, down bool) {
	switch {
	case h.sealed && down:
		h.srv.Seal()
	case h.sealed:
		h.srv.Unseal()
	case down:
		h.srv.Stop()
	default:
		if err := h.srv.Start(); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) SetLoginInvalid(t *testing.T, invalid bool) {
	switch h.method {
	case vault.AuthAppRole:
		if invalid {
			h.srv.SetAppRole("approle", roleID, "rotated-away")
		} else {
			h.srv.SetAppRole("approle", roleID, secretID)
		}
	case vault.AuthUserpass, vault.AuthLDAP:
		if invalid {
			h.srv.SetUser(h.config["auth_mount"], userName, "changed-elsewhere")
		} else {
			h.srv.SetUser(h.config["auth_mount"], userName, userPass)
		}
	}
}

func TestConformance(t *testing.T) {
	t.Run("KV2AppRole", func(t *testing.T) {
		srv, clock := newServer(t)
		cfg := baseConfig(srv, vault.AuthAppRole)
		cfg["data_path"] = "junction"
		credstoretest.Run(t, &harness{srv: srv, clock: clock, config: cfg, prefix: "secret/junction", method: vault.AuthAppRole})
	})
	t.Run("KV1UserpassSealed", func(t *testing.T) {
		srv, clock := newServer(t)
		cfg := baseConfig(srv, vault.AuthUserpass)
		cfg["engine"], cfg["mount"], cfg["auth_mount"] = vault.EngineKV1, "kv", "userpass"
		credstoretest.Run(t, &harness{srv: srv, clock: clock, config: cfg, prefix: "kv", sealed: true, method: vault.AuthUserpass})
	})
	t.Run("KV2LDAPNamespace", func(t *testing.T) {
		srv, clock := newServer(t)
		srv.EnableKV("team-a/secret", 2)
		srv.EnableAuth("team-a/ldap", vaulttest.MethodLDAP)
		srv.SetUser("team-a/ldap", userName, userPass)
		cfg := baseConfig(srv, vault.AuthLDAP)
		cfg["namespace"], cfg["data_path"] = "team-a", "apps/prod"
		h := &harness{srv: srv, clock: clock, config: cfg, prefix: "team-a/secret/apps/prod", method: vault.AuthLDAP}
		cfg["auth_mount"] = "ldap"
		credstoretest.Run(t, &namespaced{h})
	})
}

// namespaced points SetLoginInvalid at the namespaced LDAP mount.
type namespaced struct{ *harness }

func (n *namespaced) SetLoginInvalid(t *testing.T, invalid bool) {
	pw := userPass
	if invalid {
		pw = "changed-elsewhere"
	}
	n.srv.SetUser("team-a/ldap", userName, pw)
}

func TestRead_AuthMethods(t *testing.T) {
	for _, method := range []string{vault.AuthAppRole, vault.AuthUserpass, vault.AuthLDAP, vault.AuthToken} {
		t.Run(method, func(t *testing.T) {
			srv, clock := newServer(t)
			cfg := baseConfig(srv, method)
			if method == vault.AuthToken {
				cfg["token"] = srv.CreateToken(vaulttest.TokenSpec{TTL: time.Hour, Renewable: true})
			}
			srv.Put("secret/db", map[string]string{"username": "app", "password": "pw-db-1"})
			s := mustOpen(t, cfg, clock)
			if err := s.Check(t.Context()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			got, err := s.Read(t.Context(), junction.KindCredential, "db")
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got.Username != "app" || got.Value.Reveal() != "pw-db-1" {
				t.Fatalf("Read = %q/%v", got.Username, got.Value)
			}
			if n := srv.Reads("secret/db"); n != 1 {
				t.Errorf("vault reads = %d, want exactly 1", n)
			}
			if method != vault.AuthToken {
				if n := srv.Logins(method); n != 1 {
					t.Errorf("logins = %d, want 1", n)
				}
			}
		})
	}
}

func TestRead_KV1AndKV2CustomKeys(t *testing.T) {
	for _, tc := range []struct{ engine, mount string }{{vault.EngineKV1, "kv"}, {vault.EngineKV2, "secret"}} {
		t.Run(tc.engine, func(t *testing.T) {
			srv, clock := newServer(t)
			cfg := baseConfig(srv, vault.AuthAppRole)
			cfg["engine"], cfg["mount"], cfg["data_path"] = tc.engine, tc.mount, "/teams/ops/"
			cfg["username_key"], cfg["password_key"], cfg["value_key"] = "login", "pass", "api_key"
			srv.Put(tc.mount+"/teams/ops/crm", map[string]string{"login": "crm-bot", "pass": "pw-crm"})
			srv.Put(tc.mount+"/teams/ops/crm-key", map[string]string{"api_key": "key-crm"})
			s := mustOpen(t, cfg, clock)

			cred, err := s.Read(t.Context(), junction.KindCredential, "crm")
			if err != nil || cred.Username != "crm-bot" || cred.Value.Reveal() != "pw-crm" {
				t.Fatalf("Read credential = %q, %v", cred.Username, err)
			}
			sec, err := s.Read(t.Context(), junction.KindSecret, "crm-key")
			if err != nil || sec.Value.Reveal() != "key-crm" {
				t.Fatalf("Read secret: %v", err)
			}

			// The default keys are not there: the error names the missing key.
			_, err = s.Read(t.Context(), junction.KindSecret, "crm")
			if junction.ErrorCode(err) != junction.EINVALID || !strings.Contains(err.Error(), `"api_key"`) {
				t.Fatalf("Read with missing key = %v, want validation_failed naming api_key", err)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("pw-crm"))

			if err := s.Write(t.Context(), junction.KindCredential, "written", junction.StoredSecret{Username: "u", Value: junction.NewSecret("pw-w")}); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, ok := srv.Get(tc.mount + "/teams/ops/written")
			if !ok || got["login"] != "u" || got["pass"] != "pw-w" {
				t.Fatalf("server holds %v after Write", got)
			}
			if err := s.Delete(t.Context(), "written"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, ok := srv.Get(tc.mount + "/teams/ops/written"); ok {
				t.Fatal("secret still on the server after Delete")
			}
		})
	}
}

func TestRead_EngineMismatch(t *testing.T) {
	srv, clock := newServer(t)
	cfg := baseConfig(srv, vault.AuthAppRole)
	cfg["engine"] = vault.EngineKV1 // but "secret" is KV v2
	srv.Put("secret/x", map[string]string{"value": "v"})
	_, err := mustOpen(t, cfg, clock).Read(t.Context(), junction.KindSecret, "x")
	var je *junction.Error
	if junction.ErrorCode(err) != junction.EINVALID || !asError(err, &je) || je.Field != "engine" {
		t.Fatalf("Read = %v, want validation_failed on engine", err)
	}
}

func TestToken_RenewedBeforeExpiry(t *testing.T) {
	srv, clock := newServer(t)
	srv.SetLoginTokens(vaulttest.TokenSpec{TTL: 30 * time.Minute, MaxTTL: 24 * time.Hour, Renewable: true})
	srv.Put("secret/k", map[string]string{"value": "v"})
	s := mustOpen(t, baseConfig(srv, vault.AuthAppRole), clock)
	read := func() {
		t.Helper()
		if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	read()
	clock.Advance(15 * time.Minute) // half the lease: nothing to do
	read()
	if srv.Renewals() != 0 || srv.Logins("approle") != 1 {
		t.Fatalf("at 15m: renewals=%d logins=%d, want 0 and 1", srv.Renewals(), srv.Logins("approle"))
	}
	clock.Advance(6 * time.Minute) // past two thirds
	read()
	if srv.Renewals() != 1 || srv.Logins("approle") != 1 {
		t.Fatalf("at 21m: renewals=%d logins=%d, want 1 and 1", srv.Renewals(), srv.Logins("approle"))
	}
	// The renewed token outlives the original lease.
	clock.Advance(15 * time.Minute)
	read()
	if srv.Renewals() != 1 || srv.Logins("approle") != 1 {
		t.Fatalf("at 36m: renewals=%d logins=%d, want 1 and 1", srv.Renewals(), srv.Logins("approle"))
	}
}

func TestToken_LogsInAgainNearMaxTTL(t *testing.T) {
	srv, clock := newServer(t)
	srv.SetLoginTokens(vaulttest.TokenSpec{TTL: 30 * time.Minute, MaxTTL: 45 * time.Minute, Renewable: true})
	srv.Put("secret/k", map[string]string{"value": "v"})
	s := mustOpen(t, baseConfig(srv, vault.AuthAppRole), clock)
	for _, step := range []time.Duration{0, 21 * time.Minute, 17 * time.Minute} {
		clock.Advance(step)
		if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
			t.Fatalf("Read after %v: %v", step, err)
		}
	}
	// 21m: renewed (24m left before max TTL); 38m: renewal grants only 7m,
	// so a fresh login follows.
	if srv.Renewals() != 2 || srv.Logins("approle") != 2 {
		t.Fatalf("renewals=%d logins=%d, want 2 and 2", srv.Renewals(), srv.Logins("approle"))
	}
}

func TestToken_NotRenewableOrExpired(t *testing.T) {
	srv, clock := newServer(t)
	srv.SetLoginTokens(vaulttest.TokenSpec{TTL: 30 * time.Minute})
	srv.Put("secret/k", map[string]string{"value": "v"})
	s := mustOpen(t, baseConfig(srv, vault.AuthUserpass), clock)
	for _, step := range []time.Duration{0, 21 * time.Minute, 2 * time.Hour} {
		clock.Advance(step)
		if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
			t.Fatalf("Read after %v: %v", step, err)
		}
	}
	if srv.Renewals() != 0 || srv.Logins("userpass") != 3 {
		t.Fatalf("renewals=%d logins=%d, want 0 and 3", srv.Renewals(), srv.Logins("userpass"))
	}
}

func TestToken_RevokedTokenLogsInOnceAndRetries(t *testing.T) {
	srv, clock := newServer(t)
	srv.Put("secret/k", map[string]string{"value": "v"})
	s := mustOpen(t, baseConfig(srv, vault.AuthAppRole), clock)
	if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
		t.Fatal(err)
	}
	srv.RevokeAllTokens()
	if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
		t.Fatalf("Read after revocation: %v", err)
	}
	if n := srv.Logins("approle"); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
}

func TestToken_ConcurrentFirstUseLogsInOnce(t *testing.T) {
	srv, clock := newServer(t)
	srv.Put("secret/k", map[string]string{"value": "v"})
	s := mustOpen(t, baseConfig(srv, vault.AuthAppRole), clock)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := srv.Logins("approle"); n != 1 {
		t.Fatalf("logins = %d, want 1", n)
	}
}

func TestTokenMethod_RevokedTokenIsAuthError(t *testing.T) {
	srv, clock := newServer(t)
	cfg := baseConfig(srv, vault.AuthToken)
	tok := srv.CreateToken(vaulttest.TokenSpec{TTL: time.Hour, Renewable: true})
	cfg["token"] = tok
	s := mustOpen(t, cfg, clock)
	if err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.RevokeToken(tok)
	err := s.Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Check = %v, want %s", err, junction.ECREDSTOREAUTH)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(tok))
}

func TestNamespace_HeaderRequired(t *testing.T) {
	srv, clock := newServer(t)
	srv.EnableKV("team-a/secret", 2)
	srv.EnableAuth("team-a/approle", vaulttest.MethodAppRole)
	srv.SetAppRole("team-a/approle", "team-role", "team-secret-id")
	srv.Put("team-a/secret/k", map[string]string{"value": "in-namespace"})
	cfg := baseConfig(srv, vault.AuthAppRole)
	cfg["role_id"], cfg["secret_id"], cfg["namespace"] = "team-role", "team-secret-id", "team-a"
	got, err := mustOpen(t, cfg, clock).Read(t.Context(), junction.KindSecret, "k")
	if err != nil || got.Value.Reveal() != "in-namespace" {
		t.Fatalf("Read in namespace: %v", err)
	}
	if srv.Logins("team-a/approle") != 1 || srv.Reads("team-a/secret/k") != 1 {
		t.Fatalf("namespaced login/read not counted")
	}
	delete(cfg, "namespace")
	_, err = mustOpen(t, cfg, clock).Read(t.Context(), junction.KindSecret, "k")
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Read without namespace = %v, want %s", err, junction.ECREDSTOREAUTH)
	}
}

func TestUnavailable_Diagnosis(t *testing.T) {
	t.Run("Sealed", func(t *testing.T) {
		srv, clock := newServer(t)
		s := mustOpen(t, baseConfig(srv, vault.AuthAppRole), clock)
		srv.Seal()
		err := s.Check(t.Context())
		if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE || !strings.Contains(err.Error(), "sealed") {
			t.Fatalf("Check = %v, want unavailable saying sealed", err)
		}
	})
	t.Run("Stopped", func(t *testing.T) {
		srv, clock := newServer(t)
		s := mustOpen(t, baseConfig(srv, vault.AuthAppRole), clock)
		srv.Stop()
		err := s.Check(t.Context())
		if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE || !strings.Contains(diagnosis(err), "connection refused") {
			t.Fatalf("Check = %v (%s), want unavailable diagnosed as connection refused", err, diagnosis(err))
		}
	})
	t.Run("UnknownCA", func(t *testing.T) {
		srv, clock := newServer(t)
		cfg := baseConfig(srv, vault.AuthAppRole)
		delete(cfg, "ca_cert")
		err := mustOpen(t, cfg, clock).Check(t.Context())
		if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE || !strings.Contains(diagnosis(err), "unknown authority") {
			t.Fatalf("Check = %v (%s), want unavailable diagnosed as an unknown authority", err, diagnosis(err))
		}
	})
}

// diagnosis is what went wrong on the way to an unreachable store: the
// server log's side of an error whose message is the same for all causes.
func diagnosis(err error) string {
	var ue *junction.StoreUnreachableError
	if !errors.As(err, &ue) {
		return ""
	}
	return ue.Diagnosis
}

func TestOpen_Validation(t *testing.T) {
	srv, _ := newServer(t)
	for _, tc := range []struct {
		name   string
		edit   func(map[string]string)
		field  string
		opts   junction.CredentialStoreOptions
		wantOK bool
	}{
		{name: "UnknownKey", edit: func(c map[string]string) { c["adress"] = "x" }, field: "adress"},
		{name: "MissingAddress", edit: func(c map[string]string) { delete(c, "address") }, field: "address"},
		{name: "PlainHTTP", edit: func(c map[string]string) { c["address"] = "http://vault.internal:8200" }, field: "address"},
		{name: "PlainHTTPInsecure", edit: func(c map[string]string) { c["address"] = "http://vault.internal:8200" },
			opts: junction.CredentialStoreOptions{Insecure: true}, wantOK: true},
		{name: "MissingAuthMethod", edit: func(c map[string]string) { delete(c, "auth_method") }, field: "auth_method"},
		{name: "BadAuthMethod", edit: func(c map[string]string) { c["auth_method"] = "kerberos" }, field: "auth_method"},
		{name: "MissingSecretID", edit: func(c map[string]string) { delete(c, "secret_id") }, field: "secret_id"},
		{name: "KeyOfOtherMethod", edit: func(c map[string]string) { c["password"] = "p" }, field: "password"},
		{name: "MissingToken", edit: func(c map[string]string) {
			c["auth_method"] = "token"
			delete(c, "role_id")
			delete(c, "secret_id")
		}, field: "token"},
		{name: "BadEngine", edit: func(c map[string]string) { c["engine"] = "kv-v3" }, field: "engine"},
		{name: "BadCACert", edit: func(c map[string]string) { c["ca_cert"] = "not a certificate" }, field: "ca_cert"},
		{name: "DataPathEscapes", edit: func(c map[string]string) { c["data_path"] = "apps/../../sys" }, field: "data_path"},
		{name: "SameKeys", edit: func(c map[string]string) { c["password_key"] = "username" }, field: "password_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(srv, vault.AuthAppRole)
			tc.edit(cfg)
			_, err := vault.Type.Open(cfg, tc.opts)
			if tc.wantOK {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			var je *junction.Error
			if !asError(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open = %v, want validation_failed on %q", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(secretID))
		})
	}
}

func TestProxy_URLHonoured(t *testing.T) {
	srv, clock := newServer(t)
	srv.Put("secret/k", map[string]string{"value": "v"})
	proxy := newConnectProxy(t)
	s, err := vault.Open(baseConfig(srv, vault.AuthAppRole), junction.CredentialStoreOptions{
		Name: "proxied vault", Clock: clock, ProxyURL: proxy.url, Allow: credstoretest.Loopback,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(t.Context(), junction.KindSecret, "k"); err != nil {
		t.Fatalf("Read through proxy: %v", err)
	}
	if proxy.tunnels.Load() == 0 {
		t.Fatal("no CONNECT tunnel went through the proxy")
	}
}

// connectProxy is a minimal HTTP CONNECT proxy that counts tunnels.
type connectProxy struct {
	url     string
	tunnels atomic.Int64
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		p.tunnels.Add(1)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() {
			_, _ = io.Copy(up, buf)
			up.Close()
		}()
		_, _ = io.Copy(conn, up)
		conn.Close()
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

func asError(err error, target **junction.Error) bool { return errors.As(err, target) }
