package httpapi_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"junction"
)

// TestHostAdminOutOfTenantReach proves that no tenant role reaches host
// administration: a Tenant Administrator of the default tenant, where the
// host administrator lives, can read it as an ordinary user but change
// nothing about it, while the same calls on an ordinary user still work.
func TestHostAdminOutOfTenantReach(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		var me struct {
			User junction.User `json:"user"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/me", e.admin, nil, &me)
		host := me.User
		if !host.HostAdmin {
			t.Fatalf("bootstrap admin is not a host administrator: %+v", host)
		}
		_, frank := e.createUser(e.admin, "frank", junction.RoleTenantAdmin)
		f := e.createFolder(e.admin, "Ops", "")
		var hostToken struct {
			ID string `json:"id"`
		}
		e.must(http.StatusCreated, "POST", "/api/v1/users/"+host.ID+"/tokens", e.admin, map[string]any{"name": "spare"}, &hostToken)
		tokensBefore := e.must(http.StatusOK, "GET", "/api/v1/users/"+host.ID+"/tokens", e.admin, nil, nil).body
		userBefore := e.must(http.StatusOK, "GET", "/api/v1/users/"+host.ID, e.admin, nil, nil).body

		// Every user-management operation that targets a user, with a body
		// that would succeed on an ordinary user.
		type op struct {
			name, method, path string
			body               any
		}
		ops := func(userID, tokenID string) []op {
			return []op{
				{"rename", "PATCH", "/api/v1/users/" + userID, map[string]any{"display_name": "Owned"}},
				{"email", "PATCH", "/api/v1/users/" + userID, map[string]any{"email": "owned@example.com"}},
				{"disable", "PATCH", "/api/v1/users/" + userID, map[string]any{"disabled": true}},
				{"roles via patch", "PATCH", "/api/v1/users/" + userID, map[string]any{"roles": []string{junction.RoleViewer}}},
				{"set roles", "PUT", "/api/v1/users/" + userID + "/roles", map[string]any{"roles": []string{junction.RoleViewer}}},
				{"create token", "POST", "/api/v1/users/" + userID + "/tokens", map[string]any{"name": "stolen"}},
				{"list tokens", "GET", "/api/v1/users/" + userID + "/tokens", nil},
				{"revoke token", "DELETE", "/api/v1/tokens/" + tokenID, nil},
				{"folder roles", "PUT", "/api/v1/folders/" + f.ID + "/members/" + userID, map[string]any{"roles": []string{junction.RoleViewer}}},
				{"folder removal", "DELETE", "/api/v1/folders/" + f.ID + "/members/" + userID, nil},
				{"delete", "DELETE", "/api/v1/users/" + userID, nil},
			}
		}
		for _, o := range ops(host.ID, hostToken.ID) {
			r := e.call(o.method, o.path, frank, o.body)
			if p := r.problem(t); r.status != http.StatusForbidden || p.Code != junction.EPERMISSIONDENIED {
				t.Errorf("tenant admin %s on the host administrator: %d %s", o.name, r.status, r.body)
			}
		}

		// Nothing changed: same user, same roles, same tokens, still able
		// to administer the host.
		if got := e.must(http.StatusOK, "GET", "/api/v1/users/"+host.ID, e.admin, nil, nil).body; !bytes.Equal(got, userBefore) {
			t.Errorf("host administrator changed:\n%s\nwas\n%s", got, userBefore)
		}
		if got := e.must(http.StatusOK, "GET", "/api/v1/users/"+host.ID+"/tokens", e.admin, nil, nil).body; !bytes.Equal(got, tokensBefore) {
			t.Errorf("host administrator's tokens changed:\n%s\nwas\n%s", got, tokensBefore)
		}
		e.must(http.StatusCreated, "POST", "/api/v1/tenants", e.admin, map[string]any{"name": "acme"}, nil)

		// The tenant admin still sees the host administrator as a user.
		var seen junction.User
		e.must(http.StatusOK, "GET", "/api/v1/users/"+host.ID, frank, nil, &seen)
		if seen.ID != host.ID || !seen.HostAdmin {
			t.Errorf("tenant admin reads the host administrator as %+v", seen)
		}

		// The same operations on an ordinary user are the tenant admin's
		// to make, so the refusal above is about the target alone.
		gina, _ := e.createUser(e.admin, "gina", junction.RoleViewer)
		var ginaToken struct {
			ID string `json:"id"`
		}
		e.must(http.StatusCreated, "POST", "/api/v1/users/"+gina.ID+"/tokens", e.admin, map[string]any{"name": "spare"}, &ginaToken)
		for _, o := range ops(gina.ID, ginaToken.ID) {
			if r := e.call(o.method, o.path, frank, o.body); r.status >= 300 {
				t.Errorf("tenant admin %s on an ordinary user: %d %s", o.name, r.status, r.body)
			}
		}

		// The host administrator manages itself, except disabling or
		// deleting itself.
		e.must(http.StatusOK, "PATCH", "/api/v1/users/"+host.ID, e.admin, map[string]any{"display_name": "Host"}, nil)
		e.must(http.StatusCreated, "POST", "/api/v1/users/"+host.ID+"/tokens", e.admin, map[string]any{"name": "another"}, nil)
		e.must(http.StatusNoContent, "DELETE", "/api/v1/tokens/"+hostToken.ID, e.admin, nil, nil)
		if r := e.call("DELETE", "/api/v1/users/"+host.ID, e.admin, nil); r.status != http.StatusConflict {
			t.Errorf("host administrator deletes itself: %d %s", r.status, r.body)
		}
	})
}

// TestAuditTenantIsolation proves a tenant's audit log names nothing of
// another tenant, and the host administrator only as "host administrator".
func TestAuditTenantIsolation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		var me struct {
			User junction.User `json:"user"`
		}
		e.must(http.StatusOK, "GET", "/api/v1/me", e.admin, nil, &me)
		_, frank := e.createUser(e.admin, "frank", junction.RoleTenantAdmin)
		var created struct {
			Tenant junction.Tenant `json:"tenant"`
			Token  string          `json:"token"`
		}
		e.must(http.StatusCreated, "POST", "/api/v1/tenants", e.admin, map[string]any{"name": "acme", "admin_name": "root"}, &created)

		// The new tenant's log opens with its creation by "the host
		// administrator", without the host administrator's ID, name,
		// address or tenant.
		var acme list[junction.AuditEntry]
		raw := e.must(http.StatusOK, "GET", "/api/v1/audit", created.Token, nil, &acme).body
		for _, leak := range []string{me.User.ID, me.User.TenantID, `"` + me.User.Name + `"`, "127.0.0.1"} {
			if bytes.Contains(raw, []byte(leak)) {
				t.Errorf("acme's audit shows %q: %s", leak, raw)
			}
		}
		i := slices.IndexFunc(acme.Items, func(x junction.AuditEntry) bool { return x.Action == "tenant.create" })
		if i < 0 || acme.Items[i].ActorName != "host administrator" || acme.Items[i].ActorID != "" {
			t.Errorf("acme's creation entry: %+v", acme.Items)
		}

		// In the default tenant, the creation names acme: only host
		// administrators see it, not the tenant's other administrators.
		raw = e.must(http.StatusOK, "GET", "/api/v1/audit", frank, nil, nil).body
		if bytes.Contains(raw, []byte(created.Tenant.ID)) {
			t.Errorf("the default tenant's admin sees acme's ID in the audit: %s", raw)
		}
		var host list[junction.AuditEntry]
		e.must(http.StatusOK, "GET", "/api/v1/audit?action=tenant.create", e.admin, nil, &host)
		if len(host.Items) != 1 || host.Items[0].ObjectID != created.Tenant.ID || !host.Items[0].HostOnly {
			t.Errorf("host administrator's audit of the creation: %+v", host.Items)
		}
	})
}
