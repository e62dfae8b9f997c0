// Package gcpsm is the gcp-secret-manager credential store: it reads and
// writes secrets in Google Cloud Secret Manager with Google's client (over
// its REST transport, so that every vault goes through the same HTTP client,
// network guard and private CAs), logged in with a service-account key or
// with the server's Application Default Credentials (workload identity).
package gcpsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/compute/metadata"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"junction"
	"junction/credstore/credjson"
	"junction/credstore/storehttp"
)

// TypeName is the name the store type is registered and configured under.
const TypeName = "gcp-secret-manager"

const (
	keyProject         = "project"
	keyCredentialsJSON = "credentials_json"
	keyCredentialsFile = "credentials_file"
	keyCredentialsEnv  = "credentials_env"
	keyEndpoint        = "endpoint"
	keyCACert          = "ca_cert"
)

const scope = "https://www.googleapis.com/auth/cloud-platform"

var configKeys = []junction.ConfigKey{
	{Name: keyProject, Required: true, Help: "Google Cloud project ID (or number) holding the secrets."},
	{Name: keyCredentialsJSON, Secret: true, Help: "A service-account key (the JSON file's content), stored sealed."},
	{Name: keyCredentialsFile, Server: true, Help: "Path, on the Junction server, of a service-account key file, read at first use."},
	{Name: keyCredentialsEnv, Server: true, Help: "Name of an environment variable of the Junction server holding a service-account key's JSON."},
	{Name: keyEndpoint, Help: "Secret Manager API endpoint, for regional endpoints or Private Service Connect; default https://secretmanager.googleapis.com."},
	{Name: keyCACert, Help: "PEM of the CA that issued the endpoint's certificate; system roots when empty."},
}

// Type is the gcp-secret-manager credential store type, for registration
// in main.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   true,
	ConfigKeys: configKeys,
	Choices: []junction.ConfigChoice{{Name: "authentication", Options: []junction.ConfigOption{
		{Keys: []string{keyCredentialsJSON}, Help: "a service-account key kept sealed in the store's configuration"},
		{Keys: []string{keyCredentialsFile}, Help: "a service-account key file on the server"},
		{Keys: []string{keyCredentialsEnv}, Help: "a service-account key in an environment variable of the server"},
		{Keys: []string{}, Help: "Application Default Credentials: workload identity, the metadata server, or GOOGLE_APPLICATION_CREDENTIALS"},
	}}},
	CheckName: CheckName,
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

