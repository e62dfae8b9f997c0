// Package storehttp builds the one HTTP client every credential store adapter
// uses to reach its vault: HTTPS only, TLS 1.2 or later, the store's own CA and
// client certificate, proxy settings, timeouts and the network guard on every
// connection, and it turns transport failures into credential_store_unavailable
// errors that tell whoever configures a store nothing about the network.
package storehttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"junction"
	"junction/netguard"
)

// DefaultTimeout bounds one request when CredentialStoreOptions.Timeout is
// zero. Vault calls sit on the path of every automation run, so a hung vault
// must fail fast rather than hold the run.
const DefaultTimeout = 30 * time.Second

// dialTimeout bounds connecting, so a filtered port fails within it.
const dialTimeout = 10 * time.Second

// Allow is the server option that widens the guard of store traffic.
const Allow = "--store-allow"

// TLS is the per-store TLS material, as PEM, taken from the store's
// configuration. The *Key fields name the configuration keys the material came
// from, so errors point at what to fix.
type TLS struct {
	// CACertPEM, when set, replaces the system roots: the vault's certificate
	// must chain to one of these certificates.
	CACertPEM string
	CAKey     string // configuration key of CACertPEM, e.g. "ca_cert"

	// ClientCertPEM and ClientKeyPEM are the client certificate presented to
	// vaults that authenticate callers by certificate.
	ClientCertPEM string
	ClientKeyPEM  string
	ClientCertKey string // configuration key of ClientCertPEM, e.g. "client_cert"

	// ClientCertificate is an already parsed client certificate (for example
	// from PKCS#12); it takes precedence over ClientCertPEM.
	ClientCertificate *tls.Certificate

	// ServerName overrides the name checked against the vault's certificate.
	ServerName string
}

// ParseAddress checks the store's base address: it must be an absolute https://
// URL, or http:// when opts.Insecure is set (then a warning is logged, since
// secrets would cross the network in clear). field names the configuration
// key for the EINVALID error.
func ParseAddress(field, address string, opts junction.CredentialStoreOptions) (*url.URL, error) {
	if strings.TrimSpace(address) == "" {
		return nil, junction.Invalid(field, "is required")
	}
	u, err := url.Parse(address)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return nil, junction.Invalid(field, "must be an absolute URL such as https://vault.example.com:8200")
	}
	if u.User != nil {
		return nil, junction.Invalid(field, "must not carry credentials in the URL")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !opts.Insecure {
			return nil, junction.Invalid(field, "must use https:// (plain http:// is allowed only for local development, on a store marked insecure: true)")
		}
		logger(opts).Warn("credential store uses plain http; secrets cross the network unencrypted",
			slogStore(opts), "address", u.Redacted())
	default:
		return nil, junction.Invalid(field, "must use https://, not %s://", u.Scheme)
	}
	return u, nil
}

