package engine_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// uploadFile is n bytes that no two offsets of would confuse: a chunk
// sent at the wrong place does not arrive byte-exact.
func uploadFile(n int) []byte {
	r := rand.New(rand.NewPCG(7, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// dropConnection closes the client's connection without an answer, as a
// network failure mid-upload would.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// withDefinitionEdits rewrites the definition file in dir (from
// standInDefinition): smaller chunks, so that tests move a few hundred
// KiB rather than the vendors' megabytes.
func withDefinitionEdits(t *testing.T, dir string, edits ...string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(matches) != 1 {
		t.Fatalf("definition files %v", matches)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("definition has no %q", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	if err := os.WriteFile(matches[0], []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// driveUploads reproduces Drive's resumable upload as
// https://developers.google.com/workspace/drive/api/guides/manage-uploads#resumable
// documents it, strictly: the session is opened by a POST with
// uploadType=resumable, the metadata as JSON and X-Upload-Content-Length;
// every chunk but the last is a multiple of 256 KiB and starts where the
// last one ended; 308 with Range says what is held; a PUT of
// "bytes */size" asks. Access tokens come from its token endpoint (a
// service account's JWT grant, not checked here; see jwtgrant_test.go).
type driveUploads struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	token    string
	issued   int
	uploadID string
	size     int64
	meta     map[string]any
	held     []byte
	puts     int // chunk requests
	requests []string
	// dropAt drops the connection at that chunk request, having kept
	// the first 256 KiB of it; revokeAt revokes the access token just
	// before that chunk request.
	dropAt, revokeAt int
	// unavailable answers every chunk and status query 503.
	unavailable bool
}

const driveMultiple = 256 << 10

func newDriveUploads(t *testing.T) *driveUploads {
	d := &driveUploads{t: t}
	d.srv = httptest.NewTLSServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *driveUploads) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	d.requests = append(d.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Range"))
	fail := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"error":{"code":%d,"message":%q}}`, status, msg)
	}
	if r.URL.Path == "/token" {
		d.issued++
		d.token = "ya29.upload-" + strconv.Itoa(d.issued)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3599}`, d.token)
		return
	}
	if r.Method == http.MethodPut && r.URL.Query().Get("upload_id") != "" {
		d.puts++
		if d.puts == d.revokeAt {
			d.token = "revoked"
		}
	}
	if r.Header.Get("Authorization") != "Bearer "+d.token {
		fail(http.StatusUnauthorized, "Request had invalid authentication credentials.")
		return
	}
	if r.URL.Path != "/upload/drive/v3/files" {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Get("uploadType") == "resumable":
		n, err := strconv.ParseInt(r.Header.Get("X-Upload-Content-Length"), 10, 64)
		if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &d.meta) != nil ||
			q.Get("supportsAllDrives") != "true" || r.Header.Get("X-Upload-Content-Type") != "application/pdf" {
			fail(http.StatusBadRequest, "Bad Request")
			return
		}
		d.size, d.held, d.uploadID = n, nil, "ADPycdv"+strconv.Itoa(len(d.requests))
		w.Header().Set("Location", d.srv.URL+"/upload/drive/v3/files?uploadType=resumable&upload_id="+d.uploadID)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPut && d.unavailable:
		fail(http.StatusServiceUnavailable, "Backend Error")
	case r.Method == http.MethodPut && q.Get("upload_id") == d.uploadID:
		d.chunk(w, r, body, fail)
	case r.Method == http.MethodPut:
		fail(http.StatusNotFound, "Upload session not found")
	default:
		fail(http.StatusBadRequest, "uploadType must be resumable here")
	}
}

func (d *driveUploads) chunk(w http.ResponseWriter, r *http.Request, body []byte, fail func(int, string)) {
	cr := r.Header.Get("Content-Range")
	answerHeld := func() {
		if int64(len(d.held)) == d.size {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"kind": "drive#file", "id": "1UploadedId", "name": d.meta["name"],
				"mimeType": "application/pdf", "parents": d.meta["parents"], "size": strconv.FormatInt(d.size, 10)})
			return
		}
		if len(d.held) > 0 {
			w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", len(d.held)-1))
		}
		w.WriteHeader(http.StatusPermanentRedirect) // Resume Incomplete
	}
	if rest, ok := strings.CutPrefix(cr, "bytes */"); ok {
		if rest != strconv.FormatInt(d.size, 10) || len(body) != 0 {
			fail(http.StatusBadRequest, "bad status query")
			return
		}
		answerHeld()
		return
	}
	var first, last, total int64
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &first, &last, &total); err != nil || total != d.size ||
		first != int64(len(d.held)) || last-first+1 != int64(len(body)) {
		fail(http.StatusBadRequest, "Content-Range does not continue the upload")
		return
	}
	if last+1 < d.size && len(body)%driveMultiple != 0 {
		fail(http.StatusBadRequest, "chunk size must be a multiple of 256 KiB")
		return
	}
	if d.puts == d.dropAt {
		d.held = append(d.held, body[:driveMultiple]...)
		dropConnection(w)
		return
	}
	d.held = append(d.held, body...)
	answerHeld()
}

