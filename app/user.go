package app

import (
	"context"
	"net/mail"
	"strings"

	"junction"
)

// UserWithRoles is a user with the roles they hold tenant-wide.
type UserWithRoles struct {
	*junction.User
	Roles []string `json:"roles"`
}

// CreateUserInput describes a new user. Roles are names of roles granted
// tenant-wide; granting any needs Users.Edit besides Users.Create.
type CreateUserInput struct {
	Name        string
	DisplayName string
	Email       string
	Roles       []string
}

func cleanEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 254 {
		return "", junction.Invalid(field, "is not an e-mail address")
	}
	return s, nil
}

func cleanDisplayName(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return cleanName(field, s)
}

// userIn loads a user of the caller's tenant.
func (a *App) userIn(ctx context.Context, st junction.Store, p *junction.Principal, id string) (*junction.User, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("user")
	}
	return st.GetUser(ctx, p.TenantID(), id)
}

// guardHostAdmin refuses any change to a host administrator (roles, tokens,
// disabling, deleting, folder membership) by a caller who is not one. The
// host administrator lives in the default tenant, so that tenant's Tenant
// Administrators hold Users.Edit over it; without this check a tenant role
// would reach host administration. Callers check it after the tenant
// permission, so a caller without that permission learns nothing new.
func guardHostAdmin(p *junction.Principal, target *junction.User) error {
	if !target.HostAdmin || p.User.HostAdmin {
		return nil
	}
	return &junction.Error{
		Code:    junction.EPERMISSIONDENIED,
		Message: "only a host administrator can change a host administrator",
		Details: map[string]any{"user_id": target.ID},
	}
}

