package connector_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"junction/connector"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(connector.Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("connector.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("connector.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// yamlToJSON converts a YAML document to the JSON value the schema
// validator expects.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchema(t *testing.T) {
	s := compileSchema(t)
	t.Run("BuiltinDefinitionsValidate", func(t *testing.T) {
		files, err := fs.Glob(connector.Builtin(), "*.yaml")
		if err != nil || len(files) == 0 {
			t.Fatalf("no built-in definitions: %v", err)
		}
		for _, f := range files {
			data, err := fs.ReadFile(connector.Builtin(), f)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(yamlToJSON(t, data)); err != nil {
				t.Errorf("%s does not match the schema: %v", f, err)
			}
		}
	})
	t.Run("RejectsWhatParseRejects", func(t *testing.T) {
		for name, doc := range map[string]string{
			"UnknownKey":         minimal + "colour: red\n",
			"UnknownAuthType":    strings.Replace(minimal, "type: bearer", "type: kerberos", 1),
			"BadPagination":      minimal + "objects:\n  - name: item\n    operations:\n      list: {method: GET, path: /items, pagination: {type: cursr}}\n",
			"CursorWithoutParam": minimal + "objects:\n  - name: item\n    operations:\n      list: {method: GET, path: /items, pagination: {type: cursor}}\n",
			"APIKeyWithoutName":  strings.Replace(minimal, "  - type: bearer\n", "  - type: api_key\n    in: header\n", 1),
			"ReservedActivity":   minimal + "activities:\n  - {name: http_request, method: GET, path: /x}\n",
			"SelectNoOptions":    minimal + "fields:\n  - {name: region, type: select}\n",
			"OldPollingKeys":     minimal + "objects:\n  - name: c\n    operations: {list: {method: GET, path: /c}}\n    events: [{name: created, polling: {cursor_field: created}}]\n",
			"PollingNoSource":    minimal + "objects:\n  - name: c\n    operations: {list: {method: GET, path: /c}}\n    events: [{name: created, polling: {interval: 5m}}]\n",
			"PollingBadChange":   minimal + "objects:\n  - name: c\n    id_field: id\n    operations: {list: {method: GET, path: /c}}\n    events: [{name: created, polling: {created: {path: t}, changes: [moved]}}]\n",
			"UnknownScheme":      minimal + "fields: [{name: s, type: secret}]\nwebhooks: {signature: {scheme: rsa, secret_field: s, header: X-Sig}}\n",
			"SignatureNoHeader":  minimal + "fields: [{name: s, type: secret}]\nwebhooks: {signature: {scheme: hmac_sha256, secret_field: s}}\n",
			"PayloadNoBody":      minimal + "fields: [{name: s, type: secret}]\nwebhooks: {signature: {scheme: hmac_sha256, secret_field: s, header: X-Sig, payload: \"{timestamp}\"}}\n",
			"TokenWithEncoding":  minimal + "fields: [{name: s, type: secret}]\nwebhooks: {signature: {scheme: token, secret_field: s, header: X-Token, encoding: hex}}\n",
			"HandshakeNoRespond": minimal + "webhooks: {handshake: [{match: [{path: type, values: [ping]}]}]}\n",
		} {
			if err := s.Validate(yamlToJSON(t, []byte(doc))); err == nil {
				t.Errorf("%s: schema accepted an invalid definition", name)
			}
			if _, err := connector.Parse([]byte(doc)); err == nil {
				t.Errorf("%s: Parse accepted an invalid definition", name)
			}
		}
	})
	t.Run("Copy", func(t *testing.T) {
		a := connector.Schema()
		a[0] = 'x'
		if connector.Schema()[0] == 'x' {
			t.Error("Schema returns shared bytes")
		}
	})
}

// minimal is the smallest valid definition; tests append to it.
const minimal = `key: example
display_name: Example
version: 1.0.0
base_url: https://api.example.com/v1
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
`
