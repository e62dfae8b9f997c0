package app

import (
	"context"
	"errors"
	"fmt"
	"junction/outbound"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"junction"
	"junction/resolver"
)

// Credential stores are tenant-level objects: every CredentialStores.*
// permission is checked tenant-wide. Their login secrets (a Vault token, an
// AppRole secret ID, a client secret) are sealed at rest and never returned;
// callers see only which secret keys are set.

// DatabaseStoreName is the name of the built-in database store every tenant
// has.
const DatabaseStoreName = "Database"

// CredentialStoreView is a credential store as callers see it. The embedded
// configuration holds the non-secret keys only; SecretKeys names the secret
// ones that are set.
type CredentialStoreView struct {
	*junction.CredentialStoreConfig
	// BuiltIn marks the tenant's database store, which cannot be changed or
	// deleted.
	BuiltIn bool `json:"built_in"`
}

func storeView(cfg *junction.CredentialStoreConfig) *CredentialStoreView {
	if cfg.Config == nil {
		cfg.Config = map[string]string{}
	}
	return &CredentialStoreView{CredentialStoreConfig: cfg, BuiltIn: cfg.Type == junction.DatabaseStoreType}
}

// newDatabaseStore is the built-in store a tenant starts with.
func newDatabaseStore(tenantID string, now time.Time) *junction.CredentialStoreConfig {
	return &junction.CredentialStoreConfig{
		ID: junction.NewID(), TenantID: tenantID, Name: DatabaseStoreName, Type: junction.DatabaseStoreType,
		Config: map[string]string{}, CreatedAt: now, UpdatedAt: now,
	}
}

// databaseStore returns the tenant's built-in database store, creating it
// in st when the tenant predates credential stores. Tenants created since
// get it with their seed; this covers older ones without a migration pass
// that would need the services' rules inside sqldb.
func (a *App) databaseStore(ctx context.Context, st junction.Store, tenantID string) (*junction.CredentialStoreConfig, error) {
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		cs, err := st.ListCredentialStores(ctx, tenantID, page)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Type == junction.DatabaseStoreType {
				return c, nil
			}
		}
		if len(cs) < page.Limit {
			break
		}
		page.After = cs[len(cs)-1].ID
	}
	db := newDatabaseStore(tenantID, a.now())
	if err := st.CreateCredentialStore(ctx, db); err != nil {
		return nil, conflictName(err, "name",
			"this tenant has no database store, and its name %q is taken by another store; rename that store", DatabaseStoreName)
	}
	if err := a.auditIn(ctx, st, tenantID, nil, "credential_store.create", "credential_store", db.ID, "",
		map[string]any{"name": db.Name, "type": db.Type, "built_in": true}); err != nil {
		return nil, err
	}
	return db, nil
}

// EnsureDatabaseStores gives every tenant that lacks one its built-in
// database store. Main calls it at start, so tenants created before
// credential stores existed behave like new ones; services that need the
// store also create it on demand.
func (a *App) EnsureDatabaseStores(ctx context.Context) error {
	return a.eachTenant(ctx, func(t *junction.Tenant) error {
		return a.tx(ctx, func(tx junction.Store) error {
			_, err := a.databaseStore(ctx, tx, t.ID)
			return err
		})
	})
}

// WarnInsecureStores logs a warning for every credential store of every
// tenant that allows plain http://. Main calls it at start so an insecure
// store is never forgotten in a production log.
func (a *App) WarnInsecureStores(ctx context.Context) error {
	return a.eachTenant(ctx, func(t *junction.Tenant) error {
		page := junction.Page{Limit: junction.MaxPageSize}
		for {
			cs, err := a.store.ListCredentialStores(ctx, t.ID, page)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.Insecure {
					a.warnInsecure(ctx, c)
				}
			}
			if len(cs) < page.Limit {
				return nil
			}
			page.After = cs[len(cs)-1].ID
		}
	})
}

func (a *App) warnInsecure(ctx context.Context, c *junction.CredentialStoreConfig) {
	a.log(ctx).LogAttrs(ctx, slog.LevelWarn,
		"credential store allows plain http: its login and every secret read from it cross the network unencrypted; use it for local development only",
		slog.String("tenant_id", c.TenantID), slog.String("credential_store_id", c.ID),
		slog.String("credential_store", c.Name), slog.String("store_type", c.Type))
}

