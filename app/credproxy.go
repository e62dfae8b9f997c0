package app

import (
	"context"
	"crypto/tls"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"junction"
	"junction/resolver"
)

// Credential proxies are tenant-level objects guarded by the credential
// store permissions: registering a proxy is configuring how stores are
// reached. Their key and client key are sealed and never returned.

// maxProxyURLs bounds the addresses of one proxy registration.
const maxProxyURLs = 10

// minProxyKeyLen matches the shortest key a proxy accepts.
const minProxyKeyLen = 32

// CreateCredentialProxyInput registers a Credentials Proxy.
type CreateCredentialProxyInput struct {
	Name string
	// URLs are the proxy's https:// addresses, tried in order.
	URLs []string
	// CACert is the PEM CA of the proxy's certificate (default: the
	// system roots).
	CACert string
	// ClientCert and ClientKey are presented to a proxy that requires
	// mutual TLS.
	ClientCert string
	ClientKey  junction.Secret
	// Key is the proxy's shared key; required unless a client certificate
	// is given.
	Key junction.Secret
}

// CreateCredentialProxy registers a proxy. Needs CredentialStores.Create.
// The settings are checked without contacting the proxy; POST .../test
// does that.
func (a *App) CreateCredentialProxy(ctx context.Context, p *junction.Principal, in CreateCredentialProxyInput) (*junction.CredentialProxy, error) {
	if err := requireTenant(p, junction.PermCredentialStoresCreate); err != nil {
		return nil, err
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	cp, secrets, err := planCredentialProxy(p.TenantID(), in)
	if err != nil {
		return nil, err
	}
	defer clear(secrets)
	cp.CreatedAt, cp.UpdatedAt = a.now(), a.now()
	// The settings are those of a store of the proxy type: opening one
	// checks the URLs, CA and client certificate as every request will.
	if err := a.validateStore(ctx, &junction.CredentialStoreConfig{Name: "credential proxy " + cp.Name, Type: junction.CredentialProxyStoreType,
		Config: map[string]string{"url": strings.Join(cp.URLs, ","), "ca_cert": cp.CACert, "client_cert": cp.ClientCert}}, secrets); err != nil {
		return nil, proxyField(err)
	}
	err = a.tx(ctx, func(tx junction.Store) error {
		if len(secrets) > 0 {
			cp.SealedID = junction.NewID()
			sv, err := resolver.SealStoreSecrets(a.keyring, cp.TenantID, cp.SealedID, secrets)
			if err != nil {
				return err
			}
			if err := tx.PutSealed(ctx, sv); err != nil {
				return err
			}
		}
		if err := tx.CreateCredentialProxy(ctx, cp); err != nil {
			return conflictName(err, "name", "a credential proxy named %q already exists", cp.Name)
		}
		return a.audit(ctx, tx, p, "credential_proxy.create", "credential_proxy", cp.ID, "", proxyAuditDetails(cp))
	})
	if err != nil {
		return nil, err
	}
	return cp, nil
}

// planCredentialProxy checks the input and returns the registration and
// its secret settings, to be sealed.
func planCredentialProxy(tenantID string, in CreateCredentialProxyInput) (*junction.CredentialProxy, map[string]string, error) {
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, nil, err
	}
	var urls []string
	for _, raw := range in.URLs {
		for _, u := range strings.Split(raw, ",") {
			if u = strings.TrimSpace(u); u != "" {
				urls = append(urls, u)
			}
		}
	}
	if len(urls) == 0 {
		return nil, nil, junction.Invalid("urls", "is required: the proxy's https:// address, or several")
	}
	if len(urls) > maxProxyURLs {
		return nil, nil, junction.Invalid("urls", "must list at most %d addresses", maxProxyURLs)
	}
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, nil, junction.Invalid("urls", "must be https:// addresses such as https://proxy.internal:8443, without credentials")
		}
	}
	secrets := map[string]string{}
	if !in.Key.IsZero() {
		if len(in.Key.Reveal()) < minProxyKeyLen {
			return nil, nil, junction.Invalid("key", "must be at least %d characters, as the proxy requires", minProxyKeyLen)
		}
		secrets["key"] = in.Key.Reveal()
	}
	certPEM := strings.TrimSpace(in.ClientCert)
	if (certPEM == "") != in.ClientKey.IsZero() {
		return nil, nil, junction.Invalid("client_cert", "client_cert and client_key go together")
	}
	if certPEM != "" {
		if _, err := tls.X509KeyPair([]byte(in.ClientCert), []byte(in.ClientKey.Reveal())); err != nil {
			return nil, nil, junction.Invalid("client_cert", "client certificate and key are not a valid PEM pair")
		}
		secrets["client_key"] = in.ClientKey.Reveal()
	}
	if len(secrets) == 0 {
		return nil, nil, junction.Invalid("key", "is required unless a client certificate is set: a proxy serves no one it cannot authenticate")
	}
	return &junction.CredentialProxy{
		ID: junction.NewID(), TenantID: tenantID, Name: name, URLs: urls, CACert: strings.TrimSpace(in.CACert),
		ClientCert: certPEM, SecretKeys: slices.Sorted(maps.Keys(secrets)),
	}, secrets, nil
}

