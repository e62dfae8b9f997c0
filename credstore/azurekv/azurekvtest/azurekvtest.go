// Package azurekvtest runs the Microsoft Entra ID token endpoint, the Key
// Vault secrets API and the keys API's wrapkey and unwrapkey in process, over
// real TLS and as Microsoft documents them, so the azure-key-vault store and
// a master key held by Key Vault are tested with the real Azure SDK.
package azurekvtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"junction/credstore/credstoretest"
)

// Host names the server answers for. They do not resolve: clients reach the
// server through Resolver and Transport, which dials the server whatever the
// address. Real
// names (rather than 127.0.0.1) matter because the Key Vault client checks
// that the challenge's resource is a parent domain of the vault's host.
const (
	AuthorityHost = "login.test"
	VaultDomain   = "vault.test"
	VaultHost     = "junction." + VaultDomain

	// TenantID, ClientID and ClientSecret are the one application registered
	// with the token endpoint.
	TenantID     = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	ClientID     = "0b6d8b14-4f6e-4d0e-9a44-3f0c6a3d1e01"
	ClientSecret = "kv-test-client-secret"
)

// tokenLifetime is what Entra ID grants client-credentials tokens.
const tokenLifetime = time.Hour

var validName = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// Server is the token endpoint and the vault behind one TLS listener. It is
// safe for concurrent use.
type Server struct {
	cert  tls.Certificate
	caPEM string

	mu          sync.Mutex
	addr        string
	srv         *http.Server
	secrets     map[string]*secret // live secrets by name
	deleted     map[string]*secret // soft-deleted secrets, recoverable or purgeable
	tokens      map[string]issuedToken
	reads       int
	tokenReq    int
	failing     int                     // when non-zero, the vault answers every request with this status
	tokenFail   int                     // when non-zero, the token endpoint answers with this status
	rejectLogin bool                    // when set, the token endpoint refuses the client secret
	keys        map[string][]rsaVersion // by name, current version last
	keyOps      map[string]int
	denyKeys    bool
}

type secret struct {
	version     string
	value       string
	contentType string
	tags        map[string]string
	created     time.Time
	updated     time.Time
}

type issuedToken struct {
	audience string
	expires  time.Time
}

