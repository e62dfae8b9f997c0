// Package vaulttest runs an in-process HTTPS server that answers HashiCorp
// Vault's documented HTTP API (KV v1 and v2, Transit encrypt and decrypt,
// token, AppRole, userpass and LDAP login, namespaces, sealing) closely
// enough for the official Go client, with counters tests use to assert how
// often Junction called the vault.
package vaulttest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// Auth method names, as Vault calls them.
const (
	MethodAppRole  = "approle"
	MethodUserpass = "userpass"
	MethodLDAP     = "ldap"
)

// TokenSpec describes tokens the server issues.
type TokenSpec struct {
	// TTL is the token's lifetime from issue or last renewal; zero never
	// expires (like a root token).
	TTL time.Duration
	// MaxTTL caps the lifetime however often the token is renewed; zero is
	// no cap.
	MaxTTL    time.Duration
	Renewable bool
	// Namespace the token belongs to ("" is the root namespace). The token
	// is accepted only for requests in that namespace or below.
	Namespace string
}

// Options configures New.
type Options struct {
	// Clock decides token expiry; tests move it instead of sleeping. The
	// wall clock when nil.
	Clock junction.Clock
}

// Server is a Vault test server. All methods are safe for concurrent use.
//
// Paths given to its methods are logical paths including the namespace, as
// Vault accepts them: "secret/app/db" for key app/db in the KV mount
// "secret" of the root namespace, "team-a/secret/app/db" for the same in
// namespace team-a. The server starts with KV v2 mounted at "secret", KV v1
// at "kv", and auth methods approle, userpass and ldap at their default
// mounts.
type Server struct {
	tls   *credstoretest.TLSServer
	clock junction.Clock

	mu        sync.Mutex
	sealed    bool
	kv        map[string]*kvMount   // by mount path, e.g. "secret", "team-a/secret"
	auth      map[string]*authMount // by mount path without "auth/", e.g. "approle", "team-a/approle"
	tokens    map[string]*token
	loginSpec TokenSpec
	counts    map[string]int
	transit   map[string]map[string]*transitKey // Transit mounts, then keys by name
}

type kvMount struct {
	version int
	entries map[string]*kvEntry
}

type kvEntry struct {
	data      map[string]any
	version   int
	created   time.Time
	deletedAt time.Time // KV v2 soft delete
}

type authMount struct {
	method   string
	roles    map[string]string // AppRole role ID -> secret ID
	users    map[string]string // username -> password
	tokenNS  string
	mountKey string
}

type token struct {
	id        string
	accessor  string
	ns        string
	path      string
	issued    time.Time
	expires   time.Time // zero: never
	maxExpiry time.Time // zero: none
	ttl       time.Duration
	renewable bool
}

// New starts a Vault test server on 127.0.0.1 with its own CA. It stops when
// tb ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	clock := opts.Clock
	if clock == nil {
		clock = junction.SystemClock{}
	}
	s := &Server{
		clock:     clock,
		kv:        map[string]*kvMount{},
		auth:      map[string]*authMount{},
		tokens:    map[string]*token{},
		counts:    map[string]int{},
		loginSpec: TokenSpec{TTL: time.Hour, MaxTTL: 24 * time.Hour, Renewable: true},
	}
	s.EnableKV("secret", 2)
	s.EnableKV("kv", 1)
	s.EnableAuth(MethodAppRole, MethodAppRole)
	s.EnableAuth(MethodUserpass, MethodUserpass)
	s.EnableAuth(MethodLDAP, MethodLDAP)
	s.EnableTransit("transit")
	s.tls = credstoretest.NewTLSServer(tb, http.HandlerFunc(s.serveHTTP), credstoretest.TLSServerConfig{})
	return s
}

// URL is the server's address, the store's "address" setting.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the PEM of the CA that issued the server's certificate, the
// store's "ca_cert" setting.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// Stop closes the listener and all connections: the vault is down and
// clients get "connection refused" until Start.
func (s *Server) Stop() { s.tls.Stop() }

// Start serves again on the same address after Stop.
func (s *Server) Start() error { return s.tls.Start() }

// Seal makes every request answer 503 "Vault is sealed", as a sealed Vault does.
func (s *Server) Seal() { s.mu.Lock(); s.sealed = true; s.mu.Unlock() }

// Unseal ends Seal.
func (s *Server) Unseal() { s.mu.Lock(); s.sealed = false; s.mu.Unlock() }

