package delinea_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/delinea"
	"junction/credstore/delinea/delineatest"
)

const (
	appUser     = "svc-junction"
	appPassword = "app-login-pw-7c1f"
	clientID    = "junction-platform-client"
	clientSec   = "platform-client-secret-2e9b"
)

type harness struct {
	srv    *delineatest.Server
	clock  *credstoretest.Clock
	config map[string]string
	failed bool
	// refuse and restore make the server refuse and accept the login again.
	refuse, restore func()
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	opts.Clock = h.clock
	s, err := delinea.Type.Open(h.config, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	h.srv.Put(name, v.Username, v.Value.Reveal())
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.Deactivate(name) }

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

func passwordHarness(t *testing.T) *harness {
	clock := newClock()
	srv := delineatest.New(t, clock)
	srv.SetUser(appUser, appPassword)
	return &harness{
		srv: srv, clock: clock,
		config: map[string]string{
			"url": srv.URL(), "username": appUser, "password": appPassword, "ca_cert": srv.CACertPEM(),
			"folder_id": "1", "template_id": strconv.Itoa(delineatest.PasswordTemplate),
		},
		refuse:  func() { srv.SetUser(appUser, "") },
		restore: func() { srv.SetUser(appUser, appPassword) },
	}
}

func TestConformance(t *testing.T) {
	t.Run("PasswordGrant", func(t *testing.T) {
		credstoretest.Run(t, passwordHarness(t))
	})
	t.Run("PlatformFailing", func(t *testing.T) {
		clock := newClock()
		srv := delineatest.New(t, clock)
		srv.SetClient(clientID, clientSec)
		credstoretest.Run(t, &harness{
			srv: srv, clock: clock, failed: true,
			config: map[string]string{
				"url": srv.URL(), "platform_url": srv.URL(), "client_id": clientID, "client_secret": clientSec,
				"ca_cert": srv.CACertPEM(), "folder_id": "1", "template_id": strconv.Itoa(delineatest.PasswordTemplate),
			},
			refuse:  func() { srv.SetClient(clientID, "") },
			restore: func() { srv.SetClient(clientID, clientSec) },
		})
	})
}

func open(t *testing.T, h *harness) *delinea.Store {
	t.Helper()
	s, err := delinea.Open(h.config, junction.CredentialStoreOptions{
		Name: "corp secret server", Clock: h.clock, Timeout: 10 * time.Second, Allow: credstoretest.Loopback,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestRead_ByIDPathAndName(t *testing.T) {
	h := passwordHarness(t)
	id := h.srv.Put("erp-db", "erp-svc", "pw-erp")
	s := open(t, h)
	for _, name := range []string{strconv.Itoa(id), `\Integrations\erp-db`, "erp-db"} {
		got, err := s.Read(t.Context(), junction.KindCredential, name)
		if err != nil || got.Username != "erp-svc" || got.Value.Reveal() != "pw-erp" {
			t.Errorf("Read(%q) = %q, %v", name, got.Username, err)
		}
	}
	if n := h.srv.Count("search"); n != 1 {
		t.Errorf("searches = %d, want 1 (only the name alone is searched)", n)
	}
	if n := h.srv.Count("login"); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
	_, err := s.Read(t.Context(), junction.KindSecret, `\Integrations\missing`)
	if junction.ErrorCode(err) != junction.ECREDNOTFOUND {
		t.Errorf("Read(missing path) = %v, want %s", err, junction.ECREDNOTFOUND)
	}
}

func TestRead_TokenRenewedBeforeExpiry(t *testing.T) {
	h := passwordHarness(t)
	h.srv.Put("api", "", "pw-api")
	s := open(t, h)
	if _, err := s.Read(t.Context(), junction.KindSecret, "api"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(delineatest.TokenLife - 30*time.Second)
	if _, err := s.Read(t.Context(), junction.KindSecret, "api"); err != nil {
		t.Fatal(err)
	}
	if n := h.srv.Count("login"); n != 2 {
		t.Fatalf("logins = %d, want 2: the token is replaced within a minute of its expiry", n)
	}
}

func TestRead_OtherSlugs(t *testing.T) {
	h := passwordHarness(t)
	h.srv.Put("mapped", "erp-svc", "pw-mapped")
	h.config["password_slug"] = "notes"
	_, err := open(t, h).Read(t.Context(), junction.KindSecret, "mapped")
	if err != nil {
		t.Fatalf("Read with password_slug notes: %v", err) // notes is empty, but present
	}
	h.config["password_slug"] = "private-key"
	_, err = open(t, h).Read(t.Context(), junction.KindSecret, "mapped")
	var je *junction.Error
	if !errors.As(err, &je) || je.Code != junction.EINVALID || !strings.Contains(je.Message, "password_slug") {
		t.Fatalf("Read = %v, want validation_failed naming password_slug", err)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("pw-mapped"))
}

func TestWrite_UpdatesFieldsOfExistingSecret(t *testing.T) {
	h := passwordHarness(t)
	id := h.srv.Put("rotated", "old-user", "pw-old")
	delete(h.config, "template_id") // no creating: updates only
	s := open(t, h)
	err := s.Write(t.Context(), junction.KindCredential, strconv.Itoa(id), junction.StoredSecret{Username: "new-user", Value: junction.NewSecret("pw-new")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.srv.Lookup("rotated")
	if got.Fields["username"] != "new-user" || got.Fields["password"] != "pw-new" || got.ID != id {
		t.Fatalf("secret after write: %+v", got.Fields["username"])
	}
	err = s.Write(t.Context(), junction.KindSecret, "never-created", junction.StoredSecret{Value: junction.NewSecret("pw-x")})
	if junction.ErrorCode(err) != junction.ECREDNOTFOUND {
		t.Fatalf("Write(missing) without template_id = %v, want %s", err, junction.ECREDNOTFOUND)
	}
}

func TestCheck_RefusedLogin(t *testing.T) {
	h := passwordHarness(t)
	h.config["password"] = "wrong-pw-31d"
	err := open(t, h).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), "Login failed") {
		t.Fatalf("Check = %v, want %s with Secret Server's reason", err, junction.ECREDSTOREAUTH)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("wrong-pw-31d"))
}

func TestOpen_Validation(t *testing.T) {
	base := map[string]string{"url": "https://ss.example.com/SecretServer", "username": appUser, "password": appPassword}
	for _, tc := range []struct {
		name  string
		edit  func(map[string]string)
		field string
	}{
		{"UnknownKey", func(c map[string]string) { c["safe"] = "x" }, "safe"},
		{"MissingURL", func(c map[string]string) { delete(c, "url") }, "url"},
		{"PlainHTTP", func(c map[string]string) { c["url"] = "http://ss.internal" }, "url"},
		{"NoLogin", func(c map[string]string) { delete(c, "username"); delete(c, "password") }, "username"},
		{"UserWithoutPassword", func(c map[string]string) { delete(c, "password") }, "password"},
		{"BothLogins", func(c map[string]string) { c["client_id"] = clientID }, "platform_url"},
		{"PlatformWithoutSecret", func(c map[string]string) {
			delete(c, "username")
			delete(c, "password")
			c["platform_url"], c["client_id"] = "https://acme.delinea.app", clientID
		}, "client_secret"},
		{"PlatformHTTP", func(c map[string]string) {
			delete(c, "username")
			delete(c, "password")
			c["platform_url"], c["client_id"], c["client_secret"] = "http://acme.delinea.app", clientID, clientSec
		}, "platform_url"},
		{"BadSlug", func(c map[string]string) { c["password_slug"] = "Pass Word" }, "password_slug"},
		{"SameSlugs", func(c map[string]string) { c["username_slug"] = "password" }, "password_slug"},
		{"BadFolder", func(c map[string]string) { c["folder_id"] = "-3" }, "folder_id"},
		{"TemplateWithoutFolder", func(c map[string]string) { c["template_id"] = "2" }, "folder_id"},
		{"BadCA", func(c map[string]string) { c["ca_cert"] = "nope" }, "ca_cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			tc.edit(cfg)
			_, err := delinea.Open(cfg, junction.CredentialStoreOptions{Name: "corp secret server"})
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open = %v, want validation_failed on %q", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(appPassword), junction.NewSecret(clientSec))
		})
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"1234", `\Integrations\erp-db`, `\A\B C\secret`, "erp-db", "ERP Database (prod)"} {
		if err := delinea.CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "0", "007", `Integrations\erp`, `\Integrations\`, `\A\\B`, " erp", "erp\tdb", strings.Repeat("a", 257)} {
		if err := delinea.CheckName(bad); junction.ErrorCode(err) != junction.EINVALID {
			t.Errorf("CheckName(%q) = %v, want %s", bad, err, junction.EINVALID)
		}
	}
}