// NewTransport returns the HTTP transport for one store: a clone of
// opts.Transport (or of a pooled default), with TLS 1.2+, the store's CA and
// client certificate, and the proxy from opts.ProxyURL or, failing that, from
// HTTPS_PROXY / NO_PROXY.
//
// Every connection it makes goes through the network guard, whatever asks
// for it (the adapter, a redirect the SDK follows, the SDK's own login
// calls): public and private addresses pass; loopback, link-local, cloud
// metadata and other special addresses only when opts.Allow names them. The
// check is made on the resolved address at dial time, so a name that
// resolves elsewhere later cannot slip through. Through a proxy, the
// proxy's address is dialled (and checked) and the target is resolved and
// checked before it is handed to the proxy.
func NewTransport(opts junction.CredentialStoreOptions, t TLS) (*http.Transport, error) {
	var tr *http.Transport
	if opts.Transport != nil {
		tr = opts.Transport.Clone()
	} else {
		tr = &http.Transport{
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          20,
			MaxIdleConnsPerHost:   10,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	cfg := tr.TLSClientConfig
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if t.ServerName != "" {
		cfg.ServerName = t.ServerName
	}
	if strings.TrimSpace(t.CACertPEM) != "" {
		pool, err := ParseCAPEM(t.CAKey, t.CACertPEM)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	switch {
	case t.ClientCertificate != nil:
		cfg.Certificates = []tls.Certificate{*t.ClientCertificate}
	case t.ClientCertPEM != "" || t.ClientKeyPEM != "":
		cert, err := tls.X509KeyPair([]byte(t.ClientCertPEM), []byte(t.ClientKeyPEM))
		if err != nil {
			// The parse error may quote key material; keep it out of the message.
			return nil, &junction.Error{Code: junction.EINVALID, Field: fieldOr(t.ClientCertKey, "client_cert"),
				Message: "client certificate and key are not a valid PEM pair"}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = cfg

	if opts.ProxyURL != "" {
		pu, err := url.Parse(opts.ProxyURL)
		if err != nil || pu.Host == "" {
			return nil, junction.Invalid("proxy_url", "must be an absolute URL such as http://proxy.example.com:3128")
		}
		tr.Proxy = http.ProxyURL(pu)
	} else if tr.Proxy == nil {
		tr.Proxy = http.ProxyFromEnvironment
	}
	Guard(tr, opts)
	return tr, nil
}

// Guard makes every connection of tr go through the network guard of store
// traffic, with opts.Allow and opts.Resolver, as NewTransport describes. It
// is for transports an SDK builds itself (to keep its own settings, such as
// a CA bundle from the environment); NewTransport already applies it.
func Guard(tr *http.Transport, opts junction.CredentialStoreOptions) {
	dialer := newDialer(opts)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		return conn, hideRefusal(err)
	}
	tr.DialTLSContext = nil
	proxy := tr.Proxy
	if proxy == nil {
		proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
	}
	tr.Proxy = guardProxied(proxy, dialer)
}

// refusedError carries the guard's refusal through the SDKs. It does not
// unwrap to the *junction.Error inside: adapters pass their own errors
// through unchanged, and the refusal must reach callers looking like any
// other unreachable store (see Unavailable), not with a code of its own.
type refusedError struct{ err *junction.Error }

func (e *refusedError) Error() string { return e.err.Message }

func hideRefusal(err error) error {
	var je *junction.Error
	if errors.As(err, &je) && je.Code == netguard.EBLOCKED {
		return &refusedError{je}
	}
	return err
}

// GuardControl returns a net.Dialer Control hook that refuses, just before
// connect, every address the guard of store traffic refuses. It is for
// dialers an SDK builds and reconfigures itself, which may replace a
// transport's DialContext but keep their dialer's Control.
func GuardControl(opts junction.CredentialStoreOptions) func(network, address string, c syscall.RawConn) error {
	g := storeGuard(opts)
	return func(network, address string, c syscall.RawConn) error {
		return hideRefusal(g.Control(network, address, c))
	}
}

func storeGuard(opts junction.CredentialStoreOptions) *netguard.Guard {
	return netguard.New(netguard.Policy{Allow: opts.Allow, AllowPrivate: true, Setting: Allow})
}

// newDialer is the guarded dialer of one store's traffic. Private ranges
// pass by default because that is where vaults live.
func newDialer(opts junction.CredentialStoreOptions) *netguard.Dialer {
	g := storeGuard(opts)
	do := netguard.DialerOptions{Timeout: dialTimeout}
	if opts.Resolver != nil {
		do.Resolver = opts.Resolver
	}
	if opts.Transport != nil && opts.Transport.DialContext != nil {
		// A base transport's own dialer connects to the address the guard
		// accepted (tests stand in for the network with it).
		do.Connect = opts.Transport.DialContext
	}
	return netguard.NewDialer(g, do)
}

// guardProxied wraps a transport's proxy choice: a request that goes through
// a proxy has its target checked here, since the proxy, not our dialer,
// connects to it. The transport asks for every request, redirects included.
func guardProxied(proxy func(*http.Request) (*url.URL, error), d *netguard.Dialer) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		p, err := proxy(r)
		if err != nil || p == nil {
			return p, err
		}
		if err := d.CheckHost(r.Context(), r.URL.Hostname()); err != nil {
			return nil, hideRefusal(err)
		}
		return p, nil
	}
}

// NewClient returns the HTTP client for one store, built on NewTransport. It
// does not follow redirects: a vault that redirects is misconfigured or is
// not the vault, and following would resend credentials elsewhere.
func NewClient(opts junction.CredentialStoreOptions, t TLS) (*http.Client, error) {
	tr, err := NewTransport(opts, t)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport: tr,
		Timeout:   Timeout(opts),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// Timeout returns the per-request timeout from opts, or DefaultTimeout.
func Timeout(opts junction.CredentialStoreOptions) time.Duration {
	if opts.Timeout > 0 {
		return opts.Timeout
	}
	return DefaultTimeout
}

// ParseCAPEM parses one or more PEM certificates into a pool. field names the
// configuration key for the EINVALID error.
func ParseCAPEM(field, caPEM string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, junction.Invalid(fieldOr(field, "ca_cert"), "is not a PEM-encoded certificate")
	}
	return pool, nil
}

func fieldOr(field, def string) string {
	if field != "" {
		return field
	}
	return def
}
