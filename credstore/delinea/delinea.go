// Package delinea is the delinea-secret-server credential store: it reads
// and updates secrets in Delinea Secret Server (on premises or Secret Server
// Cloud) through its REST API, logged in with the OAuth2 password grant of
// an application account or with Delinea Platform client credentials.
package delinea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"junction"
	"junction/credstore/storehttp"
)

// TypeName is the name the store type is registered and configured under.
const TypeName = "delinea-secret-server"

const (
	keyURL          = "url"
	keyUsername     = "username"
	keyPassword     = "password"
	keyDomain       = "domain"
	keyPlatformURL  = "platform_url"
	keyClientID     = "client_id"
	keyClientSecret = "client_secret"
	keyUsernameSlug = "username_slug"
	keyPasswordSlug = "password_slug"
	keyFolderID     = "folder_id"
	keyTemplateID   = "template_id"
	keyCACert       = "ca_cert"
)

var configKeys = []junction.ConfigKey{
	{Name: keyURL, Required: true, Help: "Base URL of Secret Server: https://<tenant>.secretservercloud.com, or https://ss.example.com/SecretServer on premises."},
	{Name: keyUsername, Help: "Application account Junction logs in as with the OAuth2 password grant."},
	{Name: keyPassword, Secret: true, Help: "Password of that account."},
	{Name: keyDomain, Help: "Active Directory domain of that account, when it is a domain account."},
	{Name: keyPlatformURL, Help: "Delinea Platform tenant URL, https://<tenant>.delinea.app, to log in with platform client credentials instead."},
	{Name: keyClientID, Help: "Client ID of the platform service user (with platform_url)."},
	{Name: keyClientSecret, Secret: true, Help: "Client secret of that service user."},
	{Name: keyUsernameSlug, Help: "Slug of the secret field holding the user name; default username."},
	{Name: keyPasswordSlug, Help: "Slug of the secret field holding the password (or the value of a secret asset); default password."},
	{Name: keyFolderID, Help: "Folder ID where names that are neither an ID nor a path are looked up, and where Junction creates secrets."},
	{Name: keyTemplateID, Help: "Secret template ID Junction creates secrets from (with folder_id); without it Junction only updates existing secrets."},
	{Name: keyCACert, Help: "PEM of the CA that issued the servers' certificates; system roots when empty."},
}

// Type is the delinea-secret-server credential store type, for
// registration in main.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   true,
	ConfigKeys: configKeys,
	Choices: []junction.ConfigChoice{{Name: "authentication", Options: []junction.ConfigOption{
		{Keys: []string{keyUsername, keyPassword, keyDomain}, Help: "OAuth2 password grant of a Secret Server account (domain only for AD accounts)"},
		{Keys: []string{keyPlatformURL, keyClientID, keyClientSecret}, Help: "Delinea Platform client credentials of a service user"},
	}}},
	CheckName: CheckName,
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)
	idPattern   = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
)

// maxNameLen is Secret Server's limit on a secret name; paths get more
// room for their folders.
const maxNameLen, maxPathLen = 256, 2048

