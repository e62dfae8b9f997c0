package junction

import "slices"

// Access is what one user may do in one tenant, computed from their role
// assignments. It is read-only once built, so one Access may serve many
// requests of the same user.
type Access struct {
	// Tenant holds permissions granted by tenant-wide assignments. A
	// folder-level permission here applies in every folder.
	Tenant map[Permission]bool
	// Folders holds folder-level permissions granted directly on a folder,
	// keyed by folder ID. They apply to that folder and its subfolders.
	Folders map[string]map[Permission]bool
}

// NewAccess builds Access from a user's assignments and the roles they name.
// Tenant-level permissions in a role assigned on a folder are ignored.
func NewAccess(assignments []RoleAssignment, roles map[string]*Role) Access {
	a := Access{Tenant: map[Permission]bool{}, Folders: map[string]map[Permission]bool{}}
	for _, as := range assignments {
		r := roles[as.RoleID]
		if r == nil {
			continue
		}
		for _, p := range r.Permissions {
			if as.FolderID == "" {
				a.Tenant[p] = true
				continue
			}
			if !p.IsFolderPermission() {
				continue
			}
			m := a.Folders[as.FolderID]
			if m == nil {
				m = map[Permission]bool{}
				a.Folders[as.FolderID] = m
			}
			m[p] = true
		}
	}
	return a
}

// CanTenant reports whether a tenant-wide permission is held.
func (a Access) CanTenant(p Permission) bool { return a.Tenant[p] }

// Can reports whether p is held on folder f, directly, through an ancestor, or
// tenant-wide.
func (a Access) Can(p Permission, f *Folder) bool {
	if a.Tenant[p] {
		return true
	}
	if f == nil {
		return false
	}
	for _, id := range f.Path {
		if a.Folders[id][p] {
			return true
		}
	}
	return false
}

// SeesFolder reports whether folder f is visible: the caller sees every
// folder (SeesAllFolders), or holds a role on f or one of its ancestors.
// Invisible folders, and everything in them, answer not_found.
func (a Access) SeesFolder(f *Folder) bool {
	if a.SeesAllFolders() {
		return true
	}
	for _, id := range f.Path {
		if len(a.Folders[id]) > 0 {
			return true
		}
	}
	return false
}

// SeesAllFolders reports whether every folder of the tenant is visible: the
// caller holds Folders.View tenant-wide, or a role assigned tenant-wide that
// carries a folder permission. Such a permission holds in every folder
// (Can), and lists already show what it covers in all of them, so each of
// those objects must be visible on its own too.
func (a Access) SeesAllFolders() bool {
	for p, ok := range a.Tenant {
		if ok && (p == PermFoldersView || p.IsFolderPermission()) {
			return true
		}
	}
	return false
}

// TenantPermissionList returns the tenant-wide permissions, sorted.
func (a Access) TenantPermissionList() []Permission { return sortedPerms(a.Tenant) }

// FolderPermissionList returns the permissions granted directly on a folder, sorted.
func (a Access) FolderPermissionList(folderID string) []Permission {
	return sortedPerms(a.Folders[folderID])
}

func sortedPerms(m map[Permission]bool) []Permission {
	out := make([]Permission, 0, len(m))
	for p, ok := range m {
		if ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User   *User
	Token  *Token
	Access Access
	// IP and RequestID are recorded in audit entries.
	IP        string
	RequestID string
}

// TenantID is the caller's tenant; every query it makes is scoped by it.
func (p *Principal) TenantID() string { return p.User.TenantID }
