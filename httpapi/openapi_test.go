package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"junction"
	"junction/httpapi"
)

func oasSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/oas-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const id = "https://spec.openapis.org/oas/3.1/schema/2021-05-20"
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The document is valid OpenAPI 3.1, names every route the mux serves and
// no other, and every $ref in it resolves.
func TestOpenAPI(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		r := e.must(http.StatusOK, "GET", "/api/v1/openapi.json", "", nil, nil)
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}

		t.Run("ValidOpenAPI31", func(t *testing.T) {
			schema := oasSchema(t)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Fatalf("the document is not valid OpenAPI 3.1: %v", err)
			}
			// The validator does reject broken documents, deep inside too.
			get := doc.(map[string]any)["paths"].(map[string]any)["/api/v1/folders"].(map[string]any)["get"].(map[string]any)
			get["parameters"] = append(get["parameters"].([]any), map[string]any{"name": "x", "in": "body", "schema": map[string]any{}})
			if err := schema.Validate(doc); err == nil {
				t.Fatal("a parameter in: body validated")
			}
			delete(doc.(map[string]any), "info")
			if err := schema.Validate(doc); err == nil {
				t.Fatal("a document without info validated")
			}
		})

		var doc struct {
			Paths      map[string]map[string]json.RawMessage `json:"paths"`
			Components map[string]map[string]json.RawMessage `json:"components"`
		}
		r.decode(t, &doc)

		t.Run("RoutesMatchTheMux", func(t *testing.T) {
			var documented []string
			for path, item := range doc.Paths {
				for method := range item {
					documented = append(documented, strings.ToUpper(method)+" "+path)
				}
			}
			registered := e.server.Routes()
			slices.Sort(documented)
			slices.Sort(registered)
			if !slices.Equal(documented, registered) {
				t.Fatalf("documented routes differ from registered ones:\ndocumented %v\nregistered %v", documented, registered)
			}
			// Every documented operation reaches a handler: without a token
			// the mux's own 404 and 405 never show, only 401 from the
			// route's authentication, or for public routes (security: [])
			// their own answer: 200, 400 for the OAuth callback called
			// without the provider's parameters, 404 for a webhook URL
			// whose token no trigger has.
			var public struct {
				Paths map[string]map[string]struct {
					Security *[]any `json:"security"`
				} `json:"paths"`
			}
			r.decode(t, &public)
			param := regexp.MustCompile(`\{[a-z_]+\}`)
			for _, pattern := range documented {
				method, path, _ := strings.Cut(pattern, " ")
				open := public.Paths[path][strings.ToLower(method)].Security != nil
				path = param.ReplaceAllString(path, "01890000-0000-7000-8000-000000000000")
				resp := e.call(method, path, "", nil)
				want := http.StatusUnauthorized
				switch {
				case path == "/oauth/callback":
					want = http.StatusBadRequest
				case strings.HasPrefix(path, "/hooks/"):
					want = http.StatusNotFound // no trigger has that token
				case open:
					want = http.StatusOK
				}
				if resp.status != want {
					t.Errorf("%s %s: %d, want %d", method, path, resp.status, want)
				}
			}
		})

		t.Run("AccessDeclared", func(t *testing.T) {
			var access struct {
				Paths map[string]map[string]struct {
					Security    *[]any          `json:"security"`
					Description string          `json:"description"`
					Raw         json.RawMessage `json:"x-junction-access"`
				} `json:"paths"`
			}
			r.decode(t, &access)
			byOp := map[string]httpapi.Operation{}
			for _, op := range e.server.Operations() {
				byOp[strings.ToLower(op.Method)+" "+op.Path] = op
			}
			for path, item := range access.Paths {
				for method, o := range item {
					op := byOp[method+" "+path]
					var got struct {
						Scope           string   `json:"scope"`
						Permissions     []string `json:"permissions"`
						HostAdminTarget bool     `json:"host_admin_target"`
					}
					if err := json.Unmarshal(o.Raw, &got); err != nil || got.Scope == "" {
						t.Errorf("%s %s: x-junction-access %s (%v)", method, path, o.Raw, err)
						continue
					}
					want := make([]string, len(op.Access.Permissions))
					for i, p := range op.Access.Permissions {
						want[i] = string(p)
					}
					if got.Scope != string(op.Access.Scope) || !slices.Equal(got.Permissions, want) ||
						got.HostAdminTarget != op.Access.HostAdminTarget {
						t.Errorf("%s %s: x-junction-access %s, want %+v", method, path, o.Raw, op.Access)
					}
					if (o.Security != nil) != (op.Access.Scope == httpapi.ScopePublic) {
						t.Errorf("%s %s: security %v for scope %s", method, path, o.Security, op.Access.Scope)
					}
					if op.Access.HostAdminTarget && !strings.Contains(o.Description, "host administrators only") {
						t.Errorf("%s %s: the description does not say who changes a host administrator: %q", method, path, o.Description)
					}
				}
			}
		})

		t.Run("RefsResolve", func(t *testing.T) {
			refs := regexp.MustCompile(`"\$ref":\s*"#/components/([A-Za-z]+)/([A-Za-z0-9._-]+)"`).FindAllStringSubmatch(string(r.body), -1)
			if len(refs) == 0 {
				t.Fatal("no $refs found")
			}
			for _, m := range refs {
				if _, ok := doc.Components[m[1]][m[2]]; !ok {
					t.Errorf("dangling $ref to %s/%s", m[1], m[2])
				}
			}
		})

		t.Run("MaxPagesDescribed", func(t *testing.T) {
			var req struct {
				Properties map[string]struct {
					Type        string `json:"type"`
					Description string `json:"description"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(doc.Components["schemas"]["ExecuteRequest"], &req); err != nil {
				t.Fatal(err)
			}
			mp := req.Properties["max_pages"]
			if mp.Type != "integer" || !strings.Contains(mp.Description, "list operation") || !strings.Contains(mp.Description, "activity whose definition declares pagination") {
				t.Fatalf("max_pages: %+v", mp)
			}
			var res struct {
				Properties map[string]struct {
					Type        string `json:"type"`
					Description string `json:"description"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(doc.Components["schemas"]["Result"], &res); err != nil {
				t.Fatal(err)
			}
			if p := res.Properties["pages"]; p.Type != "integer" || !strings.Contains(p.Description, "pages") {
				t.Fatalf("pages: %+v", p)
			}
			if tr := res.Properties["truncated"]; tr.Type != "boolean" || !strings.Contains(tr.Description, "max_pages") {
				t.Fatalf("truncated: %+v", tr)
			}
		})

		t.Run("NoSecretsInSchemas", func(t *testing.T) {
			var tokenSchema struct {
				Properties map[string]any `json:"properties"`
			}
			if err := json.Unmarshal(doc.Components["schemas"]["Token"], &tokenSchema); err != nil {
				t.Fatal(err)
			}
			if _, ok := tokenSchema.Properties["hash"]; ok || len(tokenSchema.Properties) == 0 {
				t.Fatalf("Token schema: %v", tokenSchema.Properties)
			}
		})
	})
}
