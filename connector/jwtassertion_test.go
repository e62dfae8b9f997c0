package connector_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction"
	"junction/connector"
)

// Keys are generated once: RSA key generation is the slow part of these
// tests.
var (
	testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	testECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func pemPKCS1(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func pemPKCS8(tb testing.TB, k any) string {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
}

// serviceAccountJSON is a key file laid out as Google's console downloads
// it.
func serviceAccountJSON(tb testing.TB, tokenURI string) string {
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "acme-prod", "private_key_id": "4f1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4",
		"private_key": pemPKCS8(tb, testRSAKey()), "client_email": "junction@acme-prod.iam.gserviceaccount.com",
		"client_id": "104629577152049128346", "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// parseAssertion verifies the signature with the public key and returns
// the header and claims.
func parseAssertion(t *testing.T, s junction.Secret, alg string, pub any) (map[string]any, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(s.Reveal(), claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return time.Unix(1780000000, 0) }))
	if err != nil {
		t.Fatalf("assertion does not verify: %v", err)
	}
	return tok.Header, claims
}

func TestJWTBearerGoogleServiceAccount(t *testing.T) {
	now := time.Unix(1780000000, 0)
	for _, key := range []string{"google-drive", "google-sheets", "gmail"} {
		t.Run(key, func(t *testing.T) {
			d := mustDefinition(t, key)
			cred := connector.Credentials{Auth: "service_account",
				Fields:  map[string]string{"subject": "ann@acme.com"},
				Secrets: secrets("service_account_key", serviceAccountJSON(t, "https://oauth2.googleapis.com/token"))}
			s, err := d.OAuth2(cred)
			if err != nil {
				t.Fatal(err)
			}
			if s.TokenURL != "https://oauth2.googleapis.com/token" || s.Assertion == nil {
				t.Fatalf("settings %+v", s)
			}
			signed, err := s.Assertion.Sign(now)
			if err != nil {
				t.Fatal(err)
			}
			h, c := parseAssertion(t, signed, "RS256", &testRSAKey().PublicKey)
			if h["kid"] != "4f1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4" || h["typ"] != "JWT" {
				t.Errorf("header %v", h)
			}
			want := map[string]any{"iss": "junction@acme-prod.iam.gserviceaccount.com", "aud": "https://oauth2.googleapis.com/token",
				"scope": s.Scopes[0], "sub": "ann@acme.com", "iat": float64(now.Unix()), "exp": float64(now.Add(time.Hour).Unix())}
			if fmt.Sprint(map[string]any(c)) != fmt.Sprint(want) {
				t.Errorf("claims %v, want %v", c, want)
			}
		})
	}
	t.Run("NoSubject", func(t *testing.T) {
		cred := connector.Credentials{Auth: "service_account",
			Secrets: secrets("service_account_key", serviceAccountJSON(t, "https://oauth2.googleapis.com/token"))}
		s, err := mustDefinition(t, "google-drive").OAuth2(cred)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Assertion.Claims["sub"]; ok {
			t.Errorf("sub sent without a subject: %v", s.Assertion.Claims)
		}
	})
	t.Run("TokenURIFromKey", func(t *testing.T) {
		d := mustParse(t, `key: sa
display_name: SA
version: 1.0.0
base_url: https://example.googleapis.com
auth:
  - type: oauth2_jwt_bearer
    private_key: "{key}"
    scopes: [https://www.googleapis.com/auth/cloud-platform]
    fields: [{name: key, type: secret, required: true}]
`)
		s, err := d.OAuth2(connector.Credentials{Secrets: secrets("key", serviceAccountJSON(t, "https://oauth2.example.com/token"))})
		if err != nil {
			t.Fatal(err)
		}
		if s.TokenURL != "https://oauth2.example.com/token" || s.Assertion.Claims["aud"] != s.TokenURL {
			t.Errorf("token URL %q, claims %v", s.TokenURL, s.Assertion.Claims)
		}
		_, err = d.OAuth2(connector.Credentials{Secrets: secrets("key", serviceAccountJSON(t, "http://oauth2.example.com/token"))})
		wantInvalid(t, err, "fields.key")
	})
}

func TestJWTBearerDocuSign(t *testing.T) {
	now := time.Unix(1780000000, 0)
	d := mustDefinition(t, "docusign")
	cred := connector.Credentials{Auth: "jwt_grant",
		Fields: map[string]string{"base_host": "demo.docusign.net", "account_id": "f0f3f3d5", "auth_host": "account-d.docusign.com",
			"integration_key": "7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2", "user_id": "4c3b2a19-0f1e-4d2c-9b8a-7f6e5d4c3b2a"},
		Secrets: secrets("rsa_private_key", pemPKCS1(testRSAKey()))}
	s, err := d.OAuth2(cred)
	if err != nil {
		t.Fatal(err)
	}
	if s.TokenURL != "https://account-d.docusign.com/oauth/token" {
		t.Errorf("token URL %q", s.TokenURL)
	}
	signed, err := s.Assertion.Sign(now)
	if err != nil {
		t.Fatal(err)
	}
	h, c := parseAssertion(t, signed, "RS256", &testRSAKey().PublicKey)
	if _, ok := h["kid"]; ok {
		t.Errorf("header %v", h)
	}
	want := map[string]any{"iss": "7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2", "sub": "4c3b2a19-0f1e-4d2c-9b8a-7f6e5d4c3b2a",
		"aud": "account-d.docusign.com", "scope": "signature impersonation",
		"iat": float64(now.Unix()), "exp": float64(now.Add(time.Hour).Unix())}
	if fmt.Sprint(map[string]any(c)) != fmt.Sprint(want) {
		t.Errorf("claims %v, want %v", c, want)
	}
	// https://developers.docusign.com/platform/auth/consent/obtaining-individual-consent/
	t.Run("ConsentPage", func(t *testing.T) {
		const page = "https://account-d.docusign.com/oauth/auth?client_id=7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2"
		if s.ConsentError != "consent_required" || s.ConsentURL != page+"&response_type=code&scope=signature%20impersonation" {
			t.Errorf("consent %q %q", s.ConsentError, s.ConsentURL)
		}
		cred.Fields["consent_redirect_uri"] = "https://localhost:3000/ds/callback?x=1"
		s, err := d.OAuth2(cred)
		if err != nil {
			t.Fatal(err)
		}
		if want := page + "&redirect_uri=https%3A%2F%2Flocalhost%3A3000%2Fds%2Fcallback%3Fx%3D1&response_type=code&scope=signature%20impersonation"; s.ConsentURL != want {
			t.Errorf("consent URL\n%s, want\n%s", s.ConsentURL, want)
		}
		if strings.Contains(s.ConsentURL, "PRIVATE") {
			t.Error("the consent URL holds the key")
		}
	})
}

func TestPrivateKeyJWTOkta(t *testing.T) {
	now := time.Unix(1780000000, 0)
	d := mustDefinition(t, "okta")
	for _, tc := range []struct {
		alg string
		key string
		pub any
	}{
		{"RS256", pemPKCS8(t, testRSAKey()), &testRSAKey().PublicKey},
		{"ES256", pemPKCS8(t, testECKey()), &testECKey().PublicKey},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			cred := connector.Credentials{Auth: "service_app",
				Fields:  map[string]string{"okta_domain": "acme.okta.com", "client_id": "0oa1b2c3d4e5f6g7h8i9", "key_id": "jwks1"},
				Secrets: secrets("private_key", tc.key)}
			s, err := d.OAuth2(cred)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(s.Scopes, " ") != "okta.users.read okta.users.manage okta.groups.read okta.groups.manage okta.apps.read okta.logs.read" {
				t.Errorf("scopes %v", s.Scopes)
			}
			a, err := s.Assertion.Sign(now)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Assertion.Sign(now)
			if err != nil {
				t.Fatal(err)
			}
			h, c := parseAssertion(t, a, tc.alg, tc.pub)
			_, c2 := parseAssertion(t, b, tc.alg, tc.pub)
			if h["kid"] != "jwks1" || h["alg"] != tc.alg {
				t.Errorf("header %v", h)
			}
			if c["iss"] != "0oa1b2c3d4e5f6g7h8i9" || c["sub"] != "0oa1b2c3d4e5f6g7h8i9" || c["aud"] != "https://acme.okta.com/oauth2/v1/token" ||
				c["exp"] != float64(now.Add(5*time.Minute).Unix()) || c["iat"] != float64(now.Unix()) {
				t.Errorf("claims %v", c)
			}
			if c["jti"] == "" || c["jti"] == nil || c["jti"] == c2["jti"] {
				t.Errorf("jti %v and %v, want two different ones", c["jti"], c2["jti"])
			}
			if s.ClientSecret.Reveal() != "" {
				t.Error("a private_key_jwt client has a secret")
			}
		})
	}
}

