// Package engine runs activities through connections: it materialises a
// connection's credentials (literal, from vault-backed assets, or OAuth 2.0
// tokens it obtains and refreshes), builds the request with the connector
// package, sends it with the outbound client and records the execution.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// SecretResolver turns secret and credential assets into values.
// *resolver.Resolver implements it.
type SecretResolver interface {
	Resolve(ctx context.Context, a *junction.Asset) (junction.StoredSecret, error)
	// ResolveWith is Resolve given the asset's credential store, read with
	// it by Store.GetAssetWithStore.
	ResolveWith(ctx context.Context, a *junction.Asset, cfg *junction.CredentialStoreConfig) (junction.StoredSecret, error)
	// Refresh reads the asset's value again and reports whether it changed.
	Refresh(ctx context.Context, a *junction.Asset) (v junction.StoredSecret, changed bool, err error)
}

// UsageCounter counts what executions and polls consume. Count is called
// once per execution or poll, on its path, so it must not block on I/O.
// *usage.Meter implements it.
type UsageCounter interface {
	Count(scope junction.UsageScope, n junction.UsageCounts)
}

// Defaults for zero Options fields.
const (
	DefaultTokenSkew           = 60 * time.Second
	DefaultRecordBatchSize     = 200
	DefaultRecordFlushInterval = 250 * time.Millisecond
	DefaultRecordQueueSize     = 8192
	// DefaultInputRetention is how long a failed execution keeps its
	// input for a retry.
	DefaultInputRetention = 30 * 24 * time.Hour
	// DefaultRefreshTimeout bounds one token refresh. The refresh runs
	// while the connection's row is locked, so it must not hang.
	DefaultRefreshTimeout = 30 * time.Second
	// MaxPages caps how many pages one execution (a list operation or a
	// paged activity) follows.
	MaxPages = 100
	// AuthFailureLimit consecutive authentication failures disconnect a
	// connection.
	AuthFailureLimit = 3
	// OAuthStateTTL is how long an authorization-code flow may take.
	OAuthStateTTL = 10 * time.Minute
	// providerBodyLimit is how much of an upstream error body is returned.
	providerBodyLimit = 2 << 10
)

// Options configure an Engine.
type Options struct {
	// Store holds assets, sealed values, connections (with their locks and
	// OAuth states), execution records and events.
	Store    junction.Store
	Keyring  junction.Keyring
	Catalog  connector.Definitions
	Resolver SecretResolver
	Outbound *outbound.Client
	Clock    junction.Clock
	Logger   *slog.Logger
	// Registerer receives the engine's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Usage, when set, counts each execution and poll with its API calls
	// (every attempt sent).
	Usage UsageCounter

	// TokenSkew is how long before its expiry an access token is refreshed
	// (default 60 s).
	TokenSkew time.Duration
	// RefreshTimeout bounds one call to a token endpoint (default 30 s).
	RefreshTimeout time.Duration
	// RecordBatchSize, RecordFlushInterval and RecordQueueSize tune the
	// execution-record writer; see the Engine documentation.
	RecordBatchSize     int
	RecordFlushInterval time.Duration
	RecordQueueSize     int
	// InputRetention is how long a failed execution keeps its input to be
	// retried (default 30 days): long enough to fix a cause and retry,
	// short enough that what callers typed does not pile up for ever.
	InputRetention time.Duration
}

