package webui_test

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"junction"
	"junction/app"
	"junction/httpapi/httpapitest"
	"junction/webui"
)

// apiKeyPlanted is the upstream API key of the connections these tests
// make; no page, log or redirect may show it.
const apiKeyPlanted = "ui-pages-api-key-planted-1618033988"

// fullEnv runs the UI over the whole server (engine, triggers, queue), on
// a real database, signed in as the administrator.
type fullEnv struct {
	*env
	s      *httpapitest.Server
	token  string // the admin session's CSRF token
	folder *junction.Folder
}

func newFullEnv(t *testing.T, opts ...httpapitest.Options) *fullEnv {
	t.Helper()
	s := httpapitest.NewServer(t, opts...)
	s.API.Mount(webui.New(s.App, webui.Options{Guard: s.API, Clock: s.Clock, Logger: s.Logger}))
	ctx := context.Background()
	admin, err := s.App.Authenticate(ctx, s.AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App.SetPassword(ctx, admin, admin.User.ID, app.SetPasswordInput{Password: junction.NewSecret(adminPassword)}); err != nil {
		t.Fatal(err)
	}
	f, err := s.App.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "Pages"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: s.HTTP, app: s.App, admin: admin}
	e.client = e.newClient()
	e.login(e.client, "/")
	fe := &fullEnv{env: e, s: s, folder: f}
	fe.token = e.csrf(e.client, "/connections/new")
	t.Cleanup(func() {
		if strings.Contains(s.Logs(), apiKeyPlanted) {
			t.Error("the server log holds the API key")
		}
	})
	return fe
}

// post sends a form as the administrator, with the session's CSRF token.
func (e *fullEnv) post(path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	return e.postAs(e.client, e.token, path, form)
}

func (e *fullEnv) postAs(c *http.Client, token, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", token)
	resp, body := e.do(c, "POST", path, form)
	if strings.Contains(body, apiKeyPlanted) {
		e.t.Fatalf("POST %s: the page holds the API key", path)
	}
	return resp, body
}

// get fetches a page as the administrator, wanting status want.
func (e *fullEnv) get(path string, want int) string {
	e.t.Helper()
	resp, body := e.do(e.client, "GET", path, nil)
	wantStatus(e.t, "GET "+path, resp, want)
	if strings.Contains(body, apiKeyPlanted) {
		e.t.Fatalf("GET %s: the page holds the API key", path)
	}
	return body
}

// signInAs makes a user with the given roles and a signed-in client.
func (e *fullEnv) signInAs(name string, roles ...string) (*http.Client, string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.admin, app.CreateUserInput{Name: name, Roles: roles})
	if err != nil {
		e.t.Fatal(err)
	}
	const pw = "another long planted passphrase"
	if err := e.app.SetPassword(ctx, e.admin, u.ID, app.SetPasswordInput{Password: junction.NewSecret(pw)}); err != nil {
		e.t.Fatal(err)
	}
	c := e.newClient()
	resp, _ := e.do(c, "POST", "/login", url.Values{"username": {name}, "password": {pw}})
	wantStatus(e.t, "sign in as "+name, resp, http.StatusSeeOther)
	return c, e.csrf(c, "/")
}

