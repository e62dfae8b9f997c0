// Package beyondtrust is the beyondtrust-password-safe credential store: it
// reads Secrets Safe secrets and managed account passwords from BeyondTrust
// Password Safe through its public REST API (v3), signed in with an API key
// registered in BeyondInsight and a run-as user. Password Safe decides who
// may see what and when passwords change, so Junction only reads.
package beyondtrust

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"junction"
	"junction/credstore/storehttp"
)

// TypeName is the name the store type is registered and configured under.
const TypeName = "beyondtrust-password-safe"

const (
	keyURL           = "url"
	keyAPIKey        = "api_key"
	keyRunAs         = "runas"
	keyRunAsPassword = "runas_password"
	keyFolder        = "folder"
	keyReason        = "reason"
	keyDuration      = "duration_minutes"
	keyCACert        = "ca_cert"
)

var configKeys = []junction.ConfigKey{
	{Name: keyURL, Required: true, Help: "Base URL of Password Safe, https://pws.example.com (the API is under /BeyondTrust/api/public/v3)."},
	{Name: keyAPIKey, Required: true, Secret: true, Help: "API key of the API registration Junction signs in with."},
	{Name: keyRunAs, Required: true, Help: "BeyondInsight user Junction acts as (runas)."},
	{Name: keyRunAsPassword, Secret: true, Help: "That user's password, when the API registration requires it."},
	{Name: keyFolder, Help: "Secrets Safe folder path where a secret title alone is looked up, such as Integrations/ERP."},
	{Name: keyReason, Help: "Reason given on each managed-account request; default \"Junction credential asset\"."},
	{Name: keyDuration, Help: "Duration of each managed-account request in minutes, 1 to 10080; default 5. Junction holds the request, and keeps the password, for that long at most (an hour at most), and checks it in when it drops the password."},
	{Name: keyCACert, Help: "PEM of the CA that issued Password Safe's certificate; system roots when empty."},
}

// Type is the beyondtrust-password-safe credential store type, for
// registration in main.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   false,
	ConfigKeys: configKeys,
	CheckName:  CheckName,
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

// ManagedPrefix marks an external name that is a managed account,
// "managed:<system>/<account>", rather than a Secrets Safe secret.
const ManagedPrefix = "managed:"

var secretGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

const maxNameLen = 1024

// CheckName accepts a Secrets Safe secret ID (a GUID), a secret's folder
// path and title ("Integrations/ERP/db-login") or title alone, or a managed
// account, "managed:<system>/<account>".
func CheckName(name string) error {
	if name == "" {
		return junction.Invalid("external_name", "must be a secret ID, a folder path and title, or managed:<system>/<account>")
	}
	if err := storehttp.CheckNameText(name, maxNameLen); err != nil {
		return err
	}
	if rest, ok := strings.CutPrefix(name, ManagedPrefix); ok {
		system, account, found := strings.Cut(rest, "/")
		if !found || system == "" || account == "" || strings.Contains(account, "/") {
			return junction.Invalid("external_name", "must be managed:<system>/<account>, such as managed:db-prod-01/svc_app")
		}
		return nil
	}
	if strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return junction.Invalid("external_name", "must be a folder path and title such as Integrations/ERP/db-login, with no empty folder name")
	}
	return nil
}

// Store is one configured Password Safe. It is safe for concurrent use:
// reads share one signed-in session (a cookie), and one sign-in at a time
// replaces it.
//
// A Secrets Safe secret gives its Username and Password (a secret asset
// takes the password, or a text secret's text). A managed account is read
// by requesting it with the store's reason and duration and retrieving the
// password; a credential asset gets the account name as its username. The
// request stays checked out while the password is in use, since Password
// Safe may change the password when it is checked in: the read says the
// value is valid for the request's duration and carries the request as its
// lease, which the secret cache hands back (ReleaseLease) when it drops the
// value. Reading an account again checks its earlier request in first, or
// Password Safe would answer with that request, whose time is nearly up;
// while the account then reports its password changing, the read is
// refused as unavailable rather than handed the password being replaced.
// Close checks in every request still held.
type Store struct {
	name     string
	api      string // .../BeyondTrust/api/public/v3
	http     *http.Client
	log      *slog.Logger
	auth     string // the PS-Auth header value, which holds the API key
	runAs    string
	folder   string
	reason   string
	duration int

	loginMu  sync.Mutex
	mu       sync.Mutex
	signedIn bool

	// held are the requests checked out for values still in use, by
	// request ID; heldByAccount finds an account's. Guarded by mu.
	held          map[int]heldRequest
	heldByAccount map[string]int
	leaseSeq      uint64
}

