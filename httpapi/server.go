// Package httpapi serves Junction's REST API under /api/v1: bearer-token
// authentication, strict JSON bodies, RFC 9457 problem documents, request IDs
// and an OpenAPI 3.1 document generated from the same route table the mux
// is built from.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
	"junction/app"
)

// DefaultMaxBodyBytes limits request bodies unless Options say otherwise.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxExecuteBodyBytes limits the body of an execution, which may
// carry files in base64 (about 12 MiB of file), unless Options say
// otherwise.
const DefaultMaxExecuteBodyBytes = 16 << 20

// Options configures a Server. Zero values are replaced by defaults.
type Options struct {
	// Logger receives the access log and internal errors; discarded when nil.
	Logger *slog.Logger
	// Readiness, when set, is called by GET /readyz; an error answers 503.
	// Typically it pings the database.
	Readiness func(ctx context.Context) error
	// MaxBodyBytes limits request bodies; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// MaxExecuteBodyBytes limits the body of POST .../execute, whose file
	// inputs come in base64; DefaultMaxExecuteBodyBytes when zero, and
	// never less than MaxBodyBytes.
	MaxExecuteBodyBytes int64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header is
	// believed when recording the client address for audit. Requests from
	// anywhere else are recorded with their connection's address.
	TrustedProxies []netip.Prefix
	// Version is shown in the OpenAPI document's info.version.
	Version string
	// Metrics, when set, is served at GET /metrics in the Prometheus text
	// format, without a token.
	Metrics prometheus.Gatherer
	// AuthFailures limits failed authentication per client address and
	// per token prefix.
	AuthFailures AuthLimit
	// Clock times the limit on failed authentication; the system clock
	// when nil.
	Clock junction.Clock
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	app     *app.App
	logger  *slog.Logger
	opts    Options
	mux     *http.ServeMux
	routes  []route
	openapi []byte
	handler http.Handler
	// authLimit is nil when failed authentication is not limited.
	authLimit *authLimiter
	// ui serves every path outside the API; see Mount.
	ui http.Handler
}

// Mount serves ui, the web UI, for every path the API does not route
// outside /api/, behind the same request IDs, access log and panic
// recovery. Call it before serving.
func (s *Server) Mount(ui http.Handler) { s.ui = ui }

// ClientIP is the client's address as the audit log records it: the
// peer's, or the nearest untrusted hop behind a trusted proxy.
func (s *Server) ClientIP(r *http.Request) string { return s.clientIP(r) }

// RequestID is the ID the request was given for logs and audit entries.
func (s *Server) RequestID(r *http.Request) string { return requestIDFrom(r.Context()) }

// CheckLogin applies the limit on failed authentication to a sign-in by
// user name: the client address's budget, shared with bearer tokens, and
// the user's own. It answers rate_limited when either is spent.
func (s *Server) CheckLogin(r *http.Request, tenant, user string) error {
	return s.authLimit.check(s.clientAddr(r), loginKey(tenant, user), "")
}

// LoginFailed spends one attempt of the client address and of the user.
func (s *Server) LoginFailed(r *http.Request, tenant, user string) {
	s.authLimit.failed(r.Context(), s.clientAddr(r), loginKey(tenant, user))
}

// MaxExecuteBodyBytes is the most an execution's request may carry, so
// that the web UI holds uploads from its forms to the API's limit.
func (s *Server) MaxExecuteBodyBytes() int64 { return s.opts.MaxExecuteBodyBytes }

// New returns a Server calling a for every operation.
func New(a *app.App, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxExecuteBodyBytes <= 0 {
		opts.MaxExecuteBodyBytes = DefaultMaxExecuteBodyBytes
	}
	opts.MaxExecuteBodyBytes = max(opts.MaxExecuteBodyBytes, opts.MaxBodyBytes)
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.Clock == nil {
		opts.Clock = junction.SystemClock{}
	}
	s := &Server{app: a, logger: opts.Logger, opts: opts, mux: http.NewServeMux(),
		authLimit: newAuthLimiter(opts.AuthFailures, opts.Clock, opts.Logger)}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		if err := rt.access.check(); err != nil {
			// Like the OpenAPI document below, the table is code: a route
			// without an authorization decision is a bug every test run
			// catches, before it can serve a request.
			panic("httpapi: route " + rt.pattern() + ": " + err.Error())
		}
		s.mux.Handle(rt.pattern(), s.endpoint(rt))
	}
	doc, err := s.openAPIDocument()
	if err != nil {
		// The document depends on code only; failing here is a bug that
		// every test run catches.
		panic("httpapi: build OpenAPI document: " + err.Error())
	}
	s.openapi = doc
	s.handler = s.withRequestContext(http.HandlerFunc(s.dispatch))
	return s
}

