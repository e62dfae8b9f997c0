// Package vault is the HashiCorp Vault credential store: it logs in with a
// token, AppRole, userpass or LDAP, keeps that login's token renewed, and
// reads and writes KV v1 or v2 secrets through Vault's official Go client.
package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	vaultapi "github.com/hashicorp/vault/api"

	"junction"
	"junction/credstore/storehttp"
)

// Store is one configured Vault. It is safe for concurrent use.
type Store struct {
	name  string
	cfg   config
	clock junction.Clock
	log   *slog.Logger

	// client carries the current token for secret operations; loginClient
	// never carries one, so a login is not sent with a stale token.
	client      *vaultapi.Client
	loginClient *vaultapi.Client

	// mu serialises logins and renewals so concurrent first reads share
	// one login instead of racing several.
	mu   sync.Mutex
	sess session
	// current mirrors sess.token for scrubbing error text without taking mu.
	current atomic.Value
}

var (
	_ junction.CredentialStore         = (*Store)(nil)
	_ junction.WritableCredentialStore = (*Store)(nil)
	_ junction.Closer                  = (*Store)(nil)
)

// session is the token Junction currently holds and its lease.
type session struct {
	token     string
	obtained  time.Time
	ttl       time.Duration // lease at login; zero never expires
	lease     time.Duration // lease at last login or renewal
	expires   time.Time     // zero: never
	renewable bool
}

// renewFraction is how much of a lease may pass before the token is renewed:
// late enough not to renew on every call, early enough that a slow or briefly
// unreachable vault does not let the token lapse.
const renewFraction = 2.0 / 3.0

// Open validates config and returns a Store. It does not contact Vault.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	cfg, err := parseConfig(config, opts)
	if err != nil {
		return nil, err
	}
	httpClient, err := storehttp.NewClient(opts, storehttp.TLS{CACertPEM: cfg.caCert, CAKey: "ca_cert"})
	if err != nil {
		return nil, err
	}
	s := &Store{
		name:  opts.Name,
		cfg:   cfg,
		clock: opts.Clock,
		log:   opts.Logger,
	}
	if s.clock == nil {
		s.clock = junction.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("credential_store", opts.Name, "store_type", TypeName)
	if s.client, err = newClient(cfg, httpClient, storehttp.Timeout(opts)); err != nil {
		return nil, err
	}
	if s.loginClient, err = newClient(cfg, httpClient, storehttp.Timeout(opts)); err != nil {
		return nil, err
	}
	if cfg.authMethod == AuthToken {
		// With the token method the login client only ever looks up and
		// renews this one token.
		s.loginClient.SetToken(cfg.token.Reveal())
	}
	return s, nil
}

// newClient builds an official client without its environment defaults:
// VAULT_TOKEN, VAULT_NAMESPACE and retries would otherwise change behaviour
// behind the configuration's back.
func newClient(cfg config, hc *http.Client, timeout time.Duration) (*vaultapi.Client, error) {
	c, err := vaultapi.NewClient(&vaultapi.Config{
		Address:          cfg.address.String(),
		HttpClient:       hc,
		Timeout:          timeout,
		MaxRetries:       0, // the caller decides about retries; a down vault must fail fast
		DisableRedirects: true,
	})
	if err != nil {
		return nil, junction.Invalid("address", "is not usable by the Vault client")
	}
	c.ClearToken()
	c.ClearNamespace()
	if cfg.namespace != "" {
		c.SetNamespace(cfg.namespace)
	}
	return c, nil
}

// Close forgets the token. Vault tokens expire on their own; revoking here
// would break other Junction processes sharing an AppRole login.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sess = session{}
	s.client.ClearToken()
	return nil
}

// Check logs in (or renews) and looks the token up, which proves
// reachability, TLS and authentication without reading a secret.
func (s *Store) Check(ctx context.Context) error {
	return s.withToken(ctx, "", func(ctx context.Context) error {
		_, err := s.client.Auth().Token().LookupSelfWithContext(ctx)
		return err
	})
}

