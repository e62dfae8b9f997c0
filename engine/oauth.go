package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// tokenSet is an OAuth 2.0 token set as kept sealed at
// Connection.TokenSealedID.
type tokenSet struct {
	Access    junction.Secret
	Refresh   junction.Secret
	TokenType string
	Expiry    time.Time // zero: the provider gave no lifetime
	// RefreshExpiry is when the refresh token stops working, from the
	// provider's refresh_token_expires_in; zero when it said nothing.
	RefreshExpiry time.Time
	// DPoP is the key pair the tokens are bound to, for a scheme with
	// DPoP; it is sealed with them, so that every server holding the
	// token can prove possession.
	DPoP *connector.DPoPKey
}

// sealedTokenSet is the JSON form of a tokenSet inside the sealed value.
type sealedTokenSet struct {
	AccessToken   string    `json:"access_token"`
	RefreshToken  string    `json:"refresh_token,omitempty"`
	TokenType     string    `json:"token_type,omitempty"`
	Expiry        time.Time `json:"expiry,omitzero"`
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	// DPoPKey is the DPoP private key, PKCS #8.
	DPoPKey []byte `json:"dpop_key,omitempty"`
}

// usable reports whether the access token may be sent at now: present and
// not within skew of its expiry.
func (t tokenSet) usable(now time.Time, skew time.Duration) bool {
	return !t.Access.IsZero() && (t.Expiry.IsZero() || now.Add(skew).Before(t.Expiry))
}

// dpopKey is the key the access token must be sent with: nil for a
// bearer token, the sealed key for a DPoP-bound one.
func (t tokenSet) dpopKey() (*connector.DPoPKey, error) {
	if !strings.EqualFold(t.TokenType, connector.TokenTypeDPoP) {
		return nil, nil
	}
	if t.DPoP == nil {
		return nil, &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the provider issued a DPoP-bound token but no DPoP proof was sent for it; enable DPoP on the connection and authorize it again"}
	}
	return t.DPoP, nil
}

func sealToken(k junction.Keyring, tenantID, sealedID string, t tokenSet) (*junction.SealedValue, error) {
	st := sealedTokenSet{
		AccessToken:   t.Access.Reveal(),
		RefreshToken:  t.Refresh.Reveal(),
		TokenType:     t.TokenType,
		Expiry:        t.Expiry.UTC(),
		RefreshExpiry: t.RefreshExpiry.UTC(),
	}
	if t.DPoP != nil {
		der, err := t.DPoP.MarshalPKCS8()
		if err != nil {
			return nil, err
		}
		defer clear(der)
		st.DPoPKey = der
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, junction.Internal(err)
	}
	defer clear(b)
	return k.Seal(tenantID, sealedID, b)
}

func openToken(ctx context.Context, st junction.SealedStore, k junction.Keyring, tenantID, sealedID string) (tokenSet, error) {
	sv, err := st.GetSealed(ctx, tenantID, sealedID)
	if err != nil {
		return tokenSet{}, fmt.Errorf("read OAuth token: %w", err)
	}
	b, err := k.Open(sv)
	if err != nil {
		return tokenSet{}, junction.Internal(fmt.Errorf("open OAuth token: %w", err))
	}
	defer clear(b)
	var s sealedTokenSet
	if err := json.Unmarshal(b, &s); err != nil {
		return tokenSet{}, junction.Internal(fmt.Errorf("decode OAuth token: %w", err))
	}
	defer clear(s.DPoPKey)
	t := tokenSet{
		Access:        junction.NewSecret(s.AccessToken),
		Refresh:       junction.NewSecret(s.RefreshToken),
		TokenType:     s.TokenType,
		Expiry:        s.Expiry,
		RefreshExpiry: s.RefreshExpiry,
	}
	if len(s.DPoPKey) > 0 {
		if t.DPoP, err = connector.ParseDPoPKey(s.DPoPKey); err != nil {
			return tokenSet{}, junction.Internal(fmt.Errorf("open OAuth token: %w", err))
		}
	}
	return t, nil
}

