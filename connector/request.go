package connector

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"junction"
)

// Credentials are what a connection brings to a request: the auth scheme it
// uses, its field values and, for OAuth 2.0 schemes, the access token the
// caller obtained. Secret fields are read from Secrets only, so a secret
// never travels as a plain string.
type Credentials struct {
	// Auth is the Key of the auth scheme; empty picks the definition's only
	// scheme.
	Auth        string
	Fields      map[string]string
	Secrets     map[string]junction.Secret
	AccessToken junction.Secret
}

// Request is a built, ready-to-send HTTP request. Its String, GoString,
// Format and LogValue redact credentials, so it may be logged; Header and URL
// hold them in the clear for sending.
type Request struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
	// RetrySafe reports whether the request may be sent again after a
	// failure: the operation's retry_safe when set, else whether the method
	// is idempotent.
	RetrySafe bool

	conn             *connection // for reading polled records' time zones
	sensitiveHeaders []string    // canonical names
	sensitiveQuery   []string
	authQuery        url.Values
	base             *url.URL
	op               *Operation
	bodyValue        any
	bodyEncoding     BodyEncoding
	inputs           map[string]any // the checked inputs, for output_file's filename
	carriesFiles     bool           // a text body with files inside (an email's attachments)
	sigv4            *awsSigning    // signed at send time, see Signer
	pageCursor       string         // the cursor a continue page was built from
	upload           *Upload        // the chunked upload this request starts
}

// HTTPRequest returns a new *http.Request for r; each call gets its own body
// reader so retries can send it again.
func (r *Request) HTTPRequest(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if r.Body != nil {
		// A *bytes.Reader lets net/http set ContentLength and GetBody, so
		// redirects and retries can replay the body.
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL.String(), body)
	if err != nil {
		// The URL may carry an API key: the cause is not kept.
		return nil, junction.Internal(fmt.Errorf("build %s request for %s", r.Method, r.URL.Host))
	}
	req.Header = r.Header.Clone()
	return req, nil
}

// alwaysSensitive are headers redacted whoever set them.
var alwaysSensitive = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// String renders the request for logs and debugging with every credential
// replaced by [redacted].
func (r *Request) String() string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte(' ')
	b.WriteString(r.redactedURL())
	for _, name := range sortedKeys(r.Header) {
		for _, val := range r.Header[name] {
			if slices.Contains(r.sensitiveHeaders, name) || slices.Contains(alwaysSensitive, name) {
				val = junction.Redacted
			}
			fmt.Fprintf(&b, "\n%s: %s", name, val)
		}
	}
	switch ct := r.Header.Get("Content-Type"); {
	case len(r.Body) == 0:
	case textual(ct) && !r.carriesFiles:
		fmt.Fprintf(&b, "\n\n%s", r.Body)
	default:
		// Files are not logged: only their size and type.
		fmt.Fprintf(&b, "\n\n%s", BodySummary(ct, len(r.Body)))
	}
	return b.String()
}

func (r *Request) redactedURL() string {
	if r.URL == nil {
		return ""
	}
	u := *r.URL
	if len(r.sensitiveQuery) > 0 {
		q := u.Query()
		for _, k := range r.sensitiveQuery {
			if q.Has(k) {
				q.Set(k, junction.Redacted)
			}
		}
		// Shown as [redacted], not %5Bredacted%5D, so a reader sees it.
		u.RawQuery = strings.ReplaceAll(q.Encode(), url.QueryEscape(junction.Redacted), junction.Redacted)
	}
	u.User = nil
	return u.String()
}

func (r *Request) GoString() string             { return r.String() }
func (r *Request) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(r.String())) }
func (r *Request) LogValue() slog.Value         { return slog.StringValue(r.String()) }
func (r *Request) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
func (r *Request) Operation() *Operation        { return r.op }

// CarriesFiles reports whether the body, although text, holds files (an
// email built with attachments): like a file body, it is not to be shown
// or kept for debugging, only its size and type.
func (r *Request) CarriesFiles() bool { return r.carriesFiles }

// SensitiveHeaders are the canonical names of the headers the auth type
// puts a credential in.
func (r *Request) SensitiveHeaders() []string { return r.sensitiveHeaders }