// EnableKV mounts a KV secrets engine of version 1 or 2 at mount (which may
// start with a namespace: "team-a/secret").
func (s *Server) EnableKV(mount string, version int) {
	if version != 1 && version != 2 {
		panic("vaulttest: KV version must be 1 or 2")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kv[clean(mount)] = &kvMount{version: version, entries: map[string]*kvEntry{}}
}

// EnableAuth mounts an auth method (MethodAppRole, MethodUserpass,
// MethodLDAP) at mount, the path under auth/ (which may start with a
// namespace: "team-a/approle" is auth/approle in namespace team-a).
func (s *Server) EnableAuth(mount, method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mount = clean(mount)
	ns, key := "", mount
	if i := strings.LastIndex(mount, "/"); i >= 0 {
		ns, key = mount[:i], mount[i+1:]
	}
	s.auth[mount] = &authMount{method: method, roles: map[string]string{}, users: map[string]string{}, tokenNS: ns, mountKey: key}
}

// SetAppRole makes roleID log in with secretID at the AppRole mount,
// replacing any earlier secret ID (so the earlier one stops working).
func (s *Server) SetAppRole(mount, roleID, secretID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authMount(mount).roles[roleID] = secretID
}

// SetUser makes username log in with password at a userpass or LDAP mount;
// an empty password removes the user.
func (s *Server) SetUser(mount, username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.authMount(mount)
	if password == "" {
		delete(m.users, username)
		return
	}
	m.users[username] = password
}

// SetLoginTokens sets the TTLs of tokens issued by logins from now on
// (default: one hour, renewable, at most 24 hours).
func (s *Server) SetLoginTokens(spec TokenSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginSpec = spec
}

// CreateToken issues a token directly, as `vault token create` would, for
// stores using the token auth method.
func (s *Server) CreateToken(spec TokenSpec) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(spec, "auth/token/create").id
}

// RevokeToken invalidates one token.
func (s *Server) RevokeToken(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, id)
}

// RevokeAllTokens invalidates every token, as if an operator revoked the
// auth mount's leases: clients must log in again.
func (s *Server) RevokeAllTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]*token{}
}

// Put writes data at the logical path (a new version on KV v2).
func (s *Server) Put(path string, data map[string]string) {
	m := make(map[string]any, len(data))
	for k, v := range data {
		m[k] = v
	}
	s.PutJSON(path, m)
}

// PutJSON is Put for values that are not all strings.
func (s *Server) PutJSON(path string, data map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mount, key, ok := s.findKV(clean(path))
	if !ok {
		panic("vaulttest: no KV mount for " + path)
	}
	s.write(mount, key, data)
}

// Get returns the current data at the logical path.
func (s *Server) Get(path string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mount, key, ok := s.findKV(clean(path))
	if !ok {
		return nil, false
	}
	e := mount.entries[key]
	if e == nil || !e.deletedAt.IsZero() {
		return nil, false
	}
	out := make(map[string]any, len(e.data))
	for k, v := range e.data {
		out[k] = v
	}
	return out, true
}

// Delete removes the secret at the logical path with all its versions.
func (s *Server) Delete(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mount, key, ok := s.findKV(clean(path)); ok {
		delete(mount.entries, key)
	}
}

// Reads counts GET requests for the secret at the logical path that got past
// authentication (found or not).
func (s *Server) Reads(path string) int { return s.count("read " + clean(path)) }

// Writes counts accepted writes to the secret at the logical path.
func (s *Server) Writes(path string) int { return s.count("write " + clean(path)) }

// Deletes counts accepted deletes of the secret at the logical path.
func (s *Server) Deletes(path string) int { return s.count("delete " + clean(path)) }

// Logins counts login requests, accepted or refused, at the auth mount
// ("approle", "team-a/userpass").
func (s *Server) Logins(mount string) int { return s.count("login " + clean(mount)) }

// Renewals counts auth/token/renew-self requests.
func (s *Server) Renewals() int { return s.count("renew-self") }

// Lookups counts auth/token/lookup-self requests.
func (s *Server) Lookups() int { return s.count("lookup-self") }

// Requests counts every request that reached the server.
func (s *Server) Requests() int { return s.count("request") }

// ResetCounts sets every counter back to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