// fromOAuth2 converts a token from the token endpoint. The expiry is taken
// from expires_in against the engine's clock, so tests move time forward
// instead of waiting.
func (e *Engine) fromOAuth2(t *oauth2.Token) tokenSet {
	ts := tokenSet{
		Access:    junction.NewSecret(t.AccessToken),
		Refresh:   junction.NewSecret(t.RefreshToken),
		TokenType: t.TokenType,
	}
	switch {
	case t.ExpiresIn > 0:
		ts.Expiry = e.clock.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	case !t.Expiry.IsZero():
		// Some x/oauth2 paths (client credentials) keep only the expiry
		// they computed from expires_in with the wall clock: recover the
		// lifetime from it.
		ts.Expiry = e.clock.Now().Add(time.Until(t.Expiry))
	}
	if secs := refreshLifetime(t); secs > 0 && !ts.Refresh.IsZero() {
		ts.RefreshExpiry = e.clock.Now().Add(time.Duration(secs) * time.Second)
	}
	return ts
}

// refreshLifetime reads refresh_token_expires_in, which several providers
// (Microsoft, GitHub apps, Salesforce as refresh_token_expires_in too) add
// to the token response; 0 when absent.
func refreshLifetime(t *oauth2.Token) int64 {
	switch v := t.Extra("refresh_token_expires_in").(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// errInvalidGrant marks a refresh the provider refused for good.
var errInvalidGrant = errors.New("invalid_grant")

// tokenError turns a token endpoint failure into an *junction.Error. The
// endpoint's own error text is not kept: it could echo what was sent.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		details := map[string]any{"status": status, "error": re.ErrorCode, "source": "provider"}
		switch {
		case re.ErrorCode == "invalid_grant":
			return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the provider refused the refresh token (invalid_grant); authorize the connection again", Details: details, Err: errInvalidGrant}
		case re.ErrorCode == "invalid_dpop_proof":
			// Okta's answer to an app that requires DPoP when no proof
			// came, and to a proof it cannot accept.
			return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the token endpoint wants a DPoP proof, or refused the one sent (invalid_dpop_proof); check the connection's DPoP setting against the app's", Details: details}
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || status == http.StatusUnauthorized:
			return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the provider rejected the OAuth client credentials", Details: details}
		}
		return &junction.Error{Code: junction.EPROVIDER, Message: fmt.Sprintf("the token endpoint answered HTTP %d", status), Details: details}
	}
	var je *junction.Error
	if errors.As(err, &je) {
		return je
	}
	return &junction.Error{Code: junction.EPROVIDER, Message: "the token endpoint's answer could not be used", Details: map[string]any{"source": "provider"}}
}

// oauthConfig is the x/oauth2 configuration of a connection's scheme.
func oauthConfig(s *connector.OAuth2Settings, redirectURI string) *oauth2.Config {
	c := &oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret.Reveal(),
		Endpoint:     oauth2.Endpoint{AuthURL: s.AuthorizeURL, TokenURL: s.TokenURL},
		RedirectURL:  redirectURI,
	}
	if s.ScopeSeparator == " " {
		c.Scopes = s.Scopes
	}
	return c
}

