package junction

import (
	"context"
	"time"
)

// CredentialProxyStoreType is the store type of a store reached through a
// Credentials Proxy: the only type a store naming a proxy may have.
const CredentialProxyStoreType = "credentials-proxy"

// CredentialProxy is a tenant's registration of a Credentials Proxy: a
// process inside a private network that runs credential store adapters
// next to the vaults. A credential store naming it (ProxyID) is reached
// only through it; the server never connects to that store's vault.
type CredentialProxy struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
	// URLs are the proxy's https:// addresses, tried in order: several
	// proxies (or addresses) serve one store for availability.
	URLs []string `json:"urls"`
	// CACert is the PEM CA the proxy's certificate chains to; empty means
	// the system roots.
	CACert string `json:"ca_cert,omitempty"`
	// ClientCert is the PEM client certificate presented to a proxy that
	// requires mutual TLS; its key is sealed.
	ClientCert string `json:"client_cert,omitempty"`
	// SecretKeys names the secret settings that are set ("key",
	// "client_key"); their values are sealed under SealedID and never
	// returned.
	SecretKeys []string  `json:"secret_keys,omitempty"`
	SealedID   string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// CredentialProxyStore persists credential proxy registrations. Names are
// unique per tenant.
type CredentialProxyStore interface {
	// CreateCredentialProxy stores p, filling an empty ID and the
	// timestamps; ECONFLICT when the name is taken.
	CreateCredentialProxy(ctx context.Context, p *CredentialProxy) error
	// GetCredentialProxy returns ENOTFOUND when the tenant has no such
	// proxy.
	GetCredentialProxy(ctx context.Context, tenantID, id string) (*CredentialProxy, error)
	ListCredentialProxies(ctx context.Context, tenantID string, p Page) ([]*CredentialProxy, error)
	// UpdateCredentialProxy saves every field but the IDs and CreatedAt,
	// and stamps UpdatedAt; ECONFLICT when the new name is taken.
	UpdateCredentialProxy(ctx context.Context, p *CredentialProxy) error
	// DeleteCredentialProxy returns ECONFLICT while a credential store
	// names the proxy, and ENOTFOUND when there is none. It does not
	// delete the sealed secrets: the caller does, in the same transaction.
	DeleteCredentialProxy(ctx context.Context, tenantID, id string) error
}
