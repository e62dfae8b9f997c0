package storetest

import (
	"slices"
	"testing"

	"junction"
)

func testRoles(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		r := &junction.Role{ID: junction.NewID(), TenantID: tn.ID, Name: junction.RoleTenantAdmin, Description: "all",
			Permissions: junction.BuiltInRoles()[0].Permissions, BuiltIn: true, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateRole(ctx, r))
		got, err := s.GetRole(ctx, tn.ID, r.ID)
		must(t, err)
		wantRole(t, got, r)
		got, err = s.GetRoleByName(ctx, tn.ID, junction.RoleTenantAdmin)
		must(t, err)
		wantRole(t, got, r)

		r.Name, r.Description, r.Permissions = "Admins", "", []junction.Permission{junction.PermAuditView}
		r.UpdatedAt = base.Add(later)
		must(t, s.UpdateRole(ctx, r))
		got, err = s.GetRole(ctx, tn.ID, r.ID)
		must(t, err)
		wantRole(t, got, r)

		empty := &junction.Role{ID: junction.NewID(), TenantID: tn.ID, Name: "Nothing"}
		must(t, s.CreateRole(ctx, empty))
		got, err = s.GetRole(ctx, tn.ID, empty.ID)
		must(t, err)
		wantEqual(t, "permissions of an empty role", len(got.Permissions), 0)

		must(t, s.DeleteRole(ctx, tn.ID, r.ID))
		_, err = s.GetRole(ctx, tn.ID, r.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		_, err := s.GetRole(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetRoleByName(ctx, tn.ID, "nobody")
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.UpdateRole(ctx, &junction.Role{ID: junction.NewID(), TenantID: tn.ID, Name: "x"}), junction.ENOTFOUND)
		wantCode(t, s.DeleteRole(ctx, tn.ID, junction.NewID()), junction.ENOTFOUND)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		ra := mustRole(t, s, a.ID, "Reader")
		mustRole(t, s, b.ID, "Reader")
		_, err := s.GetRole(ctx, b.ID, ra.ID)
		wantCode(t, err, junction.ENOTFOUND)
		got, err := s.GetRoleByName(ctx, b.ID, "Reader")
		must(t, err)
		if got.ID == ra.ID {
			t.Fatal("GetRoleByName crossed tenants")
		}
		moved := *ra
		moved.TenantID = b.ID
		wantCode(t, s.UpdateRole(ctx, &moved), junction.ENOTFOUND)
		wantCode(t, s.DeleteRole(ctx, b.ID, ra.ID), junction.ENOTFOUND)
		rs, err := s.ListRoles(ctx, b.ID, junction.Page{})
		must(t, err)
		wantEqual(t, "roles in b", len(rs), 1)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		mustRole(t, s, tn.ID, "Reader")
		w := mustRole(t, s, tn.ID, "Writer")
		err := s.CreateRole(ctx, &junction.Role{ID: junction.NewID(), TenantID: tn.ID, Name: "Reader"})
		wantCode(t, err, junction.ECONFLICT)
		if msg := junction.ErrorMessage(err); !containsAll(msg, `"Reader"`) {
			t.Fatalf("message %q does not name the role", msg)
		}
		w.Name = "Reader"
		wantCode(t, s.UpdateRole(ctx, w), junction.ECONFLICT)
	})

	t.Run("ErrDeleteAssigned", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		u := mustUser(t, s, tn.ID, "ann")
		r := mustRole(t, s, tn.ID, "Reader")
		must(t, s.SetAssignments(ctx, tn.ID, u.ID, f.ID, []string{r.ID}))
		wantCode(t, s.DeleteRole(ctx, tn.ID, r.ID), junction.ECONFLICT)
		must(t, s.SetAssignments(ctx, tn.ID, u.ID, f.ID, nil))
		must(t, s.DeleteRole(ctx, tn.ID, r.ID))
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		tn := mustTenant(t, s, "acme")
		var all []string
		for _, name := range []string{"A", "B", "C", "D", "E"} {
			all = append(all, mustRole(t, s, tn.ID, name).ID)
		}
		testPaging(t, sorted(all...), func(p junction.Page) []string {
			rs, err := s.ListRoles(ctxFor(t), tn.ID, p)
			must(t, err)
			return ids(rs, func(r *junction.Role) string { return r.ID })
		})
	})
}

func wantRole(t *testing.T, got, want *junction.Role) {
	t.Helper()
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Name != want.Name || got.Description != want.Description ||
		got.BuiltIn != want.BuiltIn || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) ||
		!slices.Equal(got.Permissions, want.Permissions) {
		t.Fatalf("read role %+v, want %+v", got, want)
	}
}

