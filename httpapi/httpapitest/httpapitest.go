// Package httpapitest runs Junction's real REST API in a test: the httpapi
// server over the app, engine, resolver, job queue and trigger runtime, on
// a real database, so that clients of the API are tested against the real
// thing rather than a reproduction of it.
package httpapitest

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/credstore/awssm"
	"junction/credstore/azurekv"
	"junction/credstore/beyondtrust"
	"junction/credstore/conjur"
	"junction/credstore/credproxy"
	"junction/credstore/credstoretest"
	"junction/credstore/cyberark"
	"junction/credstore/delinea"
	"junction/credstore/gcpsm"
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

// Start is the time a Server's clock shows until a test moves it.
var Start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Options adjusts a Server.
type Options struct {
	// DB is the database the server runs on, for tests that choose the
	// backend (sqldbtest.Backends); a fresh SQLite database in a temporary
	// directory when nil. The database must be empty: the server
	// bootstraps its administrator.
	DB *sqldb.DB
	// ConnectorsDir holds connector definitions beside the built-in ones.
	ConnectorsDir string
	// RootCAs are the CAs the outbound client trusts, for upstream test
	// servers over TLS; the system's when nil.
	RootCAs *x509.CertPool
	// TrustedProxies are the peers whose forwarding headers the API
	// believes.
	TrustedProxies []netip.Prefix
	// PublicURL is the base of the webhook and OAuth callback URLs the
	// app shows; the server's own URL when empty. A fixed one keeps those
	// URLs the same from run to run.
	PublicURL string
	// HoldQueue leaves the job queue stopped until the test calls
	// StartQueue, so that the test sees jobs waiting.
	HoldQueue bool
	// StoreAllow are the addresses credential stores may reach beyond
	// public and private ones (--store-allow); tests whose vault servers
	// listen on 127.0.0.1 pass credstoretest.Loopback.
	StoreAllow []netip.Prefix
	// AuthFailures limits failed authentication, timed by the server's
	// clock; httpapi's defaults when zero.
	AuthFailures httpapi.AuthLimit
	// MaxExecuteBodyBytes limits an execution's body; the API's default
	// when zero.
	MaxExecuteBodyBytes int64
	// OnRequest, when set, sees every request before the API serves it,
	// with its body readable again afterwards: for tests that check what
	// a client sends against the API's own description.
	OnRequest func(r *http.Request, body []byte)
}

// Server is a running API with a bootstrapped administrator. Outbound calls
// may reach loopback addresses, where tests run their upstream APIs; the
// job queue runs until the test ends unless Options.HoldQueue.
type Server struct {
	// URL is the API's base URL, also the public URL webhook URLs start
	// with unless Options.PublicURL says otherwise.
	URL string
	// HTTP is the listening test server; its Client reaches URL.
	HTTP *httptest.Server
	// API is the httpapi server behind URL.
	API *httpapi.Server
	// AdminToken is the bootstrap administrator's API token.
	AdminToken string
	App        *app.App
	DB         *sqldb.DB
	// Clock is the server's time; it moves only when the test moves it.
	Clock *credstoretest.Clock
	// Keyring and Logger are the server's, for a second process a test
	// starts on the same database.
	Keyring junction.Keyring
	Logger  *slog.Logger
	// Engine runs the connections' tests and executions.
	Engine *engine.Engine
	// Queue runs the trigger runtime's jobs.
	Queue *queue.Queue
	// Triggers is the trigger runtime (SchedulePolls makes polls due now).
	Triggers *trigger.Runtime

	tb   testing.TB
	logs *logBuffer
}

// Logs returns what the server logged so far (JSON lines), for tests that
// check no secret reached the logs.
func (s *Server) Logs() string { return s.logs.String() }

