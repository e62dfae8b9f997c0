package main

import (
	"encoding/json"
	"strings"
	"testing"

	"junction"
)

// TestHostAdminUntouchable_EndToEnd drives the real server through the CLI:
// a Tenant Administrator of the default tenant, where the host
// administrator lives, can change nothing about it, so no tenant role can
// reach host administration.
func TestHostAdminUntouchable_EndToEnd(t *testing.T) {
	m, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken})
	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	host := testBootstrapToken

	var me struct {
		User junction.User `json:"user"`
	}
	if err := json.Unmarshal([]byte(s.mustCLI(host, "me", "-o", "json")), &me); err != nil || !me.User.HostAdmin {
		t.Fatalf("me: %+v %v", me, err)
	}
	hostID := me.User.ID
	tenantAdmin := s.mustCreate(host, "users", "create", "frank", "--role", junction.RoleTenantAdmin)
	frank := strings.TrimSpace(s.mustCLI(host, "tokens", "create", tenantAdmin, "--name", "frank"))
	folder := s.mustCreate(host, "folders", "create", "Ops")
	spare := s.mustCreate(host, "tokens", "create", hostID, "--name", "spare")

	for _, args := range [][]string{
		{"tokens", "create", hostID, "--name", "stolen"},
		{"tokens", "list", hostID},
		{"tokens", "revoke", spare},
		{"users", "update", hostID, "--disabled"},
		{"users", "update", hostID, "--display-name", "Owned"},
		{"users", "roles", hostID, "--role", junction.RoleViewer},
		{"folders", "assign", folder, hostID, "--role", junction.RoleViewer},
		{"folders", "unassign", folder, hostID},
		{"users", "delete", hostID},
	} {
		out, err := s.cli(frank, args...)
		if err == nil || !strings.Contains(err.Error(), junction.EPERMISSIONDENIED) {
			t.Errorf("tenant admin: junction %s: %q %v", strings.Join(args, " "), out, err)
		}
	}
	// The host administrator keeps everything: it still creates tenants
	// with its original token, and the spare token still works.
	s.mustCLI(host, "tenants", "create", "acme", "-o", "json")
	s.mustCLI(host, "tokens", "list", hostID)
	if out := s.mustCLI(frank, "users", "show", hostID); !strings.Contains(out, "Host administrator") {
		t.Errorf("tenant admin reads the host administrator as:\n%s", out)
	}
}
