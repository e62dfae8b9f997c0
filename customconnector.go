package junction

import (
	"context"
	"time"
)

// CustomConnector is a connector a tenant builds for itself: a draft
// definition that people edit, test and check, and the versions published
// from it. Its key is unique in the tenant and never one of the built-in
// connectors' keys, so a connection's connector key names one definition.
type CustomConnector struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenant_id"`
	Key         string `json:"key"`
	DisplayName string `json:"display_name"`
	// Draft is the definition being edited, as the YAML or JSON text it
	// was saved as. It may not yet pass the connector validator (an
	// import that needs fixing); publishing requires that it does.
	Draft string `json:"-"`
	// SourceFormat names what the draft was imported from
	// ("openapi-3.0", "postman-2.1", ...), or is empty for a blank canvas.
	SourceFormat string `json:"source_format,omitempty"`
	// ImportNotes is the JSON array of checklist items the import reported
	// about the source file (what it could not carry over). They stay with
	// the draft, since the file itself is not kept.
	ImportNotes string    `json:"-"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ConnectorVersion is one published version of a custom connector: the
// draft frozen under a semantic version. It never changes once stored.
type ConnectorVersion struct {
	TenantID    string    `json:"-"`
	ConnectorID string    `json:"connector_id"`
	Version     string    `json:"version"`
	Definition  string    `json:"-"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by,omitempty"`
}

// CustomConnectorStore persists custom connectors and their published
// versions.
//
// Errors: ENOTFOUND for a missing connector or version (including one of
// another tenant); ECONFLICT for a key already used in the tenant, or a
// version already published.
type CustomConnectorStore interface {
	CreateCustomConnector(ctx context.Context, c *CustomConnector) error
	GetCustomConnector(ctx context.Context, tenantID, id string) (*CustomConnector, error)
	GetCustomConnectorByKey(ctx context.Context, tenantID, key string) (*CustomConnector, error)
	// ListCustomConnectors returns the tenant's custom connectors ordered
	// by key. A tenant holds few, so the list is not paged.
	ListCustomConnectors(ctx context.Context, tenantID string) ([]*CustomConnector, error)
	// UpdateCustomConnector saves Key, DisplayName, Draft, SourceFormat,
	// ImportNotes and UpdatedAt (stamped when zero).
	UpdateCustomConnector(ctx context.Context, c *CustomConnector) error
	// DeleteCustomConnector removes the connector with its versions.
	// Whether connections still use it is for the caller to check.
	DeleteCustomConnector(ctx context.Context, tenantID, id string) error

	// CreateConnectorVersion stores a published version; a version already
	// published for the connector is ECONFLICT.
	CreateConnectorVersion(ctx context.Context, v *ConnectorVersion) error
	// GetConnectorVersion reads one version of the connector with the
	// given key.
	GetConnectorVersion(ctx context.Context, tenantID, key, version string) (*ConnectorVersion, error)
	// ListConnectorVersions returns a connector's versions, oldest first.
	ListConnectorVersions(ctx context.Context, tenantID, connectorID string) ([]*ConnectorVersion, error)
}
