package storehttp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// probeWait bounds how long a probe waits for the server's verdict. It is
// spent only after a request has already failed.
const probeWait = 2 * time.Second

// ExplainTransportError returns err, joined with the server's TLS alert when
// the failure was really a rejected client certificate.
//
// In TLS 1.3 the server checks the client certificate only after the client
// has finished its side of the handshake, so the client sends its request
// and sees nothing but a reset, a broken pipe or a failed HTTP/2 preface.
// When a request fails that way, this dials target again with the same TLS
// settings and waits briefly for the alert the server sends ("certificate
// required", "bad certificate"), so Unavailable can say what to fix. Through
// a proxy there is no direct path to probe and err is returned as is.
func ExplainTransportError(ctx context.Context, c *http.Client, target *url.URL, err error) error {
	if err == nil || ClientCertificateRejected(err) || !connectionDropped(err) || target.Scheme != "https" {
		return err
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		return err
	}
	if tr.Proxy != nil {
		if p, perr := tr.Proxy(&http.Request{URL: target}); perr != nil || p != nil {
			return err
		}
	}
	if probeErr := probe(ctx, tr, target); probeErr != nil && ClientCertificateRejected(probeErr) {
		return errors.Join(probeErr, err)
	}
	return err
}

func probe(ctx context.Context, tr *http.Transport, target *url.URL) error {
	ctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	host := target.Host
	if target.Port() == "" {
		host = net.JoinHostPort(target.Hostname(), "443")
	}
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	raw, err := dial(ctx, "tcp", host)
	if err != nil {
		return err
	}
	defer raw.Close()
	cfg := &tls.Config{}
	if tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = target.Hostname()
	}
	cfg.NextProtos = []string{"http/1.1"}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetReadDeadline(deadline)
	// A server that accepted the certificate waits for a request, so this
	// read times out; one that rejected it has sent an alert.
	_, err = conn.Read(make([]byte, 1))
	return err
}

// connectionDropped reports failures that, right after a TLS handshake, may
// hide a rejected client certificate.
func connectionDropped(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "client conn could not be established")
}
