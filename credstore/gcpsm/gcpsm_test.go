package gcpsm_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credjson"
	"junction/credstore/credstoretest"
	"junction/credstore/gcpsm"
	"junction/credstore/gcpsm/gcpsmtest"
)

const project = "acme-integrations"

type harness struct {
	srv    *gcpsmtest.Server
	key    string
	config map[string]string
	failed bool // unavailable means 503s rather than a stopped server
}

func newHarness(t *testing.T) *harness {
	srv := gcpsmtest.New(t, project)
	key := srv.NewServiceAccount(t, "junction")
	return &harness{srv: srv, key: key, config: map[string]string{
		"project": project, "credentials_json": key, "endpoint": srv.URL(), "ca_cert": srv.CACertPEM(),
	}}
}

func (h *harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	s, err := gcpsm.Type.Open(h.config, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h *harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.AddVersion(name, []byte(credjson.Encode(v)))
		return
	}
	h.srv.AddVersion(name, []byte(v.Value.Reveal()))
}

func (h *harness) Remove(t *testing.T, name string) { h.srv.DeleteSecret(name) }

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
		h.srv.DisableKey(h.key)
	} else {
		h.srv.EnableKey(h.key)
	}
}

func TestConformance(t *testing.T) {
	t.Run("KeyJSON", func(t *testing.T) {
		credstoretest.Run(t, newHarness(t))
	})
	t.Run("KeyFileFailing", func(t *testing.T) {
		h := newHarness(t)
		path := filepath.Join(t.TempDir(), "sa.json")
		if err := os.WriteFile(path, []byte(h.key), 0o600); err != nil {
			t.Fatal(err)
		}
		delete(h.config, "credentials_json")
		h.config["credentials_file"] = path
		h.failed = true
		credstoretest.Run(t, h)
	})
}

func open(t *testing.T, h *harness) *gcpsm.Store {
	t.Helper()
	s, err := gcpsm.Open(h.config, junction.CredentialStoreOptions{Name: "corp gsm", Timeout: 10 * time.Second, Allow: credstoretest.Loopback})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRead_Versions(t *testing.T) {
	h := newHarness(t)
	h.srv.AddVersion("crm-token", []byte("pw-v1"))
	h.srv.AddVersion("crm-token", []byte("pw-v2"))
	h.srv.AddVersion("crm-token", []byte("pw-v3"))
	h.srv.DestroyVersion("crm-token", 3)
	s := open(t, h)
	for name, want := range map[string]string{
		"crm-token":        "pw-v2", // latest enabled
		"crm-token#1":      "pw-v1",
		"crm-token#latest": "pw-v2",
		"projects/" + project + "/secrets/crm-token/versions/1": "pw-v1",
		"projects/" + project + "/secrets/crm-token":            "pw-v2",
	} {
		got, err := s.Read(t.Context(), junction.KindSecret, name)
		if err != nil || got.Value.Reveal() != want {
			t.Errorf("Read(%q) = %v, want the planted version", name, err)
		}
	}
	_, err := s.Read(t.Context(), junction.KindSecret, "crm-token#3")
	if junction.ErrorCode(err) != junction.ECREDNOTFOUND || !strings.Contains(junction.ErrorMessage(err), "DESTROYED") {
		t.Errorf("Read(destroyed) = %v, want %s saying it is destroyed", err, junction.ECREDNOTFOUND)
	}
	_, err = s.Read(t.Context(), junction.KindSecret, "projects/other-project/secrets/crm-token")
	var je *junction.Error
	if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != "external_name" {
		t.Errorf("Read(other project) = %v, want validation_failed on external_name", err)
	}
	if n := h.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d, want 1 (the access token is reused)", n)
	}
}

func TestRead_CorruptPayload(t *testing.T) {
	h := newHarness(t)
	h.srv.AddVersion("api-key", []byte("pw-corrupted"))
	h.srv.SetCorrupt(true)
	_, err := open(t, h).Read(t.Context(), junction.KindSecret, "api-key")
	if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE || !strings.Contains(junction.ErrorMessage(err), "CRC32C") {
		t.Fatalf("Read = %v, want %s about CRC32C", err, junction.ECREDSTOREUNAVAILABLE)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("pw-corrupted"))
}

