package connector

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

var (
	keyRE        = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	identRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

type validator struct {
	d     *Definition
	probs []Problem
	// common holds the shared connection fields by name.
	common map[string]Field
	// vendorTypes maps each webhook event type to the object event that
	// claims it; catchAll names the event that takes the rest, if any.
	vendorTypes map[string]string
	catchAll    string
}

func (v *validator) add(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func validate(d *Definition) []Problem {
	v := &validator{d: d, common: map[string]Field{}}
	v.definition()
	return v.probs
}

func (v *validator) definition() {
	d := v.d
	if d.Key == "" {
		v.add("key", "is required")
	} else if !keyRE.MatchString(d.Key) {
		v.add("key", "must be lower case letters, digits, '-' and '_', starting with a letter")
	}
	if d.DisplayName == "" {
		v.add("display_name", "is required")
	}
	if d.Version == "" {
		v.add("version", "is required")
	}
	if d.Icon != "" && !strings.HasPrefix(d.Icon, "data:image/") {
		if u, err := url.Parse(d.Icon); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("icon", "must be an https URL or a data:image/ URI")
		}
	}
	seenCat := map[string]bool{}
	for i, c := range d.Categories {
		p := fmt.Sprintf("categories[%d]", i)
		if !keyRE.MatchString(c) {
			v.add(p, "must be lower case letters, digits, '-' and '_'")
		}
		if seenCat[c] {
			v.add(p, "duplicate category %q", c)
		}
		seenCat[c] = true
	}

	v.fields("fields", d.Fields, nil)
	for _, f := range d.Fields {
		if f.Name != "" {
			v.common[f.Name] = f
		}
	}
	v.baseURL()
	v.headers("headers", d.Headers, v.commonPublic)

	if len(d.Auth) == 0 {
		v.add("auth", "at least one auth type is required (use type none for open APIs)")
	}
	seenAuth := map[string]bool{}
	for i := range d.Auth {
		p := fmt.Sprintf("auth[%d]", i)
		a := &d.Auth[i]
		if a.ID != "" && !keyRE.MatchString(a.ID) {
			v.add(p+".id", "must be lower case letters, digits, '-' and '_', starting with a letter")
		}
		if seenAuth[a.Key()] {
			if a.ID == "" {
				v.add(p+".id", "two auth entries of type %s need distinct ids", a.Type)
			} else {
				v.add(p+".id", "duplicate auth id %q", a.ID)
			}
		}
		seenAuth[a.Key()] = true
		v.auth(p, a)
	}

	if d.Test != nil {
		v.test("test", d.Test, v.commonPublic)
	}
	if d.AuthFailure != nil {
		v.authFailure("auth_failure", d.AuthFailure)
	}
	if d.Webhooks != nil {
		v.webhooks("webhooks", d.Webhooks)
	}

	seenObj := map[string]bool{}
	for i := range d.Objects {
		p := fmt.Sprintf("objects[%d]", i)
		o := &d.Objects[i]
		if !identRE.MatchString(o.Name) {
			v.add(p+".name", "is required and must be an identifier")
		} else if seenObj[o.Name] {
			v.add(p+".name", "duplicate object %q", o.Name)
		}
		seenObj[o.Name] = true
		v.object(p, o)
	}
	seenAct := map[string]bool{}
	for i := range d.Activities {
		p := fmt.Sprintf("activities[%d]", i)
		a := &d.Activities[i]
		switch {
		case !identRE.MatchString(a.Name):
			v.add(p+".name", "is required and must be an identifier")
		case a.Name == HTTPRequestActivity:
			v.add(p+".name", "%s is the built-in generic activity; choose another name", HTTPRequestActivity)
		case seenAct[a.Name]:
			v.add(p+".name", "duplicate activity %q", a.Name)
		}
		seenAct[a.Name] = true
		v.operation(p, &a.Operation, "")
	}
}

// commonPublic resolves a template variable to a shared, non-secret field.
// Secrets may only be used by auth schemes: anywhere else they would end up
// in URLs, logs or bodies.
func (v *validator) commonPublic(name string) string {
	f, ok := v.common[name]
	switch {
	case !ok:
		return "refers to undeclared field %q"
	case f.Type == FieldSecret:
		return "refers to secret field %q; secrets may only be used by auth"
	}
	return ""
}

func (v *validator) checkTemplate(path, tmpl string, resolve func(string) string) {
	for _, name := range templateVars(tmpl) {
		if msg := resolve(name); msg != "" {
			v.add(path, msg, name)
		}
	}
}

func (v *validator) fields(path string, fs []Field, shared map[string]Field) {
	seen := map[string]bool{}
	for i, f := range fs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !identRE.MatchString(f.Name) {
			v.add(p+".name", "is required and must be an identifier")
		} else if seen[f.Name] {
			v.add(p+".name", "duplicate field %q", f.Name)
		} else if _, ok := shared[f.Name]; ok {
			v.add(p+".name", "field %q is already a shared connection field", f.Name)
		}
		seen[f.Name] = true
		switch f.Type {
		case FieldText, FieldSecret, FieldBoolean, FieldNumber:
			if len(f.Options) > 0 {
				v.add(p+".options", "only select fields have options")
			}
		case FieldSelect:
			if len(f.Options) == 0 {
				v.add(p+".options", "a select field needs options")
			}
		case "":
			v.add(p+".type", "is required (text, secret, select, boolean or number)")
		default:
			v.add(p+".type", "unknown field type %q (want text, secret, select, boolean or number)", f.Type)
		}
		vals := map[string]bool{}
		for j, o := range f.Options {
			if o.Value == "" {
				v.add(fmt.Sprintf("%s.options[%d].value", p, j), "is required")
			}
			if vals[o.Value] {
				v.add(fmt.Sprintf("%s.options[%d].value", p, j), "duplicate option %q", o.Value)
			}
			vals[o.Value] = true
		}
		if f.Default == "" {
			continue
		}
		switch f.Type {
		case FieldSecret:
			v.add(p+".default", "a secret field cannot have a default")
		case FieldSelect:
			if !vals[f.Default] {
				v.add(p+".default", "%q is not one of the options", f.Default)
			}
		case FieldBoolean:
			if f.Default != "true" && f.Default != "false" {
				v.add(p+".default", "must be true or false")
			}
		case FieldNumber:
			if _, ok := parseNumber(f.Default); !ok {
				v.add(p+".default", "must be a number")
			}
		}
	}
}

