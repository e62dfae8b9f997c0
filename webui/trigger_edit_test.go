package webui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/app"
	"junction/httpapi/httpapitest"
)

// targetSecretPlanted signs the webhook target these tests set; no page
// may show it.
const targetSecretPlanted = "ui-target-signing-secret-planted-5772156649"

// triggerEditEnv has a GitHub connection (whose issues declare fields), a
// webhook connection and a queue trigger on the latter.
type triggerEditEnv struct {
	*fullEnv
	github, hook *junction.Connection
	trigger      *app.TriggerView
}

func newTriggerEditEnv(t *testing.T) *triggerEditEnv {
	t.Helper()
	e := &triggerEditEnv{fullEnv: newFullEnv(t, httpapitest.Options{HoldQueue: true})}
	ctx := context.Background()
	token := junction.NewSecret("ghp-ui-test-token")
	var err error
	e.github, err = e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "github",
		Name: "gh", AuthType: "bearer", Fields: map[string]app.FieldInput{"token": {Literal: &token}}, SkipTest: true})
	if err != nil {
		t.Fatal(err)
	}
	e.hook, err = e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "webhook",
		Name: "shop", Fields: map[string]app.FieldInput{}, SkipTest: true})
	if err != nil {
		t.Fatal(err)
	}
	e.trigger, err = e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, Name: "orders",
		ConnectionID: e.hook.ID, Object: "event", Event: "received", Filter: `payload.type == "order.paid"`,
		Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type checkAnswer struct {
	Valid      bool     `json:"valid"`
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Field      string   `json:"field"`
	Undeclared []string `json:"undeclared"`
	Mismatched []struct {
		Field, Declared, Literal, Message string
		LiteralType                       string `json:"literal_type"`
	} `json:"mismatched"`
	Fields []struct {
		Name, Type string
	} `json:"fields"`
}

// check posts to the filter check as c with token and decodes the answer.
func (e *triggerEditEnv) check(c *http.Client, token string, form url.Values, want int) checkAnswer {
	e.t.Helper()
	resp, body := e.postAs(c, token, "/triggers/filter-check", form)
	wantStatus(e.t, "check "+form.Encode()+": "+body, resp, want)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("check: Content-Type %q", ct)
	}
	var a checkAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		e.t.Fatalf("check: %v: %s", err, body)
	}
	return a
}

func issueFilter(e *triggerEditEnv, filter string) url.Values {
	return url.Values{"connection_id": {e.github.ID}, "event": {"issue.created"}, "filter": {filter}}
}

