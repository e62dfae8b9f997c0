package webui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/clocktest"
	"junction/httpapi"
	"junction/sqldb/sqldbtest"
	"junction/webui"
)

const adminPassword = "a long and planted passphrase"

type env struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *clocktest.Clock
	app    *app.App
	admin  *junction.Principal
	client *http.Client
}

func newEnv(t *testing.T, opts webui.Options, limit ...httpapi.AuthLimit) *env {
	t.Helper()
	clock := clocktest.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	a := app.New(sqldbtest.Open(t), app.Options{Clock: clock})
	res, err := a.Bootstrap(context.Background(), app.BootstrapOptions{Password: junction.NewSecret(adminPassword)})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Authenticate(context.Background(), res.Token.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	apiOpts := httpapi.Options{Clock: clock}
	if len(limit) > 0 {
		apiOpts.AuthFailures = limit[0]
	}
	api := httpapi.New(a, apiOpts)
	opts.Guard, opts.Clock = api, clock
	api.Mount(webui.New(a, opts))
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, clock: clock, app: a, admin: admin}
	e.client = e.newClient()
	return e
}

func (e *env) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns the response with its body read.
func (e *env) do(c *http.Client, method, path string, form url.Values, header ...string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), adminPassword) {
		e.t.Fatalf("%s %s: the page holds the password", method, path)
	}
	return resp, string(b)
}

func (e *env) login(c *http.Client, next string) *http.Response {
	e.t.Helper()
	resp, _ := e.do(c, "POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}, "next": {next}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login: %d", resp.StatusCode)
	}
	return resp
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) csrf(c *http.Client, path string) string {
	e.t.Helper()
	_, body := e.do(c, "GET", path, nil)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("GET %s: no CSRF token in the page", path)
	}
	return m[1]
}