func (v *validator) baseURL() {
	const p = "base_url"
	b := v.d.BaseURL
	if b == "" {
		if v.sendsRequests() {
			v.add(p, "is required")
		}
		return
	}
	v.checkBaseURL(p, b, v.baseURLField)
}

// baseURLField resolves a variable of the definition's base URL: a shared
// public field, or one that every scheme using this base URL declares as
// a public field of its own (Confluence's site, which its basic scheme
// needs and its 3LO scheme need not).
func (v *validator) baseURLField(name string) string {
	msg := v.commonPublic(name)
	if _, shared := v.common[name]; shared {
		return msg
	}
	using := 0
	for i := range v.d.Auth {
		a := &v.d.Auth[i]
		if a.BaseURL != "" {
			continue
		}
		using++
		i := slices.IndexFunc(a.Fields, func(f Field) bool { return f.Name == name })
		if i < 0 || a.Fields[i].Type == FieldSecret {
			return msg
		}
	}
	if using == 0 {
		return msg
	}
	return ""
}

// checkBaseURL checks the shape of a base URL template: the definition's,
// or an auth scheme's, whose templates may name the scheme's fields too.
func (v *validator) checkBaseURL(p, b string, resolve func(string) string) {
	v.checkTemplate(p, b, resolve)
	if _, ok := loneVar(b); ok {
		return // the whole URL is a field (the generic connector); checked when filled
	}
	// Fill variables with a host-safe stand-in to check the shape.
	sample, _ := fillTemplate(b, func(string) (string, bool) { return "x", true })
	u, err := url.Parse(sample)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(p, "must be an absolute http or https URL")
		return
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.add(p, "must not hold a query, fragment or user info")
	}
	if strings.HasSuffix(u.Path, "/") {
		v.add(p, "must not end with '/'; operation paths start with one")
	}
}

func (v *validator) headers(path string, h map[string]string, resolve func(string) string) {
	for _, name := range sortedKeys(h) {
		p := path + "." + name
		if !headerNameRE.MatchString(name) {
			v.add(p, "invalid header name")
		}
		if strings.ContainsAny(h[name], "\r\n") {
			v.add(p, "header values cannot contain line breaks")
		}
		v.checkTemplate(p, h[name], resolve)
	}
}

var authAttrs = map[AuthType][]string{
	AuthNone:                    {},
	AuthBasic:                   {"username", "password"},
	AuthAPIKey:                  {"in", "name", "value"},
	AuthBearer:                  {"token"},
	AuthOAuth2ClientCredentials: {"token_url", "client_id", "client_secret", "scopes", "scope_separator", "token_params", "token_query", "name", "client_auth", "private_key", "signing_alg", "key_id", "claims", "dpop", "consent_page"},
	AuthOAuth2JWTBearer:         {"token_url", "scopes", "token_params", "name", "private_key", "signing_alg", "key_id", "claims", "dpop", "consent_page"},
	AuthOAuth2AuthorizationCode: {"authorize_url", "token_url", "client_id", "client_secret", "scopes", "scope_separator", "pkce", "authorize_params", "token_params", "name", "after_consent", "dpop"},
	AuthCustom:                  {"headers", "query"},
	AuthAWSSigV4:                {"access_key_id", "secret_access_key", "session_token", "region", "service"},
}

// setAttrs lists the type-specific attributes an auth entry sets.
func setAttrs(a *Auth) []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("username", a.Username != "")
	add("password", a.Password != "")
	add("in", a.In != "")
	add("name", a.Name != "")
	add("value", a.Value != "")
	add("token", a.Token != "")
	add("authorize_url", a.AuthorizeURL != "")
	add("token_url", a.TokenURL != "")
	add("client_id", a.ClientID != "")
	add("client_secret", a.ClientSecret != "")
	add("scopes", len(a.Scopes) > 0)
	add("scope_separator", a.ScopeSeparator != "")
	add("pkce", a.PKCE)
	add("authorize_params", len(a.AuthorizeParams) > 0)
	add("token_params", len(a.TokenParams) > 0)
	add("token_query", len(a.TokenQuery) > 0)
	add("client_auth", a.ClientAuth != "")
	add("dpop", a.DPoP != "")
	add("private_key", a.PrivateKey != "")
	add("signing_alg", a.SigningAlg != "")
	add("key_id", a.KeyID != "")
	add("claims", len(a.Claims) > 0)
	add("headers", len(a.Headers) > 0)
	add("query", len(a.Query) > 0)
	add("access_key_id", a.AccessKeyID != "")
	add("secret_access_key", a.SecretAccessKey != "")
	add("session_token", a.SessionToken != "")
	add("region", a.Region != "")
	add("service", a.Service != "")
	add("after_consent", a.AfterConsent != nil)
	add("consent_page", a.ConsentPage != nil)
	return out
}

