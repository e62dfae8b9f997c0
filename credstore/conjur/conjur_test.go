package conjur_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/conjur"
	"junction/credstore/conjur/conjurtest"
	"junction/credstore/credjson"
	"junction/credstore/credstoretest"
)

const (
	account = "myorg"
	host    = "host/junction/prod-1"
	service = "k8s-cluster"
)

type harness struct {
	srv    *conjurtest.Server
	clock  *credstoretest.Clock
	config map[string]string
	failed bool // unavailable means 502s rather than a stopped server
	// refuse and restore make the server refuse and accept the login again.
	refuse, restore func()
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	opts.Clock = h.clock
	s, err := conjur.Type.Open(h.config, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.Set(name, credjson.Encode(v))
		return
	}
	h.srv.Set(name, v.Value.Reveal())
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.Remove(name) }

func (h *harness) SetUnavailable(t *testing.T, down bool) {
	switch {
	case h.failed:
		h.srv.SetFailing(down)
	case down:
		h.srv.Stop()
	default:
		if err := h.srv.Start(); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) SetLoginInvalid(t *testing.T, invalid bool) {
	if invalid {
		h.refuse()
	} else {
		h.restore()
	}
}

func newClock() *credstoretest.Clock {
	return credstoretest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
}

// apiKeyHarness logs in as a host with its API key.
func apiKeyHarness(t *testing.T) *harness {
	clock := newClock()
	srv := conjurtest.New(t, account, clock)
	key := srv.AddHost(host)
	return &harness{
		srv: srv, clock: clock,
		config: map[string]string{
			"url": srv.URL(), "account": account, "login": host, "api_key": key, "ca_cert": srv.CACertPEM(),
		},
		refuse:  func() { srv.RotateAPIKey(host) },
		restore: func() { srv.SetAPIKey(host, key) },
	}
}

func TestConformance(t *testing.T) {
	t.Run("APIKey", func(t *testing.T) {
		credstoretest.Run(t, apiKeyHarness(t))
	})
	t.Run("JWTFileFailing", func(t *testing.T) {
		clock := newClock()
		srv := conjurtest.New(t, account, clock)
		const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6anVuY3Rpb24ifQ.c2ln"
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(jwt+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		srv.AllowJWT(service, jwt, host)
		credstoretest.Run(t, &harness{
			srv: srv, clock: clock, failed: true,
			config: map[string]string{
				"url": srv.URL(), "account": account, "jwt_service_id": service, "jwt_file": path,
				"host_id": host, "ca_cert": srv.CACertPEM(),
			},
			refuse:  func() { srv.RevokeJWT(service, jwt) },
			restore: func() { srv.AllowJWT(service, jwt, host) },
		})
	})
}

func open(t *testing.T, h *harness) *conjur.Store {
	t.Helper()
	s, err := conjur.Open(h.config, junction.CredentialStoreOptions{
		Name: "corp conjur", Clock: h.clock, Timeout: 10 * time.Second, Allow: credstoretest.Loopback,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestRead_TokenReusedThenRenewed(t *testing.T) {
	h := apiKeyHarness(t)
	h.srv.Set("prod/db/password", "pw-one")
	s := open(t, h)
	for range 3 {
		if _, err := s.Read(t.Context(), junction.KindSecret, "prod/db/password"); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.srv.Logins(); n != 1 {
		t.Fatalf("logins = %d, want 1 for three reads within the token's life", n)
	}
	// Past the reuse window but inside Conjur's eight minutes: Junction
	// logs in again before Conjur would refuse the token.
	h.clock.Advance(6*time.Minute + time.Second)
	if _, err := s.Read(t.Context(), junction.KindSecret, "prod/db/password"); err != nil {
		t.Fatal(err)
	}
	if n := h.srv.Logins(); n != 2 {
		t.Fatalf("logins = %d, want 2 after the token aged", n)
	}
	if n := h.srv.Reads("prod/db/password"); n != 4 {
		t.Fatalf("reads = %d, want 4", n)
	}
}

func TestRead_TokenRefusedLogsInOnce(t *testing.T) {
	h := apiKeyHarness(t)
	h.srv.Set("prod/db/password", "pw-one")
	s := open(t, h)
	if _, err := s.Read(t.Context(), junction.KindSecret, "prod/db/password"); err != nil {
		t.Fatal(err)
	}
	// Conjur refuses a token Junction still thinks fresh: the read logs
	// in again, once, and succeeds.
	h.srv.RevokeTokens()
	h.srv.Set("prod/db/password", "pw-two")
	got, err := s.Read(t.Context(), junction.KindSecret, "prod/db/password")
	if err != nil || got.Value.Reveal() != "pw-two" {
		t.Fatalf("Read = %v", err)
	}
	if n := h.srv.Logins(); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
}

func TestRead_EscapesVariableID(t *testing.T) {
	h := apiKeyHarness(t)
	id := "prod/app 1/db?password#main"
	h.srv.Set(id, "pw-escaped")
	got, err := open(t, h).Read(t.Context(), junction.KindSecret, id)
	if err != nil || got.Value.Reveal() != "pw-escaped" {
		t.Fatalf("Read(%q) = %v", id, err)
	}
}

func TestRead_Forbidden(t *testing.T) {
	h := apiKeyHarness(t)
	h.srv.Set("finance/key", "pw-finance")
	h.srv.Deny("finance/key")
	_, err := open(t, h).Read(t.Context(), junction.KindSecret, "finance/key")
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), "execute") {
		t.Fatalf("Read = %v, want %s saying execute is missing", err, junction.ECREDSTOREAUTH)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("pw-finance"))
}

func TestRead_NotACredential(t *testing.T) {
	h := apiKeyHarness(t)
	h.srv.Set("prod/plain", "pw-plain-not-json")
	_, err := open(t, h).Read(t.Context(), junction.KindCredential, "prod/plain")
	var je *junction.Error
	if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != "external_name" {
		t.Fatalf("Read = %v, want validation_failed on external_name", err)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("pw-plain-not-json"))
}

func TestCheck_WrongAccount(t *testing.T) {
	h := apiKeyHarness(t)
	h.config["account"] = "other"
	err := open(t, h).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), `"other"`) {
		t.Fatalf("Check = %v, want %s naming the account", err, junction.ECREDSTOREAUTH)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(h.config["api_key"]))
}

func TestCheck_JWTFileMissing(t *testing.T) {
	clock := newClock()
	srv := conjurtest.New(t, account, clock)
	h := &harness{srv: srv, clock: clock, config: map[string]string{
		"url": srv.URL(), "account": account, "jwt_service_id": service,
		"jwt_file": filepath.Join(t.TempDir(), "absent"), "ca_cert": srv.CACertPEM(),
	}}
	err := open(t, h).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), "jwt_file") {
		t.Fatalf("Check = %v, want %s naming jwt_file", err, junction.ECREDSTOREAUTH)
	}
}

