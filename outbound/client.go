// Package outbound is Junction's one HTTP path to third-party APIs. Its Client
// owns timeouts, TLS verification, proxies, redirects, retries, the response
// size limit and the private-network Guard, which is checked on every dial.
package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"

	"junction"
	"junction/netguard"
)

// Error codes of this package, defined with the others in the root package so
// the API maps them to HTTP statuses in its one table.
const (
	// EBLOCKED: the private-network guard refused the destination (or a
	// redirect hop, or the proxy), or a redirect tried to leave https.
	EBLOCKED = junction.EOUTBOUNDBLOCKED
	// ERESPONSETOOLARGE: the upstream answer is larger than the limit.
	ERESPONSETOOLARGE = junction.ERESPONSETOOLARGE
)

// Defaults for zero Options fields.
const (
	DefaultTimeout          = 90 * time.Second
	DefaultMaxResponseBytes = 8 << 20
	DefaultMaxRetries       = 2
	DefaultMaxRetryAfter    = 30 * time.Second
	DefaultMaxRedirects     = 5
	DefaultUserAgent        = "Junction"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies it.
type Resolver = netguard.Resolver

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	// Timeout bounds one attempt: connecting, TLS, sending, and reading the
	// whole response body. Retries each get a fresh Timeout; the caller's
	// context bounds the total.
	Timeout time.Duration
	// MaxResponseBytes caps the body Do reads into memory (default 8 MiB).
	MaxResponseBytes int64
	// Allow lists the prefixes exempted from the private-network guard (from
	// --outbound-allow). Cloud metadata addresses need a single-address prefix.
	Allow []netip.Prefix
	// ProxyURL, when set, sends every request through this forward proxy
	// (http, https or socks5 URL). Otherwise HTTPS_PROXY, HTTP_PROXY and
	// NO_PROXY apply, read once when the Client is made.
	//
	// The guard applies to the proxy's own address (allow it explicitly when
	// it sits on a private network), and each target is resolved and checked
	// before it is handed to the proxy. The proxy resolves the name again, so
	// a DNS answer that changes in between is for the proxy's own egress rules
	// to stop; a name that cannot be resolved locally is refused.
	ProxyURL string
	// Resolver resolves host names before the guard checks them (default
	// net.DefaultResolver).
	Resolver Resolver
	// RootCAs replaces the system roots for TLS verification (tests, private
	// CAs). Verification itself cannot be turned off.
	RootCAs *x509.CertPool
	Clock   junction.Clock
	Logger  *slog.Logger
	// MaxRetries is how many times a failed attempt is repeated (default 2;
	// negative means never).
	MaxRetries int
	// MaxRetryAfter caps the wait between attempts, whether the upstream asked
	// for it with Retry-After or it comes from backoff (default 30s).
	MaxRetryAfter time.Duration
	// MaxRedirects is how many redirects one attempt follows (default 5;
	// negative means none: the 3xx response is returned as is).
	MaxRedirects int
	// Sleep waits between attempts; tests replace it to record the delays
	// instead of sleeping. It returns early with ctx's error.
	Sleep func(ctx context.Context, d time.Duration) error
	// UserAgent is sent when the request sets none (default "Junction").
	UserAgent string
}

// RequestOptions adjust one call to Do.
type RequestOptions struct {
	// RetrySafe marks a request whose method is not idempotent (POST, PATCH)
	// as safe to repeat, because the API deduplicates it or a repeat is
	// harmless. A request carrying an Idempotency-Key header is retry-safe
	// without it.
	RetrySafe bool
	// MaxResponseBytes overrides the client's limit for this request when
	// positive.
	MaxResponseBytes int64
	// ProxyURL routes this request through its own proxy (a connection's
	// setting) instead of the client's. The guard applies to it as to any.
	ProxyURL string
	// CheckHost, when set, is asked whether the request may go to a host
	// before each time it is sent: every attempt, and every redirect hop
	// before it is followed. host is the URL's host in the canonical form
	// of CanonicalHost (as given when it has none, which no allowed-host
	// pattern matches). An error stops the request there, before any byte
	// of it is sent, and Do returns it. A request sent in the clear (http)
	// through an http or https proxy reaches the proxy whole, so the
	// proxy's host is asked too; through https a proxy sees only the
	// tunnel's destination.
	//
	// It is how a credential with allowed hosts stays on them: the final
	// host after redirects is the one checked, and a redirect elsewhere is
	// refused rather than followed.
	CheckHost func(host string) error
	// Sign, when set, signs each attempt's copy of the request just before
	// it is sent, with the client's clock: a scheme that signs the time
	// (AWS Signature Version 4) gets a fresh signature on every retry. An
	// error stops the request unsent.
	Sign func(r *http.Request, now time.Time) error
}

