package httpapi

import (
	"strings"
	"testing"

	"junction"
)

// A route must say who may call it, in a way that can be enforced: New
// panics on a declaration check refuses, so such a table never serves.
func TestAccessCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		access Access
		err    string
	}{
		{"Undeclared", Access{}, "no authorization declared"},
		{"UnknownScope", Access{Scope: "everyone"}, "unknown scope"},
		{"UnknownPermission", tenantWide("Users.Fly"), "unknown permission"},
		{"TenantWithoutPermission", tenantWide(), "needs at least one permission"},
		{"SelfWithoutPermission", selfOr(), "needs at least one permission"},
		{"AnyFolderWithoutPermission", anyFolder(), "needs at least one permission"},
		{"PublicWithPermission", Access{Scope: ScopePublic, Permissions: []junction.Permission{junction.PermUsersView}}, "takes no permissions"},
		{"PublicChangingUsers", public().targetsUsers(), "cannot change users"},
		{"Public", public(), ""},
		{"Authenticated", authenticated(), ""},
		{"HostAdmin", hostAdmin(), ""},
		{"Tenant", tenantWide(junction.PermUsersEdit).targetsUsers(), ""},
		{"FolderVisibility", inFolder(), ""},
		{"Folder", inFolder(junction.PermTriggersCreate, junction.PermConnectionsExecute), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.access.check()
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("check: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("check = %v, want %q", err, tc.err)
			}
		})
	}
}