// SensitiveQuery are the query parameters the auth type puts a credential
// in.
func (r *Request) SensitiveQuery() []string { return r.sensitiveQuery }
func (r *Request) clone() *Request {
	c := *r
	c.Header = r.Header.Clone()
	u := *r.URL
	c.URL = &u
	return &c
}
func (r *Request) setQuery(k, v string)       { q := r.URL.Query(); q.Set(k, v); r.URL.RawQuery = q.Encode() }
func (r *Request) queryValue(k string) string { return r.URL.Query().Get(k) }

var (
	_ fmt.Formatter  = (*Request)(nil)
	_ slog.LogValuer = (*Request)(nil)
)

// connection is a definition bound to one connection's credentials.
type connection struct {
	d    *Definition
	auth *Auth
	cred Credentials
	base *url.URL
}

// bind checks the credentials against the definition's connection form and
// fills the base URL.
func (d *Definition) bind(c Credentials) (*connection, error) {
	conn, err := d.bindForm(c)
	if err != nil {
		return nil, err
	}
	if conn.base, err = conn.fillBaseURL(); err != nil {
		return nil, err
	}
	return conn, nil
}

// bindForm checks the credentials against the connection form, leaving
// the base URL unfilled: what the OAuth 2.0 dance needs, before a consent
// lookup has filled the fields of the base URL.
func (d *Definition) bindForm(c Credentials) (*connection, error) {
	var a *Auth
	switch {
	case c.Auth == "" && len(d.Auth) == 1:
		a = &d.Auth[0]
	case c.Auth == "":
		return nil, junction.Invalid("auth", "choose one of the auth types %s", strings.Join(d.authKeys(), ", "))
	default:
		if a = d.AuthByID(c.Auth); a == nil {
			return nil, junction.Invalid("auth", "connector %s has no auth type %q (want %s)", d.Key, c.Auth, strings.Join(d.authKeys(), ", "))
		}
	}
	conn := &connection{d: d, auth: a, cred: c}
	for f := range formFields(d, a) {
		if !f.Required {
			continue
		}
		if _, ok := conn.value(f.Name); !ok {
			return nil, junction.Invalid("fields."+f.Name, "is required")
		}
	}
	for f := range formFields(d, a) {
		if err := conn.checkField(*f); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

func (d *Definition) authKeys() []string {
	keys := make([]string, len(d.Auth))
	for i := range d.Auth {
		keys[i] = d.Auth[i].Key()
	}
	return keys
}

// value returns a field's value (revealed, for secrets) or its default.
func (c *connection) value(name string) (string, bool) {
	f, ok := formField(c.d, c.auth, name)
	if !ok {
		return "", false
	}
	var v string
	if f.Type == FieldSecret {
		v = c.cred.Secrets[name].Reveal()
	} else {
		v = c.cred.Fields[name]
	}
	if v == "" {
		v = f.Default
	}
	return v, v != ""
}

// public returns a non-secret field's value. Templates outside auth only
// ever see these; the validator makes sure of it, and this guards again.
func (c *connection) public(name string) (string, bool) {
	if f, ok := formField(c.d, c.auth, name); !ok || f.Type == FieldSecret {
		return "", false
	}
	return c.value(name)
}

func (c *connection) checkField(f Field) error {
	v, ok := c.value(f.Name)
	if !ok {
		return nil
	}
	p := "fields." + f.Name
	switch f.Type {
	case FieldSelect:
		for _, o := range f.Options {
			if o.Value == v {
				return nil
			}
		}
		return junction.Invalid(p, "must be one of %s", optionList(f.Options))
	case FieldBoolean:
		if v != "true" && v != "false" {
			return junction.Invalid(p, "must be true or false")
		}
	case FieldNumber:
		if _, ok := parseNumber(v); !ok {
			return junction.Invalid(p, "must be a number")
		}
	}
	if strings.ContainsAny(v, "\r\n\x00") && !(c.signingKeyOnly(f) && !strings.Contains(v, "\x00")) {
		return junction.Invalid(p, "must not contain line breaks")
	}
	return nil
}

// signingKeyOnly reports whether f is a secret field used only as the
// scheme's private key, which is never sent: a PEM key spans lines.
func (c *connection) signingKeyOnly(f Field) bool {
	a := c.auth
	if f.Type != FieldSecret || !slices.Contains(varsOf(a.PrivateKey), f.Name) {
		return false
	}
	return !slices.Contains(a.RequestFields(), f.Name) && !slices.Contains(varsOf(a.ClientID, a.ClientSecret), f.Name)
}

func optionList(opts []Option) string {
	vals := make([]string, len(opts))
	for i, o := range opts {
		vals[i] = o.Value
	}
	return strings.Join(vals, ", ")
}

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// fillBaseURL substitutes connection fields into the base URL. A variable in
// the host must be a host name (so "evil.com/x?" cannot redirect traffic); one
// in the path is path-escaped. A base URL that is one variable (the generic
// connector) must be a full http or https URL.
func (c *connection) fillBaseURL() (*url.URL, error) {
	tmpl := c.d.BaseURL
	if c.auth.BaseURL != "" {
		tmpl = c.auth.BaseURL
	}
	if name, ok := loneVar(tmpl); ok {
		raw, _ := c.public(name)
		u, err := url.Parse(strings.TrimSuffix(raw, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return nil, junction.Invalid("fields."+name, "must be an absolute http or https URL without query or user info")
		}
		return u, nil
	}
	scheme, rest, _ := strings.Cut(tmpl, "://")
	hostEnd := strings.IndexByte(rest, '/')
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	var ferr error
	fill := func(part string, inHost bool) string {
		out, _ := fillTemplate(part, func(name string) (string, bool) {
			v, _ := c.public(name)
			switch {
			case v == "":
				if ferr == nil {
					ferr = c.missingField(name)
				}
			case inHost && !hostnameRE.MatchString(v):
				if ferr == nil {
					ferr = junction.Invalid("fields."+name, "must be a host name: letters, digits, '-' and '.'")
				}
			case !inHost:
				if v == "." || v == ".." {
					ferr = junction.Invalid("fields."+name, "must not be '.' or '..'")
				}
				v = url.PathEscape(v)
			}
			return v, true
		})
		return out
	}
	raw := scheme + "://" + fill(rest[:hostEnd], true) + fill(rest[hostEnd:], false)
	if ferr != nil {
		return nil, ferr
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, junction.Invalid("base_url", "connection fields do not make a valid URL")
	}
	return u, nil
}

// BuildTest builds the request that proves a connection works.
// The scheme's own test request, if it has one, replaces the definition's.
func (d *Definition) BuildTest(c Credentials) (*Request, error) {
	t := d.TestFor(c.Auth)
	if t == nil {
		return nil, junction.Errorf(junction.EINVALID, "connector %s has no connection test", d.Key)
	}
	conn, err := d.bind(c)
	if err != nil {
		return nil, err
	}
	method := t.Method
	if method == "" {
		method = http.MethodGet
	}
	op := &Operation{Method: method, Path: t.Path, Query: t.Query}
	if f := t.PathField; f != "" {
		if p := c.Fields[f]; p != "" {
			if err := checkTestPath(p); err != nil {
				return nil, junction.Invalid("fields."+f, "%s", err)
			}
			op.Path = p
		}
	}
	return conn.build(op, nil)
}

// TestChecksCredentials reports whether the connection test proves the
// credentials, rather than only that the API is reachable (see
// TestRequest.PathField). Without a test request it is false.
func (d *Definition) TestChecksCredentials(c Credentials) bool {
	t := d.TestFor(c.Auth)
	return t != nil && (t.PathField == "" || c.Fields[t.PathField] != "")
}

// checkTestPath refuses a user's test path that is not a plain path
// relative to the base URL.
func checkTestPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errors.New("must start with '/', relative to the base URL (/v1/me)")
	case strings.ContainsAny(p, "?#{}"):
		return errors.New("must be a path only, without a query, fragment or braces")
	case slices.Contains(strings.Split(p, "/"), ".."):
		return errors.New("must not contain '..'")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return errors.New("must not contain control characters")
		}
	}
	return nil
}