// Engine executes activities. It is safe for concurrent use; Close it to
// flush the execution records still queued.
//
// # Execution records
//
// Every call to Execute yields one junction.Execution (never headers nor
// bodies). Records are queued in memory and written in batches, one
// transaction per batch, every RecordBatchSize records or
// RecordFlushInterval, and on Close; so recording usually costs an
// execution a channel send, not a database write. When the database falls
// behind and the queue (RecordQueueSize) is full, executions wait for room
// before returning: backpressure, not loss. A batch the database refuses
// is written again record by record, each retried while its error may
// pass (the database is unreachable or busy), so one bad record costs only
// itself and an outage only time.
//
// Every execution is recorded, except:
//   - on a crash (the process killed, the machine down) between the end of
//     an execution and the commit of the batch holding its record: the
//     records then in memory are lost, that is those queued (at most
//     RecordQueueSize), the batch being written (at most RecordBatchSize)
//     and those of executions waiting for room. Normally that window lasts
//     RecordFlushInterval plus one batch's write; while the database is
//     unreachable it lasts until it answers again. (On SQLite, a power
//     loss can also take the last commits: see sqldb.)
//   - a record the database refuses outright: its tenant is gone, its ID
//     is taken, or it keeps failing while the database answers;
//   - a record whose execution's context ends while it waits for room: the
//     caller has gone, and waiting longer for it would hold its goroutine;
//   - executions that finish after Close, and records still failing
//     transiently when Close's grace period (30 s) runs out.
//
// Each of these but the crash is logged with the execution ID and counted
// in junction_execution_records_dropped_total.
type Engine struct {
	store    junction.Store
	keyring  junction.Keyring
	catalog  connector.Definitions
	resolver SecretResolver
	out      *outbound.Client
	clock    junction.Clock
	logger   *slog.Logger

	skew           time.Duration
	refreshTimeout time.Duration
	inputRetention time.Duration

	recorder *recorder
	metrics  *metrics
	usage    UsageCounter
	cc       *ccCache
	// nonces are the last DPoP nonce each server gave (RFC 9449 section 8).
	nonces *dpopNonces
	// reauth paces CheckReauthorization.
	reauth reauthCheck
	// vendorCerts keeps the certificates vendors sign deliveries with,
	// idTokens the keys of the ID tokens they carry.
	vendorCerts vendorCerts
	idTokens    idTokenVerifiers
}

// New returns an Engine and starts its record writer.
func New(opts Options) (*Engine, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("engine: Options.Store is required")
	case opts.Keyring == nil:
		return nil, errors.New("engine: Options.Keyring is required")
	case opts.Catalog == nil:
		return nil, errors.New("engine: Options.Catalog is required")
	case opts.Resolver == nil:
		return nil, errors.New("engine: Options.Resolver is required")
	case opts.Outbound == nil:
		return nil, errors.New("engine: Options.Outbound is required")
	}
	e := &Engine{
		store:          opts.Store,
		keyring:        opts.Keyring,
		catalog:        opts.Catalog,
		resolver:       opts.Resolver,
		out:            opts.Outbound,
		clock:          opts.Clock,
		logger:         opts.Logger,
		skew:           orDefault(opts.TokenSkew, DefaultTokenSkew),
		refreshTimeout: orDefault(opts.RefreshTimeout, DefaultRefreshTimeout),
		inputRetention: orDefault(opts.InputRetention, DefaultInputRetention),
		cc:             newCCCache(),
		nonces:         newDPoPNonces(),
		usage:          opts.Usage,
	}
	if e.clock == nil {
		e.clock = junction.SystemClock{}
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	e.metrics = m
	e.recorder = newRecorder(recorderOptions{
		store:     opts.Store,
		logger:    e.logger,
		batch:     orDefault(opts.RecordBatchSize, DefaultRecordBatchSize),
		interval:  orDefault(opts.RecordFlushInterval, DefaultRecordFlushInterval),
		queue:     orDefault(opts.RecordQueueSize, DefaultRecordQueueSize),
		dropped:   m.dropped,
		flushErrs: m.flushErrors,
	})
	return e, nil
}

// Close writes the execution records still queued and stops the writer.
// Executions that finish after Close are not recorded.
func (e *Engine) Close() error { return e.recorder.close() }

// Flush writes the execution records queued so far and returns when they
// are stored (or failed to be).
func (e *Engine) Flush(ctx context.Context) error { return e.recorder.flush(ctx) }