// heldRequest is a managed-account request Junction keeps checked out.
type heldRequest struct {
	account string // system/account
	lease   string // the lease handed out with its password
}

var (
	_ junction.CredentialStore = (*Store)(nil)
	_ junction.Closer          = (*Store)(nil)
	_ junction.LeaseReleaser   = (*Store)(nil)
)

// apiPath is where Password Safe serves its public API.
const apiPath = "/BeyondTrust/api/public/v3"

// Open validates config and returns a Store. It does not contact Password
// Safe.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	if err := storehttp.CheckKeys(TypeName, configKeys, config); err != nil {
		return nil, err
	}
	get := func(k string) string { return strings.TrimSpace(config[k]) }

	base, err := storehttp.ParseAddress(keyURL, config[keyURL], opts)
	if err != nil {
		return nil, err
	}
	base.RawQuery, base.Fragment = "", ""
	root := strings.TrimSuffix(strings.TrimRight(base.String(), "/"), apiPath)
	apiKey, runAs, runAsPW := get(keyAPIKey), get(keyRunAs), config[keyRunAsPassword]
	switch {
	case apiKey == "":
		return nil, junction.Invalid(keyAPIKey, "is required")
	case strings.ContainsAny(apiKey, ";\r\n"):
		return nil, junction.Invalid(keyAPIKey, "is not a Password Safe API key")
	case runAs == "":
		return nil, junction.Invalid(keyRunAs, "is required: the BeyondInsight user Junction acts as")
	case strings.ContainsAny(runAs, ";\r\n"):
		return nil, junction.Invalid(keyRunAs, "must be a user name")
	case strings.ContainsAny(runAsPW, "[]\r\n"):
		return nil, junction.Invalid(keyRunAsPassword, "cannot contain square brackets or line breaks, which the PS-Auth header cannot carry")
	}
	auth := "PS-Auth key=" + apiKey + "; runas=" + runAs + ";"
	if runAsPW != "" {
		auth += " pwd=[" + runAsPW + "];"
	}
	duration := 5
	if v := get(keyDuration); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10080 {
			return nil, junction.Invalid(keyDuration, "must be a number of minutes from 1 to 10080")
		}
		duration = n
	}
	reason := get(keyReason)
	if reason == "" {
		reason = "Junction credential asset"
	}
	folder := strings.Trim(get(keyFolder), "/")

	hc, err := storehttp.NewClient(opts, storehttp.TLS{CACertPEM: config[keyCACert], CAKey: keyCACert})
	if err != nil {
		return nil, err
	}
	// Password Safe keeps the signed-in session in a cookie.
	hc.Jar, _ = cookiejar.New(nil)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		name: opts.Name, api: root + apiPath, http: hc, auth: auth, runAs: runAs,
		folder: folder, reason: reason, duration: duration,
		log:  log.With("credential_store", opts.Name, "store_type", TypeName),
		held: map[int]heldRequest{}, heldByAccount: map[string]int{},
	}, nil
}

// Check signs in, which proves the address, TLS, the API key (and the
// address it is allowed from) and the run-as user without reading a secret.
func (s *Store) Check(ctx context.Context) error {
	s.setSignedIn(false)
	return s.signIn(ctx)
}

func (s *Store) isSignedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signedIn
}

func (s *Store) setSignedIn(v bool) {
	s.mu.Lock()
	s.signedIn = v
	s.mu.Unlock()
}

