package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"junction"
	"junction/engine"
)

func TestMain(m *testing.M) {
	// The authorization server's example login UI logs every request to
	// the default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

const (
	redirectURI  = "https://junction.test/api/v1/oauth/callback"
	clientID     = "junction"
	clientSecret = "client-secret-plant-5e2b"
)

// authServer is a real OAuth 2.0 / OpenID Connect provider (zitadel's op
// package with its example storage and login UI) on a loopback TLS port. It
// rotates refresh tokens: each one works once. It counts token requests by
// grant type.
type authServer struct {
	srv     *httptest.Server
	storage *storage.Storage
	issuer  string

	mu     sync.Mutex
	grants map[string]int
	// refreshLifetime, when set, is added to token responses as
	// refresh_token_expires_in (seconds), as some providers send it.
	refreshLifetime atomic.Int64
}

func newAuthServer(t testing.TB) *authServer {
	a := &authServer{grants: map[string]int{}}
	var handler atomic.Pointer[http.Handler]
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/oauth/token" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			a.mu.Lock()
			a.grants[form.Get("grant_type")]++
			a.mu.Unlock()
		}
		if secs := a.refreshLifetime.Load(); secs > 0 && r.URL.Path == "/oauth/token" {
			rec := httptest.NewRecorder()
			(*handler.Load()).ServeHTTP(rec, r)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil && body["refresh_token"] != nil {
				body["refresh_token_expires_in"] = secs
			}
			b, _ := json.Marshal(body)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			_, _ = w.Write(b)
			return
		}
		(*handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	a.issuer = a.srv.URL
	clients := map[string]*storage.Client{clientID: storage.WebClient(clientID, clientSecret, redirectURI)}
	a.storage = storage.NewStorageWithClients(storage.NewUserStore(a.issuer), clients)
	var h http.Handler = exampleop.SetupServer(a.issuer, a.storage, nil, false)
	handler.Store(&h)
	return a
}

func (a *authServer) count(grant string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.grants[grant]
}

// bearerAPI is an upstream API that accepts an access token when the
// authorization server's userinfo endpoint does.
type bearerAPI struct {
	srv   *httptest.Server
	mu    sync.Mutex
	last  string
	calls atomic.Int64
}

func newBearerAPI(t testing.TB, as *authServer) *bearerAPI {
	b := &bearerAPI{}
	hc := as.srv.Client()
	b.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.calls.Add(1)
		auth := r.Header.Get("Authorization")
		b.mu.Lock()
		b.last = strings.TrimPrefix(auth, "Bearer ")
		b.mu.Unlock()
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, as.issuer+"/userinfo", nil)
		req.Header.Set("Authorization", auth)
		resp, err := hc.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bearerAPI) lastToken() string { b.mu.Lock(); defer b.mu.Unlock(); return b.last }

