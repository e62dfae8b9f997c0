package sqldb

import (
	"context"
	"database/sql"

	"junction"
)

const credProxyColumns = "id, tenant_id, name, urls, ca_cert, client_cert, secret_keys, sealed_id, created_at, updated_at"

func scanCredProxy(s scanner) (*junction.CredentialProxy, error) {
	var p junction.CredentialProxy
	var urls, secretKeys string
	var sealed sql.NullString
	var created, updated int64
	if err := s.Scan(&p.ID, &p.TenantID, &p.Name, &urls, &p.CACert, &p.ClientCert, &secretKeys, &sealed, &created, &updated); err != nil {
		return nil, err
	}
	if err := decodeJSON(urls, &p.URLs); err != nil {
		return nil, err
	}
	if err := decodeJSON(secretKeys, &p.SecretKeys); err != nil {
		return nil, err
	}
	if len(p.SecretKeys) == 0 {
		p.SecretKeys = nil
	}
	p.SealedID = fromNullString(sealed)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// proxyLists encodes a proxy's URLs and secret key names as the JSON
// arrays their columns hold (an empty array, never null).
func proxyLists(p *junction.CredentialProxy) (urls, keys string, err error) {
	if urls, err = encodeJSON(nonNil(p.URLs)); err != nil {
		return "", "", err
	}
	keys, err = encodeJSON(nonNil(p.SecretKeys))
	return urls, keys, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CreateCredentialProxy stores p, filling an empty ID and the timestamps.
func (h *handle) CreateCredentialProxy(ctx context.Context, p *junction.CredentialProxy) error {
	newID(&p.ID)
	u, k, err := proxyLists(p)
	if err != nil {
		return internal("create credential proxy", err)
	}
	p.CreatedAt = stamp(p.CreatedAt, h.db.now())
	p.UpdatedAt = stamp(p.UpdatedAt, p.CreatedAt)
	_, err = h.writer().ExecContext(ctx,
		"INSERT INTO credential_proxies ("+credProxyColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		p.ID, p.TenantID, p.Name, u, p.CACert, p.ClientCert, k, nullString(p.SealedID), toMicros(p.CreatedAt), toMicros(p.UpdatedAt))
	if err != nil {
		return writeErr("create credential proxy", "credential proxy", err,
			"a credential proxy named "+quote(p.Name)+" already exists", junction.NotFound("tenant"))
	}
	return nil
}

func (h *handle) GetCredentialProxy(ctx context.Context, tenantID, id string) (*junction.CredentialProxy, error) {
	p, err := scanCredProxy(h.reader().QueryRowContext(ctx,
		"SELECT "+credProxyColumns+" FROM credential_proxies WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("credential proxy", "get credential proxy", err)
	}
	return p, nil
}

func (h *handle) ListCredentialProxies(ctx context.Context, tenantID string, pg junction.Page) ([]*junction.CredentialProxy, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	tail := c.page(pg, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+credProxyColumns+" FROM credential_proxies"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list credential proxies", err)
	}
	out, err := collect(rows, scanCredProxy)
	if err != nil {
		return nil, internal("list credential proxies", err)
	}
	return out, nil
}

// UpdateCredentialProxy saves every field but the IDs and CreatedAt.
func (h *handle) UpdateCredentialProxy(ctx context.Context, p *junction.CredentialProxy) error {
	u, k, err := proxyLists(p)
	if err != nil {
		return internal("update credential proxy", err)
	}
	p.UpdatedAt = stamp(p.UpdatedAt, h.db.now())
	res, err := h.writer().ExecContext(ctx,
		`UPDATE credential_proxies SET name = $1, urls = $2, ca_cert = $3, client_cert = $4, secret_keys = $5,
			sealed_id = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9`,
		p.Name, u, p.CACert, p.ClientCert, k, nullString(p.SealedID), toMicros(p.UpdatedAt), p.TenantID, p.ID)
	if err != nil {
		return writeErr("update credential proxy", "credential proxy", err,
			"a credential proxy named "+quote(p.Name)+" already exists", nil)
	}
	return affected(res, "credential proxy", "update credential proxy")
}

// DeleteCredentialProxy removes a proxy no store names.
func (h *handle) DeleteCredentialProxy(ctx context.Context, tenantID, id string) error {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM credential_proxies WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err != nil {
		if classify(err) == foreignKeyViolation {
			return &junction.Error{Code: junction.ECONFLICT, Err: err,
				Message: "a credential store still goes through this credential proxy: delete the store or point it elsewhere first"}
		}
		return internal("delete credential proxy", err)
	}
	return affected(res, "credential proxy", "delete credential proxy")
}
