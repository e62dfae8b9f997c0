package sqldb

import (
	"context"

	"junction"
)

const sealedColumns = "id, tenant_id, key_id, wrapped_key, nonce, ciphertext, created_at, updated_at"

func scanSealed(s scanner) (*junction.SealedValue, error) {
	var v junction.SealedValue
	var created, updated int64
	if err := s.Scan(&v.ID, &v.TenantID, &v.KeyID, &v.WrappedKey, &v.Nonce, &v.Ciphertext, &created, &updated); err != nil {
		return nil, err
	}
	v.CreatedAt, v.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &v, nil
}

// PutSealed inserts v or replaces the value stored under v.ID, keeping its
// CreatedAt. An ID already used by another tenant is ECONFLICT: the upsert
// never crosses tenants.
func (h *handle) PutSealed(ctx context.Context, v *junction.SealedValue) error {
	newID(&v.ID)
	now := h.db.now()
	v.CreatedAt = stamp(v.CreatedAt, now)
	v.UpdatedAt = stamp(v.UpdatedAt, now)
	return h.write(ctx, func(h *handle) error {
		res, err := h.writer().ExecContext(ctx,
			`INSERT INTO sealed_values (`+sealedColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, wrapped_key = excluded.wrapped_key,
				nonce = excluded.nonce, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
			WHERE sealed_values.tenant_id = excluded.tenant_id`,
			v.ID, v.TenantID, v.KeyID, v.WrappedKey, v.Nonce, v.Ciphertext, toMicros(v.CreatedAt), toMicros(v.UpdatedAt))
		if err != nil {
			return writeErr("put sealed value", "sealed value", err, "a sealed value with this ID already exists",
				junction.NotFound("tenant"))
		}
		if n, err := res.RowsAffected(); err != nil {
			return internal("put sealed value", err)
		} else if n == 0 {
			return conflict("a sealed value with this ID already exists")
		}
		var created int64
		if err := h.reader().QueryRowContext(ctx, "SELECT created_at FROM sealed_values WHERE id = $1", v.ID).Scan(&created); err != nil {
			return internal("put sealed value: read back", err)
		}
		v.CreatedAt = fromMicros(created)
		return nil
	})
}

func (h *handle) GetSealed(ctx context.Context, tenantID, id string) (*junction.SealedValue, error) {
	v, err := scanSealed(h.reader().QueryRowContext(ctx,
		"SELECT "+sealedColumns+" FROM sealed_values WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("sealed value", "get sealed value", err)
	}
	return v, nil
}

func (h *handle) DeleteSealed(ctx context.Context, tenantID, id string) error {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM sealed_values WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err != nil {
		return internal("delete sealed value", err)
	}
	return affected(res, "sealed value", "delete sealed value")
}

// ListSealedNotWrappedWith returns, by ID, up to limit values whose key is
// not keyID. A limit of zero or less means junction.DefaultPageSize; more
// than junction.MaxPageSize is capped.
func (h *handle) ListSealedNotWrappedWith(ctx context.Context, keyID string, limit int) ([]*junction.SealedValue, error) {
	p := junction.Page{Limit: limit}.Normalize()
	rows, err := h.reader().QueryContext(ctx,
		"SELECT "+sealedColumns+" FROM sealed_values WHERE key_id <> $1 ORDER BY id LIMIT $2", keyID, p.Limit)
	if err != nil {
		return nil, internal("list sealed values to rewrap", err)
	}
	out, err := collect(rows, scanSealed)
	if err != nil {
		return nil, internal("list sealed values to rewrap", err)
	}
	return out, nil
}

// RewrapSealed swaps the wrapped data key of one value, comparing both the
// key ID and the wrapped key with what the rotation read: a value re-sealed
// meanwhile has a new data key, possibly wrapped with the same old master
// key, and writing the re-wrapped old data key over it would make it
// unreadable. ENOTFOUND when the value is gone; ECONFLICT when it changed,
// in which case nothing is written.
func (h *handle) RewrapSealed(ctx context.Context, id, oldKeyID string, oldWrapped []byte, newKeyID string, wrapped []byte) error {
	res, err := h.writer().ExecContext(ctx,
		`UPDATE sealed_values SET key_id = $1, wrapped_key = $2, updated_at = $3
		WHERE id = $4 AND key_id = $5 AND wrapped_key = $6`,
		newKeyID, wrapped, toMicros(h.db.now()), id, oldKeyID, oldWrapped)
	if err != nil {
		return internal("rewrap sealed value", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal("rewrap sealed value", err)
	}
	if n > 0 {
		return nil
	}
	var keyID string
	err = h.reader().QueryRowContext(ctx, "SELECT key_id FROM sealed_values WHERE id = $1", id).Scan(&keyID)
	if err != nil {
		return notFoundOr("sealed value", "rewrap sealed value", err)
	}
	if keyID != oldKeyID {
		return conflict("the sealed value is no longer wrapped with key %s", quote(oldKeyID))
	}
	return conflict("the sealed value was sealed again with a new data key since it was read")
}
