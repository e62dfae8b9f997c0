package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"junction"
)

// waitJob reads a job until it is in status, or fails the test.
func (e *env) waitJob(id string, status junction.JobStatus) junction.Job {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var j junction.Job
		e.must(http.StatusOK, "GET", "/api/v1/jobs/"+id, e.admin, nil, &j)
		if j.Status == status {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s is %s (%s), want %s", id, j.Status, j.Error, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An operator cancels a queue job a worker holds, retries it, and deletes
// it; each action needs Jobs.Process, follows the folder rule and is
// audited.
func TestJobOperatorActions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		e := newEnv(t, open(t))
		e.startQueue()
		f := e.createFolder(e.admin, "Hooks", "")
		tr, path := e.hookTrigger(f.ID, "orders", "")
		body := `{"id":"evt_1","type":"order.paid"}`
		if r := e.call("POST", path, "", body, "X-Signature", hookSignature(body)); r.status != http.StatusOK {
			t.Fatalf("webhook delivery: %d %s", r.status, r.body)
		}
		job := e.waitJobs(tr.ID, 1)[0]

		var claim struct {
			Job *junction.Job `json:"job"`
		}
		e.must(http.StatusOK, "POST", "/api/v1/jobs/claim", e.admin, map[string]any{"queue": "orders"}, &claim)
		if claim.Job == nil || claim.Job.ID != job.ID {
			t.Fatalf("claim %+v", claim.Job)
		}

		// Who may act: a viewer sees the job but may not process it; an
		// outsider does not learn it exists.
		viewer, viewerToken := e.createUser(e.admin, "viewer")
		e.must(http.StatusOK, "PUT", "/api/v1/folders/"+f.ID+"/members/"+viewer.ID, e.admin,
			map[string]any{"roles": []string{junction.RoleViewer}}, nil)
		_, outsider := e.createUser(e.admin, "outsider")
		for _, tc := range []struct {
			token  string
			status int
		}{{viewerToken, http.StatusForbidden}, {outsider, http.StatusNotFound}} {
			for _, r := range []*response{
				e.call("POST", "/api/v1/jobs/"+job.ID+"/cancel", tc.token, map[string]any{"reason": "x"}),
				e.call("POST", "/api/v1/jobs/"+job.ID+"/retry", tc.token, nil),
				e.call("DELETE", "/api/v1/jobs/"+job.ID, tc.token, nil),
			} {
				if r.status != tc.status {
					t.Fatalf("answered %d, want %d: %s", r.status, tc.status, r.body)
				}
			}
		}

		if p := e.call("POST", "/api/v1/jobs/"+job.ID+"/cancel", e.admin, map[string]any{"reason": " "}).problem(t); p.Field != "reason" {
			t.Fatalf("cancel without a reason: %+v", p)
		}
		if p := e.call("POST", "/api/v1/jobs/"+job.ID+"/retry", e.admin, nil).problem(t); p.Code != junction.ECONFLICT {
			t.Fatalf("retry of a claimed job: %+v", p)
		}
		var j junction.Job
		e.must(http.StatusOK, "POST", "/api/v1/jobs/"+job.ID+"/cancel", e.admin, map[string]any{"reason": "duplicate order"}, &j)
		if j.Status != junction.JobCancelled || !strings.Contains(j.Error, "duplicate order") {
			t.Fatalf("cancelled %+v", j)
		}
		// The worker lost it; nobody claims it.
		if p := e.call("POST", "/api/v1/jobs/"+job.ID+"/complete", e.admin, nil).problem(t); p.Code != junction.ECONFLICT {
			t.Fatalf("completing a cancelled job: %+v", p)
		}
		e.must(http.StatusOK, "POST", "/api/v1/jobs/claim", e.admin, map[string]any{"queue": "orders"}, &claim)
		if claim.Job != nil {
			t.Fatalf("a cancelled job was claimed: %+v", claim.Job)
		}
		var cancelled list[junction.Job]
		e.must(http.StatusOK, "GET", "/api/v1/jobs?status=cancelled", e.admin, nil, &cancelled)
		if len(cancelled.Items) != 1 {
			t.Fatalf("cancelled jobs %+v", cancelled.Items)
		}

		// A retry starts a new round and wakes the claims.
		j = junction.Job{}
		e.must(http.StatusOK, "POST", "/api/v1/jobs/"+job.ID+"/retry", e.admin, nil, &j)
		if j.Status != junction.JobPending || j.Attempts != 0 || j.Error != "" {
			t.Fatalf("retried %+v", j)
		}
		e.must(http.StatusOK, "POST", "/api/v1/jobs/claim", e.admin, map[string]any{"queue": "orders"}, &claim)
		if claim.Job == nil || claim.Job.ID != job.ID || claim.Job.Attempts != 1 {
			t.Fatalf("claim after the retry %+v", claim.Job)
		}

		e.must(http.StatusNoContent, "DELETE", "/api/v1/jobs/"+job.ID, e.admin, nil, nil)
		if r := e.call("GET", "/api/v1/jobs/"+job.ID, e.admin, nil); r.status != http.StatusNotFound {
			t.Fatalf("a deleted job answers %d", r.status)
		}
		if r := e.call("POST", "/api/v1/jobs/"+job.ID+"/complete", e.admin, nil); r.status != http.StatusNotFound {
			t.Fatalf("completing a deleted job answers %d", r.status)
		}

		var audit list[junction.AuditEntry]
		e.must(http.StatusOK, "GET", "/api/v1/audit?object_id="+job.ID, e.admin, nil, &audit)
		var actions []string
		for _, a := range audit.Items {
			actions = append(actions, a.Action)
		}
		if strings.Join(actions, ",") != "job.cancel,job.retry,job.delete" || audit.Items[0].Details["reason"] != "duplicate order" {
			t.Fatalf("audit %v: %+v", actions, audit.Items)
		}
	})
}

