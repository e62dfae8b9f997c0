package engine_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/connector"
	"junction/engine"
	"junction/outbound"
)

// filesAPI answers as a file service would: raw uploads on /content with
// their arguments in a JSON header, multipart uploads on /forms, and
// downloads that answer the file itself.
// filesAPI's /redirected sends the client where redirectTo says.
func filesAPI(t *testing.T, pdf []byte, redirectTo *atomic.Value) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer files-token-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/content/upload":
			body, _ := io.ReadAll(r.Body)
			var arg map[string]any
			if r.Header.Get("Content-Type") != "application/octet-stream" || json.Unmarshal([]byte(r.Header.Get("Api-Arg")), &arg) != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if arg["path"] == "/fail" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"path": arg["path"], "size": len(body), "same": string(body) == string(pdf)})
		case "/forms":
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			fh := r.MultipartForm.File["file"]
			if len(fh) != 1 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"name": r.FormValue("name"), "filename": fh[0].Filename,
				"type": fh[0].Header.Get("Content-Type"), "size": fh[0].Size})
		case "/mail":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"m-1"}`)
		case "/redirected":
			http.Redirect(w, r, redirectTo.Load().(string), http.StatusFound)
		case "/huge":
			w.Header().Set("Content-Type", "application/zip")
			_, _ = w.Write(make([]byte, outbound.DefaultMaxResponseBytes+1))
		case "/download":
			if r.Header.Get("Accept") != "*/*" {
				w.WriteHeader(http.StatusNotAcceptable)
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Disposition", `attachment; filename="Signed contract.pdf"`)
			_, _ = w.Write(pdf)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func filesDefinition(base string) string {
	return `key: files-demo
display_name: Files demo
version: 1.0.0
base_url: ` + base + `
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
activities:
  - name: upload
    method: POST
    base_url: ` + base + `/content
    path: /upload
    headers: {Content-Type: application/octet-stream}
    json_headers:
      Api-Arg: {path: "{path}"}
    body_encoding: binary
    inputs:
      - {name: file, type: file, required: true}
      - {name: path, type: string, required: true}
  - name: send_form
    method: POST
    path: /forms
    body_encoding: multipart
    inputs:
      - {name: file, type: file, required: true}
      - {name: name, type: string}
  - name: send_mail
    method: POST
    path: /mail
    mime_message: {into: raw, to: to, text: text, attachments: attachments}
    inputs:
      - {name: to, type: string}
      - {name: text, type: string}
      - {name: attachments, type: file}
      - {name: raw, type: string}
  - name: redirected
    method: GET
    path: /redirected
    output_file: {}
  - name: huge
    method: GET
    path: /huge
    output_file: {}
  - name: download
    method: GET
    path: /download
    output_file: {filename: "{id}.pdf"}
    inputs:
      - {name: id, type: string, required: true}
