package trigger_test

import (
	"net/http"
	"testing"

	"junction"
	"junction/engine"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestWebhookBatch: a delivery that batches events makes one job per event
// for the trigger, each identified by its own event ID or, lacking one, by
// the delivery's hash and its place in the batch, so a redelivery makes
// none; an empty batch is acknowledged. Each is answered with the
// connector's answer rather than Junction's own.
func TestWebhookBatch(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			conn := e.newBatchConnection(t)
			tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created", ConnectionID: conn.ID}
			token := e.newTrigger(t, s, tr)
			deliver := func(body string) {
				t.Helper()
				resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed([]byte(body), webhookSecret), Body: []byte(body)})
				must(t, err)
				if resp.StatusCode != http.StatusOK || string(resp.Body) != `{"received":true}` {
					t.Fatalf("intake answered %d %s", resp.StatusCode, resp.Body)
				}
			}
			batch := `{"events":[` +
				`{"event_id":"e1","type":"ticket.created","data":{"id":"w1","priority":"high"}},` +
				`{"event_id":"e2","type":"ticket.updated","data":{"id":"w2"}},` +
				`{"type":"ticket.created","data":{"id":"w3"}}]}`
			deliver(batch)
			deliver(batch) // the vendor redelivers
			deliver(`{"events":[]}`)

			_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed([]byte(batch), "wrong-secret"), Body: []byte(batch)})
			if !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("bad signature: %v", err)
			}

			js := e.jobs(t, tr.ID)
			wantStrings(t, "jobs", jobObjects(js), []string{"w1", "w3"})
			for _, j := range js {
				p, _ := j.Payload.(map[string]any)
				if _, whole := p["events"]; whole || p["type"] != "ticket.created" {
					t.Errorf("job %s payload = %v, want its event alone", j.ObjectID, j.Payload)
				}
			}
			var statuses []string
			for _, r := range e.history(t, tr.ID) {
				statuses = append(statuses, string(r.Status)+":"+r.ObjectID)
			}
			wantStrings(t, "history", statuses, []string{"fired:w1", "fired:w3", "duplicate:w1", "duplicate:w3", "rejected_signature:"})
		})
	}
}

// newBatchConnection connects to the ticket API whose webhooks batch
// events.
func (e *env) newBatchConnection(t testing.TB) *junction.Connection {
	t.Helper()
	c := &junction.Connection{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, Connector: "ticket-batches",
		Name: "batches", AuthType: "api_key", Status: junction.ConnectionConnected, PollIntervalMinutes: 5,
		Fields: map[string]junction.FieldValue{
			"base_url":       {Value: e.api.URL},
			"api_key":        {Set: true},
			"webhook_secret": {Set: true},
		}}
	c.SecretsSealedID = junction.NewID()
	sv, err := engine.SealSecrets(e.ring, c.TenantID, c.SecretsSealedID, map[string]junction.Secret{
		"api_key": junction.NewSecret(apiKey), "webhook_secret": junction.NewSecret(webhookSecret)})
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateConnection(e.ctx, c))
	return c
}
