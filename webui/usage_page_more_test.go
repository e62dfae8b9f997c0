package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/clocktest"
	"junction/httpapi"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/usage"
	"junction/webui"
)

// usageEnv is a site whose store the test writes usage into.
func usageEnv(t *testing.T) (*env, *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	clock := clocktest.New(time.Date(2030, 1, 20, 3, 4, 5, 0, time.UTC))
	db := sqldbtest.Open(t)
	meter := usage.New(usage.Options{Store: db, Clock: clock})
	a := app.New(db, app.Options{Clock: clock, Usage: meter})
	res, err := a.Bootstrap(ctx, app.BootstrapOptions{Password: junction.NewSecret(adminPassword)})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Authenticate(ctx, res.Token.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(a, httpapi.Options{Clock: clock})
	api.Mount(webui.New(a, webui.Options{Guard: api, Clock: clock}))
	e := &env{t: t, app: a, admin: admin, clock: clock}
	e.srv = httptest.NewServer(api.Handler())
	t.Cleanup(e.srv.Close)
	e.client = e.newClient()
	e.login(e.client, "/")
	return e, db
}

func TestUsagePage(t *testing.T) {
	ctx := context.Background()
	e, db := usageEnv(t)
	ops, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: "Ops"})
	if err != nil {
		t.Fatal(err)
	}
	tenant := e.admin.TenantID()
	add := func(folder, day string, executions, calls int64) {
		t.Helper()
		err := db.AddUsage(ctx, []junction.UsageRecord{{UsageScope: junction.UsageScope{TenantID: tenant, FolderID: folder,
			Connector: "http", ConnectionID: "c-" + folder}, Day: day, UsageCounts: junction.UsageCounts{Executions: executions, APICalls: calls}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(ops.ID, "2030-01-03", 2, 3)
	add(ops.ID, "2030-01-19", 1, 4)
	add(ops.ID, "2029-11-01", 100, 100) // out of the default 30 days

	t.Run("ByDay", func(t *testing.T) {
		resp, body := e.do(e.client, "GET", "/usage", nil)
		wantStatus(t, "usage", resp, http.StatusOK)
		for _, want := range []string{`id="usage-total-executions">3<`, `id="usage-total-api-calls">7<`, `<svg id="usage-chart"`,
			`>2030-01-03<`, `>2030-01-19<`, `value="2029-12-22"`, `value="2030-01-20"`, `href="/usage" aria-current="page"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("the usage page has no %s:\n%s", want, body)
			}
		}
		if strings.Contains(body, `id="usage-quotas"`) {
			t.Fatal("quotas shown where none is set")
		}
	})
	t.Run("ByFolder", func(t *testing.T) {
		_, body := e.do(e.client, "GET", "/usage?from=2029-10-01&to=2030-01-20&group_by=folder", nil)
		if !strings.Contains(body, `>Ops<`) || !strings.Contains(body, `id="usage-total-api-calls">107<`) {
			t.Fatalf("by folder:\n%s", body)
		}
	})
	t.Run("ByConnection", func(t *testing.T) {
		// 60 connections, the i-th making 1000+i calls, and a deleted one
		// making 5000: the table lists the largest first, by name, 50 a
		// page (the deleted one and conn-59 to conn-11, then the rest).
		// In a folder of their own, so the other subtests' totals stay.
		sales, err := e.app.CreateFolder(ctx, e.admin, app.CreateFolderInput{Name: "Sales"})
		if err != nil {
			t.Fatal(err)
		}
		// The site has no catalog: the connections are written to the
		// store as they would be by CreateConnection.
		var recs []junction.UsageRecord
		for i := range 60 {
			c := &junction.Connection{ID: junction.NewID(), TenantID: tenant, FolderID: sales.ID, Connector: "http",
				Name: fmt.Sprintf("conn-%02d", i), AuthType: "none", Status: junction.ConnectionConnected,
				CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
			if err := db.CreateConnection(ctx, c); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, junction.UsageRecord{UsageScope: junction.UsageScope{TenantID: tenant, FolderID: sales.ID,
				Connector: "http", ConnectionID: c.ID}, Day: "2030-01-10", UsageCounts: junction.UsageCounts{Executions: 1, APICalls: int64(1000 + i)}})
		}
		// A connection deleted since keeps its ID.
		gone := junction.NewID()
		recs = append(recs, junction.UsageRecord{UsageScope: junction.UsageScope{TenantID: tenant, FolderID: sales.ID,
			Connector: "http", ConnectionID: gone}, Day: "2030-01-10", UsageCounts: junction.UsageCounts{APICalls: 5000}})
		if err := db.AddUsage(ctx, recs); err != nil {
			t.Fatal(err)
		}
		resp, body := e.do(e.client, "GET", "/usage?group_by=connection", nil)
		wantStatus(t, "by connection", resp, http.StatusOK)
		first, largest := strings.Index(body, ">"+gone+"<"), strings.Index(body, ">conn-59<")
		if first < 0 || largest < first || !strings.Contains(body, ">conn-11<") || strings.Contains(body, ">conn-10<") {
			t.Fatalf("page 1 by connection is not the 50 largest, largest first, by name:\n%s", body)
		}
		if !strings.Contains(body, `page=2`) {
			t.Fatal("no link to the second page")
		}
		_, body = e.do(e.client, "GET", "/usage?group_by=connection&page=2", nil)
		if !strings.Contains(body, ">conn-10<") || !strings.Contains(body, ">conn-00<") || strings.Contains(body, ">conn-11<") {
			t.Fatalf("page 2 by connection:\n%s", body)
		}
		if !strings.Contains(body, `group_by=connection`) {
			t.Fatal("the pager loses the grouping")
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		resp, body := e.do(e.client, "GET", "/usage?from=2030-01-10&to=2030-01-01", nil)
		wantStatus(t, "reversed span", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="usage-to-error"`) {
			t.Fatalf("no error next to To:\n%s", body)
		}
		resp, body = e.do(e.client, "GET", "/usage?from=yesterday", nil)
		wantStatus(t, "bad date", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="usage-from-error"`) {
			t.Fatal("no error next to From")
		}
	})
	t.Run("Quotas", func(t *testing.T) {
		limit := int64(10)
		if err := db.PutQuotas(ctx, tenant, &junction.Quotas{APICallsPerMonth: &limit}, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, body := e.do(e.client, "GET", "/usage", nil)
		if !strings.Contains(body, `id="quota-api-calls"`) || strings.Contains(body, `id="quota-connections"`) {
			t.Fatalf("quotas:\n%s", body)
		}
	})
	t.Run("FolderMember", func(t *testing.T) {
		u, c := e.signInUser("fred")
		if _, err := e.app.SetFolderMember(ctx, e.admin, ops.ID, u.ID, []string{junction.RoleViewer}); err != nil {
			t.Fatal(err)
		}
		resp, body := e.do(c, "GET", "/usage", nil)
		wantStatus(t, "a folder member's usage", resp, http.StatusOK)
		if !strings.Contains(body, `id="usage-total-api-calls">7<`) || strings.Contains(body, `id="usage-quotas"`) {
			t.Fatalf("a folder member's usage page:\n%s", body)
		}
	})
	t.Run("NoLogsView", func(t *testing.T) {
		_, c := e.signInUser("nora")
		resp, body := e.do(c, "GET", "/account", nil)
		wantStatus(t, "account without roles", resp, http.StatusOK)
		if strings.Contains(body, `href="/usage"`) || strings.Contains(body, `href="/settings"`) {
			t.Fatal("links to pages the user may not open")
		}
		resp, _ = e.do(c, "GET", "/usage", nil)
		wantStatus(t, "usage without Logs.View", resp, http.StatusForbidden)
	})
}

func TestSettingsPage(t *testing.T) {
	ctx := context.Background()
	e, _ := usageEnv(t)
	csrf := e.csrf(e.client, "/settings")

	t.Run("HostAdmin", func(t *testing.T) {
		_, body := e.do(e.client, "GET", "/settings", nil)
		for _, want := range []string{`id="retention-form"`, `id="executions-days" name="executions_days" min="1" max="3650" value="30"`,
			`id="quota-form"`, `id="save-quotas"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("settings lack %s:\n%s", want, body)
			}
		}
		resp, body := e.do(e.client, "POST", "/settings/retention", url.Values{"csrf": {csrf}, "executions_days": {"5000"}, "audit_days": {"400"}})
		wantStatus(t, "retention out of bounds", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="executions-days-error"`) || !strings.Contains(body, `value="5000"`) {
			t.Fatalf("no error next to the field:\n%s", body)
		}
		resp, body = e.do(e.client, "POST", "/settings/retention", url.Values{"csrf": {csrf}, "executions_days": {"ten"}})
		wantStatus(t, "retention not a number", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="executions-days-error"`) {
			t.Fatal("no error next to the field")
		}
		resp, _ = e.do(e.client, "POST", "/settings/retention", url.Values{"csrf": {csrf}, "executions_days": {"7"}, "audit_days": {"400"}})
		wantStatus(t, "retention", resp, http.StatusSeeOther)
		r, err := e.app.GetRetention(ctx, e.admin)
		if err != nil || r.ExecutionsDays != 7 || r.AuditDays != 400 || r.JobsDays != junction.DefaultRetention.JobsDays {
			t.Fatalf("retention = %+v, %v", r, err)
		}
		resp, body = e.do(e.client, "POST", "/settings/quotas", url.Values{"csrf": {csrf}, "tenant": {e.admin.TenantID()}, "connections": {"-1"}})
		wantStatus(t, "negative quota", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="quota-connections-error"`) {
			t.Fatalf("no error next to the quota:\n%s", body)
		}
		resp, _ = e.do(e.client, "POST", "/settings/quotas", url.Values{"csrf": {csrf}, "tenant": {e.admin.TenantID()}, "triggers": {"4"}})
		wantStatus(t, "quotas", resp, http.StatusSeeOther)
		q, err := e.app.GetTenantQuotas(ctx, e.admin, e.admin.TenantID())
		if err != nil || q.Quotas.Triggers == nil || *q.Quotas.Triggers != 4 || q.Quotas.Connections != nil {
			t.Fatalf("quotas = %+v, %v", q, err)
		}
		resp, _ = e.do(e.client, "POST", "/settings/quotas", url.Values{"tenant": {e.admin.TenantID()}, "triggers": {"5"}})
		wantStatus(t, "quotas without CSRF", resp, http.StatusForbidden)
	})
	t.Run("TenantAdmin", func(t *testing.T) {
		_, c := e.signInUser("tina", junction.RoleTenantAdmin)
		resp, body := e.do(c, "GET", "/settings", nil)
		wantStatus(t, "settings", resp, http.StatusOK)
		if !strings.Contains(body, `id="retention-form"`) || !strings.Contains(body, `id="quotas"`) || strings.Contains(body, `id="quota-form"`) {
			t.Fatalf("a tenant administrator's settings:\n%s", body)
		}
		csrf := e.csrf(c, "/settings")
		resp, _ = e.do(c, "POST", "/settings/quotas", url.Values{"csrf": {csrf}, "tenant": {e.admin.TenantID()}, "triggers": {"100"}})
		wantStatus(t, "a tenant administrator sets quotas", resp, http.StatusForbidden)
	})
	t.Run("Viewer", func(t *testing.T) {
		_, c := e.signInUser("vic", junction.RoleViewer)
		resp, body := e.do(c, "GET", "/settings", nil)
		if resp.StatusCode == http.StatusOK && strings.Contains(body, `id="retention-form"`) {
			t.Fatal("a viewer may edit retention")
		}
		csrf := e.csrf(c, "/account")
		resp, _ = e.do(c, "POST", "/settings/retention", url.Values{"csrf": {csrf}, "executions_days": {"1"}})
		wantStatus(t, "a viewer sets retention", resp, http.StatusForbidden)
	})
}
