package notify_test

import (
	"strings"
	"testing"

	"junction"
)

// A quota.threshold event is about the tenant, in no folder: tenant
// administrators hear of it by default, in-app and by email; folder roles,
// which cannot read the tenant's usage, do not.
func TestQuotaThresholdTellsTenantAdministrators(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	roles, err := e.store.ListRoles(e.ctx, e.tenant.ID, junction.Page{Limit: junction.MaxPageSize})
	must(t, err)
	boss := &junction.User{TenantID: e.tenant.ID, Name: "tess", Email: "tess-" + junction.NewID()[24:] + "@example.com"}
	must(t, e.store.CreateUser(e.ctx, boss))
	for _, r := range roles {
		if r.Name == junction.RoleTenantAdmin {
			must(t, e.store.SetAssignments(e.ctx, e.tenant.ID, boss.ID, "", []string{r.ID}))
		}
	}
	must(t, e.store.AppendEvent(e.ctx, &junction.Event{TenantID: e.tenant.ID, Type: junction.EventQuotaThreshold,
		ObjectType: "tenant", ObjectID: e.tenant.ID, At: e.clock.Now(),
		Details: map[string]any{"percent": 80, "used": 8, "limit": 10, "month": "2026-06", "quota": "api_calls_per_month"}}))
	e.dispatch(t, 1)

	ns := e.inApp(t, boss)
	if len(ns) != 1 || ns[0].Type != junction.EventQuotaThreshold || !strings.Contains(ns[0].Title, "80%") ||
		!strings.Contains(ns[0].Body, "8 of its 10 API calls") {
		t.Fatalf("tenant administrator's notifications = %+v", ns)
	}
	for _, u := range []*junction.User{e.admin, e.viewer, e.outsider} {
		if got := e.inApp(t, u); len(got) != 0 {
			t.Fatalf("%s got %d quota notifications", u.Name, len(got))
		}
	}
	must(t, e.n.SendEmail(e.ctx, e.tenant.ID, boss.ID, e.tenant.ID, junction.EventQuotaThreshold))
	if msgs := e.mail.Messages(t, boss.Email); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "80%") {
		t.Fatalf("emails = %+v", msgs)
	}
}
