package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

const (
	ssoClientID     = "junction-ui"
	ssoClientSecret = "oidc-client-secret-planted-1618033988"
	// ssoUser is a person the provider knows (its example user store).
	ssoUser     = "test-user2"
	ssoPassword = "verysecure"
)

// testIdP is a real OpenID Connect provider, zitadel's op package with its
// example storage and login form, on a loopback TLS port. Its client is
// registered once Junction listens, when the callback URL is known.
type testIdP struct {
	srv     *httptest.Server
	caFile  string
	handler atomic.Pointer[http.Handler]
}

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	p := &testIdP{}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := p.handler.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no client registered yet", http.StatusServiceUnavailable)
	}))
	t.Cleanup(p.srv.Close)
	// The example provider logs every request to the default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	p.caFile = filepath.Join(t.TempDir(), "idp-ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	if err := os.WriteFile(p.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// register admits Junction's callback as the client's redirect URI.
func (p *testIdP) register(junctionURL string) {
	clients := map[string]*storage.Client{ssoClientID: storage.WebClient(ssoClientID, ssoClientSecret, junctionURL+"/login/sso/callback")}
	var h http.Handler = exampleop.SetupServer(p.srv.URL, storage.NewStorageWithClients(storage.NewUserStore(p.srv.URL), clients), nil, false)
	p.handler.Store(&h)
}

// env is the server's single sign-on configuration against this provider.
func (p *testIdP) env(more map[string]string) map[string]string {
	env := map[string]string{
		envBootstrapToken: testBootstrapToken, "JUNCTION_OIDC_ISSUER": p.srv.URL, "JUNCTION_OIDC_CLIENT_ID": ssoClientID,
		envOIDCClientSecret: ssoClientSecret, "JUNCTION_OIDC_CA_FILE": p.caFile,
	}
	for k, v := range more {
		env[k] = v
	}
	return env
}

// startSSOServer runs Junction with single sign-on at p.
func startSSOServer(t *testing.T, p *testIdP, more map[string]string) (*Main, *syncBuffer, string) {
	t.Helper()
	dataDir := t.TempDir()
	m, logs := MustRunMain(t, dataDir, "", p.env(more))
	p.register(m.URL())
	return m, logs, dataDir
}

// ssoBrowser is a browser without script: a cookie jar, trusting the
// provider's certificate, following redirects.
func ssoBrowser(t *testing.T, p *testIdP) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: p.srv.Client().Transport}
}

