package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
)

const hookSecret = "hook-shared-secret-5c1d"

// hookSignature is what a sender configured with hookSecret puts in the
// generic webhook connector's X-Signature header.
func hookSignature(body string) string {
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

type triggerView struct {
	junction.Trigger
	WebhookURL string `json:"webhook_url"`
}

// hookTrigger creates a webhook connection and a webhook trigger on it that
// keeps its jobs in queue, and returns the trigger and the intake path.
func (e *env) hookTrigger(folderID, queue, filter string) (*triggerView, string) {
	e.t.Helper()
	var conn junction.Connection
	e.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", e.admin, map[string]any{
		"folder_id": folderID, "connector": "webhook", "name": "hook-" + queue,
		"fields": map[string]any{"signing_secret": hookSecret, "event_type_path": "type", "id_path": "id"},
	}, &conn)
	var tr triggerView
	e.must(http.StatusCreated, "POST", "/api/v1/triggers", e.admin, map[string]any{
		"folder_id": folderID, "connection_id": conn.ID, "object": "event", "event": "received", "filter": filter,
		"target": map[string]any{"type": "queue", "name": queue},
	}, &tr)
	path, ok := strings.CutPrefix(tr.WebhookURL, publicURL)
	if !ok || !strings.HasPrefix(path, "/hooks/") {
		e.t.Fatalf("webhook URL %q", tr.WebhookURL)
	}
	return &tr, path
}

// waitJobs reads the trigger's jobs until there are n; the runtime makes
// them in the background.
func (e *env) waitJobs(triggerID string, n int) []junction.Job {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var l list[junction.Job]
		e.must(http.StatusOK, "GET", "/api/v1/jobs?trigger_id="+triggerID, e.admin, nil, &l)
		if len(l.Items) >= n || time.Now().After(deadline) {
			if len(l.Items) != n {
				e.t.Fatalf("trigger %s has %d jobs, want %d", triggerID, len(l.Items), n)
			}
			return l.Items
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// webhookConnection makes a folder and a webhook connection "in" in it.
func (e *env) webhookConnection(folder string) (*junction.Folder, *junction.Connection) {
	e.t.Helper()
	f := e.createFolder(e.admin, folder, "")
	var conn junction.Connection
	e.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", e.admin, map[string]any{
		"folder_id": f.ID, "connector": "webhook", "name": "in"}, &conn)
	return f, &conn
}

func TestTriggerValidationProblems(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	f, conn := e.webhookConnection("Hooks")
	base := func(change func(map[string]any)) map[string]any {
		b := map[string]any{"folder_id": f.ID, "connection_id": conn.ID, "object": "event", "event": "received",
			"target": map[string]any{"type": "queue", "name": "q"}}
		change(b)
		return b
	}
	for _, tc := range []struct {
		name, field, detail string
		body                any
	}{
		{"UnknownObject", "object", "objects with events: event", base(func(b map[string]any) { b["object"] = "order" })},
		{"UnknownEvent", "event", "it has received", base(func(b map[string]any) { b["event"] = "sent" })},
		{"Filter", "filter", "undeclared reference", base(func(b map[string]any) { b["filter"] = "nope == 1" })},
		{"TargetURL", "target.url", "", base(func(b map[string]any) {
			b["target"] = map[string]any{"type": "webhook", "url": "http://169.254.169.254/latest", "secret": "s3cret-value"}
		})},
		{"TargetSecret", "target.secret", "needs a secret", base(func(b map[string]any) {
			b["target"] = map[string]any{"type": "webhook", "url": "https://93.184.215.14/x"}
		})},
		{"UnknownField", "schedule", "not a known field", base(func(b map[string]any) { b["schedule"] = "hourly" })},
		{"NameControl", "name", "control characters", base(func(b map[string]any) { b["name"] = "bad\x07name" })},
		{"NameLong", "name", "at most", base(func(b map[string]any) { b["name"] = strings.Repeat("n", 300) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.call("POST", "/api/v1/triggers", e.admin, tc.body).problem(t)
			if p.Status != http.StatusUnprocessableEntity || p.Field != tc.field || !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("problem %+v, want 422 on %s saying %q", p, tc.field, tc.detail)
			}
		})
	}
	if p := e.call("GET", "/api/v1/triggers/"+junction.NewID(), e.admin, nil).problem(t); p.Status != http.StatusNotFound {
		t.Fatalf("unknown trigger: %+v", p)
	}
}

