package importer

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"junction"
	"junction/connector"
)

// Postman collections have no maintained Go parser; the format is small
// and plain JSON, so these types read the parts an import needs.
type pmCollection struct {
	Info struct {
		Name        string `json:"name"`
		Description any    `json:"description"`
	} `json:"info"`
	Item     []pmItem     `json:"item"`
	Auth     *pmAuth      `json:"auth"`
	Variable []pmVariable `json:"variable"`
}

type pmItem struct {
	Name    string     `json:"name"`
	Item    []pmItem   `json:"item"`
	Request *pmRequest `json:"request"`
	Auth    *pmAuth    `json:"auth"`
}

type pmRequest struct {
	Method      string  `json:"method"`
	URL         pmURL   `json:"url"`
	Header      []pmKV  `json:"header"`
	Body        *pmBody `json:"body"`
	Auth        *pmAuth `json:"auth"`
	Description any     `json:"description"`
}

// pmURL is a string or an object; UnmarshalJSON takes both.
type pmURL struct {
	Raw      string `json:"raw"`
	Host     any    `json:"host"`
	Path     any    `json:"path"`
	Protocol string `json:"protocol"`
	Query    []pmKV `json:"query"`
	Variable []pmKV `json:"variable"`
}

func (u *pmURL) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		u.Raw = s
		return nil
	}
	type plain pmURL
	return json.Unmarshal(b, (*plain)(u))
}

type pmKV struct {
	Key         string `json:"key"`
	Value       any    `json:"value"`
	Disabled    bool   `json:"disabled"`
	Description any    `json:"description"`
	Type        string `json:"type"`
}

type pmBody struct {
	Mode       string `json:"mode"`
	Raw        string `json:"raw"`
	URLEncoded []pmKV `json:"urlencoded"`
	FormData   []pmKV `json:"formdata"`
	Options    struct {
		Raw struct {
			Language string `json:"language"`
		} `json:"raw"`
	} `json:"options"`
}

type pmAuth struct {
	Type   string `json:"type"`
	APIKey any    `json:"apikey"`
	Bearer any    `json:"bearer"`
	Basic  any    `json:"basic"`
	OAuth2 any    `json:"oauth2"`
	AWSv4  any    `json:"awsv4"`
}

type pmVariable struct {
	Key   string `json:"key"`
	ID    string `json:"id"`
	Value any    `json:"value"`
	Type  string `json:"type"`
}

var (
	pmVarRE    = regexp.MustCompile(`\{\{\s*([^{}]+?)\s*\}\}`)
	secretLike = regexp.MustCompile(`(?i)(secret|password|passwd|token|api[-_]?key|apikey|credential|private|auth)`)
)

func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if s, ok := t["content"].(string); ok {
			return s
		}
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func readPostman(content []byte) (*api, error) {
	var c pmCollection
	if err := json.Unmarshal(content, &c); err != nil {
		return nil, junction.Invalid("content", "the Postman collection could not be read: %v", err)
	}
	a := &api{title: c.Info.Name, description: text(c.Info.Description)}
	declared := map[string]bool{}
	for _, v := range c.Variable {
		key := v.Key
		if key == "" {
			key = v.ID
		}
		if key == "" || declared[key] {
			continue
		}
		declared[key] = true
		sec := v.Type == "secret" || secretLike.MatchString(key)
		def := text(v.Value)
		if sec {
			def = "" // a secret's value never leaves the file
		}
		a.variables = append(a.variables, variable{name: key, def: def, secret: sec})
	}
	p := &pmReader{a: a, used: map[string]bool{}, declared: declared, origins: map[string]int{}}
	if c.Auth != nil {
		p.auth(c.Auth, "collection")
	}
	p.walk(c.Item, 0, "", c.Auth)
	p.finish()
	return a, nil
}

type pmReader struct {
	a *api
	// used and declared are variable names the requests use and the
	// collection declares.
	used, declared map[string]bool
	authSeen       map[string]bool
	// origins counts requests per scheme and host, in first-seen order.
	origins     map[string]int
	originOrder []string
}

func (p *pmReader) walk(items []pmItem, depth int, folder string, inherited *pmAuth) {
	if depth > 32 {
		p.a.note("Folders", StatusWarning, "folders nested deeper than 32 levels were left out")
		return
	}
	for i := range items {
		it := &items[i]
		auth := inherited
		if it.Auth != nil {
			auth = it.Auth
		}
		if it.Request == nil {
			// The top-level folder is the resource, as Postman users
			// group requests by what they act on.
			f := folder
			if f == "" {
				f = it.Name
			}
			p.walk(it.Item, depth+1, f, auth)
			continue
		}
		p.a.total++
		if len(p.a.ops) >= maxOperations {
			continue
		}
		if it.Request.Auth != nil {
			auth = it.Request.Auth
		}
		if auth != nil {
			p.auth(auth, it.Name)
		}
		p.request(it, folder)
	}
}