// Read fetches the secret at name under the configured mount and data_path.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if err := checkKind(kind); err != nil {
		return junction.StoredSecret{}, err
	}
	p, err := s.secretPath(name)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	var data map[string]any
	var lease time.Duration
	err = s.withToken(ctx, name, func(ctx context.Context) error {
		resp, err := s.client.Logical().ReadRawWithContext(ctx, s.dataURL(p))
		if resp != nil {
			defer resp.Body.Close()
		}
		if err != nil {
			return err
		}
		secret, err := vaultapi.ParseSecret(resp.Body)
		if err != nil {
			return fmt.Errorf("parse Vault response: %w", err)
		}
		data = s.secretData(secret)
		if secret != nil {
			// KV leases cannot be renewed (no lease ID, renewable
			// false): a value is kept fresh by reading it again.
			lease = time.Duration(secret.LeaseDuration) * time.Second
		}
		return nil
	})
	if err != nil {
		return junction.StoredSecret{}, err
	}
	if data == nil {
		return junction.StoredSecret{}, s.notFound(name)
	}
	v, err := s.decode(kind, name, data)
	v.ValidFor = validFor(lease, data["ttl"])
	return v, err
}

// validFor is how long a read value stays valid: the read's lease (KV v1
// answers with the secret's ttl key as its lease, else the mount's default
// of a month), or the secret's own ttl key, which KV v2 does not turn into a
// lease but which Vault's own agents honour the same way. The shorter wins;
// zero when neither says.
func validFor(lease time.Duration, ttl any) time.Duration {
	var d time.Duration
	switch t := ttl.(type) {
	case string:
		if parsed, err := parseutil.ParseDurationSecond(t); err == nil {
			d = parsed
		}
	case json.Number:
		if n, err := t.Int64(); err == nil {
			d = time.Duration(n) * time.Second
		}
	case float64:
		d = time.Duration(t) * time.Second
	}
	switch {
	case d <= 0:
		return max(lease, 0)
	case lease <= 0:
		return d
	}
	return min(d, lease)
}

// Write stores v at name, replacing the whole secret (a new version on KV v2).
func (s *Store) Write(ctx context.Context, kind junction.SecretKind, name string, v junction.StoredSecret) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	p, err := s.secretPath(name)
	if err != nil {
		return err
	}
	data := map[string]any{}
	switch kind {
	case junction.KindCredential:
		data[s.cfg.usernameKey] = v.Username
		data[s.cfg.passwordKey] = v.Value.Reveal()
	case junction.KindSecret:
		data[s.cfg.valueKey] = v.Value.Reveal()
	}
	body := data
	if s.cfg.engine == EngineKV2 {
		body = map[string]any{"data": data}
	}
	return s.withToken(ctx, name, func(ctx context.Context) error {
		_, err := s.client.Logical().WriteWithContext(ctx, s.dataURL(p), body)
		return err
	})
}

// Delete removes the secret at name; on KV v2 with all its versions and
// metadata, so nothing of the value is left to undelete. Deleting a name that
// does not exist succeeds, as it does in Vault.
func (s *Store) Delete(ctx context.Context, name string) error {
	p, err := s.secretPath(name)
	if err != nil {
		return err
	}
	target := s.cfg.mount + "/" + p
	if s.cfg.engine == EngineKV2 {
		target = s.cfg.mount + "/metadata/" + p
	}
	return s.withToken(ctx, name, func(ctx context.Context) error {
		_, err := s.client.Logical().DeleteWithContext(ctx, target)
		return err
	})
}

// withToken runs op with a fresh token. If Vault answers 403 (the token was
// revoked or expired early), it logs in again once and retries, so a token
// lost on the Vault side costs one extra login rather than a failed run.
func (s *Store) withToken(ctx context.Context, name string, op func(context.Context) error) error {
	tok, err := s.ensureToken(ctx)
	if err != nil {
		return err
	}
	err = op(ctx)
	if statusOf(err) == http.StatusForbidden {
		s.log.Debug("vault refused the token; logging in again")
		if _, err := s.relogin(ctx, tok); err != nil {
			return err
		}
		err = op(ctx)
	}
	if err != nil {
		return s.mapError(err, name)
	}
	return nil
}