// A trigger may be named: one of a name per folder, a clash answers
// conflict on name, the list filters by name, and PATCH renames.
func TestTriggerNames(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	f, conn := e.webhookConnection("Named")
	body := func(name string) map[string]any {
		return map[string]any{"folder_id": f.ID, "connection_id": conn.ID, "object": "event", "event": "received",
			"name": name, "target": map[string]any{"type": "queue", "name": "q"}}
	}
	var a, b triggerView
	e.must(http.StatusCreated, "POST", "/api/v1/triggers", e.admin, body("  Orders in  "), &a)
	if a.Name != "Orders in" {
		t.Fatalf("name %q, want it trimmed", a.Name)
	}
	p := e.call("POST", "/api/v1/triggers", e.admin, body("Orders in")).problem(t)
	if p.Status != http.StatusConflict || p.Code != junction.ECONFLICT || p.Field != "name" {
		t.Fatalf("name clash: %+v", p)
	}
	e.must(http.StatusCreated, "POST", "/api/v1/triggers", e.admin, body(""), &b)
	e.must(http.StatusCreated, "POST", "/api/v1/triggers", e.admin, body(""), nil)

	var l list[triggerView]
	e.must(http.StatusOK, "GET", "/api/v1/triggers?name=orders", e.admin, nil, &l)
	if len(l.Items) != 1 || l.Items[0].ID != a.ID {
		t.Fatalf("?name=orders listed %+v", l.Items)
	}
	p = e.call("PATCH", "/api/v1/triggers/"+b.ID, e.admin, map[string]any{"name": "Orders in"}).problem(t)
	if p.Status != http.StatusConflict || p.Field != "name" {
		t.Fatalf("rename clash: %+v", p)
	}
	e.must(http.StatusOK, "PATCH", "/api/v1/triggers/"+b.ID, e.admin, map[string]any{"name": "Refunds"}, &b)
	if b.Name != "Refunds" {
		t.Fatalf("renamed to %q", b.Name)
	}
	var cleared triggerView
	e.must(http.StatusOK, "PATCH", "/api/v1/triggers/"+a.ID, e.admin, map[string]any{"name": ""}, &cleared)
	if cleared.Name != "" {
		t.Fatalf("name not cleared: %q", cleared.Name)
	}
}

