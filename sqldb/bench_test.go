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

// executionsFor returns n execution records for one connection, as the
// engine's recorder hands them over.
func executionsFor(b *testing.B, db junction.Store, n int) func() []*junction.Execution {
	ctx := context.Background()
	tn := &junction.Tenant{Name: "acme"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		b.Fatal(err)
	}
	f := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: "F"}
	f.Path = []string{f.ID}
	if err := db.CreateFolder(ctx, f); err != nil {
		b.Fatal(err)
	}
	c := &junction.Connection{TenantID: tn.ID, FolderID: f.ID, Connector: "github", Name: "GitHub"}
	if err := db.CreateConnection(ctx, c); err != nil {
		b.Fatal(err)
	}
	return func() []*junction.Execution {
		es := make([]*junction.Execution, n)
		for i := range es {
			es[i] = &junction.Execution{TenantID: tn.ID, FolderID: f.ID, ConnectionID: c.ID, Connector: c.Connector,
				Activity: "issues.list", Status: "succeeded", HTTPStatus: 200, Attempts: 1, DurationMS: 87, CallerID: "ann"}
		}
		return es
	}
}

// BenchmarkAppendExecution writes execution records one statement (and one
// commit) each. Compare its ns/execution with BenchmarkAppendExecutions'.
func BenchmarkAppendExecution(b *testing.B) {
	db := sqldbtest.Open(b)
	ctx := context.Background()
	next := executionsFor(b, db, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := db.AppendExecution(ctx, next()[0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/execution")
}

// BenchmarkAppendExecutions writes batches of 100 records, one transaction
// each, as the engine's recorder does; an op is a batch.
func BenchmarkAppendExecutions(b *testing.B) {
	const batch = 100
	db := sqldbtest.Open(b)
	ctx := context.Background()
	next := executionsFor(b, db, batch)
	b.ReportAllocs()
	for b.Loop() {
		if err := db.AppendExecutions(ctx, next()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/execution")
}
