package sqldb

import (
	"context"

	"junction"
)

const customConnectorColumns = "id, tenant_id, key, display_name, draft, source_format, import_notes, created_by, created_at, updated_at"

func scanCustomConnector(s scanner) (*junction.CustomConnector, error) {
	var c junction.CustomConnector
	var created, updated int64
	if err := s.Scan(&c.ID, &c.TenantID, &c.Key, &c.DisplayName, &c.Draft, &c.SourceFormat, &c.ImportNotes,
		&c.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

func importNotes(c *junction.CustomConnector) string {
	if c.ImportNotes == "" {
		return "[]"
	}
	return c.ImportNotes
}

func customConnectorWriteErr(op string, c *junction.CustomConnector, err error) error {
	return writeErr(op, "custom connector", err, "a custom connector with key "+quote(c.Key)+" already exists", nil)
}

// CreateCustomConnector stores c, filling an empty ID and the timestamps.
func (h *handle) CreateCustomConnector(ctx context.Context, c *junction.CustomConnector) error {
	newID(&c.ID)
	c.CreatedAt = stamp(c.CreatedAt, h.db.now())
	c.UpdatedAt = stamp(c.UpdatedAt, c.CreatedAt)
	_, err := h.writer().ExecContext(ctx, "INSERT INTO custom_connectors ("+customConnectorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.TenantID, c.Key, c.DisplayName, storableText(c.Draft), c.SourceFormat, importNotes(c), c.CreatedBy,
		toMicros(c.CreatedAt), toMicros(c.UpdatedAt))
	if err != nil {
		return customConnectorWriteErr("create custom connector", c, err)
	}
	return nil
}

func (h *handle) GetCustomConnector(ctx context.Context, tenantID, id string) (*junction.CustomConnector, error) {
	c, err := scanCustomConnector(h.reader().QueryRowContext(ctx,
		"SELECT "+customConnectorColumns+" FROM custom_connectors WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("custom connector", "get custom connector", err)
	}
	return c, nil
}

func (h *handle) GetCustomConnectorByKey(ctx context.Context, tenantID, key string) (*junction.CustomConnector, error) {
	c, err := scanCustomConnector(h.reader().QueryRowContext(ctx,
		"SELECT "+customConnectorColumns+" FROM custom_connectors WHERE tenant_id = $1 AND key = $2", tenantID, key))
	if err != nil {
		return nil, notFoundOr("custom connector", "get custom connector by key", err)
	}
	return c, nil
}

func (h *handle) ListCustomConnectors(ctx context.Context, tenantID string) ([]*junction.CustomConnector, error) {
	rows, err := h.reader().QueryContext(ctx,
		"SELECT "+customConnectorColumns+" FROM custom_connectors WHERE tenant_id = $1 ORDER BY key", tenantID)
	if err != nil {
		return nil, internal("list custom connectors", err)
	}
	out, err := collect(rows, scanCustomConnector)
	if err != nil {
		return nil, internal("list custom connectors", err)
	}
	return out, nil
}

func (h *handle) UpdateCustomConnector(ctx context.Context, c *junction.CustomConnector) error {
	c.UpdatedAt = stamp(c.UpdatedAt, h.db.now())
	var created int64
	err := h.writer().QueryRowContext(ctx,
		`UPDATE custom_connectors SET key = $1, display_name = $2, draft = $3, source_format = $4, import_notes = $5,
			updated_at = $6 WHERE tenant_id = $7 AND id = $8 RETURNING created_by, created_at`,
		c.Key, c.DisplayName, storableText(c.Draft), c.SourceFormat, importNotes(c), toMicros(c.UpdatedAt),
		c.TenantID, c.ID).Scan(&c.CreatedBy, &created)
	if err != nil {
		if classify(err) != noViolation {
			return customConnectorWriteErr("update custom connector", c, err)
		}
		return notFoundOr("custom connector", "update custom connector", err)
	}
	c.CreatedAt = fromMicros(created)
	return nil
}

// DeleteCustomConnector removes the connector; its versions go with it
// (ON DELETE CASCADE).
func (h *handle) DeleteCustomConnector(ctx context.Context, tenantID, id string) error {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM custom_connectors WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err != nil {
		return internal("delete custom connector", err)
	}
	return affected(res, "custom connector", "delete custom connector")
}

const connectorVersionColumns = "tenant_id, connector_id, version, definition, published_at, published_by"

func scanConnectorVersion(s scanner) (*junction.ConnectorVersion, error) {
	var v junction.ConnectorVersion
	var at int64
	if err := s.Scan(&v.TenantID, &v.ConnectorID, &v.Version, &v.Definition, &at, &v.PublishedBy); err != nil {
		return nil, err
	}
	v.PublishedAt = fromMicros(at)
	return &v, nil
}

func (h *handle) CreateConnectorVersion(ctx context.Context, v *junction.ConnectorVersion) error {
	v.PublishedAt = stamp(v.PublishedAt, h.db.now())
	_, err := h.writer().ExecContext(ctx, "INSERT INTO connector_versions ("+connectorVersionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		v.TenantID, v.ConnectorID, v.Version, storableText(v.Definition), toMicros(v.PublishedAt), v.PublishedBy)
	if err != nil {
		if classify(err) == primaryKeyViolation || classify(err) == uniqueViolation {
			return conflict("version %s is already published; a published version never changes", v.Version)
		}
		return writeErr("create connector version", "connector version", err, "", junction.NotFound("custom connector"))
	}
	return nil
}

func (h *handle) GetConnectorVersion(ctx context.Context, tenantID, key, version string) (*junction.ConnectorVersion, error) {
	v, err := scanConnectorVersion(h.reader().QueryRowContext(ctx, "SELECT "+prefixed("v.", connectorVersionColumns)+`
		FROM connector_versions v JOIN custom_connectors c ON c.tenant_id = v.tenant_id AND c.id = v.connector_id
		WHERE v.tenant_id = $1 AND c.key = $2 AND v.version = $3`, tenantID, key, version))
	if err != nil {
		return nil, notFoundOr("connector version", "get connector version", err)
	}
	return v, nil
}

func (h *handle) ListConnectorVersions(ctx context.Context, tenantID, connectorID string) ([]*junction.ConnectorVersion, error) {
	rows, err := h.reader().QueryContext(ctx, "SELECT "+connectorVersionColumns+`
		FROM connector_versions WHERE tenant_id = $1 AND connector_id = $2 ORDER BY published_at, version`, tenantID, connectorID)
	if err != nil {
		return nil, internal("list connector versions", err)
	}
	out, err := collect(rows, scanConnectorVersion)
	if err != nil {
		return nil, internal("list connector versions", err)
	}
	return out, nil
}
