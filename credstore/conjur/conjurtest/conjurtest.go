// Package conjurtest runs an in-process CyberArk Conjur: an HTTPS server
// answering Conjur's REST API for logging in (authn with a host's API key,
// authn-jwt with a JWT) and reading variables, with eight-minute access
// tokens on an injected clock, Conjur's error bodies, and counters for tests.
package conjurtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// TokenTTL is how long Conjur accepts an access token.
const TokenTTL = 8 * time.Minute

// Server is a Conjur test server for one account. All methods are safe for
// concurrent use.
type Server struct {
	tls     *credstoretest.TLSServer
	account string
	clock   junction.Clock

	mu        sync.Mutex
	apiKeys   map[string]string // host login -> API key
	jwts      map[string]string // service ID + "\x00" + JWT -> host
	variables map[string]string
	denied    map[string]bool // variable IDs the hosts may not execute
	tokens    map[string]issuedToken
	failing   bool
	counts    map[string]int
}

type issuedToken struct {
	host string
	at   time.Time
}

// New starts a Conjur test server for account on 127.0.0.1 whose tokens
// expire by clock. It stops when tb ends.
func New(tb testing.TB, account string, clock junction.Clock) *Server {
	tb.Helper()
	s := &Server{
		account:   account,
		clock:     clock,
		apiKeys:   map[string]string{},
		jwts:      map[string]string{},
		variables: map[string]string{},
		denied:    map[string]bool{},
		tokens:    map[string]issuedToken{},
		counts:    map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /authn/{account}/{login}/authenticate", s.authn)
	mux.HandleFunc("POST /authn-jwt/{service}/{account}/authenticate", s.authnJWT)
	mux.HandleFunc("POST /authn-jwt/{service}/{account}/{host}/authenticate", s.authnJWT)
	mux.HandleFunc("GET /secrets/{account}/{kind}/{id}", s.secret)
	s.tls = credstoretest.NewTLSServer(tb, mux, credstoretest.TLSServerConfig{})
	return s
}

// URL is the server's base URL, the store's "url" setting.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the store's "ca_cert" setting.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// AddHost defines a host (login "host/...") and returns its new API key.
func (s *Server) AddHost(login string) string {
	key := randomKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[login] = key
	return key
}

// RotateAPIKey gives host a new API key, as "conjur host rotate-api-key"
// does; the old one is refused from then on.
func (s *Server) RotateAPIKey(login string) string { return s.AddHost(login) }

// SetAPIKey sets host's API key.
func (s *Server) SetAPIKey(login, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[login] = key
}

// AllowJWT makes authenticator service accept jwt as host.
func (s *Server) AllowJWT(service, jwt, host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwts[service+"\x00"+jwt] = host
}

// RevokeJWT makes authenticator service refuse jwt.
func (s *Server) RevokeJWT(service, jwt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.jwts, service+"\x00"+jwt)
}

// Set gives variable id a new value (a new version).
func (s *Server) Set(id, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.variables[id] = value
}

// Remove deletes variable id from policy.
func (s *Server) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.variables, id)
}

// Deny withholds execute on variable id from every host.
func (s *Server) Deny(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[id] = true
}

// RevokeTokens makes Conjur refuse every token issued so far, as it does
// when its token-signing key is rotated.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// SetFailing makes every call answer 502, as a Conjur follower whose
// leader is gone does, while true.
func (s *Server) SetFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// Stop closes the listener and all connections until Start.
func (s *Server) Stop() { s.tls.Stop() }

// Start serves again on the same address after Stop.
func (s *Server) Start() error { return s.tls.Start() }

// Logins counts successful logins.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts["login"]
}

// Reads counts answered reads of variable id.
func (s *Server) Reads(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts["read "+id]
}

func (s *Server) authn(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		writeError(w, http.StatusBadGateway, "", "")
		return
	}
	login := r.PathValue("login")
	key, ok := s.apiKeys[login]
	if r.PathValue("account") != s.account || !ok || key != strings.TrimSpace(string(body)) {
		// Conjur answers every refused login alike, with an empty 401.
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.issue(w, login)
}

func (s *Server) authnJWT(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "CONJ00037E Missing value for resource: jwt")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		writeError(w, http.StatusBadGateway, "", "")
		return
	}
	host, ok := s.jwts[r.PathValue("service")+"\x00"+r.PostForm.Get("jwt")]
	if want := r.PathValue("host"); want != "" && want != host {
		ok = false
	}
	if r.PathValue("account") != s.account || !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.issue(w, host)
}

// issue answers a login with a token shaped like Conjur's (a JWS in JSON
// serialisation) that the server remembers.
func (s *Server) issue(w http.ResponseWriter, host string) {
	payload, _ := json.Marshal(map[string]any{"sub": host, "iat": s.clock.Now().Unix(), "exp": s.clock.Now().Add(TokenTTL).Unix()})
	tok, _ := json.Marshal(map[string]string{
		"protected": base64.URLEncoding.EncodeToString([]byte(`{"alg":"conjur.org/slosilo/v2","kid":"` + randomKey()[:16] + `"}`)),
		"payload":   base64.URLEncoding.EncodeToString(payload),
		"signature": randomKey(),
	})
	s.tokens[base64.StdEncoding.EncodeToString(tok)] = issuedToken{host: host, at: s.clock.Now()}
	s.counts["login"]++
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(tok)
}

func (s *Server) secret(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		writeError(w, http.StatusBadGateway, "", "")
		return
	}
	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, `Token token="`)
	raw, ok2 := strings.CutSuffix(raw, `"`)
	t, known := s.tokens[raw]
	if !ok || !ok2 || !known || s.clock.Now().Sub(t.at) >= TokenTTL {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	account, kind, id := r.PathValue("account"), r.PathValue("kind"), r.PathValue("id")
	resource := account + ":" + kind + ":" + id
	value, exists := s.variables[id]
	if account != s.account || kind != "variable" || !exists {
		writeError(w, http.StatusNotFound, "not_found",
			fmt.Sprintf("CONJ00076E Variable %s is empty or not found.", resource))
		return
	}
	if s.denied[id] {
		writeError(w, http.StatusForbidden, "forbidden", "Forbidden")
		return
	}
	s.counts["read "+id]++
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, value)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func randomKey() string {
	b := make([]byte, 26)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