// clientContext makes x/oauth2 send through the outbound client, with the
// connection's proxy, the private-network guard and the allowed hosts of
// the assets the token endpoint receives (check, nil for none).
//
// With a DPoP key, each token request carries a proof signed with it, and
// the nonce the endpoint last gave, and a new nonce it gives is kept.
func (e *Engine) clientContext(ctx context.Context, proxyURL string, check func(string) error, dpop *connector.DPoPKey) context.Context {
	hc := &http.Client{
		Transport: outboundTransport{c: e.out, proxy: proxyURL, check: check, dpop: dpop, nonces: e.nonces},
		// The outbound client follows redirects itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// outboundTransport adapts the outbound client to http.RoundTripper for
// x/oauth2. Token requests are POSTs and are never retried: a rotating
// refresh token must not be sent twice.
type outboundTransport struct {
	c      *outbound.Client
	proxy  string
	check  func(host string) error
	dpop   *connector.DPoPKey
	nonces *dpopNonces
}

func (t outboundTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	opts := outbound.RequestOptions{ProxyURL: t.proxy, CheckHost: t.check}
	if t.dpop != nil {
		opts.Sign = t.nonces.signer(t.dpop, junction.Secret{})
	}
	resp, err := t.c.Do(r.Context(), r, opts)
	if r.Body != nil {
		_ = r.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	if t.dpop != nil {
		t.nonces.keep(resp, false)
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)),
		StatusCode:    resp.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        resp.Header,
		Body:          io.NopCloser(bytes.NewReader(resp.Body)),
		ContentLength: int64(len(resp.Body)),
		Request:       r,
	}, nil
}

// authCodeToken returns an access token for an authorization-code
// connection: the stored one while it is usable and is not the one that
// just failed, else a refreshed one.
//
// Refreshes of one connection never overlap, across servers too: the
// refresh runs in a transaction holding the connection's row lock, and
// re-reads the sealed token under it. A server that waited for the lock
// finds the token another one just stored and uses it, so a rotating
// refresh token is spent once. The lock is held during the call to the
// token endpoint (bounded by RefreshTimeout); on SQLite that call holds the
// database's single writer.
func (e *Engine) authCodeToken(ctx context.Context, x *run, failed junction.Secret) (junction.Secret, error) {
	conn := x.conn
	if conn.TokenSealedID == "" {
		return junction.Secret{}, &junction.Error{Code: junction.ECONNAUTHFAILED, Message: fmt.Sprintf("connection %q is not authorized yet; authorize it", conn.Name)}
	}
	fresh := func(t tokenSet) bool {
		return t.usable(e.clock.Now(), e.skew) && (failed.IsZero() || !t.Access.Equal(failed))
	}
	if t, err := openToken(ctx, e.store, e.keyring, conn.TenantID, conn.TokenSealedID); err == nil && fresh(t) {
		// The refresh token is masked too, should an API echo it.
		x.secrets = append(x.secrets, t.Refresh)
		return x.useToken(t)
	}

	var (
		out     tokenSet
		refused error // a refusal that disconnected the connection
	)
	err := e.store.InTx(ctx, func(s junction.Store) error {
		c, err := s.LockConnection(ctx, conn.TenantID, conn.ID)
		if err != nil {
			return err
		}
		if c.TokenSealedID == "" {
			return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: fmt.Sprintf("connection %q is not authorized yet; authorize it", conn.Name)}
		}
		t, err := openToken(ctx, s, e.keyring, c.TenantID, c.TokenSealedID)
		if err != nil {
			return err
		}
		x.secrets = append(x.secrets, t.Refresh)
		if fresh(t) {
			out = t // another server refreshed meanwhile
			return nil
		}
		if t.Refresh.IsZero() {
			refused = &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the access token expired and the provider gave no refresh token; authorize the connection again"}
			return e.disconnectLocked(ctx, s, c, "access token expired")
		}
		nt, err := e.refresh(ctx, x, t)
		if errors.Is(err, errInvalidGrant) {
			refused = err
			return e.disconnectLocked(ctx, s, c, "refresh failed")
		}
		if err != nil {
			return err
		}
		if nt.Refresh.IsZero() {
			nt.Refresh = t.Refresh // a provider that does not rotate
			nt.RefreshExpiry = t.RefreshExpiry
		}
		x.secrets = append(x.secrets, nt.Refresh)
		sv, err := sealToken(e.keyring, c.TenantID, c.TokenSealedID, nt)
		if err != nil {
			return err
		}
		if err := s.PutSealed(ctx, sv); err != nil {
			// The provider may have rotated the refresh token already;
			// the connection will need authorizing again.
			e.logger.LogAttrs(ctx, slog.LevelError, "store refreshed OAuth token", slog.String("connection_id", c.ID), slog.String("error", err.Error()))
			return err
		}
		out = nt
		return nil
	})
	if err != nil {
		return junction.Secret{}, err
	}
	if refused != nil {
		return junction.Secret{}, refused
	}
	return x.useToken(out)
}

// useToken makes t the token the run's requests carry, with its DPoP key
// when it is DPoP-bound.
func (x *run) useToken(t tokenSet) (junction.Secret, error) {
	key, err := t.dpopKey()
	if err != nil {
		return junction.Secret{}, err
	}
	x.dpop = key
	return t.Access, nil
}