// Response is an upstream answer read in full. Any status, 4xx and 5xx
// included, is a Response and not an error: the caller decides what a status
// means for its API.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// URL is the address that answered, after redirects.
	URL *url.URL
	// Attempts is how many times the request was sent (1 when not retried).
	Attempts int
}

// Client sends requests to third-party APIs. It is safe for concurrent use;
// make one per process (or per distinct Options) so connections are pooled.
type Client struct {
	guard         *Guard
	resolver      Resolver
	dialer        *netguard.Dialer
	transport     *http.Transport
	http          *http.Client
	defaultProxy  func(*url.URL) (*url.URL, error)
	timeout       time.Duration
	maxBytes      int64
	maxRetries    int
	maxRetryAfter time.Duration
	maxRedirects  int
	clock         junction.Clock
	logger        *slog.Logger
	sleep         func(context.Context, time.Duration) error
	userAgent     string
}

// New returns a Client. It fails with EINVALID when ProxyURL is malformed.
func New(opts Options) (*Client, error) {
	c := &Client{
		guard:         NewGuard(opts.Allow),
		resolver:      opts.Resolver,
		timeout:       orDefault(opts.Timeout, DefaultTimeout),
		maxBytes:      orDefault(opts.MaxResponseBytes, DefaultMaxResponseBytes),
		maxRetries:    orDefault(opts.MaxRetries, DefaultMaxRetries),
		maxRetryAfter: orDefault(opts.MaxRetryAfter, DefaultMaxRetryAfter),
		maxRedirects:  orDefault(opts.MaxRedirects, DefaultMaxRedirects),
		clock:         opts.Clock,
		logger:        opts.Logger,
		sleep:         opts.Sleep,
		userAgent:     orDefault(opts.UserAgent, DefaultUserAgent),
	}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.clock == nil {
		c.clock = junction.SystemClock{}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if opts.ProxyURL != "" {
		p, err := parseProxyURL("proxy_url", opts.ProxyURL)
		if err != nil {
			return nil, err
		}
		c.defaultProxy = func(*url.URL) (*url.URL, error) { return p, nil }
	} else {
		c.defaultProxy = httpproxy.FromEnvironment().ProxyFunc()
	}

	c.dialer = netguard.NewDialer(c.guard, netguard.DialerOptions{Resolver: c.resolver, Timeout: 30 * time.Second})
	c.transport = &http.Transport{
		Proxy:       c.proxyFor,
		DialContext: c.dialer.DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    opts.RootCAs,
		},
		// A custom dialer turns HTTP/2 off unless asked for.
		ForceAttemptHTTP2: true,
		// Polls start by the hundred at once, many to one vendor's host:
		// with 16 idle connections kept per host, most polls dialled (and
		// on a real API shook hands) anew.
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c.http = &http.Client{
		Transport:     c.transport,
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// Guard returns the client's private-network guard, for checking a
// connection's base URL when it is configured rather than when it is called.
func (c *Client) Guard() *Guard { return c.guard }

// CloseIdleConnections closes pooled connections that are not in use.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// Do sends req, following redirects and retrying as described on Options
// and RequestOptions, and returns the final response with its body read (at
// most the response limit). req's own context is replaced by ctx. A request
// with a body is retried only when it can be replayed (req.GetBody is set, as
// http.NewRequest does for in-memory bodies).
//
// Errors, as *junction.Error (Details carry "host" and "attempts"):
//   - EINVALID when req is not an absolute http(s) URL or the proxy URL is malformed;
//   - EBLOCKED when the guard refuses the host, a redirect hop or the proxy,
//     or a redirect leaves https;
//   - ERESPONSETOOLARGE when the body is over the limit;
//   - EPROVIDER when the upstream redirects too often;
//   - EUNAVAILABLE when the host cannot be reached, TLS verification fails,
//     an attempt times out, or ctx ends (the cause then matches ctx.Err()
//     with errors.Is).
//
// Messages name the host, never the full URL, whose query may hold a key.
func (c *Client) Do(ctx context.Context, req *http.Request, o RequestOptions) (*Response, error) {
	if req.URL == nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") || req.URL.Host == "" {
		return nil, junction.Invalid("url", "an outbound request needs an absolute http or https URL")
	}
	if o.ProxyURL != "" {
		p, err := parseProxyURL("proxy_url", o.ProxyURL)
		if err != nil {
			return nil, err
		}
		ctx = context.WithValue(ctx, proxyKey{}, p)
	}
	if o.CheckHost != nil {
		ctx = context.WithValue(ctx, checkHostKey{}, o.CheckHost)
	}
	limit := c.maxBytes
	if o.MaxResponseBytes > 0 {
		limit = o.MaxResponseBytes
	}
	retries := c.maxRetries
	if !retrySafe(req, o) || !replayable(req) {
		retries = 0
	}

	host := req.URL.Host
	for attempt := 1; ; attempt++ {
		resp, err, retryable := c.attempt(ctx, req, attempt, limit, o)
		if resp != nil {
			resp.Attempts = attempt
		}
		if attempt > retries {
			return resp, withAttempts(err, attempt)
		}
		var delay time.Duration
		switch {
		case err != nil && retryable:
			delay = c.backoff(attempt)
		case err != nil:
			return nil, withAttempts(err, attempt)
		case retryableStatus(resp.StatusCode):
			delay = c.retryAfter(resp.Header, attempt)
		default:
			return resp, nil
		}
		c.logger.LogAttrs(ctx, slog.LevelInfo, "outbound request retried",
			slog.String("method", req.Method), slog.String("host", host),
			slog.Int("attempt", attempt), slog.Duration("delay", delay),
			slog.Int("status", statusOf(resp)), slog.String("error", junction.ErrorMessage(err)))
		if err := c.sleep(ctx, delay); err != nil {
			return nil, withAttempts(&junction.Error{
				Code:    junction.EUNAVAILABLE,
				Message: fmt.Sprintf("request to %s abandoned while waiting to retry", host),
				Details: map[string]any{"host": host},
				Err:     err,
			}, attempt)
		}
	}
}

// attempt sends req once. retryable says whether a failure is worth another
// try (a transport failure), as opposed to a refusal that will not change.
func (c *Client) attempt(ctx context.Context, req *http.Request, n int, limit int64, o RequestOptions) (_ *Response, _ error, retryable bool) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r := req.Clone(actx)
	if n > 1 && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, junction.Internal(fmt.Errorf("replay request body: %w", err)), false
		}
		r.Body = body
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", c.userAgent)
	}
	if err := c.checkHost(r, o.CheckHost); err != nil {
		return nil, err, false
	}
	if o.Sign != nil {
		if err := o.Sign(r, c.clock.Now()); err != nil {
			return nil, err, false
		}
	}
	if err := c.checkProxiedTarget(actx, r); err != nil {
		return nil, err, false
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return c.transportError(ctx, actx, req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return c.transportError(ctx, actx, req.URL.Host, err)
	}
	if int64(len(body)) > limit {
		return nil, &junction.Error{
			Code: ERESPONSETOOLARGE,
			Message: fmt.Sprintf("the response from %s is larger than the %d-byte limit; raise it with --outbound-max-response-bytes",
				req.URL.Host, limit),
			Details: map[string]any{"host": req.URL.Host, "limit": limit},
		}, false
	}
	return &Response{
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Body:       body,
		URL:        resp.Request.URL,
	}, nil, false
}

