// Package delineatest runs an in-process Delinea Secret Server over real
// TLS: the OAuth2 password grant (/oauth2/token), the Delinea Platform's
// client-credentials token endpoint, and the REST API's secrets (by ID, by
// path, search, stub, create, field update, deactivate, and the summary
// that says in how many days a secret expires) with Secret Server's error
// bodies, tokens and secret expiry on an injected clock, and counters for
// tests.
package delineatest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// TokenLife is how long an access token lasts, Secret Server's default.
const TokenLife = 20 * time.Minute

// PasswordTemplate is the ID of the built-in "Password" template, whose
// fields are resource, username, password and notes.
const PasswordTemplate = 2

// Server is a Secret Server test server. All methods are safe for
// concurrent use.
type Server struct {
	tls   *credstoretest.TLSServer
	clock junction.Clock

	mu      sync.Mutex
	users   map[string]string // username -> password
	clients map[string]string // platform client ID -> secret
	tokens  map[string]time.Time
	folders map[int]string // id -> path such as \Integrations
	secrets map[int]*Secret
	nextID  int
	failing bool
	counts  map[string]int
}

// Secret is one secret: its name, folder and text fields by slug.
type Secret struct {
	ID       int
	Name     string
	FolderID int
	Fields   map[string]string
	Active   bool
	// Expires is when the secret expires; zero when it does not.
	Expires time.Time
}

// New starts a server whose tokens expire by clock, with a root-level
// folder 1, \Integrations. It stops when tb ends.
func New(tb testing.TB, clock junction.Clock) *Server {
	tb.Helper()
	s := &Server{
		clock: clock, users: map[string]string{}, clients: map[string]string{}, tokens: map[string]time.Time{},
		folders: map[int]string{1: `\Integrations`}, secrets: map[int]*Secret{}, nextID: 100, counts: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.passwordGrant)
	mux.HandleFunc("POST /identity/api/oauth2/token/xpmplatform", s.clientCredentials)
	mux.HandleFunc("GET /api/v1/secrets", s.authed(s.search))
	mux.HandleFunc("GET /api/v1/secrets/stub", s.authed(s.stub))
	mux.HandleFunc("POST /api/v1/secrets", s.authed(s.create))
	mux.HandleFunc("GET /api/v1/secrets/{id}", s.authed(s.get))
	mux.HandleFunc("GET /api/v1/secrets/{id}/summary", s.authed(s.summary))
	mux.HandleFunc("DELETE /api/v1/secrets/{id}", s.authed(s.deactivate))
	mux.HandleFunc("PUT /api/v1/secrets/{id}/fields/{slug}", s.authed(s.putField))
	s.tls = credstoretest.NewTLSServer(tb, mux, credstoretest.TLSServerConfig{})
	return s
}

// URL is the store's "url" (and, for platform logins, "platform_url").
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the store's "ca_cert" setting.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// SetUser creates or changes a local account; an empty password deletes it.
func (s *Server) SetUser(name, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if password == "" {
		delete(s.users, name)
		return
	}
	s.users[name] = password
}

// SetClient creates or changes a platform service user's client
// credentials; an empty secret deletes it.
func (s *Server) SetClient(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret == "" {
		delete(s.clients, id)
		return
	}
	s.clients[id] = secret
}

// Put stores a Password-template secret named name in folder 1, replacing
// the fields of an active one with that name, and returns its ID.
func (s *Server) Put(name, username, password string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.secrets {
		if sec.Active && sec.Name == name && sec.FolderID == 1 {
			sec.Fields["username"], sec.Fields["password"] = username, password
			return sec.ID
		}
	}
	s.nextID++
	s.secrets[s.nextID] = &Secret{ID: s.nextID, Name: name, FolderID: 1, Active: true,
		Fields: map[string]string{"resource": "", "username": username, "password": password, "notes": ""}}
	return s.nextID
}

// SetExpires makes the secret with ID id expire at t (zero: never), as its
// template's or its own expiration setting does.
func (s *Server) SetExpires(id int, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[id]; sec != nil {
		sec.Expires = t
	}
}