// StoreTypes returns the external credential store types, registered as
// main registers them.
func StoreTypes() map[string]junction.CredentialStoreType {
	return map[string]junction.CredentialStoreType{
		vault.TypeName:       vault.Type,
		cyberark.TypeName:    cyberark.Type,
		azurekv.TypeName:     azurekv.Type(),
		awssm.TypeName:       awssm.Type(),
		conjur.TypeName:      conjur.Type,
		gcpsm.TypeName:       gcpsm.Type,
		delinea.TypeName:     delinea.Type,
		beyondtrust.TypeName: beyondtrust.Type,
		credproxy.TypeName:   credproxy.Type,
	}
}

// NewServer starts a Server and stops it when the test ends.
func NewServer(tb testing.TB, opts ...Options) *Server {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	clock := credstoretest.NewClock(Start)
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db := o.DB
	if db == nil {
		db = sqldbtest.Open(tb)
	}
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	types := StoreTypes()
	res, err := resolver.New(resolver.Options{Store: db, Keyring: ring, Types: types, Clock: clock, Logger: logger,
		StoreAllow: o.StoreAllow})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { res.Close() })
	builtin, err := connector.LoadCatalog(connector.Builtin(), o.ConnectorsDir)
	if err != nil {
		tb.Fatal(err)
	}
	cat := connector.NewLibrary(builtin, db)
	out, err := outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs: o.RootCAs, Clock: clock, Logger: logger, MaxRetries: -1})
	if err != nil {
		tb.Fatal(err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(res.Collector())
	eng, err := engine.New(engine.Options{Store: db, Keyring: ring, Catalog: cat, Resolver: res, Outbound: out,
		Clock: clock, Logger: logger, Registerer: registry})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = eng.Close() })
	q, err := queue.New(context.Background(), queue.Options{DB: db, FetchPollInterval: 20 * time.Millisecond, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	rt, err := trigger.New(trigger.Options{Store: db, Keyring: ring, Catalog: cat, Engine: eng, Queue: q, Outbound: out,
		Clock: clock, Logger: logger, DeliveryRetryDelay: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		tb.Fatal(err)
	}

	// The app needs the public URL before the server exists: the handler
	// is put in place once it is built.
	var handler atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := handler.Load(); h != nil {
			if o.OnRequest != nil {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				o.OnRequest(r, body)
			}
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	tb.Cleanup(srv.Close)
	publicURL := o.PublicURL
	if publicURL == "" {
		publicURL = srv.URL
	}
	a := app.New(db, app.Options{Clock: clock, Logger: logger, Keyring: ring, Resolver: res, StoreTypes: types,
		Catalog: cat, Engine: eng, OAuthRedirectURI: publicURL + "/oauth/callback", Triggers: rt, PublicURL: publicURL,
		JobRecheck: 20 * time.Millisecond})
	boot, err := a.Bootstrap(context.Background(), app.BootstrapOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if !boot.Created || boot.Token.IsZero() {
		tb.Fatal("bootstrap created no administrator: the database was not empty")
	}
	api := httpapi.New(a, httpapi.Options{Logger: logger, TrustedProxies: o.TrustedProxies, Metrics: registry,
		AuthFailures: o.AuthFailures, Clock: clock, MaxExecuteBodyBytes: o.MaxExecuteBodyBytes})
	h := api.Handler()
	handler.Store(&h)

	s := &Server{URL: srv.URL, HTTP: srv, API: api, AdminToken: boot.Token.Reveal(), App: a, DB: db, Clock: clock,
		Keyring: ring, Logger: logger, Engine: eng, Queue: q, Triggers: rt, tb: tb, logs: logs}
	if !o.HoldQueue {
		s.StartQueue()
	}
	return s
}

// StartQueue starts the job queue's workers until the test ends; only for
// a Server started with Options.HoldQueue.
func (s *Server) StartQueue() {
	s.tb.Helper()
	if err := s.Queue.Start(context.Background()); err != nil {
		s.tb.Fatal(err)
	}
	s.tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Queue.Stop(ctx); err != nil {
			s.tb.Errorf("stop job queue: %v", err)
		}
	})
}

// logBuffer collects log lines written from the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

var _ io.Writer = (*logBuffer)(nil)

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
