package app

import (
	"context"
	"fmt"
	"slices"

	"junction"
)

// CreateRoleInput describes a custom role.
type CreateRoleInput struct {
	Name        string
	Description string
	Permissions []junction.Permission
}

// checkPermissions validates a role's permission list, naming the first
// unknown entry, and returns it sorted without duplicates.
func checkPermissions(ps []junction.Permission) ([]junction.Permission, error) {
	if len(ps) == 0 {
		return nil, junction.Invalid("permissions", "must list at least one permission")
	}
	for i, p := range ps {
		if !p.Valid() {
			return nil, junction.Invalid(fmt.Sprintf("permissions[%d]", i), "%q is not a permission", string(p))
		}
	}
	out := slices.Clone(ps)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// roleIn loads a role of the caller's tenant.
func (a *App) roleIn(ctx context.Context, st junction.Store, p *junction.Principal, id string) (*junction.Role, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("role")
	}
	return st.GetRole(ctx, p.TenantID(), id)
}

func builtInUnchangeable(r *junction.Role) error {
	return junction.Errorf(junction.ECONFLICT, "%q is a built-in role and cannot be changed or deleted; create a custom role instead", r.Name)
}

// CreateRole creates a custom role. Needs Roles.Create.
func (a *App) CreateRole(ctx context.Context, p *junction.Principal, in CreateRoleInput) (*junction.Role, error) {
	if err := requireTenant(p, junction.PermRolesCreate); err != nil {
		return nil, err
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, err
	}
	desc, err := cleanDescription("description", in.Description)
	if err != nil {
		return nil, err
	}
	perms, err := checkPermissions(in.Permissions)
	if err != nil {
		return nil, err
	}
	var out *junction.Role
	err = a.tx(ctx, func(tx junction.Store) error {
		now := a.now()
		r := &junction.Role{
			ID: junction.NewID(), TenantID: p.TenantID(), Name: name, Description: desc,
			Permissions: perms, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateRole(ctx, r); err != nil {
			return conflictName(err, "name", "a role named %q already exists", name)
		}
		out = r
		return a.audit(ctx, tx, p, "role.create", "role", r.ID, "",
			map[string]any{"name": r.Name, "permissions": perms})
	})
	return out, err
}

// GetRole returns a role. Needs Roles.View.
func (a *App) GetRole(ctx context.Context, p *junction.Principal, id string) (*junction.Role, error) {
	if err := requireTenant(p, junction.PermRolesView); err != nil {
		return nil, err
	}
	return a.roleIn(ctx, a.store, p, id)
}

// ListRoles lists the tenant's roles, built-in ones included. Needs
// Roles.View.
func (a *App) ListRoles(ctx context.Context, p *junction.Principal, page junction.Page) (List[*junction.Role], error) {
	if err := requireTenant(p, junction.PermRolesView); err != nil {
		return List[*junction.Role]{}, err
	}
	if err := checkCursor(page); err != nil {
		return List[*junction.Role]{}, err
	}
	rs, err := a.store.ListRoles(ctx, p.TenantID(), page.Normalize())
	if err != nil {
		return List[*junction.Role]{}, err
	}
	return newList(rs, page, func(r *junction.Role) string { return r.ID }), nil
}

// UpdateRoleInput changes a custom role. Nil fields stay as they are.
type UpdateRoleInput struct {
	Name        *string
	Description *string
	Permissions *[]junction.Permission
}

// UpdateRole changes a custom role. Needs Roles.Edit; built-in roles answer
// conflict.
func (a *App) UpdateRole(ctx context.Context, p *junction.Principal, id string, in UpdateRoleInput) (*junction.Role, error) {
	if err := requireTenant(p, junction.PermRolesEdit); err != nil {
		return nil, err
	}
	var out *junction.Role
	err := a.tx(ctx, func(tx junction.Store) error {
		r, err := a.roleIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if r.BuiltIn {
			return builtInUnchangeable(r)
		}
		details := map[string]any{}
		if in.Name != nil {
			if r.Name, err = cleanName("name", *in.Name); err != nil {
				return err
			}
			details["name"] = r.Name
		}
		if in.Description != nil {
			if r.Description, err = cleanDescription("description", *in.Description); err != nil {
				return err
			}
			details["description"] = r.Description
		}
		if in.Permissions != nil {
			if r.Permissions, err = checkPermissions(*in.Permissions); err != nil {
				return err
			}
			details["permissions"] = r.Permissions
		}
		out = r
		if len(details) == 0 {
			return nil
		}
		r.UpdatedAt = a.now()
		if err := tx.UpdateRole(ctx, r); err != nil {
			return conflictName(err, "name", "a role named %q already exists", r.Name)
		}
		return a.audit(ctx, tx, p, "role.update", "role", r.ID, "", details)
	})
	return out, err
}

// DeleteRole deletes a custom role. Needs Roles.Delete; a built-in role or
// one still assigned answers conflict.
func (a *App) DeleteRole(ctx context.Context, p *junction.Principal, id string) error {
	if err := requireTenant(p, junction.PermRolesDelete); err != nil {
		return err
	}
	return a.tx(ctx, func(tx junction.Store) error {
		r, err := a.roleIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if r.BuiltIn {
			return builtInUnchangeable(r)
		}
		if err := tx.DeleteRole(ctx, p.TenantID(), r.ID); err != nil {
			if junction.IsCode(err, junction.ECONFLICT) {
				return &junction.Error{Code: junction.ECONFLICT, Err: err,
					Message: fmt.Sprintf("role %q is still assigned; remove it from its users first", r.Name)}
			}
			return err
		}
		return a.audit(ctx, tx, p, "role.delete", "role", r.ID, "", map[string]any{"name": r.Name})
	})
}
