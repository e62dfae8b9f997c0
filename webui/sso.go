package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"junction"
	"junction/app"
)

// SSO configures single sign-on with an OpenID Connect provider: the
// authorization code flow with PKCE, state and nonce, the ID token
// verified against the provider's published keys.
type SSO struct {
	Issuer       string
	ClientID     string
	ClientSecret junction.Secret
	// ClientSecretAsset, when set, names a secret or credential asset of
	// the default tenant holding the client secret instead: it is resolved
	// at each sign-in, so a rotation is picked up without a restart, and
	// ClientSecret is not used.
	ClientSecretAsset string
	// RedirectURL is <public URL>/login/sso/callback, registered at the
	// provider.
	RedirectURL string
	// UsernameClaim names the claim that holds the Junction user name;
	// preferred_username, else email, when empty.
	UsernameClaim string
	CreateUsers   bool
	DefaultRoles  []string
	// HTTPClient calls the provider (discovery, keys, token, userinfo).
	HTTPClient *http.Client
}

// ssoStateTTL bounds the time between leaving for the provider and coming
// back: long enough to type a password and pass a second factor.
const ssoStateTTL = 10 * time.Minute

// ssoFlow is what the browser carries, in its own HttpOnly cookie,
// between leaving for the provider and coming back. It binds the callback
// to the browser that started it: the provider's state must equal State,
// the ID token's nonce Nonce, and only this browser knows Verifier.
type ssoFlow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Next     string    `json:"x"`
	Expires  time.Time `json:"e"`
}

// sso is the client side of single sign-on. The provider is discovered at
// the first sign-in, not at start, so that a provider down at start keeps
// no one from signing in with a password; a failed discovery is tried
// again at the next sign-in.
type sso struct {
	cfg    SSO
	cookie string

	mu       sync.Mutex
	provider *oidc.Provider
}

func newSSO(cfg SSO, secure bool) *sso {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	s := &sso{cfg: cfg, cookie: "junction_sso"}
	if secure {
		s.cookie = "__Host-junction_sso"
	}
	return s
}

func (s *sso) context(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.cfg.HTTPClient)
}

func (s *sso) discover(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		p, err := oidc.NewProvider(s.context(ctx), s.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("discover the OpenID Connect provider %s: %w", s.cfg.Issuer, err)
		}
		s.provider = p
	}
	// The secret is added where the code is exchanged, the one place it
	// is sent.
	return s.provider, &oauth2.Config{ClientID: s.cfg.ClientID,
		Endpoint: s.provider.Endpoint(), RedirectURL: s.cfg.RedirectURL,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}, nil
}

// clientSecret is the client secret for one exchange: the configured one,
// or the asset's value, read again from its store with refresh.
func (u *UI) clientSecret(ctx context.Context, refresh bool) (junction.Secret, error) {
	if u.sso.cfg.ClientSecretAsset == "" {
		return u.sso.cfg.ClientSecret, nil
	}
	return u.app.SSOClientSecret(ctx, u.sso.cfg.ClientSecretAsset, refresh)
}

// exchange trades the code for tokens. A client secret from an asset
// that the provider refuses is read again from its store, and the
// exchange tried once more when it changed: the secret was rotated and
// the cache still held the old one. A provider that refuses the client
// has not used the code.
func (u *UI) exchange(ctx context.Context, cfg *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	secret, err := u.clientSecret(ctx, false)
	if err != nil {
		return nil, errClientSecret{err}
	}
	cfg.ClientSecret = secret.Reveal()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if err == nil || u.sso.cfg.ClientSecretAsset == "" || !errors.As(err, &re) ||
		(re.ErrorCode != "invalid_client" && (re.Response == nil || re.Response.StatusCode != http.StatusUnauthorized)) {
		return tok, err
	}
	fresh, ferr := u.clientSecret(ctx, true)
	if ferr != nil {
		return nil, errClientSecret{ferr}
	}
	if fresh.Equal(secret) {
		return nil, err
	}
	cfg.ClientSecret = fresh.Reveal()
	return cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
}

// errClientSecret is a client secret that could not be resolved, told
// apart from a failed exchange.
type errClientSecret struct{ err error }

func (e errClientSecret) Error() string { return e.err.Error() }
func (e errClientSecret) Unwrap() error { return e.err }

func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ssoStart sends the browser to the provider.
func (u *UI) ssoStart(w http.ResponseWriter, r *http.Request) {
	_, cfg, err := u.sso.discover(r.Context())
	if err != nil {
		u.ssoFailed(w, r, "", "provider unreachable", err)
		return
	}
	f := ssoFlow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next")), Expires: u.opts.Clock.Now().Add(ssoStateTTL)}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: u.sso.cookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: int(ssoStateTTL / time.Second), HttpOnly: true, Secure: u.opts.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, cfg.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
}

