package junction

import (
	"slices"
	"time"
)

// Permission is one right, named "Area.Action" (for example "Connections.Edit").
type Permission string

// Folder-level permissions apply to the objects in a folder and its subfolders.
const (
	PermConnectionsView    Permission = "Connections.View"
	PermConnectionsCreate  Permission = "Connections.Create"
	PermConnectionsEdit    Permission = "Connections.Edit"
	PermConnectionsDelete  Permission = "Connections.Delete"
	PermConnectionsExecute Permission = "Connections.Execute"
	PermAssetsView         Permission = "Assets.View"
	PermAssetsCreate       Permission = "Assets.Create"
	PermAssetsEdit         Permission = "Assets.Edit"
	PermAssetsDelete       Permission = "Assets.Delete"
	PermAssetsResolve      Permission = "Assets.Resolve"
	PermTriggersView       Permission = "Triggers.View"
	PermTriggersCreate     Permission = "Triggers.Create"
	PermTriggersEdit       Permission = "Triggers.Edit"
	PermTriggersDelete     Permission = "Triggers.Delete"
	PermJobsView           Permission = "Jobs.View"
	PermJobsProcess        Permission = "Jobs.Process"
	PermLogsView           Permission = "Logs.View"
)

// Tenant-level permissions apply to the whole tenant. Granted through a role
// assigned on a folder they have no effect.
const (
	PermCredentialStoresView   Permission = "CredentialStores.View"
	PermCredentialStoresCreate Permission = "CredentialStores.Create"
	PermCredentialStoresEdit   Permission = "CredentialStores.Edit"
	PermCredentialStoresDelete Permission = "CredentialStores.Delete"
	PermFoldersView            Permission = "Folders.View"
	PermFoldersCreate          Permission = "Folders.Create"
	PermFoldersEdit            Permission = "Folders.Edit"
	PermFoldersDelete          Permission = "Folders.Delete"
	PermUsersView              Permission = "Users.View"
	PermUsersCreate            Permission = "Users.Create"
	PermUsersEdit              Permission = "Users.Edit"
	PermUsersDelete            Permission = "Users.Delete"
	PermRolesView              Permission = "Roles.View"
	PermRolesCreate            Permission = "Roles.Create"
	PermRolesEdit              Permission = "Roles.Edit"
	PermRolesDelete            Permission = "Roles.Delete"
	PermAuditView              Permission = "Audit.View"
	// PermConnectorsManage builds, imports, tests, publishes and deletes
	// the tenant's custom connectors.
	PermConnectorsManage Permission = "Connectors.Manage"
)

// FolderPermissions lists every folder-level permission, in display order.
var FolderPermissions = []Permission{
	PermConnectionsView, PermConnectionsCreate, PermConnectionsEdit, PermConnectionsDelete, PermConnectionsExecute,
	PermAssetsView, PermAssetsCreate, PermAssetsEdit, PermAssetsDelete, PermAssetsResolve,
	PermTriggersView, PermTriggersCreate, PermTriggersEdit, PermTriggersDelete,
	PermJobsView, PermJobsProcess, PermLogsView,
}

// TenantPermissions lists every tenant-level permission, in display order.
var TenantPermissions = []Permission{
	PermCredentialStoresView, PermCredentialStoresCreate, PermCredentialStoresEdit, PermCredentialStoresDelete,
	PermFoldersView, PermFoldersCreate, PermFoldersEdit, PermFoldersDelete,
	PermUsersView, PermUsersCreate, PermUsersEdit, PermUsersDelete,
	PermRolesView, PermRolesCreate, PermRolesEdit, PermRolesDelete,
	PermAuditView,
	PermConnectorsManage,
}

// IsFolderPermission reports whether p is granted per folder.
func (p Permission) IsFolderPermission() bool { return slices.Contains(FolderPermissions, p) }

// IsTenantPermission reports whether p is granted tenant-wide only.
func (p Permission) IsTenantPermission() bool { return slices.Contains(TenantPermissions, p) }

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return p.IsFolderPermission() || p.IsTenantPermission() }

// Role is a named set of permissions. Built-in roles exist in every tenant and
// cannot be changed or deleted; custom roles belong to one tenant.
type Role struct {
	ID          string       `json:"id"`
	TenantID    string       `json:"tenant_id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Permissions []Permission `json:"permissions"`
	BuiltIn     bool         `json:"built_in"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Names of the built-in roles.
const (
	RoleTenantAdmin         = "Tenant Administrator"
	RoleFolderAdmin         = "Folder Administrator"
	RoleAutomationDeveloper = "Automation Developer"
	RoleAutomationUser      = "Automation User"
	RoleViewer              = "Viewer"
	RoleRobot               = "Robot"
)

// BuiltInRoles returns the roles every tenant starts with. The slice is new on
// each call; callers may keep it.
func BuiltInRoles() []Role {
	all := append(slices.Clone(FolderPermissions), TenantPermissions...)
	withoutResolve := func(ps []Permission) []Permission {
		return slices.DeleteFunc(slices.Clone(ps), func(p Permission) bool { return p == PermAssetsResolve })
	}
	return []Role{
		{Name: RoleTenantAdmin, Description: "Everything in the tenant.", Permissions: all},
		{Name: RoleFolderAdmin, Description: "Everything inside the folders it is assigned on.",
			Permissions: withoutResolve(FolderPermissions)},
		{Name: RoleAutomationDeveloper, Description: "Builds automations: manages connections, assets and triggers, runs activities.",
			Permissions: []Permission{
				PermConnectionsView, PermConnectionsCreate, PermConnectionsEdit, PermConnectionsDelete, PermConnectionsExecute,
				PermAssetsView, PermAssetsCreate, PermAssetsEdit,
				PermTriggersView, PermTriggersCreate, PermTriggersEdit, PermTriggersDelete,
				PermJobsView, PermJobsProcess, PermLogsView,
			}},
		{Name: RoleAutomationUser, Description: "Uses what others built: views and executes.",
			Permissions: []Permission{
				PermConnectionsView, PermConnectionsExecute, PermAssetsView, PermTriggersView,
				PermJobsView, PermJobsProcess, PermLogsView,
			}},
		{Name: RoleViewer, Description: "Reads everything in the folder, changes nothing.",
			Permissions: []Permission{PermConnectionsView, PermAssetsView, PermTriggersView, PermJobsView, PermLogsView}},
		{Name: RoleRobot, Description: "Unattended automation: resolves assets and executes connections.",
			Permissions: []Permission{
				PermAssetsView, PermAssetsResolve, PermConnectionsView, PermConnectionsExecute,
				PermJobsView, PermJobsProcess,
			}},
	}
}

// RoleAssignment grants a role to a user, either tenant-wide (FolderID empty)
// or on one folder and, through inheritance, all of its subfolders.
type RoleAssignment struct {
	TenantID string `json:"tenant_id"`
	UserID   string `json:"user_id"`
	FolderID string `json:"folder_id,omitempty"`
	RoleID   string `json:"role_id"`
	RoleName string `json:"role_name"`
}
