package trigger_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"junction"
	"junction/engine"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// storedEventArgs is the queue job with which an earlier version of the
// runtime, which stored each webhook event before firing its trigger, had
// the event processed.
type storedEventArgs struct {
	TenantID string `json:"tenant_id"`
	EventID  string `json:"event_id"`
}

func (storedEventArgs) Kind() string { return trigger.KindWebhookEvent }

// TestStoredEventsAreWorkedOff processes a webhook event stored and queued
// by an earlier version, as a database upgraded with work in flight holds:
// the event makes its job once, and the clean-up removes it after the
// retention, leaving the job.
func TestStoredEventsAreWorkedOff(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	s := e.startServer(t, db)
	events := subscribe(t, s)
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
	e.newTrigger(t, s, tr)
	te := &junction.TriggerEvent{TenantID: e.tenant.ID, TriggerID: tr.ID, EventType: "ticket.created",
		ObjectID: "c1", IdempotencyKey: "webhook:c1", ReceivedAt: e.clock.Now(),
		Payload: []byte(`{"vendor_type":"ticket.created","record":{"id":"c1","priority":"high"},` +
			`"payload":{"type":"ticket.created","data":{"id":"c1","priority":"high"}}}`)}
	must(t, db.CreateTriggerEvent(e.ctx, te))
	for range 2 { // a job run twice makes one job
		_, err := s.queue.Insert(e.ctx, storedEventArgs{TenantID: e.tenant.ID, EventID: te.ID}, nil)
		must(t, err)
	}
	waitJobs(t, events, trigger.KindWebhookEvent, 2)
	wantStrings(t, "jobs of the stored event", jobObjects(e.jobs(t, tr.ID)), []string{"c1"})

	n, err := s.rt.CleanUp(e.ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("removed %d events processed just now", n)
	}
	e.clock.Advance(trigger.DefaultEventRetention + time.Minute)
	n, err = s.rt.CleanUp(e.ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("removed %d events past the retention, want 1", n)
	}
	wantStrings(t, "jobs after the clean-up", jobObjects(e.jobs(t, tr.ID)), []string{"c1"})
}

// TestCleanUpForgetsExecutionInputs: the hourly clean-up has the engine
// forget what failed executions kept to be retried, once past its
// retention.
func TestCleanUpForgetsExecutionInputs(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	s := e.startServer(t, db)
	res, err := s.eng.Execute(e.ctx, engine.ExecuteRequest{Connection: e.conn, Object: "ticket", Operation: "list",
		Input: map[string]any{"unknown": "personal data"}})
	if err == nil {
		t.Fatal("an execution with an unknown input succeeded")
	}
	must(t, s.eng.Flush(e.ctx))
	x, err := db.GetExecution(e.ctx, e.tenant.ID, res.ExecutionID)
	must(t, err)
	if x.InputSealedID == "" {
		t.Fatal("the failed execution kept no input")
	}
	_, err = s.rt.CleanUp(e.ctx)
	must(t, err)
	if _, err := s.eng.KeptRequest(e.ctx, x); err != nil {
		t.Fatalf("the input is gone within its retention: %v", err)
	}
	e.clock.Advance(engine.DefaultInputRetention + time.Minute)
	_, err = s.rt.CleanUp(e.ctx)
	must(t, err)
	x, err = db.GetExecution(e.ctx, e.tenant.ID, res.ExecutionID)
	must(t, err)
	if _, err := s.eng.KeptRequest(e.ctx, x); !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("the input past its retention: %v", err)
	}
}

// TestDisabledTriggerStopsDeliveries disables a trigger while a delivery
// to its target is failing: the job fails instead of being retried.
func TestDisabledTriggerStopsDeliveries(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	arrived, release := make(chan struct{}), make(chan struct{})
	calls := 0
	tg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++ // the handler runs once: the job is not retried
		arrived <- struct{}{}
		<-release
		http.Error(w, "try later", http.StatusInternalServerError)
	}))
	t.Cleanup(tg.Close)
	s := e.startServer(t, db)
	events := subscribe(t, s)
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: tg.URL + "/in"}}
	token := e.newTrigger(t, s, tr)
	body := ticketEvent("ticket.created", "d1", "high")
	_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)

	<-arrived
	got, err := db.GetTrigger(e.ctx, e.tenant.ID, tr.ID)
	must(t, err)
	got.Enabled = false
	must(t, db.UpdateTrigger(e.ctx, got))
	close(release)
	// The event's job makes the failed attempt; the delivery job retrying
	// it stops.
	waitJobs(t, events, trigger.KindDeliver, 1)

	js := e.jobs(t, tr.ID)
	if len(js) != 1 || js[0].Status != junction.JobFailed || js[0].Attempts != 1 {
		t.Fatalf("jobs = %+v", js)
	}
	if calls != 1 {
		t.Fatalf("the target was called %d times", calls)
	}
}

// TestMetrics counts intake results, events by outcome, polls and
// deliveries on the registry given in Options.
func TestMetrics(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	reg := prometheus.NewRegistry()
	s := e.startServer(t, db, func(o *trigger.Options) { o.Registerer = reg })

	hook := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created", Filter: `record.priority != "low"`}
	token := e.newTrigger(t, s, hook)
	for _, b := range [][]byte{ticketEvent("ticket.created", "m1", "high"), ticketEvent("ticket.created", "m2", "low")} {
		_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(b, webhookSecret), Body: b})
		must(t, err)
	}
	bad := ticketEvent("ticket.created", "m3", "high")
	if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(bad, "wrong"), Body: bad}); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
		t.Fatalf("bad signature: %v", err)
	}
	huge := bytes.Repeat([]byte("x"), trigger.MaxWebhookBody+1)
	if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(huge, webhookSecret), Body: huge}); !junction.IsCode(err, junction.ETOOLARGE) {
		t.Fatalf("large body: %v", err)
	}
	polled := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
	e.newTrigger(t, s, polled)
	e.poll(t, s, e.conn, "created")
	e.api.setFailing(true)
	e.clock.Advance(5 * time.Minute)
	e.poll(t, s, e.conn, "created")

	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"junction_trigger_webhook_intake_total", "result", "accepted", 2},
		{"junction_trigger_webhook_intake_total", "result", "bad_signature", 1},
		{"junction_trigger_webhook_intake_total", "result", "too_large", 1},
		{"junction_trigger_events_total", "outcome", "fired", 1},
		{"junction_trigger_events_total", "outcome", "skipped", 1},
		{"junction_trigger_events_total", "outcome", "failed", 1}, // the failed poll
		{"junction_trigger_events_total", "outcome", "rejected_signature", 1},
		{"junction_trigger_events_total", "outcome", "duplicate", 0},
		{"junction_trigger_events_total", "outcome", "disabled", 0},
		{"junction_trigger_polls_total", "result", "ok", 1},
		{"junction_trigger_polls_total", "result", "failed", 1},
	} {
		if got := metricValue(t, reg, c.name, c.label, c.value); got != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, got, c.want)
		}
	}
}

// metricValue reads one counter series from reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	must(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}
