package cli_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"junction"
	"junction/httpapi/httpapitest"
)

const fileboxConnector = `key: filebox
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
      - {name: folder, type: string}
  - name: report
    method: GET
    path: /report
    output_file: {filename: "report-{id}.pdf"}
    inputs:
      - {name: id, type: string, required: true}
`

func TestExecuteFiles(t *testing.T) {
	pdf := "%PDF-1.7 \x00\x01 report"
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
			_, _ = io.WriteString(w, `{"name":"`+h.Filename+`","type":"`+h.Header.Get("Content-Type")+`","size":`+strconv.Itoa(len(b))+`,"folder":"`+r.FormValue("folder")+`"}`)
		}
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "filebox.yaml"), []byte(fileboxConnector), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, httpapitest.Options{ConnectorsDir: dir})
	folder := e.folder("Files")
	conn := e.create("connections", "create", "files", "--folder", folder, "--connector", "filebox", "--auth", "bearer",
		"--field", "base_url="+up.URL, "--secret-field", "token=file-token-1")

	t.Run("File", func(t *testing.T) {
		path := writeFile(t, "scan.pdf", pdf)
		v := wantJSON(t, e.must("execute", conn, "upload", "--input", `{"folder": "inbox"}`, "--file", "file="+path, "-o", "json"))
		out, _ := v["output"].(map[string]any)
		if out["name"] != "scan.pdf" || out["type"] != "application/pdf" || out["size"] != float64(len(pdf)) || out["folder"] != "inbox" {
			t.Fatalf("output = %v", v)
		}
	})
	t.Run("Save", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "out.pdf")
		out := e.must("execute", conn, "report", "--input", `{"id": "7"}`, "--save", dest)
		wantContains(t, out, "succeeded, HTTP 200", "saved report-7.pdf (application/pdf, "+strconv.Itoa(len(pdf))+" bytes) to "+dest)
		if b, err := os.ReadFile(dest); err != nil || string(b) != pdf {
			t.Fatalf("saved %q, %v", b, err)
		}
		if raw := e.must("execute", conn, "report", "--input", `{"id": "7"}`, "--save", "-"); raw != pdf {
			t.Fatalf("stdout = %q", raw)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		_, _, err := e.run("execute", conn, "upload", "--file", "file="+filepath.Join(t.TempDir(), "missing.pdf"))
		wantCode(t, err, junction.EINVALID)
		_, _, err = e.run("execute", conn, "upload", "--input", `[1]`, "--file", "file="+writeFile(t, "a.txt", "a"))
		wantCode(t, err, junction.EINVALID)
		_, _, err = e.run("execute", conn, "upload", "--file", "file="+writeFile(t, "b.txt", "b"), "--save", filepath.Join(t.TempDir(), "x"))
		wantCode(t, err, junction.EINVALID) // the output is not a file
	})
}
