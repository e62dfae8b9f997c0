package engine_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"junction"
)

// Zoom's Server-to-Server OAuth token request as
// https://developers.zoom.us/docs/internal-apps/s2s-oauth/ shows it:
// POST https://zoom.us/oauth/token?grant_type=account_credentials&account_id=...
// with the client ID and secret in Basic and nothing in the body.
func TestZoomAccountCredentialsInQuery(t *testing.T) {
	var mu sync.Mutex
	var token *http.Request
	var tokenBody string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			token, tokenBody = r, string(b)
			mu.Unlock()
			_, _ = w.Write([]byte(`{"access_token":"zoom-at","token_type":"bearer","expires_in":3599,"scope":"user:read:admin","api_url":"https://api.zoom.us"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer zoom-at" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":124,"message":"Invalid access token."}`))
			return
		}
		_, _ = w.Write([]byte(`{"id":"KDcuGIm1QgePTO8WbOqwIQ","account_id":"aBcD1234"}`))
	}))
	t.Cleanup(srv.Close)
	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, "zoom", srv.URL, []string{"https://api.zoom.us/v2", "https://zoom.us"})})
	f.trust(srv)
	conn := f.connection(t, "zoom-standin", "server_to_server",
		map[string]junction.FieldValue{"account_id": {Value: "aBcD 1234"}, "client_id": {Value: "zoom-client"}},
		map[string]junction.Secret{"client_secret": junction.NewSecret("zoom-secret")})
	if _, err := f.eng.Test(f.ctx, conn); err != nil {
		t.Fatalf("test: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if token == nil {
		t.Fatal("no token request")
	}
	if token.Method != http.MethodPost {
		t.Errorf("method %s", token.Method)
	}
	if got, want := token.URL.RawQuery, "account_id=aBcD+1234&grant_type=account_credentials"; got != want {
		t.Errorf("query %q, want %q", got, want)
	}
	if id, secret, ok := token.BasicAuth(); !ok || id != "zoom-client" || secret != "zoom-secret" {
		t.Errorf("basic auth %q %v", id, ok)
	}
	if tokenBody != "" {
		t.Errorf("body %q, want none", tokenBody)
	}
}
