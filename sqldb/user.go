package sqldb

import (
	"context"

	"junction"
)

const userColumns = "id, tenant_id, name, display_name, email, host_admin, disabled, created_at, updated_at"

func scanUser(s scanner) (*junction.User, error) {
	var u junction.User
	var created, updated int64
	if err := s.Scan(&u.ID, &u.TenantID, &u.Name, &u.DisplayName, &u.Email, &u.HostAdmin, &u.Disabled,
		&created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

func userNameTaken(u *junction.User) string {
	return "a user named " + quote(u.Name) + " already exists"
}

// CreateUser stores u, filling an empty ID and the timestamps.
func (h *handle) CreateUser(ctx context.Context, u *junction.User) error {
	newID(&u.ID)
	u.CreatedAt = stamp(u.CreatedAt, h.db.now())
	u.UpdatedAt = stamp(u.UpdatedAt, u.CreatedAt)
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO users ("+userColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		u.ID, u.TenantID, u.Name, u.DisplayName, u.Email, u.HostAdmin, u.Disabled,
		toMicros(u.CreatedAt), toMicros(u.UpdatedAt))
	if err != nil {
		return writeErr("create user", "user", err, userNameTaken(u), junction.NotFound("tenant"))
	}
	return nil
}

func (h *handle) GetUser(ctx context.Context, tenantID, id string) (*junction.User, error) {
	u, err := scanUser(h.reader().QueryRowContext(ctx,
		"SELECT "+userColumns+" FROM users WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("user", "get user", err)
	}
	return u, nil
}

func (h *handle) GetUserByName(ctx context.Context, tenantID, name string) (*junction.User, error) {
	u, err := scanUser(h.reader().QueryRowContext(ctx,
		"SELECT "+userColumns+" FROM users WHERE tenant_id = $1 AND name = $2", tenantID, name))
	if err != nil {
		return nil, notFoundOr("user", "get user by name", err)
	}
	return u, nil
}

// ListUsers lists users by ID. NameContains matches the login name or the
// display name; RoleID is answered by the assignments' index on
// (tenant_id, role_id).
func (h *handle) ListUsers(ctx context.Context, tenantID string, f junction.UserFilter) ([]*junction.User, error) {
	var c conds
	tenant := c.arg(tenantID)
	c.add("tenant_id = " + tenant)
	if f.NameContains != "" {
		c.contains(f.NameContains, "name", "display_name")
	}
	if f.Disabled != nil {
		c.add("disabled = " + c.arg(*f.Disabled))
	}
	if f.RoleID != "" {
		c.add("id IN (SELECT user_id FROM role_assignments WHERE tenant_id = " + tenant + " AND role_id = " + c.arg(f.RoleID) + ")")
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+userColumns+" FROM users"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list users", err)
	}
	out, err := collect(rows, scanUser)
	if err != nil {
		return nil, internal("list users", err)
	}
	return out, nil
}

// UpdateUser saves every field but the IDs and CreatedAt.
// UpdatedAt is stamped when zero.
func (h *handle) UpdateUser(ctx context.Context, u *junction.User) error {
	u.UpdatedAt = stamp(u.UpdatedAt, h.db.now())
	res, err := h.writer().ExecContext(ctx,
		`UPDATE users SET name = $1, display_name = $2, email = $3, host_admin = $4, disabled = $5, updated_at = $6
		WHERE tenant_id = $7 AND id = $8`,
		u.Name, u.DisplayName, u.Email, u.HostAdmin, u.Disabled, toMicros(u.UpdatedAt), u.TenantID, u.ID)
	if err != nil {
		return writeErr("update user", "user", err, userNameTaken(u), nil)
	}
	return affected(res, "user", "update user")
}

// DeleteUser removes the user; foreign keys remove its tokens and role
// assignments.
func (h *handle) DeleteUser(ctx context.Context, tenantID, id string) error {
	res, err := h.writer().ExecContext(ctx, "DELETE FROM users WHERE tenant_id = $1 AND id = $2", tenantID, id)
	if err != nil {
		return internal("delete user", err)
	}
	return affected(res, "user", "delete user")
}