func TestTriggerFilterCheck(t *testing.T) {
	e := newTriggerEditEnv(t)

	t.Run("OK", func(t *testing.T) {
		a := e.check(e.client, e.token, issueFilter(e, `record.state == "open"`), http.StatusOK)
		if !a.Valid || a.Code != "" || !slices.ContainsFunc(a.Fields, func(f struct{ Name, Type string }) bool {
			return f.Name == "state" && f.Type == "string"
		}) {
			t.Fatalf("answer %+v", a)
		}
		if a := e.check(e.client, e.token, issueFilter(e, ""), http.StatusOK); !a.Valid {
			t.Fatalf("the empty filter: %+v", a)
		}
	})

	t.Run("Undeclared", func(t *testing.T) {
		a := e.check(e.client, e.token, issueFilter(e, `record.priority == "high"`), http.StatusOK)
		if !a.Valid || !slices.Equal(a.Undeclared, []string{"priority"}) {
			t.Fatalf("answer %+v", a)
		}
	})

	t.Run("Mismatched", func(t *testing.T) {
		a := e.check(e.client, e.token, issueFilter(e, `record.state == "open" && (record.number == "42" || 3 < record.title)`), http.StatusOK)
		if !a.Valid || len(a.Mismatched) != 2 {
			t.Fatalf("answer %+v", a)
		}
		n, title := a.Mismatched[0], a.Mismatched[1]
		if n.Field != "number" || n.Declared != "integer" || n.Literal != `"42"` || n.LiteralType != "string" ||
			!strings.Contains(n.Message, "always false") || title.Field != "title" || title.LiteralType != "int" {
			t.Fatalf("mismatched %+v", a.Mismatched)
		}
		if a := e.check(e.client, e.token, issueFilter(e, `record.number == 42 && "bug" in record.labels`), http.StatusOK); !a.Valid || a.Mismatched != nil {
			t.Fatalf("matching types: %+v", a)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		a := e.check(e.client, e.token, issueFilter(e, `record.state == `), http.StatusOK)
		if a.Valid || a.Code != junction.EINVALID || a.Field != "filter" || a.Message == "" {
			t.Fatalf("answer %+v", a)
		}
		form := issueFilter(e, `true`)
		form.Set("event", "issue.starred")
		if a := e.check(e.client, e.token, form, http.StatusOK); a.Valid || a.Field != "event" {
			t.Fatalf("an unknown event: %+v", a)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		form := issueFilter(e, `true`)
		form.Set("connection_id", junction.NewID())
		if a := e.check(e.client, e.token, form, http.StatusNotFound); a.Valid || a.Code != junction.ENOTFOUND {
			t.Fatalf("answer %+v", a)
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		form := issueFilter(e, `true`)
		resp, _ := e.do(e.client, "POST", "/triggers/filter-check", form)
		wantStatus(t, "no token", resp, http.StatusForbidden)
		form.Set("csrf", e.token+"x")
		resp, _ = e.do(e.client, "POST", "/triggers/filter-check", form)
		wantStatus(t, "wrong token", resp, http.StatusForbidden)
		form.Set("csrf", e.token)
		resp, body := e.do(e.client, "POST", "/triggers/filter-check", form, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		wantStatus(t, "cross-site", resp, http.StatusForbidden)
		if strings.Contains(body, `"valid"`) {
			t.Fatalf("a cross-site call got an answer: %s", body)
		}
		resp, _ = e.do(e.newClient(), "POST", "/triggers/filter-check", form)
		wantStatus(t, "signed out", resp, http.StatusUnauthorized)
	})

	t.Run("Viewer", func(t *testing.T) {
		viewer, token := e.signInAs("vic", "Viewer")
		if a := e.check(viewer, token, issueFilter(e, `record.state == "open"`), http.StatusOK); !a.Valid {
			t.Fatalf("a Viewer's check: %+v", a)
		}
		page := "/triggers/" + e.trigger.ID
		resp, body := e.do(viewer, "GET", page, nil)
		wantStatus(t, "a Viewer's trigger page", resp, http.StatusOK)
		if strings.Contains(body, `id="edit-trigger"`) || strings.Contains(body, page+"/edit") {
			t.Fatal("a Viewer is offered to edit the trigger")
		}
		resp, _ = e.do(viewer, "GET", page+"/edit", nil)
		wantStatus(t, "a Viewer's edit form", resp, http.StatusForbidden)
		resp, _ = e.postAs(viewer, token, page+"/edit", url.Values{"name": {"hijacked"}, "filter": {"true"},
			"target_type": {"queue"}, "target_name": {"elsewhere"}})
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a Viewer edited a trigger: %d", resp.StatusCode)
		}
		got, err := e.app.GetTrigger(context.Background(), e.admin, e.trigger.ID)
		if err != nil || got.Name != "orders" || got.Target.Name != "orders" {
			t.Fatalf("after a Viewer's edit: %+v %v", got, err)
		}
	})
}

var inlineScriptRE = regexp.MustCompile(`<script(\s[^>]*)?>`)

func TestFilterScriptServed(t *testing.T) {
	e := newTriggerEditEnv(t)
	resp, body := e.do(e.client, "GET", "/static/filter.js", nil)
	wantStatus(t, "script", resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("script Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); strings.Contains(cc, "no-store") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("script headers %v", resp.Header)
	}
	if !strings.Contains(body, "/triggers/filter-check") && !strings.Contains(body, "checkUrl") {
		t.Fatal("not the filter script")
	}
	for _, path := range []string{"/triggers/new?connection_id=" + e.github.ID, "/triggers/" + e.trigger.ID + "/edit"} {
		resp, body := e.do(e.client, "GET", path, nil)
		wantStatus(t, path, resp, http.StatusOK)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
		tags := inlineScriptRE.FindAllString(body, -1)
		if len(tags) != 1 || tags[0] != `<script src="/static/filter.js" defer>` {
			t.Fatalf("%s: script tags %q, want only the filter script's", path, tags)
		}
		if !strings.Contains(body, `data-check-url="/triggers/filter-check"`) || !strings.Contains(body, `id="filter-check"`) {
			t.Fatalf("%s: no filter check: %s", path, body)
		}
	}
}

func TestTriggerEdit(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	page := "/triggers/" + e.trigger.ID
	edit := page + "/edit"
	if body := e.get(page, http.StatusOK); !strings.Contains(body, `href="`+edit+`" id="edit-trigger"`) {
		t.Fatalf("no edit button: %s", body)
	}
	body := e.get(edit, http.StatusOK)
	for _, want := range []string{`id="trigger-edit-form"`, `payload.type == &#34;order.paid&#34;</textarea>`, `value="orders"`,
		`name="event" value="event.received"`, `name="connection_id" value="` + e.hook.ID + `"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("edit form lacks %s: %s", want, body)
		}
	}
	form := func(filter string) url.Values {
		return url.Values{"name": {"paid orders"}, "filter": {filter}, "target_type": {"queue"}, "target_name": {"orders"}}
	}

	t.Run("FilterRefused", func(t *testing.T) {
		resp, body := e.post(edit, form(`payload.type == `))
		wantStatus(t, "bad filter", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `id="filter-error"`) || !strings.Contains(body, "validation_failed") ||
			!strings.Contains(body, `payload.type == </textarea>`) {
			t.Fatalf("no problem next to the filter: %s", body)
		}
	})

	t.Run("OK", func(t *testing.T) {
		resp, body := e.post(edit, form(`payload.type == "order.refunded"`))
		wantStatus(t, "edit: "+body, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, page+"?notice=") {
			t.Fatalf("after the edit: %q", loc)
		}
		body = e.get(page, http.StatusOK)
		if !strings.Contains(body, `id="trigger-filter-shown">payload.type == &#34;order.refunded&#34;<`) ||
			!strings.Contains(body, `id="trigger-name">paid orders<`) {
			t.Fatalf("the trigger page shows the old trigger: %s", body)
		}
		audit, err := e.app.ListAudit(ctx, e.admin, app.AuditQuery{Action: "trigger.update"})
		if err != nil || len(audit.Items) != 1 {
			t.Fatalf("audit %+v %v", audit.Items, err)
		}
		a := audit.Items[0]
		if got := fmt.Sprint(a.Details["changed"]); a.ObjectID != e.trigger.ID || a.Outcome != "success" || got != "[name filter]" {
			t.Fatalf("audited %+v, changed %s, want [name filter]", a, got)
		}
	})

	t.Run("WebhookTarget", func(t *testing.T) {
		f := form(`payload.type == "order.refunded"`)
		f.Set("target_type", "webhook")
		f.Set("target_url", "https://93.184.215.14/hook")
		resp, body := e.post(edit, f)
		wantStatus(t, "no secret", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "target.secret") || !strings.Contains(body, `value="https://93.184.215.14/hook"`) {
			t.Fatalf("no problem next to the secret: %s", body)
		}
		f.Set("target_secret", targetSecretPlanted)
		f.Set("target_url", "ftp://93.184.215.14/hook")
		resp, body = e.post(edit, f)
		if resp.StatusCode == http.StatusSeeOther || !strings.Contains(body, "target.url") || strings.Contains(body, targetSecretPlanted) {
			t.Fatalf("a target that is not http: %d %s", resp.StatusCode, body)
		}
		f.Set("target_url", "https://93.184.215.14/hook")
		resp, body = e.post(edit, f)
		wantStatus(t, "webhook target: "+body, resp, http.StatusSeeOther)
		got, err := e.app.GetTrigger(ctx, e.admin, e.trigger.ID)
		if err != nil || got.Target.Type != junction.TargetWebhook || !got.Target.SecretSet || got.Target.Name != "" {
			t.Fatalf("trigger %+v %v", got, err)
		}
		// Kept without a new secret; never shown.
		f.Del("target_secret")
		f.Set("name", "refunds")
		resp, _ = e.post(edit, f)
		wantStatus(t, "rename", resp, http.StatusSeeOther)
		for _, p := range []string{page, edit} {
			if body := e.get(p, http.StatusOK); strings.Contains(body, targetSecretPlanted) {
				t.Fatalf("%s shows the signing secret", p)
			}
		}
		if strings.Contains(e.s.Logs(), targetSecretPlanted) {
			t.Fatal("the log holds the signing secret")
		}
	})
}

// TestTriggerFilterWarningsRendered: without the script, the forms show
// under the filter what the check would: types that differ from the
// declared ones, and fields not declared. The filter is saved anyway.
func TestTriggerFilterWarningsRendered(t *testing.T) {
	e := newTriggerEditEnv(t)
	const filter = `record.closed == "true" || record.number == "7"`
	body := e.get("/triggers/new?connection_id="+e.github.ID+"&event=issue.created&filter="+url.QueryEscape(filter), http.StatusOK)
	for _, want := range []string{`id="filter-check-mismatched"`, `record.number == &#34;7&#34; is always false. Write 7.`,
		`id="filter-check-undeclared"`, `<code>record.closed</code>`} {
		if !strings.Contains(body, want) {
			t.Fatalf("new trigger form lacks %s: %s", want, body)
		}
	}
	resp, body := e.post("/triggers", url.Values{"connection_id": {e.github.ID}, "event": {"issue.closed"},
		"filter": {`record.number == "7"`}, "target_type": {"queue"}, "target_name": {"issues"}})
	wantStatus(t, "create: "+body, resp, http.StatusSeeOther)
	page := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
	body = e.get(page+"/edit", http.StatusOK)
	if !strings.Contains(body, `id="filter-check-mismatched"`) || strings.Contains(body, `id="filter-check-undeclared"`) {
		t.Fatalf("edit form: %s", body)
	}
	// A clean filter shows nothing.
	body = e.get("/triggers/"+e.trigger.ID+"/edit", http.StatusOK)
	if strings.Contains(body, `id="filter-check-mismatched"`) || strings.Contains(body, `id="filter-check-undeclared"`) {
		t.Fatalf("warnings for a filter without any: %s", body)
	}
}

// TestTriggerHistoryPages: the history pages by its cursor and keeps its
// status filter from page to page.
func TestTriggerHistoryPages(t *testing.T) {
	e := newTriggerEditEnv(t)
	page := "/triggers/" + e.trigger.ID
	m := regexp.MustCompile(`id="hook-url">([^<]+)<`).FindStringSubmatch(e.get(page, http.StatusOK))
	if m == nil {
		t.Fatal("no hook URL")
	}
	const events = 52 // past one page of 50
	for i := range events {
		resp, err := http.Post(m[1], "application/json", strings.NewReader(fmt.Sprintf(`{"type":"order.paid","id":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantStatus(t, "post an event", resp, http.StatusOK)
	}
	rows := regexp.MustCompile(`class="status status-fired"`)
	next := regexp.MustCompile(`href="(/triggers/[^"]+)" id="history-next"`)
	body := e.get(page+"?status=fired", http.StatusOK)
	first := len(rows.FindAllString(body, -1))
	n := next.FindStringSubmatch(body)
	if first != 50 || n == nil || strings.Contains(body, `id="history-first"`) {
		t.Fatalf("first page: %d rows, next %v", first, n)
	}
	body = e.get(strings.ReplaceAll(n[1], "&amp;", "&"), http.StatusOK)
	if got := len(rows.FindAllString(body, -1)); got != events-50 || next.MatchString(body) || !strings.Contains(body, `id="history-first"`) {
		t.Fatalf("second page: %d rows", got)
	}
	if !strings.Contains(body, `<option value="fired" selected>`) {
		t.Fatal("the second page lost the status filter")
	}
	if body := e.get(page+"?status=skipped", http.StatusOK); rows.MatchString(body) {
		t.Fatal("the skipped history shows fired records")
	}
}

// TestTriggerPollParameters: a polling trigger's edit form offers a field
// for each input of its event's poll, the other parameters as JSON, and
// says at what interval its connection polls; it saves them through
// UpdateTrigger, with its errors next to the fields. A webhook trigger's
// form offers none of this.
func TestTriggerPollParameters(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	poll, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, Name: "issues",
		ConnectionID: e.github.ID, Object: "issue", Event: "created",
		Parameters: map[string]any{"owner": "octo", "repo": "hello", "team": "billing"},
		Target:     app.TriggerTargetInput{Type: junction.TargetQueue, Name: "issues"}})
	if err != nil {
		t.Fatal(err)
	}
	edit := "/triggers/" + poll.ID + "/edit"
	body := e.get(edit, http.StatusOK)
	for _, want := range []string{`id="poll-parameters"`, `id="param-owner" name="param.owner" value="octo"`,
		`id="param-repo" name="param.repo" value="hello"`, `id="param-labels" name="param.labels"`,
		`Polls every 5 minutes`, `href="/connections/` + e.github.ID + `/edit" id="edit-poll-interval"`,
		`&#34;team&#34;: &#34;billing&#34;`} {
		if !strings.Contains(body, want) {
			t.Fatalf("edit form lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, `name="param.since"`) || strings.Contains(body, `name="param.state"`) {
		t.Fatal("the form offers the input the poll sets itself")
	}
	if body := e.get("/triggers/"+e.trigger.ID+"/edit", http.StatusOK); strings.Contains(body, "poll-parameters") || strings.Contains(body, `name="parameters"`) {
		t.Fatal("a webhook trigger's form offers polling parameters")
	}

	form := func() url.Values {
		return url.Values{"name": {"issues"}, "filter": {""}, "target_type": {"queue"}, "target_name": {"issues"},
			"param.owner": {"octo"}, "param.repo": {"hello"}, "parameters": {`{"team": "billing"}`}}
	}
	refused := func(f url.Values, field, says string) {
		t.Helper()
		resp, body := e.post(edit, f)
		wantStatus(t, "refused "+field, resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, "<code>"+field+"</code>") || !strings.Contains(body, says) {
			t.Fatalf("no %q on %s: %s", says, field, body)
		}
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		f := form()
		f.Set("param.repo", "")
		refused(f, "parameters.repo", "is required to poll issue.created")
		// Shown next to the field, the rest kept as typed.
		resp, body := e.post(edit, f)
		wantStatus(t, "again", resp, http.StatusUnprocessableEntity)
		if !regexp.MustCompile(`(?s)id="param-repo".*is required to poll issue.created <code>validation_failed</code>.*id="param-labels"`).MatchString(body) ||
			!strings.Contains(body, `value="octo"`) {
			t.Fatalf("the problem is not next to the field: %s", body)
		}
		// The same words as the API's.
		_, apiErr := e.app.UpdateTrigger(ctx, e.admin, poll.ID, app.UpdateTriggerInput{Parameters: &map[string]any{"owner": "octo"}})
		var je *junction.Error
		if !errors.As(apiErr, &je) || je.Field != "parameters.repo" || !strings.Contains(body, je.Message) {
			t.Fatalf("API error %v", apiErr)
		}

		f = form()
		f.Set("param.labels", `{"not": "a list"}`)
		refused(f, "parameters.labels", "must be an array")
		f = form()
		f.Set("parameters", `["team"]`)
		refused(f, "parameters", "must be a JSON object")
		f = form()
		f.Set("parameters", `{"owner": "else"}`)
		refused(f, "parameters", "owner has its own field")
		f = form()
		f.Set("parameters", `{"big": "`+strings.Repeat("x", 17<<10)+`"}`)
		refused(f, "parameters", "at most")

		got, err := e.app.GetTrigger(ctx, e.admin, poll.ID)
		if err != nil || got.Parameters["repo"] != "hello" || got.Parameters["labels"] != nil {
			t.Fatalf("after refused edits: %+v %v", got, err)
		}
	})

	t.Run("OK", func(t *testing.T) {
		f := form()
		f.Set("param.repo", " world ")
		f.Set("param.labels", `["bug", "ui"]`)
		f.Set("parameters", `{"team": "billing", "priority": 2}`)
		resp, body := e.post(edit, f)
		wantStatus(t, "edit: "+body, resp, http.StatusSeeOther)
		got, err := e.app.GetTrigger(ctx, e.admin, poll.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := `map[labels:[bug ui] owner:octo priority:2 repo:world team:billing]`
		if s := fmt.Sprint(got.Parameters); s != want {
			t.Fatalf("parameters %s, want %s", s, want)
		}
		// Saved again unchanged but for the name: the audit tells the name only.
		f.Set("name", "issues of world")
		resp, _ = e.post(edit, f)
		wantStatus(t, "rename", resp, http.StatusSeeOther)
		audit, err := e.app.ListAudit(ctx, e.admin, app.AuditQuery{Action: "trigger.update"})
		if err != nil || len(audit.Items) != 2 {
			t.Fatalf("audit %+v %v", audit.Items, err)
		}
		var changed []string
		for _, a := range audit.Items {
			if a.ObjectID != poll.ID || a.Outcome != "success" {
				t.Fatalf("audited %+v", a)
			}
			changed = append(changed, fmt.Sprint(a.Details["changed"]))
		}
		slices.Sort(changed)
		if fmt.Sprint(changed) != "[[name] [parameters]]" {
			t.Fatalf("audit changed %v", changed)
		}
		body = e.get(edit, http.StatusOK)
		if !strings.Contains(body, `name="param.labels" rows="2">[&#34;bug&#34;,&#34;ui&#34;]</textarea>`) ||
			!strings.Contains(body, `&#34;priority&#34;: 2`) {
			t.Fatalf("form after the edit: %s", body)
		}
	})
}

// TestConnectionPollInterval: the poll interval a polling trigger's form
// points to is chosen on its connection's form, checked as the API
// checks it; a connector without polling events offers none.
func TestConnectionPollInterval(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	edit := "/connections/" + e.github.ID + "/edit"
	if body := e.get(edit, http.StatusOK); !strings.Contains(body, `<option value="5" selected>every 5 minutes</option>`) ||
		!strings.Contains(body, `<option value="1" >every 1 minute</option>`) {
		t.Fatalf("edit form: %s", body)
	}
	if body := e.get("/connections/"+e.hook.ID+"/edit", http.StatusOK); strings.Contains(body, "poll_interval_minutes") {
		t.Fatal("a connector without polling offers a poll interval")
	}
	resp, body := e.post(edit, url.Values{"name": {"gh"}, "poll_interval_minutes": {"7"}})
	wantStatus(t, "7 minutes", resp, http.StatusUnprocessableEntity)
	if !strings.Contains(body, "must be one of 1, 5, 10, 15, 30 or 60, not 7 <code>validation_failed</code>") {
		t.Fatalf("no problem next to the interval: %s", body)
	}
	// A token typed with a refused interval is not shown again.
	const planted = "ghp-planted-with-an-interval-2718281828"
	resp, body = e.post(edit, url.Values{"name": {"gh"}, "poll_interval_minutes": {"61"}, "literal.token": {planted}})
	wantStatus(t, "61 minutes", resp, http.StatusUnprocessableEntity)
	if strings.Contains(body, planted) || strings.Contains(e.s.Logs(), planted) {
		t.Fatal("the refused form shows the token typed")
	}
	resp, body = e.post(edit, url.Values{"name": {"gh"}, "poll_interval_minutes": {"15"}})
	wantStatus(t, "15 minutes: "+body, resp, http.StatusSeeOther)
	c, err := e.app.GetConnection(ctx, e.admin, e.github.ID)
	if err != nil || c.PollIntervalMinutes != 15 {
		t.Fatalf("connection %+v %v", c, err)
	}
	poll, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.github.ID,
		Object: "issue", Event: "created", Parameters: map[string]any{"owner": "o", "repo": "r"},
		Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "issues"}})
	if err != nil {
		t.Fatal(err)
	}
	if body := e.get("/triggers/"+poll.ID+"/edit", http.StatusOK); !strings.Contains(body, "Polls every 15 minutes") {
		t.Fatalf("trigger form: %s", body)
	}
	resp, body = e.post("/connections", url.Values{"connector": {"github"}, "auth_type": {"bearer"}, "folder_id": {e.folder.ID},
		"name": {"gh2"}, "literal.token": {"ghp-second"}, "poll_interval_minutes": {"60"}})
	wantStatus(t, "create: "+body, resp, http.StatusSeeOther)
	list, err := e.app.ListConnections(ctx, e.admin, app.ConnectionQuery{NameContains: "gh2"})
	if err != nil || len(list.Items) != 1 || list.Items[0].PollIntervalMinutes != 60 {
		t.Fatalf("created %+v %v", list.Items, err)
	}
}

// TestTriggerListConnectionFilter: /triggers narrows to one connection by
// a select while the caller sees few connections, and by a name or ID
// typed once there are more than a select should hold.
func TestTriggerListConnectionFilter(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	if _, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, Name: "gh issues",
		ConnectionID: e.github.ID, Object: "issue", Event: "closed",
		Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "issues"}}); err != nil {
		t.Fatal(err)
	}
	listed := func(body string) []string {
		var names []string
		for _, m := range regexp.MustCompile(`<a href="/triggers/[^"]+">([^<]+)</a>`).FindAllStringSubmatch(body, -1) {
			names = append(names, m[1])
		}
		return names
	}
	body := e.get("/triggers", http.StatusOK)
	if !strings.Contains(body, `<select id="connection_id" name="connection_id">`) || !strings.Contains(body, `<option value="`+e.hook.ID+`" >shop</option>`) ||
		fmt.Sprint(listed(body)) != "[orders gh issues]" {
		t.Fatalf("list: %v %s", listed(body), body)
	}
	body = e.get("/triggers?connection_id="+e.hook.ID, http.StatusOK)
	if !strings.Contains(body, `<option value="`+e.hook.ID+`" selected>shop</option>`) || fmt.Sprint(listed(body)) != "[orders]" {
		t.Fatalf("narrowed: %v %s", listed(body), body)
	}

	t.Run("Many", func(t *testing.T) {
		for i := range 100 {
			if _, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "webhook",
				Name: fmt.Sprintf("shop %03d", i), Fields: map[string]app.FieldInput{}, SkipTest: true}); err != nil {
				t.Fatal(err)
			}
		}
		body := e.get("/triggers", http.StatusOK)
		if strings.Contains(body, `id="connection_id"`) || !strings.Contains(body, `<input type="search" id="connection" name="connection" value=""`) {
			t.Fatalf("no text input past the select's cap: %s", body)
		}
		for _, typed := range []string{"shop", "SHOP", e.hook.ID} {
			body := e.get("/triggers?connection="+url.QueryEscape(typed), http.StatusOK)
			if fmt.Sprint(listed(body)) != "[orders]" || !strings.Contains(body, `name="connection" value="`+typed+`"`) {
				t.Fatalf("%s: %v", typed, listed(body))
			}
		}
		if body := e.get("/triggers?connection_id="+e.github.ID, http.StatusOK); fmt.Sprint(listed(body)) != "[gh issues]" ||
			!strings.Contains(body, `name="connection" value="`+e.github.ID+`"`) {
			t.Fatalf("by address: %v", listed(body))
		}
		resp, body := e.do(e.client, "GET", "/triggers?connection=nowhere", nil)
		wantStatus(t, "unknown name", resp, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `no connection you can see is named &#34;nowhere&#34; <code>validation_failed</code>`) || len(listed(body)) != 0 {
			t.Fatalf("unknown name: %v %s", listed(body), body)
		}
	})
}

