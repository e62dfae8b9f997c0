package storetest

import (
	"testing"

	"junction"
)

func testUsers(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := &junction.User{ID: junction.NewID(), TenantID: tn.ID, Name: "ann", DisplayName: "Ann Lee",
			Email: "ann@example.com", HostAdmin: true, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, tn.ID, u.ID)
		must(t, err)
		if *got != *u {
			t.Fatalf("read %+v, want %+v", got, u)
		}
		got, err = s.GetUserByName(ctx, tn.ID, "ann")
		must(t, err)
		wantEqual(t, "by name", got.ID, u.ID)

		u.DisplayName, u.Email, u.HostAdmin, u.Disabled, u.Name = "Ann B. Lee", "", false, true, "annb"
		u.UpdatedAt = base.Add(later)
		must(t, s.UpdateUser(ctx, u))
		got, err = s.GetUser(ctx, tn.ID, u.ID)
		must(t, err)
		if *got != *u {
			t.Fatalf("after update read %+v, want %+v", got, u)
		}
		_, err = s.GetUserByName(ctx, tn.ID, "ann")
		wantCode(t, err, junction.ENOTFOUND)

		must(t, s.DeleteUser(ctx, tn.ID, u.ID))
		_, err = s.GetUser(ctx, tn.ID, u.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		_, err := s.GetUser(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetUserByName(ctx, tn.ID, "nobody")
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.UpdateUser(ctx, &junction.User{ID: junction.NewID(), TenantID: tn.ID, Name: "x"}), junction.ENOTFOUND)
		wantCode(t, s.DeleteUser(ctx, tn.ID, junction.NewID()), junction.ENOTFOUND)
		u := &junction.User{ID: junction.NewID(), TenantID: junction.NewID(), Name: "ghost"}
		wantCode(t, s.CreateUser(ctx, u), junction.ENOTFOUND)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		ua := mustUser(t, s, a.ID, "ann")
		mustUser(t, s, b.ID, "ann") // same name, other tenant: fine
		_, err := s.GetUser(ctx, b.ID, ua.ID)
		wantCode(t, err, junction.ENOTFOUND)
		got, err := s.GetUserByName(ctx, b.ID, "ann")
		must(t, err)
		if got.ID == ua.ID {
			t.Fatal("GetUserByName crossed tenants")
		}
		moved := *ua
		moved.TenantID = b.ID
		wantCode(t, s.UpdateUser(ctx, &moved), junction.ENOTFOUND)
		wantCode(t, s.DeleteUser(ctx, b.ID, ua.ID), junction.ENOTFOUND)
		us, err := s.ListUsers(ctx, b.ID, junction.UserFilter{})
		must(t, err)
		wantEqual(t, "users in b", len(us), 1)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		mustUser(t, s, tn.ID, "ann")
		bob := mustUser(t, s, tn.ID, "bob")
		err := s.CreateUser(ctx, &junction.User{ID: junction.NewID(), TenantID: tn.ID, Name: "ann"})
		wantCode(t, err, junction.ECONFLICT)
		if msg := junction.ErrorMessage(err); !containsAll(msg, `"ann"`) {
			t.Fatalf("message %q does not name the user", msg)
		}
		bob.Name = "ann"
		wantCode(t, s.UpdateUser(ctx, bob), junction.ECONFLICT)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		ann := mustUser(t, s, tn.ID, "ann")
		bob := mustUser(t, s, tn.ID, "bob")
		robot := mustUser(t, s, tn.ID, "robot-1")
		robot.DisplayName = "Nightly Bot"
		must(t, s.UpdateUser(ctx, robot))
		list := func(f junction.UserFilter) []string {
			t.Helper()
			us, err := s.ListUsers(ctx, tn.ID, f)
			must(t, err)
			return ids(us, func(u *junction.User) string { return u.ID })
		}
		all := sorted(ann.ID, bob.ID, robot.ID)
		wantIDs(t, "all", list(junction.UserFilter{}), all)
		wantIDs(t, "name contains BO", list(junction.UserFilter{NameContains: "BO"}), sorted(bob.ID, robot.ID))
		wantIDs(t, "display name contains nightly", list(junction.UserFilter{NameContains: "nightly"}), []string{robot.ID})
		testPaging(t, all, func(p junction.Page) []string { return list(junction.UserFilter{Page: p}) })
	})

	t.Run("ListByStatusAndRole", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn, other := mustTenant(t, s, "acme"), mustTenant(t, s, "other")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		admin, reader := mustRole(t, s, tn.ID, "Admin"), mustRole(t, s, tn.ID, "Reader")
		unheld := mustRole(t, s, tn.ID, "Auditor")
		ann, bob, cid := mustUser(t, s, tn.ID, "ann"), mustUser(t, s, tn.ID, "bob"), mustUser(t, s, tn.ID, "cid")
		dan := mustUser(t, s, tn.ID, "dan")
		bob.Disabled = true
		must(t, s.UpdateUser(ctx, bob))
		// ann: Admin tenant-wide and Reader on a folder; bob (disabled):
		// Reader tenant-wide; cid: Reader on the folder only; dan: none.
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, "", []string{admin.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f.ID, []string{reader.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, bob.ID, "", []string{reader.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, cid.ID, f.ID, []string{reader.ID}))
		// Another tenant's user holding a role of its own is never listed.
		oo := mustUser(t, s, other.ID, "ann")
		otherReader := mustRole(t, s, other.ID, "Reader")
		must(t, s.SetAssignments(ctx, other.ID, oo.ID, "", []string{otherReader.ID}))
		list := func(f junction.UserFilter) []string {
			t.Helper()
			us, err := s.ListUsers(ctx, tn.ID, f)
			must(t, err)
			return ids(us, func(u *junction.User) string { return u.ID })
		}
		yes, no := true, false
		wantIDs(t, "disabled", list(junction.UserFilter{Disabled: &yes}), []string{bob.ID})
		wantIDs(t, "active", list(junction.UserFilter{Disabled: &no}), sorted(ann.ID, cid.ID, dan.ID))
		wantIDs(t, "Reader anywhere", list(junction.UserFilter{RoleID: reader.ID}), sorted(ann.ID, bob.ID, cid.ID))
		wantIDs(t, "Admin", list(junction.UserFilter{RoleID: admin.ID}), []string{ann.ID})
		wantIDs(t, "a role nobody holds", list(junction.UserFilter{RoleID: unheld.ID}), nil)
		wantIDs(t, "another tenant's role", list(junction.UserFilter{RoleID: otherReader.ID}), nil)
		wantIDs(t, "active Readers", list(junction.UserFilter{Disabled: &no, RoleID: reader.ID}), sorted(ann.ID, cid.ID))
		wantIDs(t, "active Readers named c", list(junction.UserFilter{Disabled: &no, RoleID: reader.ID, NameContains: "C"}), []string{cid.ID})
		readers := sorted(ann.ID, bob.ID, cid.ID)
		testPaging(t, readers, func(p junction.Page) []string { return list(junction.UserFilter{RoleID: reader.ID, Page: p}) })
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "Shared")
		ann, bob := mustUser(t, s, tn.ID, "ann"), mustUser(t, s, tn.ID, "bob")
		r := mustRole(t, s, tn.ID, "Reader")
		annTok, bobTok := mustToken(t, s, ann, "cli"), mustToken(t, s, bob, "cli")
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, "", []string{r.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f.ID, []string{r.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, bob.ID, f.ID, []string{r.ID}))

		must(t, s.DeleteUser(ctx, tn.ID, ann.ID))
		_, err := s.GetToken(ctx, tn.ID, annTok.ID)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetTokenByHash(ctx, annTok.Hash)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetToken(ctx, tn.ID, bobTok.ID)
		must(t, err)
		as, err := s.ListAssignments(ctx, tn.ID, ann.ID)
		must(t, err)
		wantEqual(t, "ann's assignments", len(as), 0)
		as, err = s.ListFolderAssignments(ctx, tn.ID, f.ID)
		must(t, err)
		wantIDs(t, "folder assignees", ids(as, func(a junction.RoleAssignment) string { return a.UserID }), []string{bob.ID})
		// The role is free again once its only holders are gone.
		must(t, s.DeleteUser(ctx, tn.ID, bob.ID))
		must(t, s.DeleteRole(ctx, tn.ID, r.ID))
	})
}
