package credproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"junction"
)

// ServerOptions configure the proxy's side.
type ServerOptions struct {
	// Stores are the stores the proxy serves, by the name Junction's
	// stores give as "store".
	Stores map[string]Definition
	// Types are the store types the proxy can open, as on the server.
	Types map[string]junction.CredentialStoreType
	// Keys are the shared keys a call may carry, any one of them (several
	// while a key is rotated; at most MaxKeys). They may be empty only
	// when ClientCertificates is set.
	Keys []junction.Secret
	// ClientCertificates reports that the TLS listener requires and
	// verifies a client certificate, which then authenticates the caller.
	ClientCertificates bool
	// Allow, Timeout, Clock, Transport and Resolver are given to every
	// store (see junction.CredentialStoreOptions): Allow is the proxy's
	// own --store-allow.
	Allow     []netip.Prefix
	Timeout   time.Duration
	Clock     junction.Clock
	Transport *http.Transport
	Resolver  interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
	Logger *slog.Logger
}

// Server serves the stores of its definitions to Junction servers. It
// keeps each store's adapter (and so its vault login) until a reload
// changes the store's definition, and no value beyond the request that
// read it. It never logs a value, a key or a store's login. It is safe for
// concurrent use; Reload may run while calls are served.
type Server struct {
	opts   ServerOptions // without Stores and Keys, which only the generations keep
	logger *slog.Logger
	clock  junction.Clock

	mu  sync.RWMutex // guards cur against the swap
	cur *generation

	reloadMu sync.Mutex // one reload at a time
	// retired is closed when the last replaced generation's adapters are
	// closed; retiring counts the replaced generations whose adapters wait
	// for their last call.
	retired  chan struct{}
	retiring sync.WaitGroup
}

// generation is one configuration the proxy serves: the stores opened from
// one reading of the definitions, and the keys accepted with them. A call
// holds the generation it started with until it ends.
type generation struct {
	defs     map[string]Definition
	stores   map[string]junction.CredentialStore
	types    map[string]string // store name -> type, for logs
	keys     *keySet           // nil: the client certificate authenticates
	inflight sync.WaitGroup
}

// NewServer opens every defined store (validating its configuration
// without contacting its vault) and returns the server. It refuses to
// serve without a key unless client certificates authenticate callers.
func NewServer(opts ServerOptions) (*Server, error) {
	s := &Server{opts: opts, logger: opts.Logger, clock: opts.Clock}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = junction.SystemClock{}
	}
	g, _, err := s.open(opts.Stores, opts.Keys, nil)
	if err != nil {
		return nil, err
	}
	s.opts.Stores, s.opts.Keys = nil, nil // a rotated-out key must not outlive its generation
	s.cur, s.retired = g, make(chan struct{})
	close(s.retired)
	return s, nil
}

// Reload replaces the served stores and the accepted keys. A store whose
// definition is unchanged keeps its adapter (and its vault login); the
// others are opened anew, and the adapters they replace, or of stores no
// longer defined, are closed once no call uses them. On error nothing
// changes: the proxy keeps serving what it served.
func (s *Server) Reload(defs map[string]Definition, keys []junction.Secret) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.cur
	g, kept, err := s.open(defs, keys, old)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cur = g
	s.mu.Unlock()
	// An adapter old kept from an earlier generation may still serve that
	// generation's calls: close only after the earlier retirement ended.
	before, done := s.retired, make(chan struct{})
	s.retired = done
	s.retiring.Add(1)
	go func() {
		defer s.retiring.Done()
		defer close(done)
		old.inflight.Wait()
		<-before
		if err := closeStores(old.stores, kept); err != nil {
			s.logger.Warn("credentials proxy: closing replaced stores", slog.Any("error", err))
		}
	}()
	return nil
}