func wantStatus(t *testing.T, what string, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, want)
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, webui.Options{})

	t.Run("LoginPageAndHeaders", func(t *testing.T) {
		resp, body := e.do(e.client, "GET", "/login", nil)
		wantStatus(t, "login page", resp, http.StatusOK)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Fatalf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(body, "<script") {
			t.Fatalf("inline script allowed or present")
		}
		for _, in := range []string{`name="username"`, `name="password"`, `<label for="username"`, `<label for="password"`} {
			if !strings.Contains(body, in) {
				t.Fatalf("login page lacks %s", in)
			}
		}
	})

	t.Run("SignedOutGoesToLogin", func(t *testing.T) {
		resp, _ := e.do(e.newClient(), "GET", "/connections?q=x", nil)
		wantStatus(t, "signed out", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/connections?q=x") {
			t.Fatalf("Location %q", loc)
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		resp, body := e.do(e.newClient(), "POST", "/login", url.Values{"username": {"admin"}, "password": {"not the password at all"}})
		wantStatus(t, "wrong password", resp, http.StatusUnauthorized)
		if !strings.Contains(body, "unauthenticated") || resp.Header.Get("Set-Cookie") != "" {
			t.Fatalf("wrong password: no problem shown, or a cookie set")
		}
	})

	t.Run("OpenRedirect", func(t *testing.T) {
		for next, want := range map[string]string{
			"/connections?q=a": "/connections?q=a", "//evil.example": "/", "https://evil.example/": "/",
			"/\\evil.example": "/", "javascript:alert(1)": "/", "": "/",
		} {
			if loc := e.login(e.newClient(), next).Header.Get("Location"); loc != want {
				t.Errorf("next %q: Location %q, want %q", next, loc, want)
			}
		}
	})

	t.Run("CookieAndFixation", func(t *testing.T) {
		c := e.newClient()
		u, _ := url.Parse(e.srv.URL)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "junction_session", Value: "jcs_planted-by-someone-else"}})
		resp := e.login(c, "/")
		var got *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "junction_session" {
				got = ck
			}
		}
		if got == nil || got.Value == "jcs_planted-by-someone-else" || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure {
			t.Fatalf("session cookie %+v", got)
		}
		// The session authorises pages, never the API.
		resp, _ = e.do(c, "GET", "/", nil)
		wantStatus(t, "overview", resp, http.StatusOK)
		resp, _ = e.do(c, "GET", "/api/v1/me", nil, "Cookie", "junction_session="+got.Value)
		wantStatus(t, "API with the session cookie", resp, http.StatusUnauthorized)
	})

	t.Run("CSRF", func(t *testing.T) {
		c := e.newClient()
		e.login(c, "/")
		token := e.csrf(c, "/folders")
		resp, _ := e.do(c, "POST", "/folders", url.Values{"name": {"NoToken"}})
		wantStatus(t, "no token", resp, http.StatusForbidden)
		resp, _ = e.do(c, "POST", "/folders", url.Values{"name": {"Forged"}, "csrf": {token + "x"}})
		wantStatus(t, "wrong token", resp, http.StatusForbidden)
		resp, _ = e.do(c, "POST", "/folders", url.Values{"name": {"CrossSite"}, "csrf": {token}},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		wantStatus(t, "cross-site", resp, http.StatusForbidden)
		resp, _ = e.do(c, "POST", "/folders", url.Values{"name": {"Made"}, "csrf": {token}})
		wantStatus(t, "with the token", resp, http.StatusSeeOther)
		_, body := e.do(c, "POST", "/folders", url.Values{"name": {""}, "csrf": {token}})
		if !strings.Contains(body, "validation_failed") || !strings.Contains(body, `class="error"`) {
			t.Fatalf("a refused form shows no problem next to its field: %s", body)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		c := e.newClient()
		e.login(c, "/")
		e.clock.Advance(app.SessionIdleTimeout - time.Minute)
		resp, _ := e.do(c, "GET", "/", nil)
		wantStatus(t, "before the idle timeout", resp, http.StatusOK)
		e.clock.Advance(app.SessionIdleTimeout)
		resp, _ = e.do(c, "GET", "/", nil)
		wantStatus(t, "after the idle timeout", resp, http.StatusSeeOther)
	})

	t.Run("Logout", func(t *testing.T) {
		c := e.newClient()
		e.login(c, "/")
		u, _ := url.Parse(e.srv.URL)
		old := c.Jar.Cookies(u)
		token := e.csrf(c, "/")
		resp, _ := e.do(c, "POST", "/logout", url.Values{"csrf": {token}})
		wantStatus(t, "logout", resp, http.StatusSeeOther)
		stale := e.newClient()
		stale.Jar.SetCookies(u, old)
		resp, _ = e.do(stale, "GET", "/", nil)
		wantStatus(t, "the ended session", resp, http.StatusSeeOther)
	})
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, webui.Options{Secure: true})
	resp := e.login(e.newClient(), "/")
	ck := resp.Cookies()
	if len(ck) != 1 || ck[0].Name != "__Host-junction_session" || !ck[0].Secure || ck[0].Path != "/" {
		t.Fatalf("cookies %+v", ck)
	}
}

// TestSignInLimited: failed sign-ins spend the user's budget and the
// address's, and a spent one answers 429 without checking the password.
func TestSignInLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, webui.Options{}, httpapi.AuthLimit{Burst: 2, Every: time.Minute})
	for i, want := range []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests} {
		resp, _ := e.do(e.newClient(), "POST", "/login", url.Values{"username": {"admin"}, "password": {"a wrong guess, again"}})
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	resp, body := e.do(e.newClient(), "POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "rate_limited") {
		t.Fatalf("right password while limited: %d", resp.StatusCode)
	}
	e.clock.Advance(time.Minute)
	e.login(e.newClient(), "/")
	entries, err := e.app.ListAudit(context.Background(), e.admin, app.AuditQuery{Action: "user.login"})
	if err != nil {
		t.Fatal(err)
	}
	var failed int
	for _, x := range entries.Items {
		if x.Outcome == junction.EUNAUTHENTICATED {
			failed++
		}
	}
	if failed != 2 {
		t.Fatalf("%d failed sign-ins audited, want 2", failed)
	}
}

func httpRequest(method, path string, form url.Values) *http.Request {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = "192.0.2.10:1234"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func record(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