// CheckName accepts a secret ID ("1234"), a path of folders and the secret
// name ("\Integrations\ERP\svc-erp"), or a secret name alone, looked up in
// the store's folder.
func CheckName(name string) error {
	switch {
	case name == "":
		return junction.Invalid("external_name", `must be a secret ID, a path such as \Folder\Secret, or a secret name`)
	case idPattern.MatchString(name):
		return nil
	case strings.HasPrefix(name, `\`):
		if strings.HasSuffix(name, `\`) || strings.Contains(name, `\\`) {
			return junction.Invalid("external_name", `must be a path such as \Folder\Secret, with no empty folder name`)
		}
		return storehttp.CheckNameText(name, maxPathLen)
	case strings.Contains(name, `\`):
		return junction.Invalid("external_name", `must begin with \ when it is a path, such as \Folder\Secret`)
	case strings.Trim(name, "0123456789") == "":
		return junction.Invalid("external_name", "must be a secret ID from 1 upwards")
	}
	return storehttp.CheckNameText(name, maxNameLen)
}

// tokenMargin is how long before the token's stated expiry Junction logs in
// again, so a request never carries a token that runs out on the way.
const tokenMargin = time.Minute

// Store is one configured Secret Server. It is safe for concurrent use: reads
// share one access token, and one login at a time replaces it.
//
// A secret asset is the secret's password field; a credential asset is its
// username and password fields (the slugs are configurable). Writing updates
// those fields of an existing secret, or creates a secret from template_id
// in folder_id when a name alone is not found there. Deleting deactivates
// the secret, which is what Secret Server's DELETE does. A read also asks
// for the secret's summary, whose expiry bounds how long the value is kept
// (StoredSecret.ValidFor).
type Store struct {
	name         string
	api          string // .../api/v1
	http         *http.Client
	clock        junction.Clock
	log          *slog.Logger
	login        func(ctx context.Context) (*http.Request, error)
	who          string // for messages
	usernameSlug string
	passwordSlug string
	folderID     int
	templateID   int
	tokens       storehttp.TokenCache
}

var (
	_ junction.CredentialStore         = (*Store)(nil)
	_ junction.WritableCredentialStore = (*Store)(nil)
)

// Open validates config and returns a Store. It does not contact Delinea.
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
	root := strings.TrimRight(base.String(), "/")
	s := &Store{
		name: opts.Name, api: root + "/api/v1", tokens: storehttp.TokenCache{Clock: opts.Clock},
		usernameSlug: get(keyUsernameSlug), passwordSlug: get(keyPasswordSlug),
	}
	if s.usernameSlug == "" {
		s.usernameSlug = "username"
	}
	if s.passwordSlug == "" {
		s.passwordSlug = "password"
	}
	for k, v := range map[string]string{keyUsernameSlug: s.usernameSlug, keyPasswordSlug: s.passwordSlug} {
		if !slugPattern.MatchString(v) {
			return nil, junction.Invalid(k, "must be a field slug such as %q: lower-case letters, digits and dashes", k[:len(k)-len("_slug")])
		}
	}
	if s.usernameSlug == s.passwordSlug {
		return nil, junction.Invalid(keyPasswordSlug, "must differ from username_slug")
	}
	for k, dst := range map[string]*int{keyFolderID: &s.folderID, keyTemplateID: &s.templateID} {
		if v := get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, junction.Invalid(k, "must be a positive number")
			}
			*dst = n
		}
	}
	if s.templateID != 0 && s.folderID == 0 {
		return nil, junction.Invalid(keyFolderID, "is required with template_id: it is where Junction creates secrets")
	}

	hasPassword := get(keyUsername) != "" || config[keyPassword] != "" || get(keyDomain) != ""
	hasPlatform := get(keyPlatformURL) != "" || get(keyClientID) != "" || config[keyClientSecret] != ""
	switch {
	case hasPassword && hasPlatform:
		return nil, junction.Invalid(keyPlatformURL, "set either username and password or platform_url, client_id and client_secret, not both")
	case hasPassword:
		switch {
		case get(keyUsername) == "":
			return nil, junction.Invalid(keyUsername, "is required with password")
		case config[keyPassword] == "":
			return nil, junction.Invalid(keyPassword, "is required with username")
		}
		form := url.Values{"grant_type": {"password"}, "username": {get(keyUsername)}, "password": {config[keyPassword]}}
		if d := get(keyDomain); d != "" {
			form.Set("domain", d)
		}
		s.login = formPost(root+"/oauth2/token", form)
		s.who = fmt.Sprintf("account %q", get(keyUsername))
	case hasPlatform:
		pu, err := storehttp.ParseAddress(keyPlatformURL, config[keyPlatformURL], opts)
		if err != nil {
			return nil, err
		}
		switch {
		case get(keyClientID) == "":
			return nil, junction.Invalid(keyClientID, "is required with platform_url")
		case config[keyClientSecret] == "":
			return nil, junction.Invalid(keyClientSecret, "is required with platform_url")
		}
		pu.RawQuery, pu.Fragment = "", ""
		s.login = formPost(strings.TrimRight(pu.String(), "/")+"/identity/api/oauth2/token/xpmplatform", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {get(keyClientID)},
			"client_secret": {config[keyClientSecret]}, "scope": {"xpmheadless"},
		})
		s.who = fmt.Sprintf("platform client %q", get(keyClientID))
	default:
		return nil, junction.Invalid(keyUsername, "is required: set username and password, or platform_url, client_id and client_secret")
	}

	t := storehttp.TLS{CACertPEM: config[keyCACert], CAKey: keyCACert}
	if s.http, err = storehttp.NewClient(opts, t); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.log = log.With("credential_store", opts.Name, "store_type", TypeName)
	return s, nil
}

func formPost(u string, form url.Values) func(ctx context.Context) (*http.Request, error) {
	body := form.Encode()
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
		}
		return req, err
	}
}

// Check logs in, which proves the address, TLS and Junction's account
// without reading a secret.
func (s *Store) Check(ctx context.Context) error {
	s.tokens.Drop("")
	_, err := s.tokens.Token(ctx, s.authenticate)
	return err
}

// authenticate logs in; the token is used until tokenMargin before the
// expiry Secret Server states, counted from when the login was asked for.
func (s *Store) authenticate(ctx context.Context) (string, time.Time, error) {
	start := s.tokens.Now()
	req, err := s.login(ctx)
	if err != nil {
		return "", start, junction.Internal(err)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", start, storehttp.Unavailable(s.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", start, storehttp.Unavailable(s.name, err)
	}
	var grant struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	_ = json.Unmarshal(body, &grant)
	switch {
	case resp.StatusCode == http.StatusOK && grant.AccessToken != "":
	case resp.StatusCode == http.StatusOK:
		return "", start, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q answered the login with no access token; check that url is Secret Server", s.name)}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", start, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: fmt.Errorf("login answered HTTP %d", resp.StatusCode),
			Message: fmt.Sprintf("credential store %q is unavailable: the login answered HTTP %d", s.name, resp.StatusCode)}
	case resp.StatusCode == http.StatusNotFound:
		return "", start, &junction.Error{Code: junction.EINVALID, Field: keyURL,
			Message: fmt.Sprintf("credential store %q has no OAuth2 token endpoint where url (or platform_url) points", s.name)}
	default:
		reason := grant.Error
		if len(reason) > 200 {
			reason = reason[:200] + "..."
		}
		return "", start, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: fmt.Errorf("login answered HTTP %d %s", resp.StatusCode, reason),
			Message: fmt.Sprintf("credential store %q refused the login of %s (HTTP %d: %s); check the credentials, and that the account may use the API",
				s.name, s.who, resp.StatusCode, reason)}
	}
	life := time.Duration(grant.ExpiresIn) * time.Second
	if life <= tokenMargin {
		life = 2 * tokenMargin
	}
	s.log.Debug("logged in to Secret Server")
	return grant.AccessToken, start.Add(life - tokenMargin), nil
}

// apiError is Secret Server's error body. Its message describes the
// request, never a field's value.
type apiError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// call sends one API request with the access token, logging in again once
// when the token is refused. It returns the body of a 2xx answer, and an
// error naming secret (the external name, "" for none) otherwise.
func (s *Store) call(ctx context.Context, method, path string, in any, secret string) ([]byte, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, junction.Internal(err)
		}
		defer clear(payload)
	}
	for attempt := 0; ; attempt++ {
		token, err := s.tokens.Token(ctx, s.authenticate)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, s.api+path, bytes.NewReader(payload))
		if err != nil {
			return nil, junction.Internal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
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
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return body, nil
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			s.tokens.Drop(token)
			continue
		}
		return nil, s.statusError(resp.StatusCode, body, secret)
	}
}

func (s *Store) statusError(status int, body []byte, secret string) error {
	var ae apiError
	_ = json.Unmarshal(body, &ae)
	msg := ae.Message
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	cause := fmt.Errorf("secret server answered HTTP %d %s", status, ae.ErrorCode)
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
			Message: fmt.Sprintf("credential store %q is unavailable: Secret Server answered HTTP %d", s.name, status)}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
			Message: fmt.Sprintf("credential store %q refused %s (HTTP %d %s)", s.name, s.who, status, ae.ErrorCode)}
	case ae.ErrorCode == "API_AccessDenied" && secret != "":
		// Secret Server answers alike for a secret that does not exist, is
		// inactive, and one the account may not view.
		return &junction.Error{Code: junction.ECREDNOTFOUND, Err: cause,
			Message: fmt.Sprintf("credential store %q has no active secret %q, or %s may not view it", s.name, secret, s.who)}
	case strings.Contains(ae.ErrorCode, "CheckOut") || strings.Contains(ae.ErrorCode, "Comment") || strings.Contains(ae.ErrorCode, "Approval"):
		return &junction.Error{Code: junction.EINVALID, Field: "external_name", Err: cause,
			Message: fmt.Sprintf("credential store %q: secret %q needs %s (%s); Junction reads only secrets without check-out, comment or approval", s.name, secret, msg, ae.ErrorCode)}
	}
	return &junction.Error{Code: junction.EINVALID, Err: cause,
		Message: fmt.Sprintf("credential store %q rejected the request with HTTP %d %s: %s", s.name, status, ae.ErrorCode, msg)}
}

// secretModel is the part of Secret Server's secret model Junction uses.
type secretModel struct {
	ID     int         `json:"id"`
	Name   string      `json:"name"`
	Active bool        `json:"active"`
	Items  []fieldItem `json:"items"`
}

type fieldItem struct {
	Slug      string `json:"slug"`
	FieldName string `json:"fieldName"`
	ItemValue string `json:"itemValue"`
	IsFile    bool   `json:"isFile"`
}

func (m *secretModel) field(slug string) (string, bool) {
	for _, it := range m.Items {
		if it.Slug == slug && !it.IsFile {
			return it.ItemValue, true
		}
	}
	return "", false
}

func (m *secretModel) clear() {
	for i := range m.Items {
		m.Items[i].ItemValue = ""
	}
}

// get fetches the secret an external name refers to.
func (s *Store) get(ctx context.Context, name string) (*secretModel, error) {
	path, err := s.secretPath(ctx, name)
	if err != nil {
		return nil, err
	}
	body, err := s.call(ctx, http.MethodGet, path, nil, name)
	if err != nil {
		return nil, err
	}
	defer clear(body)
	var m secretModel
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q answered with something that is not a Secret Server secret", s.name)}
	}
	return &m, nil
}

// secretPath is the API path of the secret an external name refers to. A
// name alone is looked up in the store's folder first.
func (s *Store) secretPath(ctx context.Context, name string) (string, error) {
	switch {
	case idPattern.MatchString(name):
		return "/secrets/" + name, nil
	case strings.HasPrefix(name, `\`):
		return "/secrets/0?" + url.Values{"secretPath": {name}}.Encode(), nil
	}
	id, err := s.lookup(ctx, name)
	if err != nil {
		return "", err
	}
	if id == 0 {
		return "", s.noName(name)
	}
	return "/secrets/" + strconv.Itoa(id), nil
}

func (s *Store) noName(name string) error {
	where := "any folder it may see"
	if s.folderID != 0 {
		where = fmt.Sprintf("folder %d", s.folderID)
	}
	return &junction.Error{Code: junction.ECREDNOTFOUND,
		Message: fmt.Sprintf("credential store %q has no active secret named %q in %s", s.name, name, where)}
}

// lookup searches for the active secret named exactly name, in the store's
// folder when it has one; it returns 0 when there is none.
func (s *Store) lookup(ctx context.Context, name string) (int, error) {
	q := url.Values{"filter.searchText": {name}, "filter.isExactMatch": {"true"}, "take": {"2"}}
	if s.folderID != 0 {
		q.Set("filter.folderId", strconv.Itoa(s.folderID))
	}
	body, err := s.call(ctx, http.MethodGet, "/secrets?"+q.Encode(), nil, name)
	if err != nil {
		return 0, err
	}
	var page struct {
		Records []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"records"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q answered a search with something that is not a Secret Server page", s.name)}
	}
	var ids []int
	for _, r := range page.Records {
		if r.Name == name {
			ids = append(ids, r.ID)
		}
	}
	switch len(ids) {
	case 0:
		return 0, nil
	case 1:
		return ids[0], nil
	}
	return 0, junction.Invalid("external_name", "several secrets are named %q in credential store %q; use the secret's ID or its path, or set folder_id", name, s.name)
}

// secretID resolves an external name to the secret's ID; a path costs a
// read of the secret, since Secret Server looks paths up only there.
func (s *Store) secretID(ctx context.Context, name string) (string, error) {
	path, err := s.secretPath(ctx, name)
	if err != nil {
		return "", err
	}
	if id, _, _ := strings.Cut(strings.TrimPrefix(path, "/secrets/"), "?"); id != "0" {
		return id, nil
	}
	m, err := s.get(ctx, name)
	if err != nil {
		return "", err
	}
	m.clear()
	return strconv.Itoa(m.ID), nil
}

// Read fetches the secret's password field, and its username field for a
// credential.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if kind != junction.KindSecret && kind != junction.KindCredential {
		return junction.StoredSecret{}, junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	if err := CheckName(name); err != nil {
		return junction.StoredSecret{}, err
	}
	m, err := s.get(ctx, name)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	defer m.clear()
	validFor := s.validFor(ctx, m.ID)
	pass, ok := m.field(s.passwordSlug)
	if !ok {
		return junction.StoredSecret{}, junction.Invalid("external_name", "secret %q in credential store %q has no text field %q; set password_slug", name, s.name, s.passwordSlug)
	}
	v := junction.StoredSecret{Value: junction.NewSecret(pass), ValidFor: validFor}
	if kind == junction.KindCredential {
		user, ok := m.field(s.usernameSlug)
		if !ok || user == "" {
			return junction.StoredSecret{}, junction.Invalid("external_name", "secret %q in credential store %q has no %q field with a value; set username_slug", name, s.name, s.usernameSlug)
		}
		v.Username = user
	}
	return v, nil
}

// expiringValidFor is how long a value is kept once its secret expires
// within a day or so, or has expired: Secret Server counts expiry in whole
// days, so the hour is unknown, and the password is due to be changed
// (by Secret Server itself when it changes passwords, by a person
// otherwise) at any moment.
const expiringValidFor = 5 * time.Minute

// validFor is how long the value of secret id stays valid, from the
// secret's summary (GET /secrets/{id}/summary, whose daysUntilExpiration
// is whole days left, null when the secret does not expire); zero when it
// does not expire or the summary cannot be read. A summary that fails does
// not fail the read: the value is then kept for the cache's hour.
func (s *Store) validFor(ctx context.Context, id int) time.Duration {
	body, err := s.call(ctx, http.MethodGet, "/secrets/"+strconv.Itoa(id)+"/summary", nil, strconv.Itoa(id))
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "could not read the secret's expiry", slog.Int("secret_id", id),
			slog.String("error", junction.ErrorMessage(err)))
		return 0
	}
	var sum struct {
		DaysUntilExpiration *int `json:"daysUntilExpiration"`
	}
	if json.Unmarshal(body, &sum) != nil || sum.DaysUntilExpiration == nil {
		return 0
	}
	// How the days are rounded is not documented: one day left may be
	// less than a day.
	if d := *sum.DaysUntilExpiration; d > 1 {
		return time.Duration(d-1) * 24 * time.Hour
	}
	return expiringValidFor
}

// Write sets the password field (and the username field of a credential)
// of the secret name, creating it when it is a name alone, not found, and
// the store has a template to create it from.
func (s *Store) Write(ctx context.Context, kind junction.SecretKind, name string, v junction.StoredSecret) error {
	if err := CheckName(name); err != nil {
		return err
	}
	switch kind {
	case junction.KindSecret:
	case junction.KindCredential:
		if v.Username == "" {
			return junction.Invalid("username", "is required for a credential")
		}
	default:
		return junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	fields := map[string]string{s.passwordSlug: v.Value.Reveal()}
	if kind == junction.KindCredential {
		fields[s.usernameSlug] = v.Username
	}
	id, err := s.secretID(ctx, name)
	if junction.IsCode(err, junction.ECREDNOTFOUND) && s.templateID != 0 && !idPattern.MatchString(name) && !strings.HasPrefix(name, `\`) {
		return s.create(ctx, name, fields)
	}
	if err != nil {
		return err
	}
	for _, slug := range []string{s.usernameSlug, s.passwordSlug} {
		value, ok := fields[slug]
		if !ok {
			continue
		}
		// Secret Server answers with the field's new value.
		echo, err := s.call(ctx, http.MethodPut, "/secrets/"+id+"/fields/"+slug, map[string]string{"value": value}, name)
		clear(echo)
		if err != nil {
			return err
		}
	}
	s.log.Info("updated secret fields in Secret Server", "secret_id", id)
	return nil
}

// create makes a secret from the store's template in its folder, starting
// from Secret Server's stub so that every field the template requires is
// present.
func (s *Store) create(ctx context.Context, name string, fields map[string]string) error {
	q := url.Values{"secretTemplateId": {strconv.Itoa(s.templateID)}, "folderId": {strconv.Itoa(s.folderID)}}
	body, err := s.call(ctx, http.MethodGet, "/secrets/stub?"+q.Encode(), nil, "")
	if err != nil {
		return err
	}
	var stub map[string]any
	if err := json.Unmarshal(body, &stub); err != nil {
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q answered with something that is not a secret stub", s.name)}
	}
	items, _ := stub["items"].([]any)
	set := map[string]bool{}
	for _, it := range items {
		item, _ := it.(map[string]any)
		slug, _ := item["slug"].(string)
		if v, ok := fields[slug]; ok {
			item["itemValue"] = v
			set[slug] = true
		}
	}
	for slug := range fields {
		if !set[slug] {
			return junction.Invalid(keyTemplateID, "secret template %d of credential store %q has no field %q", s.templateID, s.name, slug)
		}
	}
	stub["name"] = name
	stub["folderId"] = s.folderID
	stub["secretTemplateId"] = s.templateID
	created, err := s.call(ctx, http.MethodPost, "/secrets", stub, name)
	clear(created)
	if err != nil {
		return err
	}
	s.log.Info("created secret in Secret Server", "folder_id", s.folderID, "template_id", s.templateID)
	return nil
}

// Delete deactivates the secret, as Secret Server's DELETE does; an
// administrator can restore it.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	id, err := s.secretID(ctx, name)
	if err != nil {
		return err
	}
	_, err = s.call(ctx, http.MethodDelete, "/secrets/"+id, nil, name)
	return err
}
