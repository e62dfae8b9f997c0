package app

import (
	"context"
	"fmt"
	"slices"

	"junction"
)

// Folder membership: roles a user holds on one folder and, by inheritance,
// its subfolders. Granting roles anywhere (here, or tenant-wide on a user)
// needs Users.Edit, so one permission says who can hand out rights; the
// folder itself only has to be visible to the caller.

// FolderMember is a user's roles on one folder.
type FolderMember struct {
	UserID   string   `json:"user_id"`
	UserName string   `json:"user_name"`
	Roles    []string `json:"roles"`
}

// ListFolderMembers lists the roles assigned directly on a folder. Needs
// Users.View and a visible folder.
func (a *App) ListFolderMembers(ctx context.Context, p *junction.Principal, folderID string) ([]FolderMember, error) {
	f, err := a.folderFor(ctx, a.store, p, folderID, "")
	if err != nil {
		return nil, err
	}
	if err := requireTenant(p, junction.PermUsersView); err != nil {
		return nil, err
	}
	as, err := a.store.ListFolderAssignments(ctx, p.TenantID(), f.ID)
	if err != nil {
		return nil, err
	}
	byUser := map[string]*FolderMember{}
	var order []string
	for _, x := range as {
		m := byUser[x.UserID]
		if m == nil {
			m = &FolderMember{UserID: x.UserID, Roles: []string{}}
			byUser[x.UserID] = m
			order = append(order, x.UserID)
		}
		m.Roles = append(m.Roles, x.RoleName)
	}
	out := make([]FolderMember, 0, len(order))
	for _, id := range order {
		m := byUser[id]
		u, err := a.store.GetUser(ctx, p.TenantID(), id)
		if err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
			return nil, err
		} else if err == nil {
			m.UserName = u.Name
		}
		slices.Sort(m.Roles)
		out = append(out, *m)
	}
	return out, nil
}

// SetFolderMember replaces the roles userID holds on a folder. Only roles
// with folder permissions may be given; an empty list removes the user from
// the folder. Needs Users.Edit and a visible folder, and being a host
// administrator to change one's folder roles.
func (a *App) SetFolderMember(ctx context.Context, p *junction.Principal, folderID, userID string, roleNames []string) (*FolderMember, error) {
	var out *FolderMember
	err := a.tx(ctx, func(tx junction.Store) error {
		f, err := a.folderFor(ctx, tx, p, folderID, "")
		if err != nil {
			return err
		}
		if err := requireTenant(p, junction.PermUsersEdit); err != nil {
			return err
		}
		u, err := a.userIn(ctx, tx, p, userID)
		if err != nil {
			return err
		}
		if err := guardHostAdmin(p, u); err != nil {
			return err
		}
		roles, err := a.resolveRoles(ctx, tx, p, roleNames, true)
		if err != nil {
			return err
		}
		if err := tx.SetAssignments(ctx, p.TenantID(), u.ID, f.ID, roleIDs(roles)); err != nil {
			return err
		}
		names := roleNamesOf(roles)
		out = &FolderMember{UserID: u.ID, UserName: u.Name, Roles: names}
		action := "folder.member.set"
		if len(names) == 0 {
			action = "folder.member.remove"
		}
		return a.audit(ctx, tx, p, action, "user", u.ID, f.ID, map[string]any{"roles": names})
	})
	return out, err
}

// RemoveFolderMember removes every role userID holds directly on a folder.
func (a *App) RemoveFolderMember(ctx context.Context, p *junction.Principal, folderID, userID string) error {
	_, err := a.SetFolderMember(ctx, p, folderID, userID, nil)
	return err
}

// resolveRoles looks roles up by name, naming the offending entry of
// "roles" when one is unknown. With onFolder, a role must carry at least one
// folder permission: assigned on a folder, tenant permissions have no
// effect, and silently granting nothing would mislead.
func (a *App) resolveRoles(ctx context.Context, st junction.Store, p *junction.Principal, names []string, onFolder bool) ([]*junction.Role, error) {
	var out []*junction.Role
	seen := map[string]bool{}
	for i, name := range names {
		field := fmt.Sprintf("roles[%d]", i)
		if seen[name] {
			continue
		}
		seen[name] = true
		r, err := st.GetRoleByName(ctx, p.TenantID(), name)
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, junction.Invalid(field, "there is no role named %q", name)
		} else if err != nil {
			return nil, err
		}
		if onFolder && !slices.ContainsFunc(r.Permissions, junction.Permission.IsFolderPermission) {
			return nil, junction.Invalid(field, "role %q holds only tenant permissions, which have no effect on a folder; assign it tenant-wide instead", name)
		}
		out = append(out, r)
	}
	return out, nil
}

func roleIDs(rs []*junction.Role) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

func roleNamesOf(rs []*junction.Role) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	slices.Sort(names)
	return names
}
