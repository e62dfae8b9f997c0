package junction_test

import (
	"testing"

	"junction"
)

// A folder permission held tenant-wide holds in every folder, so every
// folder is visible with it; a tenant permission other than Folders.View
// shows no folder, and a role on a folder shows that folder's subtree only.
func TestAccessSeesFolder(t *testing.T) {
	top := &junction.Folder{ID: "top", Path: []string{"top"}}
	sub := &junction.Folder{ID: "sub", ParentID: "top", Path: []string{"top", "sub"}}
	other := &junction.Folder{ID: "other", Path: []string{"other"}}
	roles := map[string]*junction.Role{}
	for _, r := range junction.BuiltInRoles() {
		r.ID = r.Name
		roles[r.ID] = &r
	}
	roles["auditor"] = &junction.Role{ID: "auditor", Permissions: []junction.Permission{junction.PermAuditView}}
	for _, tc := range []struct {
		name   string
		as     []junction.RoleAssignment
		sees   []*junction.Folder
		hidden []*junction.Folder
	}{
		{"NoRole", nil, nil, []*junction.Folder{top, sub, other}},
		{"TenantAdministrator", []junction.RoleAssignment{{RoleID: junction.RoleTenantAdmin}}, []*junction.Folder{top, sub, other}, nil},
		{"ViewerTenantWide", []junction.RoleAssignment{{RoleID: junction.RoleViewer}}, []*junction.Folder{top, sub, other}, nil},
		{"RobotTenantWide", []junction.RoleAssignment{{RoleID: junction.RoleRobot}}, []*junction.Folder{top, sub, other}, nil},
		{"TenantPermissionOnly", []junction.RoleAssignment{{RoleID: "auditor"}}, nil, []*junction.Folder{top, sub, other}},
		{"ViewerOnFolder", []junction.RoleAssignment{{RoleID: junction.RoleViewer, FolderID: "top"}}, []*junction.Folder{top, sub}, []*junction.Folder{other}},
		{"ViewerOnSubfolder", []junction.RoleAssignment{{RoleID: junction.RoleViewer, FolderID: "sub"}}, []*junction.Folder{sub}, []*junction.Folder{top, other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := junction.NewAccess(tc.as, roles)
			for _, f := range tc.sees {
				if !a.SeesFolder(f) {
					t.Errorf("folder %s hidden, want visible", f.ID)
				}
			}
			for _, f := range tc.hidden {
				if a.SeesFolder(f) {
					t.Errorf("folder %s visible, want hidden", f.ID)
				}
			}
		})
	}
}
