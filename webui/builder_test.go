package webui_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/httpapi/httpapitest"
	"junction/webui"
)

// maxPageBytes is the bar for any page sent.
const maxPageBytes = 200 << 10

// builderSite is the whole server with the web UI, a custom connector
// imported from the shared Freshdesk description, and a signed-in
// administrator.
type builderSite struct {
	h      http.Handler
	app    *app.App
	admin  *junction.Principal
	cookie *http.Cookie
	id     string
}

func newBuilderSite(tb testing.TB) *builderSite { return newBuilderSiteOf(tb, "freshdesk.yaml") }

// newBuilderSiteOf imports the named description of the shared specs.
func newBuilderSiteOf(tb testing.TB, file string) *builderSite {
	tb.Helper()
	spec, err := os.ReadFile(filepath.Join("..", "..", "shared", "specs", file))
	if err != nil {
		tb.Skip("the shared specs are not here:", err)
	}
	ctx := context.Background()
	srv := httpapitest.NewServer(tb, httpapitest.Options{})
	a := srv.App
	admin, err := a.Authenticate(ctx, srv.AdminToken)
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.SetPassword(ctx, admin, admin.User.ID, app.SetPasswordInput{Password: junction.NewSecret(adminPassword)}); err != nil {
		tb.Fatal(err)
	}
	v, err := a.ImportCustomConnector(ctx, admin, app.ImportInput{Content: spec, Key: "helpdesk"})
	if err != nil {
		tb.Fatal(err)
	}
	srv.API.Mount(webui.New(a, webui.Options{Guard: srv.API}))
	s := &builderSite{h: srv.API.Handler(), app: a, admin: admin, id: v.ID}
	s.cookie = s.signIn(tb, "admin", adminPassword)
	return s
}

func (s *builderSite) signIn(tb testing.TB, user, password string) *http.Cookie {
	tb.Helper()
	rec := record(s.h, httpRequest("POST", "/login", url.Values{"username": {user}, "password": {password}}))
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) == 0 {
		tb.Fatalf("sign in as %s: %d", user, rec.Code)
	}
	return rec.Result().Cookies()[0]
}

func (s *builderSite) do(tb testing.TB, cookie *http.Cookie, method, path string, form url.Values) (int, http.Header, string) {
	tb.Helper()
	req := httpRequest(method, path, form)
	req.AddCookie(cookie)
	rec := record(s.h, req)
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, rec.Header(), string(body)
}

