package sqldb

import (
	"context"

	"junction"
)

const tenantColumns = "id, name, created_at"

func scanTenant(s scanner) (*junction.Tenant, error) {
	var t junction.Tenant
	var created int64
	if err := s.Scan(&t.ID, &t.Name, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// CreateTenant stores t, filling an empty ID and a zero CreatedAt.
func (h *handle) CreateTenant(ctx context.Context, t *junction.Tenant) error {
	newID(&t.ID)
	t.CreatedAt = stamp(t.CreatedAt, h.db.now())
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO tenants ("+tenantColumns+") VALUES ($1, $2, $3)",
		t.ID, t.Name, toMicros(t.CreatedAt))
	if err != nil {
		return writeErr("create tenant", "tenant", err, "a tenant named "+quote(t.Name)+" already exists", nil)
	}
	return nil
}

func (h *handle) GetTenant(ctx context.Context, id string) (*junction.Tenant, error) {
	t, err := scanTenant(h.reader().QueryRowContext(ctx,
		"SELECT "+tenantColumns+" FROM tenants WHERE id = $1", id))
	if err != nil {
		return nil, notFoundOr("tenant", "get tenant", err)
	}
	return t, nil
}

func (h *handle) GetTenantByName(ctx context.Context, name string) (*junction.Tenant, error) {
	t, err := scanTenant(h.reader().QueryRowContext(ctx,
		"SELECT "+tenantColumns+" FROM tenants WHERE name = $1", name))
	if err != nil {
		return nil, notFoundOr("tenant", "get tenant by name", err)
	}
	return t, nil
}

func (h *handle) ListTenants(ctx context.Context, p junction.Page) ([]*junction.Tenant, error) {
	var c conds
	tail := c.page(p, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+tenantColumns+" FROM tenants"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list tenants", err)
	}
	out, err := collect(rows, scanTenant)
	if err != nil {
		return nil, internal("list tenants", err)
	}
	return out, nil
}

func (h *handle) CountTenants(ctx context.Context) (int, error) {
	var n int
	if err := h.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM tenants").Scan(&n); err != nil {
		return 0, internal("count tenants", err)
	}
	return n, nil
}
