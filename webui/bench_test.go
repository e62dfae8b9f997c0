package webui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

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
	for i := range 1000 {
		if _, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "http",
			Name: fmt.Sprintf("conn-%04d", i), AuthType: "none", SkipTest: true,
			Fields: map[string]app.FieldInput{"base_url": {Literal: &base}}}); err != nil {
			b.Fatal(err)
		}
	}
	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API}))
	h := srv.API.Handler()
	login := httpRequest("POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	rec := record(h, login)
	cookie := rec.Result().Cookies()[0]
	for _, path := range []string{"/", "/connections", "/connections?q=conn-09", "/connectors"} {
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
