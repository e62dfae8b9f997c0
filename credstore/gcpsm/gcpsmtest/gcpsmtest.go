// Package gcpsmtest runs, in process and over real TLS, Google Cloud Secret
// Manager's REST API as Google documents it (secrets, versions, :access with
// CRC32C, :addVersion, google.rpc.Status errors) and the OAuth token
// endpoint of a service-account key (the JWT bearer grant, with the
// assertion's RS256 signature checked), so the store is tested with Google's
// own client and oauth2 library.
package gcpsmtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"junction/credstore/credstoretest"
)

// Server is a Secret Manager endpoint and token endpoint for one project.
// It is safe for concurrent use.
type Server struct {
	tls     *credstoretest.TLSServer
	project string

	mu       sync.Mutex
	accounts map[string]*rsa.PublicKey // client_email -> key
	tokens   map[string]bool
	secrets  map[string]*secret
	failing  bool
	corrupt  bool
	counts   map[string]int
}

type secret struct {
	versions [][]byte // versions/n is versions[n-1]; nil when destroyed
}

// New starts a server for project and stops it when the test ends.
func New(tb testing.TB, project string) *Server {
	tb.Helper()
	s := &Server{
		project: project, accounts: map[string]*rsa.PublicKey{}, tokens: map[string]bool{},
		secrets: map[string]*secret{}, counts: map[string]int{},
	}
	s.tls = credstoretest.NewTLSServer(tb, http.HandlerFunc(s.serve), credstoretest.TLSServerConfig{})
	return s
}

// URL is the API endpoint, the store's "endpoint" setting.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the store's "ca_cert" setting.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// TokenURL is the token endpoint service-account keys of this server name.
func (s *Server) TokenURL() string { return s.tls.URL() + "/token" }

// NewServiceAccount creates a service account with a new key and returns
// the key file's JSON, as the console's "create key" gives it.
func (s *Server) NewServiceAccount(tb testing.TB, name string) string {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", name, s.project)
	s.mu.Lock()
	s.accounts[email] = &key.PublicKey
	s.mu.Unlock()
	b, _ := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  s.project,
		"private_key_id":              randomHex(20),
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "1" + randomHex(10),
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.TokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return string(b)
}

// NewAccessToken returns an access token the API accepts, as the metadata
// server hands out for a workload's service account.
func (s *Server) NewAccessToken() string {
	tok := "ya29.md-" + randomHex(24)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = true
	return tok
}

// DisableKey makes the token endpoint refuse every key of the service
// account in keyJSON, and the API refuse tokens already issued; EnableKey
// undoes it with the same key.
func (s *Server) DisableKey(keyJSON string) { s.setKey(keyJSON, false) }

// EnableKey accepts the key in keyJSON again.
func (s *Server) EnableKey(keyJSON string) { s.setKey(keyJSON, true) }

func (s *Server) setKey(keyJSON string, enabled bool) {
	var k struct {
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	_ = json.Unmarshal([]byte(keyJSON), &k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !enabled {
		delete(s.accounts, k.ClientEmail)
		clear(s.tokens)
		return
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		s.accounts[k.ClientEmail] = &key.(*rsa.PrivateKey).PublicKey
	}
}

// AddVersion adds a version to secret, creating the secret if needed.
func (s *Server) AddVersion(name string, payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		sec = &secret{}
		s.secrets[name] = sec
	}
	sec.versions = append(sec.versions, append([]byte(nil), payload...))
}

// DestroyVersion destroys version n (from 1) of secret name.
func (s *Server) DestroyVersion(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil && n >= 1 && n <= len(sec.versions) {
		sec.versions[n-1] = nil
	}
}

// DeleteSecret deletes secret name with its versions.
func (s *Server) DeleteSecret(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, name)
}

// Versions is how many versions secret name has.
func (s *Server) Versions(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil {
		return len(sec.versions)
	}
	return 0
}

// SetFailing makes every API call answer 503 UNAVAILABLE while true.
func (s *Server) SetFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// SetCorrupt makes :access answer payloads whose CRC32C does not match.
func (s *Server) SetCorrupt(corrupt bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt = corrupt
}

// Stop closes the listener and all connections until Start.
func (s *Server) Stop() { s.tls.Stop() }

// Start serves again on the same address after Stop.
func (s *Server) Start() error { return s.tls.Start() }

// Count returns how many requests of kind ("token", "access", "addVersion",
// "create", "delete") were answered.
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[kind]
}