func (a *App) eachTenant(ctx context.Context, fn func(*junction.Tenant) error) error {
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		ts, err := a.store.ListTenants(ctx, page)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if err := fn(t); err != nil {
				return fmt.Errorf("tenant %s: %w", t.Name, err)
			}
		}
		if len(ts) < page.Limit {
			return nil
		}
		page.After = ts[len(ts)-1].ID
	}
}

// StoreTypes returns the credential store types that can be created, sorted
// by name.
func (a *App) StoreTypes() []junction.CredentialStoreType {
	names := slices.Sorted(maps.Keys(a.storeTypes))
	out := make([]junction.CredentialStoreType, 0, len(names))
	for _, n := range names {
		out = append(out, a.storeTypes[n])
	}
	return out
}

// storeType looks up an external store type, listing the known ones when it
// is unknown.
func (a *App) storeType(name string) (junction.CredentialStoreType, error) {
	if name == junction.DatabaseStoreType {
		return junction.CredentialStoreType{}, junction.Invalid("type",
			"the database store is built in: every tenant has exactly one, named %q", DatabaseStoreName)
	}
	t, ok := a.storeTypes[name]
	if !ok {
		known := slices.Sorted(maps.Keys(a.storeTypes))
		if name == "" {
			return t, &junction.Error{Code: junction.EINVALID, Field: "type",
				Message: "is required; known types: " + strings.Join(known, ", "), Details: map[string]any{"known_types": known}}
		}
		return t, &junction.Error{Code: junction.EINVALID, Field: "type",
			Message: fmt.Sprintf("unknown credential store type %q; known types: %s", name, strings.Join(known, ", ")),
			Details: map[string]any{"known_types": known}}
	}
	return t, nil
}

func (a *App) needResolver() error {
	if a.resolver == nil {
		return junction.Internal(errors.New("app: no resolver configured for credential stores"))
	}
	return nil
}

// cleanProxyURL checks a store's proxy. A proxy password is refused: the
// proxy URL is shown to everyone who may view the store.
func cleanProxyURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
		return "", junction.Invalid("proxy_url", "must be an absolute URL such as http://proxy.example.com:3128")
	}
	if u.User != nil {
		return "", junction.Invalid("proxy_url", "must not carry a user name or password: it is shown to everyone who may view the store")
	}
	return s, nil
}

// configField names a store configuration key as the request does. The
// adapters name their own keys ("address"); the API nests them in config.
func configField(err error) error {
	var e *junction.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	switch e.Field {
	case "name", "type", "read_only", "insecure", "proxy_url", "proxy_id":
		return err
	}
	if strings.HasPrefix(e.Field, "config.") {
		return err
	}
	c := *e
	c.Field = "config." + e.Field
	return &c
}

// splitConfig separates secret configuration keys (sealed) from the others
// (stored as they are). Keys the type does not know count as non-secret;
// the adapter then rejects them by name.
func splitConfig(t junction.CredentialStoreType, config map[string]string) (plain, secret map[string]string) {
	secretKey := map[string]bool{}
	for _, k := range t.ConfigKeys {
		if k.Secret {
			secretKey[k.Name] = true
		}
	}
	plain, secret = map[string]string{}, map[string]string{}
	for k, v := range config {
		if v == "" {
			continue
		}
		if secretKey[k] {
			secret[k] = v
		} else {
			plain[k] = v
		}
	}
	return plain, secret
}

// validateStore opens an adapter from the configuration, which checks every
// key without contacting the vault, and closes it again.
func (a *App) validateStore(ctx context.Context, cfg *junction.CredentialStoreConfig, secrets map[string]string) error {
	s, err := a.resolver.OpenWith(ctx, cfg, secrets)
	if err != nil {
		return configField(err)
	}
	if c, ok := s.(junction.Closer); ok {
		_ = c.Close()
	}
	return nil
}

