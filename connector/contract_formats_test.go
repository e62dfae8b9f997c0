package connector_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// The uploads and downloads of the catalog, each checked against the
// vendor's reference page named above it. Multipart bodies have a random
// boundary, so they are parsed and checked part by part.

// fileJSON is a file input as a caller gives it.
func fileJSON(name, contentType, content string) map[string]any {
	return map[string]any{"content": base64.StdEncoding.EncodeToString([]byte(content)), "filename": name, "content_type": contentType}
}

// part is one part of a multipart body as the test expects it.
type part struct {
	name, filename, contentType, body string
}

// readParts parses a multipart body of the request, checking its media type.
func readParts(t *testing.T, r *connector.Request, wantType string) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != wantType || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q, want %s with a boundary", r.Header.Get("Content-Type"), wantType)
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	var out []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, part{name: p.FormName(), filename: p.FileName(), contentType: p.Header.Get("Content-Type"), body: string(b)})
	}
}

func wantParts(t *testing.T, got, want []part) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d parts %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func build(t *testing.T, key string, cred connector.Credentials, activity string, input map[string]any) *connector.Request {
	t.Helper()
	r, err := mustDefinition(t, key).BuildActivity(cred, activity, input)
	if err != nil {
		t.Fatalf("build %s.%s: %v", key, activity, err)
	}
	return r
}

func TestContractDropboxFiles(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "sl.example")}
	const content = "https://content.dropboxapi.com/2"
	runContract(t, "dropbox", cred, []contractCase{
		// https://www.dropbox.com/developers/documentation/http/documentation#files-upload
		{name: "Upload", kind: "activity", activity: "upload",
			input: map[string]any{"file": fileJSON("2026-04.pdf", "application/pdf", "%PDF-1.4 example"), "path": "/Invoices/2026-04.pdf", "mode": "overwrite", "autorename": false},
			want: "POST " + content + "/files/upload\nAccept: application/json\nAuthorization: Bearer sl.example" +
				"\nContent-Type: application/octet-stream" +
				"\nDropbox-Api-Arg: " + `{"autorename":false,"mode":"overwrite","path":"/Invoices/2026-04.pdf"}` +
				"\n\n%PDF-1.4 example"},
		// The argument header is "HTTP header safe" JSON: non-ASCII escaped.
		{name: "UploadNonASCII", kind: "activity", activity: "upload",
			input: map[string]any{"file": fileJSON("x.txt", "text/plain", "hi"), "path": "/Übersicht/€.txt"},
			want: "POST " + content + "/files/upload\nAccept: application/json\nAuthorization: Bearer sl.example" +
				"\nContent-Type: application/octet-stream" +
				"\nDropbox-Api-Arg: " + `{"path":"/\u00dcbersicht/\u20ac.txt"}` + "\n\nhi"},
		// https://www.dropbox.com/developers/documentation/http/documentation#files-download
		{name: "Download", kind: "activity", activity: "download", retrySafe: true,
			input: map[string]any{"path": "/Invoices/2026-04.pdf"},
			want: "POST " + content + "/files/download\nAccept: */*\nAuthorization: Bearer sl.example" +
				"\nDropbox-Api-Arg: " + `{"path":"/Invoices/2026-04.pdf"}`},
	})
	t.Run("DownloadAnswer", func(t *testing.T) {
		r := build(t, "dropbox", cred, "download", map[string]any{"path": "/Invoices/2026-04.pdf"})
		f := r.FileResult(connector.Response{StatusCode: 200, Body: []byte("%PDF"), Header: http.Header{
			"Content-Type":       {"application/octet-stream"},
			"Dropbox-Api-Result": {`{"name": "2026-04.pdf", "size": 4}`},
		}})
		if f.Filename != "2026-04.pdf" || f.ContentType != "application/octet-stream" || string(f.Content) != "%PDF" {
			t.Errorf("file = %v", f)
		}
	})
	t.Run("UploadNeedsFile", func(t *testing.T) {
		_, err := mustDefinition(t, "dropbox").BuildActivity(cred, "upload", map[string]any{"path": "/a.txt"})
		wantInvalid(t, err, "input.file")
	})
}

