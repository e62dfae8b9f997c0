package importer

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"junction/connector"
)

var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// pathParamRE finds {name} segments of a path template as OpenAPI writes
// them; names need not be identifiers ("{issue-id}").
var pathParamRE = regexp.MustCompile(`\{([^{}/]+)\}`)

// builder turns an api into a definition, collecting the checklist.
type builder struct {
	a   *api
	def *connector.Definition
	res *Result
	// common are the shared connection fields by name.
	common map[string]*connector.Field
	// findings gather one checklist line per kind of problem, naming the
	// operations it touches, so a thousand-operation file gives a short
	// list.
	findings     map[string]*finding
	findingOrder []string
}

type finding struct {
	item, detail string
	status       Status
	where        []string
}

func (b *builder) find(item string, st Status, detail, where string) {
	key := item + "\x00" + detail
	f := b.findings[key]
	if f == nil {
		f = &finding{item: item, detail: detail, status: st}
		b.findings[key] = f
		b.findingOrder = append(b.findingOrder, key)
	}
	if where != "" && !slices.Contains(f.where, where) {
		f.where = append(f.where, where)
	}
}

func (b *builder) check(item string, st Status, detail string) {
	b.res.Checklist = append(b.res.Checklist, ChecklistItem{Item: item, Status: st, Detail: detail})
}

// built is one operation turned into an activity.
type built struct {
	src      *operation
	act      connector.Activity
	resource string
}

func build(a *api, opts Options) (*Result, error) {
	b := &builder{a: a, common: map[string]*connector.Field{}, findings: map[string]*finding{}}
	b.res = &Result{Operations: a.total, AuthTypes: []connector.AuthType{}, Resources: []Resource{}, Checklist: []ChecklistItem{}}
	d := &connector.Definition{Version: "0.1.0", Auth: []connector.Auth{}}
	b.def = d
	b.res.Definition = d

	title := clip(a.title, 100)
	if title == "" {
		title = "Imported API"
	}
	d.DisplayName = title
	if strings.TrimSpace(opts.DisplayName) != "" {
		d.DisplayName = strings.TrimSpace(opts.DisplayName)
	}
	d.Key = opts.Key
	if d.Key == "" {
		d.Key = strings.ReplaceAll(snake(title), "_", "-")
		if len(d.Key) > 40 {
			d.Key = strings.TrimRight(d.Key[:40], "-")
		}
		if !keyRE.MatchString(d.Key) {
			d.Key = "imported-api"
		}
	}
	if !keyRE.MatchString(d.Key) {
		return nil, invalidOption("key", "must be lower case letters, digits, '-' and '_', starting with a letter, at most 64 characters")
	}
	d.Description = clip(firstParagraph(a.description), 500)
	if u, err := url.Parse(a.docsURL); err == nil && u.Scheme == "https" && u.Host != "" {
		d.Documentation = a.docsURL
	}

	b.check("Format", StatusOK, fmt.Sprintf("%d operations declared", a.total))
	if a.total > maxOperations {
		b.check("Activities", StatusError, fmt.Sprintf("only the first %d of %d operations were read; split the description", maxOperations, a.total))
	}
	b.baseURL()
	b.variableFields()
	b.auth()
	acts := b.activities()
	kept, err := b.resources(acts, opts.Resources)
	if err != nil {
		return nil, err
	}
	b.objects(kept)
	b.testRequest(acts)
	for _, n := range a.notes {
		b.res.Checklist = append(b.res.Checklist, n)
	}
	for _, k := range b.findingOrder {
		f := b.findings[k]
		detail := f.detail
		if len(f.where) > 0 {
			detail += ": " + listSome(f.where)
		}
		b.check(f.item, f.status, detail)
	}
	return b.res, nil
}

func firstParagraph(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return strings.Join(strings.Fields(s), " ")
}

// ---- base URL and connection fields ----

func (b *builder) addField(f connector.Field) string {
	names := uniqueNames{}
	for n := range b.common {
		names[n] = true
	}
	f.Name = names.take(f.Name, "field")
	b.def.Fields = append(b.def.Fields, f)
	b.common[f.Name] = &b.def.Fields[len(b.def.Fields)-1]
	// The slice may have moved: point every entry at its new home.
	for i := range b.def.Fields {
		b.common[b.def.Fields[i].Name] = &b.def.Fields[i]
	}
	return f.Name
}