// A key that cannot be read is refused with a message that quotes none of
// it; the settings print nothing of the key.
func TestJWTAssertionKeyErrors(t *testing.T) {
	d := mustDefinition(t, "docusign")
	base := map[string]string{"base_host": "demo.docusign.net", "account_id": "f0f3f3d5", "auth_host": "account-d.docusign.com",
		"integration_key": "7c2b8d7e", "user_id": "4c3b2a19"}
	good := pemPKCS1(testRSAKey())
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Split(good, "\n")[5]
	for name, key := range map[string]string{
		"Garbage":   "not-a-key-" + body,
		"Truncated": good[:200],
		"Small":     pemPKCS1(small),
		"EC":        pemPKCS8(t, testECKey()), // the key type picks ES256
		"BadJSON":   `{"type":"service_account","private_key":"` + body + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			// A key that looks like one is parsed only when it signs.
			s, err := d.OAuth2(connector.Credentials{Auth: "jwt_grant", Fields: base, Secrets: secrets("rsa_private_key", key)})
			if err == nil {
				_, err = s.Assertion.Sign(time.Unix(1780000000, 0))
			}
			if name == "EC" {
				if err != nil {
					t.Fatalf("an EC key signs ES256: %v", err)
				}
				return
			}
			wantInvalid(t, err, "fields.rsa_private_key")
			if strings.Contains(err.Error(), body) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), body) {
				t.Error("the error quotes the key")
			}
		})
	}
	s, err := d.OAuth2(connector.Credentials{Auth: "jwt_grant", Fields: base, Secrets: secrets("rsa_private_key", good)})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", s), fmt.Sprintf("%+v", *s), fmt.Sprintf("%#v", s.Assertion), mustJSONText(t, s)} {
		if strings.Contains(out, body) {
			t.Errorf("printed settings hold the key: %.80s", out)
		}
	}
	// Escaped line breaks (a key pasted from a .env file), and line breaks
	// lost or turned into spaces (pasted into a one-line input), are
	// accepted.
	for name, key := range map[string]string{
		"Escaped": strings.ReplaceAll(good, "\n", `\n`),
		"Joined":  strings.ReplaceAll(good, "\n", ""),
		"Spaces":  strings.ReplaceAll(good, "\n", " "),
	} {
		s, err := d.OAuth2(connector.Credentials{Auth: "jwt_grant", Fields: base, Secrets: secrets("rsa_private_key", key)})
		if err == nil {
			_, err = s.Assertion.Sign(time.Unix(1780000000, 0))
		}
		if err != nil {
			t.Errorf("%s PEM: %v", name, err)
		}
	}
}

