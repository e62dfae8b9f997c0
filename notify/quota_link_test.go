package notify_test

import (
	"testing"

	"junction"
)

// A quota.threshold notification opens the usage page, where the tenant's
// consumption is shown beside its quotas.
func TestQuotaThresholdLinksToUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	roles, err := e.store.ListRoles(e.ctx, e.tenant.ID, junction.Page{Limit: junction.MaxPageSize})
	must(t, err)
	boss := &junction.User{TenantID: e.tenant.ID, Name: "tara", Email: "tara-" + junction.NewID()[24:] + "@example.com"}
	must(t, e.store.CreateUser(e.ctx, boss))
	for _, r := range roles {
		if r.Name == junction.RoleTenantAdmin {
			must(t, e.store.SetAssignments(e.ctx, e.tenant.ID, boss.ID, "", []string{r.ID}))
		}
	}
	must(t, e.store.AppendEvent(e.ctx, &junction.Event{TenantID: e.tenant.ID, Type: junction.EventQuotaThreshold,
		ObjectType: "tenant", ObjectID: e.tenant.ID, At: e.clock.Now(),
		Details: map[string]any{"percent": 100, "used": 10, "limit": 10, "month": "2026-06", "quota": "api_calls_per_month"}}))
	e.dispatch(t, 1)
	ns := e.inApp(t, boss)
	if len(ns) != 1 || ns[0].Link != "https://junction.example.com/usage" {
		t.Fatalf("notifications = %+v, want one linking to /usage", ns)
	}
}
