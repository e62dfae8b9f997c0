package connector_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction"
	"junction/connector"
)

func TestDPoPSettingRejects(t *testing.T) {
	withDPoP := func(v string) string {
		return strings.Replace(ccMinimal, "    fields:", "    dpop: "+v+"\n    fields:", 1)
	}
	cases := []struct {
		name, doc, path, msg string
	}{
		{"OnBearer", strings.Replace(minimal, "  - type: bearer\n", "  - type: bearer\n    dpop: true\n", 1), "auth[0].dpop", "does not apply to type bearer"},
		{"NotBoolean", withDPoP("sometimes"), "auth[0].dpop", "must be true, false"},
		{"UndeclaredField", withDPoP(`"{dpop}"`), "auth[0].dpop", `undeclared field "dpop"`},
		{"TextField", withDPoP(`"{account}"`), "auth[0].dpop", `field "account" must be a boolean field`},
		{"WithVendorHeader", strings.Replace(withDPoP("true"), "    fields:", "    name: X-Token\n    fields:", 1), "auth[0].dpop", "not in the header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := problems(t, tc.doc)
			for _, p := range probs {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
}

// The setting is true, or a boolean field the connection turns on.
func TestDPoPSetting(t *testing.T) {
	creds := func(fields map[string]string) connector.Credentials {
		fields["account"], fields["client_id"] = "a", "c"
		return connector.Credentials{Fields: fields, Secrets: secrets("client_secret", "s")}
	}
	always := mustParse(t, strings.Replace(ccMinimal, "    fields:", "    dpop: true\n    fields:", 1))
	byField := mustParse(t, strings.Replace(ccMinimal, "    fields:", "    dpop: \"{dpop}\"\n    fields:\n      - {name: dpop, type: boolean}", 1))
	for _, tc := range []struct {
		name string
		def  *connector.Definition
		f    map[string]string
		want bool
	}{
		{"Always", always, map[string]string{}, true},
		{"FieldOn", byField, map[string]string{"dpop": "true"}, true},
		{"FieldOff", byField, map[string]string{"dpop": "false"}, false},
		{"FieldUnset", byField, map[string]string{}, false},
		{"None", mustParse(t, ccMinimal), map[string]string{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.def.OAuth2(creds(tc.f))
			if err != nil {
				t.Fatal(err)
			}
			if s.DPoP != tc.want {
				t.Errorf("DPoP = %v, want %v", s.DPoP, tc.want)
			}
		})
	}
}

// A proof is what RFC 9449 section 4.2 asks: typ dpop+jwt, ES256, the
// public key as jwk (and it verifies with it), htm, htu without query and
// fragment, iat, a fresh jti, nonce when given, ath for a token.
func TestDPoPProof(t *testing.T) {
	k, err := connector.NewDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1780000000, 0)
	u, _ := url.Parse("https://acme.okta.com/api/v1/users?limit=1#frag")
	access := junction.NewSecret("access-token-plant-71c3")
	parse := func(s string) (map[string]any, jwt.MapClaims) {
		t.Helper()
		claims := jwt.MapClaims{}
		tok, err := jwt.ParseWithClaims(s, claims, func(tok *jwt.Token) (any, error) {
			return jwkKey(t, tok.Header["jwk"])
		}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return now }))
		if err != nil {
			t.Fatalf("proof does not verify with its jwk: %v", err)
		}
		return tok.Header, claims
	}
	p1, err := k.Proof(http.MethodGet, u, now, "", access)
	if err != nil {
		t.Fatal(err)
	}
	h, c := parse(p1)
	sum := sha256.Sum256([]byte(access.Reveal()))
	if h["typ"] != "dpop+jwt" || h["alg"] != "ES256" {
		t.Errorf("header %v", h)
	}
	if c["htm"] != "GET" || c["htu"] != "https://acme.okta.com/api/v1/users" || c["iat"] != float64(now.Unix()) ||
		c["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) || c["jti"] == "" || c["nonce"] != nil {
		t.Errorf("claims %v", c)
	}
	if strings.Contains(p1, access.Reveal()) {
		t.Error("the proof carries the token")
	}
	p2, err := k.Proof(http.MethodPost, u, now, "server-nonce-1", junction.Secret{})
	if err != nil {
		t.Fatal(err)
	}
	_, c2 := parse(p2)
	if c2["nonce"] != "server-nonce-1" || c2["ath"] != nil || c2["jti"] == c["jti"] || c2["htm"] != "POST" {
		t.Errorf("claims %v", c2)
	}

	// Kept and read back, it is the same key.
	der, err := k.MarshalPKCS8()
	if err != nil {
		t.Fatal(err)
	}
	back, err := connector.ParseDPoPKey(der)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.PublicJWK()) != fmt.Sprint(k.PublicJWK()) {
		t.Error("the key read back differs")
	}
	if _, err := connector.ParseDPoPKey([]byte("nonsense")); err == nil || strings.Contains(err.Error(), "nonsense") {
		t.Errorf("bad key: %v", err)
	}
	// It never prints.
	d := k.PublicJWK()["x"].(string)
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("key", "k", k)
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%+v %#v %s", k, k, k), logs.String()} {
		if !strings.Contains(out, junction.Redacted) || strings.Contains(out, d) {
			t.Errorf("printed %q", out)
		}
	}
}

func TestDPoPNonceChallenge(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		status int
		h      http.Header
		want   string
	}{
		{"Challenge", 401, h("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`, "DPoP-Nonce", "n-1"), "n-1"},
		{"OtherError", 401, h("WWW-Authenticate", `DPoP error="invalid_token"`, "DPoP-Nonce", "n-1"), ""},
		{"NoNonce", 401, h("WWW-Authenticate", `DPoP error="use_dpop_nonce"`), ""},
		{"Bearer", 401, h("WWW-Authenticate", `Bearer error="use_dpop_nonce"`, "DPoP-Nonce", "n-1"), ""},
		{"NotUnauthorized", 400, h("WWW-Authenticate", `DPoP error="use_dpop_nonce"`, "DPoP-Nonce", "n-1"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := connector.DPoPNonceChallenge(tc.status, tc.h)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("got %q %v", got, ok)
			}
		})
	}
}

// jwkKey reads an EC P-256 public JWK.
func jwkKey(t *testing.T, v any) (*ecdsa.PublicKey, error) {
	m, ok := v.(map[string]any)
	if !ok || m["kty"] != "EC" || m["crv"] != "P-256" || m["d"] != nil {
		return nil, fmt.Errorf("jwk %v", v)
	}
	coord := func(name string) *big.Int {
		s, _ := m[name].(string)
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("jwk %s", name)
		}
		return new(big.Int).SetBytes(b)
	}
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: coord("x"), Y: coord("y")}, nil
}