// BuildOperation builds an object's operation ("list", "get", "create",
// "update", "delete") with the given input.
func (d *Definition) BuildOperation(c Credentials, object, operation string, input map[string]any) (*Request, error) {
	o := d.Object(object)
	if o == nil {
		return nil, junction.NotFound("object " + object + " of connector " + d.Key)
	}
	op := o.Operations.ByName(operation)
	if op == nil {
		return nil, junction.NotFound("operation " + operation + " of object " + object)
	}
	conn, err := d.bind(c)
	if err != nil {
		return nil, err
	}
	return conn.build(op, input)
}

// BuildActivity builds a curated activity, or the generic http_request
// activity (input method, path, query, headers, body), with the given input.
func (d *Definition) BuildActivity(c Credentials, activity string, input map[string]any) (*Request, error) {
	if activity == HTTPRequestActivity && d.HTTPRequestEnabled() {
		in, err := decodeHTTPRequestInput(input)
		if err != nil {
			return nil, err
		}
		return d.BuildHTTPRequest(c, in)
	}
	a := d.Activity(activity)
	if a == nil {
		return nil, junction.NotFound("activity " + activity + " of connector " + d.Key)
	}
	conn, err := d.bind(c)
	if err != nil {
		return nil, err
	}
	return conn.build(&a.Operation, input)
}