// ssoSignIn starts single sign-on at Junction, signs in at the provider's
// form as a person would, and returns the page Junction ends on.
func ssoSignIn(t *testing.T, c *http.Client, base string, p *testIdP, user string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(base + "/login/sso?next=" + url.QueryEscape("/connections"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if !strings.HasPrefix(resp.Request.URL.String(), p.srv.URL) || id == "" {
		t.Fatalf("not at the provider's login form: %s %d %s", resp.Request.URL, resp.StatusCode, body)
	}
	resp, err = c.PostForm(p.srv.URL+"/login/username", url.Values{"username": {user}, "password": {ssoPassword}, "id": {id}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp, string(body)
}

func loginAudit(t *testing.T, admin *apiClient) []map[string]any {
	t.Helper()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	admin.must(http.StatusOK, "GET", "/api/v1/audit?action=user.login", nil, &list)
	return list.Items
}

// TestSSO_SignIn signs in through a real OpenID Connect provider: a user
// Junction knows gets a session like a password sign-in, audited with
// method oidc; one it does not know is refused and audited with the
// reason; a callback whose state is not this browser's is refused; the
// client secret reaches no log, page or database file.
func TestSSO_SignIn(t *testing.T) {
	p := newTestIdP(t)
	m, logs, dataDir := startSSOServer(t, p, nil)
	base := m.URL()
	admin := &apiClient{t: t, base: base, token: testBootstrapToken}

	t.Run("LoginPageOffersSSO", func(t *testing.T) {
		resp, err := http.Get(base + "/login?next=/folders")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `href="/login/sso?next=%2ffolders"`) || !strings.Contains(string(b), "Sign in with SSO") {
			t.Fatalf("login page without SSO: %s", b)
		}
	})

	t.Run("ErrUnknownUser", func(t *testing.T) {
		resp, body := ssoSignIn(t, ssoBrowser(t, p), base, p, ssoUser)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "has no user named test-user2") {
			t.Fatalf("unknown user: %d %s", resp.StatusCode, body)
		}
		entries := loginAudit(t, admin)
		if len(entries) == 0 || entries[0]["outcome"] != "unauthenticated" {
			t.Fatalf("audit: %v", entries)
		}
		d, _ := entries[0]["details"].(map[string]any)
		if d["method"] != "oidc" || d["reason"] != "unknown user" || d["name"] != ssoUser {
			t.Fatalf("audit details: %v", d)
		}
	})

	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": ssoUser, "roles": []string{"Viewer"}}, nil)

	t.Run("OK", func(t *testing.T) {
		c := ssoBrowser(t, p)
		resp, body := ssoSignIn(t, c, base, p, ssoUser)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/connections" || !strings.Contains(body, `id="logout"`) {
			t.Fatalf("signed in page: %d %s %.500s", resp.StatusCode, resp.Request.URL, body)
		}
		var session *http.Cookie
		for _, ck := range c.Jar.Cookies(resp.Request.URL) {
			if ck.Name == "junction_session" {
				session = ck
			}
		}
		if session == nil || !strings.HasPrefix(session.Value, "jcs_") {
			t.Fatalf("no session cookie: %v", c.Jar.Cookies(resp.Request.URL))
		}
		found := false
		for _, e := range loginAudit(t, admin) {
			d, _ := e["details"].(map[string]any)
			found = found || e["outcome"] == "success" && d["method"] == "oidc" && e["actor_name"] == ssoUser
		}
		if !found {
			t.Fatalf("no successful oidc sign-in audited: %v", loginAudit(t, admin))
		}
	})

	t.Run("ErrForeignState", func(t *testing.T) {
		// A callback made for another browser (login CSRF) finds no flow,
		// or another state, in this one.
		c := ssoBrowser(t, p)
		resp, err := c.Get(base + "/login/sso")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resp, err = c.Get(base + "/login/sso/callback?code=planted&state=someone-elses")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "state does not match") {
			t.Fatalf("foreign state: %d %s", resp.StatusCode, b)
		}
		resp, err = ssoBrowser(t, p).Get(base + "/login/sso/callback?code=planted&state=x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "no sign-in in progress") {
			t.Fatalf("no flow: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("ErrDisabled", func(t *testing.T) {
		var list struct {
			Items []struct{ ID, Name string }
		}
		admin.must(http.StatusOK, "GET", "/api/v1/users", nil, &list)
		for _, u := range list.Items {
			if u.Name == ssoUser {
				admin.must(http.StatusOK, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"disabled": true}, nil)
			}
		}
		resp, body := ssoSignIn(t, ssoBrowser(t, p), base, p, ssoUser)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "disabled") {
			t.Fatalf("disabled user: %d %s", resp.StatusCode, body)
		}
	})

	m.Close()
	assertNoSecretAtRest(t, dataDir, logs.String(), []string{ssoClientSecret})
}

// TestSSO_CreateUsers: with --oidc-create-users a person the provider
// knows becomes a user at their first sign-in, with the default roles.
func TestSSO_CreateUsers(t *testing.T) {
	p := newTestIdP(t)
	m, _, _ := startSSOServer(t, p, map[string]string{"JUNCTION_OIDC_CREATE_USERS": "true", "JUNCTION_OIDC_DEFAULT_ROLES": "Viewer"})
	base := m.URL()
	admin := &apiClient{t: t, base: base, token: testBootstrapToken}
	resp, body := ssoSignIn(t, ssoBrowser(t, p), base, p, ssoUser)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/connections" {
		t.Fatalf("first sign-in: %d %s %.500s", resp.StatusCode, resp.Request.URL, body)
	}
	var list struct {
		Items []struct{ ID, Name, Email string }
	}
	admin.must(http.StatusOK, "GET", "/api/v1/users?q="+ssoUser, nil, &list)
	var id string
	for _, u := range list.Items {
		if u.Name == ssoUser {
			id = u.ID
		}
	}
	if id == "" {
		t.Fatalf("no user created: %+v", list.Items)
	}
	var u struct {
		Roles []string `json:"roles"`
		Email string   `json:"email"`
	}
	admin.must(http.StatusOK, "GET", "/api/v1/users/"+id, nil, &u)
	if len(u.Roles) != 1 || u.Roles[0] != "Viewer" || u.Email != "test-user2@zitadel.ch" {
		t.Fatalf("created user: %+v", u)
	}
	// The second sign-in finds the user.
	if resp, body := ssoSignIn(t, ssoBrowser(t, p), base, p, ssoUser); resp.StatusCode != http.StatusOK {
		t.Fatalf("second sign-in: %d %.500s", resp.StatusCode, body)
	}
	var audit struct {
		Items []json.RawMessage `json:"items"`
	}
	admin.must(http.StatusOK, "GET", "/api/v1/audit?action=user.create", nil, &audit)
	if len(audit.Items) != 1 || !strings.Contains(string(audit.Items[0]), `"method":"oidc"`) {
		t.Fatalf("user.create audit: %s", audit.Items)
	}
}

