package cli_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"junction"
)

const hookSecret = "hook-signing-secret-never-shown"

// postHook sends a signed event to an intake URL, as a vendor does.
func postHook(t *testing.T, url, body string) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write([]byte(body))
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("intake answered %d", resp.StatusCode)
	}
}

// eventually runs check until it reports true: the trigger runtime takes
// events in on the server's job queue, in the background.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// webhookConnection is a connection of the webhook connector, whose
// deliveries are signed with hookSecret and name their type in "type".
func (e *env) webhookConnection(folder string) string {
	e.t.Helper()
	return e.create("connections", "create", "shop", "--folder", folder, "--connector", "webhook",
		"--secret-field", "signing_secret="+hookSecret, "--field", "event_type_path=type", "--no-test")
}

func TestTriggers(t *testing.T) {
	e := newEnv(t)
	folder := e.folder("Orders")
	conn := e.webhookConnection(folder)
	var received atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer target.Close()
	const secret = "target-secret-never-shown-77"
	var shown []string
	var tr, hookURL string

	t.Run("CreateWebhookTarget", func(t *testing.T) {
		out, errOut, err := e.run("triggers", "create", "--folder", folder, "--connection", conn, "--object", "event",
			"--event", "received", "--filter", `vendor_type == "order.paid"`, "--param", "team=ops",
			"--target-url", target.URL+"/in", "--target-secret", "@"+writeFile(t, "s", secret+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		shown = append(shown, out, errOut)
		wantContains(t, out, "Webhook URL:", e.srv.URL+"/hooks/", "webhook "+target.URL+"/in", "event.received")
		tr = strings.Fields(out)[1] // "ID:  <id>" heads the view
		v := e.get("/api/v1/triggers/" + tr)
		hookURL, _ = v["webhook_url"].(string)
		tg, _ := v["target"].(map[string]any)
		if v["filter"] != `vendor_type == "order.paid"` || tg["secret_set"] != true || tg["url"] != target.URL+"/in" ||
			!strings.HasPrefix(hookURL, e.srv.URL+"/hooks/") {
			t.Fatalf("trigger = %v", v)
		}
	})

	t.Run("CreateQueueTarget", func(t *testing.T) {
		out := e.must("triggers", "create", "--folder", folder, "--connection", conn, "--object", "event",
			"--event", "received", "--target-queue", "triage", "-o", "json")
		if tg, _ := wantJSON(t, out)["target"].(map[string]any); tg["type"] != "queue" || tg["name"] != "triage" {
			t.Fatalf("target = %v", tg)
		}
	})

	count := func() int {
		var l struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal([]byte(e.must("triggers", "list", "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}

	t.Run("CreateMistakes", func(t *testing.T) {
		n := count()
		for _, args := range [][]string{
			{"--connection", conn, "--object", "o", "--event", "e", "--target-queue", "q"},
			{"--folder", folder, "--connection", conn, "--object", "o", "--event", "e"},
			{"--folder", folder, "--connection", conn, "--object", "o", "--event", "e", "--target-queue", "q", "--target-url", "https://x.test"},
			{"--folder", folder, "--connection", conn, "--object", "o", "--event", "e", "--target-secret", "s"},
			{"--folder", folder, "--connection", conn, "--object", "o", "--event", "e", "--target-queue", "q", "--param", "novalue"},
			// Refused by the server: the connector has no such object.
			{"--folder", folder, "--connection", conn, "--object", "order", "--event", "e", "--target-queue", "q"},
		} {
			_, _, err := e.run(append([]string{"triggers", "create"}, args...)...)
			wantCode(t, err, "validation_failed")
		}
		if count() != n {
			t.Fatal("a refused trigger was created")
		}
	})

	t.Run("UpdateKeepsSecretWhenNotGiven", func(t *testing.T) {
		e.must("triggers", "update", tr, "--target-url", target.URL+"/v2", "--filter", "")
		v := e.get("/api/v1/triggers/" + tr)
		if tg, _ := v["target"].(map[string]any); tg["url"] != target.URL+"/v2" || tg["secret_set"] != true || v["filter"] != nil && v["filter"] != "" {
			t.Fatalf("trigger = %v", v)
		}
		_, _, err := e.run("triggers", "update", tr)
		wantCode(t, err, "validation_failed")
		e.must("triggers", "update", tr, "--filter", `vendor_type == "order.paid"`)
	})

	t.Run("History", func(t *testing.T) {
		postHook(t, hookURL, `{"type":"order.refunded","order":"o-1"}`)
		postHook(t, hookURL, `{"type":"order.paid","order":"o-2"}`)
		eventually(t, "the paid order's delivery", func() bool { return received.Load() == 1 })
		var out string
		eventually(t, "the skipped event in the history", func() bool {
			out = e.must("triggers", "history", tr, "--status", "skipped")
			return strings.Contains(out, "filter did not match")
		})
		wantContains(t, out, "order.refunded")
		if strings.Contains(out, "order.paid") {
			t.Fatalf("--status skipped listed a fired event:\n%s", out)
		}
	})

	t.Run("RotateHook", func(t *testing.T) {
		out := e.must("triggers", "rotate-hook", tr, "--grace", "2h")
		v := e.get("/api/v1/triggers/" + tr)
		next, _ := v["webhook_url"].(string)
		if next == hookURL || !strings.HasPrefix(next, e.srv.URL+"/hooks/") || v["previous_hook_expires_at"] == nil {
			t.Fatalf("trigger after rotate-hook = %v", v)
		}
		wantContains(t, out, "Webhook URL:", next, "Previous URL until:")
		// The old URL works through its grace period.
		postHook(t, hookURL, `{"type":"order.paid","order":"o-3"}`)
		postHook(t, next, `{"type":"order.paid","order":"o-4"}`)
		eventually(t, "both deliveries", func() bool { return received.Load() == 3 })

		_, _, err := e.run("triggers", "rotate-hook", tr, "--grace", "a while")
		wantCode(t, err, "validation_failed")
		_, _, err = e.run("triggers", "rotate-hook", tr, "--grace", "200h")
		wantCode(t, err, "validation_failed")
		hookURL = next
	})

	t.Run("ListShowEnableDisableDelete", func(t *testing.T) {
		out := e.must("triggers", "list", "--folder", folder)
		wantContains(t, out, tr, "event.received", "TARGET", "queue triage")
		wantContains(t, e.must("triggers", "show", tr), tr, "event.received")
		e.must("triggers", "disable", tr)
		if e.get("/api/v1/triggers/" + tr)["enabled"] != false {
			t.Fatal("disable left the trigger enabled")
		}
		e.must("triggers", "enable", tr)
		if e.get("/api/v1/triggers/" + tr)["enabled"] != true {
			t.Fatal("enable left the trigger disabled")
		}
		e.must("triggers", "delete", tr)
		e.api(http.StatusNotFound, "GET", "/api/v1/triggers/"+tr, nil, nil)
	})

	wantAbsent(t, secret, shown...)
	wantAbsent(t, secret, e.srv.Logs())
	wantAbsent(t, hookSecret, e.srv.Logs())
}

func TestJobs(t *testing.T) {
	e := newEnv(t)
	folder := e.folder("Tickets")
	conn := e.webhookConnection(folder)
	tr := e.create("triggers", "create", "--folder", folder, "--connection", conn, "--object", "event",
		"--event", "received", "--target-queue", "triage")
	hookURL, _ := e.get("/api/v1/triggers/" + tr)["webhook_url"].(string)
	postHook(t, hookURL, `{"type":"issue.created","title":"Broken build"}`)
	postHook(t, hookURL, `{"type":"issue.created","title":"Flaky test"}`)
	jobs := func(query string) []junction.Job {
		var l struct {
			Items []junction.Job `json:"items"`
		}
		e.api(http.StatusOK, "GET", "/api/v1/jobs?"+query, nil, &l)
		return l.Items
	}
	eventually(t, "two queued jobs", func() bool { return len(jobs("queue=triage")) == 2 })

	t.Run("List", func(t *testing.T) {
		out := e.must("jobs", "list", "--queue", "triage", "--status", "pending")
		for _, j := range jobs("queue=triage") {
			wantContains(t, out, j.ID)
		}
		wantContains(t, out, "event.received")
		if out := e.must("jobs", "list", "--queue", "triage", "--status", "claimed"); strings.Contains(out, "event.received") {
			t.Fatalf("claimed jobs listed before any claim:\n%s", out)
		}
	})

	var first, second string
	t.Run("ClaimSomething", func(t *testing.T) {
		out := e.must("jobs", "claim", "--queue", "triage", "--wait", "20s", "--lease", "10m")
		wantContains(t, out, "webhook:", "Payload:", "Broken build")
		first = strings.Fields(out)[1] // "ID:  <id>" heads the view
		js := jobs("status=claimed")
		if len(js) != 1 || js[0].ID != first || js[0].LeaseExpiresAt == nil ||
			!js[0].LeaseExpiresAt.Equal(e.srv.Clock.Now().Add(10*time.Minute)) {
			t.Fatalf("claimed jobs %+v", js)
		}
		var claim struct {
			Job *junction.Job `json:"job"`
		}
		if err := json.Unmarshal([]byte(e.must("jobs", "claim", "--queue", "triage", "-o", "json")), &claim); err != nil || claim.Job == nil {
			t.Fatalf("second claim: %v", err)
		}
		second = claim.Job.ID
	})

	t.Run("ClaimNothing", func(t *testing.T) {
		out, errOut, err := e.run("jobs", "claim", "--queue", "triage")
		if err != nil || out != "" || !strings.Contains(errOut, "No job") {
			t.Fatalf("out %q, stderr %q, err %v", out, errOut, err)
		}
		if v := wantJSON(t, e.must("jobs", "claim", "--queue", "triage", "-o", "json")); v["job"] != nil {
			t.Fatalf("json %v", v)
		}
		for _, args := range [][]string{{"--wait", "1m"}, {"--lease", "0s"}, {}} {
			a := append([]string{"jobs", "claim"}, args...)
			if len(args) > 0 {
				a = append(a, "--queue", "q")
			}
			_, _, err := e.run(a...)
			wantCode(t, err, "validation_failed")
		}
	})

	t.Run("CompleteAndFail", func(t *testing.T) {
		e.must("jobs", "complete", first, "--result", `{"ticket": 7}`)
		var j junction.Job
		e.api(http.StatusOK, "GET", "/api/v1/jobs/"+first, nil, &j)
		if res, _ := j.Result.(map[string]any); j.Status != junction.JobCompleted || res["ticket"] != float64(7) {
			t.Fatalf("completed job %+v", j)
		}
		_, _, err := e.run("jobs", "complete", second, "--result", `{not json`)
		wantCode(t, err, "validation_failed")

		e.must("jobs", "fail", second, "--error", "upstream down", "--retry")
		e.api(http.StatusOK, "GET", "/api/v1/jobs/"+second, nil, &j)
		if j.Status != junction.JobPending {
			t.Fatalf("a job failed with --retry is %s", j.Status)
		}
		_, _, err = e.run("jobs", "fail", second)
		wantCode(t, err, "validation_failed")
		// Not claimed by anyone now.
		_, _, err = e.run("jobs", "complete", second)
		wantCode(t, err, "conflict")
		e.must("jobs", "claim", "--queue", "triage")
		e.must("jobs", "fail", second, "--error", "cannot handle it")
		e.api(http.StatusOK, "GET", "/api/v1/jobs/"+second, nil, &j)
		if j.Status != junction.JobFailed || j.Error != "cannot handle it" {
			t.Fatalf("failed job %+v", j)
		}
	})

	// An operator brings a failed job back, cancels it, and deletes it.
	t.Run("RetryCancelDelete", func(t *testing.T) {
		failed := jobs("status=failed")
		if len(failed) != 1 {
			t.Fatalf("failed jobs %+v", failed)
		}
		id := failed[0].ID
		out := e.must("jobs", "retry", id)
		wantContains(t, out, "ID:", id, "Status:", "pending", "Attempts:", "0")
		_, _, err := e.run("jobs", "retry", id)
		wantCode(t, err, "conflict")
		_, _, err = e.run("jobs", "cancel", id)
		wantCode(t, err, "validation_failed")
		v := wantJSON(t, e.must("jobs", "cancel", id, "--reason", "customer withdrew", "-o", "json"))
		if v["status"] != "cancelled" || !strings.Contains(v["error"].(string), "customer withdrew") {
			t.Fatalf("cancelled job %v", v)
		}
		if out := e.must("jobs", "list", "--status", "cancelled"); !strings.Contains(out, id) {
			t.Fatalf("jobs list --status cancelled:\n%s", out)
		}
		if out := e.must("jobs", "delete", id); !strings.Contains(out, "Deleted job "+id) {
			t.Fatalf("delete output %q", out)
		}
		_, _, err = e.run("jobs", "show", id)
		wantCode(t, err, "not_found")
	})
}
