package sqldb

import (
	"context"
	"database/sql"

	"junction"
)

const roleColumns = "id, tenant_id, name, description, permissions, built_in, created_at, updated_at"

func scanRole(s scanner) (*junction.Role, error) {
	var r junction.Role
	var perms string
	var created, updated int64
	if err := s.Scan(&r.ID, &r.TenantID, &r.Name, &r.Description, &perms, &r.BuiltIn, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if r.Permissions, err = decodePermissions(perms); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

// decodePermissions reads a role's permissions column, never returning a
// nil slice.
func decodePermissions(s string) ([]junction.Permission, error) {
	ps := []junction.Permission{}
	if err := decodeJSON(s, &ps); err != nil {
		return nil, err
	}
	return ps, nil
}

func encodePermissions(ps []junction.Permission) (string, error) {
	if ps == nil {
		ps = []junction.Permission{}
	}
	return encodeJSON(ps)
}

func roleNameTaken(r *junction.Role) string {
	return "a role named " + quote(r.Name) + " already exists"
}

// CreateRole stores r, filling an empty ID and the timestamps.
func (h *handle) CreateRole(ctx context.Context, r *junction.Role) error {
	newID(&r.ID)
	perms, err := encodePermissions(r.Permissions)
	if err != nil {
		return internal("create role", err)
	}
	r.CreatedAt = stamp(r.CreatedAt, h.db.now())
	r.UpdatedAt = stamp(r.UpdatedAt, r.CreatedAt)
	_, err = h.writer().ExecContext(ctx,
		"INSERT INTO roles ("+roleColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		r.ID, r.TenantID, r.Name, r.Description, perms, r.BuiltIn, toMicros(r.CreatedAt), toMicros(r.UpdatedAt))
	if err != nil {
		return writeErr("create role", "role", err, roleNameTaken(r), junction.NotFound("tenant"))
	}
	return nil
}

func (h *handle) GetRole(ctx context.Context, tenantID, id string) (*junction.Role, error) {
	r, err := scanRole(h.reader().QueryRowContext(ctx,
		"SELECT "+roleColumns+" FROM roles WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("role", "get role", err)
	}
	return r, nil
}

func (h *handle) GetRoleByName(ctx context.Context, tenantID, name string) (*junction.Role, error) {
	r, err := scanRole(h.reader().QueryRowContext(ctx,
		"SELECT "+roleColumns+" FROM roles WHERE tenant_id = $1 AND name = $2", tenantID, name))
	if err != nil {
		return nil, notFoundOr("role", "get role by name", err)
	}
	return r, nil
}

func (h *handle) ListRoles(ctx context.Context, tenantID string, p junction.Page) ([]*junction.Role, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	tail := c.page(p, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+roleColumns+" FROM roles"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list roles", err)
	}
	out, err := collect(rows, scanRole)
	if err != nil {
		return nil, internal("list roles", err)
	}
	return out, nil
}

// UpdateRole saves the name, description and permissions.
// UpdatedAt is stamped when zero. Whether a built-in role may change is the caller's rule.
func (h *handle) UpdateRole(ctx context.Context, r *junction.Role) error {
	perms, err := encodePermissions(r.Permissions)
	if err != nil {
		return internal("update role", err)
	}
	r.UpdatedAt = stamp(r.UpdatedAt, h.db.now())
	res, err := h.writer().ExecContext(ctx,
		`UPDATE roles SET name = $1, description = $2, permissions = $3, updated_at = $4
		WHERE tenant_id = $5 AND id = $6`,
		r.Name, r.Description, perms, toMicros(r.UpdatedAt), r.TenantID, r.ID)
	if err != nil {
		return writeErr("update role", "role", err, roleNameTaken(r), nil)
	}
	return affected(res, "role", "update role")
}

// DeleteRole removes a role that nobody holds; ECONFLICT, with
// Details["assignments"], while it is assigned.
func (h *handle) DeleteRole(ctx context.Context, tenantID, id string) error {
	return h.write(ctx, func(h *handle) error {
		var n int
		if err := h.reader().QueryRowContext(ctx,
			"SELECT COUNT(*) FROM role_assignments WHERE tenant_id = $1 AND role_id = $2", tenantID, id).Scan(&n); err != nil {
			return internal("delete role: count assignments", err)
		}
		if n > 0 {
			return &junction.Error{Code: junction.ECONFLICT, Details: map[string]any{"assignments": n},
				Message: plural(n, "user assignment still holds", "user assignments still hold") + " this role: remove them first"}
		}
		res, err := h.writer().ExecContext(ctx, "DELETE FROM roles WHERE tenant_id = $1 AND id = $2", tenantID, id)
		if err != nil {
			if classify(err) == foreignKeyViolation {
				return &junction.Error{Code: junction.ECONFLICT, Message: "the role is still assigned: remove its assignments first", Err: err}
			}
			return internal("delete role", err)
		}
		return affected(res, "role", "delete role")
	})
}

// SetAssignments replaces the roles userID holds at one scope, checking that
// the user, the folder and every role exist in the tenant.
func (h *handle) SetAssignments(ctx context.Context, tenantID, userID, folderID string, roleIDs []string) error {
	return h.write(ctx, func(h *handle) error {
		if _, err := h.GetUser(ctx, tenantID, userID); err != nil {
			return err
		}
		if folderID != "" {
			if _, err := h.GetFolder(ctx, tenantID, folderID); err != nil {
				return err
			}
		}
		var c conds
		del := "DELETE FROM role_assignments WHERE tenant_id = " + c.arg(tenantID) + " AND user_id = " + c.arg(userID)
		if folderID == "" {
			del += " AND folder_id IS NULL"
		} else {
			del += " AND folder_id = " + c.arg(folderID)
		}
		if _, err := h.writer().ExecContext(ctx, del, c.args...); err != nil {
			return internal("set assignments: clear scope", err)
		}
		seen := map[string]bool{}
		for _, roleID := range roleIDs {
			if seen[roleID] {
				continue
			}
			seen[roleID] = true
			_, err := h.writer().ExecContext(ctx,
				"INSERT INTO role_assignments (tenant_id, user_id, folder_id, role_id) VALUES ($1, $2, $3, $4)",
				tenantID, userID, nullString(folderID), roleID)
			if err != nil {
				return writeErr("set assignments", "role assignment", err, "the role is already assigned",
					&junction.Error{Code: junction.ENOTFOUND, Field: "role_ids", Message: "role not found"})
			}
		}
		return nil
	})
}

const assignmentQuery = `SELECT a.tenant_id, a.user_id, a.folder_id, a.role_id, r.name
	FROM role_assignments a JOIN roles r ON r.tenant_id = a.tenant_id AND r.id = a.role_id`

func scanAssignment(s scanner) (junction.RoleAssignment, error) {
	var a junction.RoleAssignment
	var folder sql.NullString
	err := s.Scan(&a.TenantID, &a.UserID, &folder, &a.RoleID, &a.RoleName)
	a.FolderID = fromNullString(folder)
	return a, err
}

// ListAssignments returns the user's assignments, tenant-wide ones first,
// then by folder and role ID.
func (h *handle) ListAssignments(ctx context.Context, tenantID, userID string) ([]junction.RoleAssignment, error) {
	rows, err := h.reader().QueryContext(ctx,
		assignmentQuery+" WHERE a.tenant_id = $1 AND a.user_id = $2 ORDER BY COALESCE(a.folder_id, ''), a.role_id",
		tenantID, userID)
	if err != nil {
		return nil, internal("list assignments", err)
	}
	out, err := collect(rows, scanAssignment)
	if err != nil {
		return nil, internal("list assignments", err)
	}
	return out, nil
}

// ListFolderAssignments returns the assignments made on the folder itself,
// by user and role ID.
func (h *handle) ListFolderAssignments(ctx context.Context, tenantID, folderID string) ([]junction.RoleAssignment, error) {
	rows, err := h.reader().QueryContext(ctx,
		assignmentQuery+" WHERE a.tenant_id = $1 AND a.folder_id = $2 ORDER BY a.user_id, a.role_id",
		tenantID, folderID)
	if err != nil {
		return nil, internal("list folder assignments", err)
	}
	out, err := collect(rows, scanAssignment)
	if err != nil {
		return nil, internal("list folder assignments", err)
	}
	return out, nil
}
