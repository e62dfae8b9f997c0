package storetest

import (
	"fmt"
	"testing"

	"junction"
)

func testTenants(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		n, err := s.CountTenants(ctx)
		must(t, err)
		wantEqual(t, "count on an empty store", n, 0)

		tn := mustTenant(t, s, "acme")
		got, err := s.GetTenant(ctx, tn.ID)
		must(t, err)
		wantEqual(t, "name", got.Name, "acme")
		wantTime(t, "created", got.CreatedAt, base)
		wantEqual(t, "location", got.CreatedAt.Location().String(), "UTC")

		got, err = s.GetTenantByName(ctx, "acme")
		must(t, err)
		wantEqual(t, "by name", got.ID, tn.ID)

		n, err = s.CountTenants(ctx)
		must(t, err)
		wantEqual(t, "count", n, 1)
	})

	t.Run("FillsIDAndTime", func(t *testing.T) {
		s := open(t)
		tn := &junction.Tenant{Name: "acme"}
		must(t, s.CreateTenant(ctxFor(t), tn))
		if !junction.ValidID(tn.ID) || tn.CreatedAt.IsZero() {
			t.Fatalf("ID %q, CreatedAt %v: want both filled", tn.ID, tn.CreatedAt)
		}
		got, err := s.GetTenant(ctxFor(t), tn.ID)
		must(t, err)
		wantTime(t, "created", got.CreatedAt, tn.CreatedAt)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.GetTenant(ctxFor(t), junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetTenantByName(ctxFor(t), "nobody")
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		mustTenant(t, s, "acme")
		err := s.CreateTenant(ctxFor(t), &junction.Tenant{ID: junction.NewID(), Name: "acme", CreatedAt: base})
		wantCode(t, err, junction.ECONFLICT)
	})

	t.Run("Paging", func(t *testing.T) {
		s := open(t)
		var want []string
		must(t, s.InTx(ctxFor(t), func(tx junction.Store) error {
			for i := range junction.DefaultPageSize + 5 {
				tn := mustTenant(t, tx, fmt.Sprintf("tenant-%02d", i))
				want = append(want, tn.ID)
			}
			return nil
		}))
		want = sorted(want...)
		list := func(p junction.Page) []string {
			ts, err := s.ListTenants(ctxFor(t), p)
			must(t, err)
			return ids(ts, func(tn *junction.Tenant) string { return tn.ID })
		}
		wantIDs(t, "default page", list(junction.Page{}), want[:junction.DefaultPageSize])
		wantIDs(t, "second page", list(junction.Page{After: want[junction.DefaultPageSize-1]}), want[junction.DefaultPageSize:])
		wantIDs(t, "limit 3", list(junction.Page{Limit: 3}), want[:3])
		wantIDs(t, "large limit", list(junction.Page{Limit: junction.MaxPageSize + 1}), want)
	})
}