// ssoCallback is where the provider sends the browser back: the state is
// checked against the browser's cookie, the code exchanged with the PKCE
// verifier, the ID token verified, and the user signed in as with a
// password.
func (u *UI) ssoCallback(w http.ResponseWriter, r *http.Request) {
	// The flow is used once, whatever comes of it.
	http.SetCookie(w, &http.Cookie{Name: u.sso.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: u.opts.Secure, SameSite: http.SameSiteLaxMode})
	f, err := u.ssoFlowOf(r)
	if err != nil {
		u.ssoFailed(w, r, "", err.Error(), nil)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		u.ssoFailed(w, r, "", "state does not match this browser's sign-in", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		u.ssoFailed(w, r, "", "provider refused: "+clip(e, 64), nil)
		return
	}
	provider, cfg, err := u.sso.discover(r.Context())
	if err != nil {
		u.ssoFailed(w, r, "", "provider unreachable", err)
		return
	}
	ctx := u.sso.context(r.Context())
	tok, err := u.exchange(ctx, cfg, q.Get("code"), f.Verifier)
	if errors.As(err, new(errClientSecret)) {
		u.ssoFailed(w, r, "", "client secret unavailable", err)
		return
	} else if err != nil {
		u.ssoFailed(w, r, "", "code exchange failed", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		u.ssoFailed(w, r, "", "no ID token in the provider's answer", nil)
		return
	}
	idt, err := provider.VerifierContext(ctx, &oidc.Config{ClientID: u.sso.cfg.ClientID, Now: u.opts.Clock.Now}).Verify(ctx, raw)
	if err != nil {
		u.ssoFailed(w, r, "", "ID token refused", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		u.ssoFailed(w, r, "", "ID token nonce does not match", nil)
		return
	}
	claims, err := u.ssoClaims(ctx, provider, idt, tok)
	if err != nil {
		u.ssoFailed(w, r, "", "claims unreadable", err)
		return
	}
	name := claims.username(u.sso.cfg.UsernameClaim)
	if name == "" {
		u.ssoFailed(w, r, "", "no user name claim", nil)
		return
	}
	_, secret, err := u.app.LoginSSO(r.Context(), app.SSOLoginInput{Username: name, Email: claims.str("email"),
		DisplayName: claims.str("name"), Subject: idt.Subject, Issuer: idt.Issuer,
		CreateUsers: u.sso.cfg.CreateUsers, DefaultRoles: u.sso.cfg.DefaultRoles,
		IP: u.opts.Guard.ClientIP(r), RequestID: u.opts.Guard.RequestID(r)})
	if err != nil {
		if junction.IsCode(err, junction.EUNAUTHENTICATED) {
			u.opts.Guard.LoginFailed(r, "", name)
		}
		u.renderLogin(w, r, httpStatus(junction.ErrorCode(err)), err, loginData{Next: f.Next})
		return
	}
	http.SetCookie(w, u.sessionCookie(secret.Reveal(), int(app.SessionMaxAge/time.Second)))
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

func (u *UI) ssoFlowOf(r *http.Request) (*ssoFlow, error) {
	c, err := r.Cookie(u.sso.cookie)
	if err != nil {
		return nil, errors.New("no sign-in in progress in this browser")
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	var f ssoFlow
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return nil, errors.New("sign-in cookie unreadable")
	}
	if !u.opts.Clock.Now().Before(f.Expires) {
		return nil, errors.New("sign-in took too long")
	}
	f.Next = safeNext(f.Next)
	return &f, nil
}

// ssoClaims are the ID token's claims, completed from the userinfo
// endpoint when the token lacks the user name: many providers put profile
// claims only there when they issue an access token too.
type ssoClaims map[string]any

func (c ssoClaims) str(k string) string { s, _ := c[k].(string); return strings.TrimSpace(s) }

func (c ssoClaims) username(claim string) string {
	if claim != "" {
		return c.str(claim)
	}
	if n := c.str("preferred_username"); n != "" {
		return n
	}
	return c.str("email")
}

func (u *UI) ssoClaims(ctx context.Context, p *oidc.Provider, idt *oidc.IDToken, tok *oauth2.Token) (ssoClaims, error) {
	claims := ssoClaims{}
	if err := idt.Claims(&claims); err != nil {
		return nil, err
	}
	if claims.username(u.sso.cfg.UsernameClaim) != "" || p.UserInfoEndpoint() == "" {
		return claims, nil
	}
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, err
	}
	// Userinfo answers for the token's holder; it must be the person the
	// ID token names (OpenID Connect Core 5.3.2).
	if info.Subject != idt.Subject {
		return nil, errors.New("userinfo subject differs from the ID token's")
	}
	more := ssoClaims{}
	if err := info.Claims(&more); err != nil {
		return nil, err
	}
	for k, v := range more {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return claims, nil
}

// ssoFailed audits a refused single sign-on and shows the login page. The
// reason is ours; err, which may quote the provider, goes to the log only.
func (u *UI) ssoFailed(w http.ResponseWriter, r *http.Request, name, reason string, err error) {
	if err != nil {
		u.opts.Logger.WarnContext(r.Context(), "single sign-on failed", "reason", reason, "error", err,
			"request_id", u.opts.Guard.RequestID(r))
	}
	u.app.SSOLoginFailed(r.Context(), name, reason, u.opts.Guard.ClientIP(r), u.opts.Guard.RequestID(r))
	u.opts.Guard.LoginFailed(r, "", name)
	u.renderLogin(w, r, http.StatusUnauthorized, junction.Errorf(junction.EUNAUTHENTICATED, "single sign-on failed: %s", reason),
		loginData{})
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
