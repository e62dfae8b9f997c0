package httpapi

import (
	"errors"
	"fmt"

	"junction"
)

// Scope is the kind of rule that admits a caller to a route.
type Scope string

// The scopes a route can declare. app enforces them; the declaration says
// which one a route promises, so that a test can hold every route to it.
const (
	// ScopePublic routes need no token: health, the OpenAPI document,
	// metrics, and the webhook intake and OAuth callback, which carry their
	// own proof (a signature, a state parameter).
	ScopePublic Scope = "public"
	// ScopeAuthenticated routes admit any valid token; what they show is
	// limited to what the caller may see (the caller themself, the catalog,
	// lists filtered to the folders the caller sees).
	ScopeAuthenticated Scope = "authenticated"
	// ScopeTenant routes need every one of Permissions held tenant-wide;
	// others get permission_denied.
	ScopeTenant Scope = "tenant"
	// ScopeFolder routes act on an object in a folder (or on the folder
	// itself): a folder the caller cannot see answers not_found, exactly as
	// a missing object does; in a visible one, a caller without every one of
	// Permissions on that folder (a tenant-level permission: tenant-wide)
	// gets permission_denied. Empty Permissions ask only to see the folder.
	ScopeFolder Scope = "folder"
	// ScopeAnyFolder routes work across folders, such as claiming a job
	// from a queue: they need Permissions tenant-wide or on at least one
	// folder, and then act only within those folders; a caller holding them
	// nowhere gets permission_denied.
	ScopeAnyFolder Scope = "any_folder"
	// ScopeSelf routes act on one user: the user themself may call them;
	// anyone else needs Permissions tenant-wide.
	ScopeSelf Scope = "self"
	// ScopeHostAdmin routes administer the installation: host
	// administrators only.
	ScopeHostAdmin Scope = "host_admin"
)

// Access is a route's declared authorization decision.
type Access struct {
	Scope Scope
	// Permissions are all required, in the way Scope says.
	Permissions []junction.Permission
	// HostAdminTarget marks routes that change a user, their roles or their
	// tokens: when that user is a host administrator, only a host
	// administrator may, whatever permissions the caller holds in the
	// tenant, so that a tenant administrator cannot take over the
	// installation through the host administrator's account.
	HostAdminTarget bool
}

func public() Access        { return Access{Scope: ScopePublic} }
func authenticated() Access { return Access{Scope: ScopeAuthenticated} }
func hostAdmin() Access     { return Access{Scope: ScopeHostAdmin} }
func tenantWide(ps ...junction.Permission) Access {
	return Access{Scope: ScopeTenant, Permissions: ps}
}
func inFolder(ps ...junction.Permission) Access { return Access{Scope: ScopeFolder, Permissions: ps} }
func anyFolder(ps ...junction.Permission) Access {
	return Access{Scope: ScopeAnyFolder, Permissions: ps}
}
func selfOr(ps ...junction.Permission) Access { return Access{Scope: ScopeSelf, Permissions: ps} }

// targetsUsers marks a route that changes a user; see HostAdminTarget.
func (a Access) targetsUsers() Access { a.HostAdminTarget = true; return a }

// check reports a declaration that decides nothing or cannot be enforced.
func (a Access) check() error {
	for _, p := range a.Permissions {
		if !p.Valid() {
			return fmt.Errorf("unknown permission %q", p)
		}
	}
	switch a.Scope {
	case "":
		return errors.New("no authorization declared (access)")
	case ScopePublic, ScopeAuthenticated, ScopeHostAdmin:
		if len(a.Permissions) > 0 {
			return fmt.Errorf("scope %s takes no permissions", a.Scope)
		}
		if a.HostAdminTarget && a.Scope == ScopePublic {
			return errors.New("a public route cannot change users")
		}
	case ScopeTenant, ScopeAnyFolder, ScopeSelf:
		if len(a.Permissions) == 0 {
			return fmt.Errorf("scope %s needs at least one permission", a.Scope)
		}
	case ScopeFolder:
	default:
		return fmt.Errorf("unknown scope %q", a.Scope)
	}
	return nil
}

// document is the declaration as the OpenAPI document shows it
// (x-junction-access), for clients that decide what to offer a user.
func (a Access) document() map[string]any {
	doc := map[string]any{"scope": string(a.Scope)}
	if len(a.Permissions) > 0 {
		ps := make([]any, len(a.Permissions))
		for i, p := range a.Permissions {
			ps[i] = string(p)
		}
		doc["permissions"] = ps
	}
	if a.HostAdminTarget {
		doc["host_admin_target"] = true
	}
	return doc
}
