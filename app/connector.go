package app

import (
	"context"
	"errors"

	"junction"
	"junction/connector"
)

// Connectors are the catalog's definitions, the same for every tenant, and
// the tenant's own published custom connectors: read-only here, and
// visible to every authenticated caller of the tenant, since choosing one
// is the first step of creating a connection anywhere.

// ConnectorSummary is one entry of the connector list.
type ConnectorSummary struct {
	Key         string   `json:"key"`
	DisplayName string   `json:"display_name"`
	Version     string   `json:"version"`
	Description string   `json:"description,omitempty"`
	Icon        string   `json:"icon,omitempty"`
	Categories  []string `json:"categories"`
	// AuthTypes are the auth scheme IDs a connection may choose from.
	AuthTypes []string `json:"auth_types"`
	// Custom marks the tenant's own connectors, shown at their newest
	// published version.
	Custom bool `json:"custom,omitempty"`
}

func (a *App) needCatalog() error {
	if a.catalog == nil {
		return junction.Internal(errors.New("app: no connector catalog configured"))
	}
	return nil
}

// ListConnectors lists the catalog, ordered by key. The catalog is small
// and fixed at start, so the list is never paged.
func (a *App) ListConnectors(ctx context.Context, p *junction.Principal) (List[*ConnectorSummary], error) {
	if err := a.needCatalog(); err != nil {
		return List[*ConnectorSummary]{}, err
	}
	defs, err := a.catalog.Definitions(ctx, p.TenantID())
	if err != nil {
		return List[*ConnectorSummary]{}, err
	}
	out := make([]*ConnectorSummary, 0, len(defs))
	for _, d := range defs {
		s := &ConnectorSummary{Key: d.Key, DisplayName: d.DisplayName, Version: d.Version,
			Description: d.Description, Icon: d.Icon, Categories: d.Categories, AuthTypes: []string{}, Custom: d.Custom}
		if s.Categories == nil {
			s.Categories = []string{}
		}
		for i := range d.Auth {
			s.AuthTypes = append(s.AuthTypes, d.Auth[i].Key())
		}
		out = append(out, s)
	}
	return List[*ConnectorSummary]{Items: out}, nil
}

// GetConnector returns a connector's whole definition: a custom one at
// version, or its newest published version when version is empty. The
// definition is shared: callers must not modify it.
func (a *App) GetConnector(ctx context.Context, p *junction.Principal, key, version string) (*connector.Definition, error) {
	if err := a.needCatalog(); err != nil {
		return nil, err
	}
	return a.catalog.Definition(ctx, p.TenantID(), key, version)
}

// ConnectorDocs returns a connector's reference page in Markdown, generated
// from its definition, so operators' own definitions get one too.
func (a *App) ConnectorDocs(ctx context.Context, p *junction.Principal, key string) ([]byte, error) {
	d, err := a.GetConnector(ctx, p, key, "")
	if err != nil {
		return nil, err
	}
	return connector.Markdown(d), nil
}

// ConnectorSchema returns the JSON Schema of connector definitions, for
// people writing their own.
func (a *App) ConnectorSchema() []byte { return connector.Schema() }
