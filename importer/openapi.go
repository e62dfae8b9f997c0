package importer

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v2 "github.com/pb33f/libopenapi/datamodel/high/v2"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"junction"
	"junction/connector"
)

// readOpenAPI reads OpenAPI 3.x and Swagger 2.0 with libopenapi, which
// resolves local references (circular ones included) into one model per
// version. Remote and file references are never fetched: they stay
// unresolved and the checklist says so.
func readOpenAPI(content []byte, format string) (*api, error) {
	cfg := datamodel.NewDocumentConfiguration()
	cfg.AllowRemoteReferences = false
	cfg.AllowFileReferences = false
	cfg.SkipExternalRefResolution = true
	cfg.IgnorePolymorphicCircularReferences = true
	cfg.IgnoreArrayCircularReferences = true
	cfg.SkipMetadataCollection = true
	// Resolving references one after the other costs little here and
	// makes the draft the same on every import of the same file.
	cfg.ExtractRefsSequentially = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	doc, err := libopenapi.NewDocumentWithConfiguration(content, cfg)
	if err != nil {
		return nil, junction.Invalid("content", "the description could not be read: %s", firstLine(err.Error()))
	}
	a := &api{}
	if format == FormatSwagger20 {
		m, err := doc.BuildV2Model()
		if m == nil {
			return nil, junction.Invalid("content", "the Swagger description could not be read: %s", buildErr(err))
		}
		if err != nil {
			a.note("References", StatusWarning, "Some references could not be resolved and were left out: "+buildErr(err))
		}
		readSwagger(a, &m.Model)
	} else {
		m, err := doc.BuildV3Model()
		if m == nil {
			return nil, junction.Invalid("content", "the OpenAPI description could not be read: %s", buildErr(err))
		}
		if err != nil {
			a.note("References", StatusWarning, "Some references could not be resolved and were left out: "+buildErr(err))
		}
		readV3(a, &m.Model)
	}
	return a, nil
}

func buildErr(err error) string {
	if err == nil {
		return "unknown error"
	}
	return firstLine(err.Error())
}

func (a *api) note(item string, st Status, detail string) {
	a.notes = append(a.notes, ChecklistItem{Item: item, Status: st, Detail: detail})
}

func readInfo(a *api, info *base.Info) {
	if info == nil {
		return
	}
	a.title = strings.TrimSpace(info.Title)
	a.description = strings.TrimSpace(info.Description)
	a.version = strings.TrimSpace(info.Version)
}

// ---- OpenAPI 3 ----

func readV3(a *api, d *v3.Document) {
	readInfo(a, d.Info)
	if d.ExternalDocs != nil {
		a.docsURL = d.ExternalDocs.URL
	}
	if len(d.Servers) > 1 {
		a.note("Base URL", StatusOK, fmt.Sprintf("%d servers declared; the draft uses the first", len(d.Servers)))
	}
	if len(d.Servers) > 0 && d.Servers[0] != nil {
		s := d.Servers[0]
		a.baseURL = s.URL
		if s.Variables != nil {
			for name, v := range s.Variables.FromOldest() {
				if v == nil {
					continue
				}
				a.variables = append(a.variables, variable{name: name, def: v.Default, enum: v.Enum, description: v.Description})
			}
		}
	}
	if d.Components != nil && d.Components.SecuritySchemes != nil {
		for name, s := range d.Components.SecuritySchemes.FromOldest() {
			if s == nil {
				continue
			}
			sc := scheme{name: name, kind: s.Type, description: s.Description, in: s.In, paramName: s.Name, httpScheme: strings.ToLower(s.Scheme)}
			if f := s.Flows; f != nil {
				add := func(kind string, fl *v3.OAuthFlow) {
					if fl != nil {
						sc.flows = append(sc.flows, flow{kind: kind, authorizeURL: fl.AuthorizationUrl, tokenURL: fl.TokenUrl, scopes: scopeNames(fl.Scopes)})
					}
				}
				add("authorizationCode", f.AuthorizationCode)
				add("clientCredentials", f.ClientCredentials)
				add("implicit", f.Implicit)
				add("password", f.Password)
				add("deviceCode", f.Device)
			}
			a.schemes = append(a.schemes, sc)
		}
	}
	if c := d.Components; c != nil {
		if lc := c.GoLow(); lc != nil && lc.SecuritySchemes.Value != nil {
			keys := map[string]*yaml.Node{}
			for k := range lc.SecuritySchemes.Value.KeysFromOldest() {
				keys[k.Value] = k.KeyNode
			}
			inSourceOrder(a.schemes, keys)
		}
	}
	if d.Paths == nil || d.Paths.PathItems == nil {
		return
	}
	for path, item := range d.Paths.PathItems.FromOldest() {
		if item == nil {
			continue
		}
		for _, mo := range []struct {
			method string
			op     *v3.Operation
		}{{"GET", item.Get}, {"PUT", item.Put}, {"POST", item.Post}, {"DELETE", item.Delete}, {"OPTIONS", item.Options}, {"HEAD", item.Head}, {"PATCH", item.Patch}, {"TRACE", item.Trace}, {"QUERY", item.Query}} {
			if mo.op == nil {
				continue
			}
			a.total++
			if len(a.ops) >= maxOperations {
				continue
			}
			a.ops = append(a.ops, v3Operation(a, path, mo.method, item, mo.op))
		}
	}
}

