package credstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// CA is a throwaway certificate authority for test servers and client
// certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewCA returns a new CA named name, valid for a day either side of now.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Junction tests"}},
		NotBefore:             time.Now().Add(-24 * time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// CertPEM returns the CA certificate as PEM, the value of a store's ca_cert.
func (ca *CA) CertPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}))
}

// Pool returns a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// IssueServer issues a server certificate for hosts (DNS names or IPs).
func (ca *CA) IssueServer(hosts ...string) (tls.Certificate, error) {
	tmpl := leafTemplate(hosts[0], x509.ExtKeyUsageServerAuth)
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tmpl)
}

// IssueClient issues a client certificate with the given common name and
// returns it as PEM certificate and PEM (PKCS#8) key, plus the parsed pair.
func (ca *CA) IssueClient(commonName string) (certPEM, keyPEM string, cert tls.Certificate, err error) {
	cert, err = ca.issue(leafTemplate(commonName, x509.ExtKeyUsageClientAuth))
	if err != nil {
		return "", "", tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return "", "", tls.Certificate{}, err
	}
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certPEM, keyPEM, cert, nil
}

func (ca *CA) issue(tmpl *x509.Certificate) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

func leafTemplate(cn string, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Junction tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// TLSServerConfig configures NewTLSServer.
type TLSServerConfig struct {
	// ClientAuth and ClientCAs, when set, make the server ask for (and,
	// with tls.RequireAndVerifyClientCert, require) a client certificate.
	ClientAuth tls.ClientAuthType
	ClientCAs  *x509.CertPool
}

// TLSServer is an HTTPS test server on 127.0.0.1 with its own CA that can be
// stopped and started again on the same address, so a vault going away and
// coming back is a real refused connection rather than a simulated error.
type TLSServer struct {
	ca      *CA
	tlsConf *tls.Config
	handler http.Handler
	addr    string

	mu  sync.Mutex
	srv *http.Server // nil while stopped
	ln  net.Listener
}

// NewTLSServer starts an HTTPS server for h on a free port of 127.0.0.1,
// with a certificate from a new CA. It is closed when tb ends.
func NewTLSServer(tb testing.TB, h http.Handler, cfg TLSServerConfig) *TLSServer {
	tb.Helper()
	ca, err := NewCA("Junction test vault CA")
	if err != nil {
		tb.Fatalf("test CA: %v", err)
	}
	cert, err := ca.IssueServer("127.0.0.1", "localhost")
	if err != nil {
		tb.Fatalf("test server certificate: %v", err)
	}
	s := &TLSServer{
		ca:      ca,
		handler: h,
		tlsConf: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
			ClientAuth:   cfg.ClientAuth,
			ClientCAs:    cfg.ClientCAs,
			NextProtos:   []string{"h2", "http/1.1"},
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's base URL, https://127.0.0.1:port.
func (s *TLSServer) URL() string { return "https://" + s.addr }

// Addr is the server's host:port.
func (s *TLSServer) Addr() string { return s.addr }

// CA returns the authority that issued the server's certificate.
func (s *TLSServer) CA() *CA { return s.ca }

// CACertPEM returns the PEM of the CA that issued the server's certificate.
func (s *TLSServer) CACertPEM() string { return s.ca.CertPEM() }

// Stop closes the listener and every open connection; until Start, clients
// get "connection refused".
func (s *TLSServer) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Close the listener here rather than leave it to Serve, which may
		// not have started yet: a connection accepted in between would be
		// reset instead of refused.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Start listens again on the same address after Stop. It does nothing if the
// server is running.
func (s *TLSServer) Start() error {
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// Running reports whether the server is accepting connections.
func (s *TLSServer) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

func (s *TLSServer) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tlsConf.Clone(),
		ReadHeaderTimeout: 10 * time.Second,
		// Handshake failures are expected (tests present bad certificates);
		// they are asserted on the client side, not printed.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() {
		// Serve returns when Stop closes the server; Start makes a new one.
		_ = srv.ServeTLS(ln, "", "")
	}()
}
