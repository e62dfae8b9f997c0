// Package beyondtrusttest runs an in-process BeyondTrust Password Safe over
// real TLS: the public API v3 sign-in with the PS-Auth header and a session
// cookie, managed accounts with requests, credentials and check-in, and
// Secrets Safe secrets by ID and by folder path and title, with counters
// that tell whether every request was checked in. As Password Safe does, a
// request for an account that already has an open one answers with that
// one when ConflictOption is "reuse", and an account whose policy rotates
// on check-in gets a new password when a request asking for it
// (RotateOnCheckin, true unless said) is checked in.
package beyondtrusttest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"junction/credstore/credstoretest"
)

const base = "/BeyondTrust/api/public/v3"

const sessionCookie = "ASP.NET_SessionId"

// Server is a Password Safe test server. All methods are safe for
// concurrent use.
type Server struct {
	tls *credstoretest.TLSServer

	mu       sync.Mutex
	apiKey   string
	users    map[string]string // run-as user -> password ("" when none is required)
	sessions map[string]bool
	accounts map[string]*account // system/account
	secrets  map[string]*Secret  // by ID
	requests map[int]*request
	nextReq  int
	failing  bool
	counts   map[string]int
}

type account struct {
	systemID, accountID int
	system, name        string
	password            string
	rotateOnCheckin     bool
	rotations           int
	// changeLags makes a change at check-in wait for FinishChange, with
	// IsChanging set meanwhile, as Password Safe's change job does.
	changeLags bool
	changing   bool
	pending    string
}

type request struct {
	account  *account
	reason   string
	duration int
	open     bool
	rotate   bool
}

// Secret is a Secrets Safe secret.
type Secret struct {
	ID, Title, Folder, Username, Password string
}

// New starts a server that accepts apiKey for runAs and stops it when tb
// ends.
func New(tb testing.TB, apiKey, runAs string) *Server {
	tb.Helper()
	s := &Server{
		apiKey: apiKey, users: map[string]string{runAs: ""}, sessions: map[string]bool{},
		accounts: map[string]*account{}, secrets: map[string]*Secret{}, requests: map[int]*request{},
		nextReq: 1000, counts: map[string]int{},
	}
	s.tls = credstoretest.NewTLSServer(tb, http.HandlerFunc(s.serve), credstoretest.TLSServerConfig{})
	return s
}

// URL is the store's "url" setting.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the store's "ca_cert" setting.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// SetAPIKey replaces the API registration's key: the old one is refused.
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// RequirePassword makes the registration require runAs's password.
func (s *Server) RequirePassword(runAs, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[runAs] = password
}

// EndSessions ends every signed-in session, as the session timeout does.
func (s *Server) EndSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// PutAccount adds or updates a managed account's password.
func (s *Server) PutAccount(system, name, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := system + "/" + name
	if a := s.accounts[k]; a != nil {
		a.password = password
		return
	}
	n := len(s.accounts) + 1
	s.accounts[k] = &account{systemID: 10 + n, accountID: 100 + n, system: system, name: name, password: password}
}

// SetRotateOnCheckin sets whether the account's policy changes its password
// when a request for it is checked in.
func (s *Server) SetRotateOnCheckin(system, name string, rotate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[system+"/"+name]; a != nil {
		a.rotateOnCheckin = rotate
	}
}

// SetChangeLags makes the account's password changes at check-in wait for
// FinishChange: until then the account reports IsChanging and requests
// are handed the old password.
func (s *Server) SetChangeLags(system, name string, lags bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[system+"/"+name]; a != nil {
		a.changeLags = lags
	}
}

// FinishChange completes the account's pending password change.
func (s *Server) FinishChange(system, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[system+"/"+name]; a != nil && a.changing {
		a.password, a.pending, a.changing = a.pending, "", false
	}
}

// Password returns the account's current password.
func (s *Server) Password(system, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[system+"/"+name]; a != nil {
		return a.password
	}
	return ""
}

// PutSecret adds or replaces a credential secret with sec's ID, or with
// sec's folder and title when it has no ID, and returns its ID.
func (s *Server) PutSecret(sec Secret) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec.ID == "" {
		for id, old := range s.secrets {
			if old.Folder == sec.Folder && old.Title == sec.Title {
				sec.ID = id
			}
		}
	}
	if sec.ID == "" {
		sec.ID = newGUID()
	}
	s.secrets[sec.ID] = &sec
	return sec.ID
}

// RemoveSecrets deletes every secret titled title.
func (s *Server) RemoveSecrets(title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, sec := range s.secrets {
		if sec.Title == title {
			delete(s.secrets, id)
		}
	}
}

// SetFailing makes every call answer 503 while true.
func (s *Server) SetFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// Stop closes the listener and all connections until Start.
func (s *Server) Stop() { s.tls.Stop() }

// Start serves again on the same address after Stop.
func (s *Server) Start() error { return s.tls.Start() }

// Count returns how many calls of kind ("signin", "signout", "request",
// "reused" (a request answered with an open one), "credentials", "checkin",
// "secret") were answered.
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[kind]
}

// OpenRequests is how many requests are not checked in.
func (s *Server) OpenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.open {
			n++
		}
	}
	return n
}

// LastRequest returns the reason and duration of the latest request.
func (s *Server) LastRequest() (reason string, minutes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.requests[s.nextReq]; r != nil {
		return r.reason, r.duration
	}
	return "", 0
}

