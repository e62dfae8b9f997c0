package cli_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestTriggers(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	tr := map[string]any{
		"id": "t1", "folder_id": "f1", "connection_id": "c1", "connector": "webhook", "object": "event", "event": "received",
		"kind": "webhook", "filter": `vendor_type == "order.paid"`, "enabled": true, "consecutive_failures": 0,
		"target":      map[string]any{"type": "webhook", "url": "https://hooks.acme.test/in", "secret_set": true},
		"webhook_url": "https://junction.acme.test/hooks/tok-abc", "created_at": "2030-01-01T00:00:00Z",
	}
	api.answer("POST /api/v1/triggers", 201, tr)
	api.answer("GET /api/v1/triggers/t1", 200, tr)
	api.answer("PATCH /api/v1/triggers/t1", 200, tr)
	api.answer("POST /api/v1/triggers/t1/disable", 200, tr)
	api.answer("POST /api/v1/triggers/t1/enable", 200, tr)
	api.answer("DELETE /api/v1/triggers/t1", 204, nil)
	api.answer("GET /api/v1/triggers", 200, map[string]any{"items": []any{tr}})
	api.answer("GET /api/v1/triggers/t1/history", 200, map[string]any{"items": []any{
		map[string]any{"id": "h1", "at": "2030-01-01T00:00:00Z", "status": "skipped", "event_type": "order.refunded",
			"reason": "filter did not match"},
	}})
	const secret = "target-secret-never-shown-77"

	t.Run("CreateWebhookTarget", func(t *testing.T) {
		out, errOut, err := r.run("triggers", "create", "--folder", "f1", "--connection", "c1", "--object", "event",
			"--event", "received", "--filter", `vendor_type == "order.paid"`, "--param", "team=ops", "--param", "limit=5",
			"--target-url", "https://hooks.acme.test/in", "--target-secret", "@"+writeFile(t, "s", secret+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		got := api.last()
		wantRequest(t, got, "POST", "/api/v1/triggers")
		want := map[string]any{
			"folder_id": "f1", "connection_id": "c1", "object": "event", "event": "received",
			"filter": `vendor_type == "order.paid"`, "parameters": map[string]any{"team": "ops", "limit": float64(5)},
			"target": map[string]any{"type": "webhook", "url": "https://hooks.acme.test/in", "secret": secret},
		}
		if !reflect.DeepEqual(got.Body, want) {
			t.Fatalf("body = %v\nwant   %v", got.Body, want)
		}
		wantAbsent(t, secret, out, errOut)
		for _, s := range []string{"Webhook URL:", "https://junction.acme.test/hooks/tok-abc", "webhook https://hooks.acme.test/in", "event.received"} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("CreateQueueTarget", func(t *testing.T) {
		if _, _, err := r.run("triggers", "create", "--folder", "f1", "--connection", "c1", "--object", "issue",
			"--event", "created", "--target-queue", "triage", "-o", "json"); err != nil {
			t.Fatal(err)
		}
		if target := api.last().Body["target"]; !reflect.DeepEqual(target, map[string]any{"type": "queue", "name": "triage"}) {
			t.Fatalf("target = %v", target)
		}
	})

	t.Run("CreateMistakes", func(t *testing.T) {
		n := api.count()
		for _, args := range [][]string{
			{"--connection", "c1", "--object", "o", "--event", "e", "--target-queue", "q"},
			{"--folder", "f1", "--connection", "c1", "--object", "o", "--event", "e"},
			{"--folder", "f1", "--connection", "c1", "--object", "o", "--event", "e", "--target-queue", "q", "--target-url", "https://x.test"},
			{"--folder", "f1", "--connection", "c1", "--object", "o", "--event", "e", "--target-secret", "s"},
			{"--folder", "f1", "--connection", "c1", "--object", "o", "--event", "e", "--target-queue", "q", "--param", "novalue"},
		} {
			_, _, err := r.run(append([]string{"triggers", "create"}, args...)...)
			wantCode(t, err, "validation_failed")
		}
		if api.count() != n {
			t.Fatal("a refused command reached the server")
		}
	})

	t.Run("UpdateKeepsSecretWhenNotGiven", func(t *testing.T) {
		if _, _, err := r.run("triggers", "update", "t1", "--target-url", "https://hooks.acme.test/v2", "--filter", ""); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"filter": "", "target": map[string]any{"type": "webhook", "url": "https://hooks.acme.test/v2"}}
		if got := api.last().Body; !reflect.DeepEqual(got, want) {
			t.Fatalf("body = %v, want %v", got, want)
		}
		_, _, err := r.run("triggers", "update", "t1")
		wantCode(t, err, "validation_failed")
	})

	t.Run("ListShowEnableDisableDelete", func(t *testing.T) {
		out, _, err := r.run("triggers", "list", "--folder", "f1")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/triggers?folder_id=f1")
		if !strings.Contains(out, "t1") || !strings.Contains(out, "event.received") || !strings.Contains(out, "TARGET") {
			t.Fatalf("list:\n%s", out)
		}
		for _, c := range []struct{ cmd, method, path string }{
			{"show", "GET", "/api/v1/triggers/t1"},
			{"disable", "POST", "/api/v1/triggers/t1/disable"},
			{"enable", "POST", "/api/v1/triggers/t1/enable"},
			{"delete", "DELETE", "/api/v1/triggers/t1"},
		} {
			if _, _, err := r.run("triggers", c.cmd, "t1"); err != nil {
				t.Fatalf("%s: %v", c.cmd, err)
			}
			wantRequest(t, api.last(), c.method, c.path)
		}
	})

	t.Run("History", func(t *testing.T) {
		out, _, err := r.run("triggers", "history", "t1", "--status", "skipped")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/triggers/t1/history?status=skipped")
		if !strings.Contains(out, "filter did not match") || !strings.Contains(out, "order.refunded") {
			t.Fatalf("history:\n%s", out)
		}
	})

	t.Run("OneLineError", func(t *testing.T) {
		api.fail("POST /api/v1/triggers", http.StatusUnprocessableEntity, "validation_failed", "connector webhook has no events on object \"order\"")
		_, _, err := r.run("triggers", "create", "--folder", "f1", "--connection", "c1", "--object", "order",
			"--event", "e", "--target-queue", "q")
		wantCode(t, err, "validation_failed")
	})
}

func TestJobs(t *testing.T) {
	api := newFakeAPI(t)
	r := api.runner(t)
	job := map[string]any{
		"id": "j1", "trigger_id": "t1", "object_type": "issue", "event": "created", "object_id": "42",
		"payload": map[string]any{"title": "Broken build"}, "idempotency_key": "poll:42@2030", "target": "queue",
		"queue": "triage", "status": "claimed", "attempts": 1, "lease_expires_at": "2030-01-01T00:05:00Z",
		"created_at": "2030-01-01T00:00:00Z",
	}
	api.answer("GET /api/v1/jobs", 200, map[string]any{"items": []any{job}})
	api.answer("POST /api/v1/jobs/j1/complete", 200, job)
	api.answer("POST /api/v1/jobs/j1/fail", 200, job)

	t.Run("List", func(t *testing.T) {
		out, _, err := r.run("jobs", "list", "--queue", "triage", "--status", "claimed")
		if err != nil {
			t.Fatal(err)
		}
		wantRequest(t, api.last(), "GET", "/api/v1/jobs?queue=triage&status=claimed")
		if !strings.Contains(out, "j1") || !strings.Contains(out, "issue.created") {
			t.Fatalf("list:\n%s", out)
		}
	})

	t.Run("ClaimSomething", func(t *testing.T) {
		api.answer("POST /api/v1/jobs/claim", 200, map[string]any{"job": job})
		out, _, err := r.run("jobs", "claim", "--queue", "triage", "--wait", "20s", "--lease", "10m")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"queue": "triage", "wait_seconds": float64(20), "lease_seconds": float64(600)}
		if got := api.last().Body; !reflect.DeepEqual(got, want) {
			t.Fatalf("body = %v, want %v", got, want)
		}
		for _, s := range []string{"j1", "poll:42@2030", "Payload:", "Broken build"} {
			if !strings.Contains(out, s) {
				t.Fatalf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("ClaimNothing", func(t *testing.T) {
		api.answer("POST /api/v1/jobs/claim", 200, map[string]any{"job": nil})
		out, errOut, err := r.run("jobs", "claim", "--queue", "triage")
		if err != nil || out != "" || !strings.Contains(errOut, "No job") {
			t.Fatalf("out %q, stderr %q, err %v", out, errOut, err)
		}
		out, _, err = r.run("jobs", "claim", "--queue", "triage", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		if v := wantJSON(t, out); v["job"] != nil {
			t.Fatalf("json %v", v)
		}
		for _, args := range [][]string{{"--wait", "1m"}, {"--lease", "0s"}, {}} {
			a := append([]string{"jobs", "claim"}, args...)
			if len(args) > 0 {
				a = append(a, "--queue", "q")
			}
			_, _, err := r.run(a...)
			wantCode(t, err, "validation_failed")
		}
	})

	t.Run("CompleteAndFail", func(t *testing.T) {
		if _, _, err := r.run("jobs", "complete", "j1", "--result", `{"ticket": 7}`); err != nil {
			t.Fatal(err)
		}
		if got := api.last().Body; !reflect.DeepEqual(got, map[string]any{"result": map[string]any{"ticket": float64(7)}}) {
			t.Fatalf("complete body %v", got)
		}
		_, _, err := r.run("jobs", "complete", "j1", "--result", `{not json`)
		wantCode(t, err, "validation_failed")
		if _, _, err := r.run("jobs", "fail", "j1", "--error", "upstream down", "--retry"); err != nil {
			t.Fatal(err)
		}
		if got := api.last().Body; !reflect.DeepEqual(got, map[string]any{"error": "upstream down", "retry": true}) {
			t.Fatalf("fail body %v", got)
		}
		_, _, err = r.run("jobs", "fail", "j1")
		wantCode(t, err, "validation_failed")
		api.fail("POST /api/v1/jobs/j1/complete", http.StatusConflict, "conflict", "job j1 is not claimed by you")
		_, _, err = r.run("jobs", "complete", "j1")
		wantCode(t, err, "conflict")
	})
}
