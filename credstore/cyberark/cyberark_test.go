package cyberark_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/cyberark"
	"junction/credstore/cyberark/cyberarktest"
)

const (
	appID  = "Junction"
	safe   = "Integrations"
	folder = "Root"
	p12pw  = "bundle-password-4e1d"
)

func newServer(t *testing.T) *cyberarktest.Server {
	t.Helper()
	srv := cyberarktest.New(t)
	srv.AllowApp(appID, []string{safe}, "junction-prod")
	return srv
}

func pemConfig(t *testing.T, srv *cyberarktest.Server) map[string]string {
	t.Helper()
	cert, key := srv.IssueClientCert(t, "junction-prod")
	return map[string]string{
		"url":         srv.URL(),
		"app_id":      appID,
		"safe":        safe,
		"ca_cert":     srv.CACertPEM(),
		"client_cert": cert,
		"client_key":  key,
	}
}

func mustOpen(t *testing.T, config map[string]string) *cyberark.Store {
	t.Helper()
	s, err := cyberark.Open(config, junction.CredentialStoreOptions{Name: "corp ccp", Timeout: 10 * time.Second, Allow: credstoretest.Loopback})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

type harness struct {
	srv    *cyberarktest.Server
	config map[string]string
	failed bool // unavailable means 500s rather than a stopped server
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	s, err := cyberark.Type.Open(h.config, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	h.srv.Put(safe, folder, name, cyberarktest.Account{UserName: v.Username, Content: v.Value.Reveal()})
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.Delete(safe, folder, name) }

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
		h.srv.RemoveApp(appID)
	} else {
		h.srv.AllowApp(appID, []string{safe}, "junction-prod")
	}
}

func TestConformance(t *testing.T) {
	t.Run("PEM", func(t *testing.T) {
		srv := newServer(t)
		credstoretest.Run(t, &harness{srv: srv, config: pemConfig(t, srv)})
	})
	t.Run("PKCS12Failing", func(t *testing.T) {
		srv := newServer(t)
		cfg := map[string]string{
			"url":                    srv.URL(),
			"app_id":                 appID,
			"safe":                   safe,
			"folder":                 folder,
			"web_service":            cyberarktest.WebService,
			"ca_cert":                srv.CACertPEM(),
			"client_pkcs12":          srv.IssueClientPKCS12(t, "junction-prod", p12pw),
			"client_pkcs12_password": p12pw,
		}
		credstoretest.Run(t, &harness{srv: srv, config: cfg, failed: true})
	})
}

func TestRead_ExactlyOneRequest(t *testing.T) {
	srv := newServer(t)
	srv.Put(safe, folder, "crm-api", cyberarktest.Account{UserName: "crm-bot", Content: "pw-crm"})
	s := mustOpen(t, pemConfig(t, srv))
	got, err := s.Read(t.Context(), junction.KindCredential, "crm-api")
	if err != nil || got.Username != "crm-bot" || got.Value.Reveal() != "pw-crm" {
		t.Fatalf("Read = %q, %v", got.Username, err)
	}
	if n := srv.Reads(safe, folder, "crm-api"); n != 1 {
		t.Fatalf("CCP reads = %d, want 1", n)
	}
}

func TestCheck_NoClientCertificate(t *testing.T) {
	srv := newServer(t)
	cfg := pemConfig(t, srv)
	delete(cfg, "client_cert")
	delete(cfg, "client_key")
	err := mustOpen(t, cfg).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(err.Error(), "client certificate") {
		t.Fatalf("Check = %v, want %s about the client certificate", err, junction.ECREDSTOREAUTH)
	}
}

func TestCheck_CertificateNotAllowedForApp(t *testing.T) {
	srv := newServer(t)
	cfg := pemConfig(t, srv)
	cfg["client_cert"], cfg["client_key"] = srv.IssueClientCert(t, "someone-else")
	err := mustOpen(t, cfg).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(err.Error(), "APPAP282E") {
		t.Fatalf("Check = %v, want %s with APPAP282E", err, junction.ECREDSTOREAUTH)
	}
}

func TestCheck_SafeNotAuthorized(t *testing.T) {
	srv := newServer(t)
	cfg := pemConfig(t, srv)
	cfg["safe"] = "Finance"
	err := mustOpen(t, cfg).Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH {
		t.Fatalf("Check = %v, want %s", err, junction.ECREDSTOREAUTH)
	}
}

func TestCheck_WrongWebService(t *testing.T) {
	srv := newServer(t)
	cfg := pemConfig(t, srv)
	cfg["web_service"] = "AIMWebServiceX"
	err := mustOpen(t, cfg).Check(t.Context())
	var je *junction.Error
	if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != "web_service" {
		t.Fatalf("Check = %v, want validation_failed on web_service", err)
	}
}

func TestOpen_Validation(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name  string
		edit  func(map[string]string)
		field string
	}{
		{"UnknownKey", func(c map[string]string) { c["object"] = "x" }, "object"},
		{"MissingURL", func(c map[string]string) { delete(c, "url") }, "url"},
		{"PlainHTTP", func(c map[string]string) { c["url"] = "http://ccp.internal" }, "url"},
		{"MissingAppID", func(c map[string]string) { delete(c, "app_id") }, "app_id"},
		{"MissingSafe", func(c map[string]string) { delete(c, "safe") }, "safe"},
		{"KeyWithoutCert", func(c map[string]string) { delete(c, "client_cert") }, "client_cert"},
		{"CertWithoutKey", func(c map[string]string) { delete(c, "client_key") }, "client_key"},
		{"BadKeyPair", func(c map[string]string) {
			c["client_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, "client_cert"},
		{"PEMAndPKCS12", func(c map[string]string) { c["client_pkcs12"] = "AAAA" }, "client_pkcs12"},
		{"PKCS12NotBase64", func(c map[string]string) {
			delete(c, "client_cert")
			delete(c, "client_key")
			c["client_pkcs12"] = "not base64!"
		}, "client_pkcs12"},
		{"PKCS12WrongPassword", func(c map[string]string) {
			delete(c, "client_cert")
			delete(c, "client_key")
			c["client_pkcs12"] = srv.IssueClientPKCS12(t, "junction-prod", p12pw)
			c["client_pkcs12_password"] = "wrong"
		}, "client_pkcs12_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pemConfig(t, srv)
			tc.edit(cfg)
			_, err := cyberark.Open(cfg, junction.CredentialStoreOptions{Name: "corp ccp"})
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open = %v, want validation_failed on %q", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(p12pw), junction.NewSecret(cfg["client_key"]))
		})
	}
}