func mustJSONText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJWTAuthValidation(t *testing.T) {
	const head = `key: v
display_name: V
version: 1.0.0
base_url: https://api.example.com
auth:
`
	for name, tc := range map[string]struct{ auth, want string }{
		"ReservedClaim": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    claims: {iss: x, exp: "1"}
    fields: [{name: key, type: secret}]
`, "auth[0].claims.exp"},
		"NoKey": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
`, "auth[0].private_key"},
		"SecretClaim": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    claims: {iss: "{key}"}
    fields: [{name: key, type: secret}]
`, "auth[0].claims.iss"},
		"KeyWithoutPrivateKeyJWT": {`  - type: oauth2_client_credentials
    token_url: https://auth.example.com/token
    client_id: "{id}"
    private_key: "{key}"
    fields: [{name: id, type: text}, {name: key, type: secret}]
`, "auth[0].private_key"},
		"SecretWithPrivateKeyJWT": {`  - type: oauth2_client_credentials
    client_auth: private_key_jwt
    token_url: https://auth.example.com/token
    client_id: "{id}"
    client_secret: "{key}"
    private_key: "{key}"
    fields: [{name: id, type: text}, {name: key, type: secret}]
`, "auth[0].client_secret"},
		"BadAlg": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    signing_alg: HS256
    fields: [{name: key, type: secret}]
`, "auth[0].signing_alg"},
		"ConsentPageSecret": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    consent_page: {error: consent_required, url: https://auth.example.com/consent, query: {k: "{key}"}}
    fields: [{name: key, type: secret}]
`, "auth[0].consent_page.query.k"},
		"ConsentPageNoError": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    consent_page: {error: "", url: https://auth.example.com/consent}
    fields: [{name: key, type: secret}]
`, "auth[0].consent_page.error"},
		"ConsentPageQueryInURL": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    consent_page: {error: consent_required, url: "https://auth.example.com/consent?a=b"}
    fields: [{name: key, type: secret}]