// request turns one saved request into an operation: :params and <params>
// in the path are path parameters, {{variables}} refer to connection
// fields, and the URL's query and the headers become inputs.
func (p *pmReader) request(it *pmItem, folder string) {
	r := it.Request
	method := strings.ToUpper(strings.TrimSpace(r.Method))
	if method == "" {
		method = "GET"
	}
	raw := r.URL.Raw
	if raw == "" {
		raw = joinAny(r.URL.Host, ".") + "/" + joinAny(r.URL.Path, "/")
		if r.URL.Protocol != "" {
			raw = r.URL.Protocol + "://" + raw
		}
	}
	raw, _, _ = strings.Cut(raw, "#")
	rawNoQuery, _, _ := strings.Cut(raw, "?")
	origin, path := splitOrigin(rawNoQuery)
	p.origins[origin]++
	if p.origins[origin] == 1 {
		p.originOrder = append(p.originOrder, origin)
	}
	op := &operation{method: method, summary: it.Name, description: text(r.Description)}
	// :name segments are path variables; {{name}} in the path is a
	// collection variable, which the builder finds as a connection field.
	segs := strings.Split(path, "/")
	for i, s := range segs {
		name := ""
		switch {
		case strings.HasPrefix(s, ":") && len(s) > 1:
			name = s[1:]
		case strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") && len(s) > 2:
			name = s[1 : len(s)-1]
		}
		if name != "" {
			segs[i] = "{" + name + "}"
			desc := ""
			for _, v := range r.URL.Variable {
				if v.Key == name {
					desc = text(v.Description)
				}
			}
			op.params = append(op.params, param{name: name, in: "path", required: true, typ: connector.TypeString, description: desc})
		}
	}
	path = pmVarRE.ReplaceAllStringFunc(strings.Join(segs, "/"), func(m string) string {
		name := pmVarRE.FindStringSubmatch(m)[1]
		p.used[name] = true
		return "{" + snake(name) + "}"
	})
	op.path = path
	if folder != "" {
		op.tags = []string{folder}
	}
	for _, q := range r.URL.Query {
		if q.Disabled || q.Key == "" {
			continue
		}
		val := text(q.Value)
		if m := pmVarRE.FindStringSubmatch(val); m != nil && m[0] == val {
			if secretLike.MatchString(m[1]) {
				p.a.note("Query parameters", StatusWarning, fmt.Sprintf("%s: query parameter %s carries a secret variable; it was left out, set up an api_key auth in the query instead", it.Name, q.Key))
				continue
			}
			p.used[m[1]] = true
			if op.fixedQuery == nil {
				op.fixedQuery = map[string]string{}
			}
			op.fixedQuery[q.Key] = "{" + snake(m[1]) + "}"
			continue
		}
		pr := param{name: q.Key, in: "query", typ: connector.TypeString, description: text(q.Description)}
		if val != "" && !strings.HasPrefix(val, "<") && !strings.Contains(val, "{{") {
			pr.def = val
		}
		if pr.def != nil && secretLike.MatchString(q.Key) {
			// A value written into a saved request may be a live
			// credential: keep the parameter, never the value.
			pr.def = nil
			p.a.note("Query parameters", StatusWarning, fmt.Sprintf("%s: query parameter %s looks like a credential; its value was not kept, set up an api_key auth in the query instead", it.Name, q.Key))
		}
		op.params = append(op.params, pr)
	}
	for _, h := range r.Header {
		if h.Disabled || h.Key == "" {
			continue
		}
		val := text(h.Value)
		switch {
		case strings.EqualFold(h.Key, "Authorization"):
			p.headerAuth(val)
			continue
		case strings.EqualFold(h.Key, "Content-Type"):
			continue // the body encoding sets it
		case !headerNameRE.MatchString(h.Key):
			p.a.note("Headers", StatusWarning, fmt.Sprintf("%s: %q is not a valid header name and was left out", it.Name, clip(h.Key, 60)))
			continue
		}
		if pmVarRE.MatchString(val) {
			// A header filled from a variable: a secret one is auth's
			// business, a plain one a connection field.
			secret := false
			tmpl := pmVarRE.ReplaceAllStringFunc(val, func(m string) string {
				name := pmVarRE.FindStringSubmatch(m)[1]
				p.used[name] = true
				if secretLike.MatchString(name) {
					secret = true
				}
				return "{" + snake(name) + "}"
			})
			if secret {
				p.a.note("Headers", StatusWarning, fmt.Sprintf("%s: header %s carries a secret variable; it was left out, set up the matching auth instead", it.Name, h.Key))
				continue
			}
			if op.fixedHeaders == nil {
				op.fixedHeaders = map[string]string{}
			}
			op.fixedHeaders[h.Key] = tmpl
			continue
		}
		pr := param{name: h.Key, in: "header", typ: connector.TypeString, def: val, description: text(h.Description)}
		if secretLike.MatchString(h.Key) {
			pr.def = nil
			p.a.note("Headers", StatusWarning, fmt.Sprintf("%s: header %s looks like a credential; its value was not kept, set up the matching auth instead", it.Name, h.Key))
		}
		op.params = append(op.params, pr)
	}
	if b := r.Body; b != nil && b.Mode != "" {
		op.body = pmBodyOf(b)
	}
	p.a.ops = append(p.a.ops, op)
}