// build turns an operation and its input into a request: the first
// request of a chunked upload (see Request.Upload) when the operation has
// one and the file is large enough.
func (c *connection) build(op *Operation, input map[string]any) (*Request, error) {
	vals, err := checkInput(op, input)
	if err != nil {
		return nil, err
	}
	if op.ChunkedUpload != nil {
		up, err := c.chunkedUpload(op, vals)
		if err != nil || up != nil {
			return up, err
		}
	}
	return c.buildChecked(op, vals)
}

// buildChecked builds the request of an operation from checked input
// values.
func (c *connection) buildChecked(op *Operation, vals map[string]any) (*Request, error) {
	var err error
	carriesFiles := false
	if op.MIMEMessage != nil {
		if carriesFiles, err = fillMIMEMessage(op.MIMEMessage, vals); err != nil {
			return nil, err
		}
	}
	lookupText := func(name string) (string, bool) {
		if v, ok := vals[name]; ok {
			s, ok := scalarText(v)
			return s, ok && s != ""
		}
		return c.public(name)
	}

	// Path: inputs first, then connection fields; every value escaped.
	var perr error
	path, _ := fillTemplate(op.Path, func(name string) (string, bool) {
		s, ok := lookupText(name)
		field := "input." + name
		if _, isInput := vals[name]; !isInput && findInput(op, name) == nil {
			field = "fields." + name
		}
		switch {
		case !ok:
			perr = firstErr(perr, junction.Invalid(field, "is required"))
		case s == "." || s == "..":
			perr = firstErr(perr, junction.Invalid(field, "must not be '.' or '..'"))
		}
		return url.PathEscape(s), true
	})
	if perr != nil {
		return nil, perr
	}
	var (
		r *Request
		q = url.Values{}
	)
	if op.Link != nil {
		r, q, err = c.newLinkRequest(op, vals)
	} else {
		r, err = c.newOperationRequest(op, path)
	}
	if err != nil {
		return nil, err
	}
	r.op = op
	r.conn = c
	r.inputs = vals
	r.carriesFiles = carriesFiles
	if op.OutputFile != nil {
		// Overridden by the operation's own Accept header, set below.
		r.Header.Set("Accept", "*/*")
	}
	jsonNamed := map[string]bool{}
	for _, t := range op.JSONHeaders {
		walkStrings(t, func(s string) {
			for _, n := range templateVars(s) {
				jsonNamed[n] = true
			}
		})
	}
	if op.RetrySafe != nil {
		r.RetrySafe = *op.RetrySafe
	}

	for _, k := range sortedKeys(op.Query) {
		if v, missing := fillTemplate(op.Query[k], lookupText); len(missing) == 0 {
			q.Set(k, v)
		}
	}
	body := map[string]any{}
	for i := range op.Inputs {
		in := &op.Inputs[i]
		v, ok := vals[in.Name]
		if !ok {
			continue
		}
		switch inputIn(op, in) {
		case "query":
			style := in.Style
			if style == "" {
				style = "repeat"
			}
			flatten(q, in.WireName(), v, style)
		case "header":
			s, _ := scalarText(v)
			if strings.ContainsAny(s, "\r\n") {
				return nil, junction.Invalid("input."+in.Name, "must not contain line breaks")
			}
			r.Header.Set(in.WireName(), s)
		case "body":
			if !jsonNamed[in.Name] {
				body[in.Name] = v
			}
		}
	}
	if pg := op.Pagination; pg != nil {
		if pg.LimitParam != "" && pg.PageSize > 0 && !q.Has(pg.LimitParam) {
			q.Set(pg.LimitParam, fmt.Sprint(pg.PageSize))
		}
		if pg.Type == PageNumber && !q.Has(pg.PageParam) {
			q.Set(pg.PageParam, fmt.Sprint(startPage(pg)))
		}
	}
	r.URL.RawQuery = q.Encode()

	for _, name := range sortedKeys(op.Headers) {
		v, missing := fillTemplate(op.Headers[name], lookupText)
		if len(missing) > 0 {
			continue
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, junction.Invalid("headers."+name, "must not contain line breaks")
		}
		r.Header.Set(name, v)
	}

	if err := c.setJSONHeaders(r, op, vals); err != nil {
		return nil, err
	}
	if bv, ok := buildBody(op, vals, body, c.public); ok {
		if err := r.setBody(bv, op.BodyEncoding, op); err != nil {
			return nil, err
		}
	}
	if err := c.applyAuth(r); err != nil {
		return nil, err
	}
	return r, nil
}