// transportError turns a failure to get an answer into an *junction.Error.
// The *url.Error wrapper is dropped because its text holds the full URL.
func (c *Client) transportError(ctx, actx context.Context, host string, err error) (*Response, error, bool) {
	var je *junction.Error
	if errors.As(err, &je) {
		return nil, je, false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	details := map[string]any{"host": host}
	switch {
	case ctx.Err() != nil:
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("request to %s abandoned: %v", host, ctx.Err()), Details: details, Err: ctx.Err()}, false
	case actx.Err() != nil:
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("no complete answer from %s within %s", host, c.timeout), Details: details, Err: err}, true
	case isTLSFailure(err):
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("TLS connection to %s failed: %v", host, err), Details: details, Err: err}, false
	}
	return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("cannot reach %s: %v", host, err), Details: details, Err: err}, true
}

// isTLSFailure reports errors that repeating the request cannot fix.
func isTLSFailure(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) || errors.As(err, &alert)
}

type proxyKey struct{}

type checkHostKey struct{}

// checkHost asks check (a request's CheckHost; nil checks nothing) about
// the request's host and, when a proxy would read the request whole, about
// the proxy's.
func (c *Client) checkHost(r *http.Request, check func(string) error) error {
	if check == nil {
		return nil
	}
	if err := check(canonicalOrRaw(r.URL.Hostname())); err != nil {
		return err
	}
	if r.URL.Scheme != "http" {
		return nil
	}
	p, err := c.proxyFor(r)
	if err != nil {
		return junction.Invalid("proxy_url", "the proxy setting (HTTPS_PROXY, HTTP_PROXY) is not a valid URL")
	}
	if p != nil && (p.Scheme == "http" || p.Scheme == "https") {
		return check(canonicalOrRaw(p.Hostname()))
	}
	return nil
}