func (s *Server) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// serveHTTP routes one request. Vault accepts the namespace either in the
// X-Vault-Namespace header or as a path prefix; both are joined here into
// one logical path.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["request"]++

	if s.sealed {
		writeErrors(w, http.StatusServiceUnavailable, "Vault is sealed")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeErrors(w, http.StatusNotFound)
		return
	}
	path := clean(rest)
	ns := clean(r.Header.Get("X-Vault-Namespace"))
	if ns != "" {
		path = ns + "/" + path
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "failed to read request body")
		return
	}

	if mount, user, isLogin := s.loginRoute(path); isLogin {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			writeErrors(w, http.StatusMethodNotAllowed)
			return
		}
		s.login(w, mount, user, body)
		return
	}

	tok := s.authenticate(r, path)
	if tok == nil {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	switch {
	case strings.HasSuffix(path, "auth/token/lookup-self") && r.Method == http.MethodGet:
		s.counts["lookup-self"]++
		s.lookupSelf(w, tok)
	case strings.HasSuffix(path, "auth/token/renew-self") && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		s.counts["renew-self"]++
		s.renewSelf(w, tok, body)
	default:
		if keys, op, name, ok := s.transitRoute(path); ok {
			s.serveTransit(w, r, keys, op, name, body)
			return
		}
		s.serveKV(w, r, path, body)
	}
}

// loginRoute recognises [ns/]auth/{mount}/login and .../login/{username}.
func (s *Server) loginRoute(path string) (mount *authMount, user string, ok bool) {
	i := strings.Index(path, "auth/")
	if i < 0 || (i > 0 && path[i-1] != '/') {
		return nil, "", false
	}
	ns := strings.TrimSuffix(path[:i], "/")
	parts := strings.Split(path[i+len("auth/"):], "/")
	if len(parts) < 2 || parts[1] != "login" || len(parts) > 3 {
		return nil, "", false
	}
	key := parts[0]
	if ns != "" {
		key = ns + "/" + key
	}
	m := s.auth[key]
	if m == nil {
		if ns != "" {
			return nil, "", false // a KV key that merely contains "auth/"
		}
		// A login at a mount that does not exist.
		m = &authMount{method: "missing", mountKey: key}
	}
	s.counts["login "+key]++
	if len(parts) == 3 {
		user = parts[2]
	}
	return m, user, true
}

func (s *Server) login(w http.ResponseWriter, m *authMount, user string, body []byte) {
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeErrors(w, http.StatusBadRequest, "failed to parse JSON input")
			return
		}
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	switch m.method {
	case MethodAppRole:
		roleID, secretID := str("role_id"), str("secret_id")
		if roleID == "" {
			writeErrors(w, http.StatusBadRequest, "missing role_id")
			return
		}
		want, found := m.roles[roleID]
		if !found || secretID == "" || secretID != want {
			writeErrors(w, http.StatusBadRequest, "invalid role or secret ID")
			return
		}
	case MethodUserpass, MethodLDAP:
		if user == "" {
			writeErrors(w, http.StatusBadRequest, "missing username")
			return
		}
		want, found := m.users[user]
		if !found || str("password") == "" || str("password") != want {
			writeErrors(w, http.StatusBadRequest, "invalid username or password")
			return
		}
	default:
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", "auth/"+m.mountKey+"/login"))
		return
	}
	spec := s.loginSpec
	spec.Namespace = m.tokenNS
	t := s.issue(spec, "auth/"+m.mountKey+"/login")
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id":     newID(),
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data":           nil,
		"warnings":       nil,
		"auth":           authBlock(t, t.ttl),
	})
}

// authenticate returns the request's token if it is known, unexpired and
// belongs to the request's namespace or a parent of it.
func (s *Server) authenticate(r *http.Request, path string) *token {
	id := r.Header.Get("X-Vault-Token")
	if id == "" {
		id, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	t := s.tokens[id]
	if t == nil {
		return nil
	}
	now := s.clock.Now()
	if !t.expires.IsZero() && !now.Before(t.expires) {
		delete(s.tokens, id)
		return nil
	}
	if t.ns != "" && path != t.ns && !strings.HasPrefix(path, t.ns+"/") {
		return nil
	}
	return t
}

func (s *Server) lookupSelf(w http.ResponseWriter, t *token) {
	now := s.clock.Now()
	var expire any
	ttl := 0
	if !t.expires.IsZero() {
		expire = t.expires.UTC().Format(time.RFC3339Nano)
		ttl = int(t.expires.Sub(now).Seconds())
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id":     newID(),
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data": map[string]any{
			"accessor":         t.accessor,
			"creation_time":    t.issued.Unix(),
			"creation_ttl":     int(t.ttl.Seconds()),
			"display_name":     "token",
			"entity_id":        "",
			"expire_time":      expire,
			"explicit_max_ttl": 0,
			"id":               t.id,
			"issue_time":       t.issued.UTC().Format(time.RFC3339Nano),
			"meta":             nil,
			"num_uses":         0,
			"orphan":           true,
			"path":             t.path,
			"policies":         []string{"default", "junction"},
			"renewable":        t.renewable,
			"ttl":              ttl,
			"type":             "service",
		},
	})
}