// ExecuteRequest asks for one activity run through a connection: either
// Activity (a curated activity or "http_request") or Object and Operation.
type ExecuteRequest struct {
	Connection *junction.Connection
	// Caller is the ID of the user (or token owner) running the activity;
	// it is recorded with the execution.
	Caller    string
	Activity  string
	Object    string
	Operation string
	Input     map[string]any
	// MaxPages is how many pages a paginated list operation, or a curated
	// activity that declares pagination, follows. Zero or one reads the
	// first page only: following pages costs upstream calls and rate
	// limit, so the caller must ask. Values above MaxPages are capped;
	// other activities ignore it.
	MaxPages int
	// RetryOf is the failed execution this one runs again, for the
	// record.
	RetryOf string
}

// Execution statuses.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Result is the outcome of one execution.
type Result struct {
	ExecutionID string `json:"execution_id"`
	Status      string `json:"status"`
	// Output is the activity's result. For http_request it is an
	// *HTTPOutput, {status, headers, body}; for a list operation the
	// records of every page read; for an activity that read several pages
	// the last page's answer with every page's records in place of its
	// own, read through the activity's outputs (see
	// connector.Request.PagesOutput); for an operation whose answer is a file
	// a *connector.File (filename, content_type, size and content in
	// base64); for other operations the record or the declared outputs.
	Output     any   `json:"output,omitempty"`
	HTTPStatus int   `json:"http_status,omitempty"`
	Attempts   int   `json:"attempts"`
	DurationMS int64 `json:"duration_ms"`
	// RetryOf is the execution this one ran again.
	RetryOf string `json:"retry_of,omitempty"`
	// Pages is how many pages a list operation, or an activity that
	// declares how it pages, read; absent for other activities and for
	// failures.
	Pages int `json:"pages,omitempty" description:"How many pages a list operation, or an activity that declares pagination, read; absent for other activities and failures."`
	// Truncated is set when MaxPages (the caller's, or the engine's cap)
	// stopped the execution while the last page read pointed at another:
	// the output then holds only the pages read. For offset and
	// page-number pagination without a has-more flag, a full last page
	// counts as pointing at another.
	Truncated bool `json:"truncated,omitempty" description:"True when max_pages (or the engine's cap, the most max_pages may ask) stopped the execution while the last page read pointed at another: the output holds only the pages read. Absent otherwise."`
}

// activityName is how an execution names what it ran.
func (r *ExecuteRequest) activityName() string {
	if r.Activity != "" {
		return r.Activity
	}
	return r.Object + "." + r.Operation
}

