package httpapi_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/credstore/awssm"
	"junction/credstore/azurekv"
	"junction/credstore/cyberark"
	"junction/credstore/vault"
	"junction/engine"
	"junction/httpapi"
	"junction/keyring"
	"junction/outbound"
	"junction/queue"
	"junction/resolver"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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
	srv    *httptest.Server
	app    *app.App
	store  junction.Store
	clock  *fakeClock
	logs   *syncBuffer
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
}

func newEnv(t *testing.T, store junction.Store, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	clock := &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	res0, err := resolver.New(resolver.Options{Store: store, Keyring: ring, Types: storeTypes(), Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res0.Close() })
	cat, err := connector.LoadCatalog(connector.Builtin(), o.connectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	// Upstream test servers listen on loopback, which the guard refuses
	// unless allowed.
	out, err := outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs: o.roots, Clock: clock, Logger: logger, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(res0.Collector())
	eng, err := engine.New(engine.Options{Store: store, Keyring: ring, Catalog: cat, Resolver: res0, Outbound: out,
		Clock: clock, Logger: logger, Registerer: registry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	// The trigger runtime's queue is made but not started: tests that
	// need events processed start it (startQueue).
	db := store.(*sqldb.DB)
	q, err := queue.New(context.Background(), queue.Options{DB: db, FetchPollInterval: 20 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := trigger.New(trigger.Options{Store: store, Keyring: ring, Catalog: cat, Engine: eng, Queue: q, Outbound: out,
		Clock: clock, Logger: logger, DeliveryRetryDelay: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(store, app.Options{Clock: clock, Logger: logger, Keyring: ring, Resolver: res0, StoreTypes: storeTypes(),
		Catalog: cat, Engine: eng, OAuthRedirectURI: oauthRedirectURI, Triggers: rt, PublicURL: publicURL,
		JobRecheck: 20 * time.Millisecond})
	res, err := a.Bootstrap(context.Background(), app.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Token.IsZero() {
		t.Fatalf("bootstrap on an empty database: %+v", res)
	}
	s := httpapi.New(a, httpapi.Options{Logger: logger, TrustedProxies: o.trustedProxies, Metrics: registry})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, app: a, store: store, clock: clock, logs: logs, admin: res.Token.Reveal(), server: s,
		keyring: ring, logger: logger, engine: eng, queue: q, triggers: rt}
}

// publicURL is the base of the webhook URLs the test servers' app shows;
// tests post to the same path on the test server.
const publicURL = "https://junction.test"

// startQueue starts the trigger runtime's workers until the test ends.
func (e *env) startQueue() {
	e.t.Helper()
	if err := e.queue.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.queue.Stop(ctx); err != nil {
			e.t.Errorf("stop queue: %v", err)
		}
	})
}

// oauthRedirectURI is the callback address the test servers' app hands
// providers; tests call the callback on the test server themselves.
const oauthRedirectURI = "https://junction.test/oauth/callback"

// storeTypes registers the external credential store types as main does.
func storeTypes() map[string]junction.CredentialStoreType {
	return map[string]junction.CredentialStoreType{
		vault.TypeName:    vault.Type,
		cyberark.TypeName: cyberark.Type,
		azurekv.TypeName:  azurekv.Type(),
		awssm.TypeName:    awssm.Type(),
	}
}

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
