package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"junction"
)

func testFolders(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		top := mustFolder(t, s, tn.ID, nil, "Finance")
		child := mustFolder(t, s, tn.ID, top, "Payroll")

		got, err := s.GetFolder(ctx, tn.ID, child.ID)
		must(t, err)
		wantEqual(t, "name", got.Name, "Payroll")
		wantEqual(t, "parent", got.ParentID, top.ID)
		wantIDs(t, "path", got.Path, []string{top.ID, child.ID})
		wantTime(t, "created", got.CreatedAt, base)
		wantTime(t, "updated", got.UpdatedAt, base)

		got, err = s.GetFolder(ctx, tn.ID, top.ID)
		must(t, err)
		wantEqual(t, "top-level parent", got.ParentID, "")
		wantIDs(t, "top-level path", got.Path, []string{top.ID})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		_, err := s.GetFolder(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		err = s.DeleteFolder(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		missing := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: "x"}
		missing.Path = []string{missing.ID}
		wantCode(t, s.UpdateFolder(ctx, missing), junction.ENOTFOUND)

		// A parent that does not exist.
		f := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, ParentID: junction.NewID(), Name: "orphan"}
		f.Path = []string{f.ParentID, f.ID}
		wantCode(t, s.CreateFolder(ctx, f), junction.ENOTFOUND)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		fa := mustFolder(t, s, a.ID, nil, "Shared")
		mustFolder(t, s, b.ID, nil, "Shared") // same name, other tenant: fine

		_, err := s.GetFolder(ctx, b.ID, fa.ID)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteFolder(ctx, b.ID, fa.ID), junction.ENOTFOUND)
		moved := *fa
		moved.TenantID = b.ID
		moved.Name = "Stolen"
		wantCode(t, s.UpdateFolder(ctx, &moved), junction.ENOTFOUND)

		// A child in tenant b cannot hang under tenant a's folder.
		f := &junction.Folder{ID: junction.NewID(), TenantID: b.ID, ParentID: fa.ID, Name: "sneaky"}
		f.Path = []string{fa.ID, f.ID}
		wantCode(t, s.CreateFolder(ctx, f), junction.ENOTFOUND)

		fs, err := s.ListFolders(ctx, b.ID, junction.FolderFilter{Within: []string{fa.ID}})
		must(t, err)
		wantIDs(t, "other tenant's subtree", folderIDs(fs), nil)

		got, err := s.GetFolder(ctx, a.ID, fa.ID)
		must(t, err)
		wantEqual(t, "name after failed update", got.Name, "Shared")
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		top := mustFolder(t, s, tn.ID, nil, "Finance")
		mustFolder(t, s, tn.ID, top, "Payroll")
		other := mustFolder(t, s, tn.ID, nil, "HR")
		mustFolder(t, s, tn.ID, other, "Payroll") // same name, other parent: fine

		dup := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: "Finance"}
		dup.Path = []string{dup.ID}
		err := s.CreateFolder(ctx, dup)
		wantCode(t, err, junction.ECONFLICT)
		if msg := junction.ErrorMessage(err); !containsAll(msg, `"Finance"`, "already exists") {
			t.Fatalf("message %q does not name the clash", msg)
		}

		dup = &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, ParentID: top.ID, Name: "Payroll"}
		dup.Path = []string{top.ID, dup.ID}
		wantCode(t, s.CreateFolder(ctx, dup), junction.ECONFLICT)

		// Renaming onto a sibling's name, and moving next to a namesake.
		ren := *other
		ren.Name = "Finance"
		wantCode(t, s.UpdateFolder(ctx, &ren), junction.ECONFLICT)
	})

	t.Run("Move", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		a := mustFolder(t, s, tn.ID, nil, "A")
		b := mustFolder(t, s, tn.ID, a, "B")
		c := mustFolder(t, s, tn.ID, b, "C")
		d := mustFolder(t, s, tn.ID, c, "D")
		x := mustFolder(t, s, tn.ID, nil, "X")

		// Move B (with C and D) under X.
		mv := *b
		mv.ParentID = x.ID
		mv.Path = []string{x.ID, b.ID}
		mv.Name = "B2"
		mv.UpdatedAt = base.Add(later)
		must(t, s.UpdateFolder(ctx, &mv))
		wantIDs(t, "moved path", mv.Path, []string{x.ID, b.ID})

		for _, w := range []struct {
			f    *junction.Folder
			path []string
		}{
			{a, []string{a.ID}},
			{b, []string{x.ID, b.ID}},
			{c, []string{x.ID, b.ID, c.ID}},
			{d, []string{x.ID, b.ID, c.ID, d.ID}},
		} {
			got, err := s.GetFolder(ctx, tn.ID, w.f.ID)
			must(t, err)
			wantIDs(t, w.f.Name+" path", got.Path, w.path)
		}
		got, err := s.GetFolder(ctx, tn.ID, b.ID)
		must(t, err)
		wantEqual(t, "renamed", got.Name, "B2")
		wantEqual(t, "new parent", got.ParentID, x.ID)
		wantTime(t, "updated", got.UpdatedAt, base.Add(later))
		wantTime(t, "created kept", got.CreatedAt, base)

		fs, err := s.ListFolders(ctx, tn.ID, junction.FolderFilter{Within: []string{x.ID}})
		must(t, err)
		wantIDs(t, "subtree of X after move", folderIDs(fs), sorted(x.ID, b.ID, c.ID, d.ID))
		fs, err = s.ListFolders(ctx, tn.ID, junction.FolderFilter{Within: []string{a.ID}})
		must(t, err)
		wantIDs(t, "subtree of A after move", folderIDs(fs), []string{a.ID})

		// Move back to the top level.
		mv.ParentID, mv.Path = "", []string{b.ID}
		must(t, s.UpdateFolder(ctx, &mv))
		got, err = s.GetFolder(ctx, tn.ID, d.ID)
		must(t, err)
		wantIDs(t, "D path at top", got.Path, []string{b.ID, c.ID, d.ID})
	})

	t.Run("ErrMoveIntoSelf", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		a := mustFolder(t, s, tn.ID, nil, "A")
		b := mustFolder(t, s, tn.ID, a, "B")
		for _, target := range []*junction.Folder{a, b} {
			mv := *a
			mv.ParentID = target.ID
			mv.Path = append(slices.Clone(target.Path), a.ID)
			wantCode(t, s.UpdateFolder(ctx, &mv), junction.EINVALID)
		}
		got, err := s.GetFolder(ctx, tn.ID, b.ID)
		must(t, err)
		wantIDs(t, "B path unchanged", got.Path, []string{a.ID, b.ID})

		mv := *a
		mv.ParentID = junction.NewID()
		wantCode(t, s.UpdateFolder(ctx, &mv), junction.ENOTFOUND)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		mustFolder(t, s, other.ID, nil, "Elsewhere")
		fin := mustFolder(t, s, tn.ID, nil, "Finance")
		pay := mustFolder(t, s, tn.ID, fin, "Payroll")
		tax := mustFolder(t, s, tn.ID, fin, "Tax 100%_done")
		y25 := mustFolder(t, s, tn.ID, pay, "2025")
		hr := mustFolder(t, s, tn.ID, nil, "HR")
		hrPay := mustFolder(t, s, tn.ID, hr, "payroll archive")

		list := func(f junction.FolderFilter) []string {
			t.Helper()
			fs, err := s.ListFolders(ctx, tn.ID, f)
			must(t, err)
			return folderIDs(fs)
		}
		all := sorted(fin.ID, pay.ID, tax.ID, y25.ID, hr.ID, hrPay.ID)
		wantIDs(t, "all", list(junction.FolderFilter{}), all)
		wantIDs(t, "top level", list(junction.FolderFilter{TopLevel: true}), sorted(fin.ID, hr.ID))
		wantIDs(t, "children of Finance", list(junction.FolderFilter{ParentID: fin.ID}), sorted(pay.ID, tax.ID))
		wantIDs(t, "within Finance", list(junction.FolderFilter{Within: []string{fin.ID}}), sorted(fin.ID, pay.ID, tax.ID, y25.ID))
		wantIDs(t, "within Payroll and HR", list(junction.FolderFilter{Within: []string{pay.ID, hr.ID}}),
			sorted(pay.ID, y25.ID, hr.ID, hrPay.ID))
		wantIDs(t, "within nothing", list(junction.FolderFilter{Within: []string{}}), nil)
		wantIDs(t, "within unknown", list(junction.FolderFilter{Within: []string{junction.NewID()}}), nil)
		wantIDs(t, "name contains PAYROLL", list(junction.FolderFilter{NameContains: "PAYROLL"}), sorted(pay.ID, hrPay.ID))
		wantIDs(t, "name contains %_ literally", list(junction.FolderFilter{NameContains: "%_"}), []string{tax.ID})
		wantIDs(t, "name contains _ literally", list(junction.FolderFilter{NameContains: "_"}), []string{tax.ID})
		wantIDs(t, "within Finance named payroll",
			list(junction.FolderFilter{Within: []string{fin.ID}, NameContains: "payroll"}), []string{pay.ID})

		testPaging(t, all, func(p junction.Page) []string { return list(junction.FolderFilter{Page: p}) })
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		a := mustFolder(t, s, tn.ID, nil, "A")
		b := mustFolder(t, s, tn.ID, a, "B")
		c := mustFolder(t, s, tn.ID, b, "C")
		keep := mustFolder(t, s, tn.ID, nil, "Keep")
		u := mustUser(t, s, tn.ID, "ann")
		r := mustRole(t, s, tn.ID, "Reader")
		must(t, s.SetAssignments(ctx, tn.ID, u.ID, c.ID, []string{r.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, u.ID, keep.ID, []string{r.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, u.ID, "", []string{r.ID}))

		must(t, s.DeleteFolder(ctx, tn.ID, a.ID))
		for _, f := range []*junction.Folder{a, b, c} {
			_, err := s.GetFolder(ctx, tn.ID, f.ID)
			wantCode(t, err, junction.ENOTFOUND)
		}
		as, err := s.ListAssignments(ctx, tn.ID, u.ID)
		must(t, err)
		got := ids(as, func(a junction.RoleAssignment) string { return a.FolderID })
		wantIDs(t, "assignment scopes left", got, []string{"", keep.ID})
	})

	t.Run("ErrDeleteWithAssets", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		a := mustFolder(t, s, tn.ID, nil, "A")
		b := mustFolder(t, s, tn.ID, a, "B")
		asset := mustAsset(t, s, b, "endpoint", nil)
		wantCode(t, s.DeleteFolder(ctx, tn.ID, a.ID), junction.ECONFLICT)
		_, err := s.GetFolder(ctx, tn.ID, b.ID)
		must(t, err)
		must(t, s.DeleteAsset(ctx, tn.ID, asset.ID))
		must(t, s.DeleteFolder(ctx, tn.ID, a.ID))
	})
}

// later is an UpdatedAt after base.
const later = 68 * time.Second

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