func (b *builder) baseURL() {
	raw := strings.TrimSpace(b.a.baseURL)
	raw, _, _ = strings.Cut(raw, "#")
	raw, query := splitServerURL(raw)
	if len(query) > 0 {
		b.check("Base URL", StatusWarning, "the server URL carries a query string, which a base URL cannot; add it to the operations that need it")
	}
	raw = strings.TrimRight(raw, "/")

	// Server variables become connection fields; their names must be
	// identifiers, so rename them in the template too.
	vars := map[string]variable{}
	for _, v := range b.a.variables {
		vars[v.name] = v
	}
	defaults := map[string]string{}
	tmpl := pathParamRE.ReplaceAllStringFunc(raw, func(m string) string {
		name := m[1 : len(m)-1]
		v, declared := vars[name]
		if !declared {
			v = variable{name: name}
		}
		id := snake(name)
		if id == "" {
			id = "server"
		}
		if f, ok := b.common[id]; ok {
			return "{" + f.Name + "}"
		}
		f := connector.Field{Name: id, Label: humanize(id), Type: connector.FieldText, Default: v.def, Help: clip(v.description, 200)}
		if len(v.enum) > 0 {
			f.Type = connector.FieldSelect
			seen := map[string]bool{}
			for _, e := range v.enum {
				if e != "" && !seen[e] {
					seen[e] = true
					f.Options = append(f.Options, connector.Option{Value: e})
				}
			}
			if f.Default != "" && !seen[f.Default] {
				f.Options = append(f.Options, connector.Option{Value: f.Default})
			}
			if len(f.Options) == 0 {
				f.Type = connector.FieldText
			}
		}
		if f.Default == "" {
			f.Required = true
		}
		id = b.addField(f)
		defaults[id] = v.def
		return "{" + id + "}"
	})
	if _, lone := loneVar(tmpl); lone {
		b.def.BaseURL = tmpl
		b.check("Base URL", StatusOK, tmpl+" (from the connection)")
		return
	}
	// The validator checks the URL's shape with every variable filled by a
	// stand-in; so does this, so a variable cannot hide a bad shape.
	fill := func(withDefaults bool) string {
		return pathParamRE.ReplaceAllStringFunc(tmpl, func(m string) string {
			if d := defaults[m[1:len(m)-1]]; withDefaults && d != "" {
				return d
			}
			return "x"
		})
	}
	if absoluteHTTP(fill(false)) {
		b.def.BaseURL = tmpl
		b.check("Base URL", StatusOK, tmpl)
		return
	}
	// No usable template: the connection supplies the whole root,
	// starting from the description's own value when that is a URL.
	f := connector.Field{Name: "base_url", Label: "Base URL", Type: connector.FieldText, Required: true,
		Help: "The API's root URL, such as https://api.example.com/v1.", Placeholder: "https://api.example.com"}
	if raw != "" {
		f.Help = fmt.Sprintf("The API's root URL; the description gives only %q.", clip(raw, 100))
	}
	if d := fill(true); absoluteHTTP(d) && !strings.HasSuffix(d, "/") {
		f.Default, f.Required = d, false
	}
	// Fields made for variables of an unusable URL would only confuse.
	b.def.Fields = nil
	b.common = map[string]*connector.Field{}
	b.def.BaseURL = "{" + b.addField(f) + "}"
	if raw == "" {
		b.check("Base URL", StatusWarning, "the description names no server; the connection asks for the base URL")
	} else {
		b.check("Base URL", StatusWarning, fmt.Sprintf("the server URL %q is not an absolute http(s) URL; the connection asks for the base URL", clip(raw, 100)))
	}
}

// ---- auth ----

func (b *builder) auth() {
	d := b.def
	used := uniqueNames{}
	addAuth := func(sc scheme, a connector.Auth) {
		if used[string(a.Type)] {
			a.ID = strings.ReplaceAll(snake(sc.name), "_", "-")
			if !keyRE.MatchString(a.ID) {
				a.ID = string(a.Type)
			}
			a.ID = used.take(a.ID, string(a.Type))
		} else {
			used[string(a.Type)] = true
			used.take(string(a.Type), "")
		}
		// A shared field of the same name and kind (a Postman variable
		// client_id) serves the auth too; one of another kind would
		// clash, so the auth's own is renamed.
		own := a.Fields[:0]
		for _, f := range a.Fields {
			if c, clash := b.common[f.Name]; clash {
				if c.Type == f.Type {
					continue
				}
				old := f.Name
				f.Name = "auth_" + old
				renameVar(&a, old, f.Name)
			}
			own = append(own, f)
		}
		a.Fields = own
		d.Auth = append(d.Auth, a)
		if !slices.Contains(b.res.AuthTypes, a.Type) {
			b.res.AuthTypes = append(b.res.AuthTypes, a.Type)
		}
		b.check("Authentication", StatusOK, fmt.Sprintf("%s: %s", sc.name, a.Type))
	}
	secret := func(name, label string) connector.Field {
		return connector.Field{Name: name, Label: label, Type: connector.FieldSecret, Required: true}
	}
	for _, sc := range b.a.schemes {
		label := clip(sc.name, 60)
		switch strings.ToLower(sc.kind) {
		case "apikey":
			name := sc.paramName
			if name == "" {
				b.check("Authentication", StatusWarning, fmt.Sprintf("%s: API key without a parameter name; fill in auth name by hand", sc.name))
				name = "X-API-Key"
			}
			// Braces would make the name a template over fields that do
			// not exist.
			name = strings.NewReplacer("{", "", "}", "").Replace(name)
			a := connector.Auth{Type: connector.AuthAPIKey, Label: label, Name: name, Fields: []connector.Field{secret("api_key", "API key")}}
			switch strings.ToLower(sc.in) {
			case "query":
				a.In = "query"
			case "cookie":
				a.In, a.Name, a.Value = "header", "Cookie", name+"={api_key}"
			default:
				a.In = "header"
			}
			if a.In == "header" && !headerNameRE.MatchString(a.Name) {
				b.check("Authentication", StatusWarning, fmt.Sprintf("%s: %q is not a valid header name; using X-API-Key", sc.name, a.Name))
				a.Name = "X-API-Key"
			}
			addAuth(sc, a)
		case "http", "basic":
			switch sc.httpScheme {
			case "basic":
				addAuth(sc, connector.Auth{Type: connector.AuthBasic, Label: label, Fields: []connector.Field{
					{Name: "username", Label: "Username", Type: connector.FieldText, Required: true}, secret("password", "Password")}})
			case "bearer":
				addAuth(sc, connector.Auth{Type: connector.AuthBearer, Label: label, Fields: []connector.Field{secret("token", "Token")}})
			default:
				b.check("Authentication", StatusWarning, fmt.Sprintf("%s: HTTP %s authentication is not supported; use a custom auth type with the header the API expects", sc.name, sc.httpScheme))
			}
		case "oauth2":
			for _, fl := range sc.flows {
				b.oauth(sc, fl, label, addAuth)
			}
			if len(sc.flows) == 0 {
				b.check("Authentication", StatusWarning, fmt.Sprintf("%s: OAuth 2.0 scheme without flows; add the authorization and token URLs by hand", sc.name))
			}
		case "awsv4":
			b.awsSigV4(sc, label, addAuth)
		case "openidconnect":
			b.check("Authentication", StatusWarning, fmt.Sprintf("%s: OpenID Connect discovery is not supported; look up the authorization and token endpoints in the provider's discovery document and add an oauth2_authorization_code auth with them", sc.name))
		case "mutualtls":
			b.check("Authentication", StatusWarning, fmt.Sprintf("%s: mutual TLS is not supported by connector definitions; put a gateway that holds the client certificate in front of the API", sc.name))
		default:
			b.check("Authentication", StatusWarning, fmt.Sprintf("%s: security scheme type %q is not supported; add the auth by hand", sc.name, sc.kind))
		}
	}
	if len(d.Auth) == 0 {
		d.Auth = append(d.Auth, connector.Auth{Type: connector.AuthNone})
		b.res.AuthTypes = append(b.res.AuthTypes, connector.AuthNone)
		if len(b.a.schemes) == 0 {
			b.check("Authentication", StatusWarning, "the description declares no security scheme; the draft uses none; add the API's auth if it has one")
		} else {
			b.check("Authentication", StatusWarning, "no declared security scheme could be used; the draft uses none until an auth is added by hand")
		}
	}
}