func (d *driveUploads) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.requests
	d.requests, d.puts = nil, 0
	return out
}

// Google Drive's upload_file above its threshold: a resumable upload in
// chunks (lowered here to 512 KiB), arriving byte-exact with its
// metadata, resumed by a status query after a dropped connection, and
// continued with a new access token after a 401.
func TestChunkedUploadGoogleDrive(t *testing.T) {
	d := newDriveUploads(t)
	dir := standInDefinition(t, "google-drive", d.srv.URL, []string{"https://www.googleapis.com", "https://oauth2.googleapis.com"})
	f := newFixture(t, fixtureOptions{extra: withDefinitionEdits(t, dir, "above: 5000000", "above: 1000000", "chunk_size: 8388608", "chunk_size: 524288")})
	f.trust(d.srv)
	key := junction.NewSecret(googleServiceAccountKey(t, jwtKeyA(), "4f1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4"))
	conn := f.connection(t, "google-drive-standin", "service_account", map[string]junction.FieldValue{}, map[string]junction.Secret{"service_account_key": key})
	until := f.clock.Now().Add(time.Hour)
	conn.DebugUntil = &until
	if err := f.store.UpdateConnection(f.ctx, conn); err != nil {
		t.Fatal(err)
	}
	conn = f.reload(t, conn)

	pdf := uploadFile(1_300_000)
	input := map[string]any{"name": "Scan.pdf", "parent_id": "1Folder",
		"file": map[string]any{"content": base64.StdEncoding.EncodeToString(pdf), "filename": "scan.pdf", "content_type": "application/pdf"}}
	run := func(t *testing.T) *engine.Result {
		t.Helper()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload_file", Input: input})
		if err != nil {
			t.Fatalf("upload: %v (requests %q)", err, d.take())
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if !bytes.Equal(d.held, pdf) {
			t.Fatalf("Drive holds %d bytes, not the file's %d exactly", len(d.held), len(pdf))
		}
		if d.meta["name"] != "Scan.pdf" || fmt.Sprint(d.meta["parents"]) != "[1Folder]" {
			t.Errorf("metadata %v", d.meta)
		}
		if got := mustJSON(t, res.Output); got != `{"id":"1UploadedId","mimeType":"application/pdf","name":"Scan.pdf","size":"1300000"}` {
			t.Errorf("output %s", got)
		}
		return res
	}

	t.Run("OK", func(t *testing.T) {
		res := run(t)
		reqs := d.take()
		want := []string{"POST /token ", "POST /upload/drive/v3/files ", "PUT /upload/drive/v3/files bytes 0-524287/1300000",
			"PUT /upload/drive/v3/files bytes 524288-1048575/1300000", "PUT /upload/drive/v3/files bytes 1048576-1299999/1300000"}
		if strings.Join(reqs, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests\n%s\nwant\n%s", strings.Join(reqs, "\n"), strings.Join(want, "\n"))
		}
		// One API call per request to the API (the token request is not one).
		if res.Attempts != 4 {
			t.Errorf("attempts = %d, want 4", res.Attempts)
		}
	})
	t.Run("DroppedConnectionResumed", func(t *testing.T) {
		d.mu.Lock()
		d.dropAt = 2
		d.mu.Unlock()
		t.Cleanup(func() { d.mu.Lock(); d.dropAt = 0; d.mu.Unlock() })
		res := run(t)
		reqs := d.take()
		want := []string{"POST /upload/drive/v3/files ", "PUT /upload/drive/v3/files bytes 0-524287/1300000",
			"PUT /upload/drive/v3/files bytes 524288-1048575/1300000", "PUT /upload/drive/v3/files bytes */1300000",
			"PUT /upload/drive/v3/files bytes 786432-1299999/1300000"}
		if strings.Join(reqs, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests\n%s\nwant\n%s", strings.Join(reqs, "\n"), strings.Join(want, "\n"))
		}
		if res.Attempts != len(want) {
			t.Errorf("attempts = %d, want %d", res.Attempts, len(want))
		}
	})
	t.Run("UnauthorizedMidUpload", func(t *testing.T) {
		d.mu.Lock()
		d.revokeAt = 2
		d.mu.Unlock()
		t.Cleanup(func() { d.mu.Lock(); d.revokeAt = 0; d.mu.Unlock() })
		run(t)
		reqs := d.take()
		want := []string{"POST /upload/drive/v3/files ", "PUT /upload/drive/v3/files bytes 0-524287/1300000",
			"PUT /upload/drive/v3/files bytes 524288-1048575/1300000", "POST /token ",
			"PUT /upload/drive/v3/files bytes 524288-1048575/1300000", "PUT /upload/drive/v3/files bytes 1048576-1299999/1300000"}
		if strings.Join(reqs, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests\n%s\nwant\n%s", strings.Join(reqs, "\n"), strings.Join(want, "\n"))
		}
		if got := f.reload(t, conn); got.Status != junction.ConnectionConnected || got.AuthFailures != 0 {
			t.Errorf("connection %s with %d failures after a recovered upload", got.Status, got.AuthFailures)
		}
	})
	// An API that keeps failing is asked a bounded number of times.
	t.Run("GivesUpWhenStalled", func(t *testing.T) {
		d.mu.Lock()
		d.unavailable = true
		d.mu.Unlock()
		t.Cleanup(func() { d.mu.Lock(); d.unavailable = false; d.mu.Unlock() })
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload_file", Input: input})
		if e := wantCode(t, err, junction.EPROVIDER); e.Details["status"] != http.StatusServiceUnavailable {
			t.Errorf("error %v", e)
		}
		// The start, the first chunk, then status queries: six requests
		// in a row that took no more of the file.
		if reqs := d.take(); len(reqs) != 6 || res.Attempts != 6 {
			t.Errorf("%d requests, %d attempts: %q", len(reqs), res.Attempts, reqs)
		}
	})
	t.Run("SmallFileInOneRequest", func(t *testing.T) {
		small := map[string]any{"name": "a.txt", "file": map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("hello")), "content_type": "text/plain"}}
		_, _ = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload_file", Input: small})
		if reqs := d.take(); len(reqs) != 1 || reqs[0] != "POST /upload/drive/v3/files " {
			t.Errorf("requests %q, want the one multipart upload", reqs)
		}
	})
	// The key, the access tokens and the session's upload ID (a
	// capability to write the file) are in no record.
	t.Run("NoSecretInRecords", func(t *testing.T) {
		text := mustJSON(t, f.executions(t))
		credstoretest.AssertNoLeak(t, "execution records", text, key, junction.NewSecret("ya29.upload-1"),
			junction.NewSecret("ya29.upload-2"), junction.NewSecret("ADPycdv"))
		if strings.Contains(text, base64.StdEncoding.EncodeToString(pdf[:48])) {
			t.Error("an execution record holds the file")
		}
	})
}

