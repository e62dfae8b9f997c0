package cli_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The CLI's client is written by hand over a generic call (method, path,
// JSON body), so nothing but a test keeps it in step with the server.
// Every request any CLI test sends is checked against the OpenAPI document
// the server publishes, which the server's own route table generates: the
// method and path must be an operation of the document, and each member of
// a JSON object body must be a property of the operation's request schema.
// A client command that drifts from the API fails here, in whichever test
// runs it.

// sentRequest is one request a CLI command sent.
type sentRequest struct {
	method, path string
	body         []byte
}

// requestLog collects the requests one test's commands sent.
type requestLog struct {
	mu   sync.Mutex
	sent []sentRequest
}

func (l *requestLog) record(r *http.Request, body []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, sentRequest{method: r.Method, path: r.URL.Path, body: body})
}

// checkAgainstOpenAPI fails the test for each sent request the document
// does not describe.
func checkAgainstOpenAPI(t *testing.T, serverURL string, log *requestLog) {
	t.Helper()
	resp, err := http.Get(serverURL + "/api/v1/openapi.json")
	if err != nil {
		t.Errorf("read the OpenAPI document: %v", err)
		return
	}
	defer resp.Body.Close()
	var doc openAPIDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Errorf("decode the OpenAPI document: %v", err)
		return
	}
	ops := doc.operations()
	log.mu.Lock()
	sent := append([]sentRequest(nil), log.sent...)
	log.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range sent {
		if !strings.HasPrefix(s.path, "/api/v1/") {
			continue // webhook intake, OAuth callbacks: not the client's API
		}
		op, ok := ops.find(s.method, s.path)
		if !ok {
			if key := s.method + " " + s.path; !seen[key] {
				seen[key] = true
				t.Errorf("the CLI sent %s %s, which the OpenAPI document has no operation for", s.method, s.path)
			}
			continue
		}
		var body map[string]json.RawMessage
		if len(s.body) == 0 || json.Unmarshal(s.body, &body) != nil || op.properties == nil {
			continue
		}
		for name := range body {
			if !op.properties[name] {
				if key := op.template + " " + name; !seen[key] {
					seen[key] = true
					t.Errorf("the CLI sent %q in the body of %s %s, which its request schema does not name", name, s.method, op.template)
				}
			}
		}
	}
}

type openAPISchema struct {
	Ref                  string                     `json:"$ref"`
	Type                 any                        `json:"type"`
	Properties           map[string]openAPISchema   `json:"properties"`
	AdditionalProperties any                        `json:"additionalProperties"`
	AllOf                []openAPISchema            `json:"allOf"`
	OneOf                []openAPISchema            `json:"oneOf"`
	AnyOf                []openAPISchema            `json:"anyOf"`
	Extra                map[string]json.RawMessage `json:"-"`
}

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		RequestBody *struct {
			Content map[string]struct {
				Schema openAPISchema `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]openAPISchema `json:"schemas"`
	} `json:"components"`
}

type describedOp struct {
	method, template string
	re               *regexp.Regexp
	// properties are the request body's members; nil when the schema
	// does not list them (free-form, or no body).
	properties map[string]bool
}

type describedOps []describedOp

func (d *openAPIDoc) operations() describedOps {
	var out describedOps
	for tmpl, methods := range d.Paths {
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$")
		for m, op := range methods {
			o := describedOp{method: strings.ToUpper(m), template: tmpl, re: re}
			if op.RequestBody != nil {
				if c, ok := op.RequestBody.Content["application/json"]; ok {
					o.properties = d.members(c.Schema, 0)
				}
			}
			out = append(out, o)
		}
	}
	// Literal paths before templated ones: /jobs/claim before /jobs/{id}.
	sort.Slice(out, func(i, j int) bool {
		return strings.Count(out[i].template, "{") < strings.Count(out[j].template, "{")
	})
	return out
}

// members lists the properties a schema names, following references and
// combinations; nil when it names none or allows any.
func (d *openAPIDoc) members(s openAPISchema, depth int) map[string]bool {
	if depth > 8 {
		return nil
	}
	if s.Ref != "" {
		return d.members(d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")], depth+1)
	}
	if b, ok := s.AdditionalProperties.(bool); (ok && b) || (!ok && s.AdditionalProperties != nil) {
		return nil
	}
	var out map[string]bool
	add := func(m map[string]bool) {
		if out == nil {
			out = map[string]bool{}
		}
		for k := range m {
			out[k] = true
		}
	}
	if len(s.Properties) > 0 {
		m := map[string]bool{}
		for k := range s.Properties {
			m[k] = true
		}
		add(m)
	}
	for _, group := range [][]openAPISchema{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range group {
			m := d.members(sub, depth+1)
			if m == nil {
				return nil
			}
			add(m)
		}
	}
	return out
}

func (ops describedOps) find(method, path string) (describedOp, bool) {
	for _, o := range ops {
		if o.method == method && o.re.MatchString(path) {
			return o, true
		}
	}
	return describedOp{}, false
}
