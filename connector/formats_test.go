package connector_test

import (
	"encoding/json"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

const formatsHead = `key: formats
display_name: Formats
version: 1.0.0
base_url: https://api.example.com/v1
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
activities:
`

func TestValidateFormats(t *testing.T) {
	cases := map[string]struct{ activity, want string }{
		"FileInJSONBody": {`
  - name: a
    method: POST
    path: /a
    inputs:
      - {name: f, type: file, required: true}`, "a file input needs body_encoding multipart, multipart_related or binary"},
		"FileInQuery": {`
  - name: a
    method: POST
    path: /a
    body_encoding: multipart
    inputs:
      - {name: f, type: file, in: query}`, "a file input goes in the body"},
		"BinaryTwoFiles": {`
  - name: a
    method: POST
    path: /a
    body_encoding: binary
    inputs:
      - {name: f, type: file}
      - {name: g, type: file}`, "a binary body takes exactly one file input"},
		"BinaryWithBodyInput": {`
  - name: a
    method: POST
    path: /a
    body_encoding: binary
    inputs:
      - {name: f, type: file}
      - {name: note, type: string}`, "a binary body takes exactly one file input"},
		"RelatedWithoutFile": {`
  - name: a
    method: POST
    path: /a
    body_encoding: multipart_related
    inputs:
      - {name: name, type: string}`, "a multipart_related body takes exactly one file input"},
		"BaseURLTemplate": {`
  - name: a
    method: GET
    path: /a
    base_url: https://{host}/v1`, "base_url"},
		"BaseURLHTTP": {`
  - name: a
    method: GET
    path: /a
    base_url: http://upload.example.com/v1`, "base_url"},
		"OutputFileWithOutputs": {`
  - name: a
    method: GET
    path: /a
    output_file: {}
    outputs:
      - {name: x, type: string, path: x}`, "a file answer has no records, outputs or pagination"},
		"JSONHeaderUnknownInput": {`
  - name: a
    method: POST
    path: /a
    json_headers:
      Arg: {path: "{nope}"}`, "nope"},
		"UnknownEncoding": {`
  - name: a
    method: POST
    path: /a
    body_encoding: xml`, "body_encoding"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := connector.Parse([]byte(formatsHead + strings.TrimPrefix(tc.activity, "\n") + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		mustParse(t, formatsHead+`  - name: upload
    method: POST
    path: /upload
    base_url: https://upload.example.com/v1
    body_encoding: binary
    json_headers:
      Arg: {path: "{path}", tags: ["{tag}"]}
    inputs:
      - {name: file, type: file, required: true}
      - {name: path, type: string, required: true}
      - {name: tag, type: string}
  - name: download
    method: GET
    path: /files/{id}
    output_file: {filename: "{id}.bin"}
    inputs:
      - {name: id, type: string, required: true}
`)
	})
}

func TestFileInputs(t *testing.T) {
	d := mustParse(t, formatsHead+`  - name: send
    method: POST
    path: /send
    body_encoding: multipart
    inputs:
      - {name: file, type: file, required: true}
      - {name: meta, type: object}
  - name: records
    method: POST
    path: /records
    body_encoding: ndjson
    body: "{records}"
    inputs:
      - {name: records, type: array, required: true}
`)
	cred := connector.Credentials{Secrets: secrets("token", "t-1")}
	bad := map[string]any{
		"NotAnObject":   "aGVsbG8=",
		"NoContent":     map[string]any{"filename": "a.txt"},
		"BadBase64":     map[string]any{"content": "%%%"},
		"SlashInName":   map[string]any{"content": "", "filename": "../etc/passwd"},
		"QuoteInName":   map[string]any{"content": "", "filename": `a".txt`},
		"BadType":       map[string]any{"content": "", "content_type": "not a type"},
		"TypeWithCRLF":  map[string]any{"content": "", "content_type": "text/plain; a=\"x\r\nX-Injected: y\""},
		"UnknownMember": map[string]any{"content": "", "path": "/x"},
		"ListOfStrings": []any{"aGVsbG8="},
	}
	for name, v := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := d.BuildActivity(cred, "send", map[string]any{"file": v})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(fieldOf(err), "input.file") {
				t.Errorf("error %v names %q, want input.file", err, fieldOf(err))
			}
		})
	}
	t.Run("UnpaddedBase64AndObjectField", func(t *testing.T) {
		r, err := d.BuildActivity(cred, "send", map[string]any{"file": map[string]any{"content": "aGk"}, "meta": map[string]any{"a": 1}})
		if err != nil {
			t.Fatal(err)
		}
		wantParts(t, readParts(t, r, "multipart/form-data"), []part{
			{name: "meta", body: `{"a":1}`},
			{name: "file", filename: "file", contentType: "application/octet-stream", body: "hi"},
		})
		// A logged request names the body's size and type, not the file.
		if s := r.String(); strings.Contains(s, "hi\r\n") || !strings.Contains(s, "bytes of multipart/form-data") {
			t.Errorf("String() = %s", s)
		}
	})
	// A file output, size and all, can be sent on as an input.
	t.Run("OutputAsInput", func(t *testing.T) {
		var in map[string]any
		out, _ := json.Marshal(&connector.File{Filename: "a.txt", ContentType: "text/plain", Size: 2, Content: []byte("hi")})
		if err := json.Unmarshal(out, &in); err != nil {
			t.Fatal(err)
		}
		r, err := d.BuildActivity(cred, "send", map[string]any{"file": in})
		if err != nil {
			t.Fatal(err)
		}
		wantParts(t, readParts(t, r, "multipart/form-data"), []part{{name: "file", filename: "a.txt", contentType: "text/plain", body: "hi"}})
	})
	t.Run("NDJSONNeedsArray", func(t *testing.T) {
		_, err := d.BuildActivity(cred, "records", map[string]any{"records": "x"})
		if fieldOf(err) != "input.records" {
			t.Errorf("got %v", err)
		}
	})
}

// fieldOf is the field a validation error names, or "".
func fieldOf(err error) string {
	var je *junction.Error
	if !asError(err, &je) {
		return ""
	}
	return je.Field
}
