package awssm_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"junction"
	"junction/credstore/awssm"
	"junction/credstore/awssm/awssmtest"
	"junction/credstore/credstoretest"
)

// noRetry keeps failure tests quick: the SDK would otherwise back off
// before reporting an unreachable endpoint.
var noRetry = awssm.Retry{MaxRetries: -1}

type harness struct{ srv *awssmtest.Server }

func (h harness) NewStore(t *testing.T, opts junction.CredentialStoreOptions) junction.CredentialStore {
	t.Helper()
	s, err := awssm.NewType(noRetry).Open(h.srv.Config(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (h harness) Put(t *testing.T, kind junction.SecretKind, name string, v junction.StoredSecret) {
	if kind == junction.KindCredential {
		h.srv.PutCredential(name, v.Username, v.Value.Reveal())
		return
	}
	h.srv.Put(name, v.Value.Reveal())
}

func (h harness) Remove(t *testing.T, name string) { h.srv.Delete(name) }

func (h harness) SetUnavailable(t *testing.T, down bool) {
	if down {
		h.srv.Stop()
		return
	}
	if err := h.srv.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

func (h harness) SetLoginInvalid(t *testing.T, invalid bool) { h.srv.RejectKey(invalid) }

func TestConformance(t *testing.T) {
	credstoretest.Run(t, harness{awssmtest.New(t)})
}

func openStore(t *testing.T, config map[string]string) (junction.WritableCredentialStore, *credstoretest.LogBuffer) {
	t.Helper()
	logger, logs := credstoretest.NewLogger()
	st, err := awssm.NewType(noRetry).Open(config, junction.CredentialStoreOptions{Name: "sm", Logger: logger, Allow: credstoretest.Loopback})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return st.(junction.WritableCredentialStore), logs
}

var planted = []junction.Secret{junction.NewSecret(awssmtest.SecretAccessKey), junction.NewSecret("wrong/secret+key"), junction.NewSecret("session-token-value")}

func TestOpen(t *testing.T) {
	srv := awssmtest.New(t)
	typ := awssm.Type()
	for _, tc := range []struct {
		name   string
		change func(map[string]string)
		field  string
	}{
		{"UnknownKey", func(c map[string]string) { c["secret_key"] = "x" }, "secret_key"},
		{"MissingRegion", func(c map[string]string) { delete(c, "region") }, "region"},
		{"BadRegion", func(c map[string]string) { c["region"] = "Frankfurt" }, "region"},
		{"KeyWithoutSecret", func(c map[string]string) { delete(c, "secret_access_key") }, "secret_access_key"},
		{"SecretWithoutKey", func(c map[string]string) { delete(c, "access_key_id") }, "access_key_id"},
		{"TokenWithoutKeys", func(c map[string]string) {
			delete(c, "access_key_id")
			delete(c, "secret_access_key")
			c["session_token"] = "session-token-value"
		}, "access_key_id"},
		{"HTTPEndpoint", func(c map[string]string) { c["endpoint"] = "http://127.0.0.1:1" }, "endpoint"},
		{"RelativeEndpoint", func(c map[string]string) { c["endpoint"] = "secretsmanager.local" }, "endpoint"},
		{"BadCA", func(c map[string]string) { c["ca_cert"] = "-----BEGIN CERTIFICATE-----" }, "ca_cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := maps.Clone(srv.Config())
			tc.change(cfg)
			_, err := typ.Open(cfg, junction.CredentialStoreOptions{})
			var je *junction.Error
			if !errors.As(err, &je) || je.Code != junction.EINVALID || je.Field != tc.field {
				t.Fatalf("Open error = %v, want %s naming %q", err, junction.EINVALID, tc.field)
			}
			credstoretest.AssertErrorNoLeak(t, err, planted...)
		})
	}
	t.Run("HTTPAllowedWhenInsecure", func(t *testing.T) {
		cfg := maps.Clone(srv.Config())
		cfg["endpoint"] = "http://127.0.0.1:1"
		if _, err := typ.Open(cfg, junction.CredentialStoreOptions{Insecure: true}); err != nil {
			t.Fatalf("Open: %v", err)
		}
	})
	t.Run("DefaultChainNeedsOnlyRegion", func(t *testing.T) {
		if _, err := typ.Open(map[string]string{"region": "eu-west-1"}, junction.CredentialStoreOptions{}); err != nil {
			t.Fatalf("Open: %v", err)
		}
	})
}

func TestSignature(t *testing.T) {
	srv := awssmtest.New(t)
	srv.Put("signed", "v")
	ctx := context.Background()
	read := func(t *testing.T, cfg map[string]string) error {
		t.Helper()
		st, logs := openStore(t, cfg)
		_, err := st.Read(ctx, junction.KindSecret, "signed")
		credstoretest.AssertErrorNoLeak(t, err, planted...)
		credstoretest.AssertNoLeak(t, "logs", logs.String(), planted...)
		return err
	}
	t.Run("WrongSecretKey", func(t *testing.T) {
		cfg := maps.Clone(srv.Config())
		cfg["secret_access_key"] = "wrong/secret+key"
		err := read(t, cfg)
		if !junction.IsCode(err, junction.ECREDSTOREAUTH) || !strings.Contains(junction.ErrorMessage(err), "InvalidSignatureException") {
			t.Fatalf("Read error = %v, want %s for InvalidSignatureException", err, junction.ECREDSTOREAUTH)
		}
	})
	t.Run("UnknownAccessKey", func(t *testing.T) {
		cfg := maps.Clone(srv.Config())
		cfg["access_key_id"] = "AKIAUNKNOWNKEY000000"
		err := read(t, cfg)
		if !junction.IsCode(err, junction.ECREDSTOREAUTH) || !strings.Contains(junction.ErrorMessage(err), "UnrecognizedClientException") {
			t.Fatalf("Read error = %v, want %s for UnrecognizedClientException", err, junction.ECREDSTOREAUTH)
		}
	})
	t.Run("ClockSkew", func(t *testing.T) {
		clock := credstoretest.NewClock(time.Now().Add(time.Hour))
		srv.SetClock(clock)
		defer srv.SetClock(junction.SystemClock{})
		err := read(t, srv.Config())
		if !junction.IsCode(err, junction.ECREDSTOREAUTH) || !strings.Contains(junction.ErrorMessage(err), "clock") {
			t.Fatalf("Read error = %v, want %s mentioning the clock", err, junction.ECREDSTOREAUTH)
		}
	})
	t.Run("SessionToken", func(t *testing.T) {
		srv.RequireSessionToken("session-token-value")
		defer srv.RequireSessionToken("")
		if err := read(t, srv.Config()); !junction.IsCode(err, junction.ECREDSTOREAUTH) {
			t.Fatalf("Read without session token: %v, want %s", err, junction.ECREDSTOREAUTH)
		}
		cfg := maps.Clone(srv.Config())
		cfg["session_token"] = "session-token-value"
		if err := read(t, cfg); err != nil {
			t.Fatalf("Read with session token: %v", err)
		}
	})
}

func TestDefaultCredentialChain(t *testing.T) {
	srv := awssmtest.New(t)
	srv.Put("from-env", "v")
	ctx := context.Background()
	// Only the environment: no shared files, no instance metadata service.
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	cfg := srv.Config()
	delete(cfg, "access_key_id")
	delete(cfg, "secret_access_key")

	t.Run("Environment", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", awssmtest.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", awssmtest.SecretAccessKey)
		st, _ := openStore(t, cfg)
		if _, err := st.Read(ctx, junction.KindSecret, "from-env"); err != nil {
			t.Fatalf("Read: %v", err)
		}
	})
	t.Run("InstanceMetadataGuarded", func(t *testing.T) {
		// The SDK's own calls for the host's role go through the guard
		// too: a metadata service on a loopback address the store may not
		// reach is never asked.
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
		var hits atomic.Int64
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("no second loopback address: %v", err)
		}
		imds := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.NotFound(w, r)
		})}
		go imds.Serve(ln)
		t.Cleanup(func() { imds.Close() })
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+ln.Addr().String())

		st, _ := openStore(t, cfg)
		if err := st.Check(ctx); !junction.IsCode(err, junction.ECREDSTOREAUTH) {
			t.Fatalf("Check error = %v, want %s", err, junction.ECREDSTOREAUTH)
		}
		if n := hits.Load(); n != 0 {
			t.Fatalf("the metadata service was asked %d times without --store-allow", n)
		}
		allowed, err := awssm.NewType(noRetry).Open(cfg, junction.CredentialStoreOptions{Name: "sm",
			Allow: append([]netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, credstoretest.Loopback...)})
		if err != nil {
			t.Fatal(err)
		}
		// The first request to the metadata service is all this needs.
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		_ = allowed.Check(short)
		if hits.Load() == 0 {
			t.Fatal("the metadata service was not asked although its address is allowed")
		}
	})
	t.Run("ErrNoCredentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		st, _ := openStore(t, cfg)
		err := st.Check(ctx)
		if !junction.IsCode(err, junction.ECREDSTOREAUTH) || !strings.Contains(junction.ErrorMessage(err), "no AWS credentials") {
			t.Fatalf("Check error = %v, want %s", err, junction.ECREDSTOREAUTH)
		}
	})
}