// Execute runs the activity and records the execution. It returns a Result
// in every case where a connection was given, with Status "failed" and a
// non-nil error when the execution failed, so callers can report the
// execution ID alongside the error. A failed execution keeps what it was
// asked, sealed, to be run again (KeptRequest).
//
// An operation with a chunked upload whose file is large enough sends it
// in several requests (see connector.ChunkedUpload), each counted in
// Attempts and metered as an API call, and returns the final answer's
// output.
//
// Errors, as *junction.Error:
//   - EINVALID from the connector package, unchanged, for unknown inputs or
//     inputs of the wrong type (Field names the input), and for a disabled
//     connection; ENOTFOUND for an unknown activity, object or operation;
//   - ECONNAUTHFAILED when the upstream API rejects the credentials after
//     the one permitted recovery (fresh vault values or a refreshed token),
//     or the connection is disconnected;
//   - EPROVIDER for any other non-2xx answer, with Details "status", "body"
//     (the first 2 KiB, connection secrets masked) and "source": "provider";
//   - the outbound client's errors (EUNAVAILABLE, outbound_blocked,
//     response_too_large) and the credential stores' errors unchanged.
func (e *Engine) Execute(ctx context.Context, req ExecuteRequest) (*Result, error) {
	conn := req.Connection
	if conn == nil {
		return nil, junction.Invalid("connection", "is required")
	}
	start := e.clock.Now()
	x := &run{e: e, conn: conn, debug: debugRecord(conn, start)}
	out, err := e.execute(ctx, x, &req)

	res := &Result{
		ExecutionID: junction.NewID(),
		Status:      StatusSucceeded,
		Output:      out,
		HTTPStatus:  x.httpStatus,
		Attempts:    x.attempts,
		DurationMS:  e.clock.Now().Sub(start).Milliseconds(),
		RetryOf:     req.RetryOf,
	}
	if err == nil {
		res.Pages, res.Truncated = x.pages, x.truncated
	}
	var kept *junction.SealedValue
	if err != nil {
		kept = e.sealInput(ctx, res.ExecutionID, &req)
		res.Status = StatusFailed
		res.Output = nil
		if res.Attempts == 0 {
			res.Attempts = attemptsOf(err)
		}
	}
	connectorKey, activity := "unknown", "unknown"
	if x.def != nil {
		connectorKey = x.def.Key
		if x.known {
			activity = req.activityName()
		}
	}
	outcome := StatusSucceeded
	if err != nil {
		outcome = junction.ErrorCode(err)
	}
	e.metrics.executions.WithLabelValues(connectorKey, activity, outcome).Inc()
	e.metrics.duration.WithLabelValues(connectorKey).Observe(e.clock.Now().Sub(start).Seconds())
	e.count(conn, junction.UsageCounts{Executions: 1, APICalls: int64(res.Attempts)})

	e.recorder.record(ctx, &junction.Execution{
		ID:           res.ExecutionID,
		TenantID:     conn.TenantID,
		FolderID:     conn.FolderID,
		ConnectionID: conn.ID,
		Connector:    conn.Connector,
		Activity:     req.activityName(),
		Status:       res.Status,
		HTTPStatus:   res.HTTPStatus,
		ErrorCode:    junction.ErrorCode(err),
		ErrorMessage: failureMessage(err),
		Attempts:     res.Attempts,
		DurationMS:   res.DurationMS,
		CallerID:     req.Caller,
		StartedAt:    start,
		RetryOf:      req.RetryOf,
		Input:        kept,
		Debug:        x.debug,
	})
	if err != nil {
		e.logger.LogAttrs(ctx, slog.LevelInfo, "execution failed",
			slog.String("execution_id", res.ExecutionID), slog.String("connection_id", conn.ID),
			slog.String("activity", req.activityName()), slog.String("code", junction.ErrorCode(err)),
			slog.Int("http_status", res.HTTPStatus), slog.Int("attempts", res.Attempts))
		return res, err
	}
	return res, nil
}

