// Package conjur is the cyberark-conjur credential store: it reads variables
// from CyberArk Conjur (Conjur Cloud, Secrets Manager Self-Hosted, Conjur
// OSS) through its REST API, logged in as a host with its API key (authn)
// or with a JWT (authn-jwt). Junction only reads: Conjur's policy, not its
// consumers, decides what variables hold.
package conjur

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"junction"
	"junction/credstore/credjson"
	"junction/credstore/storehttp"
)

// TypeName is the name the store type is registered and configured under.
const TypeName = "cyberark-conjur"

const (
	keyURL          = "url"
	keyAccount      = "account"
	keyLogin        = "login"
	keyAPIKey       = "api_key"
	keyJWTServiceID = "jwt_service_id"
	keyJWT          = "jwt"
	keyJWTFile      = "jwt_file"
	keyHostID       = "host_id"
	keyCACert       = "ca_cert"
)

var configKeys = []junction.ConfigKey{
	{Name: keyURL, Required: true, Help: "Base URL of the Conjur API: https://conjur.example.com, or https://<subdomain>.secretsmgr.cyberark.cloud/api for Conjur Cloud."},
	{Name: keyAccount, Required: true, Help: "Conjur account (organisation) name; \"conjur\" on Conjur Cloud."},
	{Name: keyLogin, Help: "Host identity Junction logs in as with its API key, host/<policy path>/<host id>."},
	{Name: keyAPIKey, Secret: true, Help: "API key of that host."},
	{Name: keyJWTServiceID, Help: "Service ID of the authn-jwt authenticator Junction logs in through, instead of login and api_key."},
	{Name: keyJWT, Secret: true, Help: "The JWT presented to authn-jwt (with jwt_service_id). Use jwt_file for tokens that are renewed on disk."},
	{Name: keyJWTFile, Server: true, Help: "Path of a file holding the JWT, read at every login (a Kubernetes projected service-account token, say)."},
	{Name: keyHostID, Help: "Host identity for authn-jwt when the authenticator does not take it from a token claim, host/<policy path>/<host id>."},
	{Name: keyCACert, Help: "PEM of the CA that issued Conjur's certificate; system roots when empty."},
}

// Type is the cyberark-conjur credential store type, for registration in
// main.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   false,
	ConfigKeys: configKeys,
	Choices: []junction.ConfigChoice{{Name: "authentication", Options: []junction.ConfigOption{
		{Keys: []string{keyLogin, keyAPIKey}, Help: "authn: a host and its API key"},
		{Keys: []string{keyJWTServiceID, keyJWT, keyHostID}, Help: "authn-jwt with a JWT kept (sealed) in the store's configuration; host_id only when the authenticator needs it"},
		{Keys: []string{keyJWTServiceID, keyJWTFile, keyHostID}, Help: "authn-jwt with a JWT read from a file at each login; host_id only when the authenticator needs it"},
	}}},
	CheckName: CheckName,
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

// maxNameLen bounds a variable ID. Conjur documents no limit; this one keeps
// a mistyped paste out of URLs and messages.
const maxNameLen = 1000

// CheckName accepts a Conjur variable ID: its policy path and name, such as
// "prod/db/password", without the "account:variable:" prefix of a full
// resource ID. Conjur allows nearly any character; what is refused here is
// what no variable defined by policy can be named.
func CheckName(name string) error {
	if name == "" {
		return junction.Invalid("external_name", "must be a Conjur variable ID such as prod/db/password")
	}
	if err := storehttp.CheckNameText(name, maxNameLen); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return junction.Invalid("external_name", "must be a variable ID such as prod/db/password, with no empty path segment")
	case strings.Contains(name, ":variable:"):
		return junction.Invalid("external_name", "must be the variable ID alone, without the account:variable: prefix")
	}
	return nil
}

// tokenReuse is how long a Conjur access token is used before logging in
// again. Conjur's tokens last eight minutes; the margin covers clock skew
// between Junction and Conjur and a request in flight when it runs out.
const tokenReuse = 6 * time.Minute

// Store is one configured Conjur. It is safe for concurrent use: reads share
// one access token, and one login at a time replaces it.
//
// A secret asset is the variable's value. A credential asset is a variable
// holding the JSON object {"username": "...", "password": "..."}.
type Store struct {
	name    string
	account string
	base    *url.URL
	http    *http.Client
	log     *slog.Logger
	login   loginMethod
	tokens  storehttp.TokenCache // base64 of Conjur's token, as sent in Authorization
}

var _ junction.CredentialStore = (*Store)(nil)

// loginMethod builds the authenticate request of one way of logging in.
type loginMethod struct {
	who     string // for messages: the host, or the JWT authenticator
	request func(ctx context.Context) (*http.Request, error)
}

