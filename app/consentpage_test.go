package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

const consentDefinition = `key: consent-probe
display_name: Consent probe
version: 1.0.0
base_url: "%[1]s/api"
auth:
  - type: oauth2_jwt_bearer
    token_url: "%[1]s/oauth/token"
    private_key: "{key}"
    scopes: [signature, impersonation]
    claims: {iss: "{client}", sub: "{user}"}
    consent_page:
      error: consent_required
      url: "%[1]s/oauth/auth"
      query: {response_type: code, scope: signature impersonation, client_id: "{client}"}
    fields:
      - {name: client, type: text, required: true}
      - {name: user, type: text, required: true}
      - {name: key, type: secret, required: true}
test:
  path: /me
`

// A test that meets the token endpoint's request for consent disconnects
// the connection with the consent page to open as its status reason, and
// no secret in it.
func TestTestConnectionConsentRequired(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"consent_required"}`))
	}))
	t.Cleanup(srv.Close)
	a, admin, _, f := withLoopbackEngine(t, srv, "consent-probe", fmt.Sprintf(consentDefinition, srv.URL))
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	c, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "consent-probe", Name: "c", SkipTest: true,
		Fields: map[string]app.FieldInput{"client": text("ik-7c2b"), "user": text("user-4c3b"), "key": text(key)}})
	if err != nil {
		t.Fatal(err)
	}
	_, testErr := a.TestConnection(ctx, admin, c.ID)
	if !junction.IsCode(testErr, junction.ECONNAUTHFAILED) {
		t.Fatalf("test: %v", testErr)
	}
	got, err := a.GetConnection(ctx, admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "consent required: open " + srv.URL + "/oauth/auth?client_id=ik-7c2b&response_type=code&scope=signature%20impersonation"
	if got.Status != junction.ConnectionDisconnected || got.StatusReason != want {
		t.Errorf("status %s %q, want %q", got.Status, got.StatusReason, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(key), "\n")[1:3] {
		if strings.Contains(got.StatusReason, line) || strings.Contains(junction.ErrorMessage(testErr), line) {
			t.Fatal("the private key shows")
		}
	}
}