func firstErr(have, next error) error {
	if have != nil {
		return have
	}
	return next
}

func findInput(op *Operation, name string) *Input {
	for i := range op.Inputs {
		if op.Inputs[i].Name == name {
			return &op.Inputs[i]
		}
	}
	return nil
}

func startPage(pg *Pagination) int {
	if pg.StartPage != 0 {
		return pg.StartPage
	}
	return 1
}

// newOperationRequest starts the operation's request: at its own base
// URL when it has one, else at the connection's.
func (c *connection) newOperationRequest(op *Operation, escapedPath string) (*Request, error) {
	if op.BaseURL == "" {
		return c.newRequest(op.Method, escapedPath), nil
	}
	u, err := url.Parse(op.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, junction.Invalid("base_url", "the operation's base URL must be an absolute https URL")
	}
	own := *c
	own.base = u
	return own.newRequest(op.Method, escapedPath), nil
}

// newLinkRequest starts the request of an operation with a Link: at the
// link its input holds, under the connection's base URL with the link's
// Trim cut off; the link's own query comes back to be sent with the
// operation's.
func (c *connection) newLinkRequest(op *Operation, vals map[string]any) (*Request, url.Values, error) {
	field := "input." + op.Link.Input
	raw, _ := vals[op.Link.Input].(string)
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return nil, nil, junction.Invalid(field, "is required")
	case err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.Contains(raw, "\\"):
		return nil, nil, junction.Invalid(field, "must be a path the API answered, starting with one '/' and naming no host")
	case slices.ContainsFunc(strings.Split(u.Path, "/"), func(s string) bool { return s == ".." || s == "." }):
		return nil, nil, junction.Invalid(field, "must not contain '.' or '..' segments")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, junction.Invalid(field, "has a query that cannot be read")
	}
	root := *c.base
	trim := op.Link.Trim
	if !strings.HasSuffix(root.Path, trim) || !strings.HasSuffix(root.EscapedPath(), trim) {
		return nil, nil, junction.Invalid("base_url", "the base URL does not end with %q, which the link replaces", trim)
	}
	root.RawPath = strings.TrimSuffix(root.EscapedPath(), trim)
	root.Path = strings.TrimSuffix(root.Path, trim)
	own := *c
	own.base = &root
	return own.newRequest(op.Method, u.EscapedPath()), q, nil
}

// setJSONHeaders fills the operation's JSON headers. One whose template
// leaves nothing is not sent.
func (c *connection) setJSONHeaders(r *Request, op *Operation, vals map[string]any) error {
	lookup := func(name string) (any, bool) {
		if v, ok := vals[name]; ok {
			return v, true
		}
		if s, ok := c.public(name); ok {
			return s, true
		}
		return nil, false
	}
	for _, name := range sortedKeys(op.JSONHeaders) {
		v, hadVars, present := renderValue(op.JSONHeaders[name], lookup, 0)
		if hadVars && !present {
			continue
		}
		s, err := headerJSON(v)
		if err != nil {
			return junction.Invalid("json_headers."+name, "cannot be encoded as JSON")
		}
		r.Header.Set(name, s)
	}
	return nil
}