// sealStoreSecrets writes the secret keys of cfg sealed, or deletes the
// sealed value when none is left, and sets cfg.SealedID and SecretKeys.
func (a *App) sealStoreSecrets(ctx context.Context, tx junction.Store, cfg *junction.CredentialStoreConfig, secrets map[string]string) error {
	if len(secrets) == 0 {
		if cfg.SealedID != "" {
			if err := tx.DeleteSealed(ctx, cfg.TenantID, cfg.SealedID); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
		}
		cfg.SealedID, cfg.SecretKeys = "", nil
		return nil
	}
	if a.keyring == nil {
		return junction.Internal(errors.New("app: no keyring configured"))
	}
	if cfg.SealedID == "" {
		cfg.SealedID = junction.NewID()
	}
	sv, err := resolver.SealStoreSecrets(a.keyring, cfg.TenantID, cfg.SealedID, secrets)
	if err != nil {
		return err
	}
	if err := tx.PutSealed(ctx, sv); err != nil {
		return err
	}
	cfg.SecretKeys = slices.Sorted(maps.Keys(secrets))
	return nil
}

// CreateCredentialStoreInput describes a new external credential store.
type CreateCredentialStoreInput struct {
	Name string
	Type string
	// ReadOnly stores are never written to. Stores of a type that cannot
	// write (cyberark-ccp) are always read-only.
	ReadOnly bool
	// Insecure allows plain http:// (local development only).
	Insecure bool
	ProxyURL string
	// ProxyID names the credential proxy the store goes through; the type
	// is then credentials-proxy (the default) and the configuration names
	// only the store on the proxy ("store").
	ProxyID string
	// AllowedHosts confine where the values of the store's secrets may be
	// sent, through any asset (see junction.CredentialStoreConfig).
	AllowedHosts []string
	// Config holds every configuration key of the type, secret ones
	// included; the type says which are sealed. Empty values are ignored.
	Config map[string]junction.Secret
}

// CreateCredentialStore creates an external credential store. Needs
// CredentialStores.Create. The configuration is validated by the type's
// adapter without contacting the vault; POST .../test does that.
func (a *App) CreateCredentialStore(ctx context.Context, p *junction.Principal, in CreateCredentialStoreInput) (*CredentialStoreView, error) {
	if err := requireTenant(p, junction.PermCredentialStoresCreate); err != nil {
		return nil, err
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, err
	}
	typeName, proxyID := strings.TrimSpace(in.Type), strings.TrimSpace(in.ProxyID)
	if typeName == "" && proxyID != "" {
		typeName = junction.CredentialProxyStoreType
	}
	typ, err := a.storeType(typeName)
	if err != nil {
		return nil, err
	}
	proxy, err := cleanProxyURL(in.ProxyURL)
	if err != nil {
		return nil, err
	}
	hosts, err := storeHosts(in.AllowedHosts)
	if err != nil {
		return nil, err
	}
	raw := make(map[string]string, len(in.Config))
	for k, v := range in.Config {
		raw[k] = v.Reveal()
	}
	plain, secrets := splitConfig(typ, raw)
	defer clear(secrets)
	now := a.now()
	cfg := &junction.CredentialStoreConfig{
		ID: junction.NewID(), TenantID: p.TenantID(), Name: name, Type: typ.Name,
		ReadOnly: in.ReadOnly || !typ.Writable, Insecure: in.Insecure, ProxyURL: proxy, ProxyID: proxyID,
		AllowedHosts: hosts, Config: plain, CreatedAt: now, UpdatedAt: now,
	}
	if err := a.checkStoreProxy(ctx, a.store, cfg, secrets); err != nil {
		return nil, err
	}
	if err := a.validateStore(ctx, cfg, secrets); err != nil {
		return nil, err
	}
	err = a.tx(ctx, func(tx junction.Store) error {
		// The database store is created first for tenants that predate
		// it, so a new store cannot take its name.
		if _, err := a.databaseStore(ctx, tx, p.TenantID()); err != nil {
			return err
		}
		if err := a.sealStoreSecrets(ctx, tx, cfg, secrets); err != nil {
			return err
		}
		if err := tx.CreateCredentialStore(ctx, cfg); err != nil {
			return conflictName(err, "name", "a credential store named %q already exists", name)
		}
		return a.audit(ctx, tx, p, "credential_store.create", "credential_store", cfg.ID, "", storeAuditDetails(cfg))
	})
	if err != nil {
		return nil, err
	}
	if cfg.Insecure {
		a.warnInsecure(ctx, cfg)
	}
	return storeView(cfg), nil
}

