package sqldb

import (
	"context"
	"database/sql"
	"time"

	"junction"
)

const credStoreColumns = "id, tenant_id, name, type, read_only, insecure, proxy_url, config, secret_keys, sealed_id, created_at, updated_at, allowed_hosts, proxy_id"

func scanCredStore(s scanner) (*junction.CredentialStoreConfig, error) {
	var cs junction.CredentialStoreConfig
	var config, secretKeys, hosts string
	var sealed, proxyID sql.NullString
	var created, updated int64
	if err := s.Scan(&cs.ID, &cs.TenantID, &cs.Name, &cs.Type, &cs.ReadOnly, &cs.Insecure, &cs.ProxyURL,
		&config, &secretKeys, &sealed, &created, &updated, &hosts, &proxyID); err != nil {
		return nil, err
	}
	if err := decodeJSON(hosts, &cs.AllowedHosts); err != nil {
		return nil, err
	}
	if len(cs.AllowedHosts) == 0 {
		cs.AllowedHosts = nil
	}
	cs.Config = map[string]string{}
	if err := decodeJSON(config, &cs.Config); err != nil {
		return nil, err
	}
	if err := decodeJSON(secretKeys, &cs.SecretKeys); err != nil {
		return nil, err
	}
	if len(cs.SecretKeys) == 0 {
		cs.SecretKeys = nil
	}
	cs.SealedID, cs.ProxyID = fromNullString(sealed), fromNullString(proxyID)
	cs.CreatedAt, cs.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &cs, nil
}

// encodeCredStore returns the config, secret key and allowed hosts columns.
func encodeCredStore(cs *junction.CredentialStoreConfig) (config, secretKeys, hosts string, err error) {
	cfg := cs.Config
	if cfg == nil {
		cfg = map[string]string{}
	}
	keys := cs.SecretKeys
	if keys == nil {
		keys = []string{}
	}
	allowed := cs.AllowedHosts
	if allowed == nil {
		allowed = []string{}
	}
	if config, err = encodeJSON(cfg); err != nil {
		return "", "", "", err
	}
	if hosts, err = encodeJSON(allowed); err != nil {
		return "", "", "", err
	}
	secretKeys, err = encodeJSON(keys)
	return config, secretKeys, hosts, err
}

func credStoreNameTaken(cs *junction.CredentialStoreConfig) string {
	return "a credential store named " + quote(cs.Name) + " already exists"
}

// CreateCredentialStore stores cs, filling an empty ID and the timestamps.
func (h *handle) CreateCredentialStore(ctx context.Context, cs *junction.CredentialStoreConfig) error {
	newID(&cs.ID)
	config, keys, hosts, err := encodeCredStore(cs)
	if err != nil {
		return internal("create credential store", err)
	}
	cs.CreatedAt = stamp(cs.CreatedAt, h.db.now())
	cs.UpdatedAt = stamp(cs.UpdatedAt, cs.CreatedAt)
	_, err = h.writer().ExecContext(ctx,
		"INSERT INTO credential_stores ("+credStoreColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
		cs.ID, cs.TenantID, cs.Name, cs.Type, cs.ReadOnly, cs.Insecure, cs.ProxyURL, config, keys,
		nullString(cs.SealedID), toMicros(cs.CreatedAt), toMicros(cs.UpdatedAt), hosts, nullString(cs.ProxyID))
	if err != nil {
		return writeErr("create credential store", "credential store", err, credStoreNameTaken(cs), junction.NotFound("tenant or credential proxy"))
	}
	return nil
}

