package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"junction"
)

const assetColumns = "id, tenant_id, folder_id, name, type, description, value, store_id, external_name, sealed_id, created_at, updated_at, allowed_hosts"

func scanAsset(s scanner) (*junction.Asset, error) {
	var a junction.Asset
	var store, sealed sql.NullString
	var created, updated int64
	var hosts string
	if err := s.Scan(&a.ID, &a.TenantID, &a.FolderID, &a.Name, &a.Type, &a.Description, &a.Value, &store,
		&a.ExternalName, &sealed, &created, &updated, &hosts); err != nil {
		return nil, err
	}
	if err := decodeJSON(hosts, &a.AllowedHosts); err != nil {
		return nil, fmt.Errorf("decode allowed hosts of asset %s: %w", a.ID, err)
	}
	if len(a.AllowedHosts) == 0 {
		a.AllowedHosts = nil
	}
	a.StoreID, a.SealedID = fromNullString(store), fromNullString(sealed)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

// allowedHostsJSON is the stored form of an asset's allowed hosts: a JSON
// array, "[]" for none.
func allowedHostsJSON(a *junction.Asset) (string, error) {
	if len(a.AllowedHosts) == 0 {
		return "[]", nil
	}
	s, err := encodeJSON(a.AllowedHosts)
	if err != nil {
		return "", internal("encode allowed hosts", err)
	}
	return s, nil
}

func assetNameTaken(a *junction.Asset) string {
	return "an asset named " + quote(a.Name) + " already exists in this folder"
}

// assetRefNotFound is the error for an asset naming a folder or credential
// store that does not exist in its tenant.
func assetRefNotFound(a *junction.Asset) error {
	if a.StoreID != "" {
		return &junction.Error{Code: junction.ENOTFOUND, Field: "folder_id", Message: "folder or credential store not found"}
	}
	return &junction.Error{Code: junction.ENOTFOUND, Field: "folder_id", Message: "folder not found"}
}

// CreateAsset stores a, filling an empty ID and the timestamps.
func (h *handle) CreateAsset(ctx context.Context, a *junction.Asset) error {
	newID(&a.ID)
	a.CreatedAt = stamp(a.CreatedAt, h.db.now())
	a.UpdatedAt = stamp(a.UpdatedAt, a.CreatedAt)
	hosts, err := allowedHostsJSON(a)
	if err != nil {
		return err
	}
	_, err = h.writer().ExecContext(ctx,
		"INSERT INTO assets ("+assetColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
		a.ID, a.TenantID, a.FolderID, a.Name, string(a.Type), a.Description, a.Value, nullString(a.StoreID),
		a.ExternalName, nullString(a.SealedID), toMicros(a.CreatedAt), toMicros(a.UpdatedAt), hosts)
	if err != nil {
		return writeErr("create asset", "asset", err, assetNameTaken(a), assetRefNotFound(a))
	}
	return nil
}

func (h *handle) GetAsset(ctx context.Context, tenantID, id string) (*junction.Asset, error) {
	a, err := scanAsset(h.reader().QueryRowContext(ctx,
		"SELECT "+assetColumns+" FROM assets WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("asset", "get asset", err)
	}
	return a, nil
}

// ListAssets lists assets by ID. A non-nil but empty FolderIDs matches no
// asset.
func (h *handle) ListAssets(ctx context.Context, tenantID string, f junction.AssetFilter) ([]*junction.Asset, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("folder_id", f.FolderIDs)
	if f.Type != "" {
		c.add("type = " + c.arg(string(f.Type)))
	}
	if f.StoreID != "" {
		c.add("store_id = " + c.arg(f.StoreID))
	}
	if f.NameContains != "" {
		c.contains(f.NameContains, "name")
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+assetColumns+" FROM assets"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list assets", err)
	}
	out, err := collect(rows, scanAsset)
	if err != nil {
		return nil, internal("list assets", err)
	}
	return out, nil
}

// UpdateAsset saves every field but the IDs, Type and CreatedAt (moving an
// asset to another folder included). UpdatedAt is stamped when zero.
func (h *handle) UpdateAsset(ctx context.Context, a *junction.Asset) error {
	a.UpdatedAt = stamp(a.UpdatedAt, h.db.now())
	hosts, err := allowedHostsJSON(a)
	if err != nil {
		return err
	}
	res, err := h.writer().ExecContext(ctx,
		`UPDATE assets SET folder_id = $1, name = $2, description = $3, value = $4, store_id = $5,
			external_name = $6, sealed_id = $7, updated_at = $8, allowed_hosts = $9
		WHERE tenant_id = $10 AND id = $11`,
		a.FolderID, a.Name, a.Description, a.Value, nullString(a.StoreID), a.ExternalName, nullString(a.SealedID),
		toMicros(a.UpdatedAt), hosts, a.TenantID, a.ID)
	if err != nil {
		return writeErr("update asset", "asset", err, assetNameTaken(a), assetRefNotFound(a))
	}
	return affected(res, "asset", "update asset")
}

// DeleteAsset removes the asset and, in the same transaction, its sealed
// value: sealed values are not foreign keys, and no ciphertext should
// outlive what it belonged to.
func (h *handle) DeleteAsset(ctx context.Context, tenantID, id string) error {
	return h.write(ctx, func(h *handle) error {
		var sealed sql.NullString
		err := h.writer().QueryRowContext(ctx,
			"DELETE FROM assets WHERE tenant_id = $1 AND id = $2 RETURNING sealed_id", tenantID, id).Scan(&sealed)
		if err != nil {
			return notFoundOr("asset", "delete asset", err)
		}
		return h.deleteSealedValues(ctx, tenantID, sealed.String)
	})
}

func (h *handle) CountAssetsInStore(ctx context.Context, tenantID, storeID string) (int, error) {
	var n int
	if err := h.reader().QueryRowContext(ctx,
		"SELECT COUNT(*) FROM assets WHERE tenant_id = $1 AND store_id = $2", tenantID, storeID).Scan(&n); err != nil {
		return 0, internal("count assets in store", err)
	}
	return n, nil
}

var assetWithStoreQuery = "SELECT " + prefixed("a.", assetColumns) + ", " + prefixed("s.", credStoreColumns) + `
	FROM assets a LEFT JOIN credential_stores s ON s.tenant_id = a.tenant_id AND s.id = a.store_id
	WHERE a.tenant_id = $1 AND a.id = $2`

func (h *handle) GetAssetWithStore(ctx context.Context, tenantID, id string) (*junction.Asset, *junction.CredentialStoreConfig, error) {
	rows, err := h.reader().QueryContext(ctx, assetWithStoreQuery, tenantID, id)
	if err != nil {
		return nil, nil, internal("get asset with store", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, nil, internal("get asset with store", err)
		}
		return nil, nil, junction.NotFound("asset")
	}
	n := columnCount(assetColumns)
	all := n + columnCount(credStoreColumns)
	a, err := scanAsset(joinedRow{rows, 0, all})
	if err != nil {
		return nil, nil, internal("get asset with store", err)
	}
	if a.StoreID == "" {
		return a, nil, rows.Close()
	}
	cs, err := scanCredStore(joinedRow{rows, n, all})
	if err != nil {
		return nil, nil, internal("get asset with store", err)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, internal("get asset with store", err)
	}
	return a, cs, nil
}
