package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/cli"
)

// fakeAPI answers the routes a test registers, the way Junction's REST API
// does, and records every request with its raw body.
type fakeAPI struct {
	*httptest.Server
	t        *testing.T
	mu       sync.Mutex
	routes   map[string]http.HandlerFunc
	requests []recordedRaw
}

type recordedRaw struct {
	recorded
	Raw string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, routes: map[string]http.HandlerFunc{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordedRaw{recorded: recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")}}
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			rec.Raw = string(b)
			_ = json.Unmarshal(b, &rec.Body)
		}
		f.mu.Lock()
		f.requests = append(f.requests, rec)
		h := f.routes[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		switch {
		case rec.Auth != "Bearer "+testToken:
			problem(w, http.StatusUnauthorized, "unauthenticated", "missing, invalid or expired token")
		case h == nil:
			problem(w, http.StatusNotFound, "not_found", "no such route")
		default:
			h(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// handle makes h answer pattern ("POST /api/v1/assets").
func (f *fakeAPI) handle(pattern string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[pattern] = h
}

// answer makes pattern ("POST /api/v1/assets") answer status with v as JSON.
func (f *fakeAPI) answer(pattern string, status int, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[pattern] = func(w http.ResponseWriter, _ *http.Request) {
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, v)
	}
}

// fail makes pattern answer a problem document.
func (f *fakeAPI) fail(pattern string, status int, code, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[pattern] = func(w http.ResponseWriter, _ *http.Request) { problem(w, status, code, detail) }
}

func (f *fakeAPI) last() recordedRaw {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		f.t.Fatal("the server received no request")
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeAPI) runner(t *testing.T) *runner {
	return newRunner(t, map[string]string{cli.EnvServer: f.URL, cli.EnvToken: testToken})
}

// wantRequest fails the test unless the last request had this method and
// path (with query, when want has one).
func wantRequest(t *testing.T, got recordedRaw, method, path string) {
	t.Helper()
	p, q, _ := strings.Cut(path, "?")
	if got.Method != method || got.Path != p || got.Query != q {
		t.Fatalf("request = %s %s?%s, want %s %s", got.Method, got.Path, got.Query, method, path)
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := junction.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// wantJSON decodes out as one JSON object.
func wantJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	return v
}

// wantAbsent fails the test if secret shows in any of outs.
func wantAbsent(t *testing.T, secret string, outs ...string) {
	t.Helper()
	for _, o := range outs {
		if strings.Contains(o, secret) {
			t.Fatalf("secret shown in output:\n%s", o)
		}
	}
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
