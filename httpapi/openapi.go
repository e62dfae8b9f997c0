package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"junction"
)

// openAPIDocument builds the OpenAPI 3.1 document from the route table: the
// same table the mux is built from, so the document cannot drift from the
// routes. Body schemas come from the Go types by reflection, using their
// JSON tags.
func (s *Server) openAPIDocument() ([]byte, error) {
	g := &schemaGen{schemas: map[string]any{}, names: map[reflect.Type]string{}}
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	var tagList []any
	for _, rt := range s.routes {
		item := paths[rt.path]
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		method := strings.ToLower(rt.method)
		if _, dup := item[method]; dup {
			return nil, fmt.Errorf("route %s registered twice", rt.pattern())
		}
		item[method] = g.operation(rt)
		if !tags[rt.tag] {
			tags[rt.tag] = true
			tagList = append(tagList, map[string]any{"name": rt.tag})
		}
	}
	problem := g.schema(reflect.TypeFor[Problem]())
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Junction API",
			"version": s.opts.Version,
			"description": "Junction's REST API. Every /api/v1 operation except this document needs " +
				"an API token as Authorization: Bearer <token>. Errors are RFC 9457 problem documents " +
				"whose code member is stable and whose type, /errors/{code} on this server, explains the code. Folders the caller cannot see, and everything in them, " +
				"answer 404 exactly like missing ones.",
		},
		"tags":     tagList,
		"paths":    paths,
		"security": []any{map[string]any{"bearerAuth": []any{}}},
		"components": map[string]any{
			"schemas": g.schemas,
			"responses": map[string]any{
				"Problem": map[string]any{
					"description": "An error, as an RFC 9457 problem document.",
					"content": map[string]any{
						"application/problem+json": map[string]any{"schema": problem},
					},
				},
			},
			"securitySchemes": map[string]any{
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "jct_ token"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

var pathParam = regexp.MustCompile(`\{([A-Za-z_]+)\}`)

func (g *schemaGen) operation(rt route) map[string]any {
	op := map[string]any{
		"operationId": rt.op,
		"summary":     rt.summary,
		"tags":        []any{rt.tag},
	}
	if rt.permission != "" {
		op["description"] = "Requires " + rt.permission + "."
		op["x-junction-permission"] = rt.permission
	}
	if rt.access.HostAdminTarget {
		d, _ := op["description"].(string)
		op["description"] = strings.TrimSpace(d + " A host administrator's account, roles and tokens are changed by host administrators only.")
	}
	op["x-junction-access"] = rt.access.document()
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{
			"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"},
		})
	}
	for _, q := range rt.query {
		schema := map[string]any{"type": "string"}
		switch q.format {
		case "integer":
			schema = map[string]any{"type": "integer", "minimum": 1}
		case "date-time":
			schema["format"] = "date-time"
		}
		params = append(params, map[string]any{
			"name": q.name, "in": "query", "description": q.description, "schema": schema,
		})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	problem := map[string]any{"$ref": "#/components/responses/Problem"}
	responses := map[string]any{"default": problem}
	if rt.response != nil {
		ok := map[string]any{
			"description": http.StatusText(rt.status),
			"content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.response))},
			},
		}
		if rt.fileAnswer {
			ok["content"].(map[string]any)["application/octet-stream"] = map[string]any{
				"schema": map[string]any{"type": "string", "format": "binary",
					"description": "The file an activity answered, with its own Content-Type, when Accept names that type or application/octet-stream and not application/json"},
			}
			ok["headers"] = map[string]any{ExecutionIDHeader: map[string]any{
				"description": "The execution's ID, when the answer is a file's bytes",
				"schema":      map[string]any{"type": "string"},
			}}
		}
		responses[strconv.Itoa(rt.status)] = ok
	} else {
		responses[strconv.Itoa(rt.status)] = map[string]any{"description": http.StatusText(rt.status)}
	}
	if rt.access.Scope == ScopePublic {
		op["security"] = []any{}
	} else {
		// 429: too many failed authentications from the caller's address.
		responses["401"], responses["429"] = problem, problem
	}
	if rt.request != nil {
		op["requestBody"] = map[string]any{
			"required": !rt.bodyOptional,
			"content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.request))},
			},
		}
		if rt.upload != nil {
			op["requestBody"].(map[string]any)["content"].(map[string]any)["multipart/form-data"] = map[string]any{"schema": rt.upload}
		}
		for _, status := range []string{"400", "413", "415", "422"} {
			responses[status] = problem
		}
	}
	if rt.permission != "" {
		responses["403"] = problem
	}
	if strings.Contains(rt.path, "{") {
		responses["404"] = problem
	}
	op["responses"] = responses
	return op
}

// schemaGen turns Go types into JSON Schemas, collecting named structs under
// components/schemas.
type schemaGen struct {
	schemas map[string]any
	names   map[reflect.Type]string
}

var (
	timeType       = reflect.TypeFor[time.Time]()
	permissionType = reflect.TypeFor[junction.Permission]()
	rawJSONType    = reflect.TypeFor[json.RawMessage]()
	secretType     = reflect.TypeFor[junction.Secret]()
	nullTimeType   = reflect.TypeFor[nullableTime]()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case nullTimeType:
		return map[string]any{"type": []any{"string", "null"}, "format": "date-time"}
	case permissionType:
		var all []any
		for _, p := range append(append([]junction.Permission{}, junction.FolderPermissions...), junction.TenantPermissions...) {
			all = append(all, string(p))
		}
		return map[string]any{"type": "string", "enum": all}
	case rawJSONType:
		return map[string]any{}
	case secretType:
		// Secrets go in as strings and never come back out.
		return map[string]any{"type": "string", "writeOnly": true}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t)
		}
		name, ok := g.names[t]
		if !ok {
			name = g.uniqueName(t)
			g.names[t] = name
			g.schemas[name] = map[string]any{} // placeholder against recursion
			g.schemas[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// uniqueName names a type's schema: its Go name, capitalised, with generic
// instantiations such as List[*junction.Folder] written as FolderList.
func (g *schemaGen) uniqueName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		arg := strings.TrimSuffix(name[i+1:], "]")
		arg = arg[strings.LastIndexAny(arg, ".*")+1:]
		name = arg + name[:i]
	}
	name = strings.ToUpper(name[:1]) + name[1:]
	base := name
	for n := 2; ; n++ {
		if _, taken := g.schemas[name]; !taken {
			return name
		}
		name = base + strconv.Itoa(n)
	}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []any
	g.addFields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// addFields adds t's JSON fields to props the way encoding/json sees them,
// flattening embedded structs.
func (g *schemaGen) addFields(t reflect.Type, props map[string]any, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.addFields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(ft)
		if format := f.Tag.Get("format"); format != "" {
			s["format"] = format
		}
		if d := f.Tag.Get("description"); d != "" {
			s["description"] = d
		}
		if typ, ok := s["type"].(string); ok && f.Tag.Get("nullable") == "true" {
			s["type"] = []any{typ, "null"}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && ft.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}
