package retention_test

import (
	"testing"
	"time"

	"junction"
	"junction/clocktest"
	"junction/retention"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// TestPruneHonoursRetentionInBatches: audit entries are kept 365 days by
// default, executions a tenant's own 7; rows inside the window stay, and
// no statement removes more than the batch.
func TestPruneHonoursRetentionInBatches(t *testing.T) {
	t.Parallel()
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clock := clocktest.New(now)
			db := b.Open(t, sqldb.Options{Clock: clock})
			ctx := t.Context()
			tn := &junction.Tenant{Name: "acme"}
			must(t, db.CreateTenant(ctx, tn))
			f := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: "f"}
			f.Path = []string{f.ID}
			must(t, db.CreateFolder(ctx, f))
			must(t, db.PutTenantSettings(ctx, &junction.TenantSettings{TenantID: tn.ID,
				Retention: junction.Retention{ExecutionsDays: 7}}))
			day := 24 * time.Hour
			for _, age := range []time.Duration{400 * day, 380 * day, 366 * day, 364 * day, 8 * day, 6 * day} {
				must(t, db.AppendAudit(ctx, &junction.AuditEntry{TenantID: tn.ID, At: now.Add(-age), Action: "x.y", Outcome: "success"}))
				must(t, db.AppendExecution(ctx, &junction.Execution{ID: junction.NewID(), TenantID: tn.ID, FolderID: f.ID,
					ConnectionID: junction.NewID(), Connector: "http", Activity: "a", Status: "success", StartedAt: now.Add(-age)}))
			}

			p := retention.New(retention.Options{Store: db, Clock: clock, Batch: 2})
			// One batch by itself: the limit holds.
			n, err := db.PruneAudit(ctx, tn.ID, now.Add(-365*day), 2)
			must(t, err)
			if n != 2 {
				t.Fatalf("one batch removed %d audit entries, want 2", n)
			}
			res, err := p.Prune(ctx)
			must(t, err)
			if res.Audit != 1 || res.Executions != 5 {
				t.Fatalf("swept %+v, want the one audit entry left past 365 days and 5 executions past 7", res)
			}
			audit, err := db.ListAudit(ctx, tn.ID, junction.AuditFilter{})
			must(t, err)
			execs, err := db.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{})
			must(t, err)
			if len(audit) != 3 || len(execs) != 1 {
				t.Fatalf("kept %d audit entries and %d executions, want 3 and 1", len(audit), len(execs))
			}
			// Time passes: the next sweep takes what aged out meanwhile.
			clock.Advance(2 * day)
			res, err = p.Prune(ctx)
			must(t, err)
			if res.Audit != 1 || res.Executions != 1 {
				t.Fatalf("second sweep %+v", res)
			}
		})
	}
}