func TestCheck_WrongPath(t *testing.T) {
	h := apiKeyHarness(t)
	h.config["url"] += "/api"
	err := open(t, h).Check(t.Context())
	var je *junction.Error
	if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != "url" {
		t.Fatalf("Check = %v, want validation_failed on url", err)
	}
}

func TestOpen_Validation(t *testing.T) {
	base := map[string]string{"url": "https://conjur.example.com", "account": account, "login": host, "api_key": "k-3f9a"}
	for _, tc := range []struct {
		name  string
		edit  func(map[string]string)
		field string
	}{
		{"UnknownKey", func(c map[string]string) { c["safe"] = "x" }, "safe"},
		{"MissingURL", func(c map[string]string) { delete(c, "url") }, "url"},
		{"PlainHTTP", func(c map[string]string) { c["url"] = "http://conjur.internal" }, "url"},
		{"MissingAccount", func(c map[string]string) { delete(c, "account") }, "account"},
		{"QualifiedAccount", func(c map[string]string) { c["account"] = "myorg:host" }, "account"},
		{"NoLogin", func(c map[string]string) { delete(c, "login"); delete(c, "api_key") }, "login"},
		{"LoginWithoutKey", func(c map[string]string) { delete(c, "api_key") }, "api_key"},
		{"KeyWithoutLogin", func(c map[string]string) { delete(c, "login") }, "login"},
		{"APIKeyAndJWT", func(c map[string]string) { c["jwt_service_id"] = service }, "jwt_service_id"},
		{"JWTWithoutService", func(c map[string]string) {
			delete(c, "login")
			delete(c, "api_key")
			c["jwt"] = "a.b.c"
		}, "jwt_service_id"},
		{"ServiceWithoutJWT", func(c map[string]string) {
			delete(c, "login")
			delete(c, "api_key")
			c["jwt_service_id"] = service
		}, "jwt"},
		{"JWTAndFile", func(c map[string]string) {
			delete(c, "login")
			delete(c, "api_key")
			c["jwt_service_id"], c["jwt"], c["jwt_file"] = service, "a.b.c", "/var/run/token"
		}, "jwt_file"},
		{"BadCA", func(c map[string]string) { c["ca_cert"] = "not a certificate" }, "ca_cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			tc.edit(cfg)
			_, err := conjur.Open(cfg, junction.CredentialStoreOptions{Name: "corp conjur"})
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open = %v, want validation_failed on %q", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("k-3f9a"))
		})
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"db-password", "prod/db/password", "prod/app 1/db?password#main", "a:b"} {
		if err := conjur.CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", " prod/x", "/prod/x", "prod/x/", "prod//x", "myorg:variable:prod/x", "prod\nx", strings.Repeat("a", 1001)} {
		if err := conjur.CheckName(bad); junction.ErrorCode(err) != junction.EINVALID {
			t.Errorf("CheckName(%q) = %v, want %s", bad, err, junction.EINVALID)
		}
	}
}