func scopeNames(m *orderedmap.Map[string, string]) []string {
	if m == nil {
		return nil
	}
	var out []string
	for k := range m.KeysFromOldest() {
		out = append(out, k)
	}
	return out
}

func v3Operation(a *api, path, method string, item *v3.PathItem, o *v3.Operation) *operation {
	op := &operation{id: o.OperationId, summary: o.Summary, description: o.Description, method: method, path: path, tags: o.Tags}
	if op.summary == "" {
		op.summary = item.Summary
	}
	// Operation parameters override path-item ones of the same name and
	// location.
	seen := map[string]bool{}
	for _, list := range [][]*v3.Parameter{o.Parameters, item.Parameters} {
		for _, p := range list {
			if p == nil || p.Name == "" || seen[p.In+"\x00"+p.Name] {
				continue
			}
			seen[p.In+"\x00"+p.Name] = true
			sp := p.Schema
			if sp == nil && p.Content != nil {
				for _, mt := range p.Content.FromOldest() {
					if mt != nil {
						sp = mt.Schema
					}
					break
				}
			}
			sch := schemaOf(sp)
			pr := param{name: p.Name, in: p.In, description: p.Description, required: p.Required != nil && *p.Required}
			if p.In == "path" {
				pr.required = true
			}
			fillParam(&pr, sch)
			if pr.typ == connector.TypeArray && p.In == "query" {
				switch {
				case p.Style == "form" && p.Explode != nil && !*p.Explode:
					pr.style = "comma"
				case p.Style == "pipeDelimited", p.Style == "spaceDelimited", p.Style == "deepObject":
				default:
					pr.style = "repeat"
				}
			}
			op.params = append(op.params, pr)
		}
	}
	if rb := o.RequestBody; rb != nil && rb.Content != nil {
		op.body = v3Body(rb)
	}
	if o.Responses != nil {
		if r := successResponse(o.Responses.Codes, o.Responses.Default); r != nil {
			if r.Headers != nil {
				for h := range r.Headers.KeysFromOldest() {
					op.headersOut = append(op.headersOut, h)
				}
			}
			if r.Content != nil {
				if mt := pickJSON(r.Content); mt != nil {
					op.response = shapeOf(mt.Schema, 0)
				}
			}
		}
	}
	return op
}

// successResponse picks the response a caller reads: the lowest 2xx, else
// the default (nil when there is neither).
func successResponse[R any](codes *orderedmap.Map[string, R], def R) R {
	if codes != nil {
		var keys []string
		for k := range codes.KeysFromOldest() {
			if strings.HasPrefix(k, "2") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			return codes.GetOrZero(keys[0])
		}
	}
	return def
}

func pickJSON(content *orderedmap.Map[string, *v3.MediaType]) *v3.MediaType {
	var first *v3.MediaType
	for k, mt := range content.FromOldest() {
		if mt == nil {
			continue
		}
		if isJSON(k) {
			return mt
		}
		if first == nil {
			first = mt
		}
	}
	return first
}

func isJSON(mediaType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "*/*" || mt == "text/json"
}