func (s *Server) renewSelf(w http.ResponseWriter, t *token, body []byte) {
	if !t.renewable {
		writeErrors(w, http.StatusBadRequest, "lease is not renewable")
		return
	}
	var in struct {
		Increment json.RawMessage `json:"increment"`
	}
	_ = json.Unmarshal(body, &in)
	inc := t.ttl
	if len(in.Increment) > 0 {
		var secs int
		if json.Unmarshal(in.Increment, &secs) == nil && secs > 0 {
			inc = time.Duration(secs) * time.Second
		}
	}
	if inc > t.ttl {
		inc = t.ttl // the role's TTL bounds any increment
	}
	now := s.clock.Now()
	expires := now.Add(inc)
	var warnings []string
	if !t.maxExpiry.IsZero() && expires.After(t.maxExpiry) {
		expires = t.maxExpiry
		warnings = append(warnings, "TTL of \""+inc.String()+"\" exceeded the effective max_ttl; TTL value is capped accordingly")
	}
	if !t.expires.IsZero() {
		t.expires = expires
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id":     newID(),
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data":           nil,
		"warnings":       warnings,
		"auth":           authBlock(t, expires.Sub(now)),
	})
}

func authBlock(t *token, lease time.Duration) map[string]any {
	return map[string]any{
		"client_token":   t.id,
		"accessor":       t.accessor,
		"policies":       []string{"default", "junction"},
		"token_policies": []string{"default", "junction"},
		"metadata":       map[string]string{},
		"lease_duration": int(lease.Seconds()),
		"renewable":      t.renewable,
		"entity_id":      "",
		"token_type":     "service",
		"orphan":         true,
	}
}

// serveKV answers the KV v1 and v2 APIs of the mount the path falls in.
func (s *Server) serveKV(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	mountPath, mount := s.mountOf(path)
	if mount == nil {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", path))
		return
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(path, mountPath), "/")
	if mount.version == 1 {
		s.serveKV1(w, r, mountPath, mount, rest, body)
		return
	}
	switch {
	case strings.HasPrefix(rest, "data/"):
		s.serveKV2Data(w, r, mountPath, mount, strings.TrimPrefix(rest, "data/"), body)
	case strings.HasPrefix(rest, "metadata/"):
		key := strings.TrimPrefix(rest, "metadata/")
		logical := mountPath + "/" + key
		switch r.Method {
		case http.MethodDelete:
			s.counts["delete "+logical]++
			delete(mount.entries, key)
			w.WriteHeader(http.StatusNoContent)
		case http.MethodGet:
			e := mount.entries[key]
			if e == nil {
				writeErrors(w, http.StatusNotFound)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
				"current_version": e.version,
				"created_time":    e.created.UTC().Format(time.RFC3339Nano),
			}})
		default:
			writeErrors(w, http.StatusMethodNotAllowed)
		}
	default:
		// Vault answers KV v2 paths without data/ or metadata/ with a hint.
		writeErrors(w, http.StatusNotFound, "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.")
	}
}

func (s *Server) serveKV1(w http.ResponseWriter, r *http.Request, mountPath string, mount *kvMount, key string, body []byte) {
	logical := mountPath + "/" + key
	switch r.Method {
	case http.MethodGet:
		s.counts["read "+logical]++
		e := mount.entries[key]
		if e == nil {
			writeErrors(w, http.StatusNotFound)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"request_id":     newID(),
			"lease_id":       "",
			"renewable":      false,
			"lease_duration": kv1Lease(e.data),
			"data":           e.data,
			"warnings":       nil,
		})
	case http.MethodPut, http.MethodPost:
		var data map[string]any
		if err := json.Unmarshal(body, &data); err != nil {
			writeErrors(w, http.StatusBadRequest, "failed to parse JSON input")
			return
		}
		s.counts["write "+logical]++
		s.write(mount, key, data)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.counts["delete "+logical]++
		delete(mount.entries, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed)
	}
}

