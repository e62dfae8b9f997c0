package httpapi_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/httpapi"
)

// someID is a well-formed ID no object has.
const someID = "01890000-0000-7000-8000-000000000000"

// A NUL character anywhere in a request (a body's string or member name,
// a path value, a query parameter) is refused as validation_failed naming
// where it is, on every route and on both databases, before it can reach
// PostgreSQL, which stores no NUL in text and answered 500.
func TestNULRefused(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		var doc struct {
			Paths map[string]map[string]struct {
				RequestBody *struct {
					Content map[string]struct {
						Schema struct {
							Ref string `json:"$ref"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
				Parameters []struct {
					Name string `json:"name"`
					In   string `json:"in"`
				} `json:"parameters"`
			} `json:"paths"`
			Components struct {
				Schemas map[string]struct {
					Properties map[string]struct {
						Type any `json:"type"`
					} `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/openapi.json", "", nil, &doc)
		param := regexp.MustCompile(`\{[a-z_]+\}`)

		refused := func(t *testing.T, method, path string, body any, field string) {
			t.Helper()
			r := e.call(method, path, e.admin, body)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("%s %s: status %d, want 422: %s", method, path, r.status, r.body)
			}
			if p := r.problem(t); p.Code != junction.EINVALID || p.Field != field {
				t.Fatalf("%s %s: code %q field %q, want %s naming %q", method, path, p.Code, p.Field, junction.EINVALID, field)
			}
		}

		t.Run("Bodies", func(t *testing.T) {
			n := 0
			for path, item := range doc.Paths {
				for method, op := range item {
					if op.RequestBody == nil {
						continue
					}
					ref := op.RequestBody.Content["application/json"].Schema.Ref
					schema, ok := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
					if !ok || len(schema.Properties) == 0 {
						t.Fatalf("%s %s: request schema %q has no properties", method, path, ref)
					}
					// A string member if there is one; the NUL is refused
					// whatever the member's type, before the body is typed.
					names := slices.Sorted(func(yield func(string) bool) {
						for name := range schema.Properties {
							if !yield(name) {
								return
							}
						}
					})
					field := names[0]
					for _, name := range names {
						if schema.Properties[name].Type == "string" {
							field = name
							break
						}
					}
					method := strings.ToUpper(method)
					target := param.ReplaceAllString(path, someID)
					refused(t, method, target, `{"`+field+`": "a\u0000b"}`, field)
					n++
				}
			}
			if n < 20 {
				t.Fatalf("only %d routes with a request body", n)
			}
		})

		t.Run("Nested", func(t *testing.T) {
			path := "/api/v1/connections/" + someID + "/execute"
			refused(t, "POST", path,
				`{"activity": "http_request", "input": {"body": {"list": [1, {"name": "x\u0000"}]}}}`, "input.body.list[1].name")
			refused(t, "POST", path, `{"activity": "http_request", "input": {"a\u0000b": 1}}`, `input.a\u0000b`)
			refused(t, "POST", path, `{"activity": "http_request", "input": {"tags": ["ok", "\u0000"]}}`, "input.tags[1]")
			// An escaped backslash before u0000 is no NUL: the body goes on
			// to the service, which finds no connection.
			if r := e.call("POST", path, e.admin, `{"activity": "x\\u0000"}`); r.status != http.StatusNotFound {
				t.Fatalf("escaped backslash: status %d, want 404: %s", r.status, r.body)
			}
		})

		t.Run("PathValues", func(t *testing.T) {
			for path, item := range doc.Paths {
				names := param.FindAllString(path, -1)
				if len(names) == 0 {
					continue
				}
				for method := range item {
					if method == "head" { // no body to read the problem from; the GET twin is checked
						continue
					}
					for i, name := range names {
						target := path
						for j, other := range names {
							v := someID
							if i == j {
								v = "a%00b"
							}
							target = strings.Replace(target, other, v, 1)
						}
						refused(t, strings.ToUpper(method), target, nil, strings.Trim(name, "{}"))
					}
				}
			}
		})

		t.Run("QueryParameters", func(t *testing.T) {
			for path, item := range doc.Paths {
				for method, op := range item {
					target := param.ReplaceAllString(path, someID)
					for _, p := range op.Parameters {
						if p.In == "query" {
							refused(t, strings.ToUpper(method), target+"?"+p.Name+"=a%00b", nil, p.Name)
						}
					}
				}
			}
			refused(t, "GET", "/api/v1/folders?x%00=1", nil, `x\u0000`)
		})
	})
}

// The problem answering a NUL names the field only: the value, which may
// be a secret, is not echoed.
func TestNULNotEchoed(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	r := e.call("POST", "/api/v1/assets", e.admin, `{"name": "a", "type": "secret", "value": "planted-secret\u0000"}`)
	var p httpapi.Problem
	r.decode(t, &p)
	if p.Field != "value" || strings.Contains(string(r.body), "planted-secret") {
		t.Fatalf("problem %s", r.body)
	}
}