// ensureToken returns a token that is valid now: it logs in on first use or
// after expiry, and renews once renewFraction of the lease has passed.
func (s *Store) ensureToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	switch {
	case s.sess.token == "":
		return s.login(ctx)
	case s.sess.expires.IsZero():
		return s.sess.token, nil
	case !now.Before(s.sess.expires):
		s.log.Debug("vault token expired; logging in again")
		return s.login(ctx)
	case now.Sub(s.sess.obtained) >= time.Duration(float64(s.sess.lease)*renewFraction):
		return s.renew(ctx)
	}
	return s.sess.token, nil
}

// relogin logs in again unless another caller already replaced failed.
func (s *Store) relogin(ctx context.Context, failed string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess.token != "" && s.sess.token != failed {
		return s.sess.token, nil
	}
	return s.login(ctx)
}

// renew extends the token's lease, or logs in again when the token cannot be
// renewed, the renewal fails, or the lease has hit its max TTL (renewal then
// grants ever shorter leases). Callers hold s.mu.
func (s *Store) renew(ctx context.Context) (string, error) {
	if !s.sess.renewable {
		if s.cfg.authMethod == AuthToken {
			return s.sess.token, nil // nothing to do until it expires
		}
		return s.login(ctx)
	}
	secret, err := s.loginClient.Auth().Token().RenewTokenAsSelfWithContext(ctx, s.sess.token, int(s.sess.ttl.Seconds()))
	if err != nil || secret == nil || secret.Auth == nil {
		if s.cfg.authMethod == AuthToken {
			// The configured token is all there is; keep using it while it lasts.
			s.log.Warn("vault token renewal failed; the configured token will expire", "cause", s.scrub(errText(err)))
			return s.sess.token, nil
		}
		s.log.Info("vault token renewal failed; logging in again", "cause", s.scrub(errText(err)))
		return s.login(ctx)
	}
	lease := time.Duration(secret.Auth.LeaseDuration) * time.Second
	if s.cfg.authMethod != AuthToken && lease*3 < s.sess.ttl {
		s.log.Debug("vault token near its max TTL; logging in again", "lease", lease)
		return s.login(ctx)
	}
	now := s.clock.Now()
	s.sess.obtained, s.sess.lease, s.sess.renewable = now, lease, secret.Auth.Renewable
	if lease > 0 {
		s.sess.expires = now.Add(lease)
	}
	s.log.Debug("vault token renewed", "lease", lease)
	return s.sess.token, nil
}

// login obtains a new token with the configured auth method. For the token
// method there is nothing to exchange: looking the token up learns its lease
// and proves it valid. Callers hold s.mu.
func (s *Store) login(ctx context.Context) (string, error) {
	s.sess = session{}
	s.client.ClearToken()
	now := s.clock.Now()
	var sess session
	switch s.cfg.authMethod {
	case AuthToken:
		tok := s.cfg.token.Reveal()
		secret, err := s.loginClient.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			return "", s.loginError(err)
		}
		ttl, _ := secret.TokenTTL()
		renewable, _ := secret.TokenIsRenewable()
		sess = session{token: tok, ttl: ttl, lease: ttl, renewable: renewable}
	default:
		path, body := s.loginRequest()
		secret, err := s.loginClient.Logical().WriteWithContext(ctx, path, body)
		if err != nil {
			return "", s.loginError(err)
		}
		if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
			return "", &junction.Error{Code: junction.ECREDSTOREAUTH,
				Message: fmt.Sprintf("credential store %q: Vault's %s login at auth/%s returned no token", s.name, s.cfg.authMethod, s.cfg.authMount)}
		}
		ttl := time.Duration(secret.Auth.LeaseDuration) * time.Second
		sess = session{token: secret.Auth.ClientToken, ttl: ttl, lease: ttl, renewable: secret.Auth.Renewable}
	}
	sess.obtained = now
	if sess.ttl > 0 {
		sess.expires = now.Add(sess.ttl)
	}
	s.sess = sess
	s.current.Store(sess.token)
	s.client.SetToken(sess.token)
	s.log.Debug("logged in to vault", "auth_method", s.cfg.authMethod, "lease", sess.ttl, "renewable", sess.renewable)
	return sess.token, nil
}

