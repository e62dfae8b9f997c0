package trigger_test

import (
	"net/http"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// An ID holding a NUL in an API's answer or a vendor's delivery fires like
// any other, on both databases: PostgreSQL keeps no NUL in text, so the ID
// is kept with the NUL written as \u0000 in the job, the trigger history
// and the idempotency key, where it failed the poll or the delivery.
func TestUpstreamIDWithNUL(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("Poll", func(t *testing.T) {
				db := b.Open(t, sqldb.Options{})
				e := newEnv(t, db)
				s := e.startServer(t, db)
				created := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
				e.newTrigger(t, s, created)
				e.poll(t, s, e.conn, "created") // the baseline
				at := start.Add(time.Minute)
				e.api.put("t\x00x", at, at, map[string]any{"priority": "hi\x00gh"})
				e.clock.Advance(5 * time.Minute)
				e.poll(t, s, e.conn, "created")
				e.clock.Advance(5 * time.Minute)
				e.poll(t, s, e.conn, "created") // the look-back finds it again
				wantStrings(t, "jobs", jobObjects(e.jobs(t, created.ID)), []string{`t\u0000x`})
				js := e.jobs(t, created.ID)
				if p, ok := js[0].Payload.(map[string]any); !ok || p["priority"] != "hi\x00gh" {
					t.Fatalf("payload = %#v", js[0].Payload)
				}
				h := e.history(t, created.ID)
				if len(h) != 1 || h[0].ObjectID != `t\u0000x` || h[0].Status != junction.TriggerFired {
					t.Fatalf("history = %+v", h)
				}
			})

			t.Run("Webhook", func(t *testing.T) {
				db := b.Open(t, sqldb.Options{})
				e := newEnv(t, db)
				s := e.startServer(t, db)
				tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
				token := e.newTrigger(t, s, tr)
				body := ticketEvent("ticket.created", "w\x001", "high")
				resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
				must(t, err)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("intake answered %d", resp.StatusCode)
				}
				wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{`w\u00001`})
			})
		})
	}
}
