// Package storehttp builds the one HTTP client every credential store adapter
// uses to reach its vault: HTTPS only, TLS 1.2 or later, the store's own CA and
// client certificate, proxy settings and timeouts, and it turns transport
// failures into credential_store_unavailable errors a person can act on.
package storehttp

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"junction"
)

// DefaultTimeout bounds one request when CredentialStoreOptions.Timeout is
// zero. Vault calls sit on the path of every automation run, so a hung vault
// must fail fast rather than hold the run.
const DefaultTimeout = 30 * time.Second

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
func NewTransport(opts junction.CredentialStoreOptions, t TLS) (*http.Transport, error) {
	var tr *http.Transport
	if opts.Transport != nil {
		tr = opts.Transport.Clone()
	} else {
		tr = &http.Transport{
			DialContext: (&net.Dialer{
				Timeout:   10 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
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
	return tr, nil
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