`
}

func TestExecuteFiles(t *testing.T) {
	pdf := []byte("%PDF-1.7\n\x00\xff\xfe binary content marker-7f3a\n%%EOF")
	var redirectTo atomic.Value
	srv := filesAPI(t, pdf, &redirectTo)
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, filesDefinition(srv.URL))})
	f.trust(srv)
	conn := f.connection(t, "files-demo", "bearer", map[string]junction.FieldValue{}, map[string]junction.Secret{"token": junction.NewSecret("files-token-1")})
	until := f.clock.Now().Add(time.Hour)
	conn.DebugUntil = &until
	if err := f.store.UpdateConnection(f.ctx, conn); err != nil {
		t.Fatal(err)
	}
	conn = f.reload(t, conn)
	file := map[string]any{"content": base64.StdEncoding.EncodeToString(pdf), "filename": "contract.pdf", "content_type": "application/pdf"}

	t.Run("BinaryUpload", func(t *testing.T) {
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload",
			Input: map[string]any{"file": file, "path": "/Contracts/ü.pdf"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(t, res.Output); got != `{"path":"/Contracts/ü.pdf","same":true,"size":`+itoa(len(pdf))+`}` {
			t.Errorf("output = %s", got)
		}
	})
	t.Run("MultipartUpload", func(t *testing.T) {
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "send_form",
			Input: map[string]any{"file": file, "name": "Contract"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(t, res.Output); got != `{"filename":"contract.pdf","name":"Contract","size":`+itoa(len(pdf))+`,"type":"application/pdf"}` {
			t.Errorf("output = %s", got)
		}
	})
	t.Run("EmailWithAttachment", func(t *testing.T) {
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "send_mail",
			Input: map[string]any{"to": "ann@example.com", "text": "Attached.", "attachments": file}})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Download", func(t *testing.T) {
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "download", Input: map[string]any{"id": "env-1"}})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := res.Output.(*connector.File)
		if !ok {
			t.Fatalf("output is %T, want a file", res.Output)
		}
		if string(got.Content) != string(pdf) || got.Filename != "Signed contract.pdf" || got.ContentType != "application/pdf" {
			t.Errorf("file = %v", got)
		}
		want := `{"filename":"Signed contract.pdf","content_type":"application/pdf","size":` + itoa(len(pdf)) +
			`,"content":"` + base64.StdEncoding.EncodeToString(pdf) + `"}`
		if b := mustJSON(t, res.Output); b != want {
			t.Errorf("JSON = %s, want %s", b, want)
		}
	})
	// Box answers a download with a redirect to another host: the file
	// is read from there, and the credentials stay behind.
	t.Run("DownloadThroughRedirect", func(t *testing.T) {
		dl := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Disposition", `attachment; filename="data.csv"`)
			_, _ = io.WriteString(w, "a,b\n")
		}))
		t.Cleanup(dl.Close)
		f.trust(dl)
		redirectTo.Store(dl.URL + "/signed/abc")
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "redirected"})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Output.(*connector.File); got.Filename != "data.csv" || string(got.Content) != "a,b\n" {
			t.Errorf("file = %v", got)
		}
	})
	// A file answer is read into memory, so it has the outbound client's
	// response limit (8 MiB unless configured).
	t.Run("DownloadTooLarge", func(t *testing.T) {
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "huge"})
		wantCode(t, err, outbound.ERESPONSETOOLARGE)
	})
	// A draft's trial run shows the file's name, type and size, and the
	// answer's body as its size and type.
	t.Run("TrialShowsNoContent", func(t *testing.T) {
		def, err := f.cat.Get("files-demo")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := f.eng.TryDraft(f.ctx, def, conn, nil, engine.ExecuteRequest{Activity: "download", Input: map[string]any{"id": "env-1"}})
		if err != nil {
			t.Fatal(err)
		}
		text := mustJSON(t, tr)
		if strings.Contains(text, "marker-7f3a") || strings.Contains(text, base64.StdEncoding.EncodeToString(pdf)[:24]) {
			t.Errorf("trial holds the file: %s", text)
		}
		if got := mustJSON(t, tr.Output); got != `{"content_type":"application/pdf","filename":"Signed contract.pdf","size":`+itoa(len(pdf))+`}` {
			t.Errorf("trial output = %s", got)
		}
	})
	// A failed upload keeps its input for a retry, unless the file makes
	// it larger than MaxKeptInputBytes.
	t.Run("FailedUploadKeptWhenSmall", func(t *testing.T) {
		small, _ := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload", Input: map[string]any{"file": file, "path": "/fail"}})
		big := map[string]any{"content": base64.StdEncoding.EncodeToString(make([]byte, engine.MaxKeptInputBytes))}
		large, _ := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload", Input: map[string]any{"file": big, "path": "/fail"}})
		kept := map[string]bool{}
		for _, x := range f.executions(t) {
			kept[x.ID] = x.InputSealedID != ""
		}
		if !kept[small.ExecutionID] || kept[large.ExecutionID] {
			t.Errorf("kept small %v, large %v; want only the small one", kept[small.ExecutionID], kept[large.ExecutionID])
		}
	})
	t.Run("BadFileInput", func(t *testing.T) {
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload",
			Input: map[string]any{"file": map[string]any{"content": "not base64!"}, "path": "/x"}})
		e := wantCode(t, err, junction.EINVALID)
		if e.Field != "input.file" || strings.Contains(e.Message, "not base64!") {
			t.Errorf("error = %v", e)
		}
	})
	// The debug record keeps what was sent and answered, but of a file
	// only its size and type.
	t.Run("DebugRecordHidesFiles", func(t *testing.T) {
		for _, x := range f.executions(t) {
			if x.Debug == nil {
				t.Fatalf("execution %s has no debug record", x.Activity)
			}
			text := mustJSON(t, x.Debug)
			if strings.Contains(text, "marker-7f3a") || strings.Contains(text, base64.StdEncoding.EncodeToString(pdf)[:24]) {
				t.Errorf("%s: debug record holds the file: %s", x.Activity, text)
			}
			if x.Status != engine.StatusSucceeded {
				continue // the refused input sent nothing
			}
			switch x.Activity {
			case "upload":
				if want := "bytes of application/octet-stream not shown]"; !strings.Contains(x.Debug.Attempts[0].Request.Body, want) {
					t.Errorf("upload request body = %q", x.Debug.Attempts[0].Request.Body)
				}
			case "send_mail":
				// The file is in the message, inside a JSON body.
				if want := "bytes of application/json not shown]"; !strings.Contains(x.Debug.Attempts[0].Request.Body, want) {
					t.Errorf("email request body = %q", x.Debug.Attempts[0].Request.Body)
				}
			case "download":
				if want := "bytes of application/pdf not shown]"; !strings.Contains(x.Debug.Attempts[0].Response.Body, want) {
					t.Errorf("download response body = %q", x.Debug.Attempts[0].Response.Body)
				}
			}
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