func (s *Store) signIn(ctx context.Context) error {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	if s.isSignedIn() {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api+"/Auth/SignAppin", nil)
	if err != nil {
		return junction.Internal(err)
	}
	req.Header.Set("Authorization", s.auth)
	resp, err := s.http.Do(req)
	if err != nil {
		return storehttp.Unavailable(s.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK:
		s.setSignedIn(true)
		s.log.Debug("signed in to Password Safe")
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: fmt.Errorf("SignAppin answered HTTP %d", resp.StatusCode),
			Message: fmt.Sprintf("credential store %q refused to sign in with its API key as %q (HTTP %d%s); check the key, the run-as user (and its password when the registration requires one), and the addresses the API registration accepts",
				s.name, s.runAs, resp.StatusCode, said(body))}
	case resp.StatusCode == http.StatusNotFound:
		return &junction.Error{Code: junction.EINVALID, Field: keyURL,
			Message: fmt.Sprintf("credential store %q found no Password Safe API at %s", s.name, s.api)}
	}
	return s.statusError(resp.StatusCode, body)
}

// said is Password Safe's error text, which names the request (an account,
// a reason), never a password.
func said(body []byte) string {
	var msg string
	if json.Unmarshal(body, &msg) != nil {
		msg = strings.TrimSpace(string(body))
	}
	if msg == "" || strings.HasPrefix(msg, "<") {
		return ""
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return ": " + msg
}

func (s *Store) statusError(status int, body []byte) error {
	cause := fmt.Errorf("password safe answered HTTP %d", status)
	if status >= 500 || status == http.StatusTooManyRequests {
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
			Message: fmt.Sprintf("credential store %q is unavailable: Password Safe answered HTTP %d", s.name, status)}
	}
	return &junction.Error{Code: junction.EINVALID, Err: cause,
		Message: fmt.Sprintf("credential store %q rejected the request with HTTP %d%s", s.name, status, said(body))}
}

// call sends one API request in the signed-in session, signing in again
// once when the session has ended. It returns the status and body of any
// answer that is not a refused session; notFound says what a 404 means.
func (s *Store) call(ctx context.Context, method, path string, in any, notFound func() error) ([]byte, error) {
	var payload []byte
	if in != nil {
		payload, _ = json.Marshal(in)
	}
	for attempt := 0; ; attempt++ {
		if err := s.signIn(ctx); err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, s.api+path, bytes.NewReader(payload))
		if err != nil {
			return nil, junction.Internal(err)
		}
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, storehttp.Unavailable(s.name, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return nil, storehttp.Unavailable(s.name, err)
		}
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return body, nil
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			s.log.Debug("Password Safe session ended; signing in again")
			s.setSignedIn(false)
			continue
		case resp.StatusCode == http.StatusUnauthorized:
			return nil, &junction.Error{Code: junction.ECREDSTOREAUTH,
				Message: fmt.Sprintf("credential store %q ended the session it had just opened for %q", s.name, s.runAs)}
		case resp.StatusCode == http.StatusNotFound && notFound != nil:
			return nil, notFound()
		case resp.StatusCode == http.StatusForbidden:
			return nil, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: fmt.Errorf("password safe answered HTTP 403"),
				Message: fmt.Sprintf("credential store %q: user %q may not do this%s; check its Secrets Safe folder permissions or its managed-account smart rules and requestor role", s.name, s.runAs, said(body))}
		}
		return nil, s.statusError(resp.StatusCode, body)
	}
}

// Read fetches a Secrets Safe secret, or a managed account's password.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if kind != junction.KindSecret && kind != junction.KindCredential {
		return junction.StoredSecret{}, junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	if err := CheckName(name); err != nil {
		return junction.StoredSecret{}, err
	}
	if rest, ok := strings.CutPrefix(name, ManagedPrefix); ok {
		system, account, _ := strings.Cut(rest, "/")
		return s.managed(ctx, kind, name, system, account)
	}
	sec, err := s.secret(ctx, name)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	value := sec.Password
	if sec.SecretType == "Text" && value == "" {
		value = sec.Text
	}
	switch {
	case sec.SecretType == "File":
		return junction.StoredSecret{}, junction.Invalid("external_name", "secret %q in credential store %q is a file; Junction reads credential and text secrets", name, s.name)
	case kind == junction.KindCredential && sec.Username == "":
		return junction.StoredSecret{}, junction.Invalid("external_name", "secret %q in credential store %q has no username", name, s.name)
	case kind == junction.KindCredential:
		return junction.StoredSecret{Username: sec.Username, Value: junction.NewSecret(value)}, nil
	}
	return junction.StoredSecret{Value: junction.NewSecret(value)}, nil
}