`, "auth[0].consent_page.url"},
		"ConsentPageHTTP": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    private_key: "{key}"
    consent_page: {error: consent_required, url: "http://auth.example.com/consent"}
    fields: [{name: key, type: secret}]
`, "auth[0].consent_page.url"},
		"ConsentPageOnAuthCode": {`  - type: oauth2_authorization_code
    authorize_url: https://auth.example.com/authorize
    token_url: https://auth.example.com/token
    client_id: x
    consent_page: {error: consent_required, url: "https://auth.example.com/consent"}
`, "auth[0].consent_page"},
		"ClientIDOnGrant": {`  - type: oauth2_jwt_bearer
    token_url: https://auth.example.com/token
    client_id: x
    private_key: "{key}"
    fields: [{name: key, type: secret}]
`, "auth[0].client_id"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := connector.Parse([]byte(head + tc.auth))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error on %s", err, tc.want)
			}
		})
	}
}

// FuzzJWTKey: whatever is given as the key, reading it neither panics nor
// quotes it back.
func FuzzJWTKey(f *testing.F) {
	f.Add(pemPKCS1(testRSAKey()))
	f.Add(strings.ReplaceAll(pemPKCS1(testRSAKey()), "\n", " "))
	f.Add(`{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`)
	f.Add("-----BEGIN EC PRIVATE KEY-----MHcCAQEE-----END EC PRIVATE KEY-----")
	d := mustDefinition(f, "docusign")
	base := map[string]string{"base_host": "demo.docusign.net", "account_id": "f0f3f3d5", "auth_host": "account-d.docusign.com",
		"integration_key": "7c2b8d7e", "user_id": "4c3b2a19"}
	f.Fuzz(func(t *testing.T, key string) {
		s, err := d.OAuth2(connector.Credentials{Auth: "jwt_grant", Fields: base, Secrets: secrets("rsa_private_key", key)})
		if err == nil {
			_, err = s.Assertion.Sign(time.Unix(1780000000, 0))
		}
		if err != nil && len(key) >= 12 && strings.Contains(err.Error(), key) {
			t.Errorf("the error quotes the key")
		}
	})
}

// BenchmarkJWTAssertionSign: the key is parsed again for every signature,
// which happens about once an hour per connection; this shows what that
// costs next to the signature itself.
func BenchmarkJWTAssertionSign(b *testing.B) {
	now := time.Unix(1780000000, 0)
	for _, tc := range []struct{ name, key string }{
		{"RS256-PKCS1", pemPKCS1(testRSAKey())},
		{"RS256-ServiceAccountJSON", serviceAccountJSON(b, "https://oauth2.googleapis.com/token")},
		{"ES256-PKCS8", pemPKCS8(b, testECKey())},
	} {
		a := &connector.JWTAssertion{Key: junction.NewSecret(tc.key), Claims: map[string]string{"iss": "x", "aud": "y"}, Lifetime: time.Hour}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := a.Sign(now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJWTBearerSettings: the settings are filled on every execution,
// cached token or not, so they read the key's PEM block without parsing
// the key.
func BenchmarkJWTBearerSettings(b *testing.B) {
	d := mustDefinition(b, "docusign")
	cred := connector.Credentials{Auth: "jwt_grant",
		Fields: map[string]string{"base_host": "demo.docusign.net", "account_id": "f0f3f3d5", "auth_host": "account-d.docusign.com",
			"integration_key": "7c2b8d7e", "user_id": "4c3b2a19"},
		Secrets: secrets("rsa_private_key", pemPKCS1(testRSAKey()))}
	for b.Loop() {
		if _, err := d.OAuth2(cred); err != nil {
			b.Fatal(err)
		}
	}
}