// proxyField names the registration's field for a store-type error: the
// adapter says "url", the API "urls".
func proxyField(err error) error {
	var e *junction.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Field = strings.TrimPrefix(c.Field, "config.")
	if c.Field == "url" {
		c.Field = "urls"
	}
	return &c
}

// proxyProbe is a store with no store name going through cp: opening it
// checks the proxy's settings, and its Check proves the proxy reachable
// and accepting Junction.
func proxyProbe(cp *junction.CredentialProxy) *junction.CredentialStoreConfig {
	return &junction.CredentialStoreConfig{TenantID: cp.TenantID, Name: "credential proxy " + cp.Name,
		Type: junction.CredentialProxyStoreType, ProxyID: cp.ID, Config: map[string]string{}, UpdatedAt: cp.UpdatedAt}
}

func proxyAuditDetails(cp *junction.CredentialProxy) map[string]any {
	keys := slices.Clone(cp.SecretKeys)
	if keys == nil {
		keys = []string{}
	}
	return map[string]any{"name": cp.Name, "urls": cp.URLs, "ca_cert": cp.CACert != "", "client_cert": cp.ClientCert != "",
		"secret_keys": keys}
}

func (a *App) proxyIn(ctx context.Context, st junction.Store, p *junction.Principal, id string) (*junction.CredentialProxy, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("credential proxy")
	}
	return st.GetCredentialProxy(ctx, p.TenantID(), id)
}

// GetCredentialProxy returns a registration. Needs CredentialStores.View.
func (a *App) GetCredentialProxy(ctx context.Context, p *junction.Principal, id string) (*junction.CredentialProxy, error) {
	if err := requireTenant(p, junction.PermCredentialStoresView); err != nil {
		return nil, err
	}
	return a.proxyIn(ctx, a.store, p, id)
}

// ListCredentialProxies lists the tenant's proxies. Needs
// CredentialStores.View.
func (a *App) ListCredentialProxies(ctx context.Context, p *junction.Principal, page junction.Page) (List[*junction.CredentialProxy], error) {
	var empty List[*junction.CredentialProxy]
	if err := requireTenant(p, junction.PermCredentialStoresView); err != nil {
		return empty, err
	}
	if err := checkCursor(page); err != nil {
		return empty, err
	}
	ps, err := a.store.ListCredentialProxies(ctx, p.TenantID(), page.Normalize())
	if err != nil {
		return empty, err
	}
	return newList(ps, page, func(v *junction.CredentialProxy) string { return v.ID }), nil
}