// Handler returns the root handler: every route of the API plus /healthz and
// /readyz.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the "METHOD /path" patterns registered on the mux, in
// registration order.
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.pattern()
	}
	return out
}

// route is one operation: how the mux finds it, how it is documented, and
// who may call it. The OpenAPI document is generated from these, so a route
// cannot exist without its documentation.
type route struct {
	method, path string
	op           string // operationId
	tag          string
	summary      string
	// permission says in words what the caller needs, for the
	// documentation.
	permission string
	// access is the route's declared authorization decision. Every route
	// has one: New refuses a table where one is missing, and the route
	// matrix test checks the server keeps each, for every built-in role.
	access Access
	// request and response are zero values of the body types; nil for none.
	request, response any
	// upload, when set, is the schema of a multipart/form-data body the
	// route takes besides its JSON one.
	upload map[string]any
	// bodyOptional documents a request body that may be left out.
	bodyOptional bool
	// fileAnswer documents that the success answer may be a file's bytes
	// instead of the JSON response (an execution asked with Accept).
	fileAnswer bool
	status     int // success status
	query      []queryParam
	handle     func(w http.ResponseWriter, r *http.Request) error
}

type queryParam struct {
	name, description string
	format            string // "", "date-time", "integer"
}

// Operations describes every route with its declared authorization, in
// registration order, for tests and tooling that must cover all of them.
func (s *Server) Operations() []Operation {
	out := make([]Operation, len(s.routes))
	for i, rt := range s.routes {
		a := rt.access
		a.Permissions = slices.Clone(a.Permissions)
		out[i] = Operation{Method: rt.method, Path: rt.path, ID: rt.op, Access: a}
	}
	return out
}

// Operation is one route as Operations describes it.
type Operation struct {
	Method, Path string
	ID           string // the OpenAPI operationId
	Access       Access
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// wildcards names the path's wildcards ("id" of {id}, "rest" of {rest...}).
func (rt route) wildcards() []string {
	var names []string
	for seg := range strings.SplitSeq(rt.path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
			names = append(names, name)
		}
	}
	return names
}

var pageParams = []queryParam{
	{name: "limit", description: "Page size, 1 to 500; 50 by default.", format: "integer"},
	{name: "cursor", description: "The next_cursor of the previous page."},
}

// routeTable lists every route. Each resource's handlers live in their own
// file.
func (s *Server) routeTable() []route {
	var rs []route
	rs = append(rs, s.healthRoutes()...)
	rs = append(rs, s.tenantRoutes()...)
	rs = append(rs, s.folderRoutes()...)
	rs = append(rs, s.userRoutes()...)
	rs = append(rs, s.tokenRoutes()...)
	rs = append(rs, s.roleRoutes()...)
	rs = append(rs, s.meRoutes()...)
	rs = append(rs, s.auditRoutes()...)
	rs = append(rs, s.credentialStoreRoutes()...)
	rs = append(rs, s.credentialProxyRoutes()...)
	rs = append(rs, s.assetRoutes()...)
	rs = append(rs, s.connectorRoutes()...)
	rs = append(rs, s.customConnectorRoutes()...)
	rs = append(rs, s.draftPartRoutes()...)
	rs = append(rs, s.connectionRoutes()...)
	rs = append(rs, s.executionRoutes()...)
	rs = append(rs, s.oauthRoutes()...)
	rs = append(rs, s.triggerRoutes()...)
	rs = append(rs, s.hookRoutes()...)
	rs = append(rs, s.jobRoutes()...)
	rs = append(rs, s.notificationRoutes()...)
	rs = append(rs, s.usageRoutes()...)
	rs = append(rs, s.diagnosticsRoutes()...)
	rs = append(rs, s.metricsRoutes()...)
	return rs
}

