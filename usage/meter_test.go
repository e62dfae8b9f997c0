package usage_test

import (
	"errors"
	"testing"
	"time"

	"junction"
	"junction/clocktest"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/usage"
)

func setup(t *testing.T, b sqldbtest.Backend) (*sqldb.DB, *junction.Tenant, *clocktest.Clock) {
	t.Helper()
	db := b.Open(t, sqldb.Options{})
	tn := &junction.Tenant{ID: junction.NewID(), Name: "acme", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := db.CreateTenant(t.Context(), tn); err != nil {
		t.Fatal(err)
	}
	return db, tn, clocktest.New(time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC))
}

func total(t *testing.T, db *sqldb.DB, tenantID string, g junction.UsageGroup) []junction.UsageRow {
	t.Helper()
	rows, err := db.SumUsage(t.Context(), tenantID, junction.UsageFilter{GroupBy: g})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestMeter(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("CountsByDayAcrossServers", func(t *testing.T) {
				db, tn, clock := setup(t, b)
				a := usage.New(usage.Options{Store: db, Clock: clock})
				other := usage.New(usage.Options{Store: db, Clock: clock})
				scope := junction.UsageScope{TenantID: tn.ID, FolderID: "f", Connector: "github", ConnectionID: "c"}
				for range 3 {
					a.Count(scope, junction.UsageCounts{Executions: 1, APICalls: 2})
				}
				other.Count(scope, junction.UsageCounts{Polls: 1, APICalls: 1})
				if rows := total(t, db, tn.ID, junction.UsageTotal); rows[0].Executions != 0 {
					t.Fatalf("counted before any flush: %+v", rows)
				}
				clock.Advance(2 * time.Minute) // the next UTC day, and month
				a.Count(scope, junction.UsageCounts{Executions: 1, APICalls: 1})
				if err := a.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
				if err := other.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				got := total(t, db, tn.ID, junction.UsageByDay)
				want := []junction.UsageRow{
					{Key: "2026-03-31", UsageCounts: junction.UsageCounts{Executions: 3, APICalls: 7, Polls: 1}},
					{Key: "2026-04-01", UsageCounts: junction.UsageCounts{Executions: 1, APICalls: 1}},
				}
				if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
					t.Fatalf("by day = %+v, want %+v", got, want)
				}
				// Flushing again adds nothing.
				if err := a.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
				if got := total(t, db, tn.ID, junction.UsageTotal); got[0].APICalls != 8 {
					t.Fatalf("after a second flush: %+v", got)
				}
			})

			t.Run("RefusedFlushKeepsCounts", func(t *testing.T) {
				db, tn, clock := setup(t, b)
				ctx := t.Context()
				m := usage.New(usage.Options{Store: db, Clock: clock})
				scope := junction.UsageScope{TenantID: tn.ID, FolderID: "f", Connector: "github", ConnectionID: "c"}
				m.Count(scope, junction.UsageCounts{Executions: 2, APICalls: 2})
				// The database refuses the write: the table is away.
				if _, err := db.SQL().ExecContext(ctx, "ALTER TABLE usage_daily RENAME TO usage_daily_away"); err != nil {
					t.Fatal(err)
				}
				if err := m.Flush(ctx); err == nil {
					t.Fatal("flush without its table succeeded")
				}
				if _, err := db.SQL().ExecContext(ctx, "ALTER TABLE usage_daily_away RENAME TO usage_daily"); err != nil {
					t.Fatal(err)
				}
				m.Count(scope, junction.UsageCounts{Executions: 1, APICalls: 1})
				if err := m.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				if got := total(t, db, tn.ID, junction.UsageTotal); got[0].Executions != 3 || got[0].APICalls != 3 {
					t.Fatalf("after a refused flush and a good one: %+v, want 3 executions and calls", got)
				}
			})

			t.Run("QuotaAndThresholds", func(t *testing.T) {
				db, tn, clock := setup(t, b)
				ctx := t.Context()
				clock.Set(time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC))
				limit := int64(10)
				if err := db.PutQuotas(ctx, tn.ID, &junction.Quotas{APICallsPerMonth: &limit}, clock.Now()); err != nil {
					t.Fatal(err)
				}
				a := usage.New(usage.Options{Store: db, Clock: clock})
				other := usage.New(usage.Options{Store: db, Clock: clock})
				scope := junction.UsageScope{TenantID: tn.ID, FolderID: "f", Connector: "github", ConnectionID: "c"}
				// Another server made 7 calls and wrote them.
				other.Count(scope, junction.UsageCounts{Executions: 7, APICalls: 7})
				if err := other.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				for i := range 3 {
					if err := a.CheckAPICalls(ctx, tn.ID); err != nil {
						t.Fatalf("call %d refused: %v", 8+i, err)
					}
					a.Count(scope, junction.UsageCounts{Executions: 1, APICalls: 1})
				}
				err := a.CheckAPICalls(ctx, tn.ID)
				if junction.ErrorCode(err) != junction.EQUOTAEXCEEDED {
					t.Fatalf("call 11: %v, want quota_exceeded", err)
				}
				var je *junction.Error
				_ = errors.As(err, &je)
				wantSecs := int64(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Sub(clock.Now()).Seconds())
				if je.Details["retry_after_seconds"] != wantSecs || je.Details["used"] != int64(10) {
					t.Fatalf("details = %v, want retry_after_seconds %d and used 10", je.Details, wantSecs)
				}

				// Both servers flush; the 80 and 100 % thresholds are told
				// once each.
				for range 2 {
					if err := a.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					if err := other.Flush(ctx); err != nil {
						t.Fatal(err)
					}
				}
				evs, err := db.ListEvents(ctx, tn.ID, junction.Page{})
				if err != nil {
					t.Fatal(err)
				}
				var percents []any
				for _, e := range evs {
					if e.Type == junction.EventQuotaThreshold {
						percents = append(percents, e.Details["percent"])
					}
				}
				if len(percents) != 2 {
					t.Fatalf("threshold events = %v, want 80 and 100 once each", percents)
				}
				// The other server knows the month's calls after its flush.
				if err := other.CheckAPICalls(ctx, tn.ID); junction.ErrorCode(err) != junction.EQUOTAEXCEEDED {
					t.Fatalf("other server: %v, want quota_exceeded", err)
				}
				// A raised quota counts at once here, and the next month
				// starts from zero.
				more := int64(11)
				a.SetQuotas(tn.ID, junction.Quotas{APICallsPerMonth: &more})
				if err := a.CheckAPICalls(ctx, tn.ID); err != nil {
					t.Fatalf("after raising the quota: %v", err)
				}
				clock.Set(time.Date(2026, 5, 1, 0, 0, 1, 0, time.UTC))
				if err := other.CheckAPICalls(ctx, tn.ID); err != nil {
					t.Fatalf("in the next month: %v", err)
				}
			})
		})
	}
}

// BenchmarkCount is what an execution pays to be metered: it runs on
// every execution's path, from many goroutines at once.
func BenchmarkCount(b *testing.B) {
	m := usage.New(usage.Options{Store: nil})
	scopes := make([]junction.UsageScope, 64)
	for i := range scopes {
		scopes[i] = junction.UsageScope{TenantID: "t", FolderID: "f", Connector: "github", ConnectionID: junction.NewID()}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Count(scopes[i%len(scopes)], junction.UsageCounts{Executions: 1, APICalls: 1})
			i++
		}
	})
}
