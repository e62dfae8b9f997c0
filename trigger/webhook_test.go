package trigger_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

func ticketEvent(typ, id, priority string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "data": map[string]any{"id": id, "priority": priority}})
	return b
}

// TestWebhookIntake receives signed deliveries, answers the handshake,
// refuses bad signatures and keeps one job per event however often the
// vendor sends it.
func TestWebhookIntake(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created", Filter: `record.priority != "low"`}
			token := e.newTrigger(t, s, tr)

			// The token shown again is the one that works.
			again, err := trigger.OpenWebhookToken(e.ctx, db, e.ring, tr)
			must(t, err)
			if again.Reveal() != token || len(token) != 43 {
				t.Fatalf("token read back differs or is %d characters", len(token))
			}

			if _, err := s.rt.Intake(e.ctx, "no-such-token", trigger.WebhookRequest{Header: http.Header{}, Body: []byte(`{}`)}); !junction.IsCode(err, junction.ENOTFOUND) {
				t.Fatalf("unknown token: %v", err)
			}

			hs := []byte(`{"type":"url_verification","challenge":"c-123"}`)
			resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(hs, webhookSecret), Body: hs})
			must(t, err)
			if resp.StatusCode != 200 || string(resp.Body) != "c-123" {
				t.Fatalf("handshake answered %d %q", resp.StatusCode, resp.Body)
			}

			body := ticketEvent("ticket.created", "w1", "high")
			_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, "wrong-secret"), Body: body})
			if !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("bad signature: %v", err)
			}
			if strings.Contains(err.Error(), webhookSecret) {
				t.Fatal("the error shows the secret")
			}
			_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: http.Header{}, Body: body})
			if !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("missing signature: %v", err)
			}

			for range 2 { // the vendor redelivers
				resp, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
				must(t, err)
				if resp.StatusCode/100 != 2 {
					t.Fatalf("intake answered %d", resp.StatusCode)
				}
			}
			low := ticketEvent("ticket.created", "w2", "low")
			_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(low, webhookSecret), Body: low})
			must(t, err)
			// Another event type sent to this URL is acknowledged, not kept.
			other := ticketEvent("ticket.updated", "w1", "high")
			_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(other, webhookSecret), Body: other})
			must(t, err)

			js := e.jobs(t, tr.ID)
			wantStrings(t, "jobs", jobObjects(js), []string{"w1"})
			if js[0].Payload.(map[string]any)["type"] != "ticket.created" || !strings.HasPrefix(js[0].IdempotencyKey, "webhook:") {
				t.Fatalf("job = %+v", js[0])
			}
			var statuses []string
			for _, r := range e.history(t, tr.ID) {
				statuses = append(statuses, string(r.Status)+":"+r.ObjectID)
			}
			// Everything is recorded at intake, in order: the refused
			// signatures counted in one record, the redelivery as a
			// duplicate; the other event type adds nothing.
			wantStrings(t, "history", statuses, []string{"rejected_signature:", "fired:w1", "duplicate:w1", "skipped:w2"})
			got, err := db.GetTrigger(e.ctx, e.tenant.ID, tr.ID)
			must(t, err)
			if got.ConsecutiveFailures != 0 {
				t.Fatalf("bad signatures counted as trigger failures: %d", got.ConsecutiveFailures)
			}
		})
	}
}

