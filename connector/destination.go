package connector

import (
	"net/url"
	"slices"
	"strings"
)

// Where a connection's values go. A secret reaches the network in two
// ways only: the credentials applyAuth adds to every API request, and the
// client ID and secret an OAuth 2.0 scheme sends to its token endpoint
// (the client ID also to the authorization URL, through the user's
// browser). These functions name the fields behind each, so a caller can
// hold an asset's value to the hosts it is allowed on, and the fields that
// decide the hosts, so a caller can tell when a change sends the stored
// secrets somewhere new.

// Endpoint returns the base URL of the connection's API requests, its
// fields filled in. Errors are those of building a request.
func (d *Definition) Endpoint(c Credentials) (*url.URL, error) {
	conn, err := d.bind(c)
	if err != nil {
		return nil, err
	}
	u := *conn.base
	return &u, nil
}

// RequestFields names the connection fields whose values the scheme puts
// in every API request. OAuth 2.0 schemes send an access token instead
// and name none.
func (a *Auth) RequestFields() []string {
	var tmpls []string
	switch a.Type {
	case AuthBasic:
		tmpls = []string{or(a.Username, "{username}"), or(a.Password, "{password}")}
	case AuthBearer:
		tmpls = []string{or(a.Token, "{token}")}
	case AuthAPIKey:
		tmpls = []string{or(a.Value, "{api_key}"), a.Name}
	case AuthCustom:
		for _, name := range sortedKeys(a.Headers) {
			tmpls = append(tmpls, name, a.Headers[name])
		}
		for _, name := range sortedKeys(a.Query) {
			tmpls = append(tmpls, name, a.Query[name])
		}
	case AuthAWSSigV4:
		tmpls = []string{or(a.AccessKeyID, "{access_key_id}"), or(a.SecretAccessKey, "{secret_access_key}"), or(a.SessionToken, "{session_token}")}
	}
	return varsOf(tmpls...)
}

// TokenFields names the fields an OAuth 2.0 scheme sends to its token
// endpoint: those of the client ID and the client secret, and the private
// key whose signed assertion goes there in their stead.
func (a *Auth) TokenFields() []string {
	if !a.Type.IsOAuth2() {
		return nil
	}
	return varsOf(a.ClientID, a.ClientSecret, a.PrivateKey)
}

// AuthorizeFields names the fields an authorization-code scheme puts in
// the authorization URL the user's browser is sent to: the client ID's.
func (a *Auth) AuthorizeFields() []string {
	if a.Type != AuthOAuth2AuthorizationCode {
		return nil
	}
	return varsOf(a.ClientID)
}

// DestinationFields names the connection fields, of the definition's form
// and of the scheme authKey, that decide which hosts the connection's
// requests go to: those in the host of the base URL (all of it, for a base
// URL that is one field) and likewise of the OAuth 2.0 token and
// authorization URLs.
func (d *Definition) DestinationFields(authKey string) []string {
	tmpls := []string{d.BaseURL}
	if a := d.AuthByID(authKey); a != nil {
		if a.BaseURL != "" {
			tmpls[0] = a.BaseURL
		}
		tmpls = append(tmpls, a.TokenURL, a.AuthorizeURL)
	}
	var out []string
	for _, t := range tmpls {
		for _, name := range hostVars(t) {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// hostVars returns the fields a URL template's host depends on. When the
// template does not start with a literal scheme and host, its first field
// may hold them, so every field counts.
func hostVars(tmpl string) []string {
	scheme, rest, ok := strings.Cut(tmpl, "://")
	if !ok || strings.ContainsAny(scheme, "{}") {
		return templateVars(tmpl)
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return templateVars(rest)
}

func varsOf(tmpls ...string) []string {
	var out []string
	for _, t := range tmpls {
		for _, name := range templateVars(t) {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