var (
	secretID   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	versionID  = regexp.MustCompile(`^(latest|[1-9][0-9]{0,18}|[A-Za-z][A-Za-z0-9_-]{0,62})$`)
	fullName   = regexp.MustCompile(`^projects/([^/]+)/secrets/([^/]+)(?:/versions/([^/]+))?$`)
	projectID  = regexp.MustCompile(`^([a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20}|[a-z0-9.-]+:[a-z][a-z0-9-]{4,28}[a-z0-9])$`)
	envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// secretRef is an external name taken apart.
type secretRef struct {
	project string // "" unless the name was a full resource name
	secret  string
	version string // "" when the name named none
}

// parseName reads an external name: "secret", "secret#version" (a number,
// an alias, or latest) or the full "projects/p/secrets/s[/versions/v]".
func parseName(name string) (secretRef, error) {
	var r secretRef
	if m := fullName.FindStringSubmatch(name); m != nil {
		r = secretRef{project: m[1], secret: m[2], version: m[3]}
	} else if strings.HasPrefix(name, "projects/") {
		return r, junction.Invalid("external_name", "must be projects/<project>/secrets/<secret> or .../versions/<version>")
	} else {
		r.secret, r.version, _ = strings.Cut(name, "#")
		if strings.Contains(name, "#") && r.version == "" {
			return r, junction.Invalid("external_name", "names no version after #")
		}
	}
	if !secretID.MatchString(r.secret) {
		return r, junction.Invalid("external_name", "must be a secret ID of 1 to 255 letters, digits, dashes and underscores, optionally followed by #<version>")
	}
	if r.version != "" && !versionID.MatchString(r.version) {
		return r, junction.Invalid("external_name", "version must be latest, a version number or an alias")
	}
	return r, nil
}

// CheckName accepts a secret as Secret Manager names it; see parseName.
func CheckName(name string) error {
	_, err := parseName(name)
	return err
}

// checkSecret is the secret Check asks for. It is not expected to exist:
// reading it proves the login, the address and TLS, and a "not found" or
// "permission denied" for it says nothing about the secrets Junction is
// granted one by one, which the first read of each proves.
const checkSecret = "junction-connectivity-check"

// Store is one configured Secret Manager project. It is safe for concurrent
// use.
//
// A secret asset is the latest enabled version's payload (or the version
// the external name gives). A credential asset is a payload holding the JSON
// object {"username": "...", "password": "..."}. Writing adds a version,
// creating the secret (with automatic replication) when it does not exist;
// deleting deletes the secret with all its versions.
type Store struct {
	name     string
	project  string
	endpoint string
	opts     junction.CredentialStoreOptions
	key      keySource
	base     *http.Transport
	log      *slog.Logger

	mu     sync.Mutex
	client *secretmanager.Client // built at first use, not when it failed
	tokens *tokenTransport
}

var (
	_ junction.CredentialStore         = (*Store)(nil)
	_ junction.WritableCredentialStore = (*Store)(nil)
	_ junction.Closer                  = (*Store)(nil)
)

// keySource says where the service-account key comes from; all empty means
// Application Default Credentials.
type keySource struct {
	json, file, env string
}

// Open validates config and returns a Store. It does not contact Google and
// reads no key file yet.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	if err := storehttp.CheckKeys(TypeName, configKeys, config); err != nil {
		return nil, err
	}
	get := func(k string) string { return strings.TrimSpace(config[k]) }

	project := get(keyProject)
	if project == "" {
		return nil, junction.Invalid(keyProject, "is required")
	}
	if !projectID.MatchString(project) {
		return nil, junction.Invalid(keyProject, "must be a Google Cloud project ID such as my-project-123, or a project number")
	}
	ks := keySource{json: get(keyCredentialsJSON), file: get(keyCredentialsFile), env: get(keyCredentialsEnv)}
	set := 0
	for _, v := range []string{ks.json, ks.file, ks.env} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return nil, junction.Invalid(keyCredentialsJSON, "set at most one of credentials_json, credentials_file and credentials_env")
	}
	if ks.env != "" && !envVarName.MatchString(ks.env) {
		return nil, junction.Invalid(keyCredentialsEnv, "must be the name of an environment variable, not its value")
	}
	if ks.json != "" {
		if err := checkKeyJSON(keyCredentialsJSON, []byte(ks.json)); err != nil {
			return nil, err
		}
	}
	endpoint := ""
	if ep := get(keyEndpoint); ep != "" {
		u, err := storehttp.ParseAddress(keyEndpoint, ep, opts)
		if err != nil {
			return nil, err
		}
		endpoint = u.String()
	}
	t := storehttp.TLS{CACertPEM: config[keyCACert], CAKey: keyCACert}
	base, err := storehttp.NewTransport(opts, t)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		name: opts.Name, project: project, endpoint: endpoint, opts: opts, key: ks, base: base,
		log: log.With("credential_store", opts.Name, "store_type", TypeName),
	}, nil
}

// checkKeyJSON makes sure b is a service-account key without ever quoting
// it: parse errors can carry a piece of the private key.
func checkKeyJSON(field string, b []byte) error {
	var k struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if json.Unmarshal(b, &k) != nil {
		return junction.Invalid(field, "is not JSON: give the content of a service-account key file")
	}
	if k.Type != "service_account" || k.ClientEmail == "" || k.PrivateKey == "" {
		return junction.Invalid(field, `is not a service-account key: it needs "type": "service_account", "client_email" and "private_key"`)
	}
	return nil
}

// keyJSON reads the configured service-account key, or returns nil for
// Application Default Credentials.
func (s *Store) keyJSON() ([]byte, error) {
	switch {
	case s.key.json != "":
		return []byte(s.key.json), nil
	case s.key.file != "":
		b, err := os.ReadFile(s.key.file)
		if err != nil {
			return nil, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: err,
				Message: fmt.Sprintf("credential store %q could not read its service-account key file %q: %v", s.name, s.key.file, pathError(err))}
		}
		if err := checkKeyJSON(keyCredentialsFile, b); err != nil {
			return nil, err
		}
		return b, nil
	case s.key.env != "":
		v, ok := os.LookupEnv(s.key.env)
		if !ok || strings.TrimSpace(v) == "" {
			return nil, &junction.Error{Code: junction.ECREDSTOREAUTH,
				Message: fmt.Sprintf("credential store %q: environment variable %s of the Junction server is not set", s.name, s.key.env)}
		}
		if err := checkKeyJSON(keyCredentialsEnv, []byte(v)); err != nil {
			return nil, err
		}
		return []byte(v), nil
	}
	return nil, nil
}