// https://docs.pinecone.io/reference/api/2026-04/data-plane/upsert_records
func TestContractPineconeRecords(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"index_host": "docs-abc1234.svc.aped-4627-b74a.pinecone.io"}, Secrets: secrets("api_key", "pcsk_example")}
	runContract(t, "pinecone", cred, []contractCase{
		{name: "UpsertRecords", kind: "activity", activity: "upsert_records", retrySafe: true,
			input: map[string]any{"namespace": "example-namespace", "records": []any{
				map[string]any{"_id": "rec1", "chunk_text": "Apples are a great source of dietary fiber.", "category": "nutrition"},
				map[string]any{"_id": "rec2", "chunk_text": "The Eiffel Tower was completed in 1889.", "category": "history"},
			}},
			want: "POST https://docs-abc1234.svc.aped-4627-b74a.pinecone.io/records/namespaces/example-namespace/upsert" +
				"\nAccept: application/json\nApi-Key: pcsk_example\nContent-Type: application/x-ndjson\nX-Pinecone-Api-Version: 2026-04\n\n" +
				`{"_id":"rec1","category":"nutrition","chunk_text":"Apples are a great source of dietary fiber."}` + "\n" +
				`{"_id":"rec2","category":"history","chunk_text":"The Eiffel Tower was completed in 1889."}` + "\n"},
	})
}

// https://developers.google.com/workspace/drive/api/guides/manage-uploads#multipart
func TestContractGoogleDriveUpload(t *testing.T) {
	r := build(t, "google-drive", googleCred(), "upload_file", map[string]any{
		"file": fileJSON("notes.txt", "text/plain", "Meeting notes"), "name": "Notes", "parent_id": "1AbC",
	})
	const want = "https://www.googleapis.com/upload/drive/v3/files?fields=id%2Cname%2CmimeType%2Cparents%2Csize%2CwebViewLink&supportsAllDrives=true&uploadType=multipart"
	if r.Method != "POST" || r.URL.String() != want {
		t.Errorf("request = %s %s, want POST %s", r.Method, r.URL, want)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer ya29.example" {
		t.Errorf("Authorization = %q", got)
	}
	wantParts(t, readParts(t, r, "multipart/related"), []part{
		{contentType: "application/json; charset=UTF-8", body: `{"name":"Notes","parents":["1AbC"]}`},
		{contentType: "text/plain", body: "Meeting notes"},
	})
	t.Run("Download", func(t *testing.T) {
		r := build(t, "google-drive", googleCred(), "download_file", map[string]any{"fileId": "1bin"})
		f := r.FileResult(connector.Response{StatusCode: 200, Body: []byte{0x89, 'P', 'N', 'G'}, Header: http.Header{"Content-Type": {"image/png"}}})
		if f.ContentType != "image/png" || len(f.Content) != 4 || f.Filename != "" {
			t.Errorf("file = %v", f)
		}
	})
}

// https://developer.box.com/reference/post-files-content/
func TestContractBoxUpload(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "box-example")}
	r := build(t, "box", cred, "upload_file", map[string]any{
		"file": fileJSON("Contract.pdf", "application/pdf", "%PDF-1.7"), "name": "Contract.pdf", "parent_id": "11446498",
	})
	if want := "https://upload.box.com/api/2.0/files/content"; r.Method != "POST" || r.URL.String() != want {
		t.Errorf("request = %s %s, want POST %s", r.Method, r.URL, want)
	}
	// https://developer.box.com/reference/get-files-id-content/
	runContract(t, "box", cred, []contractCase{
		{name: "Download", kind: "activity", activity: "download_file", retrySafe: true, input: map[string]any{"file_id": "12345", "version": "456"},
			want: "GET https://api.box.com/2.0/files/12345/content?version=456\nAccept: */*\nAuthorization: Bearer box-example"},
	})
	// The attributes part must come before the file part.
	wantParts(t, readParts(t, r, "multipart/form-data"), []part{
		{name: "attributes", body: `{"name":"Contract.pdf","parent":{"id":"11446498"}}`},
		{name: "file", filename: "Contract.pdf", contentType: "application/pdf", body: "%PDF-1.7"},
	})
}