// Deactivate deactivates every secret named name, as deleting in the UI does.
func (s *Server) Deactivate(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.secrets {
		if sec.Name == name {
			sec.Active = false
		}
	}
}

// Lookup returns a copy of the active secret named name in folder 1.
func (s *Server) Lookup(name string) (Secret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.secrets {
		if sec.Active && sec.Name == name && sec.FolderID == 1 {
			c := *sec
			c.Fields = map[string]string{}
			for k, v := range sec.Fields {
				c.Fields[k] = v
			}
			return c, true
		}
	}
	return Secret{}, false
}

// SetFailing makes every request answer 503 while true, as IIS does when
// Secret Server's application pool is stopped.
func (s *Server) SetFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// Stop closes the listener and all connections until Start.
func (s *Server) Stop() { s.tls.Stop() }

// Start serves again on the same address after Stop.
func (s *Server) Start() error { return s.tls.Start() }

// Count returns how many requests of kind ("login", "get", "summary",
// "search", "create", "put") were answered.
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[kind]
}

func (s *Server) passwordGrant(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	f := r.PostForm
	if pw, ok := s.users[f.Get("username")]; f.Get("grant_type") != "password" || !ok || pw != f.Get("password") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Login failed."})
		return
	}
	s.issue(w)
}

func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	f := r.PostForm
	sec, ok := s.clients[f.Get("client_id")]
	if f.Get("grant_type") != "client_credentials" || f.Get("scope") != "xpmheadless" || !ok || sec != f.Get("client_secret") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": "invalid client creds or client not allowed"})
		return
	}
	s.issue(w)
}

func (s *Server) issue(w http.ResponseWriter) {
	tok := randomHex(32)
	s.tokens[tok] = s.clock.Now().Add(TokenLife)
	s.counts["login"]++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": int(TokenLife.Seconds()), "refresh_token": randomHex(32),
	})
}

// authed checks the bearer token and serialises the handler.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if exp, ok := s.tokens[tok]; !ok || !s.clock.Now().Before(exp) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authentication failed or expired token", "errorCode": "API_AuthenticationFailed"})
			return
		}
		h(w, r)
	}
}

func accessDenied(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"errorCode": "API_AccessDenied", "message": "Access Denied"})
}