// refresh spends a refresh token at the token endpoint.
func (e *Engine) refresh(ctx context.Context, x *run, t tokenSet) (tokenSet, error) {
	ctx, cancel := context.WithTimeout(ctx, e.refreshTimeout)
	defer cancel()
	// A DPoP-bound refresh token is spent with the key it is bound to; a
	// connection authorized before DPoP was turned on gets a key now.
	key := t.DPoP
	if key == nil && x.oauth.DPoP {
		var err error
		if key, err = connector.NewDPoPKey(); err != nil {
			return tokenSet{}, err
		}
	}
	cfg := oauthConfig(x.oauth, "")
	hctx := e.clientContext(ctx, x.conn.ProxyURL, x.tokenHosts, key)
	tok, err := withDPoPNonce(key, func() (*oauth2.Token, error) {
		return cfg.TokenSource(hctx, &oauth2.Token{RefreshToken: t.Refresh.Reveal()}).Token()
	})
	if err != nil {
		return tokenSet{}, tokenError(err)
	}
	nt := e.fromOAuth2(tok)
	nt.DPoP = key
	return nt, nil
}

// ccCache keeps client-credentials access tokens in memory until shortly
// before they expire. They are cheap to get again, so they are never
// stored; a restart simply asks for new ones.
type ccCache struct {
	mu      sync.Mutex
	entries map[string]ccEntry
	flight  singleflight.Group
}

type ccEntry struct {
	access junction.Secret
	expiry time.Time
	// dpop is the key a DPoP-bound token is sent with; nil for a bearer
	// token. Each server gets its own client-credentials tokens, so the
	// key, made for each token, stays in memory with it.
	dpop *connector.DPoPKey
}

func newCCCache() *ccCache { return &ccCache{entries: map[string]ccEntry{}} }