func renameVar(a *connector.Auth, old, new string) {
	r := strings.NewReplacer("{"+old+"}", "{"+new+"}")
	a.Username, a.Password, a.Value, a.Token = r.Replace(a.Username), r.Replace(a.Password), r.Replace(a.Value), r.Replace(a.Token)
	a.ClientID, a.ClientSecret = r.Replace(a.ClientID), r.Replace(a.ClientSecret)
	a.AccessKeyID, a.SecretAccessKey, a.SessionToken, a.Region = r.Replace(a.AccessKeyID), r.Replace(a.SecretAccessKey), r.Replace(a.SessionToken), r.Replace(a.Region)
	if a.Type == connector.AuthBasic {
		if a.Username == "" && old == "username" {
			a.Username = "{" + new + "}"
		}
		if a.Password == "" && old == "password" {
			a.Password = "{" + new + "}"
		}
	}
	if a.Type == connector.AuthBearer && a.Token == "" && old == "token" {
		a.Token = "{" + new + "}"
	}
	if a.Type == connector.AuthAPIKey && a.Value == "" && old == "api_key" {
		a.Value = "{" + new + "}"
	}
}

func (b *builder) oauth(sc scheme, fl flow, label string, addAuth func(scheme, connector.Auth)) {
	var t connector.AuthType
	switch fl.kind {
	case "authorizationCode":
		t = connector.AuthOAuth2AuthorizationCode
	case "clientCredentials":
		t = connector.AuthOAuth2ClientCredentials
	case "implicit":
		b.check("Authentication", StatusWarning, fmt.Sprintf("%s: the OAuth 2.0 implicit flow is not supported; use the authorization code flow if the API offers it, or a bearer token", sc.name))
		return
	case "password":
		b.check("Authentication", StatusWarning, fmt.Sprintf("%s: the OAuth 2.0 password flow is not supported; use client credentials or the authorization code flow if the API offers them, or a bearer token", sc.name))
		return
	default:
		b.check("Authentication", StatusWarning, fmt.Sprintf("%s: the OAuth 2.0 %s flow is not supported; use the authorization code flow or a bearer token", sc.name, fl.kind))
		return
	}
	a := connector.Auth{Type: t, Label: label, ClientID: "{client_id}", ClientSecret: "{client_secret}",
		Fields: []connector.Field{{Name: "client_id", Label: "Client ID", Type: connector.FieldText, Required: true}, {Name: "client_secret", Label: "Client secret", Type: connector.FieldSecret, Required: true}}}
	urlField := func(name, label, raw string) string {
		abs := b.absoluteURL(raw)
		if u, err := url.Parse(abs); err == nil && u.Scheme == "https" && u.Host != "" && !strings.ContainsAny(abs, "{}") {
			return abs
		}
		f := connector.Field{Name: name, Label: label, Type: connector.FieldText, Required: true, Help: "The description gives " + fmt.Sprintf("%q", clip(raw, 100)) + ", which is not an absolute https URL."}
		a.Fields = append(a.Fields, f)
		b.check("Authentication", StatusWarning, fmt.Sprintf("%s: the %s %q is not an absolute https URL; the connection asks for it", sc.name, strings.ToLower(label), clip(raw, 100)))
		return "{" + name + "}"
	}
	if t == connector.AuthOAuth2AuthorizationCode {
		a.AuthorizeURL = urlField("authorize_url", "Authorization URL", fl.authorizeURL)
	}
	a.TokenURL = urlField("token_url", "Token URL", fl.tokenURL)
	for _, s := range fl.scopes {
		if s != "" && !strings.ContainsAny(s, "{} ,") {
			a.Scopes = append(a.Scopes, s)
		}
	}
	if len(a.Scopes) > 20 {
		b.check("Authentication", StatusWarning, fmt.Sprintf("%s: %d scopes declared; the draft asks for all of them, keep only those the connector needs", sc.name, len(a.Scopes)))
	}
	addAuth(sc, a)
}