// tenantRoles returns the names of the roles a user holds tenant-wide.
func tenantRoles(ctx context.Context, st junction.Store, u *junction.User) ([]string, error) {
	as, err := st.ListAssignments(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, x := range as {
		if x.FolderID == "" {
			names = append(names, x.RoleName)
		}
	}
	return names, nil
}

// CreateUser creates a user and grants them roles tenant-wide. Needs
// Users.Create, and Users.Edit when roles are given.
func (a *App) CreateUser(ctx context.Context, p *junction.Principal, in CreateUserInput) (*UserWithRoles, error) {
	if err := requireTenant(p, junction.PermUsersCreate); err != nil {
		return nil, err
	}
	if len(in.Roles) > 0 {
		if err := requireTenant(p, junction.PermUsersEdit); err != nil {
			return nil, err
		}
	}
	name, err := cleanLoginName("name", in.Name)
	if err != nil {
		return nil, err
	}
	display, err := cleanDisplayName("display_name", in.DisplayName)
	if err != nil {
		return nil, err
	}
	email, err := cleanEmail("email", in.Email)
	if err != nil {
		return nil, err
	}
	var out *UserWithRoles
	err = a.tx(ctx, func(tx junction.Store) error {
		now := a.now()
		u := &junction.User{
			ID: junction.NewID(), TenantID: p.TenantID(), Name: name, DisplayName: display, Email: email,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return conflictName(err, "name", "a user named %q already exists", name)
		}
		roles, err := a.resolveRoles(ctx, tx, p, in.Roles, false)
		if err != nil {
			return err
		}
		if len(roles) > 0 {
			if err := tx.SetAssignments(ctx, p.TenantID(), u.ID, "", roleIDs(roles)); err != nil {
				return err
			}
		}
		names := roleNamesOf(roles)
		out = &UserWithRoles{User: u, Roles: names}
		return a.audit(ctx, tx, p, "user.create", "user", u.ID, "",
			map[string]any{"name": u.Name, "roles": names})
	})
	return out, err
}

// GetUser returns a user with their tenant-wide roles. Callers may always
// read themselves; others need Users.View.
func (a *App) GetUser(ctx context.Context, p *junction.Principal, id string) (*UserWithRoles, error) {
	if id != p.User.ID {
		if err := requireTenant(p, junction.PermUsersView); err != nil {
			return nil, err
		}
	}
	u, err := a.userIn(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	roles, err := tenantRoles(ctx, a.store, u)
	if err != nil {
		return nil, err
	}
	return &UserWithRoles{User: u, Roles: roles}, nil
}

// UserQuery narrows ListUsers.
type UserQuery struct {
	NameContains string
	// Status is UserActive or UserDisabled; empty keeps both.
	Status string
	// Role is the name of a role: the users holding it tenant-wide or on
	// any folder.
	Role string
	junction.Page
}

// The statuses ListUsers filters by.
const (
	UserActive   = "active"
	UserDisabled = "disabled"
)

// ListUsers lists the tenant's users. Needs Users.View. An unknown status
// or role is refused, naming "status" or "role".
func (a *App) ListUsers(ctx context.Context, p *junction.Principal, q UserQuery) (List[*junction.User], error) {
	var empty List[*junction.User]
	if err := requireTenant(p, junction.PermUsersView); err != nil {
		return empty, err
	}
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	f := junction.UserFilter{NameContains: q.NameContains, Page: q.Page.Normalize()}
	switch q.Status {
	case "":
	case UserActive, UserDisabled:
		disabled := q.Status == UserDisabled
		f.Disabled = &disabled
	default:
		return empty, junction.Invalid("status", "must be %s or %s", UserActive, UserDisabled)
	}
	if q.Role != "" {
		r, err := a.store.GetRoleByName(ctx, p.TenantID(), q.Role)
		if junction.IsCode(err, junction.ENOTFOUND) {
			return empty, junction.Invalid("role", "there is no role named %q", q.Role)
		} else if err != nil {
			return empty, err
		}
		f.RoleID = r.ID
	}
	us, err := a.store.ListUsers(ctx, p.TenantID(), f)
	if err != nil {
		return empty, err
	}
	return newList(us, q.Page, func(u *junction.User) string { return u.ID }), nil
}

// UpdateUserInput changes a user. Nil fields stay as they are; an empty
// string clears the display name or e-mail.
type UpdateUserInput struct {
	DisplayName *string
	Email       *string
	Disabled    *bool
	// Roles replaces the roles held tenant-wide.
	Roles *[]string
}

// UpdateUser changes a user. Needs Users.Edit, and being a host
// administrator to change one. Nobody can disable themselves, and the
// tenant always keeps one enabled Tenant Administrator.
func (a *App) UpdateUser(ctx context.Context, p *junction.Principal, id string, in UpdateUserInput) (*UserWithRoles, error) {
	if err := requireTenant(p, junction.PermUsersEdit); err != nil {
		return nil, err
	}
	var out *UserWithRoles
	err := a.tx(ctx, func(tx junction.Store) error {
		u, err := a.userIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := guardHostAdmin(p, u); err != nil {
			return err
		}
		details := map[string]any{}
		if in.DisplayName != nil {
			if u.DisplayName, err = cleanDisplayName("display_name", *in.DisplayName); err != nil {
				return err
			}
			details["display_name"] = u.DisplayName
		}
		if in.Email != nil {
			if u.Email, err = cleanEmail("email", *in.Email); err != nil {
				return err
			}
			details["email"] = u.Email
		}
		if in.Disabled != nil && *in.Disabled != u.Disabled {
			if *in.Disabled {
				if u.ID == p.User.ID {
					return &junction.Error{Code: junction.ECONFLICT, Field: "disabled", Message: "you cannot disable yourself"}
				}
				if err := a.keepsTenantAdmin(ctx, tx, u); err != nil {
					return err
				}
			}
			u.Disabled = *in.Disabled
			details["disabled"] = u.Disabled
		}
		if len(details) > 0 {
			u.UpdatedAt = a.now()
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		if in.Roles != nil {
			if _, err := a.setTenantRoles(ctx, tx, p, u, *in.Roles); err != nil {
				return err
			}
		}
		roles, err := tenantRoles(ctx, tx, u)
		if err != nil {
			return err
		}
		out = &UserWithRoles{User: u, Roles: roles}
		if len(details) == 0 {
			return nil
		}
		return a.audit(ctx, tx, p, "user.update", "user", u.ID, "", details)
	})
	return out, err
}

// SetUserRoles replaces the roles a user holds tenant-wide. Needs
// Users.Edit, and being a host administrator to change one's roles.
func (a *App) SetUserRoles(ctx context.Context, p *junction.Principal, id string, roleNames []string) (*UserWithRoles, error) {
	if err := requireTenant(p, junction.PermUsersEdit); err != nil {
		return nil, err
	}
	var out *UserWithRoles
	err := a.tx(ctx, func(tx junction.Store) error {
		u, err := a.userIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := guardHostAdmin(p, u); err != nil {
			return err
		}
		names, err := a.setTenantRoles(ctx, tx, p, u, roleNames)
		if err != nil {
			return err
		}
		out = &UserWithRoles{User: u, Roles: names}
		return nil
	})
	return out, err
}

// setTenantRoles replaces u's tenant-wide roles and audits the change. It
// refuses to take Tenant Administrator from the last enabled holder.
func (a *App) setTenantRoles(ctx context.Context, tx junction.Store, p *junction.Principal, u *junction.User, roleNames []string) ([]string, error) {
	roles, err := a.resolveRoles(ctx, tx, p, roleNames, false)
	if err != nil {
		return nil, err
	}
	names := roleNamesOf(roles)
	keepsAdmin := false
	for _, n := range names {
		keepsAdmin = keepsAdmin || n == junction.RoleTenantAdmin
	}
	if !keepsAdmin {
		if err := a.keepsTenantAdmin(ctx, tx, u); err != nil {
			return nil, err
		}
	}
	if err := tx.SetAssignments(ctx, p.TenantID(), u.ID, "", roleIDs(roles)); err != nil {
		return nil, err
	}
	return names, a.audit(ctx, tx, p, "user.roles.set", "user", u.ID, "", map[string]any{"roles": names})
}

// keepsTenantAdmin fails with conflict when u is the tenant's last enabled
// Tenant Administrator, so a tenant can never lock itself out. It scans the
// tenant's users only when u is such an administrator.
func (a *App) keepsTenantAdmin(ctx context.Context, tx junction.Store, u *junction.User) error {
	isAdmin := func(u *junction.User) (bool, error) {
		if u.Disabled {
			return false, nil
		}
		as, err := tx.ListAssignments(ctx, u.TenantID, u.ID)
		if err != nil {
			return false, err
		}
		for _, x := range as {
			if x.FolderID == "" && x.RoleName == junction.RoleTenantAdmin {
				return true, nil
			}
		}
		return false, nil
	}
	if ok, err := isAdmin(u); err != nil || !ok {
		return err
	}
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		us, err := tx.ListUsers(ctx, u.TenantID, junction.UserFilter{Page: page})
		if err != nil {
			return err
		}
		for _, other := range us {
			if other.ID == u.ID {
				continue
			}
			if ok, err := isAdmin(other); err != nil || ok {
				return err
			}
		}
		if len(us) < page.Limit {
			break
		}
		page.After = us[len(us)-1].ID
	}
	return junction.Errorf(junction.ECONFLICT, "%s is the last enabled %s of this tenant", u.Name, junction.RoleTenantAdmin)
}

// DeleteUser deletes a user with their tokens and role assignments. Needs
// Users.Delete. Nobody can delete themselves or the tenant's last enabled
// Tenant Administrator, and only a host administrator can delete a host
// administrator.
func (a *App) DeleteUser(ctx context.Context, p *junction.Principal, id string) error {
	if err := requireTenant(p, junction.PermUsersDelete); err != nil {
		return err
	}
	return a.tx(ctx, func(tx junction.Store) error {
		u, err := a.userIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := guardHostAdmin(p, u); err != nil {
			return err
		}
		if u.ID == p.User.ID {
			return junction.Errorf(junction.ECONFLICT, "you cannot delete yourself")
		}
		if err := a.keepsTenantAdmin(ctx, tx, u); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, p.TenantID(), u.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "user.delete", "user", u.ID, "", map[string]any{"name": u.Name})
	})
}
