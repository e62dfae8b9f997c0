// Package webui serves Junction's web UI on the API's port: server-rendered
// html/template pages over the app services, signed in with a password and
// a server-side session. Plain forms, one embedded stylesheet, a strict
// Content-Security-Policy, a CSRF token on every form that changes
// something. Pages work without script; the one embedded script
// (static/filter.js) only adds checking a trigger filter as it is typed. A session cookie authorises these
// pages only; the REST API keeps bearer tokens.
package webui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"junction"
	"junction/app"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Guard is what the UI needs from the server in front of it: the client's
// address and request ID for audit, and the limit on failed sign-ins
// shared with the API's failed bearer tokens. httpapi.Server provides it.
type Guard interface {
	ClientIP(r *http.Request) string
	RequestID(r *http.Request) string
	CheckLogin(r *http.Request, tenant, user string) error
	LoginFailed(r *http.Request, tenant, user string)
	// MaxExecuteBodyBytes bounds an execution's request: the files a
	// form uploads to try an activity are held to it.
	MaxExecuteBodyBytes() int64
}

// Options configures the UI.
type Options struct {
	// Secure marks the session cookie Secure with the __Host- prefix: set
	// it when the public URL is https.
	Secure bool
	Guard  Guard
	Logger *slog.Logger
	// Clock sets "now" for the pages (the overview's last 24 hours); the
	// system clock when nil.
	Clock junction.Clock
	// SSO, when set, offers single sign-on on the login page.
	SSO *SSO
}

// contentSecurityPolicy allows nothing but the page's own stylesheet,
// script files and images (connector icons come as data: URLs): no inline
// script or handler runs, scripts call only this origin, no page frames
// this one, forms post only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// maxFormBytes bounds a posted form: settings and PEM certificates, not
// documents.
const maxFormBytes = 1 << 20

// UI is the web UI's handler. It is safe for concurrent use.
type UI struct {
	app     *app.App
	opts    Options
	cookie  string
	pages   map[string]*template.Template
	handler http.Handler
	sso     *sso // nil without single sign-on
}

// New returns the UI over a.
func New(a *app.App, opts Options) *UI {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = junction.SystemClock{}
	}
	u := &UI{app: a, opts: opts, cookie: "junction_session", pages: parsePages()}
	if opts.Secure {
		u.cookie = "__Host-junction_session"
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	statics := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/style.css", statics)
	mux.Handle("GET /static/filter.js", statics)
	mux.HandleFunc("GET /login", u.loginPage)
	mux.HandleFunc("POST /login", u.login)
	mux.HandleFunc("GET /errors", u.errorCatalogPage)
	mux.HandleFunc("GET /errors/{code}", u.errorCodePage)
	mux.HandleFunc("GET /", u.notFoundPage)
	mux.Handle("POST /logout", u.signedIn(u.logout))
	mux.HandleFunc("GET /setup", u.setupPage)
	mux.HandleFunc("POST /setup", u.setup)
	if opts.SSO != nil {
		u.sso = newSSO(*opts.SSO, opts.Secure)
		mux.HandleFunc("GET /login/sso", u.ssoStart)
		mux.HandleFunc("GET /login/sso/callback", u.ssoCallback)
	}
	u.routes(mux)
	// Cross-origin POSTs are refused before anything else, sign-in
	// included, where no session token exists yet.
	cop := http.NewCrossOriginProtection()
	u.handler = securityHeaders(cop.Handler(mux))
	return u
}

func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.handler.ServeHTTP(w, r) }

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// request is one signed-in request: who, with which session, and the
// token its forms carry.
type request struct {
	*http.Request
	p       *junction.Principal
	session *junction.Session
	csrf    string
	// folder is the folder chosen in the header, empty for all.
	folder string
}

