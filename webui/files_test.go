package webui_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"junction/httpapi/httpapitest"
)

// Trying an activity whose answer is a file shows its name, type and size,
// not its content; a file input is picked from the browser and sent as a
// multipart form, several at once where the body repeats its part.
func TestTryFileActivity(t *testing.T) {
	const pdf = "%PDF-1.7 file-content-marker-91c2"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/report":
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = io.WriteString(w, pdf)
		case "/upload":
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			var got []string
			for _, h := range r.MultipartForm.File["file"] {
				f, _ := h.Open()
				b, _ := io.ReadAll(f)
				got = append(got, h.Filename+"|"+h.Header.Get("Content-Type")+"|"+string(b))
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"uploaded": got, "note": r.FormValue("note")})
		case "/raw":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"raw": r.Header.Get("Content-Type") + "|" + string(b)})
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
      - {name: note, type: string}
  - name: put_raw
    method: PUT
    path: /raw
    body_encoding: binary
    inputs:
      - {name: content, type: file, required: true}
  - name: report
    method: GET
    path: /report
    output_file: {filename: "report-{id}.pdf"}
    inputs:
      - {name: id, type: string, required: true}
objects:
  - name: document
    id_field: id
    operations:
      create:
        method: POST
        path: /upload
        body_encoding: multipart
        inputs:
          - {name: file, type: file, required: true}