func (s *Store) loginRequest() (string, map[string]any) {
	base := "auth/" + s.cfg.authMount + "/login"
	switch s.cfg.authMethod {
	case AuthAppRole:
		return base, map[string]any{"role_id": s.cfg.roleID, "secret_id": s.cfg.secretID.Reveal()}
	default: // userpass, ldap
		return base + "/" + url.PathEscape(s.cfg.username), map[string]any{"password": s.cfg.password.Reveal()}
	}
}

// loginError maps a failed login. Vault answers bad credentials with 400
// (AppRole, userpass, LDAP) or 403 (a token), and an unknown auth mount with
// 404 or 400; all of these mean Junction's login is refused.
func (s *Store) loginError(err error) error {
	status := statusOf(err)
	if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
		what := "the configured token"
		if s.cfg.authMethod != AuthToken {
			what = fmt.Sprintf("the %s login at auth/%s", s.cfg.authMethod, s.cfg.authMount)
		}
		return &junction.Error{
			Code:    junction.ECREDSTOREAUTH,
			Message: fmt.Sprintf("credential store %q refused %s (HTTP %d%s)", s.name, what, status, s.vaultSaid(err)),
			Err:     s.scrubbedCause(err),
		}
	}
	return s.mapError(err, "")
}

// mapError turns a failed secret operation into the contract's codes. name,
// when set, is the external name of the secret concerned.
func (s *Store) mapError(err error, name string) error {
	var je *junction.Error
	if errors.As(err, &je) {
		return je
	}
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isTransport(err) {
			return storehttp.Unavailable(s.name, err)
		}
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q answered with something that is not a Vault response", s.name),
			Err:     s.scrubbedCause(err)}
	}
	switch st := re.StatusCode; {
	case st == http.StatusServiceUnavailable && containsFold(re.Errors, "sealed"):
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q is unavailable: Vault is sealed", s.name)}
	case st >= 500 || st == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q is unavailable: Vault answered HTTP %d%s", s.name, st, s.vaultSaid(err)),
			Err:     s.scrubbedCause(err)}
	case st == http.StatusForbidden:
		msg := fmt.Sprintf("credential store %q denied Junction's token access", s.name)
		if name != "" {
			msg = fmt.Sprintf("credential store %q denied Junction's token access to %q; check the token's policies", s.name, name)
		}
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Message: msg, Err: s.scrubbedCause(err)}
	case st == http.StatusNotFound && containsFold(re.Errors, "versioned K/V"):
		return junction.Invalid("engine", "mount %q of credential store %q is a KV v2 engine; set engine to kv-v2", s.cfg.mount, s.name)
	case st == http.StatusNotFound && name != "":
		return s.notFound(name)
	default:
		return &junction.Error{Code: junction.EINVALID,
			Message: fmt.Sprintf("credential store %q rejected the request (HTTP %d%s); check its mount and engine settings", s.name, st, s.vaultSaid(err)),
			Err:     s.scrubbedCause(err)}
	}
}

func (s *Store) notFound(name string) error {
	return &junction.Error{Code: junction.ECREDNOTFOUND,
		Message: fmt.Sprintf("credential store %q has no secret %q (looked in %s)", s.name, name, s.logicalPath(name))}
}

