package keyring_test

import (
	"context"
	"testing"

	"junction"
	"junction/keyring"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// TestRotate_SQL runs a rotation against the real stores, whose list is
// capped and whose re-wrap is conditional on the old key.
func TestRotate_SQL(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := b.Open(t, sqldb.Options{})
			tenants := make([]*junction.Tenant, 2)
			for i, name := range []string{"acme", "globex"} {
				tenants[i] = &junction.Tenant{Name: name}
				if err := db.CreateTenant(ctx, tenants[i]); err != nil {
					t.Fatal(err)
				}
			}
			oldKey, newKey := keyring.GenerateKey(), keyring.GenerateKey()
			old := mustRing(t, oldKey)
			want := map[string]string{}
			tenantOf := map[string]string{}
			for i := range 130 {
				id, tenant := junction.NewID(), tenants[i%2].ID
				pt := "secret " + id
				v, err := old.Seal(tenant, id, []byte(pt))
				if err != nil {
					t.Fatal(err)
				}
				if err := db.PutSealed(ctx, v); err != nil {
					t.Fatal(err)
				}
				want[id], tenantOf[id] = pt, tenant
			}

			ring := mustRing(t, newKey, oldKey)
			res, err := keyring.Rotate(ctx, db, ring, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Rewrapped != 130 || len(res.Failed) != 0 {
				t.Fatalf("result = %+v", res)
			}
			if left, err := db.ListSealedNotWrappedWith(ctx, ring.PrimaryKeyID(), 10); err != nil || len(left) != 0 {
				t.Fatalf("%d values left on the old key (%v)", len(left), err)
			}
			onlyNew := mustRing(t, newKey)
			for id, pt := range want {
				v, err := db.GetSealed(ctx, tenantOf[id], id)
				if err != nil {
					t.Fatal(err)
				}
				got, err := onlyNew.Open(v)
				if err != nil || string(got) != pt {
					t.Fatalf("%s does not open with the new key alone: %v", id, err)
				}
			}
		})
	}
}