// upstream is an API that wants the planted key: /things answers JSON,
// /boom fails.
func upstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKeyPlanted {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/boom") {
			http.Error(w, `{"error":"down"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"things":["alpha","beta"],"q":"`+r.URL.Query().Get("q")+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var connectionPathRE = regexp.MustCompile(`^/connections/([0-9a-f-]{36})\?`)

// createHTTPConnection makes an http connection through the new
// connection form and returns its ID.
func (e *fullEnv) createHTTPConnection(name, baseURL string) string {
	e.t.Helper()
	resp, body := e.post("/connections", url.Values{"connector": {"http"}, "auth_type": {"api_key"},
		"folder_id": {e.folder.ID}, "name": {name}, "field.base_url": {baseURL},
		"literal.api_key": {apiKeyPlanted}})
	wantStatus(e.t, "create a connection: "+body, resp, http.StatusSeeOther)
	m := connectionPathRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		e.t.Fatalf("created: sent to %q", resp.Header.Get("Location"))
	}
	return m[1]
}

func TestConnectionPages(t *testing.T) {
	e := newFullEnv(t)
	up := upstream(t)
	id := e.createHTTPConnection("upstream", up.URL+"/v1")
	page := "/connections/" + id

	t.Run("Buttons", func(t *testing.T) {
		body := e.get(page, http.StatusOK)
		for _, want := range []string{`id="edit-connection"`, `id="delete-connection"`, `id="set-default"`, `id="pick-activity"`, `id="new-trigger"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the page has no %s", want)
			}
		}
		if strings.Contains(body, `id="connect"`) {
			t.Error("an API key connection offers Connect")
		}
	})

	t.Run("TryActivity", func(t *testing.T) {
		body := e.get(page+"?activity=http_request", http.StatusOK)
		for _, want := range []string{`id="activity-form"`, `name="input.path"`, `name="input.query"`, `<option value="POST"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("the activity form has no %s", want)
			}
		}
		resp, body := e.post(page+"/execute", url.Values{"activity": {"http_request"}, "input.method": {"GET"},
			"input.path": {"/things"}, "input.query": {`{"q":"x<y"}`}})
		wantStatus(t, "run", resp, http.StatusOK)
		if !strings.Contains(body, `id="activity-result"`) || !strings.Contains(body, "alpha") || !strings.Contains(body, "x\\u003cy") && !strings.Contains(body, "x&lt;y") {
			t.Fatalf("no output: %s", body)
		}
		if strings.Contains(body, "x<y") {
			t.Fatal("the output is not escaped")
		}
	})

	t.Run("TryActivityBadInput", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"http_request"}, "input.path": {"/things"}, "input.query": {"{not json"}})
		wantStatus(t, "bad JSON", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "is not JSON") || !strings.Contains(body, "<code>validation_failed</code>") {
			t.Fatalf("no problem beside the input: %s", body)
		}
		resp, _ = e.post(page+"/execute", url.Values{"activity": {"no_such"}})
		wantStatus(t, "unknown activity", resp, http.StatusUnprocessableEntity)
	})

	t.Run("TryActivityFails", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"http_request"}, "input.path": {"/boom"}})
		if resp.StatusCode < 400 || !strings.Contains(body, `id="problem"`) || !strings.Contains(body, `href="/executions/`) {
			t.Fatalf("failed run: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Edit", func(t *testing.T) {
		body := e.get(page+"/edit", http.StatusOK)
		if !strings.Contains(body, `value="upstream"`) || !strings.Contains(body, `value="`+up.URL+`/v1"`) || !strings.Contains(body, `id="save-connection"`) {
			t.Fatalf("edit form: %s", body)
		}
		// Renamed, the secret left empty: kept.
		resp, _ := e.post(page+"/edit", url.Values{"name": {"renamed"}, "field.base_url": {up.URL + "/v1"}, "field.api_key_in": {"header"}, "field.api_key_name": {"X-API-Key"}})
		wantStatus(t, "save", resp, http.StatusSeeOther)
		c, err := e.app.GetConnection(context.Background(), e.admin, id)
		if err != nil || c.Name != "renamed" || !c.Fields["api_key"].Set {
			t.Fatalf("after edit %+v %v", c, err)
		}
		// Moving where the key goes without giving it again is refused,
		// next to the field, and changes nothing.
		other := upstream(t)
		resp, body = e.post(page+"/edit", url.Values{"name": {"renamed"}, "field.base_url": {other.URL}, "field.api_key_in": {"header"}, "field.api_key_name": {"X-API-Key"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="error"`) {
			t.Fatalf("moved destination: %d %s", resp.StatusCode, body)
		}
		if c, _ := e.app.GetConnection(context.Background(), e.admin, id); c.Fields["base_url"].Value != up.URL+"/v1" {
			t.Fatalf("a refused edit changed the connection: %+v", c.Fields["base_url"])
		}
	})

	t.Run("Default", func(t *testing.T) {
		resp, _ := e.post(page+"/default", url.Values{"default": {"true"}})
		wantStatus(t, "default", resp, http.StatusSeeOther)
		if body := e.get(page, http.StatusOK); !strings.Contains(body, `id="is-default"`) || !strings.Contains(body, `id="unset-default"`) {
			t.Fatal("not shown as default")
		}
	})

	t.Run("NoCSRF", func(t *testing.T) {
		resp, _ := e.do(e.client, "POST", page+"/delete", url.Values{})
		wantStatus(t, "delete without the token", resp, http.StatusForbidden)
	})

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("vic", "Viewer")
		_, body := e.do(viewer, "GET", page, nil)
		if !strings.Contains(body, `id="conn-status"`) {
			t.Fatalf("a Viewer does not see the connection: %s", body)
		}
		for _, absent := range []string{"edit-connection", "delete-connection", "set-default", "activity-form", "pick-activity", "new-trigger", "id=\"test\""} {
			if strings.Contains(body, absent) {
				t.Errorf("a Viewer sees %s", absent)
			}
		}
		resp, _ := e.postAs(viewer, token, page+"/delete", nil)
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a Viewer's delete: %d", resp.StatusCode)
		}
		resp, _ = e.postAs(viewer, token, page+"/execute", url.Values{"activity": {"http_request"}, "input.path": {"/things"}})
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a Viewer's run: %d", resp.StatusCode)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		body := e.get(page+"/delete", http.StatusOK)
		if !strings.Contains(body, `id="confirm"`) || !strings.Contains(body, `action="/connections/`+id+`/delete"`) {
			t.Fatalf("confirmation: %s", body)
		}
		resp, _ := e.post(page+"/delete", nil)
		wantStatus(t, "delete", resp, http.StatusSeeOther)
		e.get(page, http.StatusNotFound)
	})
}

// TestConnectPages: Connect sends the browser to the provider, which
// comes back through the API's callback to the connection page; a
// consent started elsewhere still ends on the callback's own page.
func TestConnectPages(t *testing.T) {
	const clientID, clientSecret = "junction", "oauth-ui-client-secret-9c2f"
	var handler http.Handler
	as := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(as.Close)
	roots := x509.NewCertPool()
	roots.AddCert(as.Certificate())
	const public = "http://junction.example"
	clients := map[string]*storage.Client{clientID: storage.WebClient(clientID, clientSecret, public+"/oauth/callback")}
	handler = exampleop.SetupServer(as.URL, storage.NewStorageWithClients(storage.NewUserStore(as.URL), clients), nil, false)
	e := newFullEnv(t, httpapitest.Options{RootCAs: roots, PublicURL: public})

	resp, body := e.post("/connections", url.Values{"connector": {"http"}, "auth_type": {"oauth2_authorization_code"},
		"folder_id": {e.folder.ID}, "name": {"idp"}, "field.base_url": {as.URL},
		"field.authorize_url": {as.URL + "/auth"}, "field.token_url": {as.URL + "/oauth/token"},
		"field.client_id": {clientID}, "literal.client_secret": {clientSecret}, "field.scopes": {"openid profile"}})
	wantStatus(t, "create: "+body, resp, http.StatusSeeOther)
	id := connectionPathRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	page := "/connections/" + id
	if body := e.get(page, http.StatusOK); !strings.Contains(body, `id="connect"`) {
		t.Fatal("an OAuth connection offers no Connect")
	}

	// consent starts from the page and logs in at the provider; it returns
	// the callback's query and the consent cookie the UI set.
	consent := func() (string, *http.Cookie) {
		t.Helper()
		resp, _ := e.post(page+"/authorize", nil)
		wantStatus(t, "connect", resp, http.StatusSeeOther)
		to, err := resp.Location()
		if err != nil || !strings.HasPrefix(to.String(), as.URL+"/auth?") {
			t.Fatalf("Connect sent the browser to %v", to)
		}
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "junction_consent" {
				cookie = c
			}
		}
		if cookie == nil || cookie.Value != id || cookie.Path != "/oauth/callback" || !cookie.HttpOnly {
			t.Fatalf("consent cookie %+v", cookie)
		}
		browser := as.Client()
		browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		next := func(resp *http.Response, err error) *url.URL {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("provider: status %d, no redirect", resp.StatusCode)
			}
			return loc
		}
		login := next(browser.Get(to.String()))
		back := next(browser.Get(next(browser.PostForm(as.URL+"/login/username", url.Values{
			"username": {"test-user@127.0.0.1"}, "password": {"verysecure"}, "id": {login.Query().Get("authRequestID")},
		})).String()))
		if !strings.HasPrefix(back.String(), public+"/oauth/callback?") {
			t.Fatalf("the provider sent the browser to %s", back)
		}
		return back.RawQuery, cookie
	}

	t.Run("BackToThePage", func(t *testing.T) {
		query, _ := consent()
		// The cookie jar holds the cookie for the server's own host.
		resp, _ := e.do(e.client, "GET", "/oauth/callback?"+query, nil)
		wantStatus(t, "callback", resp, http.StatusSeeOther)
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, page+"?notice=") {
			t.Fatalf("callback sent the browser to %q", loc)
		}
		if body := e.get(loc, http.StatusOK); !strings.Contains(body, `id="conn-status">connected`) || !strings.Contains(body, "Re-authorise") {
			t.Fatalf("after consent: %s", body)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		consent()
		resp, _ := e.do(e.client, "GET", "/oauth/callback?error=access_denied&error_description=no%20thanks&state=whatever", nil)
		wantStatus(t, "refused", resp, http.StatusSeeOther)
		loc := resp.Header.Get("Location")
		if loc != page+"?consent_error=connection_auth_failed" {
			t.Fatalf("refused consent sent the browser to %q", loc)
		}
		if body := e.get(loc, http.StatusOK); !strings.Contains(body, `id="consent-error"`) {
			t.Fatal("the page does not say the consent failed")
		}
	})

	t.Run("StartedElsewhere", func(t *testing.T) {
		query, _ := consent()
		// Another browser, without the cookie: the callback's own page.
		resp, body := e.do(e.newClient(), "GET", "/oauth/callback?"+query, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "You can close this window") {
			t.Fatalf("callback without the cookie: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("ForgedCookie", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/oauth/callback?state=x&code=y", nil)
		req.AddCookie(&http.Cookie{Name: "junction_consent", Value: "//evil.example"})
		resp, err := e.newClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Fatalf("a forged cookie redirected to %q", loc)
		}
	})
}

var triggerPathRE = regexp.MustCompile(`^/triggers/([0-9a-f-]{36})\?`)

func TestTriggerAndJobPages(t *testing.T) {
	e := newFullEnv(t, httpapitest.Options{HoldQueue: true})
	ctx := context.Background()
	hook, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "webhook",
		Name: "shop", Fields: map[string]app.FieldInput{}, SkipTest: true})
	if err != nil {
		t.Fatal(err)
	}
	body := e.get("/triggers/new", http.StatusOK)
	if !strings.Contains(body, `id="trigger-pick"`) || !strings.Contains(body, hook.ID) {
		t.Fatalf("connection picker: %s", body)
	}
	body = e.get("/triggers/new?connection_id="+hook.ID, http.StatusOK)
	if !strings.Contains(body, `value="event.received"`) || !strings.Contains(body, `id="trigger-filter"`) {
		t.Fatalf("trigger form: %s", body)
	}
	form := url.Values{"connection_id": {hook.ID}, "event": {"event.received"}, "name": {"paid orders"},
		"filter": {`payload.type == `}, "target_type": {"queue"}, "target_name": {"orders"}}

	t.Run("FilterRefused", func(t *testing.T) {
		resp, body := e.post("/triggers", form)
		wantStatus(t, "bad filter", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="filter-error"`) || !strings.Contains(body, `payload.type == </textarea>`) {
			t.Fatalf("no problem next to the filter: %s", body)
		}
	})

	form.Set("filter", `payload.type == "order.paid"`)
	resp, body := e.post("/triggers", form)
	wantStatus(t, "create: "+body, resp, http.StatusSeeOther)
	tid := triggerPathRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	page := "/triggers/" + tid
	body = e.get(page, http.StatusOK)
	m := regexp.MustCompile(`id="hook-url">([^<]+)<`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `id="disable-trigger"`) || !strings.Contains(body, `id="delete-trigger"`) {
		t.Fatalf("trigger page: %s", body)
	}
	for _, ev := range []string{`{"type":"order.paid","id":1}`, `{"type":"order.created","id":2}`} {
		resp, err := http.Post(m[1], "application/json", strings.NewReader(ev))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantStatus(t, "post an event", resp, http.StatusOK)
	}
	body = e.get(page, http.StatusOK)
	if !strings.Contains(body, `class="job-link"`) || !strings.Contains(body, "status-skipped") {
		t.Fatalf("history: %s", body)
	}
	body = e.get(page+"?status=skipped", http.StatusOK)
	if strings.Contains(body, `class="job-link"`) {
		t.Fatal("the history filter shows fired records")
	}
	jobs, err := e.app.ListJobs(ctx, e.admin, app.JobQuery{TriggerID: tid})
	if err != nil || len(jobs.Items) != 1 {
		t.Fatalf("jobs %v %v", jobs.Items, err)
	}
	job := jobs.Items[0].ID

	t.Run("Jobs", func(t *testing.T) {
		body := e.get("/jobs?status=pending", http.StatusOK)
		if !strings.Contains(body, `id="job-`+job+`"`) {
			t.Fatalf("/jobs: %s", body)
		}
		if body := e.get("/jobs?status=completed", http.StatusOK); strings.Contains(body, job) {
			t.Fatal("the status filter shows a pending job")
		}
		resp, _ := e.post("/jobs/"+job+"/cancel", url.Values{"back": {"/jobs?status=pending"}})
		wantStatus(t, "cancel", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/jobs?status=pending&notice=") {
			t.Fatalf("after cancel: %q", loc)
		}
		if j, _ := e.app.GetJob(ctx, e.admin, job); j.Status != junction.JobCancelled {
			t.Fatalf("job %s", j.Status)
		}
		resp, _ = e.post("/jobs/"+job+"/retry", url.Values{"back": {"https://evil.example/jobs"}})
		wantStatus(t, "retry", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/jobs?notice=") {
			t.Fatalf("after retry: %q", loc)
		}
		if j, _ := e.app.GetJob(ctx, e.admin, job); j.Status != junction.JobPending {
			t.Fatalf("job %s", j.Status)
		}
		resp, _ = e.post("/jobs/"+job+"/cancel", url.Values{})
		wantStatus(t, "cancel", resp, http.StatusSeeOther)
		resp, _ = e.post("/jobs/"+job+"/cancel", url.Values{})
		wantStatus(t, "cancel twice", resp, http.StatusConflict)
	})

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("vin", "Viewer")
		for path, absent := range map[string][]string{
			page: {"disable-trigger", "delete-trigger", "hook-url"}, "/jobs": {"/cancel", "/retry", "/delete\""},
			"/triggers": {"new-trigger"},
		} {
			resp, body := e.do(viewer, "GET", path, nil)
			wantStatus(t, "a Viewer's "+path, resp, http.StatusOK)
			for _, a := range absent {
				if strings.Contains(body, a) {
					t.Errorf("a Viewer sees %s on %s", a, path)
				}
			}
		}
		resp, _ := e.postAs(viewer, token, page+"/enabled", url.Values{"enabled": {"false"}})
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a Viewer disabled a trigger: %d", resp.StatusCode)
		}
	})

	t.Run("DisableAndDelete", func(t *testing.T) {
		resp, _ := e.post(page+"/enabled", url.Values{"enabled": {"false"}})
		wantStatus(t, "disable", resp, http.StatusSeeOther)
		if body := e.get(page, http.StatusOK); !strings.Contains(body, `id="trigger-state">disabled`) || !strings.Contains(body, `id="enable-trigger"`) {
			t.Fatal("not shown disabled")
		}
		if body := e.get(page+"/delete", http.StatusOK); !strings.Contains(body, `id="confirm"`) {
			t.Fatal("no confirmation")
		}
		resp, _ = e.post(page+"/delete", nil)
		wantStatus(t, "delete", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/connections/"+hook.ID+"?") {
			t.Fatalf("after delete: %q", loc)
		}
		e.get(page, http.StatusNotFound)
	})
}

