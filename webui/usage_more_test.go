package webui_test

import (
	"context"
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
	"junction/sqldb/sqldbtest"
	"junction/usage"
	"junction/webui"
)

// TestOverviewUsage: the overview shows the month's usage from the daily
// aggregates and, to who sees the whole tenant, its API-call quota.
func TestOverviewUsage(t *testing.T) {
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

	ops, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "Ops"})
	if err != nil {
		t.Fatal(err)
	}
	tenant := admin.TenantID()
	add := func(folder, day string, executions, calls int64) {
		t.Helper()
		err := db.AddUsage(ctx, []junction.UsageRecord{{UsageScope: junction.UsageScope{TenantID: tenant, FolderID: folder,
			Connector: "http", ConnectionID: "c-" + folder}, Day: day, UsageCounts: junction.UsageCounts{Executions: executions, APICalls: calls}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(ops.ID, "2030-01-03", 2, 3)
	add("other-folder", "2030-01-19", 1, 2)
	add(ops.ID, "2029-12-31", 100, 100) // last month

	t.Run("NoQuota", func(t *testing.T) {
		body := e.overview(e.client)
		for _, want := range []string{`id="h-usage">Usage, 2030-01<`, `id="usage-executions">3<`, `id="usage-api-calls">5<`} {
			if !strings.Contains(body, want) {
				t.Fatalf("the overview has no %s: %s", want, body)
			}
		}
		if strings.Contains(body, `id="quota-meter"`) {
			t.Fatal("a quota is shown where none is set")
		}
	})

	limit := int64(10)
	if err := db.PutQuotas(ctx, tenant, &junction.Quotas{APICallsPerMonth: &limit}, clock.Now()); err != nil {
		t.Fatal(err)
	}

	t.Run("Quota", func(t *testing.T) {
		body := e.overview(e.client)
		for _, want := range []string{`id="quota-used">5<`, `id="quota-limit">10<`, `(50%)`, `<meter id="quota-meter" min="0" max="10" value="5" high="8">`} {
			if !strings.Contains(body, want) {
				t.Fatalf("the overview has no %s: %s", want, body)
			}
		}
		if strings.Contains(body, `id="quota-reached"`) {
			t.Fatal("the quota is said to be used up at half")
		}
	})

	t.Run("QuotaReached", func(t *testing.T) {
		// Counted on this server and not yet written: the quota counts
		// them, and so does the overview.
		meter.Count(junction.UsageScope{TenantID: tenant, FolderID: ops.ID, Connector: "http", ConnectionID: "c"},
			junction.UsageCounts{Executions: 1, APICalls: 6})
		body := e.overview(e.client)
		if !strings.Contains(body, `id="quota-used">11<`) || !strings.Contains(body, `id="quota-reached"`) {
			t.Fatalf("the quota is not shown used up: %s", body)
		}
	})

	t.Run("FolderMember", func(t *testing.T) {
		u, err := a.CreateUser(ctx, admin, app.CreateUserInput{Name: "fay"})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "a folder member's long passphrase"
		if err := a.SetPassword(ctx, admin, u.ID, app.SetPasswordInput{Password: junction.NewSecret(pw)}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SetFolderMember(ctx, admin, ops.ID, u.ID, []string{"Viewer"}); err != nil {
			t.Fatal(err)
		}
		c := e.newClient()
		resp, _ := e.do(c, "POST", "/login", url.Values{"username": {"fay"}, "password": {pw}})
		wantStatus(t, "sign in", resp, http.StatusSeeOther)
		body := e.overview(c)
		if !strings.Contains(body, `id="usage-executions">2<`) || !strings.Contains(body, `id="usage-api-calls">3<`) {
			t.Fatalf("a folder member sees other folders' usage: %s", body)
		}
		if strings.Contains(body, `id="quota-meter"`) {
			t.Fatal("a folder member sees the tenant's quota")
		}
	})
}

func (e *env) overview(c *http.Client) string {
	e.t.Helper()
	resp, body := e.do(c, "GET", "/", nil)
	wantStatus(e.t, "overview", resp, http.StatusOK)
	return body
}