// webhookTarget is a customer's endpoint that refuses deliveries while
// failing is set, and counts the deliveries of each job it takes.
type webhookTarget struct {
	*httptest.Server
	failing atomic.Bool
	mu      sync.Mutex
	got     map[string]int
}

func newWebhookTarget(t *testing.T) *webhookTarget {
	w := &webhookTarget{got: map[string]int{}}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.failing.Load() {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var d struct {
			JobID string `json:"job_id"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &d)
		w.mu.Lock()
		w.got[d.JobID]++
		w.mu.Unlock()
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookTarget) deliveries(jobID string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got[jobID]
}

// A webhook target job that ran out of attempts is delivered again, by
// the runtime's one delivery path, once an operator retries it.
func TestJobRetryRedelivers(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	e.startQueue()
	target := newWebhookTarget(t)
	target.failing.Store(true)
	f := e.createFolder(e.admin, "Hooks", "")
	var conn junction.Connection
	e.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", e.admin, map[string]any{
		"folder_id": f.ID, "connector": "webhook", "name": "hook",
		"fields": map[string]any{"signing_secret": hookSecret, "event_type_path": "type", "id_path": "id"},
	}, &conn)
	var tr triggerView
	e.must(http.StatusCreated, "POST", "/api/v1/triggers", e.admin, map[string]any{
		"folder_id": f.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "webhook", "url": target.URL + "/in", "secret": "target-signing-secret-42"},
	}, &tr)
	path := strings.TrimPrefix(tr.WebhookURL, publicURL)
	body := `{"id":"evt_1","type":"order.paid"}`
	if r := e.call("POST", path, "", body, "X-Signature", hookSignature(body)); r.status != http.StatusOK {
		t.Fatalf("webhook delivery: %d %s", r.status, r.body)
	}
	job := e.waitJobs(tr.ID, 1)[0]
	failed := e.waitJob(job.ID, junction.JobFailed)
	if failed.Attempts < 2 || target.deliveries(job.ID) != 0 {
		t.Fatalf("failed job %+v, %d deliveries", failed, target.deliveries(job.ID))
	}

	target.failing.Store(false)
	var j junction.Job
	e.must(http.StatusOK, "POST", "/api/v1/jobs/"+job.ID+"/retry", e.admin, nil, &j)
	if j.Status != junction.JobPending || j.Attempts != 0 {
		t.Fatalf("retried %+v", j)
	}
	done := e.waitJob(job.ID, junction.JobCompleted)
	if done.Attempts != 1 || target.deliveries(job.ID) != 1 {
		t.Fatalf("delivered job %+v, %d deliveries", done, target.deliveries(job.ID))
	}
	if p := e.call("POST", "/api/v1/jobs/"+job.ID+"/cancel", e.admin, map[string]any{"reason": "late"}).problem(t); p.Code != junction.ECONFLICT {
		t.Fatalf("cancelling a delivered job: %+v", p)
	}
}