func canonicalOrRaw(h string) string {
	if c, ok := CanonicalHost(h); ok {
		return c
	}
	return h
}

// proxyFor picks the proxy of one request: its own, else the client's.
func (c *Client) proxyFor(r *http.Request) (*url.URL, error) {
	if p, ok := r.Context().Value(proxyKey{}).(*url.URL); ok {
		return p, nil
	}
	return c.defaultProxy(r.URL)
}

// checkProxiedTarget applies the guard to the destination of a request that
// goes through a proxy, since the proxy, not our dialer, connects to it. The
// name is resolved here and every address must pass; the proxy resolves it
// again, so this cannot stop a DNS answer that changes in between: the
// proxy's own egress rules are the defence there. A name that cannot be
// resolved here is refused rather than sent on unchecked.
func (c *Client) checkProxiedTarget(ctx context.Context, r *http.Request) error {
	p, err := c.proxyFor(r)
	if err != nil {
		return junction.Invalid("proxy_url", "the proxy setting (HTTPS_PROXY, HTTP_PROXY) is not a valid URL")
	}
	if p == nil {
		return nil
	}
	return c.dialer.CheckHost(ctx, r.URL.Hostname())
}

// safeRedirectHeaders are the request headers kept when a redirect leaves
// the original scheme, host and port. Every other header may carry a
// credential (APIs use X-Api-Key, Private-Token and the like, which Go's own
// redirect handling does not know to drop).
var safeRedirectHeaders = map[string]bool{
	"Accept":          true,
	"Accept-Encoding": true,
	"Accept-Language": true,
	"User-Agent":      true,
	"Content-Type":    true,
	"Cache-Control":   true,
}

func (c *Client) checkRedirect(r *http.Request, via []*http.Request) error {
	if c.maxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	first := via[0].URL
	if len(via) > c.maxRedirects {
		return &junction.Error{
			Code:    junction.EPROVIDER,
			Message: fmt.Sprintf("%s redirected more than %d times", first.Host, c.maxRedirects),
			Details: map[string]any{"host": first.Host},
		}
	}
	// Before anything else: a hop the request may not go to is not
	// followed at all.
	if check, ok := r.Context().Value(checkHostKey{}).(func(string) error); ok {
		if err := c.checkHost(r, check); err != nil {
			return err
		}
	}
	prev := via[len(via)-1].URL
	if prev.Scheme == "https" && r.URL.Scheme != "https" {
		return &junction.Error{
			Code:    EBLOCKED,
			Message: fmt.Sprintf("redirect from https://%s to %s://%s refused: it would send the request unencrypted", prev.Host, r.URL.Scheme, r.URL.Host),
			Details: map[string]any{"host": r.URL.Host},
		}
	}
	if origin(r.URL) != origin(first) {
		for name := range r.Header {
			if !safeRedirectHeaders[name] {
				delete(r.Header, name)
			}
		}
	}
	return c.checkProxiedTarget(r.Context(), r)
}

// origin is scheme://host:port with the default port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}

func parseProxyURL(field, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, junction.Invalid(field, "the proxy URL must look like http://proxy.example.com:3128")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return u, nil
	}
	return nil, junction.Invalid(field, "the proxy URL scheme must be http, https or socks5, not %q", u.Scheme)
}

func retrySafe(req *http.Request, o RequestOptions) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return o.RetrySafe || req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func withAttempts(err error, attempts int) error {
	var je *junction.Error
	if errors.As(err, &je) {
		if je.Details == nil {
			je.Details = map[string]any{}
		}
		je.Details["attempts"] = attempts
	}
	return err
}

func statusOf(r *Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Wait waits as long as an answer's Retry-After asks (capped at
// MaxRetryAfter; backoff for the attempt-th wait when it names none), for
// an API that answers "not yet, ask again" outside of a failure, such as
// a 202 while it puts an upload together. It returns early with ctx's
// error.
func (c *Client) Wait(ctx context.Context, h http.Header, attempt int) error {
	return c.sleep(ctx, c.retryAfter(h, max(attempt, 1)))
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
