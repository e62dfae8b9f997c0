package beyondtrust_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/beyondtrust"
	"junction/credstore/beyondtrust/beyondtrusttest"
	"junction/credstore/credstoretest"
)

const (
	apiKey = "a3f1c9e0b7d24e6f8a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"
	runAs  = "junction-api"
	folder = "Integrations/Junction"
)

type harness struct {
	srv    *beyondtrusttest.Server
	config map[string]string
	failed bool
}

func newHarness(t *testing.T) *harness {
	srv := beyondtrusttest.New(t, apiKey, runAs)
	return &harness{srv: srv, config: map[string]string{
		"url": srv.URL(), "api_key": apiKey, "runas": runAs, "folder": folder, "ca_cert": srv.CACertPEM(),
	}}
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	s, err := beyondtrust.Type.Open(h.config, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	h.srv.PutSecret(beyondtrusttest.Secret{Title: name, Folder: folder, Username: v.Username, Password: v.Value.Reveal()})
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.RemoveSecrets(name) }

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
		h.srv.SetAPIKey("revoked-key")
	} else {
		h.srv.SetAPIKey(apiKey)
	}
}

func TestConformance(t *testing.T) {
	t.Run("Stopped", func(t *testing.T) { credstoretest.Run(t, newHarness(t)) })
	t.Run("Failing", func(t *testing.T) {
		h := newHarness(t)
		h.failed = true
		credstoretest.Run(t, h)
	})
}

func open(t *testing.T, h *harness) *beyondtrust.Store {
	t.Helper()
	s, err := beyondtrust.Open(h.config, junction.CredentialStoreOptions{Name: "corp password safe", Timeout: 10 * time.Second, Allow: credstoretest.Loopback})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestRead_ManagedAccountIsHeldUntilClose(t *testing.T) {
	h := newHarness(t)
	h.config["reason"] = "ERP sync"
	h.config["duration_minutes"] = "15"
	h.srv.PutAccount("db-prod-01", "svc_erp", "pw-managed-1")
	s := open(t, h)
	got, err := s.Read(t.Context(), junction.KindCredential, "managed:db-prod-01/svc_erp")
	if err != nil || got.Username != "svc_erp" || got.Value.Reveal() != "pw-managed-1" {
		t.Fatalf("Read = %q, %v", got.Username, err)
	}
	if got.ValidFor != 15*time.Minute || got.Lease == "" {
		t.Errorf("read valid for %s with lease %q; want the request's 15 minutes and its lease", got.ValidFor, got.Lease)
	}
	if reason, minutes := h.srv.LastRequest(); reason != "ERP sync" || minutes != 15 {
		t.Errorf("request reason %q, duration %d; want the store's", reason, minutes)
	}
	if n := h.srv.OpenRequests(); n != 1 {
		t.Errorf("%d requests open, want the one held for the value", n)
	}
	_, err = s.Read(t.Context(), junction.KindSecret, "managed:db-prod-01/nobody")
	if junction.ErrorCode(err) != junction.ECREDNOTFOUND {
		t.Errorf("Read(missing account) = %v, want %s", err, junction.ECREDNOTFOUND)
	}
	if err := s.Close(); err != nil || h.srv.Count("signout") != 1 || h.srv.OpenRequests() != 0 {
		t.Errorf("Close = %v, signouts = %d, open requests = %d; want every request checked in and one sign-out", err, h.srv.Count("signout"), h.srv.OpenRequests())
	}
}

func TestRead_SessionEndedSignsInOnce(t *testing.T) {
	h := newHarness(t)
	h.srv.PutSecret(beyondtrusttest.Secret{Title: "api", Folder: folder, Password: "pw-api"})
	s := open(t, h)
	for range 2 {
		if _, err := s.Read(t.Context(), junction.KindSecret, "api"); err != nil {
			t.Fatal(err)
		}
	}
	h.srv.EndSessions()
	if _, err := s.Read(t.Context(), junction.KindSecret, "api"); err != nil {
		t.Fatal(err)
	}
	if n := h.srv.Count("signin"); n != 2 {
		t.Fatalf("sign-ins = %d, want 2 (one per session)", n)
	}
}

func TestRead_SecretByIDAndPath(t *testing.T) {
	h := newHarness(t)
	id := h.srv.PutSecret(beyondtrusttest.Secret{Title: "erp-db", Folder: "Finance/ERP", Username: "erp", Password: "pw-erp"})
	h.srv.PutSecret(beyondtrusttest.Secret{Title: "erp-db-old", Folder: "Finance/ERP", Username: "erp", Password: "pw-old"})
	s := open(t, h)
	for _, name := range []string{id, strings.ToUpper(id), "Finance/ERP/erp-db"} {
		got, err := s.Read(t.Context(), junction.KindCredential, name)
		if err != nil || got.Username != "erp" || got.Value.Reveal() != "pw-erp" {
			t.Errorf("Read(%q) = %q, %v", name, got.Username, err)
		}
	}
	// The title alone is looked up in the store's folder, not elsewhere.
	_, err := s.Read(t.Context(), junction.KindSecret, "erp-db")
	if junction.ErrorCode(err) != junction.ECREDNOTFOUND {
		t.Errorf("Read(title in another folder) = %v, want %s", err, junction.ECREDNOTFOUND)
	}
}

func TestCheck_RunAsPassword(t *testing.T) {
	h := newHarness(t)
	h.srv.RequirePassword(runAs, "runas-pw-8d2")
	err := open(t, h).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), runAs) {
		t.Fatalf("Check without the password = %v, want %s naming the run-as user", err, junction.ECREDSTOREAUTH)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(apiKey))
	h.config["runas_password"] = "runas-pw-8d2"
	if err := open(t, h).Check(t.Context()); err != nil {
		t.Fatalf("Check = %v", err)
	}
}

func TestOpen_Validation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name  string
		edit  func(map[string]string)
		field string
	}{
		{"UnknownKey", func(c map[string]string) { c["safe"] = "x" }, "safe"},
		{"MissingURL", func(c map[string]string) { delete(c, "url") }, "url"},
		{"PlainHTTP", func(c map[string]string) { c["url"] = "http://pws.internal" }, "url"},
		{"MissingKey", func(c map[string]string) { delete(c, "api_key") }, "api_key"},
		{"KeyWithSeparator", func(c map[string]string) { c["api_key"] = "abc; runas=admin" }, "api_key"},
		{"MissingRunAs", func(c map[string]string) { delete(c, "runas") }, "runas"},
		{"PasswordWithBracket", func(c map[string]string) { c["runas_password"] = "pw]x" }, "runas_password"},
		{"Duration", func(c map[string]string) { c["duration_minutes"] = "0" }, "duration_minutes"},
		{"BadCA", func(c map[string]string) { c["ca_cert"] = "nope" }, "ca_cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range h.config {
				cfg[k] = v
			}
			tc.edit(cfg)
			_, err := beyondtrust.Open(cfg, junction.CredentialStoreOptions{Name: "corp password safe"})
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open = %v, want validation_failed on %q", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(apiKey))
		})
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"db-login", "Integrations/ERP/db-login", "6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "managed:db-prod-01/svc_app", "managed:corp.example.com/svc-erp"} {
		if err := beyondtrust.CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "/db", "db/", "a//b", "managed:", "managed:sys", "managed:/acct", "managed:sys/", "managed:sys/a/b", " db", "db\n"} {
		if err := beyondtrust.CheckName(bad); junction.ErrorCode(err) != junction.EINVALID {
			t.Errorf("CheckName(%q) = %v, want %s", bad, err, junction.EINVALID)
		}
	}
}