func isForm(mediaType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	return strings.TrimSpace(mt) == "application/x-www-form-urlencoded"
}

// isMultipart reports a multipart/form-data body: its parts are fields
// and files.
func isMultipart(mediaType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	return strings.TrimSpace(mt) == "multipart/form-data"
}

// isOctetStream reports a body that is one file's bytes.
func isOctetStream(mediaType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	return strings.TrimSpace(mt) == "application/octet-stream"
}

func v3Body(rb *v3.RequestBody) *body {
	b := &body{required: rb.Required != nil && *rb.Required}
	var chosen *v3.MediaType
	for k, mt := range rb.Content.FromOldest() {
		if mt == nil {
			continue
		}
		switch {
		case isJSON(k):
			b.mediaType, b.encoding, chosen = k, connector.BodyJSON, mt
		case isForm(k) && chosen == nil:
			b.mediaType, b.encoding, chosen = k, connector.BodyForm, mt
		case isMultipart(k) && chosen == nil:
			b.mediaType, b.encoding, chosen = k, connector.BodyMultipart, mt
		case isOctetStream(k) && chosen == nil:
			b.mediaType, b.encoding, chosen = k, connector.BodyBinary, mt
		case b.mediaType == "":
			b.mediaType = k
		}
		if b.encoding == connector.BodyJSON {
			break
		}
	}
	if chosen == nil {
		return b // unsupported media type; the builder reports it
	}
	if b.encoding == connector.BodyBinary {
		fileBody(b, schemaOf(chosen.Schema))
		return b
	}
	bodyFromSchema(b, schemaOf(chosen.Schema))
	return b
}

// fileBody makes a body that is one file's bytes a single file input.
func fileBody(b *body, s *base.Schema) {
	whole := param{name: "file", in: "body", required: b.required, typ: connector.TypeFile}
	if s != nil {
		whole.description = s.Description
	}
	b.whole = &whole
}

// isFileSchema reports whether a schema describes a file's content: a
// binary string (OpenAPI 3.0's format: binary, 3.1's contentMediaType or
// contentEncoding, Swagger's type: file), or a list of them, which a
// multipart body sends as one part each.
func isFileSchema(s *base.Schema, depth int) bool {
	if s == nil || depth > 1 {
		return false
	}
	if s.Items != nil && s.Items.IsA() && (slices.Contains(s.Type, "array") || len(s.Type) == 0) {
		return isFileSchema(schemaOf(s.Items.A), depth+1)
	}
	if len(s.Type) > 0 && !slices.Contains(s.Type, "string") && !slices.Contains(s.Type, "file") {
		return false
	}
	return slices.Contains(s.Type, "file") || s.Format == "binary" || s.ContentMediaType != "" || s.ContentEncoding != ""
}

// bodyFromSchema turns an object schema into one input per property, and
// anything else into a single input that is the whole body.
func bodyFromSchema(b *body, s *base.Schema) {
	if s != nil && typeOf(s, 0) == connector.TypeObject && len(propsOf(s, 0)) > 0 {
		req := map[string]bool{}
		for _, r := range requiredOf(s, 0) {
			req[r] = true
		}
		for _, p := range propsOf(s, 0) {
			ps := schemaOf(p.proxy)
			if ps != nil && ps.ReadOnly != nil && *ps.ReadOnly {
				continue // the server writes it; a request never sends it
			}
			pr := param{name: p.name, in: "body", required: req[p.name]}
			fillParam(&pr, ps)
			if b.encoding == connector.BodyMultipart && isFileSchema(ps, 0) {
				pr.typ, pr.def, pr.enum = connector.TypeFile, nil, nil
			}
			b.props = append(b.props, pr)
		}
		return
	}
	if b.encoding == connector.BodyMultipart {
		// a multipart body is named parts: without properties there
		// is nothing to name them by
		b.encoding = ""
		return
	}
	whole := param{name: "body", in: "body", required: b.required}
	fillParam(&whole, s)
	if whole.typ == connector.TypeString && s == nil {
		whole.typ = connector.TypeObject
	}
	whole.def, whole.enum = nil, nil
	b.whole = &whole
}

type namedProxy struct {
	name  string
	proxy *base.SchemaProxy
}

