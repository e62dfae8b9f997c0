package storehttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	"junction"
)

// Unavailable turns a call to the store named store that got no answer into
// an ECREDSTOREUNAVAILABLE error. Its message is the same whatever went
// wrong on the way (DNS, a refused or timed-out connection, TLS, the network
// guard), so that whoever configures a store cannot use it to tell open
// ports from closed ones; what went wrong, in terms a person can act on, is
// in the *junction.StoreUnreachableError kept as its cause, for the server
// log and the host's administrators.
//
// A client certificate refused by the vault is Junction's login being
// refused, by a server that proved itself with a trusted certificate, so that
// case is ECREDSTOREAUTH and says so.
//
// The message names the store and the host, never the secret being read,
// and the kept cause is stripped of the request URL, which may carry the
// secret's name.
func Unavailable(store string, err error) *junction.Error {
	var je *junction.Error
	if errors.As(err, &je) && (je.Code == junction.ECREDSTOREUNAVAILABLE || je.Code == junction.ECREDSTOREAUTH) {
		return je
	}
	cause := stripURL(err)
	if ClientCertificateRejected(err) {
		return &junction.Error{
			Code:    junction.ECREDSTOREAUTH,
			Message: fmt.Sprintf("credential store %q rejected Junction's TLS client certificate (TLS alert: %s); set a client certificate the server trusts", store, remoteAlert(err)),
			Err:     cause,
		}
	}
	host := requestHost(err)
	return &junction.Error{
		Code:    junction.ECREDSTOREUNAVAILABLE,
		Message: UnreachableMessage(store, host),
		Err: &junction.StoreUnreachableError{
			Host:      host,
			Diagnosis: Diagnose(err),
			Blocked:   errors.As(err, new(*refusedError)),
			Err:       cause,
		},
	}
}

// UnreachableMessage is the one message of a store that could not be
// reached at host ("" when unknown).
func UnreachableMessage(store, host string) string {
	at := ""
	if host != "" {
		at = " at " + host
	}
	return fmt.Sprintf("could not reach credential store %q%s: check the address, the network path and the server's --store-allow setting", store, at)
}

// requestHost is the host (and port, when the URL names one) of the request
// that failed, or "" when err does not say.
func requestHost(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return ""
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return ""
	}
	return u.Host
}

// Diagnose describes a transport failure in one sentence. It never quotes
// request URLs or bodies.
func Diagnose(err error) string {
	if err == nil {
		return "no error"
	}
	var (
		dnsErr      *net.DNSError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		opErr       *net.OpError
		netErr      net.Error
	)
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		return "refused by the network guard: " + refused.err.Message
	case ClientCertificateRejected(err):
		return "the server rejected the TLS client certificate (" + remoteAlert(err) + "); set a client certificate the server trusts"
	case errors.Is(err, context.Canceled):
		return "the request was canceled"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("host %q does not resolve (DNS lookup found no such host); check the address", dnsErr.Name)
		}
		return fmt.Sprintf("DNS lookup of %q failed; check the address and the resolver", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused%s; is the vault running and listening on that port?", at(err))
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the connection was closed by the server%s before it answered", at(err))
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("no network route to the host%s", at(err))
	case errors.As(err, &unknownAuth):
		return "the server's TLS certificate is signed by an unknown authority; set ca_cert to the PEM of the CA that issued it"
	case errors.As(err, &hostErr):
		return fmt.Sprintf("the server's TLS certificate is not valid for host %q; use the host name the certificate was issued for", hostErr.Host)
	case errors.As(err, &invalidErr):
		return "the server's TLS certificate is invalid (" + certInvalidReason(invalidErr) + ")"
	case errors.As(err, &recordErr):
		return "the server did not answer with TLS; is the address's port an HTTPS port?"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()):
		return "the request timed out; the vault or the network path to it is not answering"
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		return "the TLS handshake failed (" + remoteAlert(err) + ")"
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return "the proxy could not be reached or refused the tunnel; check HTTPS_PROXY or proxy_url"
	}
	msg := err.Error()
	if strings.Contains(msg, "server gave HTTP response to HTTPS client") {
		// net/http turns the record header error into this text.
		return "the server did not answer with TLS; is the address's port an HTTPS port?"
	}
	if strings.Contains(msg, "proxyconnect") || strings.Contains(msg, "Proxy") {
		return "the proxy refused the tunnel; check HTTPS_PROXY or proxy_url"
	}
	return "the request failed at the transport level"
}

// ClientCertificateRejected reports whether the server ended the TLS session
// because it did not accept Junction's client certificate (none sent, or one
// it does not trust).
func ClientCertificateRejected(err error) bool {
	a := remoteAlert(err)
	switch a {
	case "certificate required", "bad certificate", "unknown certificate authority",
		"certificate unknown", "certificate revoked", "expired certificate", "unsupported certificate":
		return true
	}
	return false
}

// remoteAlert returns the alert the server sent ("certificate required"), or
// "" when err is not a received TLS alert.
func remoteAlert(err error) string {
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" || opErr.Err == nil {
		return ""
	}
	return strings.TrimPrefix(opErr.Err.Error(), "tls: ")
}

func certInvalidReason(e x509.CertificateInvalidError) string {
	switch e.Reason {
	case x509.Expired:
		return "expired or not yet valid; check the server certificate and this machine's clock"
	case x509.NotAuthorizedToSign:
		return "issued by a certificate that may not sign others"
	case x509.IncompatibleUsage:
		return "not issued for server authentication"
	default:
		return "rejected by certificate verification"
	}
}

// at returns " at host:port" for errors carrying a remote address.
func at(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil {
		return " at " + opErr.Addr.String()
	}
	return ""
}

// stripURL removes url.Error wrappers, whose text repeats the full request URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func logger(opts junction.CredentialStoreOptions) *slog.Logger {
	if opts.Logger != nil {
		return opts.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func slogStore(opts junction.CredentialStoreOptions) slog.Attr {
	return slog.String("credential_store", opts.Name)
}
