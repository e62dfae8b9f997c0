package importer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction/connector"
	"junction/importer"
)

// operationAt finds the activity or object operation sending method to
// path.
func operationAt(tb testing.TB, d *connector.Definition, method, path string) *connector.Operation {
	tb.Helper()
	for i := range d.Activities {
		if op := &d.Activities[i].Operation; op.Method == method && op.Path == path {
			return op
		}
	}
	for i := range d.Objects {
		for _, n := range connector.OperationNames {
			if op := d.Objects[i].Operations.ByName(n); op != nil && op.Method == method && op.Path == path {
				return op
			}
		}
	}
	tb.Fatalf("no operation %s %s", method, path)
	return nil
}

// wantInput checks an input's type and whether it is required.
func wantInput(tb testing.TB, op *connector.Operation, name string, typ connector.InputType, required bool) {
	tb.Helper()
	in := input(tb, op, name)
	if in.Type != typ || in.Required != required {
		tb.Errorf("%s %s input %s: type %s, required %v; want %s, %v", op.Method, op.Path, name, in.Type, in.Required, typ, required)
	}
}

func importText(tb testing.TB, text string) *importer.Result {
	tb.Helper()
	res, err := importer.Import([]byte(text), importer.Options{})
	if err != nil {
		tb.Fatalf("Import: %v", err)
	}
	validateLikeLoader(tb, res.Definition)
	return res
}

// File inputs come from each way a description marks a file: 3.0's
// format: binary, 3.1's contentMediaType and contentEncoding, Swagger's
// type: file; the body is multipart or binary as the media type says.
func TestImportFileInputs(t *testing.T) {
	t.Run("OpenAPI30", func(t *testing.T) {
		res := importText(t, `openapi: 3.0.3
info: {title: Docs, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /documents:
    post:
      operationId: uploadDocument
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary, description: The document.}
                attachments: {type: array, items: {type: string, format: binary}}
                title: {type: string}
                tags: {type: array, items: {type: string}}
                metadata: {type: object, properties: {owner: {type: string}}}
      responses: {"201": {description: created}}
  /documents/{id}/content:
    put:
      operationId: replaceContent
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses: {"204": {description: replaced}}
  /notes:
    post:
      operationId: createNote
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {text: {type: string}, blob: {type: string, format: binary}}}
          multipart/form-data:
            schema: {type: object, properties: {blob: {type: string, format: binary}}}
      responses: {"201": {description: created}}
`)
		d := res.Definition
		up := operationAt(t, d, "POST", "/documents")
		if up.BodyEncoding != connector.BodyMultipart {
			t.Errorf("upload body_encoding %q, want multipart", up.BodyEncoding)
		}
		wantInput(t, up, "file", connector.TypeFile, true)
		wantInput(t, up, "attachments", connector.TypeFile, false)
		wantInput(t, up, "title", connector.TypeString, false)
		wantInput(t, up, "tags", connector.TypeArray, false)
		wantInput(t, up, "metadata", connector.TypeObject, false)

		put := operationAt(t, d, "PUT", "/documents/{id}/content")
		if put.BodyEncoding != connector.BodyBinary || put.Body != nil {
			t.Errorf("binary body: encoding %q, body %v", put.BodyEncoding, put.Body)
		}
		wantInput(t, put, "file", connector.TypeFile, true)

		// JSON wins where a body may be either; a binary string in JSON
		// stays a string.
		note := operationAt(t, d, "POST", "/notes")
		if note.BodyEncoding != "" && note.BodyEncoding != connector.BodyJSON {
			t.Errorf("notes body_encoding %q, want JSON", note.BodyEncoding)
		}
		wantInput(t, note, "blob", connector.TypeString, false)
		if !hasCheck(res, "Request bodies", importer.StatusOK, "file inputs", "POST /documents", "PUT /documents/{id}/content") {
			t.Errorf("the checklist does not name the uploads: %+v", res.Checklist)
		}
	})

	t.Run("OpenAPI31", func(t *testing.T) {
		res := importText(t, `openapi: 3.1.0
info: {title: Media, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /images:
    post:
      operationId: uploadImage
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              required: [image]
              properties:
                image: {type: string, contentMediaType: image/png}
                thumbnail: {type: string, contentEncoding: base64}
                caption: {type: [string, "null"]}
      responses: {"201": {description: created}}
  /raw:
    post:
      operationId: uploadRaw
      requestBody:
        content:
          application/octet-stream:
            schema: {type: string, contentMediaType: application/octet-stream}
      responses: {"201": {description: created}}
`)
		if res.SourceFormat != importer.FormatOpenAPI31 {
			t.Errorf("format %q", res.SourceFormat)
		}
		d := res.Definition
		img := operationAt(t, d, "POST", "/images")
		if img.BodyEncoding != connector.BodyMultipart {
			t.Errorf("body_encoding %q, want multipart", img.BodyEncoding)
		}
		wantInput(t, img, "image", connector.TypeFile, true)
		wantInput(t, img, "thumbnail", connector.TypeFile, false)
		wantInput(t, img, "caption", connector.TypeString, false)
		raw := operationAt(t, d, "POST", "/raw")
		if raw.BodyEncoding != connector.BodyBinary {
			t.Errorf("body_encoding %q, want binary", raw.BodyEncoding)
		}
		wantInput(t, raw, "file", connector.TypeFile, false)
	})

	t.Run("Swagger2", func(t *testing.T) {
		res := importText(t, `swagger: "2.0"
info: {title: Files, version: "1"}
host: api.example.com
schemes: [https]
paths:
  /files:
    post:
      operationId: uploadFile
      consumes: [multipart/form-data]
      parameters:
        - {name: file, in: formData, type: file, required: true}
        - {name: folder, in: formData, type: string}
      responses: {"201": {description: created}}
  /blobs/{name}:
    put:
      operationId: putBlob
      consumes: [application/octet-stream]
      parameters:
        - {name: name, in: path, type: string, required: true}
        - {name: content, in: body, required: true, schema: {type: string, format: binary}}
      responses: {"201": {description: created}}
  /forms:
    post:
      operationId: submitForm
      consumes: [multipart/form-data]
      parameters:
        - {name: comment, in: formData, type: string}
      responses: {"201": {description: created}}
`)
		d := res.Definition
		up := operationAt(t, d, "POST", "/files")
		if up.BodyEncoding != connector.BodyMultipart {
			t.Errorf("body_encoding %q, want multipart", up.BodyEncoding)
		}
		wantInput(t, up, "file", connector.TypeFile, true)
		wantInput(t, up, "folder", connector.TypeString, false)
		blob := operationAt(t, d, "PUT", "/blobs/{name}")
		if blob.BodyEncoding != connector.BodyBinary {
			t.Errorf("body_encoding %q, want binary", blob.BodyEncoding)
		}
		wantInput(t, blob, "file", connector.TypeFile, true)
		form := operationAt(t, d, "POST", "/forms")
		if form.BodyEncoding != connector.BodyMultipart {
			t.Errorf("body_encoding %q, want multipart", form.BodyEncoding)
		}
		wantInput(t, form, "comment", connector.TypeString, false)
	})
}

