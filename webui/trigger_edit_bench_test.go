package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"junction"
	"junction/app"
	"junction/httpapi/httpapitest"
	"junction/webui"
)

// BenchmarkFilterCheck answers the filter editor's check as the script
// sends it while someone types, through the whole server (session lookup
// and CSRF check included): a filter that compiles, and one that does
// not. Run with go test -run - -bench FilterCheck -benchtime 200x ./webui/
func BenchmarkFilterCheck(b *testing.B) {
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
	token := junction.NewSecret("ghp-bench-token")
	gh, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "github", Name: "gh",
		AuthType: "bearer", Fields: map[string]app.FieldInput{"token": {Literal: &token}}, SkipTest: true})
	if err != nil {
		b.Fatal(err)
	}
	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API, Clock: srv.Clock}))
	h := srv.API.Handler()
	cookie := record(h, httpRequest("POST", "/login", url.Values{"username": {"admin"}, "password": {adminPassword}})).Result().Cookies()[0]
	req := httpRequest("GET", "/triggers/new?connection_id="+gh.ID, nil)
	req.AddCookie(cookie)
	csrf := csrfRE.FindStringSubmatch(record(h, req).Body.String())[1]
	for name, filter := range map[string]string{
		"valid":  `record.state == "open" && record.labels.exists(l, l == "bug") && record.number > 100`,
		"broken": `record.state == "open" && record.labels.exists(l, l == "bug") && record.number >`,
	} {
		b.Run(name, func(b *testing.B) {
			form := url.Values{"csrf": {csrf}, "connection_id": {gh.ID}, "event": {"issue.created"}, "filter": {filter}}
			for b.Loop() {
				req := httpRequest("POST", "/triggers/filter-check", form)
				req.AddCookie(cookie)
				if rec := record(h, req); rec.Code != http.StatusOK {
					b.Fatalf("%d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
