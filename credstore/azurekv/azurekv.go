// Package azurekv is the azure-key-vault credential store: it reads and
// writes Key Vault secrets with the Azure SDK, logging in to Microsoft Entra
// ID as an application with a client secret.
package azurekv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"junction"
	"junction/credstore/storehttp"
)

// TypeName is the store type's registered name.
const TypeName = "azure-key-vault"

// Configuration keys.
const (
	keyVaultURI      = "vault_uri"
	keyTenantID      = "tenant_id"
	keyClientID      = "client_id"
	keyClientSecret  = "client_secret"
	keyAuthorityHost = "authority_host"
	keyCACert        = "ca_cert"
)

var configKeys = []junction.ConfigKey{
	{Name: keyVaultURI, Required: true, Help: "The vault's address, such as https://myvault.vault.azure.net/."},
	{Name: keyTenantID, Required: true, Help: "The Microsoft Entra tenant (directory) ID of the application."},
	{Name: keyClientID, Required: true, Help: "The application (client) ID Junction logs in as."},
	{Name: keyClientSecret, Secret: true, Required: true, Help: "A client secret of that application (its value, not its ID)."},
	{Name: keyAuthorityHost, Help: "The Microsoft Entra authority for sovereign or private clouds, such as https://login.microsoftonline.us/. Defaults to the public cloud."},
	{Name: keyCACert, Help: "PEM of the CA that issued the vault's and the authority's certificates, when not a public CA (TLS-inspecting proxies)."},
}

// secretName is what Key Vault accepts as a secret name.
var secretName = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// tenantID is what Entra accepts as a tenant: a GUID or a domain name.
var tenantID = regexp.MustCompile(`^[0-9a-zA-Z.-]+$`)

// Retry sets how often and how patiently a failed request (throttled, 5xx,
// unreachable) is tried again. The zero value is the production policy.
type Retry struct {
	// MaxRetries is the number of retries after the first try; below zero
	// means none.
	MaxRetries int
	// Delay is the first back-off, doubled on each retry up to MaxDelay.
	Delay, MaxDelay time.Duration
}

// The production policy retries briefly: a read sits on the path of an
// automation run, so a vault that is down should fail the run in seconds
// rather than after the SDK's default of up to a minute per retry.
const (
	defaultMaxRetries = 2
	defaultDelay      = 500 * time.Millisecond
	defaultMaxDelay   = 4 * time.Second
)

func (r Retry) options() policy.RetryOptions {
	switch {
	case r.MaxRetries < 0:
		return policy.RetryOptions{MaxRetries: -1}
	case r == Retry{}:
		r = Retry{MaxRetries: defaultMaxRetries, Delay: defaultDelay, MaxDelay: defaultMaxDelay}
	}
	return policy.RetryOptions{MaxRetries: int32(r.MaxRetries), RetryDelay: r.Delay, MaxRetryDelay: r.MaxDelay}
}

// Type is the azure-key-vault store type with the production retry policy.
func Type() junction.CredentialStoreType { return NewType(Retry{}) }

// NewType is the azure-key-vault store type with the given retry policy.
func NewType(r Retry) junction.CredentialStoreType {
	return junction.CredentialStoreType{
		Name:       TypeName,
		Writable:   true,
		ConfigKeys: configKeys,
		CheckName:  validateName,
		Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
			return open(config, opts, r)
		},
	}
}

// Open validates config and returns a store with the production retry
// policy. It does not contact Azure.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	return open(config, opts, Retry{})
}

// Store is a live client of one Key Vault. It is safe for concurrent use.
//
// A secret asset is the secret's value. A credential asset is a secret whose
// value is the JSON object {"username": "...", "password": "..."}; a secret
// whose value is the bare password and whose "username" tag holds the user
// name is read as a credential too. Junction writes credentials as JSON.
//
// Deleting a secret soft-deletes it: Key Vault keeps it recoverable for the
// vault's retention period, and the name cannot be written again until an
// operator purges or recovers it. Junction does not purge, because purging
// needs a permission an application reading secrets should not hold and is
// refused outright on vaults with purge protection.
//
// The Azure SDK caches the access token and requests a new one shortly
// before it expires.
type Store struct {
	name      string
	vault     string // host, for messages
	authority string // Entra ID host, for messages
	client    *azsecrets.Client
	newCheck  func() string
}

var (
	_ junction.CredentialStore         = (*Store)(nil)
	_ junction.WritableCredentialStore = (*Store)(nil)
)

