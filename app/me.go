package app

import (
	"context"
	"sort"

	"junction"
)

// FolderGrant is what the caller holds directly on one folder.
type FolderGrant struct {
	FolderID    string                `json:"folder_id"`
	FolderName  string                `json:"folder_name"`
	Permissions []junction.Permission `json:"permissions"`
}

// Me describes the caller: who they are, where, and what they may do.
type Me struct {
	User   *junction.User   `json:"user"`
	Tenant *junction.Tenant `json:"tenant"`
	// Roles are the roles held tenant-wide.
	Roles []string `json:"roles"`
	// Permissions are held tenant-wide; folder permissions among them apply
	// in every folder.
	Permissions []junction.Permission `json:"permissions"`
	// Folders lists the folders with roles assigned directly; their
	// permissions also hold in every subfolder.
	Folders []FolderGrant `json:"folders"`
	// Assignments are the caller's role assignments, tenant-wide and per
	// folder.
	Assignments []junction.RoleAssignment `json:"assignments"`
}

// Me returns the caller's identity and permissions. Everyone may ask.
func (a *App) Me(ctx context.Context, p *junction.Principal) (*Me, error) {
	t, err := a.store.GetTenant(ctx, p.TenantID())
	if err != nil {
		return nil, err
	}
	as, err := a.store.ListAssignments(ctx, p.TenantID(), p.User.ID)
	if err != nil {
		return nil, err
	}
	m := &Me{User: p.User, Tenant: t, Roles: []string{}, Permissions: p.Access.TenantPermissionList(),
		Folders: []FolderGrant{}, Assignments: as}
	if m.Assignments == nil {
		m.Assignments = []junction.RoleAssignment{}
	}
	for _, x := range as {
		if x.FolderID == "" {
			m.Roles = append(m.Roles, x.RoleName)
		}
	}
	for id := range p.Access.Folders {
		perms := p.Access.FolderPermissionList(id)
		if len(perms) == 0 {
			continue
		}
		f, err := a.store.GetFolder(ctx, p.TenantID(), id)
		if junction.IsCode(err, junction.ENOTFOUND) {
			continue
		} else if err != nil {
			return nil, err
		}
		m.Folders = append(m.Folders, FolderGrant{FolderID: f.ID, FolderName: f.Name, Permissions: perms})
	}
	sort.Slice(m.Folders, func(i, j int) bool { return m.Folders[i].FolderID < m.Folders[j].FolderID })
	return m, nil
}