// newRequest starts a request at base URL + path (path already escaped) with
// the definition's default headers.
func (c *connection) newRequest(method, escapedPath string) *Request {
	u := *c.base
	raw := u.EscapedPath() + escapedPath
	u.Path, _ = url.PathUnescape(raw)
	u.RawPath = raw
	base := *c.base
	r := &Request{
		Method:    method,
		URL:       &u,
		Header:    http.Header{},
		base:      &base,
		RetrySafe: idempotent(method),
	}
	r.Header.Set("Accept", "application/json")
	for _, name := range sortedKeys(c.d.Headers) {
		if v, missing := fillTemplate(c.d.Headers[name], c.public); len(missing) == 0 {
			r.Header.Set(name, v)
		}
	}
	return r
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// checkInput checks the caller's input against the operation's declared
// inputs and returns the values to send, defaults included.
func checkInput(op *Operation, input map[string]any) (map[string]any, error) {
	for _, k := range sortedKeys(input) {
		if findInput(op, k) == nil {
			return nil, junction.Invalid("input."+k, "unknown input")
		}
	}
	vals := map[string]any{}
	for i := range op.Inputs {
		in := &op.Inputs[i]
		v, ok := input[in.Name]
		if !ok || v == nil {
			if in.Default != nil {
				v, ok = in.Default, true
			} else if in.Required {
				return nil, junction.Invalid("input."+in.Name, "is required")
			} else {
				continue
			}
		}
		if in.Type == TypeFile {
			f, err := fileInput(in.Name, v)
			if err != nil {
				return nil, err
			}
			vals[in.Name] = f
			continue
		}
		nv, err := checkType(in.Type, v)
		if err != nil {
			return nil, junction.Invalid("input."+in.Name, "must be %s, not %s", typeArticle(in.Type), typeName(v))
		}
		if len(in.Enum) > 0 && !inEnum(in, nv) {
			return nil, junction.Invalid("input."+in.Name, "must be one of the allowed values")
		}
		if s, ok := nv.(string); ok && s == "" && in.Required {
			return nil, junction.Invalid("input."+in.Name, "must not be empty")
		}
		vals[in.Name] = nv
	}
	return vals, nil
}

func inEnum(in *Input, v any) bool {
	for _, e := range in.Enum {
		ne, err := checkType(in.Type, e)
		if err == nil && fmt.Sprint(ne) == fmt.Sprint(v) {
			return true
		}
	}
	return false
}

func typeArticle(t InputType) string {
	switch t {
	case TypeInteger, TypeObject, TypeArray:
		return "an " + string(t)
	}
	return "a " + string(t)
}

// buildBody assembles the body value: the rendered template plus the body
// inputs it does not name. It reports false when there is no body.
func buildBody(op *Operation, vals map[string]any, bodyInputs map[string]any, public func(string) (string, bool)) (any, bool) {
	named := map[string]bool{}
	var out any
	if op.Body != nil {
		walkStrings(op.Body, func(s string) {
			for _, n := range templateVars(s) {
				named[n] = true
			}
		})
		lookup := func(name string) (any, bool) {
			if v, ok := vals[name]; ok {
				return v, true
			}
			if s, ok := public(name); ok {
				return s, true
			}
			return nil, false
		}
		v, hadVars, present := renderValue(op.Body, lookup, 0)
		if m, isMap := v.(map[string]any); !hadVars || present || (isMap && len(m) > 0) {
			out = v
		}
	}
	extra := map[string]any{}
	for i := range op.Inputs {
		in := &op.Inputs[i]
		if v, ok := bodyInputs[in.Name]; ok && !named[in.Name] {
			extra[in.WireName()] = v
		}
	}
	if len(extra) > 0 {
		// Copy: a lone-placeholder template yields the caller's own map (or
		// a definition's shared default), which must not be changed.
		m := map[string]any{}
		if src, ok := out.(map[string]any); ok {
			for k, v := range src {
				m[k] = v
			}
		}
		for k, v := range extra {
			m[k] = v
		}
		out = m
	}
	if out == nil {
		return nil, false
	}
	return out, true
}

// renderValue fills a body template. It reports whether the template held
// placeholders and whether any of them had a value. An entry that is a lone
// placeholder without a value is left out; so is a map or list nested below
// the top level whose every placeholder lacks a value (an optional rich-text
// document, a reference object). Top-level entries stay unless nothing is
// left in them, so {"incident": {"status": "resolved", "note": "{note}"}}
// keeps its status when note is absent.
func renderValue(t any, lookup func(string) (any, bool), depth int) (v any, hadVars, present bool) {
	keep := func(cv any, h, p bool) bool {
		if !h || p {
			return true
		}
		if depth == 0 { // children of the body root
			switch c := cv.(type) {
			case map[string]any:
				return len(c) > 0
			case []any:
				return len(c) > 0
			}
		}
		return false
	}
	switch tv := t.(type) {
	case string:
		if name, ok := loneVar(tv); ok {
			val, ok := lookup(name)
			return val, true, ok
		}
		names := templateVars(tv)
		if len(names) == 0 {
			return tv, false, false
		}
		missing := false
		s, _ := fillTemplate(tv, func(n string) (string, bool) {
			val, ok := lookup(n)
			if !ok {
				missing = true
				return "", false
			}
			txt, _ := scalarText(val)
			return txt, true
		})
		return s, true, !missing
	case map[string]any:
		out := make(map[string]any, len(tv))
		for _, k := range sortedKeys(tv) {
			cv, h, p := renderValue(tv[k], lookup, depth+1)
			hadVars = hadVars || h
			present = present || p
			if keep(cv, h, p) {
				out[k] = cv
			}
		}
		return out, hadVars, present
	case []any:
		out := make([]any, 0, len(tv))
		for _, e := range tv {
			cv, h, p := renderValue(e, lookup, depth+1)
			hadVars = hadVars || h
			present = present || p
			if keep(cv, h, p) {
				out = append(out, cv)
			}
		}
		return out, hadVars, present
	}
	return t, false, false
}

// setBody encodes the body value as the operation's encoding says.
func (r *Request) setBody(v any, enc BodyEncoding, op *Operation) error {
	r.bodyValue = v
	r.bodyEncoding = enc
	switch enc {
	case BodyMultipart:
		m, ok := v.(map[string]any)
		if !ok {
			return junction.Invalid("input", "a multipart body must be an object")
		}
		b, ct, err := encodeMultipart(m)
		if err != nil {
			return err
		}
		r.Body = b
		r.Header.Set("Content-Type", ct)
	case BodyMultipartRelated:
		m, ok := v.(map[string]any)
		if !ok {
			return junction.Invalid("input", "a multipart_related body must be an object")
		}
		b, ct, err := encodeRelated(m)
		if err != nil {
			return err
		}
		r.Body = b
		r.Header.Set("Content-Type", ct)
	case BodyNDJSON:
		b, err := encodeNDJSON(v)
		if err != nil {
			return err
		}
		r.Body = b
		r.Header.Set("Content-Type", "application/x-ndjson")
	case BodyBinary:
		f, err := binaryFile(v)
		if err != nil {
			return err
		}
		r.Body = f.Content
		if r.Body == nil {
			r.Body = []byte{} // an empty file is still a body
		}
		if r.Header.Get("Content-Type") == "" { // the operation may fix it (Dropbox)
			r.Header.Set("Content-Type", f.MediaType())
		}
	case BodyForm:
		m, ok := v.(map[string]any)
		if !ok {
			return junction.Invalid("input", "a form body must be an object")
		}
		form := url.Values{}
		for _, k := range sortedKeys(m) {
			style := "brackets"
			if op != nil {
				for i := range op.Inputs {
					if op.Inputs[i].WireName() == k && op.Inputs[i].Style != "" {
						style = op.Inputs[i].Style
					}
				}
			}
			flatten(form, k, m[k], style)
		}
		r.Body = []byte(form.Encode())
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return junction.Invalid("input", "cannot be encoded as JSON")
		}
		r.Body = b
		if r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	return nil
}

// flatten writes a value into url.Values using bracket notation for nested
// objects (a[b]=1) and arrays of objects (items[0][price]=p). Arrays of
// scalars follow style: brackets (a[]=1), repeat (a=1&a=2) or comma (a=1,2).
func flatten(dst url.Values, key string, v any, style string) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			flatten(dst, key+"["+k+"]", t[k], style)
		}
	case []any:
		scalars := true
		for _, e := range t {
			if _, ok := scalarText(e); !ok {
				scalars = false
			}
		}
		if !scalars {
			for i, e := range t {
				flatten(dst, fmt.Sprintf("%s[%d]", key, i), e, style)
			}
			return
		}
		var parts []string
		for _, e := range t {
			s, _ := scalarText(e)
			parts = append(parts, s)
		}
		switch style {
		case "comma":
			dst.Add(key, strings.Join(parts, ","))
		case "repeat":
			for _, s := range parts {
				dst.Add(key, s)
			}
		default:
			for _, s := range parts {
				dst.Add(key+"[]", s)
			}
		}
	default:
		if s, ok := scalarText(v); ok {
			dst.Add(key, s)
		} else if nv, err := checkType(TypeObject, v); err == nil {
			flatten(dst, key, nv, style)
		} else if nv, err := checkType(TypeArray, v); err == nil {
			flatten(dst, key, nv, style)
		}
	}
}