// dropboxSessions reproduces Dropbox's upload sessions as
// https://www.dropbox.com/developers/documentation/http/documentation#files-upload_session-start
// (-append_v2, -finish) document them, strictly: arguments in the
// Dropbox-API-Arg header, application/octet-stream bodies, chunks but the
// last a multiple of the chunk multiple (4 MiB at Dropbox, 64 KiB here),
// and a cursor offset that must be the bytes the session holds, else 409
// incorrect_offset with correct_offset (under lookup_failed for finish).
type dropboxSessions struct {
	srv *httptest.Server

	mu       sync.Mutex
	token    string
	rotate   func() string // makes a new token the only one accepted
	sessions map[string][]byte
	files    map[string][]byte
	commit   map[string]any
	appends  int
	requests []string
	// dropAt keeps the chunk of that append request, then drops the
	// connection; revokeAt rotates the token just before it.
	dropAt, revokeAt int
}

const dropboxMultiple = 64 << 10

func newDropboxSessions(t *testing.T, token string) *dropboxSessions {
	d := &dropboxSessions{token: token, sessions: map[string][]byte{}, files: map[string][]byte{}}
	d.srv = httptest.NewTLSServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *dropboxSessions) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var arg struct {
		Close  *bool `json:"close"`
		Cursor struct {
			SessionID string `json:"session_id"`
			Offset    *int64 `json:"offset"`
		} `json:"cursor"`
		Commit map[string]any `json:"commit"`
	}
	dec := json.NewDecoder(strings.NewReader(r.Header.Get("Dropbox-API-Arg")))
	dec.DisallowUnknownFields()
	argErr := dec.Decode(&arg)
	d.requests = append(d.requests, fmt.Sprintf("%s %d", r.URL.Path, len(body)))
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.URL.Path == "/2/files/upload_session/append_v2" {
		d.appends++
		if d.appends == d.revokeAt {
			d.token = d.rotate()
		}
	}
	if r.Header.Get("Authorization") != "Bearer "+d.token {
		answer(http.StatusUnauthorized, map[string]any{"error_summary": "expired_access_token/..", "error": map[string]any{".tag": "expired_access_token"}})
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/octet-stream" || argErr != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "Error in call: bad arguments")
		return
	}
	held, known := d.sessions[arg.Cursor.SessionID]
	lookup := func(wrap bool) bool {
		var e map[string]any
		switch {
		case !known:
			e = map[string]any{".tag": "not_found"}
		case arg.Cursor.Offset == nil || *arg.Cursor.Offset != int64(len(held)):
			e = map[string]any{".tag": "incorrect_offset", "correct_offset": len(held)}
		default:
			return true
		}
		if wrap {
			e = map[string]any{".tag": "lookup_failed", "lookup_failed": e}
		}
		answer(http.StatusConflict, map[string]any{"error_summary": e[".tag"].(string) + "/..", "error": e})
		return false
	}
	switch r.URL.Path {
	case "/2/files/upload_session/start":
		if arg.Close == nil || *arg.Close || len(body)%dropboxMultiple != 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id := "AAAAAAAAAAAAAAAAAAAAAQ" + strconv.Itoa(len(d.sessions))
		d.sessions[id] = body
		answer(http.StatusOK, map[string]any{"session_id": id})
	case "/2/files/upload_session/append_v2":
		if !lookup(false) {
			return
		}
		if len(body)%dropboxMultiple != 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		d.sessions[arg.Cursor.SessionID] = append(held, body...)
		if d.appends == d.dropAt {
			dropConnection(w)
			return
		}
		answer(http.StatusOK, nil)
	case "/2/files/upload_session/finish":
		if !lookup(true) {
			return
		}
		path, _ := arg.Commit["path"].(string)
		if path == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		content := append(held, body...)
		d.files[path], d.commit = content, arg.Commit
		delete(d.sessions, arg.Cursor.SessionID)
		answer(http.StatusOK, map[string]any{"name": filepath.Base(path), "path_display": path, "id": "id:a4ayc_80_OEAAAAAAAAAYa",
			"rev": "a1c10ce0dd78", "size": len(content)})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (d *dropboxSessions) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.requests
	d.requests, d.appends = nil, 0
	return out
}