func (s *Server) find(r *http.Request) *Secret {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return nil
	}
	if id == 0 {
		path := r.URL.Query().Get("secretPath")
		for _, sec := range s.secrets {
			if sec.Active && s.folders[sec.FolderID]+`\`+sec.Name == path {
				return sec
			}
		}
		return nil
	}
	if sec := s.secrets[id]; sec != nil && sec.Active {
		return sec
	}
	return nil
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	sec := s.find(r)
	if sec == nil {
		accessDenied(w)
		return
	}
	s.counts["get"]++
	writeJSON(w, http.StatusOK, s.model(sec))
}

// summary answers GET /secrets/{id}/summary with a SecretSummary, whose
// daysUntilExpiration is whole days left (negative once expired), null for
// a secret that does not expire.
func (s *Server) summary(w http.ResponseWriter, r *http.Request) {
	sec := s.find(r)
	if sec == nil {
		accessDenied(w)
		return
	}
	s.counts["summary"]++
	var days any
	if !sec.Expires.IsZero() {
		left := sec.Expires.Sub(s.clock.Now())
		d := int(left / (24 * time.Hour))
		if left < 0 && left%(24*time.Hour) != 0 {
			d-- // whole days, rounded down
		}
		days = d
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": sec.ID, "name": sec.Name, "secretTemplateId": PasswordTemplate, "secretTemplateName": "Password",
		"folderId": sec.FolderID, "siteId": 1, "active": sec.Active, "checkedOut": false, "isRestricted": false,
		"isOutOfSync": false, "outOfSyncReason": "", "lastHeartBeatStatus": "Pending", "lastPasswordChangeAttempt": nil,
		"responseCodes": []string{}, "lastAccessed": nil, "extendedFields": nil, "checkOutEnabled": false,
		"autoChangeEnabled": false, "doubleLockEnabled": false, "requiresApproval": false, "requiresComment": false,
		"inheritsPermissions": true, "hidePassword": false, "createDate": "2026-01-05T10:00:00", "daysUntilExpiration": days,
		"hasLauncher": false,
	})
}

func (s *Server) model(sec *Secret) map[string]any {
	items := []map[string]any{}
	for i, slug := range []string{"resource", "username", "password", "notes"} {
		items = append(items, map[string]any{
			"itemId": sec.ID*10 + i, "fieldId": 100 + i, "fileAttachmentId": nil, "fieldName": strings.ToUpper(slug[:1]) + slug[1:],
			"slug": slug, "fieldDescription": "", "filename": nil, "itemValue": sec.Fields[slug],
			"isFile": false, "isNotes": slug == "notes", "isPassword": slug == "password",
		})
	}
	return map[string]any{
		"id": sec.ID, "name": sec.Name, "secretTemplateId": PasswordTemplate, "folderId": sec.FolderID, "active": sec.Active,
		"items": items, "checkedOut": false, "checkOutEnabled": false, "siteId": 1,
	}
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text, exact := q.Get("filter.searchText"), q.Get("filter.isExactMatch") == "true"
	folder, _ := strconv.Atoi(q.Get("filter.folderId"))
	records := []map[string]any{}
	for _, sec := range s.secrets {
		if !sec.Active || (folder != 0 && sec.FolderID != folder) {
			continue
		}
		if (exact && sec.Name == text) || (!exact && strings.Contains(sec.Name, text)) {
			records = append(records, map[string]any{"id": sec.ID, "name": sec.Name, "folderId": sec.FolderID, "active": true})
		}
	}
	s.counts["search"]++
	writeJSON(w, http.StatusOK, map[string]any{"records": records, "total": len(records), "skip": 0, "take": len(records)})
}

func (s *Server) stub(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	folder, _ := strconv.Atoi(q.Get("folderId"))
	if q.Get("secretTemplateId") != strconv.Itoa(PasswordTemplate) || s.folders[folder] == "" {
		accessDenied(w)
		return
	}
	writeJSON(w, http.StatusOK, s.model(&Secret{FolderID: folder, Fields: map[string]string{}}))
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name             string `json:"name"`
		FolderID         int    `json:"folderId"`
		SecretTemplateID int    `json:"secretTemplateId"`
		Items            []struct {
			Slug      string `json:"slug"`
			ItemValue string `json:"itemValue"`
		} `json:"items"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" || s.folders[in.FolderID] == "" || in.SecretTemplateID != PasswordTemplate {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorCode": "API_InvalidRequest", "message": "The request is invalid."})
		return
	}
	s.nextID++
	sec := &Secret{ID: s.nextID, Name: in.Name, FolderID: in.FolderID, Active: true, Fields: map[string]string{}}
	for _, it := range in.Items {
		sec.Fields[it.Slug] = it.ItemValue
	}
	s.secrets[sec.ID] = sec
	s.counts["create"]++
	writeJSON(w, http.StatusOK, s.model(sec))
}

func (s *Server) putField(w http.ResponseWriter, r *http.Request) {
	sec := s.find(r)
	if sec == nil || r.PathValue("id") == "0" {
		accessDenied(w)
		return
	}
	slug := r.PathValue("slug")
	if _, ok := sec.Fields[slug]; !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorCode": "API_FieldNotFound", "message": "Field " + slug + " not found on template."})
		return
	}
	var in struct {
		Value *string `json:"value"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Value == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorCode": "API_InvalidRequest", "message": "The request is invalid."})
		return
	}
	sec.Fields[slug] = *in.Value
	s.counts["put"]++
	writeJSON(w, http.StatusOK, *in.Value)
}

func (s *Server) deactivate(w http.ResponseWriter, r *http.Request) {
	sec := s.find(r)
	if sec == nil || r.PathValue("id") == "0" {
		accessDenied(w)
		return
	}
	sec.Active = false
	writeJSON(w, http.StatusOK, map[string]any{"id": sec.ID, "objectType": "Secret", "responseCodes": []string{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