func TestLayouts(t *testing.T) {
	srv := awssmtest.New(t)
	st, _ := openStore(t, srv.Config())
	ctx := context.Background()
	t.Run("SecretValueKey", func(t *testing.T) {
		srv.Put("keyed", `{"value":"the-api-key","note":"rotated monthly"}`)
		got, err := st.Read(ctx, junction.KindSecret, "keyed")
		if err != nil || got.Value.Reveal() != "the-api-key" {
			t.Fatalf("Read = %v", err)
		}
	})
	t.Run("SecretWholeString", func(t *testing.T) {
		for name, value := range map[string]string{"plain": "plain-api-key", "json-no-value": `{"token":"t"}`} {
			srv.Put(name, value)
			got, err := st.Read(ctx, junction.KindSecret, name)
			if err != nil || got.Value.Reveal() != value {
				t.Fatalf("Read(%s) = %v", name, err)
			}
		}
	})
	t.Run("WriteRoundTrip", func(t *testing.T) {
		for _, value := range []string{"plain", `{"value":"looks like a layout"}`, `{"other":1}`, ""} {
			v := junction.StoredSecret{Value: junction.NewSecret(value)}
			if err := st.Write(ctx, junction.KindSecret, "round-trip", v); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := st.Read(ctx, junction.KindSecret, "round-trip")
			if err != nil || got.Value.Reveal() != value {
				t.Fatalf("Read after writing %q: %v", value, err)
			}
		}
		if raw, _ := srv.Value("round-trip"); raw != "" {
			t.Fatalf("an empty value was stored as %q", raw)
		}
	})
	t.Run("CredentialWrittenAsJSON", func(t *testing.T) {
		if err := st.Write(ctx, junction.KindCredential, "svc/db", junction.StoredSecret{Username: "u", Value: junction.NewSecret("p")}); err != nil {
			t.Fatal(err)
		}
		raw, _ := srv.Value("svc/db")
		var v map[string]string
		if err := json.Unmarshal([]byte(raw), &v); err != nil || v["username"] != "u" || v["password"] != "p" {
			t.Fatalf("stored value is not the documented JSON layout")
		}
	})
	for name, value := range map[string]string{
		"not-json":    "just-a-password",
		"no-username": `{"password":"just-a-password"}`,
		"no-password": `{"username":"u"}`,
	} {
		t.Run("ErrInvalidCredential-"+name, func(t *testing.T) {
			srv.Put(name, value)
			_, err := st.Read(ctx, junction.KindCredential, name)
			if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(junction.ErrorMessage(err), name) {
				t.Fatalf("Read error = %v, want %s naming %q", err, junction.EINVALID, name)
			}
			credstoretest.AssertErrorNoLeak(t, err, junction.NewSecret("just-a-password"))
		})
	}
}