// Dropbox's upload with chunked_above: an upload session in 128 KiB
// requests (lowered from 8 MiB), arriving byte-exact at the path with
// the commit's arguments; a dropped append, whose chunk Dropbox kept,
// is corrected by incorrect_offset; a token rotated in the vault
// mid-upload is read again and the upload goes on.
func TestChunkedUploadDropbox(t *testing.T) {
	d := newDropboxSessions(t, "sl.upload-old")
	dir := standInDefinition(t, "dropbox", d.srv.URL, []string{"https://api.dropboxapi.com", "https://content.dropboxapi.com"})
	f := newFixture(t, fixtureOptions{extra: withDefinitionEdits(t, dir, "chunk_size: 8388608", "chunk_size: 131072", "chunk_multiple: 4194304", "chunk_multiple: 65536")})
	f.trust(d.srv)
	asset := f.vaultAsset(t, "dropbox-token", junction.AssetSecret, map[string]string{"value": "sl.upload-old"})
	d.rotate = func() string {
		f.vault.Put("secret/apps/dropbox-token", map[string]string{"value": "sl.upload-new"})
		return "sl.upload-new"
	}
	conn := f.connection(t, "dropbox-standin", "bearer", map[string]junction.FieldValue{"token": {AssetID: asset.ID}}, nil)

	data := uploadFile(450_000)
	run := func(t *testing.T, path string) *engine.Result {
		t.Helper()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload", Input: map[string]any{
			"path": path, "mode": "overwrite", "chunked_above": 0,
			"file": map[string]any{"content": base64.StdEncoding.EncodeToString(data), "filename": "big.bin"}}})
		if err != nil {
			t.Fatalf("upload: %v (requests %q)", err, d.take())
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if !bytes.Equal(d.files[path], data) {
			t.Fatalf("Dropbox holds %d bytes at %s, not the file's %d exactly", len(d.files[path]), path, len(data))
		}
		if d.commit["mode"] != "overwrite" || len(d.commit) != 2 {
			t.Errorf("commit %v", d.commit)
		}
		if got := mustJSON(t, res.Output); got != `{"id":"id:a4ayc_80_OEAAAAAAAAAYa","name":"`+filepath.Base(path)+`","path_display":"`+path+`","rev":"a1c10ce0dd78","size":450000}` {
			t.Errorf("output %s", got)
		}
		return res
	}
	const start, appendV2, finish = "/2/files/upload_session/start", "/2/files/upload_session/append_v2", "/2/files/upload_session/finish"

	t.Run("OK", func(t *testing.T) {
		res := run(t, "/Backups/a.bin")
		want := []string{start + " 131072", appendV2 + " 131072", appendV2 + " 131072", finish + " 56784"}
		if got := d.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests %q, want %q", got, want)
		}
		if res.Attempts != 4 {
			t.Errorf("attempts = %d, want 4", res.Attempts)
		}
	})
	t.Run("DroppedConnectionResumed", func(t *testing.T) {
		d.mu.Lock()
		d.dropAt = 1
		d.mu.Unlock()
		t.Cleanup(func() { d.mu.Lock(); d.dropAt = 0; d.mu.Unlock() })
		res := run(t, "/Backups/b.bin")
		// The repeated append learns from incorrect_offset that the
		// first went through.
		want := []string{start + " 131072", appendV2 + " 131072", appendV2 + " 131072", appendV2 + " 131072", finish + " 56784"}
		if got := d.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests %q, want %q", got, want)
		}
		if res.Attempts != 5 {
			t.Errorf("attempts = %d, want 5", res.Attempts)
		}
	})
	t.Run("UnauthorizedMidUpload", func(t *testing.T) {
		d.mu.Lock()
		d.revokeAt = 2
		d.mu.Unlock()
		t.Cleanup(func() { d.mu.Lock(); d.revokeAt = 0; d.mu.Unlock() })
		run(t, "/Backups/c.bin")
		want := []string{start + " 131072", appendV2 + " 131072", appendV2 + " 131072", appendV2 + " 131072", finish + " 56784"}
		if got := d.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests %q, want %q", got, want)
		}
	})
	t.Run("BelowThresholdInOneRequest", func(t *testing.T) {
		_, _ = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload", Input: map[string]any{
			"path": "/small.txt", "file": map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("hi"))}}})
		if got := d.take(); len(got) != 1 || got[0] != "/2/files/upload 2" {
			t.Errorf("requests %q, want the one /files/upload", got)
		}
	})
	t.Run("NoSecretInRecords", func(t *testing.T) {
		credstoretest.AssertNoLeak(t, "execution records", mustJSON(t, f.executions(t)),
			junction.NewSecret("sl.upload-old"), junction.NewSecret("sl.upload-new"))
	})
}