func testAssignments(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f1, f2 := mustFolder(t, s, tn.ID, nil, "One"), mustFolder(t, s, tn.ID, nil, "Two")
		ann, bob := mustUser(t, s, tn.ID, "ann"), mustUser(t, s, tn.ID, "bob")
		reader, writer := mustRole(t, s, tn.ID, "Reader"), mustRole(t, s, tn.ID, "Writer")

		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, "", []string{reader.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f1.ID, []string{reader.ID, writer.ID, writer.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f2.ID, []string{writer.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, bob.ID, f1.ID, []string{reader.ID}))

		as, err := s.ListAssignments(ctx, tn.ID, ann.ID)
		must(t, err)
		if len(as) != 4 {
			t.Fatalf("ann has %d assignments, want 4: %+v", len(as), as)
		}
		names := map[string]string{reader.ID: "Reader", writer.ID: "Writer"}
		count := map[string]int{}
		for _, a := range as {
			wantEqual(t, "tenant", a.TenantID, tn.ID)
			wantEqual(t, "user", a.UserID, ann.ID)
			wantEqual(t, "role name", a.RoleName, names[a.RoleID])
			count[a.FolderID]++
		}
		if count[""] != 1 || count[f1.ID] != 2 || count[f2.ID] != 1 {
			t.Fatalf("assignments per scope = %v", count)
		}

		// Replacing one scope leaves the others alone.
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f1.ID, []string{writer.ID}))
		fa, err := s.ListFolderAssignments(ctx, tn.ID, f1.ID)
		must(t, err)
		got := map[string]string{}
		for _, a := range fa {
			wantEqual(t, "folder", a.FolderID, f1.ID)
			got[a.UserID] += a.RoleName
		}
		if len(got) != 2 || got[ann.ID] != "Writer" || got[bob.ID] != "Reader" {
			t.Fatalf("folder assignments = %v", got)
		}
		// Emptying the tenant-wide scope.
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, "", nil))
		as, err = s.ListAssignments(ctx, tn.ID, ann.ID)
		must(t, err)
		for _, a := range as {
			if a.FolderID == "" {
				t.Fatalf("tenant-wide assignment left: %+v", a)
			}
		}
		wantEqual(t, "assignments left", len(as), 2)

		// Renaming a role shows in the assignments.
		writer.Name = "Editor"
		must(t, s.UpdateRole(ctx, writer))
		fa, err = s.ListFolderAssignments(ctx, tn.ID, f2.ID)
		must(t, err)
		wantEqual(t, "renamed role", fa[0].RoleName, "Editor")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		fa, fb := mustFolder(t, s, a.ID, nil, "F"), mustFolder(t, s, b.ID, nil, "F")
		ua := mustUser(t, s, a.ID, "ann")
		ra, rb := mustRole(t, s, a.ID, "R"), mustRole(t, s, b.ID, "R")

		wantCode(t, s.SetAssignments(ctx, a.ID, junction.NewID(), "", []string{ra.ID}), junction.ENOTFOUND)
		wantCode(t, s.SetAssignments(ctx, a.ID, ua.ID, junction.NewID(), []string{ra.ID}), junction.ENOTFOUND)
		wantCode(t, s.SetAssignments(ctx, a.ID, ua.ID, "", []string{junction.NewID()}), junction.ENOTFOUND)
		// Objects of another tenant are as good as missing.
		wantCode(t, s.SetAssignments(ctx, a.ID, ua.ID, fb.ID, []string{ra.ID}), junction.ENOTFOUND)
		wantCode(t, s.SetAssignments(ctx, a.ID, ua.ID, fa.ID, []string{rb.ID}), junction.ENOTFOUND)
		wantCode(t, s.SetAssignments(ctx, b.ID, ua.ID, "", []string{rb.ID}), junction.ENOTFOUND)

		// A failed replacement keeps what was there.
		must(t, s.SetAssignments(ctx, a.ID, ua.ID, fa.ID, []string{ra.ID}))
		wantCode(t, s.SetAssignments(ctx, a.ID, ua.ID, fa.ID, []string{junction.NewID()}), junction.ENOTFOUND)
		as, err := s.ListAssignments(ctx, a.ID, ua.ID)
		must(t, err)
		wantEqual(t, "assignments after failed replace", len(as), 1)

		as, err = s.ListAssignments(ctx, b.ID, ua.ID)
		must(t, err)
		wantEqual(t, "assignments seen from other tenant", len(as), 0)
		as, err = s.ListFolderAssignments(ctx, b.ID, fa.ID)
		must(t, err)
		wantEqual(t, "folder assignments seen from other tenant", len(as), 0)
	})
}
