package engine_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/engine"
)

// Okta pages its lists with Link headers, one per relation, the next page's
// URL carrying an after cursor
// (https://developer.okta.com/docs/api/#pagination): the list follows
// rel="next" and stops when the last page has only rel="self".
func TestOktaLinkHeaderPagination(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "SSWS 00okta-token-1" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`))
			return
		}
		if r.URL.Path != "/api/v1/users" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		switch r.URL.Query().Get("after") {
		case "":
			w.Header().Add("Link", "<"+srv.URL+"/api/v1/users?limit=200>; rel=\"self\"")
			w.Header().Add("Link", "<"+srv.URL+"/api/v1/users?after=00u1f96ECLNVOKVMUSEA&limit=200>; rel=\"next\"")
			_, _ = w.Write([]byte(`[{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","profile":{"login":"ann@acme.com"}},
				{"id":"00u1f96ECLNVOKVMUSEA","status":"ACTIVE","profile":{"login":"bob@acme.com"}}]`))
		case "00u1f96ECLNVOKVMUSEA":
			w.Header().Add("Link", "<"+srv.URL+"/api/v1/users?after=00u1f96ECLNVOKVMUSEA&limit=200>; rel=\"self\"")
			_, _ = w.Write([]byte(`[{"id":"00u2b3c4d5e6f7g8h9i0","status":"STAGED","profile":{"login":"cy@acme.com"}}]`))
		default:
			t.Errorf("unexpected page %s", r.URL.RawQuery)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, "okta", srv.URL, []string{"https://{okta_domain}"})})
	f.trust(srv)
	conn := f.connection(t, "okta-standin", "api_token", map[string]junction.FieldValue{"okta_domain": {Value: "acme.okta.com"}},
		map[string]junction.Secret{"api_token": junction.NewSecret("00okta-token-1")})
	res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Object: "user", Operation: "list", MaxPages: 10})
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := res.Output.([]any)
	var ids []string
	for _, r := range recs {
		m, _ := r.(map[string]any)
		id, _ := m["id"].(string)
		ids = append(ids, id)
	}
	if got := strings.Join(ids, " "); got != "00ub0oNGTSWTBKOLGLNR 00u1f96ECLNVOKVMUSEA 00u2b3c4d5e6f7g8h9i0" {
		t.Errorf("records %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) != 2 || queries[0] != "limit=200" || queries[1] != "after=00u1f96ECLNVOKVMUSEA&limit=200" {
		t.Errorf("queries %q", queries)
	}
}

// An Okta service app's token acts for no user: /api/v1/users/me answers
// it 404 E0000007. Its connection test lists one user instead, as
// https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/
// ("Make a request") does with the token it obtains.
func TestOktaServiceAppConnectionTest(t *testing.T) {
	var mu sync.Mutex
	var tested []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth2/v1/token" {
			_ = r.ParseForm()
			if r.PostForm.Get("client_assertion") == "" || r.PostForm.Get("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
			_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3600,"access_token":"eyJraWQiOiJzZXJ2aWNlIn0.svc","scope":"okta.users.read"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer eyJraWQiOiJzZXJ2aWNlIn0.svc" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`))
			return
		}
		mu.Lock()
		tested = append(tested, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		switch r.URL.Path {
		case "/api/v1/users/me":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: me (User)","errorLink":"E0000007","errorId":"oae4nRyHuMXSvObMQvWQ0UaSQ","errorCauses":[]}`))
		case "/api/v1/users":
			_, _ = w.Write([]byte(`[{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","profile":{"login":"ann@acme.com"}}]`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, "okta", srv.URL, []string{"https://{okta_domain}"})})
	f.trust(srv)
	conn := f.connection(t, "okta-standin", "service_app", map[string]junction.FieldValue{
		"okta_domain": {Value: "acme.okta.com"}, "client_id": {Value: "0oa1b2c3d4e5f6g7h8i9"}, "scopes": {Value: "okta.users.read"},
	}, map[string]junction.Secret{"private_key": junction.NewSecret(pkcs8PEM(t, jwtKeyE()))})
	if _, err := f.eng.Test(f.ctx, conn); err != nil {
		t.Fatalf("test: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tested) != 1 || tested[0] != "/api/v1/users?limit=1" {
		t.Errorf("tested with %q", tested)
	}
}