func (v *validator) auth(p string, a *Auth) {
	allowed, known := authAttrs[a.Type]
	if !known {
		if a.Type == "" {
			v.add(p+".type", "is required")
		} else {
			v.add(p+".type", "unknown auth type %q (want none, basic, api_key, bearer, oauth2_client_credentials, oauth2_authorization_code, oauth2_jwt_bearer, custom or aws_sigv4)", a.Type)
		}
		return
	}
	for _, attr := range setAttrs(a) {
		if !slices.Contains(allowed, attr) {
			v.add(p+"."+attr, "does not apply to auth type %s", a.Type)
		}
	}
	v.fields(p+".fields", a.Fields, v.common)
	own := map[string]Field{}
	for _, f := range a.Fields {
		own[f.Name] = f
	}
	anyField := func(name string) string {
		if _, ok := own[name]; ok {
			return ""
		}
		if _, ok := v.common[name]; ok {
			return ""
		}
		return "refers to undeclared field %q"
	}
	publicField := func(name string) string {
		f, ok := own[name]
		if !ok {
			f, ok = v.common[name]
		}
		switch {
		case !ok:
			return "refers to undeclared field %q"
		case f.Type == FieldSecret:
			return "refers to secret field %q, which cannot be used here"
		}
		return ""
	}
	tmpl := func(attr, value, def string) {
		if value == "" {
			value = def
		}
		v.checkTemplate(p+"."+attr, value, anyField)
	}
	if a.BaseURL != "" {
		v.checkBaseURL(p+".base_url", a.BaseURL, publicField)
	}
	if a.Test != nil {
		v.test(p+".test", a.Test, publicField)
	}
	if a.AfterConsent != nil {
		v.afterConsent(p+".after_consent", a.AfterConsent, own, publicField)
	}
	if cp := a.ConsentPage; cp != nil {
		v.consentPage(p+".consent_page", cp, publicField)
	}
	if a.DPoP != "" && a.Type.IsOAuth2() {
		v.dpop(p, a, own)
	}
	switch a.Type {
	case AuthBasic:
		tmpl("username", a.Username, "{username}")
		tmpl("password", a.Password, "{password}")
	case AuthBearer:
		tmpl("token", a.Token, "{token}")
	case AuthAPIKey:
		switch name, lone := loneVar(a.In); {
		case a.In == "header" || a.In == "query":
		case a.In == "":
			v.add(p+".in", "is required (header or query)")
		case lone:
			f, ok := own[name]
			if !ok {
				f, ok = v.common[name]
			}
			if !ok {
				v.add(p+".in", "refers to undeclared field %q", name)
				break
			}
			if f.Type != FieldSelect {
				v.add(p+".in", "field %q must be a select of header and query", name)
				break
			}
			for _, o := range f.Options {
				if o.Value != "header" && o.Value != "query" {
					v.add(p+".in", "field %q offers %q; only header and query are possible", name, o.Value)
				}
			}
		default:
			v.add(p+".in", "must be header, query, or one field holding either")
		}
		if a.Name == "" {
			v.add(p+".name", "is required: the header or query parameter that carries the key")
		} else {
			v.checkTemplate(p+".name", a.Name, publicField)
			if !strings.Contains(a.Name, "{") && a.In == "header" && !headerNameRE.MatchString(a.Name) {
				v.add(p+".name", "invalid header name")
			}
		}
		tmpl("value", a.Value, "{api_key}")
	case AuthOAuth2ClientCredentials, AuthOAuth2AuthorizationCode:
		if a.Type == AuthOAuth2AuthorizationCode {
			v.oauthURL(p+".authorize_url", a.AuthorizeURL, publicField)
		}
		v.oauthURL(p+".token_url", a.TokenURL, publicField)
		if a.Name != "" && !headerNameRE.MatchString(a.Name) {
			v.add(p+".name", "invalid header name")
		}
		if a.ClientID == "" {
			v.add(p+".client_id", "is required (usually \"{client_id}\", a connection field)")
		}
		tmpl("client_id", a.ClientID, "")
		tmpl("client_secret", a.ClientSecret, "")
		for i, s := range a.Scopes {
			v.checkTemplate(fmt.Sprintf("%s.scopes[%d]", p, i), s, publicField)
		}
		if a.ScopeSeparator != "" && a.ScopeSeparator != " " && a.ScopeSeparator != "," {
			v.add(p+".scope_separator", "must be a space or a comma")
		}
		for _, k := range sortedKeys(a.AuthorizeParams) {
			v.checkTemplate(p+".authorize_params."+k, a.AuthorizeParams[k], publicField)
		}
		for _, k := range sortedKeys(a.TokenParams) {
			v.checkTemplate(p+".token_params."+k, a.TokenParams[k], publicField)
		}
		for _, k := range sortedKeys(a.TokenQuery) {
			v.checkTemplate(p+".token_query."+k, a.TokenQuery[k], publicField)
			if _, both := a.TokenParams[k]; both {
				v.add(p+".token_query."+k, "is also a token_params entry; send it in one place")
			}
		}
		switch a.ClientAuth {
		case "", "client_secret":
			for _, attr := range []string{"private_key", "signing_alg", "key_id", "claims"} {
				if slices.Contains(setAttrs(a), attr) {
					v.add(p+"."+attr, "applies only with client_auth %s", ClientAuthPrivateKeyJWT)
				}
			}
		case ClientAuthPrivateKeyJWT:
			if a.ClientSecret != "" {
				v.add(p+".client_secret", "a private_key_jwt client sends no secret")
			}
			v.signingKey(p, a, anyField, publicField)
		default:
			v.add(p+".client_auth", "must be client_secret or %s", ClientAuthPrivateKeyJWT)
		}
	case AuthOAuth2JWTBearer:
		// Without a token URL the service-account key's token_uri is used.
		if a.TokenURL != "" {
			v.oauthURL(p+".token_url", a.TokenURL, publicField)
		}
		if a.Name != "" && !headerNameRE.MatchString(a.Name) {
			v.add(p+".name", "invalid header name")
		}
		for i, s := range a.Scopes {
			v.checkTemplate(fmt.Sprintf("%s.scopes[%d]", p, i), s, publicField)
		}
		for _, k := range sortedKeys(a.TokenParams) {
			v.checkTemplate(p+".token_params."+k, a.TokenParams[k], publicField)
		}
		v.signingKey(p, a, anyField, publicField)
	case AuthCustom:
		if len(a.Headers) == 0 && len(a.Query) == 0 {
			v.add(p, "a custom auth type needs headers or query parameters")
		}
		for _, name := range sortedKeys(a.Headers) {
			hp := p + ".headers." + name
			if strings.Contains(name, "{") {
				v.checkTemplate(hp, name, publicField)
			} else if !headerNameRE.MatchString(name) {
				v.add(hp, "invalid header name")
			}
			v.checkTemplate(hp, a.Headers[name], anyField)
		}
		for _, name := range sortedKeys(a.Query) {
			v.checkTemplate(p+".query."+name, a.Query[name], anyField)
		}
	case AuthAWSSigV4:
		v.awsSigV4(p, a, anyField, publicField)
	}
}

