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

// BenchmarkPages renders the busiest pages of a tenant with 1,000
// connections, through the whole server (session lookup included), and
// reports the bytes each page sends. Run with
// go test -run - -bench Pages -benchtime 50x ./webui/
func BenchmarkPages(b *testing.B) {
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
	f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	base := junction.NewSecret("https://api.example.com")
	var first *junction.Connection
	for i := range 1000 {
		c, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "http",
			Name: fmt.Sprintf("conn-%04d", i), AuthType: "none", SkipTest: true,
			Fields: map[string]app.FieldInput{"base_url": {Literal: &base}}})
		if err != nil {
			b.Fatal(err)
		}
		if first == nil {
			first = c
		}
	}
	// A busy day: 2,000 executions in the last 24 hours, more than the
	// overview's chart reads.
	var exs []*junction.Execution
	for i := range 2000 {
		status, code := "succeeded", ""
		if i%7 == 0 {
			status, code = "failed", junction.ECONNAUTHFAILED
		}
		exs = append(exs, &junction.Execution{ID: junction.NewID(), TenantID: first.TenantID, FolderID: f.ID,
			ConnectionID: first.ID, Connector: "http", Activity: "http_request", Status: status, ErrorCode: code,
			Attempts: 1, StartedAt: srv.Clock.Now().Add(-time.Duration(i) * 40 * time.Second)})
	}
	if err := srv.DB.AppendExecutions(ctx, exs); err != nil {
		b.Fatal(err)
	}
	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API, Clock: srv.Clock}))
	h := srv.API.Handler()
	login := httpRequest("POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	rec := record(h, login)
	cookie := rec.Result().Cookies()[0]
	for _, path := range []string{"/", "/connections", "/connections?q=conn-09", "/connectors", "/executions",
		"/connections/" + first.ID, "/jobs", "/triggers/new", "/triggers", "/triggers?connection=conn-0500"} {
		b.Run(path, func(b *testing.B) {
			var size int
			for b.Loop() {
				req := httpRequest("GET", path, nil)
				req.AddCookie(cookie)
				rec := record(h, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
				body, _ := io.ReadAll(rec.Body)
				size = len(body)
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