// TestWebhookRepeats: the vendor's event ID, from the body or a header,
// identifies an event: the same event re-serialised, validly signed, is a
// repeat, acknowledged and recorded as duplicate, and makes no second job.
// Without an ID the body's hash does, so different bytes are different
// events.
func TestWebhookRepeats(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
			token := e.newTrigger(t, s, tr)
			deliver := func(body string, header ...string) {
				t.Helper()
				h := signed([]byte(body), webhookSecret)
				for i := 0; i+1 < len(header); i += 2 {
					h.Set(header[i], header[i+1])
				}
				resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: h, Body: []byte(body)})
				must(t, err)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("intake answered %d", resp.StatusCode)
				}
			}

			// The ID in the body: the same event with its keys in another
			// order and other spacing.
			deliver(`{"event_id":"ev-1","type":"ticket.created","data":{"id":"r1","priority":"high"}}`)
			deliver(`{ "type": "ticket.created", "data": {"priority": "high", "id": "r1"}, "event_id": "ev-1" }`)
			// The ID in a header, the body changed by a retry counter.
			deliver(`{"type":"ticket.created","data":{"id":"r2"},"attempt":1}`, "X-Event-Id", "delivery-9")
			deliver(`{"type":"ticket.created","data":{"id":"r2"},"attempt":2}`, "X-Event-Id", "delivery-9")
			// No ID: the body's hash, so only the very same bytes repeat.
			deliver(`{"type":"ticket.created","data":{"id":"r3"}}`)
			deliver(`{"type":"ticket.created","data":{"id":"r3"}}`)
			deliver(`{"type":"ticket.created", "data":{"id":"r3"}}`)

			js := e.jobs(t, tr.ID)
			wantStrings(t, "jobs", jobObjects(js), []string{"r1", "r2", "r3", "r3"})
			keys := map[string]string{}
			for _, j := range js {
				keys[j.IdempotencyKey] = j.ID
			}
			if keys["webhook-id:ev-1"] == "" || keys["webhook-id:delivery-9"] == "" {
				t.Fatalf("job keys %v", keys)
			}
			var statuses []string
			for _, r := range e.history(t, tr.ID) {
				statuses = append(statuses, string(r.Status)+":"+r.ObjectID)
				if r.Status == junction.TriggerDuplicate && (r.JobID == "" || r.JobID != keys[r.IdempotencyKey]) {
					t.Errorf("duplicate %+v does not name the first event's job", r)
				}
			}
			wantStrings(t, "history", statuses, []string{"fired:r1", "duplicate:r1", "fired:r2", "duplicate:r2",
				"fired:r3", "duplicate:r3", "fired:r3"})
		})
	}
}

// TestRejectedSignaturesCounted: deliveries with bad signatures add one
// history record per trigger and minute, however many arrive.
func TestRejectedSignaturesCounted(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
			token := e.newTrigger(t, s, tr)
			body := ticketEvent("ticket.created", "x", "high")
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h := signed(body, "forged")
					if i%2 == 0 {
						h = http.Header{}
					}
					if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: h, Body: body}); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
						t.Errorf("forged delivery: %v", err)
					}
				}()
			}
			wg.Wait()
			e.clock.Advance(time.Minute)
			if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, "forged"), Body: body}); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("forged delivery: %v", err)
			}
			h := e.history(t, tr.ID)
			if len(h) != 2 {
				t.Fatalf("history has %d records, want one per minute: %+v", len(h), h)
			}
			for i, want := range []int{40, 1} {
				if h[i].Status != junction.TriggerRejectedSignature || h[i].Count != want || !h[i].At.Equal(h[i].At.Truncate(time.Minute)) {
					t.Errorf("record %d = %+v, want %d rejected_signature at a minute", i, h[i], want)
				}
			}
		})
	}
}

// TestQueueTarget claims, completes, fails and re-claims jobs after a lease
// expires.
func TestQueueTarget(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	var woken atomic.Int32
	s := e.startServer(t, db, func(o *trigger.Options) { o.OnQueueJobs = func() { woken.Add(1) } })
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"}}
	token := e.newTrigger(t, s, tr)
	for _, id := range []string{"q1", "q2", "q2"} { // q2 sent twice makes one job
		body := ticketEvent("ticket.created", id, "high")
		_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
		must(t, err)
	}
	// Waiting workers are woken once per job made, when it has committed.
	if n := woken.Load(); n != 2 {
		t.Fatalf("OnQueueJobs called %d times for 2 jobs", n)
	}

	now := e.clock.Now()
	folders := []string{e.folder.ID}
	j1, err := db.ClaimJob(e.ctx, e.tenant.ID, folders, "inbox", "worker-a", time.Minute, now)
	must(t, err)
	j2, err := db.ClaimJob(e.ctx, e.tenant.ID, folders, "inbox", "worker-b", time.Minute, now)
	must(t, err)
	if j1.ObjectID != "q1" || j2.ObjectID != "q2" {
		t.Fatalf("claimed %s then %s, want them in the order they were received", j1.ObjectID, j2.ObjectID)
	}
	if _, err := db.ClaimJob(e.ctx, e.tenant.ID, folders, "inbox", "worker-c", time.Minute, now); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("third claim: %v", err)
	}
	done, err := db.CompleteJob(e.ctx, e.tenant.ID, j1.ID, "worker-a", map[string]any{"ok": true}, now)
	must(t, err)
	if done.Status != junction.JobCompleted {
		t.Fatalf("status %s", done.Status)
	}
	// worker-b's lease runs out; worker-c takes the job over and worker-b
	// can no longer complete it.
	later := now.Add(2 * time.Minute)
	j2c, err := db.ClaimJob(e.ctx, e.tenant.ID, folders, "inbox", "worker-c", time.Minute, later)
	must(t, err)
	if j2c.ID != j2.ID || j2c.Attempts != 2 {
		t.Fatalf("re-claimed %s attempt %d", j2c.ObjectID, j2c.Attempts)
	}
	if _, err := db.CompleteJob(e.ctx, e.tenant.ID, j2.ID, "worker-b", nil, later); !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("completion after losing the lease: %v", err)
	}
	failed, err := db.FailJob(e.ctx, e.tenant.ID, j2.ID, "worker-c", "no route", false, later)
	must(t, err)
	if failed.Status != junction.JobFailed || failed.Error != "no route" {
		t.Fatalf("failed job = %+v", failed)
	}
}