var (
	psAuth        = regexp.MustCompile(`^PS-Auth key=([^;]+); runas=([^;]+);(?: pwd=\[([^\]]*)\];)?$`)
	credentialsRE = regexp.MustCompile(`^/Credentials/(\d+)$`)
	checkinRE     = regexp.MustCompile(`^/Requests/(\d+)/checkin$`)
	secretRE      = regexp.MustCompile(`^/Secrets-Safe/Secrets/([0-9a-fA-F-]{36})$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		writeJSON(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, base)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if p == "/Auth/SignAppin" && r.Method == http.MethodPost {
		s.signIn(w, r)
		return
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || !s.sessions[c.Value] {
		writeJSON(w, http.StatusUnauthorized, "User not authenticated")
		return
	}
	switch m := credentialsRE.FindStringSubmatch(p); {
	case p == "/Auth/Signout" && r.Method == http.MethodPost:
		delete(s.sessions, c.Value)
		s.counts["signout"]++
		w.WriteHeader(http.StatusOK)
	case p == "/ManagedAccounts" && r.Method == http.MethodGet:
		q := r.URL.Query()
		a := s.accounts[q.Get("systemName")+"/"+q.Get("accountName")]
		if a == nil {
			writeJSON(w, http.StatusNotFound, "Managed Account not found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"PlatformID": 4, "SystemId": a.systemID, "SystemName": a.system, "DomainName": nil,
			"AccountId": a.accountID, "AccountName": a.name, "InstanceName": "", "DefaultReleaseDuration": 120,
			"MaximumReleaseDuration": 525600, "LastChangeDate": "2026-02-01T10:00:00", "IsChanging": a.changing,
		})
	case p == "/Requests" && r.Method == http.MethodPost:
		s.createRequest(w, r)
	case m != nil && r.Method == http.MethodGet:
		id, _ := strconv.Atoi(m[1])
		req := s.requests[id]
		if req == nil || !req.open || r.URL.Query().Get("type") != "password" {
			writeJSON(w, http.StatusNotFound, "Request not found")
			return
		}
		s.counts["credentials"]++
		writeJSON(w, http.StatusOK, req.account.password)
	case checkinRE.MatchString(p) && r.Method == http.MethodPut:
		id, _ := strconv.Atoi(checkinRE.FindStringSubmatch(p)[1])
		req := s.requests[id]
		if req == nil || !req.open {
			writeJSON(w, http.StatusNotFound, "Request not found or already released")
			return
		}
		req.open = false
		if a := req.account; req.rotate && a.rotateOnCheckin {
			a.rotations++
			next := fmt.Sprintf("%s-rotated-%d", a.password, a.rotations)
			if a.changeLags {
				a.changing, a.pending = true, next
			} else {
				a.password = next
			}
		}
		s.counts["checkin"]++
		w.WriteHeader(http.StatusNoContent)
	case p == "/Secrets-Safe/Secrets" && r.Method == http.MethodGet:
		q := r.URL.Query()
		title, path := q.Get("title"), strings.Trim(q.Get("path"), "/")
		list := []map[string]any{}
		for _, sec := range s.secrets {
			if strings.Contains(sec.Title, title) && (path == "" || sec.Folder == path) {
				list = append(list, secretJSON(sec))
			}
		}
		s.counts["secret"]++
		writeJSON(w, http.StatusOK, list)
	case secretRE.MatchString(p) && r.Method == http.MethodGet:
		sec := s.secrets[strings.ToLower(secretRE.FindStringSubmatch(p)[1])]
		if sec == nil {
			writeJSON(w, http.StatusNotFound, "Secret not found")
			return
		}
		s.counts["secret"]++
		writeJSON(w, http.StatusOK, secretJSON(sec))
	default:
		writeJSON(w, http.StatusNotFound, "Not found")
	}
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	m := psAuth.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[1] != s.apiKey {
		writeJSON(w, http.StatusUnauthorized, "API key or run-as user not valid")
		return
	}
	pw, ok := s.users[m[2]]
	if !ok || pw != m[3] {
		writeJSON(w, http.StatusUnauthorized, "API key or run-as user not valid")
		return
	}
	id := newGUID()
	s.sessions[id] = true
	s.counts["signin"]++
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: true})
	writeJSON(w, http.StatusOK, map[string]any{"UserId": 7, "EmailAddress": m[2] + "@example.com", "UserName": m[2], "Name": m[2]})
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SystemID        int    `json:"SystemID"`
		AccountID       int    `json:"AccountID"`
		DurationMinutes int    `json:"DurationMinutes"`
		Reason          string `json:"Reason"`
		ConflictOption  string `json:"ConflictOption"`
		RotateOnCheckin *bool  `json:"RotateOnCheckin"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.DurationMinutes < 1 {
		writeJSON(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	for _, a := range s.accounts {
		if a.systemID == in.SystemID && a.accountID == in.AccountID {
			for id, req := range s.requests {
				if req.open && req.account == a {
					if in.ConflictOption != "reuse" {
						writeJSON(w, http.StatusConflict, "An open request already exists for this account")
						return
					}
					s.counts["reused"]++
					writeJSON(w, http.StatusOK, id)
					return
				}
			}
			s.nextReq++
			s.requests[s.nextReq] = &request{account: a, reason: in.Reason, duration: in.DurationMinutes, open: true,
				rotate: in.RotateOnCheckin == nil || *in.RotateOnCheckin}
			s.counts["request"]++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, s.nextReq)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, "Managed Account not found")
}

func secretJSON(sec *Secret) map[string]any {
	return map[string]any{
		"Id": sec.ID, "Title": sec.Title, "Description": "", "FolderPath": sec.Folder, "FolderId": newGUID(),
		"Username": sec.Username, "Password": sec.Password, "SecretType": "Credential", "OwnerType": "User",
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
