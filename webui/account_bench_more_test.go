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

// BenchmarkAccountPages renders the account, usage and settings pages in a
// tenant with 1,000 connections in two folders, 40 days of daily usage for
// every connection, 50 API tokens, folder notification choices and quotas.
// Run with go test -run - -bench AccountPages -benchtime 30x ./webui/
func BenchmarkAccountPages(b *testing.B) {
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
	now := srv.Clock.Now()
	var recs []junction.UsageRecord
	for i := range 1000 {
		id, f := junction.NewID(), folders[i%2].ID
		for d := range 40 {
			recs = append(recs, junction.UsageRecord{UsageScope: junction.UsageScope{TenantID: admin.TenantID(), FolderID: f,
				Connector: fmt.Sprintf("conn-%02d", i%30), ConnectionID: id}, Day: now.AddDate(0, 0, -d).Format(junction.UsageDay),
				UsageCounts: junction.UsageCounts{Executions: 3, APICalls: 4}})
		}
	}
	if err := srv.DB.AddUsage(ctx, recs); err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		if _, err := a.CreateToken(ctx, admin, admin.User.ID, app.CreateTokenInput{Name: fmt.Sprintf("token-%02d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	var prefs []junction.NotificationPreference
	for _, f := range folders {
		for _, t := range []string{junction.EventJobFailed, junction.EventTriggerFailing, junction.EventConnectionDisconnected} {
			prefs = append(prefs, junction.NotificationPreference{EventType: t, FolderID: f.ID, Email: true})
		}
	}
	if _, err := a.SetNotificationPreferences(ctx, admin, prefs); err != nil {
		b.Fatal(err)
	}
	limit := int64(1_000_000)
	if err := srv.DB.PutQuotas(ctx, admin.TenantID(), &junction.Quotas{APICallsPerMonth: &limit, Triggers: &limit}, now); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d usage rows", len(recs))

	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API, Clock: srv.Clock}))
	h := srv.API.Handler()
	rec := record(h, httpRequest("POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}))
	cookie := rec.Result().Cookies()[0]
	for _, page := range []struct{ name, path string }{
		{"account", "/account"},
		{"usage-day", "/usage"},
		{"usage-day-400", "/usage?from=" + now.AddDate(0, 0, -399).Format(junction.UsageDay)},
		{"usage-connector", "/usage?group_by=connector"},
		{"usage-connection", "/usage?group_by=connection"},
		{"usage-folder", "/usage?group_by=folder"},
		{"settings", "/settings"},
	} {
		b.Run(page.name, func(b *testing.B) {
			var size int
			cpu := processCPU()
			for b.Loop() {
				req := httpRequest("GET", page.path, nil)
				req.AddCookie(cookie)
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
