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

// BenchmarkListPages renders each list page, searched and filtered, in a
// tenant with 1,000 connections and 200 folders, and reports the bytes
// each sends. Run with
// go test -run - -bench ListPages -benchtime 50x ./webui/
func BenchmarkListPages(b *testing.B) {
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
	var folder *junction.Folder
	for i := range 200 {
		if folder, err = a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: fmt.Sprintf("team-%03d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	base := junction.NewSecret("https://api.example.com")
	for i := range 1000 {
		if _, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: folder.ID, Connector: "http",
			Name: fmt.Sprintf("conn-%04d", i), AuthType: "none", SkipTest: true,
			Fields: map[string]app.FieldInput{"base_url": {Literal: &base}}}); err != nil {
			b.Fatal(err)
		}
	}
	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API, Clock: srv.Clock}))
	h := srv.API.Handler()
	rec := record(h, httpRequest("POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}))
	cookie := rec.Result().Cookies()[0]
	for _, path := range []string{"/connections?connector=http&status=untested&after=", "/connectors?category=crm",
		"/credential-stores?q=data", "/assets?type=text", "/folders?q=team&page=2", "/folders/" + folder.ID + "/members",
		"/users?q=adm", "/roles?q=view", "/audit?object_type=connection", "/builder?status=draft"} {
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