// csrfToken is derived from the session's secret, which only the browser
// holding the cookie knows: a page of another origin cannot learn it.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("junction csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signedIn wraps a handler for signed-in users: without a valid session a
// GET goes to /login (coming back afterwards), anything else answers 401;
// a state-changing request without the session's CSRF token answers 403.
func (u *UI) signedIn(h func(w http.ResponseWriter, r *request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(u.cookie)
		var p *junction.Principal
		var s *junction.Session
		if err == nil {
			p, s, err = u.app.SessionPrincipal(r.Context(), c.Value)
		}
		if err != nil {
			if !junction.IsCode(err, junction.EUNAUTHENTICATED) && !errors.Is(err, http.ErrNoCookie) {
				u.fail(w, r, nil, err)
				return
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		p.IP, p.RequestID = u.opts.Guard.ClientIP(r), u.opts.Guard.RequestID(r)
		req := &request{Request: r, p: p, session: s, csrf: csrfToken(c.Value), folder: currentFolder(r)}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(maxFormBytes)
			switch {
			case r.URL.Path == "/builder/import":
				limit = maxImportFormBytes
			case isExecutePath(r.URL.Path):
				// the files, and room for the other fields beside them
				limit = u.opts.Guard.MaxExecuteBodyBytes() + maxFormBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := parseBody(r, u.opts.Guard.MaxExecuteBodyBytes(), limit); err != nil {
				u.fail(w, r, req, err)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(req.csrf)) != 1 {
				http.Error(w, "the form is out of date or did not come from this site: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		if err := h(w, req); err != nil {
			u.fail(w, r, req, err)
		}
	})
}

// fail renders an error page: the problem's message and code, or
// "internal error" with the request ID for anything unexpected.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, req *request, err error) {
	code := junction.ErrorCode(err)
	status := httpStatus(code)
	if code == junction.EINTERNAL {
		u.opts.Logger.ErrorContext(r.Context(), "web UI request failed", slog.String("request_id", u.opts.Guard.RequestID(r)),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	d := &pageData{Title: "Error", Err: problemOf(err)}
	if req != nil {
		d.User, d.CSRF, d.Switcher = req.p.User, req.csrf, u.switcherOf(req)
		d.SeeUsers, d.SeeRoles = req.p.Access.CanTenant(junction.PermUsersView), req.p.Access.CanTenant(junction.PermRolesView)
		d.SeeUsage, d.SeeSettings = canAnywhere(req.p, junction.PermLogsView), canSettings(req.p)
	}
	u.render(w, status, "error", d)
}

func httpStatus(code string) int {
	switch code {
	case junction.ENOTFOUND:
		return http.StatusNotFound
	case junction.EPERMISSIONDENIED:
		return http.StatusForbidden
	case junction.EINVALID:
		return http.StatusUnprocessableEntity
	case junction.ECONFLICT:
		return http.StatusConflict
	case junction.EUNAUTHENTICATED:
		return http.StatusUnauthorized
	case junction.ERATELIMITED:
		return http.StatusTooManyRequests
	case junction.EINTERNAL:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// problem is an error as a page shows it, next to the field it concerns.
type problem struct {
	Code, Message, Field string
}

func problemOf(err error) *problem {
	if err == nil {
		return nil
	}
	var e *junction.Error
	if !errors.As(err, &e) || e.Code == junction.EINTERNAL {
		return &problem{Code: junction.EINTERNAL, Message: "internal error"}
	}
	return &problem{Code: e.Code, Message: e.Message, Field: e.Field}
}

// login handling ------------------------------------------------------

type loginData struct {
	Next, Tenant, Username string
	SSO                    bool
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	u.renderLogin(w, r, http.StatusOK, nil, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// renderLogin shows the login page, offering single sign-on when it is
// configured.
func (u *UI) renderLogin(w http.ResponseWriter, _ *http.Request, status int, err error, d loginData) {
	d.SSO = u.sso != nil
	u.render(w, status, "login", &pageData{Title: "Sign in", Err: problemOf(err), Data: d})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	tenant, name := strings.TrimSpace(r.PostFormValue("tenant")), strings.TrimSpace(r.PostFormValue("username"))
	next := safeNext(r.PostFormValue("next"))
	again := func(status int, err error) {
		u.renderLogin(w, r, status, err, loginData{Next: next, Tenant: tenant, Username: name})
	}
	if err := u.opts.Guard.CheckLogin(r, tenant, name); err != nil {
		again(http.StatusTooManyRequests, err)
		return
	}
	_, secret, err := u.app.Login(r.Context(), app.LoginInput{Tenant: tenant, Username: name,
		Password: junction.NewSecret(r.PostFormValue("password")), IP: u.opts.Guard.ClientIP(r), RequestID: u.opts.Guard.RequestID(r)})
	if err != nil {
		if junction.IsCode(err, junction.EUNAUTHENTICATED) {
			u.opts.Guard.LoginFailed(r, tenant, name)
		}
		again(httpStatus(junction.ErrorCode(err)), err)
		return
	}
	// A new secret at every sign-in: a session ID planted before it
	// (fixation) is never the one that gets signed in.
	http.SetCookie(w, u.sessionCookie(secret.Reveal(), int(app.SessionMaxAge/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *request) error {
	if err := u.app.Logout(r.Context(), r.p, r.session); err != nil {
		return err
	}
	http.SetCookie(w, u.sessionCookie("", -1))
	http.Redirect(w, r.Request, "/login", http.StatusSeeOther)
	return nil
}

func (u *UI) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: u.cookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: u.opts.Secure, SameSite: http.SameSiteLaxMode}
}

// safeNext keeps a ?next= that stays on this site: a path, not "//host"
// nor "/\host" (which browsers take for another host), nor a full URL.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	if pu, err := url.Parse(next); err != nil || pu.Host != "" || pu.Scheme != "" {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