// target is a customer's webhook receiver that fails the first delivery
// with a 500 and records what it receives.
type target struct {
	*httptest.Server
	mu       sync.Mutex
	failures int
	got      []*http.Request
	bodies   [][]byte
}

func newTarget(t *testing.T, failures int) *target {
	tg := &target{failures: failures}
	tg.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		defer tg.mu.Unlock()
		tg.got = append(tg.got, r)
		tg.bodies = append(tg.bodies, b)
		if tg.failures > 0 {
			tg.failures--
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(tg.Close)
	return tg
}

// TestWebhookTargetDelivery delivers a job, signed, to a target that fails
// once, and checks the retry and the history.
func TestWebhookTargetDelivery(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	// httptest's TLS servers share one certificate, which the outbound
	// client trusts.
	tg := newTarget(t, 1)
	s := e.startServer(t, db)
	events := subscribe(t, s)

	// URLs the guard refuses are refused when the trigger is saved.
	bad := &junction.Trigger{Kind: junction.TriggerWebhook, Connector: "tickets", Object: "ticket", Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: "https://169.254.169.254/latest"}}
	if err := s.rt.Validate(e.ctx, bad); !junction.IsCode(err, junction.EOUTBOUNDBLOCKED) {
		t.Fatalf("metadata address: %v", err)
	}
	bad.Target.URL = "ftp://example.com/x"
	if err := s.rt.Validate(e.ctx, bad); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("ftp URL: %v", err)
	}

	secret := junction.NewSecret("target-signing-secret")
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: tg.URL + "/hooks/junction", SealedID: junction.NewID()}}
	sv, err := trigger.SealTargetSecret(e.ring, e.tenant.ID, tr.Target.SealedID, secret)
	must(t, err)
	must(t, db.PutSealed(e.ctx, sv))
	token := e.newTrigger(t, s, tr)

	body := ticketEvent("ticket.created", "d1", "high")
	_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	// The event's job makes the first attempt (the 500), and a delivery
	// job the retry (the success).
	waitJobs(t, events, trigger.KindDeliver, 1)

	js := e.jobs(t, tr.ID)
	if len(js) != 1 || js[0].Status != junction.JobCompleted || js[0].Attempts != 2 {
		t.Fatalf("jobs = %+v", js)
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if len(tg.got) != 2 {
		t.Fatalf("target got %d deliveries", len(tg.got))
	}
	for i, r := range tg.got {
		if !trigger.VerifySignature(secret, r.Header.Get(trigger.HeaderSignature), r.Header.Get(trigger.HeaderTimestamp),
			tg.bodies[i], e.clock.Now(), 5*time.Minute) {
			t.Fatalf("delivery %d: signature does not verify", i)
		}
		if r.Header.Get(trigger.HeaderIdempotencyKey) != js[0].IdempotencyKey {
			t.Fatalf("delivery %d: idempotency key %q", i, r.Header.Get(trigger.HeaderIdempotencyKey))
		}
	}
	var d trigger.Delivery
	must(t, json.Unmarshal(tg.bodies[1], &d))
	if d.JobID != js[0].ID || d.ObjectID != "d1" || d.Event != "created" {
		t.Fatalf("delivery = %+v", d)
	}
	var statuses []string
	for _, r := range e.history(t, tr.ID) {
		statuses = append(statuses, string(r.Status))
	}
	wantStrings(t, "history", statuses, []string{"fired", "failed"})
	got, err := db.GetTrigger(e.ctx, e.tenant.ID, tr.ID)
	must(t, err)
	if got.ConsecutiveFailures != 0 || got.LastSuccessAt == nil {
		t.Fatalf("health after a retried success: %d failures, last success %v", got.ConsecutiveFailures, got.LastSuccessAt)
	}
}