// signingKey checks the key and claims of a scheme that signs a JWT.
func (v *validator) signingKey(p string, a *Auth, anyField, publicField func(string) string) {
	if a.PrivateKey == "" {
		v.add(p+".private_key", "is required (usually \"{private_key}\", a secret connection field)")
	} else {
		v.checkTemplate(p+".private_key", a.PrivateKey, anyField)
	}
	switch a.SigningAlg {
	case "", SigningRS256, SigningES256:
	default:
		v.add(p+".signing_alg", "must be RS256 or ES256")
	}
	v.checkTemplate(p+".key_id", a.KeyID, publicField)
	for _, name := range sortedKeys(a.Claims) {
		switch name {
		case "iat", "exp", "jti":
			v.add(p+".claims."+name, "is set when the assertion is signed")
			continue
		}
		v.checkTemplate(p+".claims."+name, a.Claims[name], publicField)
	}
}

func (v *validator) oauthURL(p, raw string, resolve func(string) string) {
	if raw == "" {
		v.add(p, "is required")
		return
	}
	v.checkTemplate(p, raw, resolve)
	if _, ok := loneVar(raw); ok {
		return
	}
	sample, _ := fillTemplate(raw, func(string) (string, bool) { return "x", true })
	if u, err := url.Parse(sample); err != nil || u.Scheme != "https" || u.Host == "" {
		v.add(p, "must be an absolute https URL")
	}
}

// consentPage checks a consent page: an error code, and an https URL
// and query over public fields only, since the URL is shown to users.
func (v *validator) consentPage(p string, cp *ConsentPage, resolve func(string) string) {
	if cp.Error == "" {
		v.add(p+".error", "is required: the token endpoint's error code that asks for consent")
	}
	v.oauthURL(p+".url", cp.URL, resolve)
	if strings.ContainsAny(cp.URL, "?#") {
		v.add(p+".url", "must not hold a query or fragment; give the parameters as query")
	}
	for _, k := range sortedKeys(cp.Query) {
		v.checkTemplate(p+".query."+k, cp.Query[k], resolve)
	}
}

// afterConsent checks a consent lookup: an https URL over public fields,
// valid JSON paths, and fields to fill that the form declares as public
// fields, since their values are shown and saved as typed ones are.
func (v *validator) afterConsent(p string, lk *ConsentLookup, own map[string]Field, resolve func(string) string) {
	v.oauthURL(p+".url", lk.URL, resolve)
	v.jsonPath(p+".records", lk.Records, false)
	if m := lk.Match; m != nil {
		v.jsonPath(p+".match.path", m.Path, true)
		if m.Value == "" {
			v.add(p+".match.value", "is required")
		}
		v.checkTemplate(p+".match.value", m.Value, resolve)
	}
	if len(lk.Fill) == 0 {
		v.add(p+".fill", "is required: the fields the answer fills")
	}
	for _, name := range sortedKeys(lk.Fill) {
		fp := p + ".fill." + name
		f, ok := own[name]
		if !ok {
			f, ok = v.common[name]
		}
		switch {
		case !ok:
			v.add(fp, "refers to undeclared field %q", name)
		case f.Type == FieldSecret:
			v.add(fp, "field %q is a secret; only public fields may be filled after consent", name)
		}
		v.jsonPath(fp, lk.Fill[name], true)
	}
}

func (v *validator) test(p string, t *TestRequest, resolve func(string) string) {
	if t.Method != "" && !slices.Contains(methods, t.Method) {
		v.add(p+".method", "unknown method %q", t.Method)
	}
	v.path(p+".path", t.Path)
	v.checkTemplate(p+".path", t.Path, resolve)
	for _, k := range sortedKeys(t.Query) {
		v.checkTemplate(p+".query."+k, t.Query[k], resolve)
	}
	for i, s := range t.ExpectStatus {
		if s < 100 || s > 599 {
			v.add(fmt.Sprintf("%s.expect_status[%d]", p, i), "%d is not an HTTP status", s)
		}
	}
	if t.PathField != "" && !slices.ContainsFunc(v.d.Fields, func(f Field) bool { return f.Name == t.PathField }) {
		v.add(p+".path_field", "names no connection field %q", t.PathField)
	}
}

func (v *validator) path(p, path string) {
	switch {
	case path == "":
		v.add(p, "is required")
	case !strings.HasPrefix(path, "/"):
		v.add(p, "must start with '/'")
	case strings.ContainsAny(path, "?#"):
		v.add(p, "must not hold a query or fragment; use query or inputs")
	case slices.Contains(strings.Split(path, "/"), ".."):
		v.add(p, "must not contain '..'")
	}
}

func (v *validator) authFailure(p string, af *AuthFailure) {
	for i, s := range af.Status {
		if s < 100 || s > 599 {
			v.add(fmt.Sprintf("%s.status[%d]", p, i), "%d is not an HTTP status", s)
		}
	}
	for i, b := range af.Body {
		bp := fmt.Sprintf("%s.body[%d]", p, i)
		if len(b.Match) == 0 {
			v.add(bp+".match", "needs at least one condition")
		}
		for j, c := range b.Match {
			cp := fmt.Sprintf("%s.match[%d]", bp, j)
			v.jsonPath(cp+".path", c.Path, true)
			if len(c.Values) == 0 {
				v.add(cp+".values", "needs at least one value")
			}
		}
	}
}

func (v *validator) jsonPath(p, path string, required bool) {
	if path == "" {
		if required {
			v.add(p, "is required")
		}
		return
	}
	if _, err := parsePath(path); err != nil {
		v.add(p, "invalid JSON path: %v", err)
	}
}

var typeNames = []InputType{TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeObject, TypeArray}

func knownType(t InputType) bool { return slices.Contains(typeNames, t) }