// secretModel is the part of a Secrets Safe secret Junction uses.
type secretModel struct {
	ID         string `json:"Id"`
	Title      string `json:"Title"`
	FolderPath string `json:"FolderPath"`
	Username   string `json:"Username"`
	Password   string `json:"Password"`
	Text       string `json:"Text"`
	SecretType string `json:"SecretType"`
}

func (s *Store) secret(ctx context.Context, name string) (*secretModel, error) {
	missing := func() error {
		return &junction.Error{Code: junction.ECREDNOTFOUND,
			Message: fmt.Sprintf("credential store %q has no Secrets Safe secret %q that user %q may see", s.name, name, s.runAs)}
	}
	if secretGUID.MatchString(name) {
		body, err := s.call(ctx, http.MethodGet, "/Secrets-Safe/Secrets/"+name, nil, missing)
		if err != nil {
			return nil, err
		}
		defer clear(body)
		var m secretModel
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, s.notPasswordSafe()
		}
		return &m, nil
	}
	folder, title := s.folder, name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		folder, title = name[:i], name[i+1:]
	}
	q := url.Values{"title": {title}}
	if folder != "" {
		q.Set("path", folder)
	}
	body, err := s.call(ctx, http.MethodGet, "/Secrets-Safe/Secrets?"+q.Encode(), nil, missing)
	if err != nil {
		return nil, err
	}
	defer clear(body)
	var list []secretModel
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, s.notPasswordSafe()
	}
	var found []secretModel
	for _, m := range list {
		// The API matches titles loosely; Junction wants the one named.
		if m.Title == title && (folder == "" || strings.EqualFold(strings.Trim(m.FolderPath, "/"), folder)) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return nil, missing()
	case 1:
		return &found[0], nil
	}
	return nil, junction.Invalid("external_name", "several Secrets Safe secrets are titled %q in credential store %q; give the folder path or the secret's ID", name, s.name)
}

func (s *Store) notPasswordSafe() error {
	return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
		Message: fmt.Sprintf("credential store %q answered with something that is not a Password Safe response", s.name)}
}

