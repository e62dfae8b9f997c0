package credproxy

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
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
	// Key is the shared key every call must carry. It may be zero only
	// when ClientCertificates is set.
	Key junction.Secret
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
// keeps each store's adapter (and so its vault login) for its lifetime,
// and no value beyond the request that read it. It never logs a value, a
// key or a store's login.
type Server struct {
	stores  map[string]junction.CredentialStore
	types   map[string]string // store name -> type, for logs
	keySum  [sha256.Size]byte
	withKey bool
	logger  *slog.Logger
	clock   junction.Clock
}

// NewServer opens every defined store (validating its configuration
// without contacting its vault) and returns the server. It refuses to
// serve without a key unless client certificates authenticate callers.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Key.IsZero() && !opts.ClientCertificates {
		return nil, errors.New("credentials proxy: a key (JUNCTION_PROXY_KEY or --key-file) or a client CA (--client-ca) is required")
	}
	if len(opts.Stores) == 0 {
		return nil, errors.New("credentials proxy: no stores defined (--stores)")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := opts.Clock
	if clock == nil {
		clock = junction.SystemClock{}
	}
	s := &Server{stores: map[string]junction.CredentialStore{}, types: map[string]string{}, logger: logger, clock: clock}
	if !opts.Key.IsZero() {
		s.keySum, s.withKey = sha256.Sum256([]byte(opts.Key.Reveal())), true
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Stores)) {
		d := opts.Stores[name]
		if err := checkRef(name); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("credentials proxy: store %q: name %w", name, err)
		}
		t, ok := opts.Types[d.Type]
		if !ok {
			_ = s.Close()
			known := slices.Sorted(maps.Keys(opts.Types))
			return nil, fmt.Errorf("credentials proxy: store %q: unknown type %q; known types: %s", name, d.Type, strings.Join(known, ", "))
		}
		so := junction.CredentialStoreOptions{
			Name: name, Clock: clock, Logger: logger.With("store", name, "store_type", d.Type),
			Insecure: d.Insecure, ProxyURL: d.ProxyURL, Transport: opts.Transport, Timeout: opts.Timeout, Allow: opts.Allow, Resolver: opts.Resolver,
		}
		st, err := t.Open(d.Config, so)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("credentials proxy: store %q: %s", name, describe(err))
		}
		if d.ReadOnly || !t.Writable {
			st = readOnly{st}
		}
		s.stores[name], s.types[name] = st, d.Type
	}
	return s, nil
}

// describe names the configuration key at fault, for the operator.
func describe(err error) string {
	var e *junction.Error
	if errors.As(err, &e) && e.Field != "" {
		return "config." + e.Field + ": " + junction.ErrorMessage(err)
	}
	return junction.ErrorMessage(err)
}

// Close closes every store's adapter (their login renewal loops).
func (s *Server) Close() error {
	var errs []error
	for _, st := range s.stores {
		if c, ok := st.(junction.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
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

func (s *Server) authenticated(r *http.Request) bool {
	if !s.withKey {
		return true // the listener verified the client certificate
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	// Both sides hashed, so the comparison takes the same time whatever
	// the lengths.
	sum := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(sum[:], s.keySum[:]) == 1
}

func (s *Server) servePing(w http.ResponseWriter, r *http.Request) {
	if !s.authenticated(r) {
		s.logger.Warn("credentials proxy refused a call: wrong or missing key", "remote", r.RemoteAddr, "op", opPing)
		writeProblem(w, http.StatusUnauthorized, problem{Code: junction.EUNAUTHENTICATED, Message: "the credentials proxy refused the key"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveStore(w http.ResponseWriter, r *http.Request) {
	start := s.clock.Now()
	name, op := r.PathValue("store"), r.PathValue("op")
	if !s.authenticated(r) {
		s.logger.Warn("credentials proxy refused a call: wrong or missing key", "remote", r.RemoteAddr, "op", op)
		writeProblem(w, http.StatusUnauthorized, problem{Code: junction.EUNAUTHENTICATED, Message: "the credentials proxy refused the key"})
		return
	}
	st, ok := s.stores[name]
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
	attrs := []slog.Attr{slog.String("op", op), slog.String("store", name), slog.String("store_type", s.types[name]),
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
