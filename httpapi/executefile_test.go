package httpapi_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"junction"
	"junction/httpapi"
)

// fileConnectors holds a connector that uploads a file and downloads one.
func fileConnectors(t *testing.T) string {
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
	return dir
}

func TestExecuteFiles(t *testing.T) {
	pdf := "%PDF-1.7 \x00\x01 report"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer file-token-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
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
			_, _ = io.WriteString(w, `{"name":"`+h.Filename+`","size":`+strconv.Itoa(len(b))+`}`)
		}
	}))
	t.Cleanup(up.Close)
	e := newEnv(t, sqliteStore(t), envOptions{connectorsDir: fileConnectors(t)})
	f := e.createFolder(e.admin, "F", "")
	c := e.createConnection(e.admin, map[string]any{"folder_id": f.ID, "connector": "filebox", "name": "files", "auth_type": "bearer",
		"fields": map[string]any{"base_url": up.URL, "token": "file-token-1"}})
	path := "/api/v1/connections/" + c.ID + "/execute"
	report := map[string]any{"activity": "report", "input": map[string]any{"id": "7"}}

	t.Run("JSONByDefault", func(t *testing.T) {
		for _, accept := range []string{"", "*/*", "application/json", "application/json, application/pdf", "application/pdf;q=0, application/json"} {
			r := e.call("POST", path, e.admin, report, "Accept", accept)
			var res struct {
				Output struct {
					Filename    string `json:"filename"`
					ContentType string `json:"content_type"`
					Size        int    `json:"size"`
					Content     string `json:"content"`
				} `json:"output"`
			}
			if r.status != http.StatusOK {
				t.Fatalf("Accept %q: status %d: %s", accept, r.status, r.body)
			}
			r.decode(t, &res)
			got, _ := base64.StdEncoding.DecodeString(res.Output.Content)
			if string(got) != pdf || res.Output.Filename != "report-7.pdf" || res.Output.ContentType != "application/pdf" || res.Output.Size != len(pdf) {
				t.Errorf("Accept %q: output = %+v", accept, res.Output)
			}
		}
	})
	t.Run("RawWhenAsked", func(t *testing.T) {
		for _, accept := range []string{"application/pdf", "application/octet-stream", "text/html, application/pdf;q=0.9"} {
			r := e.call("POST", path, e.admin, report, "Accept", accept)
			if r.status != http.StatusOK || string(r.body) != pdf {
				t.Fatalf("Accept %q: status %d, body %q", accept, r.status, r.body)
			}
			h := r.header
			if h.Get("Content-Type") != "application/pdf" || h.Get("Content-Disposition") != `attachment; filename=report-7.pdf` ||
				h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
				h.Get("Cache-Control") != "no-store" || h.Get(httpapi.ExecutionIDHeader) == "" {
				t.Errorf("Accept %q: headers %v", accept, h)
			}
		}
	})
	t.Run("Upload", func(t *testing.T) {
		var res struct {
			Output map[string]any `json:"output"`
		}
		e.must(http.StatusOK, "POST", path, e.admin, map[string]any{"activity": "upload", "input": map[string]any{
			"file": map[string]any{"content": base64.StdEncoding.EncodeToString([]byte(pdf)), "filename": "a.pdf", "content_type": "application/pdf"}}}, &res)
		if res.Output["name"] != "a.pdf" || res.Output["size"] != float64(len(pdf)) {
			t.Errorf("output = %v", res.Output)
		}
	})
	// A file travels in base64 in the JSON body: an execution takes a
	// larger body than other requests, and no larger.
	t.Run("UploadAboveOtherRequestsLimit", func(t *testing.T) {
		var res struct {
			Output map[string]any `json:"output"`
		}
		big := base64.StdEncoding.EncodeToString(make([]byte, httpapi.DefaultMaxBodyBytes+1))
		e.must(http.StatusOK, "POST", path, e.admin, map[string]any{"activity": "upload", "input": map[string]any{"file": map[string]any{"content": big}}}, &res)
		if res.Output["size"] != float64(httpapi.DefaultMaxBodyBytes+1) {
			t.Errorf("output = %v", res.Output)
		}
	})
	t.Run("UploadTooLarge", func(t *testing.T) {
		big := strings.Repeat("A", httpapi.DefaultMaxExecuteBodyBytes)
		r := e.call("POST", path, e.admin, map[string]any{"activity": "upload", "input": map[string]any{"file": map[string]any{"content": big}}})
		if r.status != http.StatusRequestEntityTooLarge || r.problem(t).Code != junction.ETOOLARGE {
			t.Errorf("status %d: %.200s", r.status, r.body)
		}
	})
}