func (v *validator) object(p string, o *Object) {
	fields := map[string]bool{}
	for i, f := range o.Fields {
		fp := fmt.Sprintf("%s.fields[%d]", p, i)
		if f.Name == "" {
			v.add(fp+".name", "is required")
		} else if fields[f.Name] {
			v.add(fp+".name", "duplicate field %q", f.Name)
		}
		fields[f.Name] = true
		if !knownType(InputType(f.Type)) {
			v.add(fp+".type", "unknown type %q (want string, integer, number, boolean, object or array)", f.Type)
		}
	}
	n := 0
	for _, name := range OperationNames {
		op := o.Operations.ByName(name)
		if op == nil {
			continue
		}
		n++
		v.operation(p+".operations."+name, op, name)
	}
	if n == 0 && len(o.Events) == 0 {
		v.add(p+".operations", "an object needs at least one operation or event")
	}
	v.events(p, o)
}

// inputIn returns where an input goes once defaults apply.
func inputIn(op *Operation, in *Input) string {
	if op.Link != nil && in.Name == op.Link.Input {
		return "link"
	}
	if in.In != "" {
		return in.In
	}
	if slices.Contains(templateVars(op.Path), in.Name) {
		return "path"
	}
	switch op.Method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		return "query"
	}
	return "body"
}

func (v *validator) operation(p string, op *Operation, opName string) {
	if op.Method == "" {
		v.add(p+".method", "is required")
	} else if !slices.Contains(methods, op.Method) {
		v.add(p+".method", "unknown method %q (want %s)", op.Method, strings.Join(methods, ", "))
	}
	if op.Link == nil {
		v.path(p+".path", op.Path)
	}

	inputs := map[string]*Input{}
	for i := range op.Inputs {
		in := &op.Inputs[i]
		ip := fmt.Sprintf("%s.inputs[%d]", p, i)
		if !identRE.MatchString(in.Name) {
			v.add(ip+".name", "is required and must be an identifier")
		} else if inputs[in.Name] != nil {
			v.add(ip+".name", "duplicate input %q", in.Name)
		}
		inputs[in.Name] = in
		if !knownType(in.Type) && in.Type != TypeFile {
			v.add(ip+".type", "unknown type %q (want string, integer, number, boolean, object, array or file)", in.Type)
		}
		where := inputIn(op, in)
		if in.Type == TypeFile {
			switch {
			case where != "body":
				v.add(ip+".in", "a file input goes in the body")
			case op.MIMEMessage != nil && op.MIMEMessage.names(in.Name):
				// an attachment of the message
			case !slices.Contains([]BodyEncoding{BodyMultipart, BodyMultipartRelated, BodyBinary}, op.BodyEncoding):
				v.add(ip+".type", "a file input needs body_encoding multipart, multipart_related or binary")
			}
			if in.Default != nil || len(in.Enum) > 0 {
				v.add(ip+".type", "a file input has no default or enum")
			}
		}
		switch where {
		case "path":
			if !slices.Contains(templateVars(op.Path), in.Name) {
				v.add(ip+".in", "path input %q does not appear in the path", in.Name)
			}
			if !in.Required && in.Default == nil {
				v.add(ip+".required", "a path input must be required or have a default")
			}
			if in.Type == TypeObject || in.Type == TypeArray {
				v.add(ip+".type", "a path input must be a scalar")
			}
		case "query":
		case "header":
			if !headerNameRE.MatchString(in.WireName()) {
				v.add(ip+".key", "invalid header name")
			}
			if in.Type == TypeObject || in.Type == TypeArray {
				v.add(ip+".type", "a header input must be a scalar")
			}
		case "body":
			if op.Method == http.MethodGet || op.Method == http.MethodHead {
				v.add(ip+".in", "%s requests have no body", op.Method)
			}
		case "link":
			// checked with the link
		default:
			v.add(ip+".in", "unknown location %q (want path, query, body or header)", in.In)
		}
		switch in.Style {
		case "", "repeat", "brackets", "comma":
			if in.Style != "" && in.Type != TypeArray {
				v.add(ip+".style", "only array inputs have a style")
			}
		default:
			v.add(ip+".style", "unknown style %q (want repeat, brackets or comma)", in.Style)
		}
		if in.Default != nil && knownType(in.Type) {
			if _, err := checkType(in.Type, in.Default); err != nil {
				v.add(ip+".default", "does not match type %s", in.Type)
			}
		}
		for j, e := range in.Enum {
			if _, err := checkType(in.Type, e); err != nil && knownType(in.Type) {
				v.add(fmt.Sprintf("%s.enum[%d]", ip, j), "does not match type %s", in.Type)
			}
		}
	}

	inputOrField := func(name string) string {
		if inputs[name] != nil {
			return ""
		}
		return v.commonPublic(name)
	}
	for _, name := range templateVars(op.Path) {
		if in := inputs[name]; in != nil {
			if inputIn(op, in) != "path" {
				v.add(p+".path", "placeholder {%s} names an input that goes in the %s", name, inputIn(op, in))
			}
			continue
		}
		if msg := v.commonPublic(name); msg != "" {
			v.add(p+".path", "placeholder {%s} is neither a path input nor a connection field", name)
		}
	}
	for _, k := range sortedKeys(op.Query) {
		v.checkTemplate(p+".query."+k, op.Query[k], inputOrField)
	}
	v.headers(p+".headers", op.Headers, inputOrField)

	if op.Body != nil {
		if op.Method == http.MethodGet || op.Method == http.MethodHead {
			v.add(p+".body", "%s requests have no body", op.Method)
		}
		walkStrings(op.Body, func(s string) {
			v.checkTemplate(p+".body", s, inputOrField)
		})
		if _, ok := op.Body.(map[string]any); !ok {
			if _, lone := op.Body.(string); !lone {
				v.add(p+".body", "must be a mapping, or a single placeholder")
			}
		}
	}
	if op.BodyEncoding != "" && !slices.Contains(BodyEncodings, op.BodyEncoding) {
		v.add(p+".body_encoding", "unknown encoding %q (want json, form, multipart, multipart_related, ndjson or binary)", op.BodyEncoding)
	}
	v.formats(p, op, inputs, inputOrField)
	v.jsonPath(p+".records", op.Records, false)

	if pg := op.Pagination; pg != nil {
		if opName != "" && opName != "list" {
			v.add(p+".pagination", "only list operations page")
		}
		v.pagination(p+".pagination", pg)
	}
	seen := map[string]bool{}
	for i, o := range op.Outputs {
		opth := fmt.Sprintf("%s.outputs[%d]", p, i)
		if !identRE.MatchString(o.Name) {
			v.add(opth+".name", "is required and must be an identifier")
		} else if seen[o.Name] {
			v.add(opth+".name", "duplicate output %q", o.Name)
		}
		seen[o.Name] = true
		if !knownType(o.Type) {
			v.add(opth+".type", "unknown type %q (want string, integer, number, boolean, object or array)", o.Type)
		}
		v.jsonPath(opth+".path", o.Path, false)
	}
}

