package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"junction"
)

func wantRows(t *testing.T, what string, got, want []junction.UsageRow) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
}

func testUsage(t *testing.T, open Open) {
	t.Run("AddAndSum", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		a := junction.UsageScope{TenantID: tn.ID, FolderID: "f1", Connector: "github", ConnectionID: "c1"}
		b := junction.UsageScope{TenantID: tn.ID, FolderID: "f2", Connector: "slack", ConnectionID: "c2"}
		must(t, s.AddUsage(ctx, []junction.UsageRecord{
			{UsageScope: a, Day: "2025-03-01", UsageCounts: junction.UsageCounts{Executions: 2, APICalls: 3}},
			{UsageScope: b, Day: "2025-03-01", UsageCounts: junction.UsageCounts{Polls: 1, APICalls: 1, TriggerEvents: 4}},
			{UsageScope: a, Day: "2025-03-02", UsageCounts: junction.UsageCounts{Executions: 1, APICalls: 1, JobsDelivered: 5}},
			{UsageScope: junction.UsageScope{TenantID: other.ID, FolderID: "f1", Connector: "github", ConnectionID: "c9"},
				Day: "2025-03-01", UsageCounts: junction.UsageCounts{Executions: 100, APICalls: 100}},
		}))
		// A second flush adds to the same rows.
		must(t, s.AddUsage(ctx, []junction.UsageRecord{
			{UsageScope: a, Day: "2025-03-01", UsageCounts: junction.UsageCounts{Executions: 1, APICalls: 1}},
		}))
		must(t, s.AddUsage(ctx, nil))

		all := junction.UsageFilter{From: "2025-03-01", To: "2025-04-01"}
		rows, err := s.SumUsage(ctx, tn.ID, all)
		must(t, err)
		wantRows(t, "total", rows, []junction.UsageRow{{UsageCounts: junction.UsageCounts{
			Executions: 4, APICalls: 6, TriggerEvents: 4, Polls: 1, JobsDelivered: 5}}})

		f := all
		f.GroupBy = junction.UsageByConnector
		rows, err = s.SumUsage(ctx, tn.ID, f)
		must(t, err)
		wantRows(t, "by connector", rows, []junction.UsageRow{
			{Key: "github", UsageCounts: junction.UsageCounts{Executions: 4, APICalls: 5, JobsDelivered: 5}},
			{Key: "slack", UsageCounts: junction.UsageCounts{APICalls: 1, TriggerEvents: 4, Polls: 1}},
		})

		f.GroupBy = junction.UsageByDay
		rows, err = s.SumUsage(ctx, tn.ID, f)
		must(t, err)
		wantRows(t, "by day", rows, []junction.UsageRow{
			{Key: "2025-03-01", UsageCounts: junction.UsageCounts{Executions: 3, APICalls: 5, TriggerEvents: 4, Polls: 1}},
			{Key: "2025-03-02", UsageCounts: junction.UsageCounts{Executions: 1, APICalls: 1, JobsDelivered: 5}},
		})

		f.GroupBy = junction.UsageByConnection
		f.FolderIDs = []string{"f2"}
		rows, err = s.SumUsage(ctx, tn.ID, f)
		must(t, err)
		wantRows(t, "by connection in f2", rows, []junction.UsageRow{
			{Key: "c2", UsageCounts: junction.UsageCounts{APICalls: 1, TriggerEvents: 4, Polls: 1}}})

		f.GroupBy, f.FolderIDs = junction.UsageByFolder, []string{}
		rows, err = s.SumUsage(ctx, tn.ID, f)
		must(t, err)
		wantRows(t, "no visible folder", rows, []junction.UsageRow{})

		rows, err = s.SumUsage(ctx, tn.ID, junction.UsageFilter{From: "2025-03-02", To: "2025-03-03", GroupBy: junction.UsageByFolder})
		must(t, err)
		wantRows(t, "one day by folder", rows, []junction.UsageRow{
			{Key: "f1", UsageCounts: junction.UsageCounts{Executions: 1, APICalls: 1, JobsDelivered: 5}}})

		_, err = s.SumUsage(ctx, tn.ID, junction.UsageFilter{GroupBy: "tenant; DROP TABLE usage_daily"})
		wantCode(t, err, junction.EINVALID)
	})

	t.Run("ConcurrentAdds", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		scope := junction.UsageScope{TenantID: tn.ID, FolderID: "f", Connector: "github", ConnectionID: "c"}
		const servers = 8
		var wg sync.WaitGroup
		errs := make([]error, servers)
		for i := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.AddUsage(ctx, []junction.UsageRecord{{UsageScope: scope, Day: "2025-03-01",
					UsageCounts: junction.UsageCounts{Executions: 1, APICalls: 2}}})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		rows, err := s.SumUsage(ctx, tn.ID, junction.UsageFilter{})
		must(t, err)
		wantRows(t, "sum of concurrent adds", rows, []junction.UsageRow{{UsageCounts: junction.UsageCounts{
			Executions: servers, APICalls: 2 * servers}}})
	})

	t.Run("Quotas", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		q, err := s.GetQuotas(ctx, tn.ID)
		must(t, err)
		wantEqual(t, "no quotas", fmt.Sprint(*q), fmt.Sprint(junction.Quotas{}))
		calls, conns := int64(1000), int64(0)
		must(t, s.PutQuotas(ctx, tn.ID, &junction.Quotas{APICallsPerMonth: &calls, Connections: &conns}, base))
		q, err = s.GetQuotas(ctx, tn.ID)
		must(t, err)
		if q.APICallsPerMonth == nil || *q.APICallsPerMonth != 1000 || q.Connections == nil || *q.Connections != 0 || q.Triggers != nil {
			t.Fatalf("quotas read back = %+v", q)
		}
		must(t, s.PutQuotas(ctx, tn.ID, &junction.Quotas{APICallsPerMonth: &calls}, base))
		all, err := s.ListQuotas(ctx)
		must(t, err)
		got := all[tn.ID]
		if len(all) != 1 || got.APICallsPerMonth == nil || *got.APICallsPerMonth != 1000 || got.Connections != nil {
			t.Fatalf("list quotas = %+v", all)
		}
		wantCode(t, s.PutQuotas(ctx, junction.NewID(), &junction.Quotas{}, base), junction.ENOTFOUND)
	})

	t.Run("Counts", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "ops")
		c := mustConnection(t, s, f, "github", "gh", false)
		mustConnection(t, s, f, "github", "gh2", false)
		mustTrigger(t, s, c, junction.TriggerPolling, "created")
		n, err := s.CountConnections(ctx, tn.ID)
		must(t, err)
		wantEqual(t, "connections", n, 2)
		n, err = s.CountTriggers(ctx, tn.ID)
		must(t, err)
		wantEqual(t, "triggers", n, 1)
		n, err = s.CountConnections(ctx, mustTenant(t, s, "other").ID)
		must(t, err)
		wantEqual(t, "connections of another tenant", n, 0)
	})

	t.Run("Threshold", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		ok, err := s.ClaimQuotaThreshold(ctx, tn.ID, "2025-03", 80)
		must(t, err)
		wantEqual(t, "first claim", ok, true)
		ok, err = s.ClaimQuotaThreshold(ctx, tn.ID, "2025-03", 80)
		must(t, err)
		wantEqual(t, "second claim", ok, false)
		ok, err = s.ClaimQuotaThreshold(ctx, tn.ID, "2025-04", 80)
		must(t, err)
		wantEqual(t, "next month", ok, true)
		ok, err = s.ClaimQuotaThreshold(ctx, tn.ID, "2025-03", 100)
		must(t, err)
		wantEqual(t, "other threshold", ok, true)
	})
}