func TestBuilderPages(t *testing.T) {
	t.Parallel()
	s := newBuilderSite(t)
	draft := "/builder/" + s.id

	status, _, page := s.do(t, s.cookie, "GET", draft, nil)
	if status != http.StatusOK || !strings.Contains(page, `id="test-form"`) || !strings.Contains(page, `id="checklist"`) {
		t.Fatalf("draft page: %d\n%.2000s", status, page)
	}
	if len(page) > maxPageBytes {
		t.Errorf("the draft page is %d bytes, over %d", len(page), maxPageBytes)
	}
	csrf := csrfRE.FindStringSubmatch(page)[1]

	t.Run("ErrBesideTheForm", func(t *testing.T) {
		status, _, page := s.do(t, s.cookie, "POST", draft+"/activities", url.Values{"csrf": {csrf},
			"name": {"ticket_subject"}, "method": {"GET"}, "path": {"/api/v2/tickets/{ticket_id}"}, "inputs": {"- {name: ticket_id, typ: integer}"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, "validation_failed") ||
			!strings.Contains(page, `value="/api/v2/tickets/{ticket_id}"`) || !strings.Contains(page, "typ") {
			t.Fatalf("a bad activity: %d\n%.3000s", status, page)
		}
	})
	t.Run("Export", func(t *testing.T) {
		status, h, body := s.do(t, s.cookie, "GET", draft+"/definition", nil)
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(body, "key: helpdesk") {
			t.Fatalf("export: %d %v\n%.300s", status, h, body)
		}
	})
	t.Run("Apply", func(t *testing.T) {
		_, _, yamlText := s.do(t, s.cookie, "GET", draft+"/definition", nil)
		status, _, body := s.upload(t, draft+"/definition", page, nil, "helpdesk.yaml", []byte(strings.Replace(yamlText, "key: helpdesk", "key: other", 1)))
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "definition.key") {
			t.Fatalf("a file with another key: %d\n%.2000s", status, body)
		}
		edited := strings.Replace(yamlText, "display_name: Freshdesk API", "display_name: Help Desk", 1)
		if status, _, _ := s.upload(t, draft+"/definition", page, nil, "helpdesk.yaml", []byte(edited)); status != http.StatusSeeOther {
			t.Fatalf("apply: %d", status)
		}
		if _, _, page := s.do(t, s.cookie, "GET", draft, nil); !strings.Contains(page, "<title>Help Desk") {
			t.Fatal("the applied file's display name is not the draft's")
		}
	})
	t.Run("ErrNoCSRF", func(t *testing.T) {
		if status, _, _ := s.do(t, s.cookie, "POST", draft+"/activities/list_tickets/delete", url.Values{}); status != http.StatusForbidden {
			t.Fatalf("a form without its token: %d", status)
		}
	})
	t.Run("ViewerSeesNoForms", func(t *testing.T) {
		ctx := context.Background()
		u, err := s.app.CreateUser(ctx, s.admin, app.CreateUserInput{Name: "vera", Roles: []string{"Viewer"}})
		if err != nil {
			t.Fatal(err)
		}
		const password = "a viewer's long passphrase"
		if err := s.app.SetPassword(ctx, s.admin, u.ID, app.SetPasswordInput{Password: junction.NewSecret(password)}); err != nil {
			t.Fatal(err)
		}
		viewer := s.signIn(t, "vera", password)
		status, _, page := s.do(t, viewer, "GET", draft, nil)
		if status != http.StatusOK || strings.Contains(page, `action="/builder/`) {
			t.Fatalf("a Viewer's draft page: %d, forms: %v", status, strings.Contains(page, `action="/builder/`))
		}
		if _, _, list := s.do(t, viewer, "GET", "/builder", nil); strings.Contains(list, `id="new-custom"`) {
			t.Fatal("a Viewer is offered a new custom connector")
		}
		vcsrf := csrfRE.FindStringSubmatch(page)[1]
		if status, _, _ := s.do(t, viewer, "POST", draft+"/activities/list_tickets/delete", url.Values{"csrf": {vcsrf}}); status != http.StatusForbidden {
			t.Fatalf("a Viewer deletes an activity: %d", status)
		}
	})
}

// BenchmarkBuilderPages renders the builder's pages for a draft imported
// from the Freshdesk description (7 operations) and from GitHub's (874),
// and reports the bytes each sends. Run with
// go test -run - -bench BuilderPages -benchtime 20x ./webui/
func BenchmarkBuilderPages(b *testing.B) {
	s := newBuilderSite(b)
	big := newBuilderSiteOf(b, "github.json")
	for _, p := range []struct {
		name string
		site *builderSite
		path string
	}{{"list", s, "/builder"}, {"new", s, "/builder/new"}, {"draft-freshdesk", s, "/builder/" + s.id},
		{"draft-github", big, "/builder/" + big.id}} {
		s, path := p.site, p.path
		b.Run(p.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				status, _, page := s.do(b, s.cookie, "GET", path, nil)
				if status != http.StatusOK {
					b.Fatalf("%s: %d", path, status)
				}
				size = len(page)
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// post sends a form with the session's CSRF token, read from page.
func (s *builderSite) post(tb testing.TB, path, page string, form url.Values) (int, http.Header, string) {
	tb.Helper()
	form.Set("csrf", csrfRE.FindStringSubmatch(page)[1])
	return s.do(tb, s.cookie, "POST", path, form)
}

// upload posts a multipart form with one file, as a browser sends a form
// with enctype=multipart/form-data.
func (s *builderSite) upload(tb testing.TB, path, page string, fields map[string]string, file string, content []byte) (int, http.Header, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", csrfRE.FindStringSubmatch(page)[1])
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", file)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.RemoteAddr = "192.0.2.10:1234"
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(s.cookie)
	rec := record(s.h, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestBuilderImportWizard(t *testing.T) {
	t.Parallel()
	s := newBuilderSite(t)
	spec, _ := os.ReadFile(filepath.Join("..", "..", "shared", "specs", "freshdesk.yaml"))
	_, _, newPage := s.do(t, s.cookie, "GET", "/builder/new", nil)

	status, _, picker := s.upload(t, "/builder/import", newPage, map[string]string{"key": "desk"}, "freshdesk.yaml", spec)
	if status != http.StatusOK || !strings.Contains(picker, `id="resource-form"`) {
		t.Fatalf("import: %d\n%.2000s", status, picker)
	}
	action := regexp.MustCompile(`action="(/builder/[^"]+/resources)"`).FindStringSubmatch(picker)[1]
	form := url.Values{"resource": {"tickets"}}
	for _, m := range regexp.MustCompile(`name="ops\.([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(picker, -1) {
		form.Set("ops."+m[1], m[2])
	}
	status, h, _ := s.post(t, action, picker, form)
	if status != http.StatusSeeOther {
		t.Fatalf("keep tickets: %d", status)
	}
	id := strings.Split(strings.TrimPrefix(h.Get("Location"), "/builder/"), "?")[0]
	draft, err := s.app.CustomConnectorDraft(context.Background(), s.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(draft), "contacts") || !strings.Contains(string(draft), "name: tickets") {
		t.Fatalf("the draft keeps more or less than the tickets:\n%s", draft)
	}

	t.Run("Variables", func(t *testing.T) {
		_, _, page := s.do(t, s.cookie, "GET", "/builder/"+id, nil)
		status, _, body := s.post(t, "/builder/"+id+"/variables", page, url.Values{"variables": {"- {name: base_url, type: text, required: true}\n- {name: domain, typo: text}"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "typo") || !strings.Contains(body, "validation_failed") {
			t.Fatalf("bad variables: %d\n%.2000s", status, body)
		}
		status, _, _ = s.post(t, "/builder/"+id+"/variables", page, url.Values{"variables": {"- {name: base_url, type: text, required: true}\n- {name: domain, type: text, default: acme}"}})
		if status != http.StatusSeeOther {
			t.Fatalf("variables: %d", status)
		}
		draft, _ := s.app.CustomConnectorDraft(context.Background(), s.admin, id)
		if !strings.Contains(string(draft), "name: domain") {
			t.Fatalf("variables not saved:\n%s", draft)
		}
	})
}

// TestBuilderPublishBreaking publishes a version that drops an activity
// a connection's version has: the page names the connection and what it
// loses, and publishes once forced.
func TestBuilderPublishBreaking(t *testing.T) {
	t.Parallel()
	s := newBuilderSite(t)
	ctx := context.Background()
	draft := "/builder/" + s.id
	if _, err := s.app.Publish(ctx, s.admin, s.id, app.PublishInput{Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	f, err := s.app.CreateFolder(ctx, s.admin, app.CreateFolderInput{Name: "Desk"})
	if err != nil {
		t.Fatal(err)
	}
	base, user, pass := junction.NewSecret("https://desk.example.com"), junction.NewSecret("agent"), junction.NewSecret("x")
	if _, err := s.app.CreateConnection(ctx, s.admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "helpdesk", Name: "support-desk",
		AuthType: "basic", SkipTest: true, Fields: map[string]app.FieldInput{"base_url": {Literal: &base}, "username": {Literal: &user}, "password": {Literal: &pass}}}); err != nil {
		t.Fatal(err)
	}
	_, _, page := s.do(t, s.cookie, "GET", draft, nil)
	if status, _, body := s.post(t, draft+"/activities/list_contacts/delete", page, url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("delete an activity: %d\n%.2000s", status, body)
	}
	status, _, body := s.post(t, draft+"/publish", page, url.Values{"version": {"1.1.0"}})
	if status != http.StatusConflict || !strings.Contains(body, "support-desk") || !strings.Contains(body, "activity list_contacts") ||
		!strings.Contains(body, `id="publish-force"`) {
		t.Fatalf("a breaking version: %d\n%.3000s", status, body)
	}
	if status, _, _ := s.post(t, draft+"/publish", page, url.Values{"version": {"1.1.0"}, "force": {"on"}}); status != http.StatusSeeOther {
		t.Fatalf("forced: %d", status)
	}
}