// decode picks the configured keys out of a secret's data.
func (s *Store) decode(kind junction.SecretKind, name string, data map[string]any) (junction.StoredSecret, error) {
	str := func(key string) (string, error) {
		v, ok := data[key]
		if !ok || v == nil {
			return "", &junction.Error{Code: junction.EINVALID,
				Message: fmt.Sprintf("secret %q in credential store %q has no %q key (it has: %s)", name, s.name, key, keyList(data))}
		}
		switch v := v.(type) {
		case string:
			return v, nil
		case fmt.Stringer: // json.Number
			return v.String(), nil
		case bool, float64, int, int64:
			return fmt.Sprint(v), nil
		}
		return "", &junction.Error{Code: junction.EINVALID,
			Message: fmt.Sprintf("key %q of secret %q in credential store %q is not a string", key, name, s.name)}
	}
	switch kind {
	case junction.KindCredential:
		user, err := str(s.cfg.usernameKey)
		if err != nil {
			return junction.StoredSecret{}, err
		}
		pw, err := str(s.cfg.passwordKey)
		if err != nil {
			return junction.StoredSecret{}, err
		}
		return junction.StoredSecret{Username: user, Value: junction.NewSecret(pw)}, nil
	default:
		v, err := str(s.cfg.valueKey)
		if err != nil {
			return junction.StoredSecret{}, err
		}
		return junction.StoredSecret{Value: junction.NewSecret(v)}, nil
	}
}

// secretData returns the key/value map of a read, or nil when the secret is
// absent or (KV v2) its latest version is deleted.
func (s *Store) secretData(secret *vaultapi.Secret) map[string]any {
	if secret == nil || secret.Data == nil {
		return nil
	}
	if s.cfg.engine == EngineKV1 {
		return secret.Data
	}
	d, _ := secret.Data["data"].(map[string]any)
	return d
}

// secretPath is the path of name under the mount, with data_path prefixed.
func (s *Store) secretPath(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if s.cfg.dataPath == "" {
		return name, nil
	}
	return s.cfg.dataPath + "/" + name, nil
}

// dataURL is the API path reads and writes go to.
func (s *Store) dataURL(p string) string {
	if s.cfg.engine == EngineKV2 {
		return s.cfg.mount + "/data/" + p
	}
	return s.cfg.mount + "/" + p
}

// logicalPath is where an operator finds name with `vault kv get`.
func (s *Store) logicalPath(name string) string {
	p := s.cfg.mount + "/" + name
	if s.cfg.dataPath != "" {
		p = s.cfg.mount + "/" + s.cfg.dataPath + "/" + name
	}
	if s.cfg.namespace != "" {
		p = s.cfg.namespace + "/" + p
	}
	return p
}

// vaultSaid returns Vault's own error text as ": ..." for messages, with any
// configured secret scrubbed; an unparsed body is never quoted because it
// might be a proxy echoing the request.
func (s *Store) vaultSaid(err error) string {
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) || re.RawError || len(re.Errors) == 0 {
		return ""
	}
	msg := strings.Join(re.Errors, "; ")
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return ": " + s.scrub(msg)
}

// scrubbedCause keeps the status and Vault's error text as the cause, without
// the request URL or anything the configuration holds secret.
func (s *Store) scrubbedCause(err error) error {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) {
		return fmt.Errorf("vault %s: HTTP %d%s", re.HTTPMethod, re.StatusCode, s.vaultSaid(err))
	}
	return errors.New(s.scrub(err.Error()))
}

func (s *Store) scrub(text string) string {
	for _, secret := range []junction.Secret{s.cfg.token, s.cfg.secretID, s.cfg.password} {
		if !secret.IsZero() {
			text = strings.ReplaceAll(text, secret.Reveal(), junction.Redacted)
		}
	}
	if t, _ := s.current.Load().(string); t != "" {
		text = strings.ReplaceAll(text, t, junction.Redacted)
	}
	return text
}

func statusOf(err error) int {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func isTransport(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}

func checkKind(kind junction.SecretKind) error {
	switch kind {
	case junction.KindCredential, junction.KindSecret:
		return nil
	}
	return junction.Invalid("kind", "must be credential or secret, not %q", kind)
}

func containsFold(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(strings.ToLower(s), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

func keyList(data map[string]any) string {
	if len(data) == 0 {
		return "no keys"
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func errText(err error) string {
	if err == nil {
		return "empty response"
	}
	return err.Error()
}
