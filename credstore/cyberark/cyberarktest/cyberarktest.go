// Package cyberarktest runs an in-process CyberArk Central Credential
// Provider: an HTTPS server that requires a client certificate from its own
// test CA and answers the CCP REST API (GET .../api/Accounts) with CCP's
// ErrorCode bodies, with counters for tests.
package cyberarktest

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"junction/credstore/credstoretest"
)

// WebService is the CCP web service name the server answers under.
const WebService = "AIMWebService"

// Account is a password object in a safe.
type Account struct {
	UserName string
	Content  string // the password
	Address  string
}

// Server is a CCP test server. All methods are safe for concurrent use.
type Server struct {
	tls      *credstoretest.TLSServer
	clientCA *credstoretest.CA

	mu       sync.Mutex
	accounts map[string]Account // by safe/folder/object
	apps     map[string]*app
	failing  bool
	counts   map[string]int
}

type app struct {
	safes []string
	// subjects are the client certificate common names allowed to act for
	// the application, as CyberArk's "allowed machines/certificates" do.
	subjects []string
}

// New starts a CCP test server on 127.0.0.1 that requires a client
// certificate issued by ClientCA. It stops when tb ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	ca, err := credstoretest.NewCA("Junction test CCP client CA")
	if err != nil {
		tb.Fatalf("client CA: %v", err)
	}
	s := &Server{
		clientCA: ca,
		accounts: map[string]Account{},
		apps:     map[string]*app{},
		counts:   map[string]int{},
	}
	s.tls = credstoretest.NewTLSServer(tb, http.HandlerFunc(s.serveHTTP), credstoretest.TLSServerConfig{
		ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs:  ca.Pool(),
	})
	return s
}

// URL is the server's base URL, the store's "url" setting.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the PEM of the CA that issued the server's certificate, the
// store's "ca_cert" setting.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// ClientCA is the authority whose client certificates the server accepts.
func (s *Server) ClientCA() *credstoretest.CA { return s.clientCA }

// IssueClientCert issues a client certificate for commonName from ClientCA,
// as PEM certificate and key: the store's client_cert and client_key.
func (s *Server) IssueClientCert(tb testing.TB, commonName string) (certPEM, keyPEM string) {
	tb.Helper()
	certPEM, keyPEM, _, err := s.clientCA.IssueClient(commonName)
	if err != nil {
		tb.Fatalf("client certificate: %v", err)
	}
	return certPEM, keyPEM
}

// IssueClientPKCS12 issues a client certificate for commonName as a base64
// PKCS#12 bundle protected by password: the store's client_pkcs12.
func (s *Server) IssueClientPKCS12(tb testing.TB, commonName, password string) string {
	tb.Helper()
	_, _, cert, err := s.clientCA.IssueClient(commonName)
	if err != nil {
		tb.Fatalf("client certificate: %v", err)
	}
	der, err := EncodePKCS12(cert, password)
	if err != nil {
		tb.Fatalf("PKCS#12: %v", err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// AllowApp defines application appID, authorised for safes and for client
// certificates with any of the given common names (any certificate from
// ClientCA when none are given).
func (s *Server) AllowApp(appID string, safes []string, subjects ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = &app{safes: safes, subjects: subjects}
}

// RemoveApp deletes the application: its requests fail authentication.
func (s *Server) RemoveApp(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.apps, appID)
}

// Put stores a password object, replacing any existing one.
func (s *Server) Put(safe, folder, object string, a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[key(safe, folder, object)] = a
}

// Delete removes a password object.
func (s *Server) Delete(safe, folder, object string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, key(safe, folder, object))
}

// SetFailing makes the provider answer 500 APPAP007E (its connection to the
// CyberArk vault failed) while true.
func (s *Server) SetFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// Stop closes the listener and all connections until Start.
func (s *Server) Stop() { s.tls.Stop() }

// Start serves again on the same address after Stop.
func (s *Server) Start() error { return s.tls.Start() }

// Reads counts requests for the object that passed authentication.
func (s *Server) Reads(safe, folder, object string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts["read "+key(safe, folder, object)]
}

// Requests counts every request that completed the TLS handshake.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts["request"]
}

func key(safe, folder, object string) string { return safe + "/" + folder + "/" + object }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["request"]++
	if r.URL.Path != "/"+WebService+"/api/Accounts" {
		http.NotFound(w, r) // IIS answers unknown paths with HTML, not CCP JSON
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "APPAP305E", "Method not allowed")
		return
	}
	if s.failing {
		writeError(w, http.StatusInternalServerError, "APPAP007E", "Connection to the Vault has failed")
		return
	}
	q := r.URL.Query()
	appID, safe, object := q.Get("AppID"), q.Get("Safe"), q.Get("Object")
	folder := q.Get("Folder")
	if folder == "" {
		folder = "Root"
	}
	if appID == "" {
		writeError(w, http.StatusBadRequest, "APPAP306E", "Missing mandatory parameter [AppID]")
		return
	}
	if object == "" {
		writeError(w, http.StatusBadRequest, "APPAP306E", "Missing mandatory parameter [Object]")
		return
	}
	a := s.apps[appID]
	if a == nil {
		writeError(w, http.StatusForbidden, "APPAP282E",
			fmt.Sprintf("Failed to verify application authentication data: Application [%s] is not defined", appID))
		return
	}
	var cn string
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cn = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	if len(a.subjects) > 0 && !slices.Contains(a.subjects, cn) {
		writeError(w, http.StatusForbidden, "APPAP282E",
			fmt.Sprintf("Failed to verify application authentication data: client certificate [%s] is not allowed for application [%s]", cn, appID))
		return
	}
	if !slices.Contains(a.safes, safe) {
		writeError(w, http.StatusForbidden, "APPAP229E",
			fmt.Sprintf("Application [%s] is not authorized to use safe [%s]", appID, safe))
		return
	}
	k := key(safe, folder, object)
	s.counts["read "+k]++
	acct, ok := s.accounts[k]
	if !ok {
		writeError(w, http.StatusNotFound, "APPAP004E", fmt.Sprintf(
			"Password object matching query [Safe=%s;Folder=%s;Object=%s] was not found (Diagnostic Info: 5). "+
				"Please check that there is a password object that answers your query in the Vault and that both the "+
				"Provider and the application user have the appropriate permissions needed in order to use the password.",
			safe, folder, object))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"Content":                 acct.Content,
		"UserName":                acct.UserName,
		"Address":                 acct.Address,
		"Safe":                    safe,
		"Folder":                  folder,
		"Name":                    object,
		"PolicyID":                "WinDomain",
		"DeviceType":              "Operating System",
		"CreationMethod":          "PVWA",
		"PasswordChangeInProcess": "False",
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"ErrorCode": code, "ErrorMsg": strings.TrimSpace(msg)})
}