// ccKey names a cached token: the connection, everything that decides
// which token the provider issues, and where the token is sent (the API's
// base URL and the proxy), hashed so no secret is kept as a key. A
// connection pointed elsewhere thus gets a token of its own, rather than
// sending the one obtained for its old destination.
func ccKey(x *run) string {
	s := x.oauth
	var base string
	if u, err := x.def.Endpoint(x.creds); err == nil {
		base = u.String()
	}
	h := sha256.New()
	parts := []string{x.conn.ID, s.TokenURL, s.ClientID, s.ClientSecret.Reveal(), strings.Join(s.Scopes, " "),
		base, x.conn.ProxyURL}
	if s.Assertion != nil {
		// A rotated key or a new subject gets a token of its own.
		parts = append(parts, s.Assertion.Fingerprint()...)
	}
	if s.DPoP {
		parts = append(parts, "dpop")
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *ccCache) get(key string, now time.Time, skew time.Duration) (ccEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	en, ok := c.entries[key]
	if !ok || (!en.expiry.IsZero() && !now.Add(skew).Before(en.expiry)) {
		return ccEntry{}, false
	}
	return en, true
}

func (c *ccCache) put(key string, en ccEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 1024 {
		for k, old := range c.entries {
			if !old.expiry.IsZero() && old.expiry.Before(now) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = en
}

// drop forgets the cached token if it is the one that failed.
func (c *ccCache) drop(key string, failed junction.Secret) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if en, ok := c.entries[key]; ok && en.access.Equal(failed) {
		delete(c.entries, key)
	}
}

// clientCredentialsToken returns a cached client-credentials token, or
// gets one (concurrent callers share one request).
func (e *Engine) clientCredentialsToken(ctx context.Context, x *run, failed junction.Secret) (junction.Secret, error) {
	key := ccKey(x)
	if !failed.IsZero() {
		e.cc.drop(key, failed)
	}
	if en, ok := e.cc.get(key, e.clock.Now(), e.skew); ok {
		x.dpop = en.dpop
		return en.access, nil
	}
	s := x.oauth
	proxy, check := x.conn.ProxyURL, x.tokenHosts
	v, err, _ := e.cc.flight.Do(key, func() (any, error) {
		if en, ok := e.cc.get(key, e.clock.Now(), e.skew); ok {
			return en, nil
		}
		cfg := &clientcredentials.Config{
			ClientID:     s.ClientID,
			ClientSecret: s.ClientSecret.Reveal(),
			TokenURL:     s.TokenURL,
		}
		if s.ScopeSeparator == " " {
			cfg.Scopes = s.Scopes
		}
		if len(s.TokenParams) > 0 || (s.ScopeSeparator != " " && len(s.Scopes) > 0) {
			cfg.EndpointParams = map[string][]string{}
			for k, v := range s.TokenParams {
				cfg.EndpointParams[k] = []string{v}
			}
			if s.ScopeSeparator != " " && len(s.Scopes) > 0 {
				cfg.EndpointParams["scope"] = []string{strings.Join(s.Scopes, s.ScopeSeparator)}
			}
		}
		if s.GrantTypeInQuery() {
			if cfg.EndpointParams == nil {
				cfg.EndpointParams = map[string][]string{}
			}
			cfg.EndpointParams["grant_type"] = nil // in the token URL (Zoom)
		}
		var dpop *connector.DPoPKey
		if s.DPoP {
			var err error
			if dpop, err = connector.NewDPoPKey(); err != nil {
				return nil, err
			}
		}
		rctx, cancel := context.WithTimeout(ctx, e.refreshTimeout)
		defer cancel()
		hctx := e.clientContext(rctx, proxy, check, dpop)
		tok, err := withDPoPNonce(dpop, func() (*oauth2.Token, error) {
			if s.Assertion != nil {
				// Signed for each request: a client assertion's jti
				// is good for one.
				if err := e.signAssertion(x, s, cfg); err != nil {
					return nil, err
				}
			}
			return cfg.Token(hctx)
		})
		if err != nil {
			if s.Assertion != nil {
				return nil, consentError(assertionTokenError(err), s)
			}
			return nil, consentError(tokenError(err), s)
		}
		ts := e.fromOAuth2(tok)
		ts.DPoP = dpop
		bound, err := ts.dpopKey()
		if err != nil {
			return nil, err
		}
		en := ccEntry{access: ts.Access, expiry: ts.Expiry, dpop: bound}
		e.cc.put(key, en, e.clock.Now())
		return en, nil
	})
	if err != nil {
		return junction.Secret{}, err
	}
	en := v.(ccEntry)
	x.dpop = en.dpop
	return en.access, nil
}

// signAssertion turns cfg into the token request of a scheme that signs a
// JWT, at the engine's clock: the JWT bearer grant (RFC 7523 section 2.1),
// whose scopes travel in the assertion, or client credentials with a
// private_key_jwt client assertion (section 2.2) in place of the client ID
// and secret. The signed JWT is masked like any secret: it is a bearer
// credential until it expires.
func (e *Engine) signAssertion(x *run, s *connector.OAuth2Settings, cfg *clientcredentials.Config) error {
	jwt, err := s.Assertion.Sign(e.clock.Now())
	if err != nil {
		return err
	}
	x.secrets = append(x.secrets, jwt)
	cfg.ClientID, cfg.ClientSecret = "", ""
	cfg.AuthStyle = oauth2.AuthStyleInParams
	if cfg.EndpointParams == nil {
		cfg.EndpointParams = map[string][]string{}
	}
	if x.auth.Type == connector.AuthOAuth2JWTBearer {
		cfg.Scopes = nil // in the assertion's scope claim
		cfg.EndpointParams["grant_type"] = []string{connector.GrantTypeJWTBearer}
		cfg.EndpointParams["assertion"] = []string{jwt.Reveal()}
		return nil
	}
	cfg.EndpointParams["client_assertion_type"] = []string{connector.ClientAssertionJWTBearer}
	cfg.EndpointParams["client_assertion"] = []string{jwt.Reveal()}
	return nil
}

// assertionTokenError is tokenError for a signed assertion: invalid_grant
// there refuses the assertion (a key the provider does not know, a wrong
// issuer or subject), not a refresh token, and DocuSign answers
// consent_required until the user has consented to the integration.
func assertionTokenError(err error) error {
	err = tokenError(err)
	var je *junction.Error
	if !errors.As(err, &je) {
		return err
	}
	switch code, _ := je.Details["error"].(string); code {
	case "invalid_grant":
		return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the provider refused the signed JWT assertion (invalid_grant): check the key, the issuer and the subject", Details: je.Details}
	case "consent_required":
		return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the provider needs the user to consent to the integration first (consent_required)", Details: je.Details}
	}
	return err
}

// consentError turns the token endpoint's request for consent, when the
// scheme has a consent page, into an error that gives the page's URL
// (public fields only) in its message and as details.consent_url.
func consentError(err error, s *connector.OAuth2Settings) error {
	var je *junction.Error
	if s.ConsentURL == "" || !errors.As(err, &je) {
		return err
	}
	code, _ := je.Details["error"].(string)
	if code != s.ConsentError {
		return err
	}
	details := maps.Clone(je.Details)
	details["consent_url"] = s.ConsentURL
	return &junction.Error{
		Code: junction.ECONNAUTHFAILED,
		Message: fmt.Sprintf("the provider needs consent to the integration first (%s): open %s as the user the connection acts as, "+
			"grant access, then test the connection again", code, s.ConsentURL),
		Details: details,
	}
}

// AuthFailureReason is the status reason of a connection that err
// disconnected: the consent page to open when the provider asked for
// consent, fallback otherwise.
func AuthFailureReason(err error, fallback string) string {
	var je *junction.Error
	if errors.As(err, &je) {
		if u, ok := je.Details["consent_url"].(string); ok && u != "" {
			return "consent required: open " + u
		}
	}
	return fallback
}

// BeginAuthorize starts the authorization-code flow of conn for the user
// and returns the provider URL to send the user's browser to. Only the
// SHA-256 of the random state is stored, in an OAuthState that expires
// after OAuthStateTTL; when the connector asks for PKCE, the S256 verifier
// is sealed beside it. The client ID may come from a credential asset.
//
// Errors: EINVALID when the connection's auth type is not
// oauth2_authorization_code or its fields are incomplete (Field names it);
// the resolver's and the store's errors otherwise.
func (e *Engine) BeginAuthorize(ctx context.Context, conn *junction.Connection, userID, redirectURI string) (string, error) {
	if conn == nil {
		return "", junction.Invalid("connection", "is required")
	}
	if redirectURI == "" {
		return "", junction.Invalid("redirect_uri", "is required")
	}
	x := &run{e: e, conn: conn, testing: true}
	if err := x.load(ctx); err != nil {
		return "", err
	}
	if x.auth.Type != connector.AuthOAuth2AuthorizationCode {
		return "", junction.Invalid("auth_type", "connection %q does not use the OAuth 2.0 authorization code flow", conn.Name)
	}
	if err := x.materialise(ctx); err != nil {
		return "", err
	}
	s, err := x.def.OAuth2(x.creds)
	if err != nil {
		return "", err
	}
	// The client ID goes to the authorization URL, and the client secret
	// will go to the token endpoint: a consent that could not finish is
	// not begun.
	if err := checkURLHost(x.consentHosts, s.AuthorizeURL); err != nil {
		return "", err
	}
	if err := checkURLHost(x.tokenHosts, s.TokenURL); err != nil {
		return "", err
	}

	state, err := randomToken()
	if err != nil {
		return "", err
	}
	hash := sha256.Sum256([]byte(state))
	now := e.clock.Now()
	st := &junction.OAuthState{
		ID:           junction.NewID(),
		TenantID:     conn.TenantID,
		ConnectionID: conn.ID,
		UserID:       userID,
		StateHash:    hash[:],
		RedirectURI:  redirectURI,
		ExpiresAt:    now.Add(OAuthStateTTL),
		CreatedAt:    now,
	}
	var opts []oauth2.AuthCodeOption
	var sealed *junction.SealedValue
	if s.PKCE {
		verifier := oauth2.GenerateVerifier()
		st.SealedID = junction.NewID()
		if sealed, err = e.keyring.Seal(conn.TenantID, st.SealedID, []byte(verifier)); err != nil {
			return "", err
		}
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if s.ScopeSeparator != " " && len(s.Scopes) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(s.Scopes, s.ScopeSeparator)))
	}
	for k, v := range s.AuthorizeParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	err = e.store.InTx(ctx, func(ts junction.Store) error {
		if sealed != nil {
			if err := ts.PutSealed(ctx, sealed); err != nil {
				return err
			}
		}
		return ts.CreateOAuthState(ctx, st)
	})
	if err != nil {
		return "", err
	}
	return oauthConfig(s, redirectURI).AuthCodeURL(state, opts...), nil
}