// absoluteURL resolves a URL relative to the base URL, when that is
// literal.
func (b *builder) absoluteURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.IsAbs() {
		return strings.TrimSpace(raw)
	}
	base, err := url.Parse(b.def.BaseURL + "/")
	if err != nil || !base.IsAbs() || strings.Contains(b.def.BaseURL, "{") {
		return raw
	}
	return base.ResolveReference(u).String()
}

// ---- activities ----

var allowedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func (b *builder) activities() []*built {
	names := uniqueNames{connector.HTTPRequestActivity: true}
	var out []*built
	for _, op := range b.a.ops {
		where := op.method + " " + op.path
		if !slices.Contains(allowedMethods, op.method) {
			b.find("Activities", StatusError, op.method+" operations cannot be sent by a connector definition and were left out", where)
			continue
		}
		path, fixed, ok := b.cleanPath(op)
		if !ok {
			b.find("Activities", StatusError, "paths with '..' segments cannot be used and were left out", where)
			continue
		}
		for _, m := range pathParamRE.FindAllStringSubmatch(op.path, -1) {
			if !identRE.MatchString(m[1]) {
				b.find("Paths", StatusOK, "placeholders that are not identifiers were renamed (the request sent is the same)", where)
				break
			}
		}
		base := snake(op.id)
		if base == "" {
			base = snake(strings.ToLower(op.method) + " " + op.path)
		}
		name := names.take(base, "operation")
		act := connector.Activity{Name: name, DisplayName: clip(op.summary, 100)}
		if act.DisplayName == "" {
			act.DisplayName = humanize(name)
		}
		act.Method = op.method
		act.Path = path
		act.Description = clip(op.description, 280)
		if len(fixed) > 0 {
			act.Query = fixed
		}
		if len(op.fixedHeaders) > 0 {
			act.Headers = op.fixedHeaders
		}
		b.inputs(op, &act.Operation, where)
		b.outputs(op, &act.Operation)
		b.pagination(op, &act.Operation)
		out = append(out, &built{src: op, act: act})
	}
	return out
}