func TestExecutionPages(t *testing.T) {
	e := newFullEnv(t)
	up := upstream(t)
	id := e.createHTTPConnection("upstream", up.URL)
	ctx := context.Background()
	_, err := e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/boom"}})
	if err == nil {
		t.Fatal("/boom succeeded")
	}
	if _, err := e.app.Execute(ctx, e.admin, id, app.ExecuteInput{Activity: "http_request", Input: map[string]any{"path": "/things"}}); err != nil {
		t.Fatal(err)
	}
	failed, err := e.app.ListExecutions(ctx, e.admin, app.ExecutionQuery{Status: "failed"})
	if err != nil || len(failed.Items) != 1 {
		t.Fatalf("failed executions %v %v", failed.Items, err)
	}
	ex := failed.Items[0]

	t.Run("Detail", func(t *testing.T) {
		body := e.get("/executions/"+ex.ID, http.StatusOK)
		if !strings.Contains(body, `id="execution-error">`+ex.ErrorCode) || !strings.Contains(body, `id="retry-execution"`) {
			t.Fatalf("detail: %s", body)
		}
		resp, _ := e.post("/executions/"+ex.ID+"/retry", nil)
		wantStatus(t, "retry", resp, http.StatusSeeOther)
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, "/executions/") || strings.HasPrefix(loc, "/executions/"+ex.ID) {
			t.Fatalf("retry sent the browser to %q", loc)
		}
		if body := e.get(loc, http.StatusOK); !strings.Contains(body, `id="retry-of"`) {
			t.Fatal("the retry does not name the execution it retried")
		}
	})

	t.Run("Filters", func(t *testing.T) {
		body := e.get("/executions?status=failed&connection_id="+id, http.StatusOK)
		if n := strings.Count(body, `status-failed">failed`); n != 2 || strings.Contains(body, `status-succeeded">succeeded`) {
			t.Fatalf("%d failed rows: %s", n, body)
		}
		future := e.s.Clock.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04")
		if body := e.get("/executions?since="+future, http.StatusOK); !strings.Contains(body, "No executions.") {
			t.Fatal("the time filter shows executions of the past")
		}
		e.get("/executions?since=yesterday", http.StatusUnprocessableEntity)
	})

	t.Run("Overview", func(t *testing.T) {
		body := e.get("/", http.StatusOK)
		if !strings.Contains(body, `<svg id="execution-chart"`) || !strings.Contains(body, `id="chart-failed">2<`) ||
			!strings.Contains(body, `id="chart-succeeded">1<`) || strings.Count(body, `class="bar-failed"`) != 1 {
			t.Fatalf("overview chart: %s", body)
		}
		if strings.Contains(body, "style=") {
			t.Fatal("the chart uses style attributes, which the CSP refuses")
		}
	})
}