func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// api returns the client, building it on first use. A failure is not
// remembered: a key file that appears later is picked up.
func (s *Store) api(ctx context.Context) (*secretmanager.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	b, err := s.keyJSON()
	if err != nil {
		return nil, err
	}
	tokens := &tokenTransport{base: s.base}
	// Token requests go through the store's guarded transport as well. They
	// outlive the request that first asks for a token, so they carry no
	// request context; the client timeout bounds them.
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient,
		&http.Client{Transport: tokens, Timeout: storehttp.Timeout(s.opts)})
	var creds *google.Credentials
	if b != nil {
		creds, err = google.CredentialsFromJSONWithType(tokenCtx, b, google.ServiceAccount, scope)
		if err != nil {
			return nil, junction.Invalid(s.keyField(), "is not a usable service-account key")
		}
	} else {
		creds, err = s.defaultCredentials(tokenCtx, tokens)
		if err != nil {
			return nil, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: err,
				Message: fmt.Sprintf("credential store %q has no key configured and the Junction server has no Google Application Default Credentials: run it with workload identity or GOOGLE_APPLICATION_CREDENTIALS, or give the store a service-account key", s.name)}
		}
	}
	hc := &http.Client{
		Transport: &oauth2.Transport{Source: tokenSource{creds.TokenSource, tokens}, Base: s.base},
		Timeout:   storehttp.Timeout(s.opts),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	copts := []option.ClientOption{option.WithHTTPClient(hc)}
	if s.endpoint != "" {
		copts = append(copts, option.WithEndpoint(s.endpoint))
	}
	c, err := secretmanager.NewRESTClient(ctx, copts...)
	if err != nil {
		return nil, junction.Internal(err)
	}
	s.client, s.tokens = c, tokens
	return c, nil
}

// defaultCredentials are the server's Application Default Credentials. A
// key file named by GOOGLE_APPLICATION_CREDENTIALS or left by gcloud is read
// by Google's library; the metadata server is asked through the store's
// guarded transport, so that, as for AWS instance roles, the host's own
// identity is used only when --store-allow names the metadata address.
func (s *Store) defaultCredentials(tokenCtx context.Context, tokens http.RoundTripper) (*google.Credentials, error) {
	if os.Getenv("GOOGLE_APPLICATION_CREDENTIALS") != "" || gcloudCredentialsExist() {
		return google.FindDefaultCredentials(tokenCtx, scope)
	}
	mc := metadata.NewClient(&http.Client{Transport: tokens, Timeout: storehttp.Timeout(s.opts)})
	return &google.Credentials{TokenSource: oauth2.ReuseTokenSource(nil, metadataTokens{mc, storehttp.Timeout(s.opts)})}, nil
}

// gcloudCredentialsExist reports whether "gcloud auth application-default
// login" left credentials where Google's library looks for them.
func gcloudCredentialsExist() bool {
	var dir string
	if runtime.GOOS == "windows" {
		dir = os.Getenv("APPDATA")
	} else if home, err := os.UserHomeDir(); err == nil {
		dir = filepath.Join(home, ".config")
	}
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "gcloud", "application_default_credentials.json"))
	return err == nil
}

// metadataTokens fetches the access token of the instance's (or the
// workload identity's) service account from the metadata server.
type metadataTokens struct {
	client  *metadata.Client
	timeout time.Duration
}

func (m metadataTokens) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	body, err := m.client.GetWithContext(ctx, "instance/service-accounts/default/token?scopes="+url.QueryEscape(scope))
	if err != nil {
		return nil, err
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal([]byte(body), &t); err != nil || t.AccessToken == "" {
		return nil, errors.New("the metadata server answered with no access token")
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType,
		Expiry: time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)}, nil
}

func (s *Store) keyField() string {
	switch {
	case s.key.file != "":
		return keyCredentialsFile
	case s.key.env != "":
		return keyCredentialsEnv
	}
	return keyCredentialsJSON
}

// tokenTransport remembers the network failure of the last token request:
// the oauth2 library turns it into text, which would lose what Unavailable
// needs to say the store was unreachable (and why, for the log).
type tokenTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	last error
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = nil
	if err != nil {
		t.last = &url.Error{Op: r.Method, URL: r.URL.String(), Err: err}
	}
	return resp, err
}

