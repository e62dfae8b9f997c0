package junction

import (
	"context"
	"time"
)

// CredentialStoreConfig is a configured credential store of a tenant. Its
// login secrets (token, secret_id, client secret, key) are not here: they are
// sealed (SealedID) and never returned by the API.
type CredentialStoreConfig struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
	Type     string `json:"type"` // "database", "hashicorp-vault", "cyberark-ccp", ...
	ReadOnly bool   `json:"read_only"`
	// Insecure allows plain http:// for local development.
	Insecure bool   `json:"insecure,omitempty"`
	ProxyURL string `json:"proxy_url,omitempty"`
	// ProxyID, when set, names the CredentialProxy the store is reached
	// through; the proxy's address and key complete the configuration.
	ProxyID string `json:"proxy_id,omitempty"`
	// AllowedHosts, when set, are the only hosts the values of this
	// store's secrets may be sent to, through any asset: an administrator
	// confines the store once rather than trusting each asset's creator.
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
	// Config holds the non-secret configuration keys.
	Config map[string]string `json:"config"`
	// SecretKeys names the secret configuration keys that are set.
	SecretKeys []string `json:"secret_keys,omitempty"`
	// SealedID points at the sealed JSON object of secret configuration keys.
	SealedID  string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DatabaseStoreType is the built-in store: values sealed in Junction's own
// database with the master key.
const DatabaseStoreType = "database"

// AssetType is the type of an asset's value.
type AssetType string

const (
	AssetText       AssetType = "text"
	AssetInteger    AssetType = "integer"
	AssetBoolean    AssetType = "boolean"
	AssetSecret     AssetType = "secret"
	AssetCredential AssetType = "credential"
)

// Sensitive reports whether values of this type live in a credential store.
func (t AssetType) Sensitive() bool { return t == AssetSecret || t == AssetCredential }

// Asset is a named value in a folder. Text, integer and boolean assets hold
// their value in Value. Secret and credential assets keep it in a credential
// store: in the database store it is sealed (SealedID); in an external store
// Junction holds only ExternalName and no value at all.
type Asset struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	FolderID    string    `json:"folder_id"`
	Name        string    `json:"name"`
	Type        AssetType `json:"type"`
	Description string    `json:"description,omitempty"`
	// Value is the plain value of a text, integer or boolean asset.
	Value string `json:"value,omitempty"`
	// StoreID is the credential store of a secret or credential asset.
	StoreID      string `json:"store_id,omitempty"`
	ExternalName string `json:"external_name,omitempty"`
	// AllowedHosts, when not empty, are the only hosts a secret or
	// credential asset's value may be sent to: host names in canonical
	// form (lower case, ASCII, no trailing dot), IP addresses, or "*."
	// and a name for any host below it. Empty means anywhere.
	AllowedHosts []string  `json:"allowed_hosts,omitempty"`
	SealedID     string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// AssetFilter narrows ListAssets.
type AssetFilter struct {
	// FolderIDs, when set, limits the list to assets in these folders.
	FolderIDs    []string
	Type         AssetType
	StoreID      string
	NameContains string
	Page
}

// CredentialStoreStore persists credential store configurations.
// Names are unique per tenant.
type CredentialStoreStore interface {
	CreateCredentialStore(ctx context.Context, s *CredentialStoreConfig) error
	GetCredentialStore(ctx context.Context, tenantID, id string) (*CredentialStoreConfig, error)
	ListCredentialStores(ctx context.Context, tenantID string, p Page) ([]*CredentialStoreConfig, error)
	UpdateCredentialStore(ctx context.Context, s *CredentialStoreConfig) error
	// DeleteCredentialStore returns ECONFLICT, with Details["assets"] set to
	// the count, while assets still reference the store. It deletes the
	// store's sealed login with it.
	DeleteCredentialStore(ctx context.Context, tenantID, id string) error
	// ClaimStoreHealthReport records that people are to be told the store
	// is now state (StoreUnreachable or StoreRecovered) and reports
	// whether this call is the one to tell them: true when the last report
	// was the other state (for StoreUnreachable: or there was none, or it
	// is older than StoreHealthReportStale), false when another server
	// already told. Several servers see one outage; one tells of it.
	ClaimStoreHealthReport(ctx context.Context, tenantID, storeID, state string, at time.Time) (bool, error)
}

// The states ClaimStoreHealthReport records.
const (
	StoreUnreachable = "unreachable"
	StoreRecovered   = "recovered"
)

// StoreHealthReportStale is how long an "unreachable" report stands
// without its "recovered": after that a server that finds the store down
// again tells people again, in case the server that told of the outage
// stopped before it could tell of the recovery.
const StoreHealthReportStale = 24 * time.Hour

// AssetStore persists assets. Names are unique per folder.
type AssetStore interface {
	CreateAsset(ctx context.Context, a *Asset) error
	GetAsset(ctx context.Context, tenantID, id string) (*Asset, error)
	// GetAssetWithStore is GetAsset with the asset's credential store read
	// in the same query, nil for an asset without one: resolving a value,
	// which every execution does, needs both.
	GetAssetWithStore(ctx context.Context, tenantID, id string) (*Asset, *CredentialStoreConfig, error)
	ListAssets(ctx context.Context, tenantID string, f AssetFilter) ([]*Asset, error)
	UpdateAsset(ctx context.Context, a *Asset) error
	// DeleteAsset deletes the asset with its sealed value.
	DeleteAsset(ctx context.Context, tenantID, id string) error
	// CountAssetsInStore counts the assets that reference a store.
	CountAssetsInStore(ctx context.Context, tenantID, storeID string) (int, error)
}
