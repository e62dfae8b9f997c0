package engine_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// boxSessions reproduces Box's chunked upload as
// https://developer.box.com/guides/uploads/chunked/ and the reference
// (post-files-upload-sessions, put-files-upload-sessions-id,
// post-files-upload-sessions-id-commit) document it, strictly: a session
// only for a file of at least the minimum size (20 MB at Box, minSize
// here); every part exactly part_size bytes but the last, at a multiple of
// it, with a Content-Range that says so and a Digest "sha=<base64 SHA-1>"
// of its bytes; the commit listing every part in order as the parts'
// answers gave them, with the whole file's digest; 202 with Retry-After
// while the parts are being processed.
type boxSessions struct {
	srv *httptest.Server

	mu       sync.Mutex
	token    string
	rotate   func() string // makes a new token the only one accepted
	sessions map[string]*boxSession
	files    map[string][]byte // by name
	commits  []map[string]any
	puts     int
	made     int // sessions opened
	requests []string
	// processing is how many commits are answered 202 before the file.
	processing int
	revokeAt   int // rotates the token just before that part request
	busyAt     int // answers that part request 503, keeping nothing
}

type boxSession struct {
	folder, name string
	size         int64
	parts        map[int64][]byte // by offset
	records      map[int64]map[string]any
	commits      int
}

const (
	boxPartSize = 32 << 10
	boxMinSize  = 64 << 10
)

