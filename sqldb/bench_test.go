package sqldb_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"junction"
	"junction/sqldb/sqldbtest"
)

// BenchmarkGetTokenByHash is the lookup on every authenticated request.
func BenchmarkGetTokenByHash(b *testing.B) {
	db := sqldbtest.Open(b)
	ctx := context.Background()
	tn := &junction.Tenant{Name: "acme"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		b.Fatal(err)
	}
	u := &junction.User{TenantID: tn.ID, Name: "ann"}
	if err := db.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	const tokens = 1000
	hashes := make([][]byte, tokens)
	if err := db.InTx(ctx, func(tx junction.Store) error {
		for i := range tokens {
			h := sha256.Sum256(fmt.Appendf(nil, "token-%d", i))
			hashes[i] = h[:]
			if err := tx.CreateToken(ctx, &junction.Token{TenantID: tn.ID, UserID: u.ID, Name: "t", Hash: h[:]}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := db.GetTokenByHash(ctx, hashes[i%tokens]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkAppendAudit is the write every change makes.
func BenchmarkAppendAudit(b *testing.B) {
	db := sqldbtest.Open(b)
	ctx := context.Background()
	tn := &junction.Tenant{Name: "acme"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := &junction.AuditEntry{TenantID: tn.ID, ActorID: tn.ID, ActorName: "ann", Action: "asset.resolve",
				ObjectType: "asset", ObjectID: junction.NewID(), Outcome: "success",
				Details: map[string]any{"name": "db-password"}}
			if err := db.AppendAudit(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