// A schema walk visits at most this many schemas. allOf chains and nested
// properties fan out: a hostile file where each schema lists ten others
// would otherwise cost ten to the power of the depth.
const schemaBudget = 4000

// propsOf lists an object schema's properties, allOf members' included.
func propsOf(s *base.Schema, depth int) []namedProxy {
	budget := schemaBudget
	return propsWithin(s, depth, &budget)
}

func propsWithin(s *base.Schema, depth int, budget *int) []namedProxy {
	if s == nil || depth > maxSchemaHops || *budget <= 0 {
		return nil
	}
	*budget--
	var out []namedProxy
	seen := map[string]bool{}
	if s.Properties != nil {
		for k, v := range s.Properties.FromOldest() {
			if !seen[k] {
				seen[k] = true
				out = append(out, namedProxy{k, v})
			}
		}
	}
	for _, m := range s.AllOf {
		for _, p := range propsWithin(schemaOf(m), depth+1, budget) {
			if !seen[p.name] {
				seen[p.name] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func requiredOf(s *base.Schema, depth int) []string {
	budget := schemaBudget
	return requiredWithin(s, depth, &budget)
}

func requiredWithin(s *base.Schema, depth int, budget *int) []string {
	if s == nil || depth > maxSchemaHops || *budget <= 0 {
		return nil
	}
	*budget--
	out := append([]string(nil), s.Required...)
	for _, m := range s.AllOf {
		out = append(out, requiredWithin(schemaOf(m), depth+1, budget)...)
	}
	return out
}

// schemaOf resolves a proxy; an unresolvable (remote) reference is nil.
func schemaOf(p *base.SchemaProxy) *base.Schema {
	if p == nil {
		return nil
	}
	return p.Schema()
}

// shapeOf keeps what the builder needs of a response schema.
func shapeOf(p *base.SchemaProxy, depth int) *shape {
	budget := schemaBudget
	return shapeWithin(schemaOf(p), depth, &budget)
}

// shapeWithin keeps a schema's type and properties three levels down; the
// depth and the budget are also what stop circular schemas.
func shapeWithin(s *base.Schema, depth int, budget *int) *shape {
	sh := &shape{typ: typeOf(s, 0)}
	*budget--
	if s == nil {
		return sh
	}
	sh.description = s.Description
	if depth >= 3 || *budget <= 0 {
		return sh
	}
	switch sh.typ {
	case connector.TypeObject:
		for _, p := range propsWithin(s, 0, budget) {
			if *budget <= 0 {
				break
			}
			sh.props = append(sh.props, prop{name: p.name, shape: shapeWithin(schemaOf(p.proxy), depth+1, budget)})
		}
	case connector.TypeArray:
		if s.Items != nil && s.Items.IsA() {
			sh.items = shapeWithin(schemaOf(s.Items.A), depth+1, budget)
		}
	}
	return sh
}

// typeOf maps a schema's type to an input type. Without one it guesses from
// the shape; a schema that says nothing is a string.
func typeOf(s *base.Schema, depth int) connector.InputType {
	if s == nil || depth > maxSchemaHops {
		return connector.TypeString
	}
	for _, t := range s.Type {
		switch t {
		case "string", "file":
			return connector.TypeString
		case "integer":
			return connector.TypeInteger
		case "number":
			return connector.TypeNumber
		case "boolean":
			return connector.TypeBoolean
		case "object":
			return connector.TypeObject
		case "array":
			return connector.TypeArray
		}
	}
	switch {
	case s.Properties != nil && s.Properties.Len() > 0, s.AdditionalProperties != nil:
		return connector.TypeObject
	case s.Items != nil:
		return connector.TypeArray
	}
	for _, group := range [][]*base.SchemaProxy{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range group {
			if ms := schemaOf(m); ms != nil && (len(ms.Type) > 0 || ms.Properties != nil || ms.Items != nil || len(ms.AllOf) > 0) {
				return typeOf(ms, depth+1)
			}
		}
	}
	if len(s.Enum) > 0 {
		return connector.TypeString
	}
	return connector.TypeString
}

// fillParam sets type, enum, default and description from a schema.
func fillParam(p *param, s *base.Schema) {
	p.typ = typeOf(s, 0)
	if s == nil {
		return
	}
	if p.description == "" {
		p.description = s.Description
	}
	for _, n := range s.Enum {
		if v, ok := nodeValue(n, p.typ); ok {
			p.enum = append(p.enum, v)
		}
	}
	if s.Default != nil {
		if v, ok := nodeValue(s.Default, p.typ); ok {
			p.def = v
		}
	}
}

// nodeValue reads a scalar as the given type. It reads the text as
// written, so YAML 1.1 files work: an unquoted yes is true for a boolean
// and "yes" for a string, an unquoted date stays the text of the date.
func nodeValue(n *yaml.Node, t connector.InputType) (any, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return nil, false
	}
	return scalarAs(n.Value, t)
}

func scalarAs(text string, t connector.InputType) (any, bool) {
	switch t {
	case connector.TypeString:
		return text, true
	case connector.TypeBoolean:
		switch strings.ToLower(text) {
		case "true", "yes", "on", "y":
			return true, true
		case "false", "no", "off", "n":
			return false, true
		}
	case connector.TypeInteger:
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return i, true
		}
		if f, err := strconv.ParseFloat(text, 64); err == nil && f == float64(int64(f)) && f < 1<<53 && f > -(1<<53) {
			return int64(f), true
		}
	case connector.TypeNumber:
		if f, err := strconv.ParseFloat(text, 64); err == nil && !isInfNaN(f) {
			return f, true
		}
	}
	return nil, false
}

func isInfNaN(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// ---- Swagger 2.0 ----

func readSwagger(a *api, d *v2.Swagger) {
	readInfo(a, d.Info)
	if d.ExternalDocs != nil {
		a.docsURL = d.ExternalDocs.URL
	}
	if d.Host != "" {
		scheme := "https"
		if len(d.Schemes) > 0 && !containsFold(d.Schemes, "https") {
			scheme = strings.ToLower(d.Schemes[0])
		}
		a.baseURL = scheme + "://" + d.Host + strings.TrimRight(d.BasePath, "/")
	} else if d.BasePath != "" && d.BasePath != "/" {
		a.baseURL = strings.TrimRight(d.BasePath, "/")
	}
	if d.SecurityDefinitions != nil && d.SecurityDefinitions.Definitions != nil {
		for name, s := range d.SecurityDefinitions.Definitions.FromOldest() {
			if s == nil {
				continue
			}
			sc := scheme{name: name, kind: s.Type, description: s.Description, in: s.In, paramName: s.Name}
			if s.Type == "basic" {
				sc.kind, sc.httpScheme = "http", "basic"
			}
			if s.Type == "oauth2" {
				var scopes []string
				if s.Scopes != nil {
					scopes = scopeNames(s.Scopes.Values)
				}
				kind := map[string]string{"accessCode": "authorizationCode", "application": "clientCredentials", "implicit": "implicit", "password": "password"}[s.Flow]
				if kind == "" {
					kind = s.Flow
				}
				sc.flows = []flow{{kind: kind, authorizeURL: s.AuthorizationUrl, tokenURL: s.TokenUrl, scopes: scopes}}
			}
			a.schemes = append(a.schemes, sc)
		}
		if low := d.SecurityDefinitions.GoLow(); low != nil && low.Definitions != nil {
			keys := map[string]*yaml.Node{}
			for k := range low.Definitions.KeysFromOldest() {
				keys[k.Value] = k.KeyNode
			}
			inSourceOrder(a.schemes, keys)
		}
	}
	if d.Paths == nil || d.Paths.PathItems == nil {
		return
	}
	for path, item := range d.Paths.PathItems.FromOldest() {
		if item == nil {
			continue
		}
		for _, mo := range []struct {
			method string
			op     *v2.Operation
		}{{"GET", item.Get}, {"PUT", item.Put}, {"POST", item.Post}, {"DELETE", item.Delete}, {"OPTIONS", item.Options}, {"HEAD", item.Head}, {"PATCH", item.Patch}} {
			if mo.op == nil {
				continue
			}
			a.total++
			if len(a.ops) >= maxOperations {
				continue
			}
			a.ops = append(a.ops, swaggerOperation(d, path, mo.method, item, mo.op))
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func swaggerOperation(d *v2.Swagger, path, method string, item *v2.PathItem, o *v2.Operation) *operation {
	op := &operation{id: o.OperationId, summary: o.Summary, description: o.Description, method: method, path: path, tags: o.Tags}
	consumes := o.Consumes
	if len(consumes) == 0 {
		consumes = d.Consumes
	}
	seen := map[string]bool{}
	var form []param
	fileUpload := false
	for _, list := range [][]*v2.Parameter{o.Parameters, item.Parameters} {
		for _, p := range list {
			if p == nil || p.Name == "" || seen[p.In+"\x00"+p.Name] {
				continue
			}
			seen[p.In+"\x00"+p.Name] = true
			switch p.In {
			case "body":
				b := &body{mediaType: "application/json", encoding: connector.BodyJSON, required: p.Required != nil && *p.Required}
				if len(consumes) > 0 && !anyJSON(consumes) {
					b.mediaType, b.encoding = consumes[0], ""
					switch {
					case isForm(consumes[0]):
						b.encoding = connector.BodyForm
					case isOctetStream(consumes[0]):
						b.encoding = connector.BodyBinary
					}
				}
				switch b.encoding {
				case connector.BodyBinary:
					fileBody(b, schemaOf(p.Schema))
				case "":
				default:
					bodyFromSchema(b, schemaOf(p.Schema))
				}
				op.body = b
				continue
			}
			pr := param{name: p.Name, in: p.In, description: p.Description, required: p.Required != nil && *p.Required}
			if p.In == "path" {
				pr.required = true
			}
			pr.typ = swaggerType(p.Type)
			if p.Type == "file" && p.In == "formData" {
				fileUpload, pr.typ = true, connector.TypeFile
			}
			for _, n := range p.Enum {
				if v, ok := nodeValue(n, pr.typ); ok {
					pr.enum = append(pr.enum, v)
				}
			}
			if v, ok := nodeValue(p.Default, pr.typ); ok {
				pr.def = v
			}
			if pr.typ == connector.TypeArray {
				switch p.CollectionFormat {
				case "multi":
					pr.style = "repeat"
				case "", "csv":
					pr.style = "comma"
				}
			}
			if p.In == "formData" {
				pr.in = "body"
				form = append(form, pr)
				continue
			}
			op.params = append(op.params, pr)
		}
	}
	if len(form) > 0 && op.body == nil {
		b := &body{mediaType: "application/x-www-form-urlencoded", encoding: connector.BodyForm, props: form}
		if fileUpload || containsFold(consumes, "multipart/form-data") && !containsFold(consumes, "application/x-www-form-urlencoded") {
			b.mediaType, b.encoding = "multipart/form-data", connector.BodyMultipart
		}
		op.body = b
	}
	if o.Responses != nil {
		if r := successResponse(o.Responses.Codes, o.Responses.Default); r != nil {
			if r.Headers != nil {
				for h := range r.Headers.KeysFromOldest() {
					op.headersOut = append(op.headersOut, h)
				}
			}
			op.response = shapeOf(r.Schema, 0)
		}
	}
	return op
}

func anyJSON(list []string) bool {
	for _, m := range list {
		if isJSON(m) {
			return true
		}
	}
	return false
}

func swaggerType(t string) connector.InputType {
	switch t {
	case "integer":
		return connector.TypeInteger
	case "number":
		return connector.TypeNumber
	case "boolean":
		return connector.TypeBoolean
	case "array":
		return connector.TypeArray
	case "object":
		return connector.TypeObject
	}
	return connector.TypeString
}

// splitServerURL separates a URL's query from the rest.
func splitServerURL(raw string) (string, url.Values) {
	base, q, ok := strings.Cut(raw, "?")
	if !ok {
		return raw, nil
	}
	vals, _ := url.ParseQuery(q)
	return base, vals
}

// inSourceOrder sorts schemes as the file lists them. The parser builds
// these maps concurrently, so its order varies between runs; the file's
// order is the author's preference and the same every time.
func inSourceOrder(schemes []scheme, keys map[string]*yaml.Node) {
	pos := func(name string) int {
		if n := keys[name]; n != nil {
			return n.Line<<20 + n.Column
		}
		return 1 << 62
	}
	sort.SliceStable(schemes, func(i, j int) bool { return pos(schemes[i].name) < pos(schemes[j].name) })
}