// Open validates config and returns a Store. It does not contact Conjur.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	if err := storehttp.CheckKeys(TypeName, configKeys, config); err != nil {
		return nil, err
	}
	get := func(k string) string { return strings.TrimSpace(config[k]) }

	base, err := storehttp.ParseAddress(keyURL, config[keyURL], opts)
	if err != nil {
		return nil, err
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	base.RawQuery, base.Fragment = "", ""
	account := get(keyAccount)
	if account == "" {
		return nil, junction.Invalid(keyAccount, "is required (\"conjur\" on Conjur Cloud)")
	}
	if strings.ContainsAny(account, "/:?#") {
		return nil, junction.Invalid(keyAccount, "must be the account name alone, such as myorg")
	}

	s := &Store{name: opts.Name, account: account, base: base}
	s.tokens.Clock = opts.Clock
	hasAPIKey := get(keyLogin) != "" || config[keyAPIKey] != ""
	hasJWT := get(keyJWTServiceID) != "" || config[keyJWT] != "" || get(keyJWTFile) != "" || get(keyHostID) != ""
	switch {
	case hasAPIKey && hasJWT:
		return nil, junction.Invalid(keyJWTServiceID, "set either login and api_key or jwt_service_id with jwt or jwt_file, not both")
	case hasAPIKey:
		if s.login, err = s.apiKeyLogin(get(keyLogin), strings.TrimSpace(config[keyAPIKey])); err != nil {
			return nil, err
		}
	case hasJWT:
		if s.login, err = s.jwtLogin(get(keyJWTServiceID), strings.TrimSpace(config[keyJWT]), get(keyJWTFile), get(keyHostID)); err != nil {
			return nil, err
		}
	default:
		return nil, junction.Invalid(keyLogin, "is required: set login and api_key, or jwt_service_id with jwt or jwt_file")
	}

	t := storehttp.TLS{CACertPEM: config[keyCACert], CAKey: keyCACert}
	if strings.TrimSpace(t.CACertPEM) != "" {
		if _, err := storehttp.ParseCAPEM(keyCACert, t.CACertPEM); err != nil {
			return nil, err
		}
	}
	if s.http, err = storehttp.NewClient(opts, t); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.log = log.With("credential_store", opts.Name, "store_type", TypeName)
	return s, nil
}

func (s *Store) apiKeyLogin(login, apiKey string) (loginMethod, error) {
	switch {
	case login == "":
		return loginMethod{}, junction.Invalid(keyLogin, "is required with api_key")
	case apiKey == "":
		return loginMethod{}, junction.Invalid(keyAPIKey, "is required with login")
	}
	u := s.endpoint("authn", s.account, login, "authenticate")
	return loginMethod{
		who: fmt.Sprintf("host %q", login),
		request: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(apiKey))
			if err == nil {
				req.Header.Set("Content-Type", "text/plain")
			}
			return req, err
		},
	}, nil
}

func (s *Store) jwtLogin(serviceID, jwt, jwtFile, hostID string) (loginMethod, error) {
	switch {
	case serviceID == "":
		return loginMethod{}, junction.Invalid(keyJWTServiceID, "is required with jwt, jwt_file or host_id")
	case strings.ContainsAny(serviceID, "/?#"):
		return loginMethod{}, junction.Invalid(keyJWTServiceID, "must be the authenticator's service ID alone, such as github")
	case jwt != "" && jwtFile != "":
		return loginMethod{}, junction.Invalid(keyJWTFile, "set either jwt or jwt_file, not both")
	case jwt == "" && jwtFile == "":
		return loginMethod{}, junction.Invalid(keyJWT, "is required with jwt_service_id (or set jwt_file)")
	}
	segs := []string{"authn-jwt", serviceID, s.account}
	if hostID != "" {
		segs = append(segs, hostID)
	}
	u := s.endpoint(append(segs, "authenticate")...)
	who := fmt.Sprintf("the JWT authenticator %q", serviceID)
	if hostID != "" {
		who += fmt.Sprintf(" as host %q", hostID)
	}
	return loginMethod{
		who: who,
		request: func(ctx context.Context) (*http.Request, error) {
			token := jwt
			if jwtFile != "" {
				b, err := os.ReadFile(jwtFile)
				if err != nil {
					// The path is configuration, not a secret; the OS error
					// says whether it is missing or unreadable.
					return nil, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: err,
						Message: fmt.Sprintf("credential store %q could not read its JWT from jwt_file %q: %v", s.name, jwtFile, unwrapPathError(err))}
				}
				token = strings.TrimSpace(string(b))
			}
			body := url.Values{"jwt": {token}}.Encode()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return req, err
		},
	}, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// endpoint joins segments to the base URL, each escaped whole: Conjur IDs
// hold slashes that belong to the ID, not to the path (prod/db/password is
// one segment, prod%2Fdb%2Fpassword).
func (s *Store) endpoint(segments ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(s.base.String(), "/"))
	for _, seg := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(seg))
	}
	return b.String()
}

// Check logs in to Conjur, which proves the address, TLS and Junction's
// identity without reading a variable.
func (s *Store) Check(ctx context.Context) error {
	s.tokens.Drop("")
	_, err := s.tokens.Token(ctx, s.authenticate)
	return err
}