func (s *Server) serveKV2Data(w http.ResponseWriter, r *http.Request, mountPath string, mount *kvMount, key string, body []byte) {
	logical := mountPath + "/" + key
	switch r.Method {
	case http.MethodGet:
		s.counts["read "+logical]++
		e := mount.entries[key]
		if e == nil {
			writeErrors(w, http.StatusNotFound)
			return
		}
		meta := kv2Metadata(e)
		if !e.deletedAt.IsZero() {
			// A soft-deleted version answers 404 with its metadata.
			writeJSON(w, http.StatusNotFound, map[string]any{"data": map[string]any{"data": nil, "metadata": meta}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"request_id":     newID(),
			"lease_id":       "",
			"renewable":      false,
			"lease_duration": 0,
			"data":           map[string]any{"data": e.data, "metadata": meta},
			"warnings":       nil,
		})
	case http.MethodPut, http.MethodPost:
		var in struct {
			Data    map[string]any `json:"data"`
			Options map[string]any `json:"options"`
		}
		if err := json.Unmarshal(body, &in); err != nil || in.Data == nil {
			writeErrors(w, http.StatusBadRequest, "no data provided")
			return
		}
		s.counts["write "+logical]++
		e := s.write(mount, key, in.Data)
		writeJSON(w, http.StatusOK, map[string]any{"data": kv2Metadata(e)})
	case http.MethodDelete:
		// Soft delete of the latest version.
		s.counts["delete "+logical]++
		if e := mount.entries[key]; e != nil {
			e.deletedAt = s.clock.Now()
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed)
	}
}

func kv2Metadata(e *kvEntry) map[string]any {
	deletion := ""
	if !e.deletedAt.IsZero() {
		deletion = e.deletedAt.UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{
		"created_time":    e.created.UTC().Format(time.RFC3339Nano),
		"custom_metadata": nil,
		"deletion_time":   deletion,
		"destroyed":       false,
		"version":         e.version,
	}
}

// write stores data under key, as a new version. Callers hold s.mu.
func (s *Server) write(mount *kvMount, key string, data map[string]any) *kvEntry {
	e := mount.entries[key]
	if e == nil {
		e = &kvEntry{}
		mount.entries[key] = e
	}
	e.data = data
	e.version++
	e.created = s.clock.Now()
	e.deletedAt = time.Time{}
	return e
}

// mountOf finds the KV mount with the longest path prefixing path.
func (s *Server) mountOf(path string) (string, *kvMount) {
	var best string
	for p := range s.kv {
		if (path == p || strings.HasPrefix(path, p+"/")) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return "", nil
	}
	return best, s.kv[best]
}

func (s *Server) findKV(path string) (*kvMount, string, bool) {
	p, m := s.mountOf(path)
	if m == nil {
		return nil, "", false
	}
	return m, strings.TrimPrefix(strings.TrimPrefix(path, p), "/"), true
}

func (s *Server) authMount(mount string) *authMount {
	m := s.auth[clean(mount)]
	if m == nil {
		panic("vaulttest: no auth mount " + mount)
	}
	return m
}

// issue creates a token. Callers hold s.mu.
func (s *Server) issue(spec TokenSpec, path string) *token {
	now := s.clock.Now()
	t := &token{
		id:        "hvs." + randomHex(12),
		accessor:  randomHex(12),
		ns:        clean(spec.Namespace),
		path:      path,
		issued:    now,
		ttl:       spec.TTL,
		renewable: spec.Renewable,
	}
	if spec.TTL > 0 {
		t.expires = now.Add(spec.TTL)
		if spec.MaxTTL > 0 {
			t.maxExpiry = now.Add(spec.MaxTTL)
		}
	}
	s.tokens[t.id] = t
	return t
}

// Tokens returns how many tokens are currently valid (issued, not revoked,
// not expired).
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	n := 0
	for _, t := range s.tokens {
		if t.expires.IsZero() || now.Before(t.expires) {
			n++
		}
	}
	return n
}

// Paths returns the logical paths of every stored secret, sorted.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for mp, m := range s.kv {
		for k, e := range m.entries {
			if e.deletedAt.IsZero() {
				out = append(out, mp+"/"+k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func writeErrors(w http.ResponseWriter, status int, errs ...string) {
	if errs == nil {
		errs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func clean(p string) string { return strings.Trim(p, "/") }

func newID() string {
	b := randomHex(16)
	return b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// kv1Lease is the lease KV v1 gives a read: the secret's own ttl key (a
// duration such as "10m", or seconds), else the mount's default, 32 days.
func kv1Lease(data map[string]any) int {
	switch t := data["ttl"].(type) {
	case string:
		if d, err := time.ParseDuration(t); err == nil {
			return int(d.Seconds())
		}
		if n, err := strconv.Atoi(t); err == nil {
			return n
		}
	case float64:
		return int(t)
	}
	return 2764800
}