// A vendor's deliveries reach the trigger through its URL: a bad signature
// is refused and recorded, a good one is stored before the answer and
// becomes a job that a worker claims and completes.
func TestWebhookIntakeToClaim(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		e.startQueue()
		f := e.createFolder(e.admin, "Hooks", "")
		tr, path := e.hookTrigger(f.ID, "orders", `vendor_type == "order.paid"`)
		token := strings.TrimPrefix(path, "/hooks/")

		body := `{"id":"evt_1","type":"order.paid","amount":12}`
		bad := e.call("POST", path, "", body, "X-Signature", hookSignature("something else"))
		if bad.status != http.StatusUnauthorized {
			t.Fatalf("bad signature: %d %s", bad.status, bad.body)
		}
		// The hook takes no bearer token, so it asks for none; and its
		// problem document does not repeat the token.
		if h := bad.header.Get("WWW-Authenticate"); h != "" {
			t.Fatalf("a bad signature is answered with WWW-Authenticate: %s", h)
		}
		if strings.Contains(string(bad.body), token) {
			t.Fatalf("the problem document shows the hook token: %s", bad.body)
		}
		if r := e.call("POST", "/hooks/not-a-token", "", body, "X-Signature", hookSignature(body)); r.status != http.StatusNotFound {
			t.Fatalf("unknown token: %d", r.status)
		}
		big := `{"pad":"` + strings.Repeat("x", 1<<20) + `"}`
		if r := e.call("POST", path, "", big, "X-Signature", hookSignature(big)); r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized body: %d", r.status)
		}
		ok := e.call("POST", path, "", body, "X-Signature", hookSignature(body))
		if ok.status != http.StatusOK {
			t.Fatalf("good delivery: %d %s", ok.status, ok.body)
		}
		skipped := `{"id":"evt_2","type":"order.refunded"}`
		if r := e.call("POST", path, "", skipped, "X-Signature", hookSignature(skipped)); r.status != http.StatusOK {
			t.Fatalf("second delivery: %d", r.status)
		}
		jobs := e.waitJobs(tr.ID, 1)

		var hist list[junction.TriggerRecord]
		deadline := time.Now().Add(30 * time.Second)
		for {
			e.must(http.StatusOK, "GET", "/api/v1/triggers/"+tr.ID+"/history", e.admin, nil, &hist)
			if len(hist.Items) >= 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		statuses := map[junction.TriggerRecordStatus]int{}
		for _, r := range hist.Items {
			statuses[r.Status]++
		}
		if statuses[junction.TriggerFired] != 1 || statuses[junction.TriggerSkipped] != 1 || statuses[junction.TriggerRejectedSignature] != 1 {
			t.Fatalf("history %+v", hist.Items)
		}
		var rejectedOnly list[junction.TriggerRecord]
		e.must(http.StatusOK, "GET", "/api/v1/triggers/"+tr.ID+"/history?status=rejected_signature", e.admin, nil, &rejectedOnly)
		if len(rejectedOnly.Items) != 1 || rejectedOnly.Items[0].Count != 1 {
			t.Fatalf("rejected_signature history %+v", rejectedOnly.Items)
		}

		var claim struct {
			Job *junction.Job `json:"job"`
		}
		e.must(http.StatusOK, "POST", "/api/v1/jobs/claim", e.admin, map[string]any{"queue": "orders", "lease_seconds": 60}, &claim)
		if claim.Job == nil || claim.Job.ID != jobs[0].ID || claim.Job.Status != junction.JobClaimed {
			t.Fatalf("claim %+v", claim.Job)
		}
		e.must(http.StatusOK, "POST", "/api/v1/jobs/claim", e.admin, map[string]any{"queue": "orders", "wait_seconds": 1}, &claim)
		if claim.Job != nil {
			t.Fatalf("a second claim got %s", claim.Job.ID)
		}
		var done junction.Job
		e.must(http.StatusOK, "POST", "/api/v1/jobs/"+jobs[0].ID+"/complete", e.admin, map[string]any{"result": map[string]any{"ok": true}}, &done)
		if done.Status != junction.JobCompleted {
			t.Fatalf("completed %+v", done)
		}
		if p := e.call("POST", "/api/v1/jobs/"+jobs[0].ID+"/fail", e.admin, map[string]any{"error": "late"}).problem(t); p.Status != http.StatusConflict {
			t.Fatalf("failing a completed job: %+v", p)
		}
		if p := e.call("POST", "/api/v1/jobs/claim", e.admin, map[string]any{"queue": "orders", "wait_seconds": 31}).problem(t); p.Field != "wait_seconds" {
			t.Fatalf("a wait over the limit: %+v", p)
		}

		// The token opens the intake: it never reaches the logs.
		if strings.Contains(e.logs.String(), token) {
			t.Fatal("the webhook token is in the logs")
		}
		if !strings.Contains(e.logs.String(), "/hooks/REDACTED") {
			t.Fatal("the access log has no redacted webhook request")
		}
	})
}