func pmBodyOf(b *pmBody) *body {
	switch b.Mode {
	case "raw":
		if strings.TrimSpace(b.Raw) == "" {
			return nil
		}
		bd := &body{mediaType: "application/json", encoding: connector.BodyJSON}
		var v any
		// {{variables}} stand anywhere, quoted or not; a number reads as
		// JSON in both places.
		if err := json.Unmarshal([]byte(pmVarRE.ReplaceAllString(b.Raw, `0`)), &v); err != nil {
			if b.Options.Raw.Language != "" && b.Options.Raw.Language != "json" {
				bd.mediaType = b.Options.Raw.Language
			} else {
				bd.mediaType = "text/plain"
			}
			bd.encoding = ""
			return bd
		}
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for _, k := range sortedKeys(m) {
				pr := param{name: k, in: "body", typ: jsonType(m[k])}
				if !secretLike.MatchString(k) {
					pr.description = "Example: " + clip(exampleText(m[k]), 80)
				}
				bd.props = append(bd.props, pr)
			}
			return bd
		}
		bd.whole = &param{name: "body", in: "body", typ: jsonType(v), required: true}
		return bd
	case "urlencoded":
		bd := &body{mediaType: "application/x-www-form-urlencoded", encoding: connector.BodyForm}
		for _, kv := range b.URLEncoded {
			if kv.Disabled || kv.Key == "" {
				continue
			}
			bd.props = append(bd.props, param{name: kv.Key, in: "body", typ: connector.TypeString, description: text(kv.Description)})
		}
		return bd
	case "formdata":
		bd := &body{mediaType: "multipart/form-data", encoding: connector.BodyMultipart}
		seen := map[string]bool{}
		for _, kv := range b.FormData {
			if kv.Disabled || kv.Key == "" || seen[kv.Key] {
				continue // a repeated file key is one input taking a list
			}
			seen[kv.Key] = true
			pr := param{name: kv.Key, in: "body", typ: connector.TypeString, description: text(kv.Description)}
			if kv.Type == "file" {
				pr.typ = connector.TypeFile
			}
			bd.props = append(bd.props, pr)
		}
		if len(bd.props) == 0 {
			bd.encoding = "" // nothing to name the parts by
		}
		return bd
	case "file":
		bd := &body{mediaType: "application/octet-stream", encoding: connector.BodyBinary, required: true}
		fileBody(bd, nil)
		return bd
	case "graphql":
		return &body{mediaType: "application/graphql"}
	}
	return &body{mediaType: b.Mode}
}

func exampleText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonType(v any) connector.InputType {
	switch t := v.(type) {
	case string:
		return connector.TypeString
	case bool:
		return connector.TypeBoolean
	case float64:
		if t == float64(int64(t)) {
			return connector.TypeInteger
		}
		return connector.TypeNumber
	case []any:
		return connector.TypeArray
	case map[string]any:
		return connector.TypeObject
	}
	return connector.TypeString
}

func joinAny(v any, sep string) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			switch s := e.(type) {
			case string:
				parts = append(parts, s)
			case map[string]any:
				if val, ok := s["value"].(string); ok {
					parts = append(parts, val)
				}
			}
		}
		return strings.Join(parts, sep)
	}
	return ""
}

// splitOrigin cuts "https://api.box.com/2.0/folders/:id" into
// "https://api.box.com" and "/2.0/folders/:id", and "{{host}}/v1/x" into
// "{{host}}" and "/v1/x".
func splitOrigin(raw string) (string, string) {
	rest := raw
	scheme := ""
	if i := strings.Index(rest, "://"); i >= 0 && !strings.Contains(rest[:i], "/") {
		scheme, rest = rest[:i+3], rest[i+3:]
	}
	host, path, _ := strings.Cut(rest, "/")
	return scheme + host, "/" + path
}

