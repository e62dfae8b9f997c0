package app_test

import (
	"context"
	"testing"

	"junction"
	"junction/app"
	"junction/sqldb/sqldbtest"
)

// TestGetMonthUsage: the month's usage sums the daily aggregates of the
// current month in the caller's folders; the quota and the tenant's calls
// go to callers who see the whole tenant.
func TestGetMonthUsage(t *testing.T) {
	ctx := context.Background()
	db := sqldbtest.Open(t)
	a, admin := bootstrap(t, db) // the clock shows 2030-01-02
	f1 := must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "One"}))
	f2 := must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "Two"}))
	tenant := admin.TenantID()
	rec := func(folder, day string, executions, calls int64) junction.UsageRecord {
		return junction.UsageRecord{UsageScope: junction.UsageScope{TenantID: tenant, FolderID: folder, Connector: "http",
			ConnectionID: "c-" + folder}, Day: day, UsageCounts: junction.UsageCounts{Executions: executions, APICalls: calls}}
	}
	if err := db.AddUsage(ctx, []junction.UsageRecord{
		rec(f1.ID, "2030-01-01", 1, 2), rec(f1.ID, "2030-01-02", 3, 4), rec(f2.ID, "2030-01-02", 10, 20),
		rec(f1.ID, "2029-12-31", 100, 100), rec(f2.ID, "2030-02-01", 100, 100),
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("TenantWide", func(t *testing.T) {
		u := must(a.GetMonthUsage(ctx, admin))
		if u.Month != "2030-01" || u.Used.Executions != 14 || u.Used.APICalls != 26 || u.APICallsQuota != nil {
			t.Fatalf("usage %+v", u)
		}
	})

	t.Run("OneFolder", func(t *testing.T) {
		p := &junction.Principal{User: admin.User, Access: accessOf(grant{f1.ID, perms(junction.PermLogsView)})}
		u := must(a.GetMonthUsage(ctx, p))
		if u.Used.Executions != 4 || u.Used.APICalls != 6 {
			t.Fatalf("usage %+v", u)
		}
	})

	t.Run("ErrNoLogsView", func(t *testing.T) {
		p := &junction.Principal{User: admin.User, Access: accessOf(grant{f1.ID, perms(junction.PermConnectionsView)})}
		if _, err := a.GetMonthUsage(ctx, p); !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("got %v", err)
		}
	})

	limit := int64(30)
	if err := db.PutQuotas(ctx, tenant, &junction.Quotas{APICallsPerMonth: &limit}, newClock().Now()); err != nil {
		t.Fatal(err)
	}

	t.Run("Quota", func(t *testing.T) {
		u := must(a.GetMonthUsage(ctx, admin))
		if u.APICallsQuota == nil || *u.APICallsQuota != 30 || u.TenantAPICalls != 26 {
			t.Fatalf("usage %+v", u)
		}
		p := &junction.Principal{User: admin.User, Access: accessOf(grant{f1.ID, perms(junction.PermLogsView)}, grant{f2.ID, perms(junction.PermLogsView)})}
		if u := must(a.GetMonthUsage(ctx, p)); u.APICallsQuota != nil || u.TenantAPICalls != 0 || u.Used.APICalls != 26 {
			t.Fatalf("a caller with every folder but not the tenant sees the quota: %+v", u)
		}
	})
}