// DeleteCredentialProxy deletes a registration and its sealed key. Needs
// CredentialStores.Delete; a proxy a store still goes through answers
// conflict.
func (a *App) DeleteCredentialProxy(ctx context.Context, p *junction.Principal, id string) error {
	if err := requireTenant(p, junction.PermCredentialStoresDelete); err != nil {
		return err
	}
	return a.tx(ctx, func(tx junction.Store) error {
		cp, err := a.proxyIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteCredentialProxy(ctx, cp.TenantID, cp.ID); err != nil {
			return err
		}
		if cp.SealedID != "" {
			if err := tx.DeleteSealed(ctx, cp.TenantID, cp.SealedID); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
		}
		return a.audit(ctx, tx, p, "credential_proxy.delete", "credential_proxy", cp.ID, "", map[string]any{"name": cp.Name})
	})
}

// TestCredentialProxy proves the proxy reachable, its certificate trusted
// and Junction's key or client certificate accepted, without naming a
// store. Needs CredentialStores.Edit, as testing a store does.
func (a *App) TestCredentialProxy(ctx context.Context, p *junction.Principal, id string) (*StoreTestResult, error) {
	if err := requireTenant(p, junction.PermCredentialStoresEdit); err != nil {
		return nil, err
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	cp, err := a.proxyIn(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	res, err := a.testStore(ctx, proxyProbe(cp), p.User.HostAdmin)
	if res != nil && res.Field != "" {
		res.Field = strings.TrimPrefix(res.Field, "config.")
	}
	return res, err
}

// checkStoreProxy checks a store's proxy_id: the proxy must be the
// tenant's, the store of the proxy type, and its configuration must not
// set what the proxy gives.
func (a *App) checkStoreProxy(ctx context.Context, st junction.Store, cfg *junction.CredentialStoreConfig, secrets map[string]string) error {
	if cfg.ProxyID == "" {
		return nil
	}
	if cfg.Type != junction.CredentialProxyStoreType {
		return junction.Invalid("proxy_id", "only stores of type %s go through a credential proxy", junction.CredentialProxyStoreType)
	}
	if !junction.ValidID(cfg.ProxyID) {
		return junction.Invalid("proxy_id", "names no credential proxy of this tenant")
	}
	if _, err := st.GetCredentialProxy(ctx, cfg.TenantID, cfg.ProxyID); err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return junction.Invalid("proxy_id", "names no credential proxy of this tenant")
		}
		return err
	}
	for _, k := range resolver.ProxySettingKeys {
		if cfg.Config[k] != "" || secrets[k] != "" {
			return junction.Invalid("config."+k, "is given by the credential proxy the store names; leave it out")
		}
	}
	if cfg.Config["store"] == "" {
		return junction.Invalid("config.store", "is required: the name of the store in the proxy's --stores file")
	}
	return nil
}

// UpdateCredentialProxyInput changes a registration; nil fields stay as
// they are. A Key or ClientKey set to the empty secret removes it.
type UpdateCredentialProxyInput struct {
	Name       *string
	URLs       *[]string
	CACert     *string
	ClientCert *string
	ClientKey  *junction.Secret
	Key        *junction.Secret
}