func open(config map[string]string, opts junction.CredentialStoreOptions, r Retry) (*Store, error) {
	for k := range config {
		if !slices.ContainsFunc(configKeys, func(c junction.ConfigKey) bool { return c.Name == k }) {
			return nil, junction.Invalid(k, "is not a configuration key of %s stores (known keys: %s)", TypeName, knownKeys())
		}
	}
	for _, c := range configKeys {
		if c.Required && strings.TrimSpace(config[c.Name]) == "" {
			return nil, junction.Invalid(c.Name, "is required")
		}
	}
	vaultURL, err := storehttp.ParseAddress(keyVaultURI, config[keyVaultURI], opts)
	if err != nil {
		return nil, err
	}
	if p := strings.Trim(vaultURL.Path, "/"); p != "" || vaultURL.RawQuery != "" {
		return nil, junction.Invalid(keyVaultURI, "must be the vault's base address without a path, such as https://myvault.vault.azure.net/")
	}
	tenant := strings.TrimSpace(config[keyTenantID])
	if !tenantID.MatchString(tenant) {
		return nil, junction.Invalid(keyTenantID, "must be a tenant ID (a GUID) or the tenant's domain name")
	}
	cloudCfg := cloud.AzurePublic
	if a := config[keyAuthorityHost]; a != "" {
		u, err := storehttp.ParseAddress(keyAuthorityHost, a, opts)
		if err != nil {
			return nil, err
		}
		cloudCfg = cloud.Configuration{ActiveDirectoryAuthorityHost: u.Scheme + "://" + u.Host + "/"}
	}
	httpClient, err := storehttp.NewClient(opts, storehttp.TLS{CACertPEM: config[keyCACert], CAKey: keyCACert})
	if err != nil {
		return nil, err
	}
	clientOpts := azcore.ClientOptions{
		Cloud:     cloudCfg,
		Retry:     r.options(),
		Transport: httpClient,
		Telemetry: policy.TelemetryOptions{ApplicationID: "junction"},
		// Key Vault and Entra error bodies carry no secrets, but request
		// logging would show secret names; the SDK's log listener is
		// process-wide, so Junction never enables it.
	}
	cred, err := azidentity.NewClientSecretCredential(tenant, strings.TrimSpace(config[keyClientID]), config[keyClientSecret],
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: clientOpts,
			// Instance discovery asks login.microsoftonline.com to vouch
			// for the authority. Well-known Microsoft authorities skip it
			// anyway; for any other authority_host the operator has named
			// the authority deliberately, and a private or disconnected
			// cloud could not be vouched for.
			DisableInstanceDiscovery: config[keyAuthorityHost] != "",
		})
	if err != nil {
		return nil, junction.Invalid(keyClientID, "cannot build the client credential: check tenant_id, client_id and client_secret")
	}
	// The challenge resource stays verified: the vault must be a host under
	// the domain Key Vault names in its challenge, so a look-alike address
	// cannot obtain a token for the real vault.
	client, err := azsecrets.NewClient(vaultURL.String(), cred, &azsecrets.ClientOptions{ClientOptions: clientOpts})
	if err != nil {
		return nil, junction.Invalid(keyVaultURI, "is not a usable vault address")
	}
	authority := strings.TrimSuffix(strings.TrimPrefix(cloudCfg.ActiveDirectoryAuthorityHost, "https://"), "/")
	return &Store{name: opts.Name, vault: vaultURL.Host, authority: authority, client: client, newCheck: checkName}, nil
}

func knownKeys() string {
	names := make([]string, len(configKeys))
	for i, c := range configKeys {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// checkName is a name no one has created: reading it proves the login and
// the get permission without touching a real secret.
func checkName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "junction-check-" + hex.EncodeToString(b)
}

// Check acquires a token and reads a secret that does not exist. Key Vault
// answers SecretNotFound only after it has accepted the token and the
// caller's permission to get secrets, which is the one permission every
// store needs; listing secrets would instead need the list permission,
// which a read-only application may rightly lack.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.client.GetSecret(ctx, s.newCheck(), "", nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound && re.ErrorCode == "SecretNotFound" {
		return nil
	}
	if err != nil {
		return s.fail("", err)
	}
	return nil
}