// TestFirstDeliveryFallback: the server that takes in an event makes the
// first delivery attempt of its job itself and then deletes the fallback
// queue job inserted with it. A server stopped before it could record the
// attempt leaves the fallback, which a server starting on the database
// runs at once, delivering the job.
func TestFirstDeliveryFallback(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	tg := newHeldTarget(t)
	s := e.startServer(t, db)
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: tg.URL + "/in"}}
	token := e.newTrigger(t, s, tr)
	fallbacks := func(c *river.Client[*sql.Tx]) []*rivertype.JobRow {
		res, err := c.JobList(e.ctx, river.NewJobListParams().Kinds(trigger.KindFirstDeliveries).
			States(rivertype.JobStateScheduled, rivertype.JobStateAvailable, rivertype.JobStateRunning,
				rivertype.JobStateRetryable, rivertype.JobStateCompleted))
		must(t, err)
		return res.Jobs
	}

	// Stopped with the attempt under way: nothing is recorded and the
	// fallback stays scheduled.
	body := ticketEvent("ticket.created", "f1", "high")
	_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	if got := <-tg.arrived; got != "f1" {
		t.Fatalf("first attempt for %s", got)
	}
	stopped, cancel := context.WithCancel(e.ctx)
	cancel()
	if err := s.rt.Close(stopped); !errors.Is(err, context.Canceled) {
		t.Fatalf("close with attempts under way: %v", err)
	}
	must(t, s.queue.Stop(e.ctx))
	js := e.jobs(t, tr.ID)
	if len(js) != 1 || js[0].Status != junction.JobPending || js[0].Attempts != 0 {
		t.Fatalf("job after the cut-short attempt: %+v", js)
	}
	if fb := fallbacks(s.queue.Client()); len(fb) != 1 || fb[0].State != rivertype.JobStateScheduled {
		t.Fatalf("fallback jobs: %+v", fb)
	}
	for _, r := range e.history(t, tr.ID) {
		if r.Status != junction.TriggerFired {
			t.Fatalf("a shutdown was recorded as %s: %s", r.Status, r.Reason)
		}
	}

	// The next server runs the fallback at once.
	tg.setHold(false)
	s2 := e.startServer(t, db)
	n, err := s2.rt.ResumeFirstDeliveries(e.ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("resumed %d fallbacks, want 1", n)
	}
	waitFor(t, "the fallback's delivery", func() bool {
		js := e.jobs(t, tr.ID)
		return len(js) == 1 && js[0].Status == junction.JobCompleted
	})

	// Made from memory: the fallback is deleted with the outcome.
	body = ticketEvent("ticket.created", "f2", "high")
	_, err = s2.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	waitFor(t, "the second delivery", func() bool {
		for _, j := range e.jobs(t, tr.ID) {
			if j.ObjectID == "f2" {
				return j.Status == junction.JobCompleted && j.Attempts == 1
			}
		}
		return false
	})
	var f2 string
	for _, j := range e.jobs(t, tr.ID) {
		if j.ObjectID == "f2" {
			f2 = j.ID
		}
	}
	for _, fb := range fallbacks(s2.queue.Client()) {
		if strings.Contains(string(fb.EncodedArgs), f2) {
			t.Fatalf("the fallback of a delivery made from memory is left, %s", fb.State)
		}
	}
	wantStrings(t, "deliveries answered", tg.answered(), []string{"f1", "f2"})
}

// TestFirstDeliveriesOverflowToQueue: with the jobs held in memory for
// their first attempt at the bound (a target that does not answer), the
// next group is handed to the queue, whose workers deliver it meanwhile.
func TestFirstDeliveriesOverflowToQueue(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	tg := newHeldTarget(t)
	s := e.startServer(t, db, func(o *trigger.Options) { o.FirstAttemptJobs = 1 })
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: tg.URL + "/in"}}
	token := e.newTrigger(t, s, tr)
	body := ticketEvent("ticket.created", "o1", "high")
	_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	if got := <-tg.arrived; got != "o1" {
		t.Fatalf("first attempt for %s", got)
	}
	tg.setHold(false)
	body = ticketEvent("ticket.created", "o2", "high")
	_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	waitFor(t, "o2 delivered through the queue while o1 is held", func() bool {
		return slices.Equal(tg.answered(), []string{"o2"})
	})
	tg.release()
	waitFor(t, "o1 delivered once released", func() bool {
		return slices.Equal(tg.answered(), []string{"o2", "o1"})
	})
}

