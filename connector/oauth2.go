package connector

import (
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"junction"
)

// OAuth2Settings is a connection's OAuth 2.0 scheme with every template
// filled: what the execution engine needs to run the authorization-code
// dance or fetch a client-credentials token. ClientSecret stays a Secret
// until Config or ClientCredentialsConfig hands it to the oauth2 package.
type OAuth2Settings struct {
	Flow            AuthType
	AuthorizeURL    string
	TokenURL        string
	ClientID        string
	ClientSecret    junction.Secret
	Scopes          []string
	ScopeSeparator  string
	PKCE            bool
	AuthorizeParams map[string]string
	TokenParams     map[string]string
	// TokenQuery are the parameters TokenURL already carries in its query
	// string (Auth.TokenQuery); a grant_type among them is left out of the
	// form body.
	TokenQuery map[string]string
	// Assertion signs the JWT of an oauth2_jwt_bearer grant or of a
	// private_key_jwt client; nil for the other schemes.
	Assertion *JWTAssertion
	// DPoP is set when token requests carry DPoP proofs (Auth.DPoP true,
	// or its boolean field true on the connection).
	DPoP bool
	// ConsentError and ConsentURL are the scheme's consent page
	// (Auth.ConsentPage) filled in: the token endpoint's error code that
	// asks for consent and the page to open then. Both are empty without
	// one. The URL holds public fields only.
	ConsentError, ConsentURL string
}