func (e *Engine) execute(ctx context.Context, x *run, req *ExecuteRequest) (any, error) {
	if err := x.load(ctx); err != nil {
		return nil, err
	}
	if err := usable(x.conn); err != nil {
		return nil, err
	}
	build, op, err := x.builder(req)
	if err != nil {
		return nil, err
	}
	x.known = true
	// A list operation, and a curated activity that declares how it pages,
	// follow pages when asked; any other call reads one answer.
	isList := req.Activity == "" && req.Operation == "list"
	pagedActivity := req.Activity != "" && op != nil && op.Pagination != nil
	maxPages := 1
	if (isList || pagedActivity) && req.MaxPages > 1 {
		maxPages = min(req.MaxPages, MaxPages)
	}
	if err := x.prepare(ctx); err != nil {
		return nil, err
	}
	first, err := build(x.creds)
	if err != nil {
		return nil, err
	}
	if up := first.Upload(); up != nil {
		resp, last, err := x.upload(ctx, up)
		if err != nil {
			return nil, err
		}
		out, err := operationOutput(last, op, resp.Body)
		if err != nil {
			return nil, err
		}
		x.succeeded(ctx)
		return out, nil
	}

	var (
		cur    = first
		resps  []connector.Response // of the pages already read, to rebuild a later page
		all    []any                // a list's records
		out    any
		merged activityPages
	)
	for page := 1; ; page++ {
		rebuild := func(c connector.Credentials) (*connector.Request, error) {
			r, err := build(c)
			if err != nil {
				return nil, err
			}
			for _, prev := range resps {
				next, ok, err := r.NextPage(prev)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, junction.Internal(errors.New("page sequence changed while rebuilding with fresh credentials"))
				}
				r = next
			}
			return r, nil
		}
		resp, sent, err := x.send(ctx, cur, rebuild)
		if err != nil {
			return nil, err
		}
		cur = sent
		switch {
		case req.Activity == connector.HTTPRequestActivity && op == nil:
			out = httpOutput(resp)
		case op != nil && op.OutputFile != nil:
			out = cur.FileResult(resp)
		case isList:
			recs, err := records(cur, resp.Body)
			if err != nil {
				return nil, err
			}
			all = append(all, recs...)
			out = all
		case pagedActivity && page > 1:
			if err := merged.add(cur, resp.Body); err != nil {
				return nil, err
			}
			if out, err = merged.output(cur); err != nil {
				return nil, err
			}
		default:
			out, err = operationOutput(cur, op, resp.Body)
			if err != nil {
				return nil, err
			}
		}
		if !isList && !pagedActivity {
			break
		}
		x.pages = page
		next, ok, err := cur.NextPage(resp)
		if page >= maxPages {
			// Stopping here is the caller's choice (or the cap), not an
			// error: a page that cannot say what follows is not truncated.
			x.truncated = ok && err == nil
			break
		}
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if pagedActivity && page == 1 {
			// The first page answered as the activity always has; now
			// that more follow, its records start the merged list.
			if err := merged.add(cur, resp.Body); err != nil {
				return nil, err
			}
		}
		resps = append(resps, resp)
		cur = next
	}
	if isList && out == nil {
		out = []any{}
	}
	x.succeeded(ctx)
	return out, nil
}

// activityPages gathers the pages a paged activity read: the records of
// each, in order, and the last answer with a body, whose other values the
// output keeps (connector.Request.PagesOutput).
type activityPages struct {
	records []any
	last    []byte
}

func (p *activityPages) add(req *connector.Request, body []byte) error {
	recs, err := records(req, body)
	if err != nil {
		return err
	}
	p.records = append(p.records, recs...)
	if len(bytes.TrimSpace(body)) > 0 {
		p.last = body
	}
	return nil
}

func (p *activityPages) output(req *connector.Request) (any, error) {
	if p.last == nil {
		return p.records, nil
	}
	return req.PagesOutput(p.last, p.records)
}

// usable refuses connections that must not be used now.
func usable(c *junction.Connection) error {
	switch c.Status {
	case junction.ConnectionDisabled:
		return junction.Invalid("connection", "connection %q is disabled", c.Name)
	case junction.ConnectionDisconnected:
		msg := fmt.Sprintf("connection %q is disconnected", c.Name)
		if c.StatusReason != "" {
			msg += " (" + c.StatusReason + ")"
		}
		return &junction.Error{Code: junction.ECONNAUTHFAILED, Message: msg + "; test or reconnect it"}
	}
	return nil
}

// Test runs the connector's test request through conn and reports whether
// the API accepts it. Literal secrets are read from conn.SecretsSealedID;
// to test a connection before anything of it is stored, use TestWith.
// Test neither records an execution nor changes the connection's status or
// failure count: the caller decides what a result means (for example,
// marking a disconnected connection connected again).
//
// A connector without a test request is tested as far as possible without
// calling its API: every credential is resolved and, for OAuth 2.0, an
// access token is obtained.
//
// Errors are those of Execute; a status other than the test's expected one
// is EPROVIDER.
func (e *Engine) Test(ctx context.Context, conn *junction.Connection) (Proof, error) {
	return e.test(ctx, conn, nil)
}