// heldTarget is a webhook target that, while holding, keeps each delivery
// waiting (reporting it on arrived) until released or abandoned; otherwise
// it answers 204 and notes the delivery's object ID.
type heldTarget struct {
	*httptest.Server
	arrived chan string
	// release lets the held deliveries go on.
	release func()
	mu      sync.Mutex
	hold    bool
	ok      []string
}

func newHeldTarget(t *testing.T) *heldTarget {
	h := &heldTarget{arrived: make(chan string, 10), hold: true}
	release := make(chan struct{})
	h.release = sync.OnceFunc(func() { close(release) })
	h.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d trigger.Delivery
		_ = json.NewDecoder(r.Body).Decode(&d)
		h.mu.Lock()
		held := h.hold
		h.mu.Unlock()
		if held {
			h.arrived <- d.ObjectID
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		h.mu.Lock()
		h.ok = append(h.ok, d.ObjectID)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	t.Cleanup(h.release)
	return h
}

func (h *heldTarget) setHold(on bool) {
	h.mu.Lock()
	h.hold = on
	h.mu.Unlock()
}

// answered returns the object IDs of the deliveries answered 204.
func (h *heldTarget) answered() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ok)
}

// TestWebhookIntakeMethods answers a declared HEAD check on an enabled or
// disabled trigger, refuses an undeclared GET, and answers a POSTed
// handshake only while the trigger is enabled.
func TestWebhookIntakeMethods(t *testing.T) {
	db := sqldbtest.Backends(t)[0].Open(t, sqldb.Options{})
	e := newEnv(t, db)
	s := e.startServer(t, db)
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
	token := e.newTrigger(t, s, tr)
	head := func() {
		t.Helper()
		resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Method: http.MethodHead})
		if err != nil || resp.StatusCode != http.StatusOK || len(resp.Body) != 0 {
			t.Fatalf("HEAD: %+v, %v", resp, err)
		}
	}
	head()
	if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Method: http.MethodGet, Query: url.Values{"challenge": {"x"}}}); !junction.IsCode(err, junction.EMETHODNOTALLOWED) {
		t.Fatalf("undeclared GET: %v", err)
	}
	if _, err := s.rt.Intake(e.ctx, "no-such-token", trigger.WebhookRequest{Method: http.MethodHead}); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("HEAD of an unknown token: %v", err)
	}

	got, err := db.GetTrigger(e.ctx, e.tenant.ID, tr.ID)
	must(t, err)
	got.Enabled = false
	must(t, db.UpdateTrigger(e.ctx, got))
	head()
	hs := []byte(`{"type":"url_verification","challenge":"c-9"}`)
	resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Body: hs})
	must(t, err)
	if string(resp.Body) == "c-9" {
		t.Fatalf("a disabled trigger answered a POSTed handshake")
	}
}

// TestDeliveryGivingUpRecordsJobFailed: a job whose every delivery attempt
// fails ends failed, with a job.failed event for the notifications.
func TestDeliveryGivingUpRecordsJobFailed(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	tg := newTarget(t, 100)
	s := e.startServer(t, db, func(o *trigger.Options) { o.DeliveryAttempts = 2 })
	events := subscribe(t, s)
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: tg.URL + "/in"}}
	token := e.newTrigger(t, s, tr)
	body := ticketEvent("ticket.created", "d1", "high")
	_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	waitJobs(t, events, trigger.KindDeliver, 1)

	js := e.jobs(t, tr.ID)
	if len(js) != 1 || js[0].Status != junction.JobFailed {
		t.Fatalf("jobs = %+v", js)
	}
	evs, err := db.ListEvents(e.ctx, e.tenant.ID, junction.Page{})
	must(t, err)
	var failed []*junction.Event
	for _, ev := range evs {
		if ev.Type == junction.EventJobFailed {
			failed = append(failed, ev)
		}
	}
	if len(failed) != 1 || failed[0].ObjectID != js[0].ID || failed[0].FolderID != js[0].FolderID ||
		!strings.Contains(failed[0].Details["reason"].(string), "HTTP 500") {
		t.Fatalf("job.failed events = %+v", failed)
	}
}