// UpdateCredentialProxy changes a registration (a new key, another
// address). Needs CredentialStores.Edit. The stores that go through the
// proxy are touched in the same transaction, so every server reopens them
// with the new settings.
func (a *App) UpdateCredentialProxy(ctx context.Context, p *junction.Principal, id string, in UpdateCredentialProxyInput) (*junction.CredentialProxy, error) {
	if err := requireTenant(p, junction.PermCredentialStoresEdit); err != nil {
		return nil, err
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	var out *junction.CredentialProxy
	var touched []string
	err := a.tx(ctx, func(tx junction.Store) error {
		cur, err := a.proxyIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		secrets := map[string]string{}
		if cur.SealedID != "" {
			if secrets, err = resolver.OpenStoreSecrets(ctx, tx, a.keyring, cur.TenantID, cur.SealedID); err != nil {
				return err
			}
		}
		defer func() { clear(secrets) }()
		want := CreateCredentialProxyInput{Name: cur.Name, URLs: cur.URLs, CACert: cur.CACert, ClientCert: cur.ClientCert,
			ClientKey: junction.NewSecret(secrets["client_key"]), Key: junction.NewSecret(secrets["key"])}
		var changed []string
		set := func(field string, apply func()) {
			apply()
			changed = append(changed, field)
		}
		if in.Name != nil {
			set("name", func() { want.Name = *in.Name })
		}
		if in.URLs != nil {
			set("urls", func() { want.URLs = *in.URLs })
		}
		if in.CACert != nil {
			set("ca_cert", func() { want.CACert = *in.CACert })
		}
		if in.ClientCert != nil {
			set("client_cert", func() { want.ClientCert = *in.ClientCert })
		}
		if in.ClientKey != nil {
			set("client_key", func() { want.ClientKey = *in.ClientKey })
		}
		if in.Key != nil {
			set("key", func() { want.Key = *in.Key })
		}
		if len(changed) == 0 {
			out = cur
			return nil
		}
		next, newSecrets, err := planCredentialProxy(cur.TenantID, want)
		if err != nil {
			return err
		}
		defer clear(newSecrets)
		if err := a.validateStore(ctx, &junction.CredentialStoreConfig{Name: "credential proxy " + next.Name, Type: junction.CredentialProxyStoreType,
			Config: map[string]string{"url": strings.Join(next.URLs, ","), "ca_cert": next.CACert, "client_cert": next.ClientCert}}, newSecrets); err != nil {
			return proxyField(err)
		}
		next.ID, next.CreatedAt, next.UpdatedAt, next.SealedID = cur.ID, cur.CreatedAt, a.now(), cur.SealedID
		if next.SealedID == "" {
			next.SealedID = junction.NewID()
		}
		sv, err := resolver.SealStoreSecrets(a.keyring, next.TenantID, next.SealedID, newSecrets)
		if err != nil {
			return err
		}
		if err := tx.PutSealed(ctx, sv); err != nil {
			return err
		}
		if err := tx.UpdateCredentialProxy(ctx, next); err != nil {
			return conflictName(err, "name", "a credential proxy named %q already exists", next.Name)
		}
		if touched, err = a.touchProxiedStores(ctx, tx, next); err != nil {
			return err
		}
		out = next
		details := proxyAuditDetails(next)
		details["changed"] = changed
		details["stores_touched"] = len(touched)
		return a.audit(ctx, tx, p, "credential_proxy.update", "credential_proxy", next.ID, "", details)
	})
	if err != nil {
		return nil, err
	}
	for _, sid := range touched {
		a.resolver.Forget(sid)
	}
	return out, nil
}

// touchProxiedStores stamps every store that goes through cp as updated,
// which makes each server's resolver reopen it (its adapter is kept per
// store version) and the store caches drop it.
func (a *App) touchProxiedStores(ctx context.Context, tx junction.Store, cp *junction.CredentialProxy) ([]string, error) {
	var ids []string
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		cs, err := tx.ListCredentialStores(ctx, cp.TenantID, page)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.ProxyID != cp.ID {
				continue
			}
			// Strictly later, whatever the clock says: the version is what
			// tells a server its open adapter is stale.
			old := c.UpdatedAt
			c.UpdatedAt = cp.UpdatedAt
			if !c.UpdatedAt.After(old) {
				c.UpdatedAt = old.Add(time.Microsecond)
			}
			if err := tx.UpdateCredentialStore(ctx, c); err != nil {
				return nil, err
			}
			ids = append(ids, c.ID)
		}
		if len(cs) < page.Limit {
			return ids, nil
		}
		page.After = cs[len(cs)-1].ID
	}
}