// https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Messages/
func TestContractMailgunAttachments(t *testing.T) {
	cred := connector.Credentials{Auth: "api_key", Fields: map[string]string{"domain_name": "mg.example.com"}, Secrets: secrets("api_key", "key-example")}
	r := build(t, "mailgun", cred, "send_email_with_attachments", map[string]any{
		"from": "Ops <ops@mg.example.com>", "to": []any{"ann@example.com", "bob@example.com"}, "subject": "Invoice",
		"text": "Attached.", "tags": []any{"billing"},
		"attachment": []any{fileJSON("invoice.pdf", "application/pdf", "%PDF"), fileJSON("data.csv", "text/csv", "a,b\n1,2\n")},
	})
	if want := "https://api.mailgun.net/v3/mg.example.com/messages"; r.URL.String() != want {
		t.Errorf("URL = %s, want %s", r.URL, want)
	}
	if got := r.Header.Get("Authorization"); got != "Basic YXBpOmtleS1leGFtcGxl" {
		t.Errorf("Authorization = %q", got)
	}
	wantParts(t, readParts(t, r, "multipart/form-data"), []part{
		{name: "from", body: "Ops <ops@mg.example.com>"},
		{name: "o:tag", body: "billing"},
		{name: "subject", body: "Invoice"},
		{name: "text", body: "Attached."},
		{name: "to", body: "ann@example.com"},
		{name: "to", body: "bob@example.com"},
		{name: "attachment", filename: "invoice.pdf", contentType: "application/pdf", body: "%PDF"},
		{name: "attachment", filename: "data.csv", contentType: "text/csv", body: "a,b\n1,2\n"},
	})
}

// https://docs.anthropic.com/en/api/files-create
func TestContractAnthropicFiles(t *testing.T) {
	cred := connector.Credentials{Secrets: secrets("api_key", "sk-ant-api03-example")}
	r, err := mustDefinition(t, "anthropic").BuildOperation(cred, "file", "create", map[string]any{"file": fileJSON("document.pdf", "application/pdf", "%PDF")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.URL.String() != "https://api.anthropic.com/v1/files" {
		t.Errorf("request = %s %s", r.Method, r.URL)
	}
	for h, want := range map[string]string{"Anthropic-Beta": "files-api-2025-04-14", "Anthropic-Version": "2023-06-01", "X-Api-Key": "sk-ant-api03-example"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	wantParts(t, readParts(t, r, "multipart/form-data"), []part{
		{name: "file", filename: "document.pdf", contentType: "application/pdf", body: "%PDF"},
	})
	// https://docs.anthropic.com/en/api/files-content
	runContract(t, "anthropic", cred, []contractCase{
		{name: "Download", kind: "activity", activity: "download_file", retrySafe: true, input: map[string]any{"file_id": "file_011CNha8iCJcU1wXNR6q4V8w"},
			want: "GET https://api.anthropic.com/v1/files/file_011CNha8iCJcU1wXNR6q4V8w/content\nAccept: */*" +
				"\nAnthropic-Beta: files-api-2025-04-14\nAnthropic-Version: 2023-06-01\nX-Api-Key: sk-ant-api03-example"},
	})
}

// https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopedocuments/get/
func TestContractDocuSignDocument(t *testing.T) {
	cred := connector.Credentials{Auth: "oauth2_authorization_code",
		Fields: map[string]string{"base_host": "demo.docusign.net", "account_id": "7c4e3b0a", "integration_key": "ik"}, Secrets: secrets("secret_key", "sk"),
		AccessToken: junction.NewSecret("at")}
	runContract(t, "docusign", cred, []contractCase{
		{name: "Combined", kind: "activity", activity: "download_document", retrySafe: true,
			input: map[string]any{"envelopeId": "93be49ab", "certificate": false},
			want:  "GET https://demo.docusign.net/restapi/v2.1/accounts/7c4e3b0a/envelopes/93be49ab/documents/combined?certificate=false\nAccept: */*\nAuthorization: Bearer at"},
	})
	r := build(t, "docusign", cred, "download_document", map[string]any{"envelopeId": "93be49ab", "documentId": "1"})
	named := r.FileResult(connector.Response{StatusCode: 200, Body: []byte("%PDF"), Header: http.Header{
		"Content-Type": {"application/pdf"}, "Content-Disposition": {`file; filename="Contract.pdf"`}}})
	if named.Filename != "Contract.pdf" || named.ContentType != "application/pdf" {
		t.Errorf("file = %v", named)
	}
	unnamed := r.FileResult(connector.Response{StatusCode: 200, Body: []byte("%PDF"), Header: http.Header{"Content-Type": {"application/pdf"}}})
	if unnamed.Filename != "93be49ab-1.pdf" {
		t.Errorf("filename = %q, want the template's", unnamed.Filename)
	}
	b, err := json.Marshal(named)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"filename":"Contract.pdf","content_type":"application/pdf","size":4,"content":"JVBERg=="}`; string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	if s := named.String(); strings.Contains(s, "%PDF") || strings.Contains(s, "JVBERg") {
		t.Errorf("String shows the content: %s", s)
	}
}