// storeAuditDetails describes a store for the audit log: names of keys,
// never their values.
func storeAuditDetails(cfg *junction.CredentialStoreConfig) map[string]any {
	keys := slices.Sorted(maps.Keys(cfg.Config))
	secretKeys := slices.Clone(cfg.SecretKeys)
	if secretKeys == nil {
		secretKeys = []string{}
	}
	return map[string]any{
		"name": cfg.Name, "type": cfg.Type, "read_only": cfg.ReadOnly, "insecure": cfg.Insecure,
		"proxy": cfg.ProxyURL != "", "proxy_id": cfg.ProxyID, "config_keys": keys, "secret_keys": secretKeys,
		"allowed_hosts": auditHosts(cfg.AllowedHosts),
	}
}

// storeIn loads a credential store of the caller's tenant.
func (a *App) storeIn(ctx context.Context, st junction.Store, p *junction.Principal, id string) (*junction.CredentialStoreConfig, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("credential store")
	}
	return st.GetCredentialStore(ctx, p.TenantID(), id)
}

// GetCredentialStore returns a store. Needs CredentialStores.View.
func (a *App) GetCredentialStore(ctx context.Context, p *junction.Principal, id string) (*CredentialStoreView, error) {
	if err := requireTenant(p, junction.PermCredentialStoresView); err != nil {
		return nil, err
	}
	cfg, err := a.storeIn(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	return storeView(cfg), nil
}

// ListCredentialStores lists the tenant's stores, the database store
// included. Needs CredentialStores.View.
func (a *App) ListCredentialStores(ctx context.Context, p *junction.Principal, page junction.Page) (List[*CredentialStoreView], error) {
	var empty List[*CredentialStoreView]
	if err := requireTenant(p, junction.PermCredentialStoresView); err != nil {
		return empty, err
	}
	if err := checkCursor(page); err != nil {
		return empty, err
	}
	cs, err := a.store.ListCredentialStores(ctx, p.TenantID(), page.Normalize())
	if err != nil {
		return empty, err
	}
	views := make([]*CredentialStoreView, len(cs))
	for i, c := range cs {
		views[i] = storeView(c)
	}
	return newList(views, page, func(v *CredentialStoreView) string { return v.ID }), nil
}

// UpdateCredentialStoreInput changes a store. Nil fields stay as they are.
type UpdateCredentialStoreInput struct {
	Name     *string
	ReadOnly *bool
	Insecure *bool
	ProxyURL *string
	// ProxyID changes the credential proxy the store goes through; ""
	// stops going through one.
	ProxyID *string
	// AllowedHosts replaces the store's allowed hosts; an empty list lifts
	// the confinement.
	AllowedHosts *[]string
	// Config changes configuration keys one by one: a key left out keeps
	// its value (a secret one its sealed value); a key set to nil or ""
	// is removed.
	Config map[string]*junction.Secret
}

// UpdateCredentialStore changes an external store. Needs
// CredentialStores.Edit; the database store answers conflict. The new
// configuration is validated like a new one, and the live adapter is
// dropped so the next use opens the new configuration.
func (a *App) UpdateCredentialStore(ctx context.Context, p *junction.Principal, id string, in UpdateCredentialStoreInput) (*CredentialStoreView, error) {
	if err := requireTenant(p, junction.PermCredentialStoresEdit); err != nil {
		return nil, err
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	var out *junction.CredentialStoreConfig
	err := a.tx(ctx, func(tx junction.Store) error {
		cfg, err := a.storeIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if cfg.Type == junction.DatabaseStoreType {
			return builtInStore()
		}
		typ, err := a.storeType(cfg.Type)
		if err != nil {
			return junction.Internal(fmt.Errorf("credential store %s has type %q, which this server does not know: %w", cfg.ID, cfg.Type, err))
		}
		var changed []string
		if in.Name != nil {
			name, err := cleanName("name", *in.Name)
			if err != nil {
				return err
			}
			if name != cfg.Name {
				cfg.Name = name
				changed = append(changed, "name")
			}
		}
		if in.ReadOnly != nil && *in.ReadOnly != cfg.ReadOnly {
			if !*in.ReadOnly && !typ.Writable {
				return junction.Invalid("read_only", "stores of type %s cannot be written to, so they are always read-only", typ.Name)
			}
			cfg.ReadOnly = *in.ReadOnly
			changed = append(changed, "read_only")
		}
		if in.Insecure != nil && *in.Insecure != cfg.Insecure {
			cfg.Insecure = *in.Insecure
			changed = append(changed, "insecure")
		}
		if in.ProxyURL != nil {
			proxy, err := cleanProxyURL(*in.ProxyURL)
			if err != nil {
				return err
			}
			if proxy != cfg.ProxyURL {
				cfg.ProxyURL = proxy
				changed = append(changed, "proxy_url")
			}
		}
		if in.ProxyID != nil && strings.TrimSpace(*in.ProxyID) != cfg.ProxyID {
			cfg.ProxyID = strings.TrimSpace(*in.ProxyID)
			changed = append(changed, "proxy_id")
		}
		if in.AllowedHosts != nil {
			hosts, err := storeHosts(*in.AllowedHosts)
			if err != nil {
				return err
			}
			if !slices.Equal(hosts, cfg.AllowedHosts) {
				cfg.AllowedHosts = hosts
				changed = append(changed, "allowed_hosts")
			}
		}
		secrets := map[string]string{}
		if cfg.SealedID != "" {
			if secrets, err = resolver.OpenStoreSecrets(ctx, tx, a.keyring, cfg.TenantID, cfg.SealedID); err != nil {
				return err
			}
		}
		defer func() { clear(secrets) }()
		secretsChanged := false
		if len(in.Config) > 0 {
			merged := maps.Clone(cfg.Config)
			maps.Copy(merged, secrets)
			for _, k := range slices.Sorted(maps.Keys(in.Config)) {
				v := in.Config[k]
				if v == nil || v.IsZero() {
					if _, ok := merged[k]; !ok {
						continue
					}
					delete(merged, k)
				} else if merged[k] == v.Reveal() {
					continue
				} else {
					merged[k] = v.Reveal()
				}
				changed = append(changed, "config."+k)
			}
			plain, newSecrets := splitConfig(typ, merged)
			clear(merged)
			secretsChanged = !maps.Equal(secrets, newSecrets)
			clear(secrets)
			cfg.Config, secrets = plain, newSecrets
		}
		if len(changed) == 0 {
			out = cfg
			return nil
		}
		if err := a.checkStoreProxy(ctx, tx, cfg, secrets); err != nil {
			return err
		}
		if err := a.validateStore(ctx, cfg, secrets); err != nil {
			return err
		}
		if secretsChanged {
			if err := a.sealStoreSecrets(ctx, tx, cfg, secrets); err != nil {
				return err
			}
		}
		cfg.UpdatedAt = a.now()
		if err := tx.UpdateCredentialStore(ctx, cfg); err != nil {
			return conflictName(err, "name", "a credential store named %q already exists", cfg.Name)
		}
		out = cfg
		details := storeAuditDetails(cfg)
		details["changed"] = changed
		return a.audit(ctx, tx, p, "credential_store.update", "credential_store", cfg.ID, "", details)
	})
	if err != nil {
		return nil, err
	}
	a.resolver.Forget(out.ID)
	if out.Insecure && in.Insecure != nil && *in.Insecure {
		a.warnInsecure(ctx, out)
	}
	return storeView(out), nil
}

func builtInStore() error {
	return junction.Errorf(junction.ECONFLICT,
		"the %q store is built in: it cannot be changed or deleted", DatabaseStoreName)
}

// DeleteCredentialStore deletes an external store and its sealed login.
// Needs CredentialStores.Delete. A store still referenced by assets, and
// the database store, answer conflict; the former with the count in
// Details["assets"].
func (a *App) DeleteCredentialStore(ctx context.Context, p *junction.Principal, id string) error {
	if err := requireTenant(p, junction.PermCredentialStoresDelete); err != nil {
		return err
	}
	var deleted string
	err := a.tx(ctx, func(tx junction.Store) error {
		cfg, err := a.storeIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if cfg.Type == junction.DatabaseStoreType {
			return builtInStore()
		}
		if err := tx.DeleteCredentialStore(ctx, p.TenantID(), cfg.ID); err != nil {
			var e *junction.Error
			if junction.IsCode(err, junction.ECONFLICT) && asError(err, &e) && e.Details["assets"] != nil {
				return &junction.Error{Code: junction.ECONFLICT, Err: err, Details: e.Details,
					Message: fmt.Sprintf("credential store %q is still used by %s; delete those assets or point them at another store first",
						cfg.Name, plural(e.Details["assets"], "asset", "assets"))}
			}
			return err
		}
		if cfg.SealedID != "" {
			if err := tx.DeleteSealed(ctx, cfg.TenantID, cfg.SealedID); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
		}
		deleted = cfg.ID
		return a.audit(ctx, tx, p, "credential_store.delete", "credential_store", cfg.ID, "",
			map[string]any{"name": cfg.Name, "type": cfg.Type})
	})
	if err == nil && a.resolver != nil {
		a.resolver.Forget(deleted)
	}
	return err
}

func plural(n any, one, many string) string {
	if fmt.Sprint(n) == "1" {
		return "1 " + one
	}
	return fmt.Sprint(n) + " " + many
}

// StoreTestResult is the outcome of testing a store's connection. A failed
// test is a successful diagnosis, not a failed request: OK is false and
// Code and Message say what to fix (login, permissions, reachability).
type StoreTestResult struct {
	OK      bool   `json:"ok"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Field names the configuration key at fault, when one is.
	Field string `json:"field,omitempty"`
	// Detail says why a store could not be reached (connection refused, a
	// timeout, TLS, the network guard). Only host administrators see it:
	// for anyone else it would map the networks around the server.
	Detail string `json:"detail,omitempty"`
}

// storeTestTimeout bounds a store test, retries included.
const storeTestTimeout = 30 * time.Second

// TestCredentialStore logs in to the store and proves it reachable, without
// reading any secret. It uses a fresh adapter, so the login really happens
// even when the live one holds a valid token. Needs CredentialStores.Edit:
// the people who fix a store's configuration are the ones who test it, and
// the test sends Junction's login to the vault.
func (a *App) TestCredentialStore(ctx context.Context, p *junction.Principal, id string) (*StoreTestResult, error) {
	if err := requireTenant(p, junction.PermCredentialStoresEdit); err != nil {
		return nil, err
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	cfg, err := a.storeIn(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	return a.testStore(ctx, cfg, p.User.HostAdmin)
}

// testStore logs in to cfg's store with a fresh adapter. withDetail adds
// why an unreachable store could not be reached, for host administrators
// and the operator running doctor.
func (a *App) testStore(ctx context.Context, cfg *junction.CredentialStoreConfig, withDetail bool) (*StoreTestResult, error) {
	if cfg.Type == junction.DatabaseStoreType {
		return &StoreTestResult{OK: true}, nil
	}
	s, err := a.resolver.Open(ctx, cfg)
	if err == nil {
		// A filtered port answers nothing: the caller gets the same answer
		// as for any unreachable store within a bounded time, whatever the
		// adapter's retries.
		cctx, cancel := context.WithTimeout(ctx, storeTestTimeout)
		err = s.Check(cctx)
		cancel()
		if c, ok := s.(junction.Closer); ok {
			_ = c.Close()
		}
	}
	if err == nil {
		return &StoreTestResult{OK: true}, nil
	}
	code := junction.ErrorCode(err)
	if code == junction.EINTERNAL {
		// A bug or a broken sealed login is ours to fix, not the caller's.
		return nil, err
	}
	res := &StoreTestResult{OK: false, Code: code, Message: junction.ErrorMessage(err)}
	var unreachable *junction.StoreUnreachableError
	if errors.As(err, &unreachable) {
		// The caller gets the one message every unreachable store gives;
		// the cause goes to the log, a refusal by the guard told apart.
		msg := "credential store test: credential store unreachable"
		if unreachable.Blocked {
			msg = "credential store test: credential store refused by the network guard"
		}
		a.log(ctx).LogAttrs(ctx, slog.LevelWarn, msg,
			slog.String("credential_store_id", cfg.ID), slog.String("host", unreachable.Host), slog.String("cause", unreachable.Diagnosis))
		if withDetail {
			res.Detail = unreachable.Diagnosis
		}
		return res, nil
	}
	a.log(ctx).LogAttrs(ctx, slog.LevelInfo, "credential store test failed",
		slog.String("credential_store_id", cfg.ID), slog.String("code", code), slog.Any("error", err))
	var e *junction.Error
	if asError(configField(err), &e) {
		res.Field = e.Field
	}
	return res, nil
}

// storeHosts checks a store's allowed hosts and returns them in canonical
// form, nil for none.
func storeHosts(hosts []string) ([]string, error) {
	out, err := outbound.ParseAllowedHosts("allowed_hosts", hosts)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}