// Authorized is the outcome of a completed authorization-code flow.
type Authorized struct {
	// Connection is the connection as stored afterwards: connected, with
	// its token sealed at TokenSealedID.
	Connection *junction.Connection
	// UserID is who began the flow (for the audit entry).
	UserID string
	// Filled names the fields the scheme's consent lookup filled and
	// saved with the token (for the audit entry); nil when none.
	Filled []string
}

// CompleteAuthorize finishes the flow that state belongs to: it takes the
// pending OAuthState (once only), exchanges code for tokens with the PKCE
// verifier and the client secret (possibly from a credential asset), seals
// the token set at the connection's TokenSealedID, and marks the
// connection connected with no failures on record. When the scheme has an
// after_consent request and a field it fills is empty, the request is
// sent with the new token and the fields it fills are saved in the same
// transaction as the token; if that fails, the token is not kept and the
// connection is left disconnected with the reason as its status reason.
//
// Errors: ENOTFOUND for an unknown, used or expired state;
// ECONNAUTHFAILED when the provider refuses the code or the client;
// EPROVIDER for other token endpoint errors and for a failed or unusable
// after_consent answer; EINVALID (Field the choosing field, fields.site)
// when that answer leaves no entry or several to choose from.
func (e *Engine) CompleteAuthorize(ctx context.Context, state, code string) (*Authorized, error) {
	if state == "" {
		return nil, junction.Invalid("state", "is required")
	}
	if code == "" {
		return nil, junction.Invalid("code", "is required")
	}
	hash := sha256.Sum256([]byte(state))
	st, err := e.store.TakeOAuthState(ctx, hash[:], e.clock.Now())
	if err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, junction.NotFound("authorization request")
		}
		return nil, err
	}
	var verifier string
	if st.SealedID != "" {
		sv, err := e.store.GetSealed(ctx, st.TenantID, st.SealedID)
		if err != nil {
			return nil, fmt.Errorf("read PKCE verifier: %w", err)
		}
		b, err := e.keyring.Open(sv)
		if err != nil {
			return nil, junction.Internal(fmt.Errorf("open PKCE verifier: %w", err))
		}
		verifier = string(b)
		if err := e.store.DeleteSealed(ctx, st.TenantID, st.SealedID); err != nil {
			e.logger.LogAttrs(ctx, slog.LevelWarn, "delete PKCE verifier", slog.String("error", err.Error()))
		}
	}
	conn, err := e.store.GetConnection(ctx, st.TenantID, st.ConnectionID)
	if err != nil {
		return nil, err
	}
	x := &run{e: e, conn: conn, testing: true}
	if err := x.load(ctx); err != nil {
		return nil, err
	}
	if err := x.materialise(ctx); err != nil {
		return nil, err
	}
	s, err := x.def.OAuth2(x.creds)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	for k, v := range s.TokenParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	var dpop *connector.DPoPKey
	if s.DPoP {
		if dpop, err = connector.NewDPoPKey(); err != nil {
			return nil, err
		}
	}
	rctx, cancel := context.WithTimeout(ctx, e.refreshTimeout)
	defer cancel()
	hctx := e.clientContext(rctx, conn.ProxyURL, x.tokenHosts, dpop)
	tok, err := withDPoPNonce(dpop, func() (*oauth2.Token, error) {
		return oauthConfig(s, st.RedirectURI).Exchange(hctx, code, opts...)
	})
	if err != nil {
		err = tokenError(err)
		if errors.Is(err, errInvalidGrant) {
			err = &junction.Error{Code: junction.ECONNAUTHFAILED, Message: "the provider refused the authorization code; start again"}
		}
		return nil, err
	}
	ts := e.fromOAuth2(tok)
	ts.DPoP = dpop
	if _, err := ts.dpopKey(); err != nil {
		return nil, err
	}
	filled, err := e.consentFields(ctx, x, ts)
	if err != nil {
		return nil, e.consentLookupFailed(ctx, st, err)
	}

	var out *junction.Connection
	err = e.store.InTx(ctx, func(s junction.Store) error {
		c, err := s.LockConnection(ctx, st.TenantID, st.ConnectionID)
		if err != nil {
			return err
		}
		filledFields(c, filled)
		if c.TokenSealedID == "" {
			c.TokenSealedID = junction.NewID()
		}
		sv, err := sealToken(e.keyring, c.TenantID, c.TokenSealedID, ts)
		if err != nil {
			return err
		}
		if err := s.PutSealed(ctx, sv); err != nil {
			return err
		}
		c.Status = junction.ConnectionConnected
		c.StatusReason = ""
		c.AuthFailures = 0
		c.UpdatedAt = e.clock.Now()
		if err := s.UpdateConnection(ctx, c); err != nil {
			return err
		}
		if _, err := s.RecordAuthResult(ctx, c.TenantID, c.ID, true); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Authorized{Connection: out, UserID: st.UserID, Filled: slices.Sorted(maps.Keys(filled))}, nil
}

// consentFields asks the scheme's after_consent request with the new
// token, when a field it fills is empty, and returns the values to fill.
// The token is masked like every secret of the run.
func (e *Engine) consentFields(ctx context.Context, x *run, ts tokenSet) (map[string]string, error) {
	if !x.def.NeedsConsentLookup(x.creds) {
		return nil, nil
	}
	x.secrets = append(x.secrets, ts.Access, ts.Refresh)
	creds := x.creds
	creds.AccessToken = ts.Access
	req, err := x.def.BuildConsentLookup(creds)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, e.refreshTimeout)
	defer cancel()
	resp, err := x.do(rctx, req)
	if err != nil {
		return nil, err
	}
	return x.def.ConsentFields(creds, resp)
}