// OAuth2 returns the filled OAuth 2.0 settings of the connection's scheme.
// It fails with validation_failed when the scheme is not OAuth 2.0 or a field
// is missing or makes an endpoint that is not an https URL.
func (d *Definition) OAuth2(c Credentials) (*OAuth2Settings, error) {
	conn, err := d.bindForm(c)
	if err != nil {
		return nil, err
	}
	// The base URL is not needed to get a token, but a connection whose
	// requests could not be built is not sent to consent, unless what is
	// missing is what the consent lookup fills.
	if _, err := conn.fillBaseURL(); err != nil && !conn.filledAtConsent(err) {
		return nil, err
	}
	a := conn.auth
	if !a.Type.IsOAuth2() {
		return nil, junction.Invalid("auth", "auth type %s is not OAuth 2.0", a.Key())
	}
	endpoint := func(attr, tmpl string) (string, error) {
		if tmpl == "" {
			return "", nil
		}
		v, missing := fillTemplate(tmpl, conn.public)
		if len(missing) > 0 {
			return "", junction.Invalid("fields."+missing[0], "is required")
		}
		if !isHTTPSURL(v) {
			return "", junction.Invalid(fieldOf(tmpl, "auth."+attr), "must be an https URL")
		}
		return v, nil
	}
	s := &OAuth2Settings{Flow: a.Type, PKCE: a.PKCE, ScopeSeparator: a.ScopeSeparator}
	dpop, _ := fillTemplate(a.DPoP, conn.public)
	s.DPoP = dpop == "true"
	if s.ScopeSeparator == "" {
		s.ScopeSeparator = " "
	}
	if s.AuthorizeURL, err = endpoint("authorize_url", a.AuthorizeURL); err != nil {
		return nil, err
	}
	if s.TokenURL, err = endpoint("token_url", a.TokenURL); err != nil {
		return nil, err
	}
	s.ClientID, _ = fillTemplate(a.ClientID, conn.value)
	if s.ClientID == "" && a.Type != AuthOAuth2JWTBearer {
		return nil, junction.Invalid(fieldOf(a.ClientID, "auth.client_id"), "is required")
	}
	secret, _ := fillTemplate(a.ClientSecret, conn.value)
	s.ClientSecret = junction.NewSecret(secret)
	for _, sc := range a.Scopes {
		v, _ := fillTemplate(sc, conn.public)
		if _, lone := loneVar(sc); lone {
			s.Scopes = append(s.Scopes, splitScopes(v)...)
		} else if v != "" {
			s.Scopes = append(s.Scopes, v)
		}
	}
	fillMap := func(m map[string]string) map[string]string {
		if len(m) == 0 {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, t := range m {
			if v, missing := fillTemplate(t, conn.public); len(missing) == 0 {
				out[k] = v
			}
		}
		return out
	}
	s.AuthorizeParams = fillMap(a.AuthorizeParams)
	s.TokenParams = fillMap(a.TokenParams)
	if s.TokenQuery = fillMap(a.TokenQuery); len(s.TokenQuery) > 0 {
		u, _ := url.Parse(s.TokenURL) // checked by endpoint
		q := u.Query()
		for k, v := range s.TokenQuery {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		s.TokenURL = u.String()
	}
	if a.Type == AuthOAuth2JWTBearer || a.ClientAuth == ClientAuthPrivateKeyJWT {
		if s.Assertion, err = conn.assertion(a, s); err != nil {
			return nil, err
		}
	}
	if cp := a.ConsentPage; cp != nil {
		if s.ConsentURL, err = endpoint("consent_page.url", cp.URL); err != nil {
			return nil, err
		}
		s.ConsentURL += consentQuery(cp.Query, conn.public)
		s.ConsentError = cp.Error
	}
	return s, nil
}

// consentQuery is a consent page's query string, "?" and its entries in
// name order, each percent-encoded with a space as %20 (DocuSign writes
// its scopes so); an entry whose template leaves nothing is left out.
func consentQuery(q map[string]string, public func(string) (string, bool)) string {
	var b strings.Builder
	for _, k := range sortedKeys(q) {
		v, missing := fillTemplate(q[k], public)
		if len(missing) > 0 || v == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k) + "=" + strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	return b.String()
}

// isHTTPSURL reports whether v is an absolute https URL with a plain host
// name and no user info.
func isHTTPSURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && hostnameRE.MatchString(u.Hostname())
}

// scopeList joins scopes with the API's separator. oauth2 joins its Scopes
// with spaces, so APIs that want commas (Slack, Todoist) get one element.
func (s *OAuth2Settings) scopeList() []string {
	if len(s.Scopes) == 0 || s.ScopeSeparator == " " {
		return s.Scopes
	}
	return []string{strings.Join(s.Scopes, s.ScopeSeparator)}
}

// Config returns the authorization-code configuration for redirectURL.
func (s *OAuth2Settings) Config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret.Reveal(),
		Endpoint:     oauth2.Endpoint{AuthURL: s.AuthorizeURL, TokenURL: s.TokenURL},
		RedirectURL:  redirectURL,
		Scopes:       s.scopeList(),
	}
}

// AuthCodeOptions are the extra authorize parameters, and the PKCE
// challenge for verifier when the scheme uses PKCE (verifier from
// oauth2.GenerateVerifier; pass oauth2.VerifierOption(verifier) to Exchange).
func (s *OAuth2Settings) AuthCodeOptions(verifier string) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	for _, k := range sortedKeys(s.AuthorizeParams) {
		opts = append(opts, oauth2.SetAuthURLParam(k, s.AuthorizeParams[k]))
	}
	if s.PKCE && verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return opts
}

// ClientCredentialsConfig returns the client-credentials configuration.
func (s *OAuth2Settings) ClientCredentialsConfig() *clientcredentials.Config {
	params := url.Values{}
	for k, v := range s.TokenParams {
		params.Set(k, v)
	}
	if s.GrantTypeInQuery() {
		params["grant_type"] = nil
	}
	return &clientcredentials.Config{
		ClientID:       s.ClientID,
		ClientSecret:   s.ClientSecret.Reveal(),
		TokenURL:       s.TokenURL,
		Scopes:         s.scopeList(),
		EndpointParams: params,
	}
}

// GrantTypeInQuery reports whether the token URL's query string carries
// the grant type, so the form body must not carry one too.
func (s *OAuth2Settings) GrantTypeInQuery() bool {
	_, ok := s.TokenQuery["grant_type"]
	return ok
}
