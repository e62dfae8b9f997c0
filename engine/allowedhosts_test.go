package engine_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
)

// recorder is a TLS server that keeps everything it is sent, to look for
// a secret in, and answers 200.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got strings.Builder
	n   int
}

func newRecorder(t testing.TB, then http.HandlerFunc) *recorder {
	r := &recorder{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.n++
		r.got.WriteString(req.Method + " " + req.URL.String() + "\n")
		_ = req.Header.Write(&r.got)
		r.got.Write(body)
		r.mu.Unlock()
		if then != nil {
			then(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"at-1","token_type":"bearer","expires_in":3600}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n, r.got.String()
}

func TestAllowedHosts(t *testing.T) {
	const key = "key-plant-allowed-4d1e"

	restricted := func(t *testing.T, f *fixture, hosts ...string) *junction.Asset {
		t.Helper()
		a := f.vaultAsset(t, "restricted-"+junction.NewID()[24:], junction.AssetSecret, map[string]string{"value": key})
		a.AllowedHosts = hosts
		if err := f.store.UpdateAsset(f.ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	keyed := func(t *testing.T, f *fixture, baseURL string, a *junction.Asset) *junction.Connection {
		return f.connection(t, "http", "api_key", map[string]junction.FieldValue{
			"base_url": {Value: baseURL}, "api_key": {AssetID: a.ID},
		}, nil)
	}

	t.Run("OK", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key)
		f.trust(api.srv)
		conn := keyed(t, f, api.srv.URL+"/v1", restricted(t, f, "api.example.com", "127.0.0.1"))
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
			t.Fatal(err)
		}
		if api.requests.Load() != 1 {
			t.Fatalf("%d requests", api.requests.Load())
		}
	})
	t.Run("ErrOtherHost", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		attacker := newRecorder(t, nil)
		f.trust(attacker.srv)
		a := restricted(t, f, "api.example.com", "*.example.net")
		conn := keyed(t, f, attacker.srv.URL, a)
		res, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		je := wantCode(t, err, junction.ECREDNOTALLOWED)
		if !strings.Contains(je.Message, a.Name) || !strings.Contains(je.Message, a.ID) || je.Details["asset_id"] != a.ID ||
			je.Field != "fields.api_key" {
			t.Errorf("error %+v should name the asset and field", je)
		}
		credstoretest.AssertNoLeak(t, "error", mustJSON(t, je.Details)+je.Message, junction.NewSecret(key))
		if n, _ := attacker.requests(); n != 0 {
			t.Fatalf("the disallowed host got %d requests", n)
		}
		if res == nil || res.Status != "failed" {
			t.Fatalf("result %+v", res)
		}
		// A test refuses the same way, and sends nothing either.
		_, err = f.eng.Test(f.ctx, conn)
		wantCode(t, err, junction.ECREDNOTALLOWED)
		if n, _ := attacker.requests(); n != 0 {
			t.Fatalf("the disallowed host got %d requests from a test", n)
		}
	})
	t.Run("ErrRedirectToOtherHost", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		attacker := newRecorder(t, nil)
		api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			// To the same address by another name: only the name is
			// allowed, so the hop is refused.
			http.Redirect(w, r, strings.Replace(attacker.srv.URL, "127.0.0.1", "localhost", 1)+"/steal", http.StatusTemporaryRedirect)
		})
		f.trust(api.srv)
		conn := keyed(t, f, api.srv.URL, restricted(t, f, "127.0.0.1"))
		_, err := f.eng.Execute(f.ctx, itemsRequest(conn))
		wantCode(t, err, junction.ECREDNOTALLOWED)
		if n, got := attacker.requests(); n != 0 || strings.Contains(got, key) {
			t.Fatalf("the redirect was followed: %d requests", n)
		}
		if n, _ := api.requests(); n != 1 {
			t.Fatalf("the allowed host got %d requests", n)
		}
	})
	t.Run("UnrestrictedAssetUnchanged", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		api := newKeyedAPI(t, key)
		f.trust(api.srv)
		conn := assetKeyConnection(t, f, api, key)
		if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrTokenEndpoint", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		tokens := newRecorder(t, nil)
		api := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
		f.trust(tokens.srv)
		secret := restricted(t, f, "login.example.com")
		conn := f.connection(t, "http", "oauth2_client_credentials", map[string]junction.FieldValue{
			"base_url":      {Value: api.srv.URL},
			"token_url":     {Value: tokens.srv.URL + "/oauth/token"},
			"client_id":     {Value: "sid1"},
			"client_secret": {AssetID: secret.ID},
		}, nil)
		_, err := f.eng.Execute(f.ctx, meRequest(conn))
		je := wantCode(t, err, junction.ECREDNOTALLOWED)
		if je.Field != "fields.client_secret" {
			t.Errorf("field %q", je.Field)
		}
		if n, _ := tokens.requests(); n != 0 {
			t.Fatalf("the token endpoint got %d requests", n)
		}
		if n, _ := api.requests(); n != 0 {
			t.Fatalf("the API got %d requests", n)
		}
	})
	t.Run("ErrConsentForDisallowedTokenEndpoint", func(t *testing.T) {
		// A consent whose code would be exchanged, client secret and all,
		// at a host the secret may not go to is not begun.
		f := newFixture(t, fixtureOptions{})
		secret := restricted(t, f, "login.example.com")
		conn := f.connection(t, "http", "oauth2_authorization_code", map[string]junction.FieldValue{
			"base_url":      {Value: "https://api.example.com"},
			"authorize_url": {Value: "https://login.example.com/authorize"},
			"token_url":     {Value: "https://tokens.example.org/token"},
			"client_id":     {Value: "app"},
			"client_secret": {AssetID: secret.ID},
		}, nil)
		_, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", "https://junction.test/callback")
		wantCode(t, err, junction.ECREDNOTALLOWED)
	})
	t.Run("TokenEndpointAllowed", func(t *testing.T) {
		// The client secret is held to the token endpoint only: the API,
		// which gets the access token, may be elsewhere.
		f := newFixture(t, fixtureOptions{})
		tokens := newRecorder(t, nil)
		api := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
		f.trust(tokens.srv)
		secret := restricted(t, f, "127.0.0.1")
		conn := f.connection(t, "http", "oauth2_client_credentials", map[string]junction.FieldValue{
			"base_url":      {Value: strings.Replace(api.srv.URL, "127.0.0.1", "localhost", 1)},
			"token_url":     {Value: tokens.srv.URL + "/oauth/token"},
			"client_id":     {Value: "sid1"},
			"client_secret": {AssetID: secret.ID},
		}, nil)
		_, err := f.eng.Execute(f.ctx, meRequest(conn))
		if n, _ := tokens.requests(); n != 1 {
			t.Fatalf("token endpoint: %d requests", n)
		}
		// The API's certificate does not name localhost: what matters is
		// that the request was not refused for the client secret.
		if junction.IsCode(err, junction.ECREDNOTALLOWED) {
			t.Fatalf("refused: %v", err)
		}
	})
}