// Read fetches the current value of the variable name.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if kind != junction.KindSecret && kind != junction.KindCredential {
		return junction.StoredSecret{}, junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	if err := CheckName(name); err != nil {
		return junction.StoredSecret{}, err
	}
	value, err := s.variable(ctx, name)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	if kind == junction.KindSecret {
		return junction.StoredSecret{Value: junction.NewSecret(value)}, nil
	}
	return credjson.Parse(s.name, name, value)
}

// variable reads one variable, logging in again once when Conjur no longer
// accepts the token (it expired early, or Conjur's signing key rotated).
func (s *Store) variable(ctx context.Context, id string) (string, error) {
	for attempt := 0; ; attempt++ {
		token, err := s.tokens.Token(ctx, s.authenticate)
		if err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint("secrets", s.account, "variable", id), nil)
		if err != nil {
			return "", junction.Internal(err)
		}
		req.Header.Set("Authorization", `Token token="`+token+`"`)
		resp, err := s.http.Do(req)
		if err != nil {
			return "", storehttp.Unavailable(s.name, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return "", storehttp.Unavailable(s.name, err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			return string(body), nil
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			s.log.Debug("Conjur refused the access token; logging in again")
			s.tokens.Drop(token)
			continue
		case resp.StatusCode == http.StatusUnauthorized:
			return "", &junction.Error{Code: junction.ECREDSTOREAUTH, Err: conjurCause(resp.StatusCode, body),
				Message: fmt.Sprintf("credential store %q refused the access token it had just issued to %s; check that Junction's clock and Conjur's agree", s.name, s.login.who)}
		case resp.StatusCode == http.StatusNotFound:
			return "", &junction.Error{Code: junction.ECREDNOTFOUND, Err: conjurCause(resp.StatusCode, body),
				Message: fmt.Sprintf("credential store %q has no variable %q in account %q, the variable has no value yet, or %s may not see it",
					s.name, id, s.account, s.login.who)}
		case resp.StatusCode == http.StatusForbidden:
			return "", &junction.Error{Code: junction.ECREDSTOREAUTH, Err: conjurCause(resp.StatusCode, body),
				Message: fmt.Sprintf("credential store %q: %s may not read variable %q; grant it execute on the variable in Conjur policy",
					s.name, s.login.who, id)}
		}
		return "", s.statusError(resp.StatusCode, body)
	}
}

// authenticate logs in; the token is used for tokenReuse from the moment
// the login was asked for.
func (s *Store) authenticate(ctx context.Context) (string, time.Time, error) {
	issued := s.tokens.Now()
	req, err := s.login.request(ctx)
	if err != nil {
		if _, ok := err.(*junction.Error); ok {
			return "", issued, err
		}
		return "", issued, junction.Internal(err)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", issued, storehttp.Unavailable(s.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", issued, storehttp.Unavailable(s.name, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if !json.Valid(body) {
			return "", issued, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
				Message: fmt.Sprintf("credential store %q answered the login with something that is not a Conjur access token; check that url is the Conjur API", s.name)}
		}
		s.log.Debug("logged in to Conjur")
		return base64.StdEncoding.EncodeToString(body), issued.Add(tokenReuse), nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return "", issued, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: conjurCause(resp.StatusCode, body),
			Message: fmt.Sprintf("credential store %q refused the login of %s in account %q (HTTP %d); check the account, the identity and its API key or JWT, and that the authenticator is enabled",
				s.name, s.login.who, s.account, resp.StatusCode)}
	case http.StatusNotFound:
		return "", issued, &junction.Error{Code: junction.EINVALID, Field: keyURL, Err: conjurCause(resp.StatusCode, body),
			Message: fmt.Sprintf("credential store %q has no Conjur authenticator at %s; check url (Conjur Cloud needs the /api path) and account", s.name, s.base.Redacted())}
	}
	return "", issued, s.statusError(resp.StatusCode, body)
}

func (s *Store) statusError(status int, body []byte) error {
	cause := conjurCause(status, body)
	if status >= 500 || status == http.StatusTooManyRequests {
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
			Message: fmt.Sprintf("credential store %q is unavailable: Conjur answered HTTP %d", s.name, status)}
	}
	return &junction.Error{Code: junction.EINVALID, Err: cause,
		Message: fmt.Sprintf("credential store %q rejected the request with HTTP %d%s", s.name, status, said(body))}
}

// conjurError is Conjur's error body. Its message describes the request (a
// resource ID, an authenticator), never a value.
type conjurError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func said(body []byte) string {
	var ce conjurError
	if json.Unmarshal(body, &ce) != nil || ce.Error.Message == "" {
		return ""
	}
	msg := ce.Error.Message
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return " (" + msg + ")"
}

func conjurCause(status int, body []byte) error {
	return fmt.Errorf("conjur answered HTTP %d%s", status, said(body))
}
