// Package kms reaches the key management services that can hold Junction's
// master key: HashiCorp Vault Transit, AWS KMS, Azure Key Vault keys and
// Google Cloud KMS.
// Each wraps and unwraps master keys (keyring.KeyWrapper) with a key that
// never leaves the service; credentials come from each vendor's standard
// environment and credential chain, never from Junction's database.
//
// The vendors' own SDKs do the talking, each behind the two methods the
// keyring needs, rather than a portability layer over them: that keeps the
// HTTP client (private CAs, test servers), the mapping of each vendor's
// refusals onto Junction's error codes, and the dependency set in our hands.
package kms

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"junction"
	"junction/keyring"
)

// URL schemes, one per service.
const (
	SchemeVault = "hashivault"
	SchemeAWS   = "awskms"
	SchemeAzure = "azurekeyvault"
	SchemeGCP   = "gcpkms"
)

// schemes are the URL schemes Open knows.
var schemes = []string{SchemeVault, SchemeAWS, SchemeAzure, SchemeGCP}

// requestTimeout bounds one call to a KMS, retries included.
const requestTimeout = 30 * time.Second

// Options say how to reach a KMS beyond what its URL says.
type Options struct {
	// CAFile is a PEM file of the certificate authorities that issued the
	// KMS's TLS certificate, for a private Vault (or a private endpoint);
	// empty trusts the system's roots.
	CAFile string
	// LookupEnv reads the environment variables this package reads itself
	// (VAULT_TOKEN, VAULT_ADDR, VAULT_NAMESPACE, VAULT_CACERT,
	// AZURE_AUTHORITY_HOST, GOOGLE_OAUTH_ACCESS_TOKEN); nil means
	// os.LookupEnv. The AWS, Azure and
	// Google credential chains read the process environment themselves.
	LookupEnv func(string) (string, bool)
	// Transport is the base of every KMS connection; nil clones
	// http.DefaultTransport (which honours the proxy variables). Tests pass
	// one that dials their server.
	Transport *http.Transport
}

func (o Options) env(name string) string {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(name)
	return strings.TrimSpace(v)
}

// Open returns the key wrapper for the KMS key at keyURL:
//
//	hashivault://<transit key>?address=https://vault:8200[&mount=transit][&namespace=ns]
//	awskms://<key ID, alias/<name>, or />arn:aws:kms:...>?region=eu-west-1[&endpoint=https://...]
//	azurekeyvault://<vault host>/keys/<name>[/<version>]
//	gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[?endpoint=https://...]
//
// It checks the URL and builds the client; whether the KMS answers, and
// lets Junction use the key, shows on the first Wrap or Unwrap. Errors are
// EINVALID for a URL that cannot be used.
func Open(ctx context.Context, keyURL string, opts Options) (keyring.KeyWrapper, error) {
	u, err := url.Parse(keyURL)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return nil, invalid("%q is not a KMS key URL such as hashivault://junction?address=https://vault:8200", redactURL(keyURL))
	}
	if u.User != nil {
		return nil, invalid("the KMS key URL must not carry credentials; they come from the KMS's own environment variables")
	}
	switch u.Scheme {
	case SchemeVault:
		return openVault(ctx, u, opts)
	case SchemeAWS:
		return openAWS(ctx, u, opts)
	case SchemeAzure:
		return openAzure(ctx, u, opts)
	case SchemeGCP:
		return openGCP(ctx, u, opts)
	}
	return nil, invalid("KMS key URL scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
}

// Opener adapts Open to keyring.LoadOptions.OpenKMS.
func Opener(opts Options) keyring.OpenKMSFunc {
	return func(ctx context.Context, keyURL string) (keyring.KeyWrapper, error) {
		return Open(ctx, keyURL, opts)
	}
}

// CheckURL validates keyURL as Open does, without building a client.
func CheckURL(keyURL string) error {
	u, err := url.Parse(keyURL)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return invalid("%q is not a KMS key URL such as hashivault://junction?address=https://vault:8200", redactURL(keyURL))
	}
	if u.User != nil {
		return invalid("the KMS key URL must not carry credentials; they come from the KMS's own environment variables")
	}
	if !slices.Contains(schemes, u.Scheme) {
		return invalid("KMS key URL scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
	}
	return nil
}

// redactURL drops anything that might be a credential from a URL that
// failed to parse, for error messages.
func redactURL(s string) string {
	if i := strings.IndexAny(s, "@?"); i >= 0 {
		return s[:i] + "..."
	}
	return s
}

// httpClient builds the client for one KMS: TLS 1.2 or later, the CA file's
// roots if given (or caFileEnv's), the proxy settings, a timeout per call.
func httpClient(opts Options, caFileEnv string) (*http.Client, error) {
	t, err := transport(opts, caFileEnv)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t, Timeout: requestTimeout}, nil
}

// transport is httpClient's transport.
func transport(opts Options, caFileEnv string) (*http.Transport, error) {
	var t *http.Transport
	if opts.Transport != nil {
		t = opts.Transport.Clone()
	} else {
		t = http.DefaultTransport.(*http.Transport).Clone()
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLSClientConfig != nil {
		cfg = t.TLSClientConfig.Clone()
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
	}
	caFile := opts.CAFile
	if caFile == "" && caFileEnv != "" {
		caFile = opts.env(caFileEnv)
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, invalid("read the KMS CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, invalid("KMS CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	t.TLSClientConfig = cfg
	return t, nil
}

func invalid(format string, args ...any) error {
	return junction.Errorf(junction.EINVALID, format, args...)
}

// transportError reports a KMS that could not be reached at all; it says
// why without the request (URLs may carry key names only, but the error
// text of some clients repeats request bodies).
func transportError(service string, err error) error {
	var ne net.Error
	reason := "the connection failed"
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		reason = "it did not answer in time"
	case isTLSError(err):
		reason = "its TLS certificate is not trusted (give its CA with --master-key-kms-ca-file)"
	case strings.Contains(err.Error(), "connection refused"):
		reason = "the connection was refused"
	case strings.Contains(err.Error(), "no such host"):
		reason = "its host name does not resolve"
	}
	return &junction.Error{Code: junction.EUNAVAILABLE, Message: fmt.Sprintf("%s cannot be reached: %s", service, reason), Err: err}
}

func isTLSError(err error) bool {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &cv)
}

// KeyName is what identifies the KMS key of keyURL, for messages and logs:
// the URL without its query.
func KeyName(keyURL string) string {
	u, err := url.Parse(keyURL)
	if err != nil {
		return redactURL(keyURL)
	}
	return u.Scheme + "://" + u.Host + u.Path
}