// cleanPath turns the path as written into a definition path: placeholders
// become identifiers, a query written into the path becomes fixed query
// parameters.
func (b *builder) cleanPath(op *operation) (string, map[string]string, bool) {
	p := op.path
	p, _, _ = strings.Cut(p, "#")
	var fixed map[string]string
	if before, q, ok := strings.Cut(p, "?"); ok {
		p = before
		vals, _ := url.ParseQuery(q)
		for k, v := range vals {
			if fixed == nil {
				fixed = map[string]string{}
			}
			// A value written into the path is literal text; braces in
			// it would read as placeholders.
			fixed[k] = strings.NewReplacer("{", "", "}", "").Replace(strings.Join(v, ","))
		}
	}
	for k, v := range op.fixedQuery {
		if fixed == nil {
			fixed = map[string]string{}
		}
		fixed[k] = v
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if slices.Contains(strings.Split(p, "/"), "..") {
		return "", nil, false
	}
	p = pathParamRE.ReplaceAllStringFunc(p, func(m string) string {
		name := m[1 : len(m)-1]
		if identRE.MatchString(name) {
			return m
		}
		return "{" + pathVarName(name) + "}"
	})
	return p, fixed, true
}

func pathVarName(name string) string {
	id := snake(name)
	if id == "" {
		id = "param"
	}
	return id
}

func (b *builder) inputs(op *operation, o *connector.Operation, where string) {
	names := uniqueNames{}
	pathVars := map[string]bool{}
	for _, m := range pathParamRE.FindAllStringSubmatch(o.Path, -1) {
		pathVars[m[1]] = true
	}
	declaredPath := map[string]bool{}
	add := func(p param, in string) {
		typ := p.typ
		if typ == "" {
			typ = connector.TypeString
		}
		var name string
		if in == "path" {
			name = p.name
			if !identRE.MatchString(name) {
				name = pathVarName(name)
			}
		} else {
			name = names.take(snake(p.name), in)
		}
		input := connector.Input{Name: name, Type: typ, Required: p.required, Description: clip(p.description, 200), In: in}
		if name != p.name && in != "path" {
			input.Key = p.name
		}
		if (in == "path" || in == "header") && (typ == connector.TypeObject || typ == connector.TypeArray) {
			input.Type = connector.TypeString
		}
		if in == "path" {
			input.Required = true
			input.In = ""
		}
		if in == "query" && (o.Method == http.MethodGet || o.Method == http.MethodHead || o.Method == http.MethodDelete) {
			input.In = ""
		}
		if in == "body" && o.Method != http.MethodGet && o.Method != http.MethodHead && o.Method != http.MethodDelete {
			input.In = ""
		}
		if input.Type == connector.TypeArray && in == "query" {
			input.Style = p.style
		}
		for _, e := range p.enum {
			if ok := typeMatches(input.Type, e); ok {
				input.Enum = append(input.Enum, e)
			}
		}
		if len(input.Enum) > 100 {
			input.Enum = input.Enum[:100]
		}
		if p.def != nil && typeMatches(input.Type, p.def) {
			input.Default = p.def
		}
		o.Inputs = append(o.Inputs, input)
	}
	// Path inputs first: their names are fixed by the placeholders, the
	// others give way (a query parameter named like a placeholder would
	// otherwise be taken for the path one).
	params := slices.Clone(op.params)
	slices.SortStableFunc(params, func(x, y param) int {
		return boolRank(x.in != "path") - boolRank(y.in != "path")
	})
	for _, m := range pathParamRE.FindAllStringSubmatch(o.Path, -1) {
		names[m[1]] = true
	}
	for _, p := range params {
		switch p.in {
		case "path":
			id := p.name
			if !identRE.MatchString(id) {
				id = pathVarName(id)
			}
			if !pathVars[id] {
				b.find("Parameters", StatusWarning, "path parameters that do not appear in the path were left out", where+" ("+p.name+")")
				continue
			}
			if declaredPath[id] {
				continue
			}
			declaredPath[id] = true
			add(p, "path")
		case "query":
			add(p, "query")
		case "header":
			switch {
			case strings.EqualFold(p.name, "Authorization"):
				b.find("Parameters", StatusOK, "Authorization header parameters are left to the connection's auth", where)
				continue
			case !headerNameRE.MatchString(p.name):
				b.find("Parameters", StatusWarning, "header parameters with invalid names were left out", where+" ("+p.name+")")
				continue
			}
			add(p, "header")
		case "cookie":
			b.find("Parameters", StatusWarning, "cookie parameters cannot be sent by a connector definition; add them as a Cookie header if the API needs them", where+" ("+p.name+")")
		default:
			b.find("Parameters", StatusWarning, fmt.Sprintf("parameters in %q are not supported and were left out", p.in), where+" ("+p.name+")")
		}
	}
	// Every placeholder needs an input: the description forgot to declare
	// some, which would leave the request unfillable.
	for _, m := range pathParamRE.FindAllStringSubmatch(o.Path, -1) {
		id := m[1]
		if declaredPath[id] {
			continue
		}
		declaredPath[id] = true
		if _, isField := b.common[id]; isField && b.common[id].Type != connector.FieldSecret {
			continue
		}
		b.find("Parameters", StatusWarning, "path placeholders the description does not declare were added as required string inputs", where+" ({"+id+"})")
		add(param{name: id, required: true, typ: connector.TypeString, description: "Not declared in the description."}, "path")
	}
	if op.body == nil {
		return
	}
	bd := op.body
	switch {
	case o.Method == http.MethodGet || o.Method == http.MethodHead:
		b.find("Request bodies", StatusWarning, o.Method+" requests cannot carry a body; the body the description declares was left out", where)
	case bd.encoding == "":
		b.find("Request bodies", StatusWarning, fmt.Sprintf("%s bodies are not supported (only JSON, form, multipart and binary); the body was left out, send it with http_request", bd.mediaType), where)
	case bd.encoding == connector.BodyBinary:
		// the body is the file input's bytes, with no template
		add(*bd.whole, "body")
	case bd.whole != nil:
		p := *bd.whole
		p.name = "body"
		add(p, "body")
		last := &o.Inputs[len(o.Inputs)-1]
		last.Key = ""
		o.Body = "{" + last.Name + "}"
	default:
		for _, p := range bd.props {
			add(p, "body")
		}
	}
	if bd.encoding != connector.BodyJSON && bd.encoding != "" && o.Method != http.MethodGet && o.Method != http.MethodHead {
		o.BodyEncoding = bd.encoding
	}
	if slices.ContainsFunc(o.Inputs, func(in connector.Input) bool { return in.Type == connector.TypeFile }) {
		b.find("Request bodies", StatusOK, "file uploads became file inputs, sent as multipart/form-data or as the whole body", where)
	}
}

// typeMatches reports whether a value read from the description fits the
// input type the validator will check it against.
func typeMatches(t connector.InputType, v any) bool {
	switch t {
	case connector.TypeString:
		_, ok := v.(string)
		return ok
	case connector.TypeBoolean:
		_, ok := v.(bool)
		return ok
	case connector.TypeInteger:
		_, ok := v.(int64)
		return ok
	case connector.TypeNumber:
		switch v.(type) {
		case float64, int64:
			return true
		}
	}
	return false
}

func (b *builder) outputs(op *operation, o *connector.Operation) {
	r := op.response
	if r == nil {
		return
	}
	switch r.typ {
	case connector.TypeObject:
		names := uniqueNames{}
		for _, p := range r.props {
			if p.name == "" || strings.ContainsAny(p.name, ".[]$") {
				continue
			}
			name := names.take(snake(p.name), "value")
			o.Outputs = append(o.Outputs, connector.Output{Name: name, Type: p.shape.typ, Description: clip(p.shape.description, 200), Path: p.name})
			if len(o.Outputs) >= 50 {
				break
			}
		}
	case connector.TypeArray:
		o.Outputs = append(o.Outputs, connector.Output{Name: "items", Type: connector.TypeArray, Description: clip(r.description, 200)})
	}
}

// ---- pagination ----

var (
	cursorParams  = []string{"cursor", "page_token", "pagetoken", "next_token", "nexttoken", "continuation", "continuation_token", "continuationtoken", "starting_after", "after", "marker", "page_cursor", "next_cursor", "offset_token", "start_cursor", "next_page_token", "scroll_id", "pageafter"}
	cursorFields  = []string{"next_cursor", "nextcursor", "next_page_token", "nextpagetoken", "next_token", "nexttoken", "cursor", "continuation", "continuation_token", "continuationtoken", "next_marker", "nextmarker", "marker", "after", "end_cursor", "endcursor", "next_page_cursor", "scroll_id", "next"}
	hasMoreFields = []string{"has_more", "hasmore", "more", "has_next", "hasnext", "has_next_page", "hasnextpage"}
	nextURLFields = []string{"next_url", "nexturl", "next_page_url", "nextpageurl", "next_link", "nextlink", "@odata.nextlink", "next_page_uri", "nextpageuri"}
	offsetParams  = []string{"offset", "skip", "start", "startat", "start_at", "start_index", "startindex", "from"}
	pageParams    = []string{"page", "page_number", "pagenumber", "page_no", "pageno", "pageindex", "page_index"}
	limitParams   = []string{"limit", "per_page", "perpage", "page_size", "pagesize", "maxresults", "max_results", "count", "size", "max", "top", "$top", "pagelen", "page_limit", "results_per_page", "items_per_page"}
)

func norm(s string) string { return strings.ToLower(s) }

func queryParam(op *operation, candidates []string) string {
	for _, c := range candidates {
		for _, p := range op.params {
			if p.in == "query" && norm(p.name) == c {
				return p.name
			}
		}
	}
	return ""
}

// findField looks for a response field by name down to three levels and
// returns its JSON path ("response_metadata.next_cursor").
func findField(s *shape, candidates []string, want connector.InputType) string {
	if s == nil || s.typ != connector.TypeObject {
		return ""
	}
	type level struct {
		prefix string
		s      *shape
	}
	cur := []level{{"", s}}
	for depth := 0; depth < 3 && len(cur) > 0; depth++ {
		var next []level
		for _, c := range candidates {
			for _, l := range cur {
				for _, p := range l.s.props {
					if norm(p.name) == c && !strings.ContainsAny(p.name, ".[]$") && (want == "" || p.shape.typ == want) {
						return l.prefix + p.name
					}
				}
			}
		}
		for _, l := range cur {
			for _, p := range l.s.props {
				if p.shape != nil && p.shape.typ == connector.TypeObject && !strings.ContainsAny(p.name, ".[]$") {
					next = append(next, level{l.prefix + p.name + ".", p.shape})
				}
			}
		}
		cur = next
	}
	return ""
}

func (b *builder) pagination(op *operation, o *connector.Operation) {
	if o.Method != http.MethodGet {
		return
	}
	limit := queryParam(op, limitParams)
	var pg *connector.Pagination
	hasMore := findField(op.response, hasMoreFields, connector.TypeBoolean)
	switch {
	case slices.ContainsFunc(op.headersOut, func(h string) bool { return strings.EqualFold(h, "Link") }):
		pg = &connector.Pagination{Type: connector.PageLinkHeader}
	case queryParam(op, cursorParams) != "" && findField(op.response, cursorFields, "") != "":
		pg = &connector.Pagination{Type: connector.PageCursor, CursorParam: queryParam(op, cursorParams), NextCursorPath: findField(op.response, cursorFields, ""), HasMorePath: hasMore}
	case findField(op.response, nextURLFields, connector.TypeString) != "":
		pg = &connector.Pagination{Type: connector.PageNextURL, NextURLPath: findField(op.response, nextURLFields, connector.TypeString), HasMorePath: hasMore}
	case queryParam(op, pageParams) != "":
		pg = &connector.Pagination{Type: connector.PageNumber, PageParam: queryParam(op, pageParams), HasMorePath: hasMore}
	case queryParam(op, offsetParams) != "" && limit != "":
		pg = &connector.Pagination{Type: connector.PageOffset, OffsetParam: queryParam(op, offsetParams), HasMorePath: hasMore}
	}
	if pg == nil {
		return
	}
	pg.LimitParam = limit
	o.Pagination = pg
	// A list whose records sit inside the body: point at the array.
	if r := op.response; r != nil && r.typ == connector.TypeObject {
		for _, p := range r.props {
			if p.shape != nil && p.shape.typ == connector.TypeArray && !strings.ContainsAny(p.name, ".[]$") {
				o.Records = p.name
				break
			}
		}
	}
}

// ---- resources and objects ----

func resourceOf(op *operation) string {
	if len(op.tags) > 0 {
		if r := snake(op.tags[0]); r != "" {
			return r
		}
	}
	for _, seg := range strings.Split(strings.Trim(op.path, "/"), "/") {
		if seg == "" || strings.Contains(seg, "{") || isVersionSegment(seg) || seg == "api" || seg == "rest" {
			continue
		}
		if r := snake(seg); r != "" {
			return r
		}
	}
	return "default"
}

func isVersionSegment(s string) bool {
	s = strings.ToLower(s)
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for _, c := range s[1:] {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func (b *builder) resources(acts []*built, keep []string) ([]*built, error) {
	index := map[string]int{}
	for _, a := range acts {
		a.resource = resourceOf(a.src)
		i, ok := index[a.resource]
		if !ok {
			i = len(b.res.Resources)
			index[a.resource] = i
			b.res.Resources = append(b.res.Resources, Resource{Name: a.resource, Selected: true})
		}
		b.res.Resources[i].Operations = append(b.res.Resources[i].Operations, a.act.Name)
	}
	sort.SliceStable(b.res.Resources, func(i, j int) bool { return b.res.Resources[i].Name < b.res.Resources[j].Name })
	selected := map[string]bool{}
	if len(keep) > 0 {
		for _, k := range keep {
			name := k
			if _, ok := index[name]; !ok {
				name = snake(k)
			}
			if _, ok := index[name]; !ok {
				return nil, invalidOption("resources", fmt.Sprintf("unknown resource %q", k))
			}
			selected[name] = true
		}
		for i := range b.res.Resources {
			b.res.Resources[i].Selected = selected[b.res.Resources[i].Name]
		}
	}
	n := 0
	for _, a := range acts {
		if len(keep) == 0 || selected[a.resource] {
			b.def.Activities = append(b.def.Activities, a.act)
			n++
		}
	}
	if len(acts) == 0 {
		b.check("Activities", StatusWarning, "the description has no usable operations")
	} else {
		b.check("Activities", StatusOK, fmt.Sprintf("%d of %d operations became activities in %d resources", n, b.a.total, len(b.res.Resources)))
	}
	var kept []*built
	for _, a := range acts {
		if len(keep) == 0 || selected[a.resource] {
			kept = append(kept, a)
		}
	}
	return kept, nil
}

// objects finds, per resource, the collection whose operations follow the
// usual pattern (GET /things, GET /things/{id}, POST /things, PUT|PATCH
// /things/{id}, DELETE /things/{id}) and makes it an object.
func (b *builder) objects(acts []*built) {
	type slot struct {
		ops  connector.Operations
		n    int
		from []*built
	}
	byResource := map[string]map[string]*slot{}
	var order []string
	for _, a := range acts {
		coll, item := a.act.Path, false
		if i := strings.LastIndex(coll, "/"); i > 0 {
			last := coll[i+1:]
			if m := pathParamRE.FindStringSubmatch(last); m != nil && m[0] == last {
				coll, item = coll[:i], true
			}
		}
		m := byResource[a.resource]
		if m == nil {
			m = map[string]*slot{}
			byResource[a.resource] = m
			order = append(order, a.resource)
		}
		s := m[coll]
		if s == nil {
			s = &slot{}
			m[coll] = s
		}
		op := a.act.Operation
		var target **connector.Operation
		switch {
		case !item && a.act.Method == http.MethodGet:
			target = &s.ops.List
		case item && a.act.Method == http.MethodGet:
			target = &s.ops.Get
		case !item && a.act.Method == http.MethodPost:
			target = &s.ops.Create
		case item && (a.act.Method == http.MethodPatch || a.act.Method == http.MethodPut):
			target = &s.ops.Update
			if *target != nil && a.act.Method == http.MethodPut {
				continue // PATCH is the partial update a caller expects
			}
		case item && a.act.Method == http.MethodDelete:
			target = &s.ops.Delete
		}
		if target == nil || (*target != nil && a.act.Method != http.MethodPatch) {
			continue
		}
		if *target == nil {
			s.n++
		}
		if target != &s.ops.List {
			op.Pagination = nil
		}
		*target = &op
		s.from = append(s.from, a)
	}
	sort.Strings(order)
	names := uniqueNames{}
	for _, r := range order {
		var best *slot
		var bestPath string
		for coll, s := range byResource[r] {
			if s.ops.List == nil && s.ops.Get == nil {
				continue
			}
			if best == nil || s.n > best.n || (s.n == best.n && coll < bestPath) {
				best, bestPath = s, coll
			}
		}
		if best == nil || best.n < 2 {
			continue
		}
		obj := connector.Object{Name: names.take(r, "object"), DisplayName: humanize(r), Operations: best.ops}
		var rec *shape
		for _, a := range best.from {
			if a.act.Method == http.MethodGet && best.ops.Get != nil && a.act.Path == best.ops.Get.Path {
				rec = a.src.response
			}
		}
		if rec == nil && best.ops.List != nil {
			for _, a := range best.from {
				if a.act.Path == best.ops.List.Path && a.act.Method == http.MethodGet && a.src.response != nil {
					rec = listItem(a.src.response, best.ops.List.Records)
				}
			}
		}
		if rec != nil && rec.typ == connector.TypeObject {
			seen := map[string]bool{}
			for _, p := range rec.props {
				if p.name == "" || seen[p.name] {
					continue
				}
				seen[p.name] = true
				obj.Fields = append(obj.Fields, connector.ObjectField{Name: p.name, Type: string(p.shape.typ)})
				if p.name == "id" {
					obj.IDField = "id"
				}
			}
		}
		if l := obj.Operations.List; l != nil && l.Records == "" {
			for _, a := range best.from {
				if a.act.Path == l.Path && a.act.Method == http.MethodGet && a.src.response != nil && a.src.response.typ == connector.TypeObject {
					for _, p := range a.src.response.props {
						if p.shape.typ == connector.TypeArray && !strings.ContainsAny(p.name, ".[]$") {
							l.Records = p.name
							break
						}
					}
				}
			}
		}
		b.def.Objects = append(b.def.Objects, obj)
	}
	if len(b.def.Objects) == 0 {
		b.check("Objects", StatusWarning, "no resource follows the list/get/create/update/delete pattern; the operations are activities only")
	} else {
		b.check("Objects", StatusOK, fmt.Sprintf("%d resources became objects with standard operations", len(b.def.Objects)))
	}
	kinds := map[connector.PaginationType]int{}
	for _, a := range b.def.Activities {
		if a.Pagination != nil {
			kinds[a.Pagination.Type]++
		}
	}
	if len(kinds) == 0 {
		b.check("Pagination", StatusWarning, "no pagination found; lists return the first page only until pagination is added")
	} else {
		var parts []string
		for _, k := range []connector.PaginationType{connector.PageCursor, connector.PageOffset, connector.PageNumber, connector.PageLinkHeader, connector.PageNextURL} {
			if kinds[k] > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", k, kinds[k]))
			}
		}
		b.check("Pagination", StatusOK, "operations that page, by kind: "+strings.Join(parts, ", "))
	}
}

func listItem(resp *shape, records string) *shape {
	s := resp
	if records != "" && s.typ == connector.TypeObject {
		for _, p := range s.props {
			if p.name == records {
				s = p.shape
			}
		}
	}
	if s.typ == connector.TypeArray && s.items != nil {
		return s.items
	}
	return nil
}

var testPaths = []string{"me", "user", "whoami", "myself", "account", "profile", "self", "current_user", "users/me", "userinfo", "accounts", "users/current", "identity", "viewer"}

// testRequest picks a GET that needs no input, preferring one that
// describes the caller.
func (b *builder) testRequest(acts []*built) {
	best, bestRank := (*built)(nil), 0
	for _, a := range acts {
		if a.act.Method != http.MethodGet {
			continue
		}
		needs := false
		for _, in := range a.act.Inputs {
			if in.Required && in.Default == nil {
				needs = true
			}
		}
		for _, m := range pathParamRE.FindAllStringSubmatch(a.act.Path, -1) {
			if f, ok := b.common[m[1]]; !ok || f.Type == connector.FieldSecret {
				needs = true
			}
		}
		if needs || len(a.act.Query) > 0 {
			continue
		}
		p := strings.ToLower(strings.Trim(a.act.Path, "/"))
		rank := 3000 + len(p)
		for i, t := range testPaths {
			if p == t || strings.HasSuffix(p, "/"+t) {
				rank = i
				break
			}
		}
		if rank >= 3000 {
			last := p[strings.LastIndex(p, "/")+1:]
			if strings.Contains(last, "me") || strings.Contains(last, "user") || strings.Contains(last, "account") {
				rank = 1000 + len(p)
			}
		}
		if best == nil || rank < bestRank {
			best, bestRank = a, rank
		}
	}
	if best == nil {
		b.check("Test request", StatusWarning, "no GET operation without required inputs; add a test request by hand")
		return
	}
	b.def.Test = &connector.TestRequest{Method: http.MethodGet, Path: best.act.Path}
	b.check("Test request", StatusOK, "GET "+best.act.Path)
}

// loneVar reports whether s is exactly one {placeholder}.
func loneVar(s string) (string, bool) {
	m := pathParamRE.FindStringSubmatch(s)
	if m == nil || m[0] != s || !identRE.MatchString(m[1]) {
		return "", false
	}
	return m[1], true
}

// variableFields makes connection fields of the variables the base URL
// did not use (a Postman collection's variables). Secret ones are left to
// the auth's own fields: a secret field could not be used in a path or
// query anyway.
func (b *builder) variableFields() {
	var secrets []string
	for _, v := range b.a.variables {
		id := snake(v.name)
		if id == "" {
			continue
		}
		if _, ok := b.common[id]; ok {
			continue
		}
		if v.secret {
			secrets = append(secrets, v.name)
			b.addField(connector.Field{Name: id, Label: humanize(id), Type: connector.FieldSecret, Help: "The collection variable " + clip(v.name, 60) + "; its value is not imported."})
			continue
		}
		f := connector.Field{Name: id, Label: humanize(id), Type: connector.FieldText, Default: v.def, Help: clip(v.description, 200)}
		if f.Default == "" {
			f.Required = true
		}
		b.addField(f)
	}
	if len(secrets) > 0 {
		b.check("Variables", StatusWarning, "secret-looking variables became secret fields without their values; fill them in the connection: "+listSome(secrets))
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// absoluteHTTP reports whether s is an http(s) URL with a host and nothing
// a base URL may not hold.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		u.RawQuery == "" && u.Fragment == "" && !strings.HasSuffix(u.Path, "/")
}
