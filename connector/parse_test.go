package connector_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"junction"
	"junction/connector"
)

func problems(t *testing.T, doc string) []connector.Problem {
	t.Helper()
	_, err := connector.Parse([]byte(doc))
	var de *connector.DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("Parse: got %v, want a *DefinitionError", err)
	}
	return de.Problems
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		path string // where the problem is reported
		msg  string // part of the message
	}{
		{"UnknownKey", minimal + "colour: red\n", "", "unknown key colour"},
		{"UnknownNestedKey", minimal + "test: {path: /me, expect: 200}\n", "", "unknown key expect"},
		{"MissingKey", strings.Replace(minimal, "key: example\n", "", 1), "key", "is required"},
		{"BadKey", strings.Replace(minimal, "key: example", "key: Example!", 1), "key", "lowercase letter"},
		{"NoAuth", strings.Replace(minimal, "auth:\n  - type: bearer\n    fields:\n      - {name: token, type: secret, required: true}\n", "auth: []\n", 1), "auth", "at least one"},
		{"UnknownAuthType", strings.Replace(minimal, "type: bearer", "type: kerberos", 1), "auth[0].type", `unknown value "kerberos"`},
		{"AttributeOfOtherAuthType", strings.Replace(minimal, "  - type: bearer\n", "  - type: bearer\n    token_url: https://x.example.com/token\n", 1), "auth[0].token_url", "does not apply to type bearer"},
		{"AuthTemplateUndeclared", strings.Replace(minimal, "  - type: bearer\n", "  - type: bearer\n    token: \"{api_token}\"\n", 1), "auth[0].token", `undeclared field "api_token"`},
		{"DuplicateAuth", minimal + "  - type: bearer\n", "auth[1].id", "distinct ids"},
		{"APIKeyIn", strings.Replace(minimal, "  - type: bearer\n", "  - type: api_key\n    in: cookie\n    name: k\n    value: \"{token}\"\n", 1), "auth[0].in", "header, query"},
		{"BaseURLUndeclared", strings.Replace(minimal, "https://api.example.com/v1", "https://{tenant}.example.com", 1), "base_url", `undeclared field "tenant"`},
		{"BaseURLSecret", strings.Replace(minimal, "https://api.example.com/v1", "https://{tenant}.example.com", 1) + "fields:\n  - {name: tenant, type: secret}\n", "base_url", "secrets may only be used by auth"},
		{"BaseURLNotURL", strings.Replace(minimal, "https://api.example.com/v1", "ftp://example.com", 1), "base_url", "https:// or http:// URL"},
		{"SecretInHeader", minimal + "fields:\n  - {name: key, type: secret}\nheaders: {X-Key: \"{key}\"}\n", "headers.X-Key", "secrets may only be used by auth"},
		{"SelectWithoutOptions", minimal + "fields:\n  - {name: region, type: select}\n", "fields[0].options", "is required"},
		{"DefaultNotOption", minimal + "fields:\n  - {name: region, type: select, default: mars, options: [{value: eu}]}\n", "fields[0].default", "not one of the options"},
		{"DuplicateField", minimal + "fields:\n  - {name: token, type: text}\n", "auth[0].fields[0].name", "already a shared connection field"},
		{"TestPathUndeclared", minimal + "test: {path: \"/users/{user}\"}\n", "test.path", `undeclared field "user"`},
		{"PathParamMissing", minimal + "objects:\n  - name: item\n    operations:\n      get: {method: GET, path: \"/items/{id}\"}\n", "objects[0].operations.get.path", "placeholder {id} is neither a path input nor a connection field"},
		{"PathInputNotInPath", minimal + "objects:\n  - name: item\n    operations:\n      get: {method: GET, path: /items, inputs: [{name: id, type: string, in: path, required: true}]}\n", "objects[0].operations.get.inputs[0].in", "does not appear in the path"},
		{"OptionalPathInput", minimal + "objects:\n  - name: item\n    operations:\n      get: {method: GET, path: \"/items/{id}\", inputs: [{name: id, type: string}]}\n", "objects[0].operations.get.inputs[0].required", "must be required"},
		{"BadPaginationType", minimal + "objects:\n  - name: a\n    operations: {get: {method: GET, path: /a}}\n  - name: b\n    operations: {get: {method: GET, path: /b}}\n  - name: c\n    operations:\n      list: {method: GET, path: /c, pagination: {type: cursr}}\n", "objects[2].operations.list.pagination.type", `unknown value "cursr"`},
		{"CursorNeedsParam", minimal + "objects:\n  - name: c\n    operations:\n      list: {method: GET, path: /c, pagination: {type: cursor, next_cursor_path: next}}\n", "objects[0].operations.list.pagination.cursor_param", "is required"},
		{"PaginationOnGet", minimal + "objects:\n  - name: c\n    operations:\n      get: {method: GET, path: /c, pagination: {type: link_header}}\n", "objects[0].operations.get.pagination", "only list operations page"},
		{"BadMethod", minimal + "activities:\n  - {name: x, method: FETCH, path: /x}\n", "activities[0].method", `unknown value "FETCH"`},
		{"BodyOnGet", minimal + "activities:\n  - {name: x, method: GET, path: /x, body: {a: b}}\n", "activities[0].body", "GET requests have no body"},
		{"BodyTemplateUndeclared", minimal + "activities:\n  - {name: x, method: POST, path: /x, body: {a: \"{nope}\"}}\n", "activities[0].body", `undeclared field "nope"`},
		{"UnknownInputType", minimal + "activities:\n  - {name: x, method: POST, path: /x, inputs: [{name: n, type: text}]}\n", "activities[0].inputs[0].type", `unknown value "text"`},
		{"DefaultWrongType", minimal + "activities:\n  - {name: x, method: POST, path: /x, inputs: [{name: n, type: integer, default: many}]}\n", "activities[0].inputs[0].default", "does not match type integer"},
		{"ReservedActivity", minimal + "activities:\n  - {name: http_request, method: GET, path: /x}\n", "activities[0].name", "built-in generic activity"},
		{"DuplicateActivity", minimal + "activities:\n  - {name: x, method: GET, path: /x}\n  - {name: x, method: GET, path: /y}\n", "activities[1].name", `duplicate activity "x"`},
		{"DotDotPath", minimal + "activities:\n  - {name: x, method: GET, path: /a/../b}\n", "activities[0].path", "'..'"},
		{"AuthFailureEmptyMatch", minimal + "auth_failure: {body: [{match: []}]}\n", "auth_failure.body[0].match", "at least one item"},
		{"EventWithoutSource", minimal + "objects:\n  - name: c\n    operations: {list: {method: GET, path: /c}}\n    events: [{name: created}]\n", "objects[0].events[0]", "needs one of: polling, webhook"},
		{"EventBadInterval", minimal + "objects:\n  - name: c\n    operations: {list: {method: GET, path: /c}}\n    events: [{name: created, polling: {interval: often}}]\n", "objects[0].events[0].polling.interval", "positive duration"},
		{"TwoDocuments", minimal + "---\nkey: other\n", "", "exactly one YAML document"},
		{"Empty", "", "", "empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := problems(t, tc.doc)
			for _, p := range probs {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
}

func TestParseCollectsAllProblems(t *testing.T) {
	doc := `key: Bad Key
display_name: ""
version: 1
base_url: https://{tenant}.example.com
auth:
  - type: kerberos
objects:
  - name: item
    operations:
      list: {method: GET, path: "/items/{id}", pagination: {type: page}}
`
	probs := problems(t, doc)
	want := []string{"key", "display_name", "base_url", "auth[0].type", "objects[0].operations.list.path", "objects[0].operations.list.pagination.page_param"}
	got := map[string]bool{}
	for _, p := range probs {
		got[p.Path] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing problem at %s; got %v", w, probs)
		}
	}
}

func TestParseAcceptsMinimal(t *testing.T) {
	d := mustParse(t, minimal)
	if d.Key != "example" || !d.HTTPRequestEnabled() {
		t.Fatalf("got %+v", d)
	}
	d = mustParse(t, minimal+"http_request: false\n")
	if d.HTTPRequestEnabled() {
		t.Error("http_request: false left the generic activity on")
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Run("Builtin", func(t *testing.T) {
		c := mustCatalog(t)
		var keys []string
		for _, d := range c.List() {
			keys = append(keys, d.Key)
			if d.Source == "" {
				t.Errorf("%s has no source", d.Key)
			}
		}
		// Every file of the catalog, ordered by key, each named after its key.
		files, err := fs.Glob(connector.Builtin(), "*.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range files {
			files[i] = strings.TrimSuffix(f, ".yaml")
		}
		if got, want := strings.Join(keys, " "), strings.Join(files, " "); got != want || len(keys) < 12 {
			t.Errorf("List() = %s, want %s", got, want)
		}
		for _, d := range c.List() {
			// The generic connector cannot know a test; a receive-only one
			// sends nothing to test.
			if d.Key != "http" && d.BaseURL != "" && d.Test == nil {
				t.Errorf("%s has no connection test", d.Key)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := mustCatalog(t).Get("nope")
		if !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("got %v, want not_found", err)
		}
	})
	t.Run("ExtraDir", func(t *testing.T) {
		dir := t.TempDir()
		extra := strings.Replace(minimal, "key: example", "key: acme", 1)
		if err := os.WriteFile(filepath.Join(dir, "acme.yml"), []byte(extra), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a definition"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := connector.LoadCatalog(connector.Builtin(), dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Get("acme")
		if err != nil {
			t.Fatal(err)
		}
		if d.Source != filepath.Join(dir, "acme.yml") {
			t.Errorf("Source = %s", d.Source)
		}
	})
	t.Run("ErrDuplicateKeyAndBadFiles", func(t *testing.T) {
		builtin := fstest.MapFS{
			"a.yaml": {Data: []byte(minimal)},
			"b.yaml": {Data: []byte(minimal)},
			"c.yaml": {Data: []byte(minimal + "objects:\n  - name: x\n    operations:\n      list: {method: GET, path: /x, pagination: {type: cursr}}\n")},
		}
		_, err := connector.LoadCatalog(builtin, "")
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		for _, want := range []string{
			`builtin/b.yaml: invalid connector definition`,
			`key: connector "example" is already defined in builtin/a.yaml`,
			`builtin/c.yaml: invalid connector definition`,
			`objects[0].operations.list.pagination.type: unknown value "cursr"`,
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("error lacks %q:\n%s", want, msg)
			}
		}
	})
	t.Run("ErrMissingDir", func(t *testing.T) {
		if _, err := connector.LoadCatalog(nil, filepath.Join(t.TempDir(), "missing")); err == nil {
			t.Fatal("no error for a missing directory")
		}
	})
}

// TestParseEnforcesThePublishedSchema checks rules that only the published
// JSON Schema states: Parse must refuse what the schema refuses, since it
// runs that schema.
func TestParseEnforcesThePublishedSchema(t *testing.T) {
	s := compileSchema(t)
	for name, doc := range map[string]string{
		"HeaderNotString":   minimal + "headers: {X-Api-Version: 2}\n",
		"NegativePageSize":  minimal + "objects:\n  - name: item\n    operations:\n      list: {method: GET, path: /items, pagination: {type: page, page_param: p, page_size: -1}}\n",
		"BadScopeSeparator": strings.Replace(minimal, "  - type: bearer\n", "  - type: oauth2_client_credentials\n    token_url: https://example.com/token\n    client_id: '{client_id}'\n    scope_separator: ';'\n", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if s.Validate(yamlToJSON(t, []byte(doc))) == nil {
				t.Fatal("the schema accepts the document; the case tests nothing")
			}
			if _, err := connector.Parse([]byte(doc)); err == nil {
				t.Fatal("Parse accepted a document the published schema refuses")
			}
		})
	}
}