// Read fetches the current version of the secret name.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if err := validateName(name); err != nil {
		return junction.StoredSecret{}, err
	}
	if kind != junction.KindSecret && kind != junction.KindCredential {
		return junction.StoredSecret{}, junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	resp, err := s.client.GetSecret(ctx, name, "", nil)
	if err != nil {
		return junction.StoredSecret{}, s.fail(name, err)
	}
	if resp.Value == nil {
		return junction.StoredSecret{}, junction.Invalid("external_name", "secret %q in credential store %q has no value", name, s.name)
	}
	if kind == junction.KindSecret {
		return junction.StoredSecret{Value: junction.NewSecret(*resp.Value)}, nil
	}
	return s.credential(name, *resp.Value, resp.Tags)
}

// credential reads a credential from a secret's value and tags. Parse
// errors are never wrapped: they quote the value.
func (s *Store) credential(name, value string, tags map[string]*string) (junction.StoredSecret, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(value), &obj) == nil {
		var user, pass string
		rawPass, hasPass := obj["password"]
		if rawUser, ok := obj["username"]; ok && json.Unmarshal(rawUser, &user) != nil {
			return junction.StoredSecret{}, notCredential(name, s.name, "its username is not a string")
		}
		if hasPass && json.Unmarshal(rawPass, &pass) != nil {
			return junction.StoredSecret{}, notCredential(name, s.name, "its password is not a string")
		}
		if user == "" && tags["username"] != nil {
			user = *tags["username"]
		}
		switch {
		case !hasPass:
			return junction.StoredSecret{}, notCredential(name, s.name, `its JSON value has no "password" key`)
		case user == "":
			return junction.StoredSecret{}, notCredential(name, s.name, `it has no "username" in its JSON value or tags`)
		}
		return junction.StoredSecret{Username: user, Value: junction.NewSecret(pass)}, nil
	}
	if u := tags["username"]; u != nil && *u != "" {
		return junction.StoredSecret{Username: *u, Value: junction.NewSecret(value)}, nil
	}
	return junction.StoredSecret{}, notCredential(name, s.name, `its value is not a JSON object {"username","password"} and it has no "username" tag`)
}

func notCredential(name, store, why string) *junction.Error {
	return junction.Invalid("external_name", "secret %q in credential store %q is not a credential: %s", name, store, why)
}

// Write stores v as a new version of the secret name.
func (s *Store) Write(ctx context.Context, kind junction.SecretKind, name string, v junction.StoredSecret) error {
	if err := validateName(name); err != nil {
		return err
	}
	params := azsecrets.SetSecretParameters{}
	switch kind {
	case junction.KindSecret:
		val := v.Value.Reveal()
		params.Value = &val
	case junction.KindCredential:
		if v.Username == "" {
			return junction.Invalid("username", "is required for a credential")
		}
		b, err := json.Marshal(struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}{v.Username, v.Value.Reveal()})
		if err != nil {
			return junction.Internal(errors.New("encode credential"))
		}
		val, ct := string(b), "application/json"
		params.Value, params.ContentType = &val, &ct
	default:
		return junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	if _, err := s.client.SetSecret(ctx, name, params, nil); err != nil {
		return s.fail(name, err)
	}
	return nil
}

// Delete soft-deletes the secret name (see Store).
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := validateName(name); err != nil {
		return err
	}
	if _, err := s.client.DeleteSecret(ctx, name, nil); err != nil {
		return s.fail(name, err)
	}
	return nil
}

func validateName(name string) error {
	if !secretName.MatchString(name) {
		return junction.Invalid("external_name",
			"%q is not a valid Azure Key Vault secret name: use 1 to 127 letters, digits and hyphens", name)
	}
	return nil
}

// fail turns an SDK error for the secret name ("" for Check) into a
// junction error. Causes kept for logs are rebuilt from status and codes:
// the SDK's own messages repeat request URLs and response bodies.
func (s *Store) fail(name string, err error) error {
	var (
		authErr *azidentity.AuthenticationFailedError
		respErr *azcore.ResponseError
	)
	switch {
	case errors.As(err, &authErr):
		return s.loginFailed(authErr)
	case errors.As(err, &respErr):
		return s.vaultRefused(name, respErr)
	case strings.Contains(err.Error(), "isn't configured to acquire tokens for tenant"):
		// The vault's challenge named another tenant than tenant_id.
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: errors.New("challenge tenant mismatch"),
			Message: fmt.Sprintf("credential store %q: the vault %s belongs to another Microsoft Entra tenant than tenant_id", s.name, s.vault)}
	case strings.Contains(err.Error(), "doesn't match the requested domain"):
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: errors.New("challenge resource mismatch"),
			Message: fmt.Sprintf("credential store %q: %s answered with an authentication challenge for another domain; vault_uri must be a Key Vault address such as https://myvault.vault.azure.net/", s.name, s.vault)}
	}
	return storehttp.Unavailable(s.name, err)
}