func (v *validator) pagination(p string, pg *Pagination) {
	need := func(attr, val string) {
		if val == "" {
			v.add(p+"."+attr, "is required for %s pagination", pg.Type)
		}
	}
	forbid := func(attr string, set bool) {
		if set {
			v.add(p+"."+attr, "does not apply to %s pagination", pg.Type)
		}
	}
	switch pg.Type {
	case PageCursor:
		if pg.Continue == nil {
			need("cursor_param", pg.CursorParam)
		}
		need("next_cursor_path", pg.NextCursorPath)
		if pg.CursorIn != "" && pg.CursorIn != "query" && pg.CursorIn != "body" {
			v.add(p+".cursor_in", "must be query or body")
		}
	case PageOffset:
		need("offset_param", pg.OffsetParam)
	case PageNumber:
		need("page_param", pg.PageParam)
	case PageLinkHeader:
	case PageNextURL:
		need("next_url_path", pg.NextURLPath)
	case "":
		v.add(p+".type", "is required (cursor, offset, page, link_header or next_url)")
		return
	default:
		v.add(p+".type", "unknown pagination type %q (want cursor, offset, page, link_header or next_url)", pg.Type)
		return
	}
	if pg.Type != PageCursor {
		forbid("cursor_param", pg.CursorParam != "")
		forbid("cursor_in", pg.CursorIn != "")
		forbid("next_cursor_path", pg.NextCursorPath != "")
	}
	if pg.Type != PageOffset {
		forbid("offset_param", pg.OffsetParam != "")
	}
	if pg.Type != PageNumber {
		forbid("page_param", pg.PageParam != "")
		forbid("start_page", pg.StartPage != 0)
		forbid("max_page", pg.MaxPage != 0)
	}
	if pg.MaxPage < 0 || (pg.MaxPage > 0 && pg.MaxPage < startPage(pg)) {
		v.add(p+".max_page", "must not be before the first page")
	}
	if pg.Type != PageNextURL {
		forbid("next_url_path", pg.NextURLPath != "")
	}
	if pc := pg.Continue; pc != nil {
		if pg.Type != PageCursor {
			forbid("continue", true)
		} else {
			v.pageContinue(p, pg, pc)
		}
	}
	if pg.PageSize < 0 {
		v.add(p+".page_size", "must not be negative")
	}
	if pg.PageSize > 0 && pg.LimitParam == "" {
		v.add(p+".limit_param", "is required when page_size is set")
	}
	v.jsonPath(p+".next_cursor_path", pg.NextCursorPath, false)
	v.jsonPath(p+".next_url_path", pg.NextURLPath, false)
	v.jsonPath(p+".has_more_path", pg.HasMorePath, false)
	v.jsonPath(p+".end_path", pg.EndPath, false)
}

// pageContinue checks a cursor pagination whose later pages go to an
// endpoint of their own: the cursor travels in its body alone.
func (v *validator) pageContinue(p string, pg *Pagination, pc *PageContinue) {
	if pg.CursorParam != "" {
		v.add(p+".cursor_param", "does not apply with continue: the cursor goes in continue.body")
	}
	if pg.CursorIn != "" {
		v.add(p+".cursor_in", "does not apply with continue: the cursor goes in continue.body")
	}
	p += ".continue"
	if !slices.Contains([]string{http.MethodPost, http.MethodPut, http.MethodPatch}, pc.HTTPMethod()) {
		v.add(p+".method", "must be POST, PUT or PATCH: a method that carries the cursor in its body")
	}
	if pc.Path == "" {
		v.add(p+".path", "is required")
	} else if err := checkTestPath(pc.Path); err != nil {
		v.add(p+".path", "%s", err)
	}
	if _, ok := pc.Body.(map[string]any); !ok {
		v.add(p+".body", "is required: a mapping naming {cursor}, such as {cursor: \"{cursor}\"}")
		return
	}
	named := false
	walkStrings(pc.Body, func(s string) {
		for _, name := range templateVars(s) {
			if name != "cursor" {
				v.add(p+".body", "placeholder {%s} is not the cursor: a later page's body holds the cursor alone", name)
			}
			named = named || name == "cursor"
		}
	})
	if !named {
		v.add(p+".body", "must name {cursor}")
	}
}

