package cyberark_test

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"junction"
	"junction/credstore/cyberark/cyberarktest"
)

// TestClientPKCS12Formats: a client certificate bundle opens whichever way
// it was made: by current OpenSSL with its defaults (AES-256, SHA-256),
// by the same algorithms in Go, or with the legacy 3DES ones.
func TestClientPKCS12Formats(t *testing.T) {
	srv := newServer(t)
	srv.Put(safe, folder, "crm-api", cyberarktest.Account{UserName: "crm-bot", Content: "pw-crm"})
	certPEM, keyPEM, cert, err := srv.ClientCA().IssueClient("junction-prod")
	if err != nil {
		t.Fatal(err)
	}
	bundles := map[string]func(t *testing.T) []byte{
		"Modern": func(t *testing.T) []byte {
			der, err := cyberarktest.EncodePKCS12(cert, p12pw)
			if err != nil {
				t.Fatal(err)
			}
			return der
		},
		"Legacy3DES": func(t *testing.T) []byte {
			der, err := cyberarktest.EncodeLegacyPKCS12(cert, p12pw)
			if err != nil {
				t.Fatal(err)
			}
			return der
		},
		"OpenSSLDefaults": func(t *testing.T) []byte {
			openssl, err := exec.LookPath("openssl")
			if err != nil {
				t.Skip("openssl is not installed")
			}
			dir := t.TempDir()
			certFile, keyFile, out := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "b.p12")
			for f, v := range map[string]string{certFile: certPEM, keyFile: keyPEM} {
				if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(openssl, "pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-out", out,
				"-passout", "pass:"+p12pw)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("openssl pkcs12 -export: %v: %s", err, b)
			}
			der, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			return der
		},
	}
	for name, bundle := range bundles {
		t.Run(name, func(t *testing.T) {
			cfg := pemConfig(t, srv)
			delete(cfg, "client_cert")
			delete(cfg, "client_key")
			cfg["client_pkcs12"] = base64.StdEncoding.EncodeToString(bundle(t))
			cfg["client_pkcs12_password"] = p12pw
			s := mustOpen(t, cfg)
			got, err := s.Read(t.Context(), junction.KindCredential, "crm-api")
			if err != nil || got.Username != "crm-bot" {
				t.Fatalf("Read with a %s bundle: %q, %v", name, got.Username, err)
			}
		})
	}
}