// loginFailed reports a failed token request. Entra's error bodies carry an
// OAuth error and AADSTS codes, never the client secret.
func (s *Store) loginFailed(e *azidentity.AuthenticationFailedError) error {
	if e.RawResponse == nil {
		// The SDK keeps the transport error only as text; it names the
		// token endpoint, which holds no secret, and says what failed. Like
		// any store that cannot be reached, the message does not.
		text, _, _ := strings.Cut(e.Error(), "\n")
		for _, line := range strings.Split(e.Error(), "\n") {
			if strings.Contains(line, "dial") || strings.Contains(line, "tls") || strings.Contains(line, storehttp.Allow) {
				text = strings.TrimSpace(line)
				break
			}
		}
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Message: storehttp.UnreachableMessage(s.name, s.authority),
			Err: &junction.StoreUnreachableError{Host: s.authority, Blocked: strings.Contains(text, storehttp.Allow),
				Diagnosis: "the login request to Microsoft Entra ID got no answer: " + text,
				Err:       errors.New("token request failed without a response")}}
	}
	status := e.RawResponse.StatusCode
	var body struct {
		Error      string `json:"error"`
		ErrorCodes []int  `json:"error_codes"`
	}
	if e.RawResponse.Body != nil {
		_ = json.NewDecoder(http.MaxBytesReader(nil, e.RawResponse.Body, 64<<10)).Decode(&body)
	}
	what := fmt.Sprintf("HTTP %d", status)
	if body.Error != "" {
		what += " " + body.Error
	}
	if len(body.ErrorCodes) > 0 {
		what += fmt.Sprintf(" AADSTS%d", body.ErrorCodes[0])
	}
	cause := errors.New("token request: " + what)
	if status >= 500 || status == http.StatusTooManyRequests {
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
			Message: fmt.Sprintf("credential store %q: Microsoft Entra ID is unavailable (%s)", s.name, what)}
	}
	hint := "check tenant_id, client_id and client_secret"
	if len(body.ErrorCodes) > 0 {
		switch body.ErrorCodes[0] {
		case 7000215, 7000222:
			hint = "client_secret is wrong or expired; use the secret's value, not its ID"
		case 700016:
			hint = "client_id is not an application in that tenant"
		case 90002:
			hint = "tenant_id does not exist in this cloud; check tenant_id and authority_host"
		}
	}
	return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
		Message: fmt.Sprintf("credential store %q: Microsoft Entra ID refused Junction's login (%s): %s", s.name, what, hint)}
}

// vaultRefused maps Key Vault's HTTP errors.
func (s *Store) vaultRefused(name string, e *azcore.ResponseError) error {
	what := fmt.Sprintf("HTTP %d", e.StatusCode)
	if e.ErrorCode != "" && e.ErrorCode != "UNKNOWN" {
		what += " " + e.ErrorCode
	}
	cause := errors.New("key vault: " + what)
	switch {
	case e.StatusCode == http.StatusNotFound && e.ErrorCode == "SecretNotFound" && name != "":
		return &junction.Error{Code: junction.ECREDNOTFOUND, Err: cause,
			Message: fmt.Sprintf("credential store %q has no secret named %q", s.name, name)}
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
			Message: fmt.Sprintf("credential store %q: the vault refused Junction's access (%s); grant the application permission on secrets (get, and set and delete if Junction writes)", s.name, what)}
	case e.StatusCode == http.StatusConflict && name != "":
		return &junction.Error{Code: junction.ECONFLICT, Err: cause,
			Message: fmt.Sprintf("credential store %q: secret %q is deleted but recoverable; recover or purge it in the vault before writing this name again", s.name, name)}
	case e.StatusCode == http.StatusBadRequest:
		return &junction.Error{Code: junction.EINVALID, Err: cause,
			Message: fmt.Sprintf("credential store %q rejected the request (%s)", s.name, what)}
	}
	return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
		Message: fmt.Sprintf("credential store %q is unavailable: the vault answered %s", s.name, what)}
}