func TestNames(t *testing.T) {
	srv := awssmtest.New(t)
	st, _ := openStore(t, srv.Config())
	ctx := context.Background()
	for _, name := range []string{"", "has space", "bad#char", strings.Repeat("a", 513)} {
		if _, err := st.Read(ctx, junction.KindSecret, name); !junction.IsCode(err, junction.EINVALID) {
			t.Errorf("Read(%q) error = %v, want %s", name, err, junction.EINVALID)
		}
	}
	if srv.Requests() != 0 {
		t.Fatalf("invalid names reached the endpoint")
	}
	srv.Put("team/app+db@prod", "v")
	if _, err := st.Read(ctx, junction.KindSecret, "team/app+db@prod"); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

func TestAccessDenied(t *testing.T) {
	srv := awssmtest.New(t)
	srv.Deny("junction-check-")
	srv.Deny("other-team/")
	srv.Put("other-team/db", "v")
	st, _ := openStore(t, srv.Config())
	ctx := context.Background()
	// Check passes: the signature was accepted, only the probe's name is
	// outside the identity's policy.
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	_, err := st.Read(ctx, junction.KindSecret, "other-team/db")
	if !junction.IsCode(err, junction.ECREDSTOREAUTH) || !strings.Contains(junction.ErrorMessage(err), "AccessDeniedException") {
		t.Fatalf("Read error = %v, want %s", err, junction.ECREDSTOREAUTH)
	}
}

func TestDelete(t *testing.T) {
	srv := awssmtest.New(t)
	st, _ := openStore(t, srv.Config())
	ctx := context.Background()
	v := junction.StoredSecret{Value: junction.NewSecret("v")}
	if err := st.Write(ctx, junction.KindSecret, "gone", v); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if srv.ScheduledForDeletion("gone") {
		t.Fatal("secret was scheduled for deletion instead of deleted")
	}
	// Without a recovery window the name is free again at once.
	if err := st.Write(ctx, junction.KindSecret, "gone", v); err != nil {
		t.Fatalf("Write after Delete: %v", err)
	}
	if err := st.Delete(ctx, "never-there"); !junction.IsCode(err, junction.ECREDNOTFOUND) {
		t.Fatalf("Delete missing: %v, want %s", err, junction.ECREDNOTFOUND)
	}
}

func TestScheduledForDeletion(t *testing.T) {
	srv := awssmtest.New(t)
	st, _ := openStore(t, srv.Config())
	ctx := context.Background()
	srv.Put("windowed", "v")
	scheduleDeletion(t, srv, "windowed")
	if _, err := st.Read(ctx, junction.KindSecret, "windowed"); !junction.IsCode(err, junction.ECREDNOTFOUND) {
		t.Fatalf("Read: %v, want %s", err, junction.ECREDNOTFOUND)
	}
	err := st.Write(ctx, junction.KindSecret, "windowed", junction.StoredSecret{Value: junction.NewSecret("v")})
	if !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("Write: %v, want %s", err, junction.ECONFLICT)
	}
}

