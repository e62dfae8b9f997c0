// Package httpapitest runs Junction's real REST API in a test: the httpapi
// server over the app, engine, resolver, job queue and trigger runtime, on
// a SQLite database in a temporary directory, so that clients of the API are
// tested against the real thing rather than a reproduction of it.
package httpapitest

import (
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
	"junction/credstore/credstoretest"
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

// Start is the time a Server's clock shows until a test moves it.
var Start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Options adjusts a Server.
type Options struct {
	// ConnectorsDir holds connector definitions beside the built-in ones.
	ConnectorsDir string
	// RootCAs are the CAs the outbound client trusts, for upstream test
	// servers over TLS; the system's when nil.
	RootCAs *x509.CertPool
}

// Server is a running API with a bootstrapped administrator. Outbound calls
// may reach loopback addresses, where tests run their upstream APIs; the
// job queue runs until the test ends.
type Server struct {
	// URL is the API's base URL, also the public URL webhook URLs start
	// with.
	URL string
	// AdminToken is the bootstrap administrator's API token.
	AdminToken string
	App        *app.App
	DB         *sqldb.DB
	// Clock is the server's time; it moves only when the test moves it.
	Clock *credstoretest.Clock
	// Triggers is the trigger runtime (SchedulePolls makes polls due now).
	Triggers *trigger.Runtime

	logs *logBuffer
}

// Logs returns what the server logged so far (JSON lines), for tests that
// check no secret reached the logs.
func (s *Server) Logs() string { return s.logs.String() }

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
	db := sqldbtest.Open(tb)
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	types := map[string]junction.CredentialStoreType{
		vault.TypeName:    vault.Type,
		cyberark.TypeName: cyberark.Type,
		azurekv.TypeName:  azurekv.Type(),
		awssm.TypeName:    awssm.Type(),
	}
	res, err := resolver.New(resolver.Options{Store: db, Keyring: ring, Types: types, Clock: clock, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { res.Close() })
	cat, err := connector.LoadCatalog(connector.Builtin(), o.ConnectorsDir)
	if err != nil {
		tb.Fatal(err)
	}
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
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	tb.Cleanup(srv.Close)
	a := app.New(db, app.Options{Clock: clock, Logger: logger, Keyring: ring, Resolver: res, StoreTypes: types,
		Catalog: cat, Engine: eng, OAuthRedirectURI: srv.URL + "/oauth/callback", Triggers: rt, PublicURL: srv.URL,
		JobRecheck: 20 * time.Millisecond})
	boot, err := a.Bootstrap(context.Background(), app.BootstrapOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	h := httpapi.New(a, httpapi.Options{Logger: logger, Metrics: registry}).Handler()
	handler.Store(&h)

	if err := q.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			tb.Errorf("stop job queue: %v", err)
		}
	})
	return &Server{URL: srv.URL, AdminToken: boot.Token.Reveal(), App: a, DB: db, Clock: clock, Triggers: rt, logs: logs}
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