func (h *handle) GetCredentialStore(ctx context.Context, tenantID, id string) (*junction.CredentialStoreConfig, error) {
	cs, err := scanCredStore(h.reader().QueryRowContext(ctx,
		"SELECT "+credStoreColumns+" FROM credential_stores WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("credential store", "get credential store", err)
	}
	return cs, nil
}

func (h *handle) ListCredentialStores(ctx context.Context, tenantID string, p junction.Page) ([]*junction.CredentialStoreConfig, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	tail := c.page(p, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+credStoreColumns+" FROM credential_stores"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list credential stores", err)
	}
	out, err := collect(rows, scanCredStore)
	if err != nil {
		return nil, internal("list credential stores", err)
	}
	return out, nil
}

// UpdateCredentialStore saves every field but the IDs, Type and CreatedAt,
// and stamps UpdatedAt. A store's type never changes: its configuration
// would mean something else.
func (h *handle) UpdateCredentialStore(ctx context.Context, cs *junction.CredentialStoreConfig) error {
	config, keys, hosts, err := encodeCredStore(cs)
	if err != nil {
		return internal("update credential store", err)
	}
	cs.UpdatedAt = stamp(cs.UpdatedAt, h.db.now())
	res, err := h.writer().ExecContext(ctx,
		`UPDATE credential_stores SET name = $1, read_only = $2, insecure = $3, proxy_url = $4, config = $5,
			secret_keys = $6, sealed_id = $7, updated_at = $8, allowed_hosts = $9, proxy_id = $10
		WHERE tenant_id = $11 AND id = $12`,
		cs.Name, cs.ReadOnly, cs.Insecure, cs.ProxyURL, config, keys, nullString(cs.SealedID),
		toMicros(cs.UpdatedAt), hosts, nullString(cs.ProxyID), cs.TenantID, cs.ID)
	if err != nil {
		return writeErr("update credential store", "credential store", err, credStoreNameTaken(cs), junction.NotFound("credential proxy"))
	}
	return affected(res, "credential store", "update credential store")
}

// DeleteCredentialStore removes a store no asset references, with its
// sealed login (in the same transaction: sealed values are not foreign
// keys); ECONFLICT with Details["assets"] set to the count otherwise.
func (h *handle) DeleteCredentialStore(ctx context.Context, tenantID, id string) error {
	return h.write(ctx, func(h *handle) error {
		n, err := h.CountAssetsInStore(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return assetsStillInStore(n, nil)
		}
		var sealed sql.NullString
		err = h.writer().QueryRowContext(ctx,
			"DELETE FROM credential_stores WHERE tenant_id = $1 AND id = $2 RETURNING sealed_id", tenantID, id).Scan(&sealed)
		if err != nil {
			if classify(err) == foreignKeyViolation {
				return assetsStillInStore(1, err)
			}
			return notFoundOr("credential store", "delete credential store", err)
		}
		return h.deleteSealedValues(ctx, tenantID, sealed.String)
	})
}

func assetsStillInStore(n int, cause error) error {
	return &junction.Error{
		Code:    junction.ECONFLICT,
		Message: plural(n, "asset still uses", "assets still use") + " this credential store: delete them or move them to another store first",
		Details: map[string]any{"assets": n},
		Err:     cause,
	}
}

// ClaimStoreHealthReport moves the store's report to state in one
// statement, only from the other state (or, for an outage, from none or a
// stale one), so that of several servers exactly one wins each change.
func (h *handle) ClaimStoreHealthReport(ctx context.Context, tenantID, storeID, state string, at time.Time) (bool, error) {
	var (
		res sql.Result
		err error
	)
	switch state {
	case junction.StoreUnreachable:
		res, err = h.writer().ExecContext(ctx, `INSERT INTO store_health_reports (store_id, tenant_id, state, changed_at)
			SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM credential_stores WHERE tenant_id = $2 AND id = $1)
			ON CONFLICT (store_id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at
			WHERE store_health_reports.state <> excluded.state OR store_health_reports.changed_at < $5`,
			storeID, tenantID, state, toMicros(at), toMicros(at.Add(-junction.StoreHealthReportStale)))
	case junction.StoreRecovered:
		res, err = h.writer().ExecContext(ctx, `UPDATE store_health_reports SET state = $3, changed_at = $4
			WHERE store_id = $1 AND tenant_id = $2 AND state <> $3`, storeID, tenantID, state, toMicros(at))
	default:
		return false, junction.Invalid("state", "must be %s or %s", junction.StoreUnreachable, junction.StoreRecovered)
	}
	if err != nil {
		return false, internal("claim store health report", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("claim store health report", err)
	}
	return n == 1, nil
}
