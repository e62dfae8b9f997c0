package connector

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"junction"
)

// HTTPRequestInput is the input of the generic http_request activity. Path is
// relative to the connection's base URL and may carry a query string.
type HTTPRequestInput struct {
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path"`
	Query   map[string]any    `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent as JSON, or as a form when Headers sets that content
	// type; a string is sent as it is.
	Body any `json:"body,omitempty"`
}

// HTTPRequestInputs describes the http_request activity's inputs for forms
// and documentation.
var HTTPRequestInputs = []Input{
	{Name: "method", Type: TypeString, Description: "HTTP method; GET when absent", Enum: []any{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}},
	{Name: "path", Type: TypeString, Required: true, Description: "path relative to the connection's base URL, optionally with a query string"},
	{Name: "query", Type: TypeObject, Description: "query parameters"},
	{Name: "headers", Type: TypeObject, Description: "request headers; credentials are added by the connection"},
	{Name: "body", Type: TypeObject, Description: "request body: JSON, a form object, or a raw string"},
}

// forbiddenHeaders are set by the HTTP client or the connection, never by
// the caller.
var forbiddenHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Te", "Upgrade", "Trailer"}

func decodeHTTPRequestInput(m map[string]any) (HTTPRequestInput, error) {
	var in HTTPRequestInput
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "method", "path":
			s, ok := v.(string)
			if !ok && v != nil {
				return in, junction.Invalid("input."+k, "must be a string, not %s", typeName(v))
			}
			if k == "method" {
				in.Method = s
			} else {
				in.Path = s
			}
		case "query":
			if v == nil {
				continue
			}
			q, err := checkType(TypeObject, v)
			if err != nil {
				return in, junction.Invalid("input.query", "must be an object, not %s", typeName(v))
			}
			in.Query = q.(map[string]any)
		case "headers":
			if v == nil {
				continue
			}
			h, err := checkType(TypeObject, v)
			if err != nil {
				return in, junction.Invalid("input.headers", "must be an object, not %s", typeName(v))
			}
			in.Headers = map[string]string{}
			for hk, hv := range h.(map[string]any) {
				s, ok := hv.(string)
				if !ok {
					return in, junction.Invalid("input.headers."+hk, "must be a string")
				}
				in.Headers[hk] = s
			}
		case "body":
			in.Body = v
		default:
			return in, junction.Invalid("input."+k, "unknown input")
		}
	}
	return in, nil
}

// BuildHTTPRequest builds a request of the generic http_request activity.
// The path must stay under the base URL: absolute URLs, network paths and
// ".." segments are refused.
func (d *Definition) BuildHTTPRequest(c Credentials, in HTTPRequestInput) (*Request, error) {
	if !d.HTTPRequestEnabled() {
		return nil, junction.NotFound("activity " + HTTPRequestActivity + " of connector " + d.Key)
	}
	conn, err := d.bind(c)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(in.Method)
	if method == "" {
		method = http.MethodGet
	}
	if !slices.Contains(methods, method) {
		return nil, junction.Invalid("input.method", "must be one of %s", strings.Join(methods, ", "))
	}
	rel, err := relativePath(in.Path)
	if err != nil {
		return nil, err
	}
	r := conn.newRequest(method, rel.EscapedPath())
	q := rel.Query()
	for _, k := range sortedKeys(in.Query) {
		v := in.Query[k]
		if _, ok := scalarText(v); !ok {
			if _, err := checkType(TypeArray, v); err != nil {
				if _, err := checkType(TypeObject, v); err != nil {
					return nil, junction.Invalid("input.query."+k, "must be a scalar, an array or an object")
				}
			}
		}
		flatten(q, k, v, "repeat")
	}
	r.URL.RawQuery = q.Encode()

	for _, name := range sortedKeys(in.Headers) {
		canon := http.CanonicalHeaderKey(name)
		switch {
		case !headerNameRE.MatchString(name):
			return nil, junction.Invalid("input.headers."+name, "invalid header name")
		case slices.Contains(forbiddenHeaders, canon):
			return nil, junction.Invalid("input.headers."+name, "is set by Junction and cannot be given")
		case strings.ContainsAny(in.Headers[name], "\r\n\x00"):
			return nil, junction.Invalid("input.headers."+name, "must not contain line breaks")
		}
		r.Header.Set(canon, in.Headers[name])
	}
	if in.Body != nil {
		if method == http.MethodGet || method == http.MethodHead {
			return nil, junction.Invalid("input.body", "%s requests have no body", method)
		}
		ct := r.Header.Get("Content-Type")
		switch b := in.Body.(type) {
		case string:
			r.Body = []byte(b)
			if ct == "" {
				r.Header.Set("Content-Type", "text/plain; charset=utf-8")
			}
		default:
			enc := BodyJSON
			if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
				enc = BodyForm
			}
			if err := r.setBody(normalizeJSON(b), enc, nil); err != nil {
				return nil, err
			}
		}
	}
	if err := conn.applyAuth(r); err != nil {
		return nil, err
	}
	return r, nil
}

// normalizeJSON turns typed Go values (structs, typed maps) into the generic
// form the form encoder walks.
func normalizeJSON(v any) any {
	switch v.(type) {
	case map[string]any, []any, string, bool, float64, json.Number:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// relativePath parses the caller's path and makes sure it cannot leave the
// base URL: no scheme, no host, no "." or ".." segment (escaped or not).
func relativePath(p string) (*url.URL, error) {
	const field = "input.path"
	if p == "" {
		return nil, junction.Invalid(field, "is required")
	}
	if strings.ContainsAny(p, "\\\x00\r\n") {
		return nil, junction.Invalid(field, "must not contain backslashes or control characters")
	}
	if strings.HasPrefix(p, "//") {
		return nil, junction.Invalid(field, "must be a path relative to the base URL, not a network address")
	}
	u, err := url.Parse(p)
	if err != nil {
		return nil, junction.Invalid(field, "is not a valid URL path")
	}
	if u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return nil, junction.Invalid(field, "must be a path relative to the base URL, not an absolute URL")
	}
	if u.Fragment != "" {
		return nil, junction.Invalid(field, "must not contain a fragment")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." || seg == "." {
			return nil, junction.Invalid(field, "must not contain '.' or '..' segments")
		}
	}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path
		if u.RawPath != "" {
			u.RawPath = "/" + u.RawPath
		}
	}
	return u, nil
}