var (
	accessPath  = regexp.MustCompile(`^/v1/projects/([^/]+)/secrets/([^/]+)/versions/([^/:]+):access$`)
	addPath     = regexp.MustCompile(`^/v1/projects/([^/]+)/secrets/([^/:]+):addVersion$`)
	secretsPath = regexp.MustCompile(`^/v1/projects/([^/]+)/secrets$`)
	secretPath  = regexp.MustCompile(`^/v1/projects/([^/]+)/secrets/([^/:]+)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" && r.Method == http.MethodPost {
		s.token(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		writeStatus(w, http.StatusServiceUnavailable, "UNAVAILABLE", "The service is currently unavailable.")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.tokens[tok] {
		writeStatus(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	p := r.URL.Path
	switch m := accessPath.FindStringSubmatch(p); {
	case m != nil && r.Method == http.MethodGet:
		s.access(w, m[1], m[2], m[3])
		return
	}
	if m := addPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodPost {
		s.addVersion(w, m[1], m[2], body)
		return
	}
	if m := secretsPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodPost {
		s.create(w, m[1], r.URL.Query().Get("secretId"))
		return
	}
	if m := secretPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodDelete {
		s.delete(w, m[1], m[2])
		return
	}
	writeStatus(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.")
}

func (s *Server) wrongProject(w http.ResponseWriter, project string) bool {
	if project == s.project {
		return false
	}
	writeStatus(w, http.StatusForbidden, "PERMISSION_DENIED",
		fmt.Sprintf("Permission 'secretmanager.versions.access' denied for resource 'projects/%s' (or it may not exist).", project))
	return true
}

func (s *Server) access(w http.ResponseWriter, project, name, version string) {
	if s.wrongProject(w, project) {
		return
	}
	full := fmt.Sprintf("projects/%s/secrets/%s", project, name)
	sec := s.secrets[name]
	if sec == nil || len(sec.versions) == 0 {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret [%s] not found or has no versions.", full))
		return
	}
	n := len(sec.versions)
	if version != "latest" {
		v, err := strconv.Atoi(version)
		if err != nil || v < 1 || v > len(sec.versions) {
			writeStatus(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret Version [%s/versions/%s] not found.", full, version))
			return
		}
		n = v
	} else {
		for n > 0 && sec.versions[n-1] == nil {
			n--
		}
		if n == 0 {
			writeStatus(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret [%s] not found or has no versions.", full))
			return
		}
	}
	data := sec.versions[n-1]
	if data == nil {
		writeStatus(w, http.StatusBadRequest, "FAILED_PRECONDITION",
			fmt.Sprintf("Secret Version [%s/versions/%d] is in DESTROYED state.", full, n))
		return
	}
	sum := crc32c(data)
	if s.corrupt {
		sum++
	}
	s.counts["access"]++
	writeJSON(w, map[string]any{
		"name":    fmt.Sprintf("%s/versions/%d", full, n),
		"payload": map[string]string{"data": base64.StdEncoding.EncodeToString(data), "dataCrc32c": strconv.FormatInt(sum, 10)},
	})
}

func (s *Server) addVersion(w http.ResponseWriter, project, name string, body []byte) {
	if s.wrongProject(w, project) {
		return
	}
	var req struct {
		Payload struct {
			Data       []byte `json:"data"`
			DataCrc32C string `json:"dataCrc32c"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	if req.Payload.DataCrc32C != "" && req.Payload.DataCrc32C != strconv.FormatInt(crc32c(req.Payload.Data), 10) {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Checksum mismatch: data_crc32c does not match the payload.")
		return
	}
	full := fmt.Sprintf("projects/%s/secrets/%s", project, name)
	sec := s.secrets[name]
	if sec == nil {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret [%s] not found.", full))
		return
	}
	sec.versions = append(sec.versions, req.Payload.Data)
	s.counts["addVersion"]++
	writeJSON(w, map[string]any{"name": fmt.Sprintf("%s/versions/%d", full, len(sec.versions)), "state": "ENABLED"})
}

func (s *Server) create(w http.ResponseWriter, project, name string) {
	if s.wrongProject(w, project) {
		return
	}
	full := fmt.Sprintf("projects/%s/secrets/%s", project, name)
	if s.secrets[name] != nil {
		writeStatus(w, http.StatusConflict, "ALREADY_EXISTS", fmt.Sprintf("Secret [%s] already exists.", full))
		return
	}
	s.secrets[name] = &secret{}
	s.counts["create"]++
	writeJSON(w, map[string]any{"name": full, "replication": map[string]any{"automatic": map[string]any{}}})
}

func (s *Server) delete(w http.ResponseWriter, project, name string) {
	if s.wrongProject(w, project) {
		return
	}
	if s.secrets[name] == nil {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret [projects/%s/secrets/%s] not found.", project, name))
		return
	}
	delete(s.secrets, name)
	s.counts["delete"]++
	writeJSON(w, map[string]any{})
}

// token answers the JWT bearer grant of a service-account key.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeOAuthError(w, "unsupported_grant_type", "Invalid grant_type.")
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		writeOAuthError(w, "invalid_grant", "Invalid JWT.")
		return
	}
	var claims struct {
		Iss   string `json:"iss"`
		Aud   string `json:"aud"`
		Scope string `json:"scope"`
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		writeOAuthError(w, "invalid_grant", "Invalid JWT.")
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	s.mu.Lock()
	defer s.mu.Unlock()
	pub := s.accounts[claims.Iss]
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || pub == nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		writeOAuthError(w, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	if claims.Aud != s.TokenURL() || claims.Scope == "" {
		writeOAuthError(w, "invalid_grant", "Invalid JWT: aud or scope.")
		return
	}
	tok := "ya29." + randomHex(24)
	s.tokens[tok] = true
	s.counts["token"]++
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

func crc32c(b []byte) int64 { return int64(crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus writes a google.rpc.Status error as the REST API does.
func writeStatus(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

func writeOAuthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
