package httpapi_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/credstore/credstoretest"
	"junction/engine"
	"junction/httpapi"
	"junction/httpapi/httpapitest"
	"junction/queue"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// backends runs fn against every Store implementation available: SQLite
// always, PostgreSQL when JUNCTION_TEST_POSTGRES is set.
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) junction.Store)) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, func(t *testing.T) junction.Store { return b.Open(t, sqldb.Options{}) })
		})
	}
}

// env is a running API on a fresh database with a bootstrapped
// administrator.
type env struct {
	t      *testing.T
	api    *httpapitest.Server
	srv    *httptest.Server
	app    *app.App
	store  junction.Store
	clock  *credstoretest.Clock
	logs   fmt.Stringer
	admin  string // the bootstrap administrator's token
	server *httpapi.Server
	// keyring and logger are shared with further servers on the same
	// database (a second Junction process in a test).
	keyring junction.Keyring
	logger  *slog.Logger
	// engine runs the connections' tests and executions.
	engine *engine.Engine
	// queue and triggers run triggers; the queue starts with startQueue.
	queue    *queue.Queue
	triggers *trigger.Runtime
}

type envOptions struct {
	trustedProxies []netip.Prefix
	// roots are the CAs the outbound client trusts (TLS test servers).
	roots *x509.CertPool
	// connectorsDir holds connector definitions beside the built-in ones.
	connectorsDir string
	// authFailures limits failed authentication; the defaults when zero.
	authFailures httpapi.AuthLimit
}

// newEnv starts the API on store, a database from sqldbtest.
func newEnv(t *testing.T, store junction.Store, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	// The trigger runtime's queue is made but not started: tests that
	// need events processed start it (startQueue). Vault test servers
	// listen on 127.0.0.1, which stores may reach only when allowed.
	s := httpapitest.NewServer(t, httpapitest.Options{DB: store.(*sqldb.DB), ConnectorsDir: o.connectorsDir,
		RootCAs: o.roots, TrustedProxies: o.trustedProxies, PublicURL: publicURL, HoldQueue: true,
		StoreAllow: credstoretest.Loopback, AuthFailures: o.authFailures})
	return &env{t: t, api: s, srv: s.HTTP, app: s.App, store: s.DB, clock: s.Clock, logs: serverLogs{s}, admin: s.AdminToken,
		server: s.API, keyring: s.Keyring, logger: s.Logger, engine: s.Engine, queue: s.Queue, triggers: s.Triggers}
}

// serverLogs shows what a server logged so far.
type serverLogs struct{ s *httpapitest.Server }

func (l serverLogs) String() string { return l.s.Logs() }

// publicURL is the base of the webhook URLs the test servers' app shows;
// tests post to the same path on the test server.
const publicURL = "https://junction.test"

// startQueue starts the trigger runtime's workers until the test ends.
func (e *env) startQueue() {
	e.t.Helper()
	e.api.StartQueue()
}

// oauthRedirectURI is the callback address the test servers' app hands
// providers; tests call the callback on the test server themselves.
const oauthRedirectURI = publicURL + "/oauth/callback"

// storeTypes registers the external credential store types as main does.
func storeTypes() map[string]junction.CredentialStoreType { return httpapitest.StoreTypes() }

type response struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v, failing the test on error.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r *response) problem(t *testing.T) httpapi.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p httpapi.Problem
	r.decode(t, &p)
	return p
}

// call sends a request. body may be nil, a string sent as it is, or a value
// encoded as JSON.
func (e *env) call(method, path, token string, body any, header ...string) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// must sends a request and fails the test unless it answers want.
func (e *env) must(want int, method, path, token string, body any, out any) *response {
	e.t.Helper()
	r := e.call(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		r.decode(e.t, out)
	}
	return r
}

func (e *env) createFolder(token, name, parentID string) *junction.Folder {
	e.t.Helper()
	var f junction.Folder
	body := map[string]any{"name": name}
	if parentID != "" {
		body["parent_id"] = parentID
	}
	e.must(http.StatusCreated, "POST", "/api/v1/folders", token, body, &f)
	return &f
}

// createUser creates a user with tenant-wide roles and returns it with a
// token of its own.
func (e *env) createUser(adminToken, name string, roles ...string) (*junction.User, string) {
	e.t.Helper()
	var u junction.User
	if roles == nil {
		roles = []string{}
	}
	e.must(http.StatusCreated, "POST", "/api/v1/users", adminToken, map[string]any{"name": name, "roles": roles}, &u)
	var tok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	e.must(http.StatusCreated, "POST", "/api/v1/users/"+u.ID+"/tokens", adminToken, map[string]any{"name": "test"}, &tok)
	return &u, tok.Token
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