// Proof is what a passed connection test proved.
type Proof string

const (
	// ProvedCredentials: the API accepted the credentials (or, for OAuth
	// 2.0 client credentials without a test request, issued a token).
	ProvedCredentials Proof = "credentials"
	// ProvedReachability: the API answered over TLS, but the test checked
	// no credentials (the http connector without a test path).
	ProvedReachability Proof = "reachability"
	// ProvedNothing: the credentials resolve, but the connector has no
	// test request, so nothing was sent to the API.
	ProvedNothing Proof = "nothing"
)

// TestWith is Test for a connection whose literal secrets are given in
// memory, by field name, rather than sealed in the store: a connection
// being created is tested before any of it is written, so a failed test or
// a crash leaves nothing behind. Every field marked Set must have its value
// in literals; conn.SecretsSealedID is not read. Test writes nothing to the
// store for a connection not saved yet, so TestWith neither.
func (e *Engine) TestWith(ctx context.Context, conn *junction.Connection, literals map[string]junction.Secret) (Proof, error) {
	if literals == nil {
		literals = map[string]junction.Secret{}
	}
	return e.test(ctx, conn, literals)
}

func (e *Engine) test(ctx context.Context, conn *junction.Connection, literals map[string]junction.Secret) (Proof, error) {
	if conn == nil {
		return "", junction.Invalid("connection", "is required")
	}
	x := &run{e: e, conn: conn, testing: true, literals: literals}
	if err := x.load(ctx); err != nil {
		return "", err
	}
	if conn.Status == junction.ConnectionDisabled {
		return "", usable(conn)
	}
	if err := x.prepare(ctx); err != nil {
		return "", err
	}
	test := x.def.TestFor(x.creds.Auth)
	if test == nil {
		if x.creds.AccessToken.IsZero() {
			return ProvedNothing, nil
		}
		return ProvedCredentials, nil // prepare obtained a token with them
	}
	req, err := x.def.BuildTest(x.creds)
	if err != nil {
		return "", err
	}
	if !x.def.TestChecksCredentials(x.creds) {
		// Any HTTP answer, 401 included, proves the API is there; what it
		// thinks of the credentials is not known.
		if _, err := x.do(ctx, req); err != nil {
			return "", err
		}
		return ProvedReachability, nil
	}
	expect := test.ExpectStatus
	x.accept = func(status int) bool {
		if len(expect) == 0 {
			return status >= 200 && status <= 299
		}
		for _, s := range expect {
			if s == status {
				return true
			}
		}
		return false
	}
	if _, _, err = x.send(ctx, req, func(c connector.Credentials) (*connector.Request, error) { return x.def.BuildTest(c) }); err != nil {
		return "", err
	}
	return ProvedCredentials, nil
}

// count meters what an execution or poll through conn consumed.
func (e *Engine) count(conn *junction.Connection, n junction.UsageCounts) {
	if e.usage == nil {
		return
	}
	e.usage.Count(junction.UsageScope{TenantID: conn.TenantID, FolderID: conn.FolderID, Connector: conn.Connector,
		ConnectionID: conn.ID}, n)
}

// maxFailureMessage bounds the message an execution record keeps: messages
// are a sentence, but one may quote a long connection or asset name.
const maxFailureMessage = 1024

// failureMessage is what the record of an execution that failed with err
// keeps of its message: the text its caller was told (PublicMessage),
// cut to maxFailureMessage bytes on a character boundary.
func failureMessage(err error) string {
	m := junction.PublicMessage(err)
	if len(m) <= maxFailureMessage {
		return m
	}
	cut := maxFailureMessage
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut] + "…"
}

func attemptsOf(err error) int {
	var je *junction.Error
	if errors.As(err, &je) && je.Details != nil {
		if n, ok := je.Details["attempts"].(int); ok {
			return n
		}
	}
	return 0
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

var _ http.RoundTripper = outboundTransport{}