// open builds a generation from defs and keys, reusing the adapters of
// prev whose definitions are unchanged; kept names them.
func (s *Server) open(defs map[string]Definition, keys []junction.Secret, prev *generation) (*generation, map[string]bool, error) {
	if len(keys) == 0 && !s.opts.ClientCertificates {
		return nil, nil, errors.New("credentials proxy: a key (JUNCTION_PROXY_KEY or --key-file) or a client CA (--client-ca) is required")
	}
	if len(defs) == 0 {
		return nil, nil, errors.New("credentials proxy: no stores defined (--stores)")
	}
	g := &generation{defs: defs, stores: map[string]junction.CredentialStore{}, types: map[string]string{}}
	if len(keys) > 0 {
		ks, err := newKeySet(keys)
		if err != nil {
			return nil, nil, err
		}
		g.keys = ks
	}
	kept := map[string]bool{}
	fail := func(err error) (*generation, map[string]bool, error) {
		_ = closeStores(g.stores, kept)
		return nil, nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		d := defs[name]
		if prev != nil {
			if st, ok := prev.stores[name]; ok && reflect.DeepEqual(prev.defs[name], d) {
				g.stores[name], g.types[name], kept[name] = st, d.Type, true
				continue
			}
		}
		if err := checkRef(name); err != nil {
			return fail(fmt.Errorf("credentials proxy: store %q: name %w", name, err))
		}
		t, ok := s.opts.Types[d.Type]
		if !ok {
			known := slices.Sorted(maps.Keys(s.opts.Types))
			return fail(fmt.Errorf("credentials proxy: store %q: unknown type %q; known types: %s", name, d.Type, strings.Join(known, ", ")))
		}
		so := junction.CredentialStoreOptions{
			Name: name, Clock: s.clock, Logger: s.logger.With("store", name, "store_type", d.Type),
			Insecure: d.Insecure, ProxyURL: d.ProxyURL, Transport: s.opts.Transport, Timeout: s.opts.Timeout,
			Allow: s.opts.Allow, Resolver: s.opts.Resolver,
		}
		st, err := t.Open(d.Config, so)
		if err != nil {
			return fail(fmt.Errorf("credentials proxy: store %q: %s", name, describe(err)))
		}
		if d.ReadOnly || !t.Writable {
			st = readOnly{st}
		}
		g.stores[name], g.types[name] = st, d.Type
	}
	return g, kept, nil
}

// closeStores closes the adapters of stores except those named in skip.
func closeStores(stores map[string]junction.CredentialStore, skip map[string]bool) error {
	var errs []error
	for name, st := range stores {
		if c, ok := st.(junction.Closer); ok && !skip[name] {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// describe names the configuration key at fault, for the operator.
func describe(err error) string {
	var e *junction.Error
	if errors.As(err, &e) && e.Field != "" {
		return "config." + e.Field + ": " + junction.ErrorMessage(err)
	}
	return junction.ErrorMessage(err)
}

// Close waits for the adapters replaced by reloads to be closed, then
// closes the current ones (their login renewal loops). Calls must have
// stopped.
func (s *Server) Close() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.retiring.Wait()
	return closeStores(s.cur.stores, nil)
}

// acquire returns the generation a call uses; the call must release it.
func (s *Server) acquire() *generation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.cur.inflight.Add(1)
	return s.cur
}

// Handler serves /healthz and the /v1/stores/{store}/{op} calls.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("POST /v1/stores/{store}/{op}", s.serveStore)
	mux.HandleFunc("POST /v1/ping", s.servePing)
	return mux
}