// scheduleDeletion deletes name with a recovery window, as an operator using
// the console does by default.
func scheduleDeletion(t *testing.T, srv *awssmtest.Server, name string) {
	t.Helper()
	client := secretsmanager.New(secretsmanager.Options{
		Region:       awssmtest.Region,
		BaseEndpoint: aws.String(srv.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(awssmtest.AccessKeyID, awssmtest.SecretAccessKey, ""),
		HTTPClient:   tlsClient(t, srv.CACertPEM()),
	})
	if _, err := client.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	if !srv.ScheduledForDeletion(name) {
		t.Fatal("not scheduled")
	}
}

func tlsClient(t *testing.T, caPEM string) *http.Client {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatal("bad CA")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestUnavailable(t *testing.T) {
	srv := awssmtest.New(t)
	st, _ := openStore(t, srv.Config())
	ctx := context.Background()
	for _, status := range []int{500, 503} {
		srv.FailWith(status)
		_, err := st.Read(ctx, junction.KindSecret, "during-outage")
		if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) || strings.Contains(junction.ErrorMessage(err), "during-outage") {
			t.Fatalf("Read during %d: %v, want %s not naming the secret", status, err, junction.ECREDSTOREUNAVAILABLE)
		}
	}
	srv.FailWith(0)
	cfg := srv.Config()
	delete(cfg, "ca_cert")
	untrusting, _ := openStore(t, cfg)
	err := untrusting.Check(ctx)
	var ue *junction.StoreUnreachableError
	if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) || !errors.As(err, &ue) || !strings.Contains(ue.Diagnosis, "ca_cert") {
		t.Fatalf("Check without ca_cert: %v, want %s diagnosed as needing ca_cert", err, junction.ECREDSTOREUNAVAILABLE)
	}
}