// endpoint wraps a route's handler with authentication and error rendering.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.access.Scope != ScopePublic {
			p, err := s.authenticate(r)
			if err != nil {
				// Only routes that take a bearer token challenge for one: a
				// webhook intake's 401 is about the vendor's signature, and
				// a vendor told to present a bearer token would be misled.
				if junction.IsCode(err, junction.EUNAUTHENTICATED) {
					w.Header().Set("WWW-Authenticate", `Bearer realm="junction"`)
				}
				s.writeError(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), principalKey, p)
			logger := withLazyAttrs(loggerFrom(ctx), slog.String("tenant_id", p.TenantID()), slog.String("user_id", p.User.ID))
			ctx = app.WithLogger(context.WithValue(ctx, loggerKey, logger), logger)
			r = r.WithContext(ctx)
		}
		if err := checkParams(r, rt); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := rt.handle(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// dispatch routes a request, answering unknown paths and wrong methods with
// problem documents rather than the mux's plain text.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if s.ui != nil && r.URL.Path != "/api" && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.ui.ServeHTTP(w, r)
		return
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		s.writeError(w, r, junction.Errorf(junction.ENOTFOUND, "no route for %s", r.URL.Path))
		return
	}
	if allowed[0] == http.MethodGet {
		allowed = append(allowed[:1], append([]string{http.MethodHead}, allowed[1:]...)...)
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeError(w, r, &junction.Error{Code: errMethodNotAllowed,
		Message: r.Method + " is not allowed here", Details: map[string]any{"allow": allowed}})
}

// authenticate checks the bearer token and returns the caller, with the
// client address and request ID filled in for audit.
func (s *Server) authenticate(r *http.Request) (*junction.Principal, error) {
	token, ok := bearerToken(r)
	if !ok {
		return nil, junction.Errorf(junction.EUNAUTHENTICATED, "missing, invalid or expired token")
	}
	addr := s.clientAddr(r)
	if err := s.authLimit.check(addr, prefixKey(token), token); err != nil {
		return nil, err
	}
	p, err := s.app.Authenticate(r.Context(), token)
	if junction.IsCode(err, junction.EUNAUTHENTICATED) {
		s.authLimit.failed(r.Context(), addr, prefixKey(token))
	}
	if err != nil {
		return nil, err
	}
	s.authLimit.succeeded(token)
	p.IP = addrString(addr, r)
	p.RequestID = requestIDFrom(r.Context())
	return p, nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return h[len(prefix):], true
}

// principal returns the authenticated caller of r. Only handlers of
// non-public routes call it.
func principal(r *http.Request) *junction.Principal {
	p, _ := r.Context().Value(principalKey).(*junction.Principal)
	return p
}

type contextKey int

const (
	principalKey contextKey = iota
	loggerKey
	requestIDKey
)

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// withRequestContext gives every request an ID (a sane incoming
// X-Request-Id, or a new one), a logger carrying it, an access log line, and
// a problem document instead of a dropped connection when a handler panics.
func (s *Server) withRequestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = junction.NewID()
		}
		logger := withLazyAttrs(s.logger, slog.String("request_id", id))
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = app.WithLogger(context.WithValue(ctx, loggerKey, logger), logger)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(ctx, "panic serving request", slog.Any("panic", v))
				if rec.status == 0 {
					s.writeError(rec, r, junction.Internal(nil))
				}
			}
			// Method, path and outcome only: headers, query strings and
			// bodies may carry secrets.
			logger.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", redactHookPath(r.URL.Path)),
				slog.Int("status", rec.statusCode()),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size of a response for the
// access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clientIP is the address recorded in audit entries; see clientAddr.
func (s *Server) clientIP(r *http.Request) string { return addrString(s.clientAddr(r), r) }

// addrString shows a client address, or the connection's remote address
// as it came when it could not be parsed.
func addrString(a netip.Addr, r *http.Request) string {
	if !a.IsValid() {
		return r.RemoteAddr
	}
	return a.String()
}

// clientAddr is the client's address, for audit entries and the limit on
// failed authentication: the connection's peer, or, when that peer is a
// trusted proxy, the nearest untrusted address in X-Forwarded-For
// (walking from the right, since a client can forge the left part). It
// is the zero Addr when the peer's address cannot be parsed.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Addr().Unmap()
	if !s.trusted(addr) {
		return addr
	}
	hops := splitForwarded(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		addr = hop.Unmap()
		if !s.trusted(addr) {
			break
		}
	}
	return addr
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func splitForwarded(values []string) []string {
	var out []string
	for _, v := range values {
		for hop := range strings.SplitSeq(v, ",") {
			if hop = strings.TrimSpace(hop); hop != "" {
				out = append(out, hop)
			}
		}
	}
	return out
}