// TestSSO_Config refuses settings that cannot work before serving.
func TestSSO_Config(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"ErrNoIssuer":     {map[string]string{"JUNCTION_OIDC_CLIENT_ID": "x"}, "--oidc-issuer is required"},
		"ErrPlainHTTP":    {map[string]string{"JUNCTION_OIDC_ISSUER": "http://idp.example.com", "JUNCTION_OIDC_CLIENT_ID": "x"}, "not an https URL"},
		"ErrNoClientID":   {map[string]string{"JUNCTION_OIDC_ISSUER": "https://idp.example.com"}, "--oidc-client-id is required"},
		"ErrCreateUsersX": {map[string]string{"JUNCTION_OIDC_CREATE_USERS": "maybe"}, "--oidc-create-users must be"},
	} {
		t.Run(name, func(t *testing.T) {
			c := &Config{}
			fs := newFlagSet()
			c.bindFlags(fs)
			err := c.resolve(fs, func(k string) string { return tc.env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("ErrUnknownRole", func(t *testing.T) {
		m := NewMain()
		logs := &syncBuffer{}
		m.Stdout, m.Stderr = io.Discard, logs
		env := map[string]string{"JUNCTION_OIDC_ISSUER": "https://idp.example.com", "JUNCTION_OIDC_CLIENT_ID": "x",
			"JUNCTION_OIDC_DEFAULT_ROLES": "Viewer,Nobody"}
		m.Getenv = func(k string) string { return env[k] }
		if err := m.ParseFlags([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		err := m.Run(t.Context())
		defer m.Close()
		if err == nil || !strings.Contains(err.Error(), `no role named "Nobody"`) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestSSO_Browser signs in with single sign-on in Chromium: the login
// page's SSO link, the provider's own form, and back to the page asked
// for, signed in.
func TestSSO_Browser(t *testing.T) {
	// The provider's certificate is the test's own; Junction trusts it
	// through --oidc-ca-file, the browser by this flag.
	ctx := browser(t, chromedp.Flag("ignore-certificate-errors", true))
	p := newTestIdP(t)
	m, logs, _ := startSSOServer(t, p, map[string]string{"JUNCTION_OIDC_CREATE_USERS": "true", "JUNCTION_OIDC_DEFAULT_ROLES": "Viewer"})
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("body"))
			t.Fatalf("%s: %v\npage:\n%.3000s\nserver log:\n%s", what, err, html, logs)
		}
	}
	step("open a page signed out", chromedp.Navigate(m.URL()+"/folders"), chromedp.WaitVisible("#sso"))
	step("choose SSO", chromedp.Click("#sso"), chromedp.WaitVisible(`form[action="/login/username"]`))
	step("sign in at the provider", chromedp.SetValue("#username", ssoUser), chromedp.SetValue("#password", ssoPassword),
		chromedp.Submit("#password"), chromedp.WaitVisible("#logout"))
	if who := value(t, ctx, "who", chromedp.Text(".who")); who != ssoUser {
		t.Fatalf("signed in as %q", who)
	}
	if loc := value(t, ctx, "where", chromedp.Location()); !strings.HasSuffix(loc, "/folders") {
		t.Fatalf("ended at %s, not the page asked for", loc)
	}
	html := value(t, ctx, "page", chromedp.OuterHTML("html"))
	assertNoSecret(t, "page", []byte(html), []string{ssoClientSecret})
	step("sign out", chromedp.Submit("#logout"), chromedp.WaitVisible("#username"))
}
