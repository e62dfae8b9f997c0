package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"junction"
	"junction/cli"
	"junction/credstore/credstoretest"
	"junction/httpapi/httpapitest"
)

// env is a client pointed at the real API on a fresh database, as its
// bootstrap administrator.
type env struct {
	*runner
	srv *httpapitest.Server
}

func newEnv(t *testing.T, opts ...httpapitest.Options) *env {
	t.Helper()
	o := httpapitest.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.StoreAllow == nil {
		// Vault test servers listen on 127.0.0.1, which stores may reach
		// only when allowed.
		o.StoreAllow = credstoretest.Loopback
	}
	sent := &requestLog{}
	if o.OnRequest == nil {
		o.OnRequest = sent.record
	}
	srv := httpapitest.NewServer(t, o)
	t.Cleanup(func() { checkAgainstOpenAPI(t, srv.URL, sent) })
	return &env{srv: srv, runner: newRunner(t, map[string]string{cli.EnvServer: srv.URL, cli.EnvToken: srv.AdminToken})}
}

// runner runs client commands with their own environment and config dir.
type runner struct {
	t         *testing.T
	env       map[string]string
	configDir string
}

func newRunner(t *testing.T, env map[string]string) *runner {
	return &runner{t: t, env: env, configDir: t.TempDir()}
}

func (r *runner) run(args ...string) (stdout, stderr string, err error) {
	r.t.Helper()
	return r.runWithStdin("", args...)
}

// runWithStdin runs a command whose standard input holds stdin.
func (r *runner) runWithStdin(stdin string, args ...string) (stdout, stderr string, err error) {
	r.t.Helper()
	var out, errb bytes.Buffer
	root := &cobra.Command{Use: "junction", SilenceErrors: true, SilenceUsage: true}
	root.SetOut(&out)
	root.SetErr(&errb)
	root.AddCommand(cli.New(cli.Env{
		Stdin:     strings.NewReader(stdin),
		Stdout:    &out,
		Stderr:    &errb,
		Getenv:    func(k string) string { return r.env[k] },
		ConfigDir: func() (string, error) { return r.configDir, nil },
		Now:       func() time.Time { return httpapitest.Start },
	}).Commands()...)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// must runs a command and fails the test if it fails.
func (r *runner) must(args ...string) string {
	r.t.Helper()
	out, errOut, err := r.run(args...)
	if err != nil {
		r.t.Fatalf("junction %s: %s\n%s", strings.Join(args, " "), cli.FormatError(err), errOut)
	}
	return out
}

// create runs a create command with -o json and returns the new object's
// ID.
func (r *runner) create(args ...string) string {
	r.t.Helper()
	return idOf(r.t, r.must(append(args, "-o", "json")...))
}

func idOf(t *testing.T, out string) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" {
		t.Fatalf("no id in %q (%v)", out, err)
	}
	return v.ID
}

// api calls the REST API directly as the administrator, to set a scene up
// or look at what a command did; it fails the test unless the answer has
// status want, and decodes the body into out when out is not nil.
func (e *env) api(want int, method, path string, body, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.srv.AdminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("decode %s: %v", b, err)
		}
	}
}

// get reads one object from the API as a generic JSON object.
func (e *env) get(path string) map[string]any {
	e.t.Helper()
	var v map[string]any
	e.api(http.StatusOK, http.MethodGet, path, nil, &v)
	return v
}

// folder creates a folder through the API and returns its ID.
func (e *env) folder(name string) string {
	e.t.Helper()
	var f junction.Folder
	e.api(http.StatusCreated, http.MethodPost, "/api/v1/folders", map[string]any{"name": name}, &f)
	return f.ID
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

// wantAbsent fails the test if secret shows in any of outs, without
// printing the output that holds it.
func wantAbsent(t *testing.T, secret string, outs ...string) {
	t.Helper()
	for i, o := range outs {
		if strings.Contains(o, secret) {
			t.Fatalf("a secret was shown in output %d", i)
		}
	}
}

// wantContains fails the test unless out holds every one of want.
func wantContains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(out, s) {
			t.Fatalf("output lacks %q:\n%s", s, out)
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

// missingID is a well-formed ID no object has.
const missingID = "01890000-0000-7000-8000-000000000000"