// A Postman collection's form-data file fields and file bodies become
// file inputs too; a field's example value is not carried over.
func TestImportPostmanFileInputs(t *testing.T) {
	res := importText(t, `{
  "info": {"name": "Mail", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [
    {"name": "Send", "request": {"method": "POST", "url": "https://api.mail.example.com/messages",
      "body": {"mode": "formdata", "formdata": [
        {"key": "to", "type": "text", "value": "planted-recipient@example.com"},
        {"key": "attachment", "type": "file", "src": "a.pdf"},
        {"key": "attachment", "type": "file", "src": "b.pdf"}]}}},
    {"name": "Put object", "request": {"method": "PUT", "url": "https://api.mail.example.com/objects/:key",
      "body": {"mode": "file", "file": {"src": "c.bin"}}}}
  ]
}`)
	d := res.Definition
	send := operationAt(t, d, "POST", "/messages")
	if send.BodyEncoding != connector.BodyMultipart || len(send.Inputs) != 2 {
		t.Errorf("send: body_encoding %q, inputs %+v", send.BodyEncoding, send.Inputs)
	}
	wantInput(t, send, "to", connector.TypeString, false)
	wantInput(t, send, "attachment", connector.TypeFile, false)
	put := operationAt(t, d, "PUT", "/objects/{key}")
	if put.BodyEncoding != connector.BodyBinary {
		t.Errorf("put: body_encoding %q", put.BodyEncoding)
	}
	wantInput(t, put, "file", connector.TypeFile, true)
	if b, _ := json.Marshal(res); strings.Contains(string(b), "planted-recipient") {
		t.Error("a form field's example value reached the draft")
	}
}

// Box's description uploads a file as multipart/form-data (its
// attributes as a JSON part, then the file) and an upload session's
// chunk as application/octet-stream.
func TestImportBoxUploads(t *testing.T) {
	content, err := os.ReadFile(filepath.Join(specsDir(), "box.json"))
	if err != nil {
		t.Skipf("no spec corpus at %s (%v)", specsDir(), err)
	}
	res, err := importer.Import(content, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	validateLikeLoader(t, res.Definition)
	up := operationAt(t, res.Definition, "POST", "/files/content")
	if up.BodyEncoding != connector.BodyMultipart {
		t.Errorf("upload body_encoding %q, want multipart", up.BodyEncoding)
	}
	wantInput(t, up, "file", connector.TypeFile, true)
	wantInput(t, up, "attributes", connector.TypeObject, true)
	chunk := operationAt(t, res.Definition, "PUT", "/files/upload_sessions/{upload_session_id}")
	if chunk.BodyEncoding != connector.BodyBinary {
		t.Errorf("chunk body_encoding %q, want binary", chunk.BodyEncoding)
	}
	if a := operationAt(t, res.Definition, "POST", "/users/{user_id}/avatar"); a.BodyEncoding != connector.BodyMultipart {
		t.Errorf("avatar body_encoding %q, want multipart", a.BodyEncoding)
	} else {
		wantInput(t, a, "pic", connector.TypeFile, true)
	}
}