// applyAuth adds the connection's credentials. It runs last so that no input
// or header template can replace them.
func (c *connection) applyAuth(r *Request) error {
	a := c.auth
	fill := func(attr, tmpl, def string) (string, error) {
		if tmpl == "" {
			tmpl = def
		}
		v, _ := fillTemplate(tmpl, c.value)
		if strings.ContainsAny(v, "\r\n\x00") {
			return "", junction.Invalid("auth."+attr, "credentials must not contain line breaks")
		}
		return v, nil
	}
	requireAll := func(tmpl, def string) error {
		if tmpl == "" {
			tmpl = def
		}
		for _, name := range templateVars(tmpl) {
			if _, ok := c.value(name); !ok {
				return junction.Invalid("fields."+name, "is required")
			}
		}
		return nil
	}
	setHeader := func(name, value string) {
		name = http.CanonicalHeaderKey(name)
		r.Header.Set(name, value)
		if !slices.Contains(r.sensitiveHeaders, name) {
			r.sensitiveHeaders = append(r.sensitiveHeaders, name)
		}
	}
	setQuery := func(name, value string) {
		if r.authQuery == nil {
			r.authQuery = url.Values{}
		}
		r.authQuery.Set(name, value)
		r.setQuery(name, value)
		if !slices.Contains(r.sensitiveQuery, name) {
			r.sensitiveQuery = append(r.sensitiveQuery, name)
		}
	}
	switch a.Type {
	case AuthNone:
	case AuthBasic:
		if err := requireAll(a.Username, "{username}"); err != nil {
			return err
		}
		user, err := fill("username", a.Username, "{username}")
		if err != nil {
			return err
		}
		pass, err := fill("password", a.Password, "{password}")
		if err != nil {
			return err
		}
		setHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	case AuthBearer:
		if err := requireAll(a.Token, "{token}"); err != nil {
			return err
		}
		tok, err := fill("token", a.Token, "{token}")
		if err != nil {
			return err
		}
		setHeader("Authorization", "Bearer "+tok)
	case AuthAPIKey:
		if err := requireAll(a.Value, "{api_key}"); err != nil {
			return err
		}
		val, err := fill("value", a.Value, "{api_key}")
		if err != nil {
			return err
		}
		name, _ := fillTemplate(a.Name, c.public)
		in, _ := fillTemplate(a.In, c.public)
		switch in {
		case "header":
			if !headerNameRE.MatchString(name) {
				return junction.Invalid(fieldOf(a.Name, "auth.name"), "must be a valid header name")
			}
			setHeader(name, val)
		case "query":
			if name == "" {
				return junction.Invalid(fieldOf(a.Name, "auth.name"), "is required")
			}
			setQuery(name, val)
		default:
			return junction.Invalid(fieldOf(a.In, "auth.in"), "must be header or query")
		}
	case AuthOAuth2AuthorizationCode, AuthOAuth2ClientCredentials, AuthOAuth2JWTBearer:
		if c.cred.AccessToken.IsZero() {
			return junction.Invalid("access_token", "an OAuth 2.0 access token is required")
		}
		tok := c.cred.AccessToken.Reveal()
		if strings.ContainsAny(tok, "\r\n\x00") {
			return junction.Invalid("access_token", "must not contain line breaks")
		}
		if a.Name != "" { // a vendor header that takes the token as is
			setHeader(a.Name, tok)
			break
		}
		setHeader("Authorization", "Bearer "+tok)
	case AuthCustom:
		for _, name := range sortedKeys(a.Headers) {
			hn, _ := fillTemplate(name, c.public)
			if !headerNameRE.MatchString(hn) {
				return junction.Invalid(fieldOf(name, "auth.headers"), "must be a valid header name")
			}
			if err := requireAll(a.Headers[name], ""); err != nil {
				return err
			}
			v, err := fill("headers."+name, a.Headers[name], "")
			if err != nil {
				return err
			}
			setHeader(hn, v)
		}
		for _, name := range sortedKeys(a.Query) {
			if err := requireAll(a.Query[name], ""); err != nil {
				return err
			}
			v, _ := fillTemplate(a.Query[name], c.value)
			setQuery(name, v)
		}
	case AuthAWSSigV4:
		return c.applyAWSSigV4(r)
	}
	return nil
}

// fieldOf names the connection field behind a template that is one field,
// so errors point the user at the form.
func fieldOf(tmpl, fallback string) string {
	if name, ok := loneVar(tmpl); ok {
		return "fields." + name
	}
	return fallback
}