// TestNewPollingTrigger: the new trigger form offers the poll's inputs
// when the chosen event polls, so that a trigger whose poll needs them
// can be made in the web UI; a webhook event's form offers none.
func TestNewPollingTrigger(t *testing.T) {
	e := newTriggerEditEnv(t)
	body := e.get("/triggers/new?connection_id="+e.github.ID+"&event=issue.created", http.StatusOK)
	if !strings.Contains(body, `id="poll-parameters"`) || !strings.Contains(body, `id="param-owner" name="param.owner" value=""`) {
		t.Fatalf("new form: %s", body)
	}
	if body := e.get("/triggers/new?connection_id="+e.github.ID+"&event=issue.closed", http.StatusOK); strings.Contains(body, `poll-parameters`) {
		t.Fatal("a webhook event's form offers polling parameters")
	}
	form := url.Values{"connection_id": {e.github.ID}, "event": {"issue.created"}, "name": {"new issues"}, "target_type": {"queue"},
		"target_name": {"issues"}, "param.owner": {"octo"}, "param.repo": {""}, "param.labels": {`["bug"]`}, "parameters": {""}}
	resp, body := e.post("/triggers", form)
	wantStatus(t, "no repo", resp, http.StatusUnprocessableEntity)
	if !regexp.MustCompile(`(?s)id="param-repo".*is required to poll issue.created <code>validation_failed</code>.*id="param-labels"`).MatchString(body) ||
		!strings.Contains(body, `name="param.owner" value="octo"`) {
		t.Fatalf("no problem next to the field: %s", body)
	}
	form.Set("param.repo", "hello")
	resp, body = e.post("/triggers", form)
	wantStatus(t, "create: "+body, resp, http.StatusSeeOther)
	id := triggerPathRE.FindStringSubmatch(resp.Header.Get("Location"))[1]
	got, err := e.app.GetTrigger(context.Background(), e.admin, id)
	if err != nil || got.Kind != junction.TriggerPolling || fmt.Sprint(got.Parameters) != "map[labels:[bug] owner:octo repo:hello]" {
		t.Fatalf("created %+v %v", got, err)
	}
}

