package httpapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"junction"
	"junction/credstore/credstoretest"
)

// jwtGrantConnectors is a directory with a connector whose token comes
// from an RFC 7523 JWT bearer grant at a URL the connection names.
func jwtGrantConnectors(t *testing.T) string {
	dir := t.TempDir()
	def := `key: jwtloop
display_name: JWT loopback
version: 1.0.0
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: oauth2_jwt_bearer
    token_url: "{token_url}"
    private_key: "{private_key}"
    scopes: [things.read]
    claims: {iss: "{issuer}"}
    fields:
      - {name: token_url, type: text, required: true}
      - {name: issuer, type: text, required: true}
      - {name: private_key, type: secret, required: true}
test:
  path: /me
`
	if err := os.WriteFile(filepath.Join(dir, "jwtloop.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A connection whose key is pasted into the API: the key signs the
// assertion the token endpoint verifies, and is found nowhere in what the
// API answers or the server logs, on either database.
func TestJWTGrantKeyNeverShown(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}))
	plants := []junction.Secret{junction.NewSecret(keyPEM), junction.NewSecret(otherPEM)}
	for _, p := range []string{keyPEM, otherPEM} {
		for _, line := range strings.Split(p, "\n") {
			if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
				plants = append(plants, junction.NewSecret(line))
			}
		}
	}

	// The vendor: an RFC 7523 token endpoint that knows key's public half,
	// and an API that takes the tokens it issued.
	var (
		mu     sync.Mutex
		issued = map[string]bool{}
		sent   []string
	)
	vendor := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/token" {
			body, _ := io.ReadAll(r.Body)
			sent = append(sent, string(body))
			form, _ := url.ParseQuery(string(body))
			claims := jwt.MapClaims{}
			_, err := jwt.ParseWithClaims(form.Get("assertion"), claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
				jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuedAt(), jwt.WithExpirationRequired(), jwt.WithoutClaimsValidation())
			if err != nil || form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
				claims["iss"] != "svc@example.com" || claims["scope"] != "things.read" || claims["aud"] != "https://"+r.Host+"/token" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"invalid_grant"}`)
				return
			}
			tok := fmt.Sprintf("jwt-issued-%d", len(issued)+1)
			issued[tok] = true
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, tok)
			return
		}
		if !issued[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	t.Cleanup(vendor.Close)
	roots := x509.NewCertPool()
	roots.AddCert(vendor.Certificate())

	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t), envOptions{roots: roots, connectorsDir: jwtGrantConnectors(t)})
		f := e.createFolder(e.admin, "Team", "")
		var shown []string
		body := func(name, pemKey string) map[string]any {
			return map[string]any{"folder_id": f.ID, "connector": "jwtloop", "name": name, "auth_type": "oauth2_jwt_bearer",
				"fields": map[string]any{"base_url": vendor.URL, "token_url": vendor.URL + "/token", "issuer": "svc@example.com",
					"private_key": pemKey}}
		}
		// A key the vendor does not know fails the connection's test.
		r := e.call("POST", "/api/v1/connections", e.admin, body("wrong", otherPEM))
		if p := r.problem(t); p.Code != junction.ECONNAUTHFAILED {
			t.Fatalf("wrong key: %d %s", r.status, r.body)
		}
		shown = append(shown, string(r.body))
		// Its line breaks lost, as pasted into a one-line input, the key
		// still works.
		c := e.createConnection(e.admin, body("api", strings.ReplaceAll(keyPEM, "\n", "")))
		if c.Status != junction.ConnectionConnected || !c.Fields["private_key"].Set {
			t.Fatalf("created %+v", c)
		}
		path := "/api/v1/connections/" + c.ID
		shown = append(shown, string(e.must(http.StatusOK, "GET", path, e.admin, nil, nil).body))
		shown = append(shown, string(e.must(http.StatusOK, "POST", path+"/test", e.admin, nil, nil).body))
		var res executeResult
		shown = append(shown, string(e.must(http.StatusOK, "POST", path+"/execute", e.admin, getThings, &res).body))
		shown = append(shown, string(e.must(http.StatusOK, "GET", "/api/v1/executions/"+res.ExecutionID, e.admin, nil, nil).body))
		shown = append(shown, string(e.must(http.StatusOK, "GET", "/api/v1/connections", e.admin, nil, nil).body))
		if res.Status != "succeeded" {
			t.Fatalf("execution %+v", res)
		}
		for i, s := range shown {
			credstoretest.AssertNoLeak(t, fmt.Sprintf("API answer %d", i), s, plants...)
		}
		credstoretest.AssertNoLeak(t, "server logs", e.logs.String(), plants...)
		mu.Lock()
		defer mu.Unlock()
		credstoretest.AssertNoLeak(t, "token requests", strings.Join(sent, "\n"), plants...)
	})
}