// finish settles the base URL (the most common origin) and the variables
// the requests use.
func (p *pmReader) finish() {
	best := ""
	for _, o := range p.originOrder {
		if best == "" || p.origins[o] > p.origins[best] {
			best = o
		}
	}
	if len(p.originOrder) > 1 {
		var others []string
		for _, o := range p.originOrder {
			if o != best {
				others = append(others, o)
			}
		}
		p.a.note("Base URL", StatusWarning, fmt.Sprintf("requests go to %d hosts; the base URL is the most used one, so requests to %s need their own connector or http_request", len(p.originOrder), listSome(others)))
		// Requests to other hosts keep their paths under the chosen
		// base: the checklist line above says so.
	}
	base := best
	if base != "" && !strings.Contains(base, "://") && !strings.HasPrefix(base, "{{") {
		base = "https://" + base
	}
	p.a.baseURL = pmVarRE.ReplaceAllStringFunc(base, func(m string) string {
		name := pmVarRE.FindStringSubmatch(m)[1]
		p.used[name] = true
		return "{" + name + "}"
	})
	// A lone variable is the whole base URL: keep its value as the
	// default when the collection declares one.
	for _, name := range sortedKeys(p.used) {
		if !p.declared[name] {
			p.declared[name] = true
			p.a.variables = append(p.a.variables, variable{name: name, secret: secretLike.MatchString(name)})
		}
	}
	if _, err := url.Parse(p.a.baseURL); err != nil {
		p.a.baseURL = ""
	}
}

func (p *pmReader) headerAuth(val string) {
	low := strings.ToLower(strings.TrimSpace(val))
	switch {
	case strings.HasPrefix(low, "bearer "):
		p.addScheme(scheme{name: "bearer", kind: "http", httpScheme: "bearer"})
	case strings.HasPrefix(low, "basic "):
		p.addScheme(scheme{name: "basic", kind: "http", httpScheme: "basic"})
	default:
		p.addScheme(scheme{name: "authorization_header", kind: "apiKey", in: "header", paramName: "Authorization"})
	}
}

func (p *pmReader) addScheme(s scheme) {
	if p.authSeen == nil {
		p.authSeen = map[string]bool{}
	}
	key := s.kind + "/" + s.httpScheme + "/" + s.in + "/" + s.paramName
	for _, f := range s.flows {
		key += "/" + f.kind + f.tokenURL
	}
	if p.authSeen[key] {
		return
	}
	p.authSeen[key] = true
	p.a.schemes = append(p.a.schemes, s)
}

// authParams reads Postman's [{key, value}] auth attribute lists.
func authParams(v any) map[string]string {
	out := map[string]string{}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				k, _ := m["key"].(string)
				out[k] = text(m["value"])
			}
		}
	case map[string]any:
		for k, e := range t {
			out[k] = text(e)
		}
	}
	return out
}

func (p *pmReader) auth(a *pmAuth, where string) {
	switch a.Type {
	case "", "noauth", "inherit":
	case "apikey":
		kv := authParams(a.APIKey)
		in := kv["in"]
		if in == "" {
			in = "header"
		}
		name := kv["key"]
		if strings.Contains(name, "{{") {
			name = ""
		}
		p.addScheme(scheme{name: "api_key", kind: "apiKey", in: in, paramName: name})
	case "bearer":
		p.addScheme(scheme{name: "bearer", kind: "http", httpScheme: "bearer"})
	case "basic":
		p.addScheme(scheme{name: "basic", kind: "http", httpScheme: "basic"})
	case "oauth2":
		kv := authParams(a.OAuth2)
		kind := "authorizationCode"
		switch strings.ToLower(kv["grant_type"]) {
		case "client_credentials":
			kind = "clientCredentials"
		case "implicit":
			kind = "implicit"
		case "password_credentials", "password":
			kind = "password"
		}
		var scopes []string
		if s := kv["scope"]; s != "" && !strings.Contains(s, "{{") {
			scopes = strings.Fields(s)
		}
		tok, auth := kv["accessTokenUrl"], kv["authUrl"]
		if strings.Contains(tok, "{{") {
			tok = ""
		}
		if strings.Contains(auth, "{{") {
			auth = ""
		}
		p.addScheme(scheme{name: "oauth2", kind: "oauth2", flows: []flow{{kind: kind, authorizeURL: auth, tokenURL: tok, scopes: scopes}}})
	case "awsv4":
		// Region and service are kept when literal; the keys never are.
		kv := authParams(a.AWSv4)
		region, service := kv["region"], kv["service"]
		if strings.Contains(region, "{{") {
			region = ""
		}
		if strings.Contains(service, "{{") {
			service = ""
		}
		p.addScheme(scheme{name: "aws_sigv4", kind: "awsv4", region: region, service: service})
	default:
		if p.authSeen == nil {
			p.authSeen = map[string]bool{}
		}
		if !p.authSeen["unsupported/"+a.Type] {
			p.authSeen["unsupported/"+a.Type] = true
			p.a.schemes = append(p.a.schemes, scheme{name: where, kind: a.Type})
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
