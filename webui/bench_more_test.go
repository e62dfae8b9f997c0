package webui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/httpapi/httpapitest"
	"junction/webui"
)

// BenchmarkPagesMore renders the pages the search box, the month's usage,
// object operations and the folder switcher touch, in a tenant with 1,000
// connections in two folders, 2,000 executions, 200 triggers, a month of
// daily usage rows for every connection and an API-call quota. Run with
// go test -run - -bench PagesMore -benchtime 50x ./webui/
func BenchmarkPagesMore(b *testing.B) {
	ctx := context.Background()
	srv := httpapitest.NewServer(b, httpapitest.Options{})
	a := srv.App
	admin, err := a.Authenticate(ctx, srv.AdminToken)
	if err != nil {
		b.Fatal(err)
	}
	if err := a.SetPassword(ctx, admin, admin.User.ID, app.SetPasswordInput{Password: junction.NewSecret(adminPassword)}); err != nil {
		b.Fatal(err)
	}
	var folders []*junction.Folder
	for _, name := range []string{"Sales", "Support"} {
		f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: name})
		if err != nil {
			b.Fatal(err)
		}
		folders = append(folders, f)
	}
	base := junction.NewSecret("https://api.example.com")
	var conns []*junction.Connection
	for i := range 1000 {
		c, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: folders[i%2].ID, Connector: "http",
			Name: fmt.Sprintf("conn-%04d", i), AuthType: "none", SkipTest: true,
			Fields: map[string]app.FieldInput{"base_url": {Literal: &base}}})
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	// The connector with the most object operations among the built-in
	// ones: its page offers them all.
	token := junction.NewSecret("bench-token")
	domain := junction.NewSecret("acme")
	crm, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: folders[0].ID, Connector: "pipedrive",
		Name: "crm", AuthType: "api_token", SkipTest: true,
		Fields: map[string]app.FieldInput{"company_domain": {Literal: &domain}, "api_token": {Literal: &token}}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		hook, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: folders[i%2].ID, Connector: "webhook",
			Name: fmt.Sprintf("hook-%03d", i), SkipTest: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.CreateTrigger(ctx, admin, app.CreateTriggerInput{FolderID: hook.FolderID, ConnectionID: hook.ID,
			Object: "event", Event: "received", Target: app.TriggerTargetInput{Type: "queue", Name: "q"}}); err != nil {
			b.Fatal(err)
		}
	}
	now := srv.Clock.Now()
	var exs []*junction.Execution
	for i := range 2000 {
		status, code := "succeeded", ""
		if i%7 == 0 {
			status, code = "failed", junction.ECONNAUTHFAILED
		}
		c := conns[i%len(conns)]
		exs = append(exs, &junction.Execution{ID: junction.NewID(), TenantID: c.TenantID, FolderID: c.FolderID,
			ConnectionID: c.ID, Connector: "http", Activity: "http_request", Status: status, ErrorCode: code,
			Attempts: 1, StartedAt: now.Add(-time.Duration(i) * 40 * time.Second)})
	}
	if err := srv.DB.AppendExecutions(ctx, exs); err != nil {
		b.Fatal(err)
	}
	// A day of usage for every connection on each day of the month so
	// far, and the month before: what the overview sums.
	var recs []junction.UsageRecord
	for day := junction.MonthStart(now).AddDate(0, -1, 0); day.Before(now); day = day.AddDate(0, 0, 1) {
		for _, c := range conns {
			recs = append(recs, junction.UsageRecord{UsageScope: junction.UsageScope{TenantID: c.TenantID, FolderID: c.FolderID,
				Connector: "http", ConnectionID: c.ID}, Day: day.Format(junction.UsageDay),
				UsageCounts: junction.UsageCounts{Executions: 3, APICalls: 4}})
		}
	}
	if err := srv.DB.AddUsage(ctx, recs); err != nil {
		b.Fatal(err)
	}
	limit := int64(1_000_000)
	if err := srv.DB.PutQuotas(ctx, admin.TenantID(), &junction.Quotas{APICallsPerMonth: &limit}, now); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d usage rows", len(recs))

	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API, Clock: srv.Clock}))
	h := srv.API.Handler()
	rec := record(h, httpRequest("POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}))
	cookie := rec.Result().Cookies()[0]
	for _, page := range []struct{ name, path, folder string }{
		{"overview", "/", ""},
		{"executions", "/executions", ""},
		{"executions-search", "/executions?q=conn-09", ""},
		{"executions-search-none", "/executions?q=nothing-matches-this", ""},
		{"executions-folder", "/executions", folders[0].ID},
		{"executions-folder-search", "/executions?q=conn-0&status=failed", folders[0].ID},
		{"triggers", "/triggers", ""},
		{"triggers-folder", "/triggers", folders[1].ID},
		{"connection-objects", "/connections/" + crm.ID, ""},
		{"connection-object-form", "/connections/" + crm.ID + "?activity=deal.create", ""},
	} {
		b.Run(page.name, func(b *testing.B) {
			var size int
			cpu := processCPU()
			for b.Loop() {
				req := httpRequest("GET", page.path, nil)
				req.AddCookie(cookie)
				if page.folder != "" {
					req.AddCookie(&http.Cookie{Name: "junction_folder", Value: page.folder})
				}
				rec := record(h, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", page.path, rec.Code)
				}
				body, _ := io.ReadAll(rec.Body)
				size = len(body)
			}
			b.ReportMetric(float64(size), "bytes/page")
			b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/page")
		})
	}
}