func (t *tokenTransport) take() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.last
	t.last = nil
	return err
}

// tokenSource puts the token request's network failure back in the chain.
type tokenSource struct {
	src    oauth2.TokenSource
	tokens *tokenTransport
}

func (ts tokenSource) Token() (*oauth2.Token, error) {
	tok, err := ts.src.Token()
	if err != nil {
		if netErr := ts.tokens.take(); netErr != nil {
			return nil, &tokenFetchError{netErr}
		}
	}
	return tok, err
}

// tokenFetchError is a token request that got no answer. It keeps the
// token endpoint's (or metadata server's) own URL error, so that the store's
// message names the host that could not be reached, not the API's.
type tokenFetchError struct{ err error }

func (e *tokenFetchError) Error() string { return "fetch a Google access token: " + e.err.Error() }
func (e *tokenFetchError) Unwrap() error { return e.err }

// noRetry leaves retrying to Junction: the resolver has its own rules for
// a vault that is down, and a read must not sit in Google's backoff for a
// minute.
var noRetry = gax.WithRetry(func() gax.Retryer { return nil })

// Check logs in and asks for a secret that should not exist; see
// checkSecret.
func (s *Store) Check(ctx context.Context) error {
	c, err := s.api(ctx)
	if err != nil {
		return err
	}
	_, err = c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{
		Name: s.versionName(secretRef{secret: checkSecret}),
	}, noRetry)
	if err == nil {
		return nil
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) && (ae.HTTPCode() == http.StatusNotFound || ae.HTTPCode() == http.StatusForbidden) {
		return nil
	}
	return s.fail("", err)
}

func (s *Store) ref(name string) (secretRef, error) {
	r, err := parseName(name)
	if err != nil {
		return r, err
	}
	if r.project != "" && r.project != s.project {
		return r, junction.Invalid("external_name", "names project %q but credential store %q is for project %q", r.project, s.name, s.project)
	}
	return r, nil
}

func (s *Store) secretName(r secretRef) string {
	return "projects/" + s.project + "/secrets/" + r.secret
}

func (s *Store) versionName(r secretRef) string {
	v := r.version
	if v == "" {
		v = "latest"
	}
	return s.secretName(r) + "/versions/" + v
}

func crc32c(b []byte) int64 { return int64(crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))) }

// Read fetches the secret's latest enabled version, or the version named.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if kind != junction.KindSecret && kind != junction.KindCredential {
		return junction.StoredSecret{}, junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	r, err := s.ref(name)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	c, err := s.api(ctx)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	resp, err := c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: s.versionName(r)}, noRetry)
	if err != nil {
		return junction.StoredSecret{}, s.fail(name, err)
	}
	data := resp.GetPayload().GetData()
	if sum := resp.GetPayload().DataCrc32C; sum != nil && *sum != crc32c(data) {
		clear(data)
		return junction.StoredSecret{}, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q: a secret's payload was corrupted in transit (CRC32C mismatch)", s.name)}
	}
	value := string(data)
	clear(data)
	if kind == junction.KindSecret {
		return junction.StoredSecret{Value: junction.NewSecret(value)}, nil
	}
	return credjson.Parse(s.name, name, value)
}

// Write adds v as the secret's new version, creating the secret when it
// does not exist.
func (s *Store) Write(ctx context.Context, kind junction.SecretKind, name string, v junction.StoredSecret) error {
	r, err := s.ref(name)
	if err != nil {
		return err
	}
	if r.version != "" {
		return junction.Invalid("external_name", "names version %q: Junction writes a secret's next version, so name the secret alone", r.version)
	}
	var value string
	switch kind {
	case junction.KindSecret:
		value = v.Value.Reveal()
	case junction.KindCredential:
		if v.Username == "" {
			return junction.Invalid("username", "is required for a credential")
		}
		value = credjson.Encode(v)
	default:
		return junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	c, err := s.api(ctx)
	if err != nil {
		return err
	}
	data := []byte(value)
	defer clear(data)
	add := func() error {
		_, err := c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{
			Parent:  s.secretName(r),
			Payload: &secretmanagerpb.SecretPayload{Data: data, DataCrc32C: ptr(crc32c(data))},
		}, noRetry)
		return err
	}
	err = add()
	if httpCode(err) != http.StatusNotFound {
		return s.failWrite(name, err)
	}
	_, err = c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{
		Parent:   "projects/" + s.project,
		SecretId: r.secret,
		Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{
			Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}},
		}},
	}, noRetry)
	// A concurrent writer may have created it first; either way it exists.
	if err != nil && httpCode(err) != http.StatusConflict {
		return s.failWrite(name, err)
	}
	s.log.Info("created secret in Secret Manager", "secret", r.secret)
	return s.failWrite(name, add())
}