func newBoxSessions(t *testing.T, token string) *boxSessions {
	b := &boxSessions{token: token, sessions: map[string]*boxSession{}, files: map[string][]byte{}}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *boxSessions) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	b.requests = append(b.requests, strings.TrimSpace(fmt.Sprintf("%s %s %s", r.Method, strings.TrimPrefix(r.URL.Path, "/api/2.0"), r.Header.Get("Content-Range"))))
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, code, msg string) {
		answer(status, map[string]any{"type": "error", "status": status, "code": code, "message": msg})
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/2.0/files/upload_sessions")
	id, commit := strings.CutSuffix(strings.TrimPrefix(path, "/"), "/commit")
	if r.Method == http.MethodPut && id != "" {
		b.puts++
		if b.puts == b.revokeAt {
			b.token = b.rotate()
		}
	}
	if r.Header.Get("Authorization") != "Bearer "+b.token {
		fail(http.StatusUnauthorized, "unauthorized", "Unauthorized")
		return
	}
	if r.Method == http.MethodPut && b.puts == b.busyAt {
		w.Header().Set("Retry-After", "1")
		fail(http.StatusServiceUnavailable, "unavailable", "Unavailable")
		return
	}
	digest := func(content []byte) bool {
		sum := sha1.Sum(content)
		return r.Header.Get("Digest") == "sha="+base64.StdEncoding.EncodeToString(sum[:])
	}
	switch {
	case r.URL.Path == "/api/2.0/files/content" && r.Method == http.MethodPost:
		answer(http.StatusCreated, map[string]any{"total_count": 1, "entries": []any{map[string]any{"type": "file", "id": "12345", "name": "small.txt"}}})
	case r.Method == http.MethodPost && path == "":
		var in struct {
			FolderID string `json:"folder_id"`
			FileSize *int64 `json:"file_size"`
			FileName string `json:"file_name"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || dec.Decode(&in) != nil || in.FolderID == "" || in.FileName == "" || in.FileSize == nil {
			fail(http.StatusBadRequest, "bad_request", "folder_id, file_size and file_name are required")
			return
		}
		if *in.FileSize < boxMinSize {
			fail(http.StatusBadRequest, "file_size_too_small", "File size is less than minimum allowed for this API")
			return
		}
		id := fmt.Sprintf("F971964745A5CD0C001BBE4E5819%04d", b.made)
		b.made++
		b.sessions[id] = &boxSession{folder: in.FolderID, name: in.FileName, size: *in.FileSize, parts: map[int64][]byte{}, records: map[int64]map[string]any{}}
		answer(http.StatusCreated, map[string]any{"id": id, "type": "upload_session", "part_size": boxPartSize,
			"total_parts": (*in.FileSize + boxPartSize - 1) / boxPartSize, "num_parts_processed": 0,
			"session_expires_at": "2026-12-14T10:53:43-08:00",
			"session_endpoints":  map[string]any{"upload_part": "https://upload.box.com/api/2.0/files/upload_sessions/" + id}})
	case r.Method == http.MethodPut && !commit && b.sessions[id] != nil:
		s := b.sessions[id]
		var first, last, size int64
		_, err := fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &size)
		switch {
		case err != nil || size != s.size || first%boxPartSize != 0 || last < first || last >= size ||
			int64(len(body)) != last-first+1 || (last+1)%boxPartSize != 0 && last != size-1:
			fail(http.StatusRequestedRangeNotSatisfiable, "requested_range_not_satisfiable", "The requested range is not satisfiable")
			return
		case r.Header.Get("Content-Type") != "application/octet-stream":
			fail(http.StatusBadRequest, "bad_request", "parts are application/octet-stream")
			return
		case !digest(body):
			fail(http.StatusPreconditionFailed, "precondition_failed", "The digest does not match the part")
			return
		}
		if held, ok := s.parts[first]; ok && !bytes.Equal(held, body) {
			fail(http.StatusRequestedRangeNotSatisfiable, "range_overlaps_existing_part", "The part overlaps a part already uploaded")
			return
		}
		sum := sha1.Sum(body)
		rec := map[string]any{"part_id": fmt.Sprintf("%08X", first/boxPartSize+0xBFDF5E0), "offset": first, "size": len(body), "sha1": hex.EncodeToString(sum[:])}
		s.parts[first], s.records[first] = body, rec
		answer(http.StatusOK, map[string]any{"part": rec})
	case r.Method == http.MethodPost && commit && b.sessions[id] != nil:
		s := b.sessions[id]
		var in struct {
			Parts      []map[string]any `json:"parts"`
			Attributes map[string]any   `json:"attributes"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.Parts == nil {
			fail(http.StatusBadRequest, "bad_request", "parts are required")
			return
		}
		// The parts, in order, exactly as their answers gave them, and
		// together the whole file.
		var content []byte
		for i, p := range in.Parts {
			off := int64(i) * boxPartSize
			want, _ := json.Marshal(s.records[off])
			got, _ := json.Marshal(p)
			if s.records[off] == nil || string(got) != string(want) {
				fail(http.StatusBadRequest, "bad_request", fmt.Sprintf("part %d is not the part uploaded at %d", i, off))
				return
			}
			content = append(content, s.parts[off]...)
		}
		if int64(len(content)) != s.size {
			fail(http.StatusConflict, "upload_incomplete", "Not all parts have been uploaded")
			return
		}
		if !digest(content) {
			fail(http.StatusPreconditionFailed, "precondition_failed", "The digest does not match the file")
			return
		}
		b.commits = append(b.commits, in.Attributes)
		if s.commits++; s.commits <= b.processing {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		b.files[s.name] = content
		delete(b.sessions, id)
		sum := sha1.Sum(content)
		answer(http.StatusCreated, map[string]any{"total_count": 1, "entries": []any{map[string]any{
			"type": "file", "id": "1234567890", "name": s.name, "size": len(content), "sha1": hex.EncodeToString(sum[:]),
			"parent": map[string]any{"type": "folder", "id": s.folder}}}})
	default:
		fail(http.StatusNotFound, "not_found", "Not Found")
	}
}

func (b *boxSessions) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.requests
	b.requests, b.puts, b.commits = nil, 0, nil
	return out
}

// Box's upload_file with chunked_above: an upload session in parts of the
// size the session answers, each with its digest, arriving byte-exact;
// a commit answered 202 is sent again after Retry-After (recorded, not
// slept); a token rotated in the vault mid-upload is read again and the
// part sent again.
func TestChunkedUploadBox(t *testing.T) {
	const start = "POST /files/upload_sessions"
	b := newBoxSessions(t, "box-dev-token-old")
	var (
		waitsMu sync.Mutex
		waits   []time.Duration
	)
	f := newFixture(t, fixtureOptions{
		extra: standInDefinition(t, "box", b.srv.URL, []string{"https://api.box.com", "https://upload.box.com"}),
		sleep: func(_ context.Context, d time.Duration) error {
			waitsMu.Lock()
			defer waitsMu.Unlock()
			waits = append(waits, d)
			return nil
		},
	})
	f.trust(b.srv)
	asset := f.vaultAsset(t, "box-token", junction.AssetSecret, map[string]string{"value": "box-dev-token-old"})
	b.rotate = func() string {
		f.vault.Put("secret/apps/box-token", map[string]string{"value": "box-dev-token-new"})
		return "box-dev-token-new"
	}
	conn := f.connection(t, "box-standin", "bearer", map[string]junction.FieldValue{"token": {AssetID: asset.ID}}, nil)

	data := uploadFile(3*boxPartSize + 1234)
	execute := func(name string, above int, content []byte) (*engine.Result, error) {
		return f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload_file", Input: map[string]any{
			"name": name, "parent_id": "11446498", "chunked_above": above, "content_modified_at": "2026-12-06T10:00:00Z",
			"file": map[string]any{"content": base64.StdEncoding.EncodeToString(content), "filename": name}}})
	}
	run := func(t *testing.T, name string) *engine.Result {
		t.Helper()
		res, err := execute(name, 1000, data)
		if err != nil {
			t.Fatalf("upload: %v (requests %q)", err, b.take())
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if !bytes.Equal(b.files[name], data) {
			t.Fatalf("Box holds %d bytes as %s, not the file's %d exactly", len(b.files[name]), name, len(data))
		}
		sum := sha1.Sum(data)
		if got, want := mustJSON(t, res.Output), fmt.Sprintf(`{"id":"1234567890","name":%q,"sha1":"%x","size":%d}`, name, sum, len(data)); got != want {
			t.Errorf("output %s, want %s", got, want)
		}
		for _, a := range b.commits {
			if a["content_modified_at"] != "2026-12-06T10:00:00Z" || len(a) != 1 {
				t.Errorf("commit attributes %v", a)
			}
		}
		return res
	}
	// The requests of session id: the start, the parts given, and
	// commits many commits.
	want := func(id string, parts []int, commits int) string {
		out := []string{start}
		for _, i := range parts {
			first := i * boxPartSize
			out = append(out, fmt.Sprintf("PUT /files/upload_sessions/%s bytes %d-%d/%d", id, first, min(first+boxPartSize, len(data))-1, len(data)))
		}
		for range commits {
			out = append(out, "POST /files/upload_sessions/"+id+"/commit")
		}
		return strings.Join(out, "\n")
	}

	t.Run("OK", func(t *testing.T) {
		b.mu.Lock()
		b.processing = 1
		b.mu.Unlock()
		t.Cleanup(func() { b.mu.Lock(); b.processing = 0; b.mu.Unlock() })
		res := run(t, "a.bin")
		got := strings.Join(b.take(), "\n")
		if w := want("F971964745A5CD0C001BBE4E58190000", []int{0, 1, 2, 3}, 2); got != w {
			t.Errorf("requests\n%s\nwant\n%s", got, w)
		}
		if res.Attempts != 7 {
			t.Errorf("attempts = %d, want 7", res.Attempts)
		}
		waitsMu.Lock()
		defer waitsMu.Unlock()
		if len(waits) != 1 || waits[0] != 3*time.Second {
			t.Errorf("waits %v, want the commit's Retry-After of 3s once", waits)
		}
		waits = nil
	})
	t.Run("ErrStillProcessing", func(t *testing.T) {
		b.mu.Lock()
		b.processing = 1000
		b.mu.Unlock()
		t.Cleanup(func() { b.mu.Lock(); b.processing = 0; b.mu.Unlock() })
		_, err := execute("c.bin", 1000, data)
		if !junction.IsCode(err, junction.EUNAVAILABLE) || !strings.Contains(junction.ErrorMessage(err), "still processing") {
			t.Errorf("a commit answered 202 for ever: %v", err)
		}
		got := b.take()
		if n := strings.Count(strings.Join(got, "\n"), "/commit"); n != 21 {
			t.Errorf("%d commits, want 21 (the first and 20 more)", n)
		}
		waitsMu.Lock()
		defer waitsMu.Unlock()
		if len(waits) != 20 {
			t.Errorf("%d waits, want 20", len(waits))
		}
		waits = nil
	})
	t.Run("UnauthorizedMidUpload", func(t *testing.T) {
		b.mu.Lock()
		b.revokeAt = 2
		b.mu.Unlock()
		t.Cleanup(func() { b.mu.Lock(); b.revokeAt = 0; b.mu.Unlock() })
		run(t, "b.bin")
		got := strings.Join(b.take(), "\n")
		if w := want("F971964745A5CD0C001BBE4E58190002", []int{0, 1, 1, 2, 3}, 1); got != w {
			t.Errorf("requests\n%s\nwant\n%s", got, w)
		}
	})
	t.Run("PartRefusedSentAgain", func(t *testing.T) {
		b.mu.Lock()
		b.busyAt = 3
		b.mu.Unlock()
		t.Cleanup(func() { b.mu.Lock(); b.busyAt = 0; b.mu.Unlock() })
		run(t, "d.bin")
		got := strings.Join(b.take(), "\n")
		if w := want("F971964745A5CD0C001BBE4E58190003", []int{0, 1, 2, 2, 3}, 1); got != w {
			t.Errorf("requests\n%s\nwant\n%s", got, w)
		}
	})
	t.Run("ErrBelowBoxMinimum", func(t *testing.T) {
		_, err := execute("small.txt", 0, []byte("hi"))
		if !junction.IsCode(err, junction.EPROVIDER) || !strings.Contains(junction.ErrorMessage(err), "400") {
			t.Errorf("a 2-byte file in an upload session, which Box refuses: %v", err)
		}
		if got := b.take(); len(got) != 1 || got[0] != start {
			t.Errorf("requests %q, want the refused start", got)
		}
	})
	t.Run("BelowThresholdInOneRequest", func(t *testing.T) {
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "upload_file", Input: map[string]any{
			"name": "small.txt", "file": map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("hi"))}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.take(); len(got) != 1 || got[0] != "POST /files/content" || mustJSON(t, res.Output) != `{"id":"12345","name":"small.txt"}` {
			t.Errorf("requests %q, output %s; want the one /files/content", got, mustJSON(t, res.Output))
		}
	})
	t.Run("NoSecretInRecords", func(t *testing.T) {
		credstoretest.AssertNoLeak(t, "execution records", mustJSON(t, f.executions(t)),
			junction.NewSecret("box-dev-token-old"), junction.NewSecret("box-dev-token-new"))
	})
}