// filledFields sets the fields a consent lookup filled, except those the
// user typed meanwhile.
func filledFields(c *junction.Connection, filled map[string]string) {
	if len(filled) == 0 {
		return
	}
	if c.Fields == nil {
		c.Fields = map[string]junction.FieldValue{}
	}
	for name, v := range filled {
		if cur, ok := c.Fields[name]; ok && cur.Value != nil && cur.Value != "" {
			continue
		}
		c.Fields[name] = junction.FieldValue{Value: v}
	}
}

// consentLookupFailed keeps why a consent lookup failed as the
// connection's status reason, where its page shows it, and returns err.
// The new token is not kept: the connection could not use it.
func (e *Engine) consentLookupFailed(ctx context.Context, st *junction.OAuthState, lookupErr error) error {
	if c := junction.ErrorCode(lookupErr); c != junction.EINVALID && c != junction.EPROVIDER {
		return lookupErr
	}
	werr := e.store.InTx(ctx, func(s junction.Store) error {
		c, err := s.LockConnection(ctx, st.TenantID, st.ConnectionID)
		if err != nil {
			return err
		}
		c.Status = junction.ConnectionDisconnected
		c.StatusReason = junction.ErrorMessage(lookupErr)
		c.UpdatedAt = e.clock.Now()
		return s.UpdateConnection(ctx, c)
	})
	if werr != nil {
		e.logger.LogAttrs(ctx, slog.LevelError, "record failed consent lookup", slog.String("connection_id", st.ConnectionID), slog.String("error", werr.Error()))
	}
	return lookupErr
}

// checkURLHost applies a host check to the host of an endpoint URL.
func checkURLHost(check func(string) error, rawURL string) error {
	if check == nil {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return junction.Invalid("auth", "an OAuth 2.0 endpoint is not a valid URL")
	}
	host, ok := outbound.CanonicalHost(u.Hostname())
	if !ok {
		host = u.Hostname()
	}
	return check(host)
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", junction.Internal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