// managed reads a managed account's password through a request, which it
// keeps checked out for the value's lease (see Store).
func (s *Store) managed(ctx context.Context, kind junction.SecretKind, name, system, account string) (junction.StoredSecret, error) {
	missing := func() error {
		return &junction.Error{Code: junction.ECREDNOTFOUND,
			Message: fmt.Sprintf("credential store %q has no managed account %q on system %q that user %q may request", s.name, account, system, s.runAs)}
	}
	// An earlier request is checked in first: Password Safe would answer
	// a new one with it, and a password change it triggers must show in
	// the account's IsChanging below.
	accountKey := system + "/" + account
	s.mu.Lock()
	earlier, held := s.heldByAccount[accountKey]
	if held {
		s.forgetLocked(earlier)
	}
	s.mu.Unlock()
	if held {
		s.checkIn(earlier)
	}
	body, err := s.call(ctx, http.MethodGet, "/ManagedAccounts?"+url.Values{"systemName": {system}, "accountName": {account}}.Encode(), nil, missing)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	var acct struct {
		SystemID    int    `json:"SystemId"`
		AccountID   int    `json:"AccountId"`
		AccountName string `json:"AccountName"`
		IsChanging  bool   `json:"IsChanging"`
	}
	if err := json.Unmarshal(body, &acct); err != nil || acct.AccountID == 0 {
		return junction.StoredSecret{}, s.notPasswordSafe()
	}
	if acct.IsChanging {
		// The password handed out now would be the one being replaced.
		return junction.StoredSecret{}, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q is changing the password of managed account %q on system %q; try again when the change is done", s.name, account, system)}
	}
	body, err = s.call(ctx, http.MethodPost, "/Requests", map[string]any{
		"SystemID": acct.SystemID, "AccountID": acct.AccountID, "DurationMinutes": s.duration,
		"Reason": s.reason, "ConflictOption": "reuse",
	}, missing)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	requestID, err := strconv.Atoi(strings.TrimSpace(string(body)))
	if err != nil {
		return junction.StoredSecret{}, s.notPasswordSafe()
	}
	body, err = s.call(ctx, http.MethodGet, "/Credentials/"+strconv.Itoa(requestID)+"?type=password", nil, missing)
	if err != nil {
		s.checkIn(requestID)
		return junction.StoredSecret{}, err
	}
	defer clear(body)
	var password string
	if err := json.Unmarshal(body, &password); err != nil {
		s.checkIn(requestID)
		return junction.StoredSecret{}, s.notPasswordSafe()
	}
	s.mu.Lock()
	s.leaseSeq++
	lease := strconv.Itoa(requestID) + "." + strconv.FormatUint(s.leaseSeq, 10)
	s.held[requestID] = heldRequest{account: accountKey, lease: lease}
	s.heldByAccount[accountKey] = requestID
	s.mu.Unlock()
	v := junction.StoredSecret{Value: junction.NewSecret(password), ValidFor: time.Duration(s.duration) * time.Minute, Lease: lease}
	if kind == junction.KindCredential {
		v.Username = acct.AccountName
		if v.Username == "" {
			v.Username = account
		}
	}
	return v, nil
}

// checkInTimeout bounds a check-in, which runs even when the read's own
// context has ended.
const checkInTimeout = 10 * time.Second

// ReleaseLease checks in the request a read returned as its lease, if this
// store still holds it for that read.
func (s *Store) ReleaseLease(ctx context.Context, lease string) error {
	id, _, ok := strings.Cut(lease, ".")
	requestID, err := strconv.Atoi(id)
	if !ok || err != nil {
		return nil
	}
	s.mu.Lock()
	h, held := s.held[requestID]
	if !held || h.lease != lease {
		s.mu.Unlock()
		return nil
	}
	s.forgetLocked(requestID)
	s.mu.Unlock()
	s.checkIn(requestID)
	return nil
}

// forgetLocked stops holding a request. Callers hold s.mu.
func (s *Store) forgetLocked(requestID int) {
	if h, ok := s.held[requestID]; ok {
		delete(s.held, requestID)
		if s.heldByAccount[h.account] == requestID {
			delete(s.heldByAccount, h.account)
		}
	}
}

// checkIn releases a request. A failed check-in is logged, not returned:
// the password was read, and Password Safe releases the request when its
// duration runs out.
func (s *Store) checkIn(requestID int) {
	ctx, cancel := context.WithTimeout(context.Background(), checkInTimeout)
	defer cancel()
	_, err := s.call(ctx, http.MethodPut, "/Requests/"+strconv.Itoa(requestID)+"/checkin", map[string]string{"Reason": s.reason}, nil)
	if err != nil {
		s.log.Warn("managed-account request not checked in; Password Safe releases it when its duration ends",
			"request_id", requestID, "duration_minutes", s.duration, "error", junction.ErrorMessage(err))
	}
}

// Close checks in the requests still held and signs the session out.
func (s *Store) Close() error {
	s.mu.Lock()
	held := make([]int, 0, len(s.held))
	for id := range s.held {
		held = append(held, id)
	}
	clear(s.held)
	clear(s.heldByAccount)
	s.mu.Unlock()
	for _, id := range held {
		s.checkIn(id)
	}
	if !s.isSignedIn() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkInTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api+"/Auth/Signout", nil)
	if err != nil {
		return nil
	}
	s.setSignedIn(false)
	if resp, err := s.http.Do(req); err == nil {
		resp.Body.Close()
	}
	return nil
}