func (g *generation) authenticated(r *http.Request) bool {
	if g.keys == nil {
		return true // the listener verified the client certificate
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return g.keys.accepts(given) && ok
}

func (s *Server) servePing(w http.ResponseWriter, r *http.Request) {
	g := s.acquire()
	defer g.inflight.Done()
	if !g.authenticated(r) {
		s.logger.Warn("credentials proxy refused a call: wrong or missing key", "remote", r.RemoteAddr, "op", opPing)
		writeProblem(w, http.StatusUnauthorized, problem{Code: junction.EUNAUTHENTICATED, Message: "the credentials proxy refused the key"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveStore(w http.ResponseWriter, r *http.Request) {
	start := s.clock.Now()
	name, op := r.PathValue("store"), r.PathValue("op")
	g := s.acquire()
	defer g.inflight.Done()
	if !g.authenticated(r) {
		s.logger.Warn("credentials proxy refused a call: wrong or missing key", "remote", r.RemoteAddr, "op", op)
		writeProblem(w, http.StatusUnauthorized, problem{Code: junction.EUNAUTHENTICATED, Message: "the credentials proxy refused the key"})
		return
	}
	st, ok := g.stores[name]
	if !ok {
		writeProblem(w, http.StatusUnprocessableEntity, problem{Code: junction.EINVALID, Field: "store",
			Message: fmt.Sprintf("the credentials proxy has no store named %q", name)})
		return
	}
	var req request
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, http.StatusBadRequest, problem{Code: junction.EINVALID, Message: "malformed request body"})
		return
	}
	defer func() { req.Value = "" }()
	var (
		err  error
		body any
	)
	switch op {
	case opCheck:
		err = st.Check(r.Context())
	case opRead:
		var v junction.StoredSecret
		if v, err = st.Read(r.Context(), req.Kind, req.Name); err == nil {
			body = readResponse{Username: v.Username, Value: v.Value.Reveal(), ValidForMS: v.ValidFor.Milliseconds()}
		}
	case opWrite, opDelete:
		ws, ok := st.(junction.WritableCredentialStore)
		if !ok {
			err = &junction.Error{Code: junction.ECREDSTOREREADONLY, Message: fmt.Sprintf("store %q is read-only on the credentials proxy", name)}
		} else if op == opWrite {
			err = ws.Write(r.Context(), req.Kind, req.Name, junction.StoredSecret{Username: req.Username, Value: junction.NewSecret(req.Value)})
		} else {
			err = ws.Delete(r.Context(), req.Name)
		}
	default:
		writeProblem(w, http.StatusNotFound, problem{Code: junction.ENOTFOUND, Message: "unknown operation"})
		return
	}
	attrs := []slog.Attr{slog.String("op", op), slog.String("store", name), slog.String("store_type", g.types[name]),
		slog.Duration("elapsed", s.clock.Now().Sub(start))}
	if err != nil {
		s.logFailure(r, err, attrs)
		writeStoreError(w, err)
		return
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "credentials proxy call", attrs...)
	if body == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) logFailure(r *http.Request, err error, attrs []slog.Attr) {
	attrs = append(attrs, slog.String("code", junction.ErrorCode(err)))
	var ue *junction.StoreUnreachableError
	if errors.As(err, &ue) {
		attrs = append(attrs, slog.String("host", ue.Host), slog.String("cause", ue.Diagnosis))
	} else if junction.ErrorCode(err) == junction.EINTERNAL {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	s.logger.LogAttrs(r.Context(), slog.LevelWarn, "credentials proxy call failed", attrs...)
}

// writeStoreError answers with the adapter's code and message; adapters
// keep values and logins out of both. Internal errors stay in the log.
func writeStoreError(w http.ResponseWriter, err error) {
	p := problem{Code: junction.ErrorCode(err), Message: junction.ErrorMessage(err)}
	var e *junction.Error
	if errors.As(err, &e) {
		p.Field = e.Field
	}
	status := http.StatusInternalServerError
	switch p.Code {
	case junction.ECREDNOTFOUND:
		status = http.StatusNotFound
	case junction.ECREDSTOREAUTH:
		status = http.StatusForbidden
	case junction.ECREDSTOREUNAVAILABLE:
		status = http.StatusServiceUnavailable
	case junction.EINVALID:
		status = http.StatusUnprocessableEntity
	case junction.ECREDSTOREREADONLY:
		status = http.StatusConflict
	default:
		p = problem{Code: junction.EINTERNAL, Message: "internal error"}
	}
	writeProblem(w, status, p)
}

func writeProblem(w http.ResponseWriter, status int, p problem) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// readOnly hides a store's write methods.
type readOnly struct{ junction.CredentialStore }

func (r readOnly) Close() error {
	if c, ok := r.CredentialStore.(junction.Closer); ok {
		return c.Close()
	}
	return nil
}