func TestAssetReveal(t *testing.T) {
	e := newFullEnv(t)
	ctx := context.Background()
	const planted = "revealed-value-planted-5772156649"
	v := junction.NewSecret(planted)
	a, err := e.app.CreateAsset(ctx, e.admin, app.CreateAssetInput{FolderID: e.folder.ID, Name: "db-password",
		Type: junction.AssetSecret, Value: &v})
	if err != nil {
		t.Fatal(err)
	}
	body := e.get("/assets", http.StatusOK)
	if !strings.Contains(body, `href="/assets/`+a.ID+`/reveal"`) || strings.Contains(body, planted) {
		t.Fatalf("assets page: %s", body)
	}
	body = e.get("/assets/"+a.ID+"/reveal", http.StatusOK)
	if !strings.Contains(body, `id="reveal-form"`) || strings.Contains(body, planted) {
		t.Fatalf("confirmation: %s", body)
	}
	// Only the POST shows it, once, uncached.
	resp, body := e.post("/assets/"+a.ID+"/reveal", nil)
	wantStatus(t, "reveal", resp, http.StatusOK)
	if !strings.Contains(body, `id="revealed-value">`+planted+`<`) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reveal: %v %s", resp.Header, body)
	}
	audit, err := e.app.ListAudit(ctx, e.admin, app.AuditQuery{Action: "asset.resolve"})
	if err != nil || len(audit.Items) != 1 {
		t.Fatalf("audit %v %v", audit.Items, err)
	}

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("val", "Viewer")
		_, body := e.do(viewer, "GET", "/assets", nil)
		if !strings.Contains(body, "db-password") || strings.Contains(body, "/reveal") {
			t.Fatal("a Viewer is offered to reveal")
		}
		resp, body := e.postAs(viewer, token, "/assets/"+a.ID+"/reveal", nil)
		if resp.StatusCode < 400 || strings.Contains(body, planted) {
			t.Fatalf("a Viewer's reveal: %d", resp.StatusCode)
		}
	})
	if strings.Contains(e.s.Logs(), planted) {
		t.Fatal("the log holds the revealed value")
	}
}