// Turning a trigger off drops its deliveries (acknowledged, no job); the
// history and the job list follow the folder rule.
func TestTriggerEnableDisableAndAccess(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	e.startQueue()
	f := e.createFolder(e.admin, "Hooks", "")
	tr, path := e.hookTrigger(f.ID, "q", "")
	var v triggerView
	e.must(http.StatusOK, "POST", "/api/v1/triggers/"+tr.ID+"/disable", e.admin, nil, &v)
	if v.Enabled {
		t.Fatal("still enabled")
	}
	body := `{"id":"evt_off"}`
	e.must(http.StatusOK, "POST", path, "", body, nil)
	e.must(http.StatusOK, "POST", "/api/v1/triggers/"+tr.ID+"/enable", e.admin, nil, &v)
	if !v.Enabled || v.WebhookURL != tr.WebhookURL {
		t.Fatalf("enabled %+v", v)
	}
	body2 := `{"id":"evt_on"}`
	if r := e.call("POST", path, "", body2, "X-Signature", hookSignature(body2)); r.status != http.StatusOK {
		t.Fatalf("delivery: %d", r.status)
	}
	jobs := e.waitJobs(tr.ID, 1)
	if jobs[0].ObjectType != "event" || jobs[0].Queue != "q" {
		t.Fatalf("job %+v", jobs[0])
	}

	_, outsider := e.createUser(e.admin, "outsider")
	if p := e.call("GET", "/api/v1/triggers/"+tr.ID+"/history", outsider, nil).problem(t); p.Status != http.StatusNotFound {
		t.Fatalf("an outsider reads the history: %+v", p)
	}
	if p := e.call("GET", "/api/v1/jobs/"+jobs[0].ID, outsider, nil).problem(t); p.Status != http.StatusNotFound {
		t.Fatalf("an outsider reads a job: %+v", p)
	}
	var none list[junction.Job]
	e.must(http.StatusOK, "GET", "/api/v1/jobs", outsider, nil, &none)
	if len(none.Items) != 0 {
		t.Fatalf("an outsider lists %d jobs", len(none.Items))
	}
	if p := e.call("POST", "/api/v1/jobs/claim", outsider, map[string]any{"queue": "q"}).problem(t); p.Status != http.StatusForbidden {
		t.Fatalf("an outsider claims: %+v", p)
	}
	e.must(http.StatusNoContent, "DELETE", "/api/v1/triggers/"+tr.ID, e.admin, nil, nil)
	if r := e.call("POST", path, "", body2, "X-Signature", hookSignature(body2)); r.status != http.StatusNotFound {
		t.Fatalf("a deleted trigger's URL answers %d", r.status)
	}
}