`
	if err := os.WriteFile(filepath.Join(dir, "filebox.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "file-token-planted-2718"
	e := newFullEnv(t, httpapitest.Options{ConnectorsDir: dir, MaxExecuteBodyBytes: 1 << 20})
	resp, body := e.post("/connections", url.Values{"connector": {"filebox"}, "auth_type": {"bearer"},
		"folder_id": {e.folder.ID}, "name": {"files"}, "field.base_url": {up.URL}, "literal.token": {token}})
	wantStatus(t, "create a connection: "+body, resp, http.StatusSeeOther)
	m := connectionPathRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("created: sent to %q", resp.Header.Get("Location"))
	}
	page := "/connections/" + m[1]
	noToken := func(t *testing.T, body string) {
		t.Helper()
		if strings.Contains(body, token) {
			t.Fatal("the page shows the connection's token")
		}
	}

	t.Run("FileOutput", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"report"}, "input.id": {"7"}})
		wantStatus(t, "run", resp, http.StatusOK)
		if !strings.Contains(body, "report-7.pdf") || !strings.Contains(body, "application/pdf") {
			t.Errorf("the result does not name the file: %s", body)
		}
		if strings.Contains(body, "file-content-marker") || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(pdf))[:20]) {
			t.Errorf("the page shows the file's content")
		}
	})

	t.Run("Form", func(t *testing.T) {
		_, css := e.do(e.client, "GET", "/static/style.css", nil)
		for _, c := range []struct{ activity, control string }{
			{"upload", `<input type="file" id="input.file" name="input.file" multiple>`},
			{"put_raw", `<input type="file" id="input.content" name="input.content">`},
			{"document.create", `<input type="file" id="input.file" name="input.file" multiple>`},
		} {
			body := e.get(page+"?activity="+c.activity, http.StatusOK)
			if !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, c.control) {
				t.Errorf("%s: no file picker %s in a multipart form", c.activity, c.control)
			}
			for _, p := range a11yProblems(body) {
				t.Errorf("%s: %s", c.activity, p)
			}
			if n := len(body) + len(css); n >= 200_000 {
				t.Errorf("%s: %d bytes with the stylesheet, want under 200 KB", c.activity, n)
			}
			noToken(t, body)
		}
		if body := e.get(page+"?activity=report", http.StatusOK); strings.Contains(body, "multipart/form-data") {
			t.Error("a form without files is sent as multipart")
		}
	})

	t.Run("OK", func(t *testing.T) {
		resp, body := e.postFiles(page+"/execute", e.token, url.Values{"activity": {"upload"}, "input.note": {"two of them"}},
			upload{"input.file", "a.txt", "text/plain", "hello"}, upload{"input.file", "b.csv", "text/csv", "x,y"})
		wantStatus(t, "upload", resp, http.StatusOK)
		for _, want := range []string{"a.txt|text/plain|hello", "b.csv|text/csv|x,y", "two of them"} {
			if !strings.Contains(body, want) {
				t.Errorf("the upload did not carry %q: %s", want, body)
			}
		}
		noToken(t, body)
	})

	t.Run("ObjectOperation", func(t *testing.T) {
		resp, body := e.postFiles(page+"/execute", e.token, url.Values{"activity": {"document.create"}},
			upload{"input.file", "c.json", "application/json", `{"k":1}`})
		wantStatus(t, "create", resp, http.StatusOK)
		if !strings.Contains(body, "c.json|application/json|") {
			t.Errorf("the object's operation did not upload: %s", body)
		}
	})

	t.Run("Binary", func(t *testing.T) {
		resp, body := e.postFiles(page+"/execute", e.token, url.Values{"activity": {"put_raw"}},
			upload{"input.content", "pic.png", "image/png", "PNGDATA"})
		wantStatus(t, "put", resp, http.StatusOK)
		if !strings.Contains(body, "image/png|PNGDATA") {
			t.Errorf("the binary body did not arrive: %s", body)
		}
		resp, body = e.postFiles(page+"/execute", e.token, url.Values{"activity": {"put_raw"}},
			upload{"input.content", "a.png", "image/png", "1"}, upload{"input.content", "b.png", "image/png", "2"})
		wantStatus(t, "two files for one", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "takes one file") {
			t.Errorf("no error beside the field: %s", body)
		}
	})

	t.Run("ErrRequired", func(t *testing.T) {
		resp, body := e.postFiles(page+"/execute", e.token, url.Values{"activity": {"upload"}},
			upload{"input.file", "", "application/octet-stream", ""})
		wantStatus(t, "nothing picked", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "is required") {
			t.Errorf("no error beside the field: %s", body)
		}
	})

	t.Run("ErrCSRF", func(t *testing.T) {
		resp, _ := e.postFiles(page+"/execute", "not-the-token", url.Values{"activity": {"upload"}},
			upload{"input.file", "a.txt", "text/plain", "hello"})
		wantStatus(t, "without the token", resp, http.StatusForbidden)
	})

	t.Run("ErrTooLarge", func(t *testing.T) {
		// Over the limit but within the room left for fields: the field
		// says so.
		big := strings.Repeat("z", 1<<20+1)
		resp, body := e.postFiles(page+"/execute", e.token, url.Values{"activity": {"upload"}},
			upload{"input.file", "big.bin", "application/octet-stream", big})
		wantStatus(t, "over the limit", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "at most 1 MiB") || !strings.Contains(body, "<code>validation_failed</code>") || !strings.Contains(body, `id="activity-form"`) {
			t.Errorf("no error beside the field: %s", body)
		}
		// Far over: the form is refused before it is read.
		resp, body = e.postFiles(page+"/execute", e.token, url.Values{"activity": {"upload"}},
			upload{"input.file", "huge.bin", "application/octet-stream", strings.Repeat(big, 3)})
		wantStatus(t, "far over the limit", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "larger than the 1 MiB") || !strings.Contains(body, "validation_failed") {
			t.Errorf("no clear error: %s", body)
		}
	})
}

// upload is one file part of a form.
type upload struct{ field, filename, contentType, content string }

// postFiles posts a multipart form as a browser does: the CSRF token and
// fields first, then the files.
func (e *fullEnv) postFiles(path, token string, form url.Values, files ...upload) (*http.Response, string) {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("csrf", token)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": f.field, "filename": f.filename}))
		h.Set("Content-Type", f.contentType)
		pw, err := w.CreatePart(h)
		if err != nil {
			e.t.Fatal(err)
		}
		_, _ = io.WriteString(pw, f.content)
	}
	_ = w.Close()
	req, err := http.NewRequest("POST", e.srv.URL+path, &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