func (s *Store) failWrite(name string, err error) error {
	if err == nil {
		return nil
	}
	return s.fail(name, err)
}

func ptr[T any](v T) *T { return &v }

// Delete deletes the secret and all its versions.
func (s *Store) Delete(ctx context.Context, name string) error {
	r, err := s.ref(name)
	if err != nil {
		return err
	}
	if r.version != "" {
		return junction.Invalid("external_name", "names version %q: Junction deletes whole secrets, so name the secret alone", r.version)
	}
	c, err := s.api(ctx)
	if err != nil {
		return err
	}
	if err := c.DeleteSecret(ctx, &secretmanagerpb.DeleteSecretRequest{Name: s.secretName(r)}, noRetry); err != nil {
		return s.fail(name, err)
	}
	return nil
}

// Close releases the client's connections.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	err := s.client.Close()
	s.client = nil
	return err
}

func httpCode(err error) int {
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		return ae.HTTPCode()
	}
	return 0
}

// fail turns a client error into the contract's codes. Google's messages
// name resources and permissions, never payloads, so they are passed on.
// name is "" when no secret was asked for.
func (s *Store) fail(name string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: err,
			Message: fmt.Sprintf("credential store %q: Google refused the service account's login (%s); check that the key is current and not disabled", s.name, retrieveReason(re))}
	}
	var tf *tokenFetchError
	if errors.As(err, &tf) {
		return storehttp.Unavailable(s.name, tf.err)
	}
	var ae *apierror.APIError
	if !errors.As(err, &ae) || ae.HTTPCode() <= 0 {
		return storehttp.Unavailable(s.name, err)
	}
	said := ae.GRPCStatus().Message()
	if len(said) > 300 {
		said = said[:300] + "..."
	}
	status := restStatus(err)
	switch code := ae.HTTPCode(); {
	case code == http.StatusNotFound && name != "":
		return &junction.Error{Code: junction.ECREDNOTFOUND, Err: err,
			Message: fmt.Sprintf("credential store %q has no secret %q with an enabled version in project %q", s.name, name, s.project)}
	case code == http.StatusBadRequest && status == "FAILED_PRECONDITION" && name != "":
		return &junction.Error{Code: junction.ECREDNOTFOUND, Err: err,
			Message: fmt.Sprintf("credential store %q cannot read secret %q: %s", s.name, name, said)}
	case code == http.StatusUnauthorized:
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: err,
			Message: fmt.Sprintf("credential store %q: Google did not accept Junction's access token (%s)", s.name, said)}
	case code == http.StatusForbidden:
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: err,
			Message: fmt.Sprintf("credential store %q was refused (%s); grant the service account roles/secretmanager.secretAccessor (and secretVersionAdder to write) on the secret or project %q", s.name, said, s.project)}
	case code >= 500 || code == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("credential store %q is unavailable: Secret Manager answered HTTP %d %s", s.name, code, status)}
	}
	return &junction.Error{Code: junction.EINVALID, Err: err,
		Message: fmt.Sprintf("credential store %q rejected the request with HTTP %d %s: %s", s.name, ae.HTTPCode(), status, said)}
}

// restStatus is the google.rpc.Status code name of a REST error body
// ("NOT_FOUND"): the client maps REST errors to gRPC codes by HTTP status
// alone, which makes a FAILED_PRECONDITION look like INVALID_ARGUMENT.
func restStatus(err error) string {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		var body struct {
			Error struct {
				Status string `json:"status"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(ge.Body), &body) == nil && body.Error.Status != "" {
			return body.Error.Status
		}
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		return ae.GRPCStatus().Code().String()
	}
	return ""
}

// retrieveReason is the OAuth error code of a refused token request, or
// its HTTP status when the answer had none.
func retrieveReason(re *oauth2.RetrieveError) string {
	if re.ErrorCode != "" {
		return re.ErrorCode
	}
	if re.Response != nil {
		return re.Response.Status
	}
	return "refused"
}