// New starts a server and stops it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	ca, err := credstoretest.NewCA("Junction test Azure CA")
	if err != nil {
		tb.Fatalf("azurekvtest: CA: %v", err)
	}
	cert, err := ca.IssueServer(VaultHost, "*."+VaultDomain, AuthorityHost, "127.0.0.1")
	if err != nil {
		tb.Fatalf("azurekvtest: certificate: %v", err)
	}
	s := &Server{
		cert:    cert,
		caPEM:   ca.CertPEM(),
		secrets: map[string]*secret{},
		deleted: map[string]*secret{},
		tokens:  map[string]issuedToken{},
		keys:    map[string][]rsaVersion{},
		keyOps:  map[string]int{},
	}
	if err := s.listen("127.0.0.1:0"); err != nil {
		tb.Fatalf("azurekvtest: listen: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// VaultURI is the vault's address, as configured in vault_uri.
func (s *Server) VaultURI() string { return "https://" + VaultHost + "/" }

// AuthorityURL is the Entra ID authority, as configured in authority_host.
func (s *Server) AuthorityURL() string { return "https://" + AuthorityHost + "/" }

// CACertPEM is the CA that signed the server's certificate, as configured in
// ca_cert.
func (s *Server) CACertPEM() string { return s.caPEM }

// Config is a complete azure-key-vault configuration for this server.
func (s *Server) Config() map[string]string {
	return map[string]string{
		"vault_uri":      s.VaultURI(),
		"tenant_id":      TenantID,
		"client_id":      ClientID,
		"client_secret":  ClientSecret,
		"authority_host": s.AuthorityURL(),
		"ca_cert":        s.CACertPEM(),
	}
}

// Transport is a base HTTP transport that connects to this server whatever
// host a request names, standing in for DNS. Give it to the store as
// CredentialStoreOptions.Transport.
func (s *Server) Transport() *http.Transport {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			s.mu.Lock()
			addr := s.addr
			s.mu.Unlock()
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2: true,
	}
}

// Resolver answers the server's host names with 127.0.0.1, standing in
// for DNS so that the store's network guard judges the address Transport
// really connects to. Give it to the store as
// CredentialStoreOptions.Resolver, with 127.0.0.1 allowed.
func (s *Server) Resolver() Resolver { return Resolver{} }

// Resolver is the DNS of the server's host names.
type Resolver struct{}

// LookupNetIP answers the server's names with 127.0.0.1 and any other with
// "no such host".
func (Resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if strings.EqualFold(host, AuthorityHost) || strings.EqualFold(host, VaultDomain) || strings.HasSuffix(strings.ToLower(host), "."+VaultDomain) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// Stop closes the listener and every open connection, as a vault outage
// would. Secrets are kept for Start.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start listens again after Stop, on the same port when it is still free.
func (s *Server) Start() error {
	s.mu.Lock()
	running := s.srv != nil
	addr := s.addr
	s.mu.Unlock()
	if running {
		return nil
	}
	if err := s.listen(addr); err != nil {
		return s.listen("127.0.0.1:0")
	}
	return nil
}

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(s.route),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		// Handshake failures are expected (tests leave out ca_cert); they
		// are asserted on the client side, not printed.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.mu.Lock()
	s.srv = srv
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return nil
}

// Put stores value under name as a new version, the way `az keyvault secret
// set` does. tags may be nil.
func (s *Server) Put(name, value string, tags map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(name, value, "", tags)
}

// PutCredential stores a credential in the layout the store reads: a JSON
// object with username and password.
func (s *Server) PutCredential(name, username, password string) {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(name, string(b), "application/json", nil)
}

// Delete soft-deletes name, as Key Vault does; Purge removes it for good.
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec, ok := s.secrets[name]; ok {
		delete(s.secrets, name)
		s.deleted[name] = sec
	}
}

// Purge removes a soft-deleted secret so its name can be used again.
func (s *Server) Purge(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deleted, name)
}

// Value returns the current value of name and whether it exists (not
// deleted).
func (s *Server) Value(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		return "", false
	}
	return sec.value, true
}

// Tags returns the tags of name's current version.
func (s *Server) Tags(name string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	if sec, ok := s.secrets[name]; ok {
		for k, v := range sec.tags {
			out[k] = v
		}
	}
	return out
}

// IsSoftDeleted reports whether name is in the vault's deleted state.
func (s *Server) IsSoftDeleted(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.deleted[name]
	return ok
}

// Reads counts successful and failed GET requests for a secret's value that
// carried a valid token.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// TokenRequests counts requests to the token endpoint, granted or not.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReq
}

// RejectLogins makes the token endpoint refuse the client secret, as it does
// once the secret has expired or been removed from the application, until
// RejectLogins(false).
func (s *Server) RejectLogins(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectLogin = reject
}

// FailTokenEndpoint makes the token endpoint answer every request with
// status (a 5xx outage of Microsoft Entra ID) until FailTokenEndpoint(0).
func (s *Server) FailTokenEndpoint(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFail = status
}

// FailWith makes the vault (not the token endpoint) answer every request
// with status until FailWith(0).
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = status
}

func (s *Server) set(name, value, contentType string, tags map[string]string) *secret {
	now := time.Now().UTC().Truncate(time.Second)
	created := now
	if old, ok := s.secrets[name]; ok {
		created = old.created
	}
	sec := &secret{version: newID(), value: value, contentType: contentType, tags: tags, created: created, updated: now}
	s.secrets[name] = sec
	return sec
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch {
	case strings.EqualFold(host, AuthorityHost):
		s.serveIdentity(w, r)
	case strings.EqualFold(host, VaultHost):
		s.serveVault(w, r)
	default:
		http.Error(w, "unknown host", http.StatusMisdirectedRequest)
	}
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sortedKeys(m map[string]*secret) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