// A hook URL lets anyone send the trigger events: only those who may edit
// the trigger see it, others see that there is one. Rotating it gives a
// new URL; the old one works through the grace period asked for, or not
// at all without one; the audit entry holds neither.
func TestHookURLVisibilityAndRotation(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	e.startQueue()
	f := e.createFolder(e.admin, "Hooks", "")
	tr, path := e.hookTrigger(f.ID, "q", "")
	viewer, viewerToken := e.createUser(e.admin, "viewer")
	e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+viewer.ID, e.admin,
		map[string]any{"roles": []string{junction.RoleViewer}}, nil)

	var seen map[string]any
	e.must(http.StatusOK, "GET", "/api/v1/triggers/"+tr.ID, viewerToken, nil, &seen)
	if _, ok := seen["webhook_url"]; ok || seen["has_webhook_url"] != true {
		t.Fatalf("a viewer sees %v", seen)
	}
	var listed struct {
		Items []map[string]any `json:"items"`
	}
	e.must(http.StatusOK, "GET", "/api/v1/triggers", viewerToken, nil, &listed)
	if len(listed.Items) != 1 || listed.Items[0]["webhook_url"] != nil || listed.Items[0]["has_webhook_url"] != true {
		t.Fatalf("a viewer lists %v", listed.Items)
	}
	token := strings.TrimPrefix(path, "/hooks/")
	for _, r := range []*response{e.call("GET", "/api/v1/triggers/"+tr.ID, viewerToken, nil), e.call("GET", "/api/v1/triggers", viewerToken, nil)} {
		if strings.Contains(string(r.body), token) {
			t.Fatalf("a viewer's answer holds the hook token: %s", r.body)
		}
	}
	var mine triggerView
	e.must(http.StatusOK, "GET", "/api/v1/triggers/"+tr.ID, e.admin, nil, &mine)
	if mine.WebhookURL != tr.WebhookURL {
		t.Fatalf("an editor sees %q, want %q", mine.WebhookURL, tr.WebhookURL)
	}
	if p := e.call("POST", "/api/v1/triggers/"+tr.ID+"/rotate-hook", viewerToken, nil).problem(t); p.Status != http.StatusForbidden {
		t.Fatalf("a viewer rotates: %+v", p)
	}
	for _, bad := range []string{"-1h", "169h", "soon"} {
		p := e.call("POST", "/api/v1/triggers/"+tr.ID+"/rotate-hook", e.admin, map[string]any{"grace_period": bad}).problem(t)
		if p.Status != http.StatusUnprocessableEntity || p.Field != "grace_period" {
			t.Fatalf("grace_period %q: %+v", bad, p)
		}
	}
	deliver := func(path, body string) int {
		t.Helper()
		return e.call("POST", path, "", body, "X-Signature", hookSignature(body)).status
	}

	// With a grace period, both URLs work.
	var rotated triggerView
	e.must(http.StatusOK, "POST", "/api/v1/triggers/"+tr.ID+"/rotate-hook", e.admin, map[string]any{"grace_period": "1h"}, &rotated)
	newPath, _ := strings.CutPrefix(rotated.WebhookURL, publicURL)
	if newPath == path || !strings.HasPrefix(newPath, "/hooks/") || rotated.PreviousWebhookTokenExpiresAt == nil ||
		!rotated.PreviousWebhookTokenExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("rotated %+v", rotated)
	}
	if st := deliver(path, `{"id":"evt_old"}`); st != http.StatusOK {
		t.Fatalf("the old URL in its grace period: %d", st)
	}
	if st := deliver(newPath, `{"id":"evt_new"}`); st != http.StatusOK {
		t.Fatalf("the new URL: %d", st)
	}
	e.waitJobs(tr.ID, 2)

	// Without one, the URL rotated away stops at once, as does the one
	// still in its grace period.
	var again triggerView
	e.must(http.StatusOK, "POST", "/api/v1/triggers/"+tr.ID+"/rotate-hook", e.admin, nil, &again)
	lastPath, _ := strings.CutPrefix(again.WebhookURL, publicURL)
	for _, p := range []string{path, newPath} {
		if st := deliver(p, `{"id":"evt_late"}`); st != http.StatusNotFound {
			t.Fatalf("a rotated URL answers %d", st)
		}
	}
	if st := deliver(lastPath, `{"id":"evt_last"}`); st != http.StatusOK {
		t.Fatalf("the newest URL: %d", st)
	}

	var audit list[junction.AuditEntry]
	e.must(http.StatusOK, "GET", "/api/v1/audit?action=trigger.rotate_hook", e.admin, nil, &audit)
	if len(audit.Items) != 2 || audit.Items[0].ObjectID != tr.ID {
		t.Fatalf("audit %+v", audit.Items)
	}
	r := e.call("GET", "/api/v1/audit?action=trigger.rotate_hook", e.admin, nil)
	for _, p := range []string{path, newPath, lastPath} {
		if strings.Contains(string(r.body), strings.TrimPrefix(p, "/hooks/")) {
			t.Fatal("the audit holds a hook token")
		}
	}
	if strings.Contains(e.logs.String(), strings.TrimPrefix(lastPath, "/hooks/")) {
		t.Fatal("the logs hold a hook token")
	}
}
