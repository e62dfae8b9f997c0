package webui_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction/httpapi/httpapitest"
)

// Trying an activity whose answer is a file shows its name, type and size,
// not its content; a file input is given as its JSON form.
func TestTryFileActivity(t *testing.T) {
	const pdf = "%PDF-1.7 file-content-marker-91c2"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/report":
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = io.WriteString(w, pdf)
		case "/upload":
			f, h, err := r.FormFile("file")
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			b, _ := io.ReadAll(f)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"uploaded":"`+h.Filename+`","bytes":"`+string(b)+`"}`)
		}
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	def := `key: filebox
display_name: File box
version: 1.0.0
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
activities:
  - name: upload
    method: POST
    path: /upload
    body_encoding: multipart
    inputs:
      - {name: file, type: file, required: true}
  - name: report
    method: GET
    path: /report
    output_file: {filename: "report-{id}.pdf"}
    inputs:
      - {name: id, type: string, required: true}
`
	if err := os.WriteFile(filepath.Join(dir, "filebox.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newFullEnv(t, httpapitest.Options{ConnectorsDir: dir})
	resp, body := e.post("/connections", url.Values{"connector": {"filebox"}, "auth_type": {"bearer"},
		"folder_id": {e.folder.ID}, "name": {"files"}, "field.base_url": {up.URL}, "literal.token": {"file-token-1"}})
	wantStatus(t, "create a connection: "+body, resp, http.StatusSeeOther)
	m := connectionPathRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("created: sent to %q", resp.Header.Get("Location"))
	}
	page := "/connections/" + m[1]

	resp, body = e.post(page+"/execute", url.Values{"activity": {"report"}, "input.id": {"7"}})
	wantStatus(t, "run", resp, http.StatusOK)
	if !strings.Contains(body, "report-7.pdf") || !strings.Contains(body, "application/pdf") {
		t.Errorf("the result does not name the file: %s", body)
	}
	if strings.Contains(body, "file-content-marker") || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(pdf))[:20]) {
		t.Errorf("the page shows the file's content")
	}

	file := `{"content": "` + base64.StdEncoding.EncodeToString([]byte("hello")) + `", "filename": "a.txt"}`
	resp, body = e.post(page+"/execute", url.Values{"activity": {"upload"}, "input.file": {file}})
	wantStatus(t, "upload", resp, http.StatusOK)
	if !strings.Contains(body, "a.txt") || !strings.Contains(body, "hello") {
		t.Errorf("the upload did not arrive: %s", body)
	}
}
