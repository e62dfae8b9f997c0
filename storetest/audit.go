package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"junction"
)

func testAudit(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		e := &junction.AuditEntry{ID: junction.NewID(), TenantID: tn.ID, At: base, ActorID: junction.NewID(),
			ActorName: "ann", Action: "asset.resolve", ObjectType: "asset", ObjectID: junction.NewID(),
			FolderID: junction.NewID(), IP: "192.0.2.1", RequestID: "req-1", Outcome: "success",
			Details: map[string]any{"name": "db-password", "count": 3, "nested": map[string]any{"ok": true}}}
		must(t, s.AppendAudit(ctx, e))
		es, err := s.ListAudit(ctx, tn.ID, junction.AuditFilter{})
		must(t, err)
		if len(es) != 1 {
			t.Fatalf("got %d entries, want 1", len(es))
		}
		got := es[0]
		if got.ID != e.ID || got.TenantID != e.TenantID || !got.At.Equal(e.At) || got.ActorID != e.ActorID ||
			got.ActorName != e.ActorName || got.Action != e.Action || got.ObjectType != e.ObjectType ||
			got.ObjectID != e.ObjectID || got.FolderID != e.FolderID || got.IP != e.IP ||
			got.RequestID != e.RequestID || got.Outcome != e.Outcome {
			t.Fatalf("read %+v, want %+v", got, e)
		}
		// Details round-trip as JSON.
		if fmt.Sprint(got.Details) != fmt.Sprint(map[string]any{"name": "db-password", "count": float64(3),
			"nested": map[string]any{"ok": true}}) {
			t.Fatalf("details = %v", got.Details)
		}

		bare := &junction.AuditEntry{TenantID: tn.ID, Action: "folder.create", ObjectType: "folder", Outcome: "success"}
		must(t, s.AppendAudit(ctx, bare))
		if !junction.ValidID(bare.ID) || bare.At.IsZero() {
			t.Fatalf("ID %q, At %v: want both filled", bare.ID, bare.At)
		}
		es, err = s.ListAudit(ctx, tn.ID, junction.AuditFilter{ObjectType: "folder"})
		must(t, err)
		if len(es) != 1 || len(es[0].Details) != 0 {
			t.Fatalf("entry without details read back as %+v", es)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		ann, bob := junction.NewID(), junction.NewID()
		obj := junction.NewID()
		add := func(tenantID, actor, action, objType, objID string, at time.Time) string {
			t.Helper()
			e := &junction.AuditEntry{ID: junction.NewID(), TenantID: tenantID, At: at, ActorID: actor, Action: action,
				ObjectType: objType, ObjectID: objID, Outcome: "success"}
			must(t, s.AppendAudit(ctx, e))
			return e.ID
		}
		e1 := add(tn.ID, ann, "asset.create", "asset", obj, base)
		e2 := add(tn.ID, ann, "asset.resolve", "asset", obj, base.Add(time.Minute))
		e3 := add(tn.ID, bob, "asset.resolve", "asset", junction.NewID(), base.Add(2*time.Minute))
		e4 := add(tn.ID, bob, "folder.create", "folder", junction.NewID(), base.Add(3*time.Minute))
		add(other.ID, ann, "asset.resolve", "asset", obj, base.Add(time.Minute))

		list := func(f junction.AuditFilter) []string {
			t.Helper()
			es, err := s.ListAudit(ctx, tn.ID, f)
			must(t, err)
			return ids(es, func(e *junction.AuditEntry) string { return e.ID })
		}
		all := []string{e1, e2, e3, e4}
		wantIDs(t, "all", list(junction.AuditFilter{}), all)
		wantIDs(t, "actor", list(junction.AuditFilter{ActorID: ann}), []string{e1, e2})
		wantIDs(t, "action", list(junction.AuditFilter{Action: "asset.resolve"}), []string{e2, e3})
		wantIDs(t, "object", list(junction.AuditFilter{ObjectType: "asset", ObjectID: obj}), []string{e1, e2})
		wantIDs(t, "object type", list(junction.AuditFilter{ObjectType: "folder"}), []string{e4})
		wantIDs(t, "since (inclusive)", list(junction.AuditFilter{Since: base.Add(time.Minute)}), []string{e2, e3, e4})
		wantIDs(t, "until (exclusive)", list(junction.AuditFilter{Until: base.Add(2 * time.Minute)}), []string{e1, e2})
		wantIDs(t, "window and actor", list(junction.AuditFilter{ActorID: bob, Since: base, Until: base.Add(3 * time.Minute)}),
			[]string{e3})
		wantIDs(t, "unknown actor", list(junction.AuditFilter{ActorID: junction.NewID()}), nil)
		testPaging(t, all, func(p junction.Page) []string { return list(junction.AuditFilter{Page: p}) })

		// Host-only entries are left out unless asked for, and keep their
		// mark.
		host := &junction.AuditEntry{ID: junction.NewID(), TenantID: tn.ID, At: base.Add(4 * time.Minute), ActorID: ann,
			Action: "tenant.create", ObjectType: "tenant", ObjectID: other.ID, Outcome: "success", HostOnly: true}
		must(t, s.AppendAudit(ctx, host))
		wantIDs(t, "without host-only", list(junction.AuditFilter{}), all)
		wantIDs(t, "with host-only", list(junction.AuditFilter{WithHostOnly: true}), append(slices.Clone(all), host.ID))
		es, err := s.ListAudit(ctx, tn.ID, junction.AuditFilter{WithHostOnly: true, Action: "tenant.create"})
		must(t, err)
		if len(es) != 1 || !es[0].HostOnly {
			t.Fatalf("host-only entry read back as %+v", es)
		}
	})

	t.Run("PageCap", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		must(t, s.InTx(ctx, func(tx junction.Store) error {
			for range junction.MaxPageSize + 3 {
				if err := tx.AppendAudit(ctx, &junction.AuditEntry{TenantID: tn.ID, At: base, Action: "x.y",
					ObjectType: "x", Outcome: "success"}); err != nil {
					return err
				}
			}
			return nil
		}))
		es, err := s.ListAudit(ctx, tn.ID, junction.AuditFilter{Page: junction.Page{Limit: junction.MaxPageSize * 2}})
		must(t, err)
		wantEqual(t, "entries in a page over the cap", len(es), junction.MaxPageSize)
		es, err = s.ListAudit(ctx, tn.ID, junction.AuditFilter{Page: junction.Page{After: es[len(es)-1].ID}})
		must(t, err)
		wantEqual(t, "entries after the first page", len(es), 3)
	})
}