// walkStrings calls fn for every string in a YAML-decoded value, map keys
// included.
func walkStrings(v any, fn func(string)) {
	switch t := v.(type) {
	case string:
		fn(t)
	case map[string]any:
		for _, k := range sortedKeys(t) {
			fn(k)
			walkStrings(t[k], fn)
		}
	case []any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formats checks what an operation says about its body's encoding beyond
// JSON and forms, its own base URL, its JSON headers and a file answer.
func (v *validator) formats(p string, op *Operation, inputs map[string]*Input, inputOrField func(string) string) {
	jsonNamed := map[string]bool{}
	for _, name := range sortedKeys(op.JSONHeaders) {
		hp := p + ".json_headers." + name
		if !headerNameRE.MatchString(name) {
			v.add(hp, "invalid header name")
		}
		walkStrings(op.JSONHeaders[name], func(s string) {
			v.checkTemplate(hp, s, inputOrField)
			for _, n := range templateVars(s) {
				jsonNamed[n] = true
				if in := inputs[n]; in != nil && inputIn(op, in) != "body" {
					v.add(hp, "placeholder {%s} names an input that goes in the %s; inputs of a JSON header are left in the body", n, inputIn(op, in))
				}
			}
		})
	}
	switch op.BodyEncoding {
	case BodyBinary:
		files, others := 0, 0
		for i := range op.Inputs {
			in := &op.Inputs[i]
			if inputIn(op, in) != "body" || jsonNamed[in.Name] || (op.ChunkedUpload != nil && in.Name == op.ChunkedUpload.AboveInput) {
				continue
			}
			if in.Type == TypeFile {
				files++
			} else {
				others++
			}
		}
		if files != 1 || others > 0 {
			v.add(p+".body_encoding", "a binary body takes exactly one file input and no other body input")
		}
		if op.Body != nil {
			v.add(p+".body", "a binary body is the file input; leave body out")
		}
	case BodyMultipartRelated:
		files := 0
		for i := range op.Inputs {
			if op.Inputs[i].Type == TypeFile {
				files++
			}
		}
		if files != 1 {
			v.add(p+".body_encoding", "a multipart_related body takes exactly one file input")
		}
	}
	if b := op.BaseURL; b != "" {
		u, err := url.Parse(b)
		switch {
		case len(templateVars(b)) > 0:
			v.add(p+".base_url", "must be a fixed URL, without placeholders")
		case err != nil || u.Scheme != "https" || u.Host == "":
			v.add(p+".base_url", "must be an absolute https URL")
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			v.add(p+".base_url", "must not hold a query, fragment or user info")
		case strings.HasSuffix(u.Path, "/"):
			v.add(p+".base_url", "must not end with '/'; operation paths start with one")
		}
	}
	if m := op.MIMEMessage; m != nil {
		v.mimeMessage(p+".mime_message", op, m, inputs, jsonNamed)
	}
	if l := op.Link; l != nil {
		v.link(p+".link", op, l, inputs)
	}
	if cu := op.ChunkedUpload; cu != nil {
		v.chunkedUpload(p+".chunked_upload", op, cu, inputs, inputOrField)
	}
	if of := op.OutputFile; of != nil {
		v.checkTemplate(p+".output_file.filename", of.Filename, inputOrField)
		if op.Records != "" || len(op.Outputs) > 0 || op.Pagination != nil {
			v.add(p+".output_file", "a file answer has no records, outputs or pagination")
		}
	}
}

// mimeMessage checks that a message names inputs of the right types that
// go nowhere else, and a string input to carry it.
func (v *validator) mimeMessage(p string, op *Operation, m *MIMEMessage, inputs map[string]*Input, jsonNamed map[string]bool) {
	inBody := map[string]bool{}
	if op.Body != nil {
		walkStrings(op.Body, func(s string) {
			for _, n := range templateVars(s) {
				inBody[n] = true
			}
		})
	}
	into := inputs[m.Into]
	switch {
	case m.Into == "":
		v.add(p+".into", "is required: the string input the message is sent as")
	case into == nil:
		v.add(p+".into", "names no input %q", m.Into)
	case into.Type != TypeString:
		v.add(p+".into", "input %q must be a string", m.Into)
	case into.Required || into.Default != nil:
		v.add(p+".into", "input %q must be optional and without a default: the message fills it when the caller does not", m.Into)
	}
	slots := m.slots()
	if len(slots) == 0 {
		v.add(p, "names no input to build the message from")
	}
	seen := map[string]string{}
	for _, s := range slots {
		sp := p + "." + s.attr
		in := inputs[s.input]
		if in == nil {
			v.add(sp, "names no input %q", s.input)
			continue
		}
		if other, dup := seen[s.input]; dup {
			v.add(sp, "input %q is already the message's %s", s.input, other)
		}
		seen[s.input] = s.attr
		if s.input == m.Into {
			v.add(sp, "input %q is the one the message is sent as", s.input)
		}
		var want []InputType
		switch s.role {
		case roleAddresses, roleMessageIDs:
			want = []InputType{TypeString, TypeArray}
		case roleHeader, roleBody:
			want = []InputType{TypeString}
		case roleFiles:
			want = []InputType{TypeFile}
		}
		if !slices.Contains(want, in.Type) {
			v.add(sp, "input %q must be of type %s", s.input, typeList(want))
		}
		switch {
		case inputIn(op, in) != "body":
			v.add(sp, "input %q goes in the %s; the message's inputs are body inputs", s.input, inputIn(op, in))
		case inBody[s.input] || jsonNamed[s.input]:
			v.add(sp, "input %q goes in the message and nowhere else; leave it out of the body and headers", s.input)
		}
		if in.Default != nil {
			v.add(sp, "input %q must have no default: it would always be given", s.input)
		}
	}
}

func typeList(ts []InputType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, " or ")
}

// link checks an operation sent to a link: a required string input that
// goes nowhere else, no path or base URL of its own, and a Trim that ends
// every base URL the connection may use.
func (v *validator) link(p string, op *Operation, l *Link, inputs map[string]*Input) {
	if in := inputs[l.Input]; in == nil || in.Type != TypeString || !in.Required || in.In != "" {
		v.add(p+".input", "must name a required string input of the operation")
	}
	if op.Path != "" || op.BaseURL != "" || op.ChunkedUpload != nil {
		v.add(p, "the link replaces path and base_url; an operation with a link has neither, nor a chunked upload")
	}
	if l.Trim == "" {
		return
	}
	if !strings.HasPrefix(l.Trim, "/") || strings.HasSuffix(l.Trim, "/") || len(templateVars(l.Trim)) > 0 {
		v.add(p+".trim", "must start with '/', not end with one, and hold no placeholders")
		return
	}
	bases := []string{v.d.BaseURL}
	for i := range v.d.Auth {
		if b := v.d.Auth[i].BaseURL; b != "" {
			bases = append(bases, b)
		}
	}
	for _, b := range bases {
		if b != "" && !strings.HasSuffix(b, l.Trim) {
			v.add(p+".trim", "base URL %s does not end with it", b)
		}
	}
}

// chunkedUpload checks a chunked upload: its style's steps, a file input
// to send, chunk sizes the API takes, and templates that name inputs,
// public fields or the upload's own values.
func (v *validator) chunkedUpload(p string, op *Operation, cu *ChunkedUpload, inputs map[string]*Input, inputOrField func(string) string) {
	if in := inputs[cu.File]; in == nil || in.Type != TypeFile {
		v.add(p+".file", "must name a file input of the operation")
	}
	if cu.AboveInput != "" {
		if in := inputs[cu.AboveInput]; in == nil || in.Type != TypeInteger || in.Required {
			v.add(p+".above_input", "must name an optional integer input of the operation")
		}
	}
	if cu.Above < 0 {
		v.add(p+".above", "must not be negative")
	}
	multiple := max(cu.ChunkMultiple, 1)
	switch {
	case cu.ChunkMultiple < 0:
		v.add(p+".chunk_multiple", "must not be negative")
	case cu.ChunkSize < 0:
		v.add(p+".chunk_size", "must not be negative")
	case cu.ChunkSize == 0 && DefaultChunkSize%multiple != 0:
		v.add(p+".chunk_size", "is required: the default %d is not a multiple of chunk_multiple", DefaultChunkSize)
	case cu.ChunkSize%multiple != 0:
		v.add(p+".chunk_size", "must be a multiple of chunk_multiple (%d)", multiple)
	}
	for _, name := range uploadVars {
		if inputs[name] != nil {
			v.add(p, "input %q has the name of an upload value; rename it", name)
		}
	}
	resolve := func(name string) string {
		if slices.Contains(uploadVars, name) {
			return ""
		}
		return inputOrField(name)
	}
	step := func(sp string, st *UploadStep, whole, body bool) {
		if st == nil {
			if whole {
				v.add(sp, "is required for a %s upload", cu.Style)
			}
			return
		}
		if st.Body != nil && !body {
			v.add(sp+".body", "only a parts upload's start and finish have a body: other steps carry the file")
		}
		walkStrings(st.Body, func(s string) { v.checkTemplate(sp+".body", s, resolve) })
		if !whole && (st.Method != "" || st.BaseURL != "" || st.Path != "" || len(st.JSONHeaders) > 0) {
			v.add(sp, "a resumable upload starts with the operation's own request: only query and headers may change")
		}
		if whole {
			if st.Path == "" || !strings.HasPrefix(st.Path, "/") {
				v.add(sp+".path", "is required and must start with '/'")
			}
			if st.Method != "" && st.Method != http.MethodPost && st.Method != http.MethodPut {
				v.add(sp+".method", "must be POST or PUT")
			}
		}
		if b := st.BaseURL; b != "" {
			if u, err := url.Parse(b); err != nil || u.Scheme != "https" || u.Host == "" || len(templateVars(b)) > 0 || u.RawQuery != "" || strings.HasSuffix(u.Path, "/") {
				v.add(sp+".base_url", "must be a fixed https URL, without placeholders, query or trailing '/'")
			}
		}
		v.checkTemplate(sp+".path", st.Path, resolve)
		for _, k := range sortedKeys(st.Query) {
			v.checkTemplate(sp+".query."+k, st.Query[k], resolve)
		}
		v.headers(sp+".headers", st.Headers, resolve)
		for _, name := range sortedKeys(st.JSONHeaders) {
			hp := sp + ".json_headers." + name
			if !headerNameRE.MatchString(name) {
				v.add(hp, "invalid header name")
			}
			walkStrings(st.JSONHeaders[name], func(s string) { v.checkTemplate(hp, s, resolve) })
		}
	}
	if cu.Style != UploadParts && (cu.Part != "" || cu.PartSize != "") {
		v.add(p, "part and part_size are for parts uploads")
	}
	switch cu.Style {
	case UploadResumable:
		step(p+".start", cu.Start, false, false)
		if cu.Append != nil || cu.Finish != nil || cu.SessionID != "" || len(cu.CorrectOffset) > 0 {
			v.add(p, "append, finish, session_id and correct_offset are for session uploads")
		}
		if op.Method != http.MethodPost && op.Method != http.MethodPut && op.Method != http.MethodPatch {
			v.add(p, "a resumable upload starts with the operation's request, which must be a POST, PUT or PATCH")
		}
	case UploadSession:
		step(p+".start", cu.Start, true, false)
		step(p+".append", cu.Append, true, false)
		step(p+".finish", cu.Finish, true, false)
		v.jsonPath(p+".session_id", cu.SessionID, true)
		for i, cp := range cu.CorrectOffset {
			v.jsonPath(fmt.Sprintf("%s.correct_offset[%d]", p, i), cp, true)
		}
	case UploadParts:
		step(p+".start", cu.Start, true, true)
		step(p+".append", cu.Append, true, false)
		step(p+".finish", cu.Finish, true, true)
		v.jsonPath(p+".session_id", cu.SessionID, true)
		v.jsonPath(p+".part_size", cu.PartSize, false)
		v.jsonPath(p+".part", cu.Part, false)
		if len(cu.CorrectOffset) > 0 {
			v.add(p+".correct_offset", "is for session uploads: a parts upload sends each part at its place")
		}
	default:
		v.add(p+".style", "must be resumable, session or parts")
	}
}

// dpop checks an OAuth scheme's dpop setting: true, false, or one boolean
// field, and no vendor header (a DPoP-bound token goes in Authorization).
func (v *validator) dpop(p string, a *Auth, own map[string]Field) {
	switch name, lone := loneVar(a.DPoP); {
	case a.DPoP == "true" || a.DPoP == "false":
	case lone:
		f, ok := own[name]
		if !ok {
			f, ok = v.common[name]
		}
		switch {
		case !ok:
			v.add(p+".dpop", "refers to undeclared field %q", name)
		case f.Type != FieldBoolean:
			v.add(p+".dpop", "field %q must be a boolean field", name)
		}
	default:
		v.add(p+".dpop", "must be true, false, or one boolean field")
	}
	if a.Name != "" {
		v.add(p+".dpop", "a DPoP-bound token is sent in Authorization, not in the header %q that name sets", a.Name)
	}
}