// codeConnection is an http connection using the authorization code flow,
// its client ID and secret a credential asset in the vault.
func codeConnection(t testing.TB, f *fixture, as *authServer, api *bearerAPI) *junction.Connection {
	t.Helper()
	cred := f.vaultAsset(t, "oauth-client", junction.AssetCredential, map[string]string{"username": clientID, "password": clientSecret})
	c := f.connection(t, "http", "oauth2_authorization_code", map[string]junction.FieldValue{
		"base_url":      {Value: api.srv.URL},
		"authorize_url": {Value: as.issuer + "/auth"},
		"token_url":     {Value: as.issuer + "/oauth/token"},
		"client_id":     {AssetID: cred.ID, Part: "username"},
		"client_secret": {AssetID: cred.ID, Part: "password"},
		"scopes":        {Value: "openid profile offline_access"},
	}, nil)
	c.Status, c.StatusReason = junction.ConnectionDisconnected, "authorization pending"
	if err := f.store.UpdateConnection(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	return f.reload(t, c)
}

// authorize runs the whole authorization-code flow: Junction's authorize
// URL, the provider's login form filled in as a user would, and the
// callback handed back to the engine.
func authorize(t testing.TB, f *fixture, as *authServer, conn *junction.Connection) *junction.Connection {
	t.Helper()
	authURL, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	q := mustURL(t, authURL).Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("client_id") != clientID ||
		q.Get("scope") != "openid profile offline_access" || q.Get("redirect_uri") != redirectURI || q.Get("state") == "" {
		t.Fatalf("authorize URL %s", authURL)
	}

	browser := as.srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next := func(resp *http.Response, err error) *url.URL {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		loc, err := resp.Location()
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	login := next(browser.Get(authURL))
	id := login.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("login page %s", login)
	}
	callback := next(browser.PostForm(as.issuer+"/login/username", url.Values{
		"username": {"test-user@127.0.0.1"}, "password": {"verysecure"}, "id": {id},
	}))
	back := next(browser.Get(callback.String()))
	if !strings.HasPrefix(back.String(), redirectURI+"?") {
		t.Fatalf("redirected to %s", back)
	}
	state, code := back.Query().Get("state"), back.Query().Get("code")

	done, err := f.eng.CompleteAuthorize(f.ctx, state, code)
	if err != nil {
		t.Fatal(err)
	}
	if done.UserID != "user-1" || done.Connection.ID != conn.ID || done.Connection.Status != junction.ConnectionConnected || done.Connection.TokenSealedID == "" {
		t.Fatalf("authorized %+v", done.Connection)
	}
	// The state is spent.
	_, err = f.eng.CompleteAuthorize(f.ctx, state, code)
	wantCode(t, err, junction.ENOTFOUND)
	return f.reload(t, conn)
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func meRequest(c *junction.Connection) engine.ExecuteRequest {
	return engine.ExecuteRequest{Connection: c, Caller: "user-1", Activity: "http_request", Input: map[string]any{"path": "/me"}}
}

func TestOAuthAuthorizationCode(t *testing.T) {
	setup := func(t *testing.T) (*fixture, *authServer, *bearerAPI, *junction.Connection) {
		f := newFixture(t, fixtureOptions{})
		as := newAuthServer(t)
		api := newBearerAPI(t, as)
		f.trust(as.srv)
		conn := codeConnection(t, f, as, api)
		return f, as, api, conn
	}

	t.Run("FlowWithPKCE", func(t *testing.T) {
		f, as, api, conn := setup(t)
		_, err := f.eng.Execute(f.ctx, meRequest(conn))
		wantCode(t, err, junction.ECONNAUTHFAILED) // not authorized yet
		conn = authorize(t, f, as, conn)
		if as.count("authorization_code") != 1 {
			t.Fatalf("grants %v", as.grants)
		}
		res, err := f.eng.Execute(f.ctx, meRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(res.Output.(*engine.HTTPOutput).Body.(json.RawMessage), &body); err != nil {
			t.Fatal(err)
		}
		if body["sub"] != "id1" || res.Attempts != 1 {
			t.Fatalf("%+v", res)
		}
		for _, e := range f.executions(t) {
			assertNoToken(t, e, api.lastToken())
		}
	})

	t.Run("WrongCode", func(t *testing.T) {
		f, _, _, conn := setup(t)
		authURL, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", redirectURI)
		if err != nil {
			t.Fatal(err)
		}
		state := mustURL(t, authURL).Query().Get("state")
		_, err = f.eng.CompleteAuthorize(f.ctx, state, "not-a-code")
		wantCode(t, err, junction.ECONNAUTHFAILED)
	})

	t.Run("ExpiredState", func(t *testing.T) {
		f, _, _, conn := setup(t)
		authURL, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", redirectURI)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(engine.OAuthStateTTL + time.Second)
		_, err = f.eng.CompleteAuthorize(f.ctx, mustURL(t, authURL).Query().Get("state"), "code")
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("RefreshAheadOfExpiry", func(t *testing.T) {
		f, as, _, conn := setup(t)
		conn = authorize(t, f, as, conn)
		// The provider's access tokens live five minutes.
		f.clock.Advance(3 * time.Minute)
		if _, err := f.eng.Execute(f.ctx, meRequest(conn)); err != nil {
			t.Fatal(err)
		}
		if n := as.count("refresh_token"); n != 0 {
			t.Fatalf("%d refreshes of a token with two minutes left", n)
		}
		f.clock.Advance(90 * time.Second) // 30 s left: within the skew
		res, err := f.eng.Execute(f.ctx, meRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		if n := as.count("refresh_token"); n != 1 || res.Attempts != 1 {
			t.Fatalf("%d refreshes, %d attempts", n, res.Attempts)
		}
		if _, err := f.eng.Execute(f.ctx, meRequest(conn)); err != nil || as.count("refresh_token") != 1 {
			t.Fatalf("the refreshed token was not kept: %v, %d refreshes", err, as.count("refresh_token"))
		}
	})

	t.Run("RefreshAfter401", func(t *testing.T) {
		f, as, api, conn := setup(t)
		conn = authorize(t, f, as, conn)
		if _, err := f.eng.Execute(f.ctx, meRequest(conn)); err != nil {
			t.Fatal(err)
		}
		revoke(t, as, api.lastToken())
		res, err := f.eng.Execute(f.ctx, meRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 2 || as.count("refresh_token") != 1 {
			t.Fatalf("%+v, %d refreshes", res, as.count("refresh_token"))
		}
	})

	t.Run("InvalidGrantDisconnects", func(t *testing.T) {
		f, as, _, conn := setup(t)
		conn = authorize(t, f, as, conn)
		// The user revokes Junction's access at the provider.
		if err := as.storage.TerminateSession(context.Background(), "id1", clientID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(10 * time.Minute)
		_, err := f.eng.Execute(f.ctx, meRequest(conn))
		wantCode(t, err, junction.ECONNAUTHFAILED)
		got := f.reload(t, conn)
		if got.Status != junction.ConnectionDisconnected || got.StatusReason != "refresh failed" {
			t.Fatalf("connection %s (%s)", got.Status, got.StatusReason)
		}
		events, err := f.store.ListEvents(f.ctx, f.tenant.ID, junction.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Type != "connection.disconnected" || events[0].Details["reason"] != "refresh failed" {
			t.Fatalf("events %s", mustJSON(t, events))
		}
	})
}

// revoke revokes a token at the provider (RFC 7009).
func revoke(t testing.TB, as *authServer, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, as.issuer+"/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err := as.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}
}

// assertNoToken checks an execution record for an access
// token.
func assertNoToken(t testing.TB, e *junction.Execution, token string) {
	t.Helper()
	if token == "" || strings.Contains(mustJSON(t, e), token) {
		t.Fatalf("execution record %s holds the access token (or no token was seen)", mustJSON(t, e))
	}
}

// TestOAuthRotatingRefreshTwoServers runs two engines, each with its own
// Store handle on one database, that find the same expired token at the
// same moment. The provider rotates refresh tokens, so a second refresh
// with the same token would fail: exactly one refresh may happen, and both
// executions must succeed.
func TestOAuthRotatingRefreshTwoServers(t *testing.T) {
	stores := openStores(t, 2)
	a := newFixture(t, fixtureOptions{store: stores[0]})
	b := newFixture(t, fixtureOptions{store: stores[1], ring: a.ring, clock: a.clock, vault: a.vault, roots: a.roots,
		tenant: a.tenant, folder: a.folder, vstore: a.vstore, noSetup: true})
	as := newAuthServer(t)
	api := newBearerAPI(t, as)
	a.trust(as.srv)
	conn := authorize(t, a, as, codeConnection(t, a, as, api))

	for round := 1; round <= 3; round++ {
		a.clock.Advance(10 * time.Minute) // expired for both
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		for i, f := range []*fixture{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.eng.Execute(f.ctx, meRequest(f.reload(t, conn)))
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, server %d: %v", round, i, err)
			}
		}
		if n := as.count("refresh_token"); n != round {
			t.Fatalf("round %d: the provider saw %d refresh grants in all, want %d", round, n, round)
		}
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	as := newAuthServer(t)
	f.trust(as.srv)
	var (
		mu     sync.Mutex
		seen   []string
		reject string
	)
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, tok)
		if tok == "" || tok == reject {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(api.Close)
	// The example provider's service account.
	conn := f.connection(t, "http", "oauth2_client_credentials", map[string]junction.FieldValue{
		"base_url":  {Value: api.URL},
		"token_url": {Value: as.issuer + "/oauth/token"},
		"client_id": {Value: "sid1"},
		"scopes":    {Value: "openid"},
	}, map[string]junction.Secret{"client_secret": junction.NewSecret("verysecret")})

	run := func() *engine.Result {
		t.Helper()
		res, err := f.eng.Execute(f.ctx, meRequest(conn))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	last := func() string { mu.Lock(); defer mu.Unlock(); return seen[len(seen)-1] }

	run()
	first := last()
	run()
	if as.count("client_credentials") != 1 || last() != first {
		t.Fatalf("%d token requests for two executions", as.count("client_credentials"))
	}
	// Near expiry a new token is fetched.
	f.clock.Advance(5 * time.Minute)
	run()
	if as.count("client_credentials") != 2 || last() == first {
		t.Fatalf("%d token requests after expiry", as.count("client_credentials"))
	}
	// A token the API stops accepting is replaced once.
	mu.Lock()
	reject = seen[len(seen)-1]
	mu.Unlock()
	if res := run(); res.Attempts != 2 || as.count("client_credentials") != 3 {
		t.Fatalf("%+v, %d token requests", res, as.count("client_credentials"))
	}
	// Wrong client credentials are an authentication failure.
	bad := f.connection(t, "http", "oauth2_client_credentials", map[string]junction.FieldValue{
		"base_url":  {Value: api.URL},
		"token_url": {Value: as.issuer + "/oauth/token"},
		"client_id": {Value: "sid1"},
	}, map[string]junction.Secret{"client_secret": junction.NewSecret("wrong")})
	_, err := f.eng.Execute(f.ctx, meRequest(bad))
	wantCode(t, err, junction.ECONNAUTHFAILED)
	if got := f.reload(t, bad); got.AuthFailures != 1 {
		t.Fatalf("failures %d", got.AuthFailures)
	}
}

// TestReauthorizationWarnedAWeekAhead: a refresh token the provider says
// expires in six days is warned of at the daily check, once a day.
func TestReauthorizationWarnedAWeekAhead(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	as := newAuthServer(t)
	api := newBearerAPI(t, as)
	f.trust(as.srv)
	conn := codeConnection(t, f, as, api)
	as.refreshLifetime.Store(int64((6 * 24 * time.Hour).Seconds()))
	conn = authorize(t, f, as, conn)
	n, err := f.eng.CheckReauthorization(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("first check found %d: %v", n, err)
	}
	if n, _ := f.eng.CheckReauthorization(f.ctx); n != 0 {
		t.Fatalf("a second check the same day found %d", n)
	}
	es, err := f.store.ListEvents(f.ctx, conn.TenantID, junction.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var warned []*junction.Event
	for _, e := range es {
		if e.Type == junction.EventConnectionReauthorizationNeeded {
			warned = append(warned, e)
		}
	}
	if len(warned) != 1 || warned[0].ObjectID != conn.ID || warned[0].Details["expires_at"] == nil {
		t.Fatalf("events %+v", warned)
	}
	f.clock.Advance(25 * time.Hour)
	if n, _ := f.eng.CheckReauthorization(f.ctx); n != 1 {
		t.Fatalf("the next day's check found %d", n)
	}
}