// TestTriggerPollParameterKinds: a boolean input is a select of true and
// false, an enum one a select of its values; what is chosen is saved with
// its type.
func TestTriggerPollParameterKinds(t *testing.T) {
	e := newTriggerEditEnv(t)
	ctx := context.Background()
	secret := junction.NewSecret("coupa-client-secret-planted-1618033988")
	coupa, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "coupa",
		Name: "coupa", AuthType: "oauth2_client_credentials", SkipTest: true, Fields: map[string]app.FieldInput{
			"host": {Literal: ptr(junction.NewSecret("acme.coupahost.com"))}, "client_id": {Literal: ptr(junction.NewSecret("id"))},
			"client_secret": {Literal: &secret}, "scopes": {Literal: ptr(junction.NewSecret("core.purchase_order.read"))}}})
	if err != nil {
		t.Fatal(err)
	}
	poll, err := e.app.CreateTrigger(ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: coupa.ID,
		Object: "purchase_order", Event: "created", Parameters: map[string]any{"exported": false},
		Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	edit := "/triggers/" + poll.ID + "/edit"
	body := e.get(edit, http.StatusOK)
	for _, want := range []string{`<select id="param-exported" name="param.exported"><option value="">not set</option><option >true</option><option selected>false</option></select>`,
		`<select id="param-return_object" name="param.return_object"><option value="">not set</option><option >limited</option><option >shallow</option></select>`} {
		if !strings.Contains(body, want) {
			t.Fatalf("form lacks %s: %s", want, body)
		}
	}
	resp, body := e.post(edit, url.Values{"name": {""}, "filter": {""}, "target_type": {"queue"}, "target_name": {"orders"},
		"param.exported": {"true"}, "param.return_object": {"deep"}, "param.status": {""}, "parameters": {""}})
	wantStatus(t, "not an enum value", resp, http.StatusUnprocessableEntity)
	if !strings.Contains(body, "<code>parameters.return_object</code>") || !strings.Contains(body, "must be one of") || strings.Contains(body, secret.Reveal()) {
		t.Fatalf("refused: %s", body)
	}
	resp, body = e.post(edit, url.Values{"name": {""}, "filter": {""}, "target_type": {"queue"}, "target_name": {"orders"},
		"param.exported": {"true"}, "param.return_object": {"shallow"}, "param.status": {"issued"}, "parameters": {""}})
	wantStatus(t, "save: "+body, resp, http.StatusSeeOther)
	got, err := e.app.GetTrigger(ctx, e.admin, poll.ID)
	if err != nil || fmt.Sprintf("%#v", got.Parameters) != `map[string]interface {}{"exported":true, "return_object":"shallow", "status":"issued"}` {
		t.Fatalf("saved %#v %v", got.Parameters, err)
	}
}