func TestWrite_CreatesThenAddsVersions(t *testing.T) {
	h := newHarness(t)
	s := open(t, h)
	for _, v := range []string{"pw-first", "pw-second"} {
		if err := s.Write(t.Context(), junction.KindSecret, "new-secret", junction.StoredSecret{Value: junction.NewSecret(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if c, n := h.srv.Count("create"), h.srv.Versions("new-secret"); c != 1 || n != 2 {
		t.Fatalf("creates = %d, versions = %d; want 1 and 2", c, n)
	}
	err := s.Write(t.Context(), junction.KindSecret, "new-secret#2", junction.StoredSecret{Value: junction.NewSecret("x")})
	if junction.ErrorCode(err) != junction.EINVALID {
		t.Fatalf("Write(version) = %v, want %s", err, junction.EINVALID)
	}
}

func TestCheck_WrongProjectIsPermissionDenied(t *testing.T) {
	h := newHarness(t)
	h.srv.AddVersion("x", []byte("pw-x"))
	h.config["project"] = "someone-elses"
	s := open(t, h)
	// Check cannot tell a project without access from per-secret grants...
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check = %v", err)
	}
	// ...the first read says what to grant.
	_, err := s.Read(t.Context(), junction.KindSecret, "x")
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), "secretAccessor") {
		t.Fatalf("Read = %v, want %s naming the role", err, junction.ECREDSTOREAUTH)
	}
}

func TestCheck_KeyFromEnvironment(t *testing.T) {
	h := newHarness(t)
	delete(h.config, "credentials_json")
	h.config["credentials_env"] = "JUNCTION_TEST_GSM_KEY"
	s := open(t, h)
	t.Setenv("JUNCTION_TEST_GSM_KEY", "")
	err := s.Check(t.Context())
	if junction.ErrorCode(err) != junction.ECREDSTOREAUTH || !strings.Contains(junction.ErrorMessage(err), "JUNCTION_TEST_GSM_KEY") {
		t.Fatalf("Check without the variable = %v, want %s naming it", err, junction.ECREDSTOREAUTH)
	}
	// The key is read at first use, not when the store was opened.
	t.Setenv("JUNCTION_TEST_GSM_KEY", h.key)
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check = %v", err)
	}
}

func TestCheck_KeyFileNotAKey(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, []byte(`{"type":"authorized_user","client_secret":"pw-user-secret"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(h.config, "credentials_json")
	h.config["credentials_file"] = path
	err := open(t, h).Check(t.Context())
	var je *junction.Error
	if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != "credentials_file" {
		t.Fatalf("Check = %v, want validation_failed on credentials_file", err)
	}
	credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("pw-user-secret"))
}

func TestOpen_Validation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name  string
		edit  func(map[string]string)
		field string
	}{
		{"UnknownKey", func(c map[string]string) { c["region"] = "x" }, "region"},
		{"MissingProject", func(c map[string]string) { delete(c, "project") }, "project"},
		{"BadProject", func(c map[string]string) { c["project"] = "projects/acme" }, "project"},
		{"TwoKeys", func(c map[string]string) { c["credentials_file"] = "/etc/sa.json" }, "credentials_json"},
		{"KeyNotJSON", func(c map[string]string) { c["credentials_json"] = "-----BEGIN PRIVATE KEY-----" }, "credentials_json"},
		{"EnvValueNotName", func(c map[string]string) {
			delete(c, "credentials_json")
			c["credentials_env"] = `{"type":"service_account"}`
		}, "credentials_env"},
		{"PlainHTTPEndpoint", func(c map[string]string) { c["endpoint"] = "http://secretmanager.internal" }, "endpoint"},
		{"BadCA", func(c map[string]string) { c["ca_cert"] = "nope" }, "ca_cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range h.config {
				cfg[k] = v
			}
			tc.edit(cfg)
			_, err := gcpsm.Open(cfg, junction.CredentialStoreOptions{Name: "corp gsm"})
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open = %v, want validation_failed on %q", err, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret(h.key))
		})
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"db-password", "DB_PASSWORD", "db#3", "db#latest", "db#prod-alias", "projects/p-123/secrets/db", "projects/123/secrets/db/versions/2"} {
		if err := gcpsm.CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "db/password", "db#", "db#0", "db#-x", "projects/p/secrets", "projects/p/secrets/db/versions", "a.b", strings.Repeat("a", 256)} {
		if err := gcpsm.CheckName(bad); junction.ErrorCode(err) != junction.EINVALID {
			t.Errorf("CheckName(%q) = %v, want %s", bad, err, junction.EINVALID)
		}
	}
}

// With no key configured the store uses the server's Application Default
// Credentials: on Google Cloud, a token from the metadata server, asked
// through the store's guarded transport.
func TestWorkloadIdentity_MetadataServer(t *testing.T) {
	h := newHarness(t)
	delete(h.config, "credentials_json")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("HOME", t.TempDir())
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/token" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": h.srv.NewAccessToken(), "expires_in": 3599, "token_type": "Bearer"})
	}))
	t.Cleanup(metadata.Close)
	mdHost := strings.TrimPrefix(metadata.URL, "http://")
	t.Setenv("GCE_METADATA_HOST", mdHost)
	h.srv.AddVersion("wi-secret", []byte("pw-workload"))

	got, err := open(t, h).Read(t.Context(), junction.KindSecret, "wi-secret")
	if err != nil || got.Value.Reveal() != "pw-workload" {
		t.Fatalf("Read = %v", err)
	}

	// Without --store-allow for its address, the metadata server is not
	// asked, and the message names it rather than the API.
	s, err := gcpsm.Open(h.config, junction.CredentialStoreOptions{Name: "corp gsm", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check(t.Context())
	var ue *junction.StoreUnreachableError
	if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE || !errors.As(err, &ue) || !ue.Blocked ||
		!strings.Contains(junction.ErrorMessage(err), mdHost) {
		t.Fatalf("Check without --store-allow = %v (cause %+v), want the metadata server refused by the guard", err, ue)
	}
}
