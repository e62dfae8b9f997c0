package trigger_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestWebhookWooCommercePing: the unsigned ping WooCommerce sends when a
// webhook is saved (WC_Webhook::deliver_ping: POST webhook_id=<ID>, which
// must be answered 200) is answered, makes no job and is recorded as a
// ping, once a minute; a forged unsigned delivery that is not the ping is
// still refused, and a signed order fires the trigger.
func TestWebhookWooCommercePing(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			const secret = "wc-secret-planted-7f3a"
			conn := e.newWooCommerceConnection(t, secret)
			tr, token := e.newWooCommerceTrigger(t, conn)

			ping := func() (*trigger.Response, error) {
				return s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Method: http.MethodPost,
					Header: http.Header{
						"User-Agent":   {"WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)"},
						"Content-Type": {"application/x-www-form-urlencoded"},
					},
					Body: []byte("webhook_id=42")})
			}
			resp, err := ping()
			must(t, err)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("ping answered %d, want 200", resp.StatusCode)
			}
			if strings.Contains(string(resp.Body), secret) {
				t.Fatal("the answer holds the secret")
			}
			// Pings in the same minute make no second record.
			for range 5 {
				if _, err := ping(); err != nil {
					t.Fatal(err)
				}
			}

			// Forged unsigned deliveries that are not the ping.
			order := []byte(`{"id":727,"number":"727","status":"processing","total":"29.35"}`)
			for name, req := range map[string]trigger.WebhookRequest{
				"Order": {Header: http.Header{"Content-Type": {"application/json"}, "X-Wc-Webhook-Topic": {"order.created"}}, Body: order},
				"PingWithMore": {Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
					Body: []byte("webhook_id=42&id=727&status=processing")},
				"PingNotAnID": {Body: []byte("webhook_id=42%0A")},
			} {
				if _, err := s.rt.Intake(e.ctx, token, req); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
					t.Errorf("%s: %v, want unauthenticated", name, err)
				}
			}
			if js := e.jobs(t, tr.ID); len(js) != 0 {
				t.Fatalf("%d jobs after a ping and forgeries", len(js))
			}

			// A signed order fires, and a ping a minute later is recorded.
			_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: http.Header{
				"Content-Type":             {"application/json"},
				"X-Wc-Webhook-Topic":       {"order.created"},
				"X-Wc-Webhook-Delivery-Id": {"b1d9"},
				"X-Wc-Webhook-Signature":   {wooSign(secret, order)},
				"X-Wc-Webhook-Resource":    {"order"},
				"X-Wc-Webhook-Event":       {"created"},
				"X-Wc-Webhook-Id":          {"42"},
				"X-Wc-Webhook-Source":      {"https://shop.example.com/"},
			}, Body: order})
			must(t, err)
			wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{"727"})
			e.clock.Advance(time.Minute)
			if _, err := ping(); err != nil {
				t.Fatal(err)
			}

			var got []string
			for _, r := range e.history(t, tr.ID) {
				got = append(got, string(r.Status))
				if r.Status == junction.TriggerPing && (r.JobID != "" || r.Count != 1 || r.Reason == "") {
					t.Errorf("ping record %+v", r)
				}
			}
			wantStrings(t, "history", got, []string{"ping", "rejected_signature", "fired", "ping"})
			hist, err := json.Marshal(e.history(t, tr.ID))
			must(t, err)
			credstoretest.AssertNoLeak(t, "history", string(hist), junction.NewSecret(secret))
		})
	}
}

func wooSign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// newWooCommerceConnection connects to a store with a REST API key and
// the secret its webhooks are signed with.
func (e *env) newWooCommerceConnection(t testing.TB, webhookSecret string) *junction.Connection {
	t.Helper()
	c := &junction.Connection{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, Connector: "woocommerce",
		Name: "shop", AuthType: "api_key", Status: junction.ConnectionConnected, PollIntervalMinutes: 5,
		Fields: map[string]junction.FieldValue{"store_host": {Value: "shop.example.com"}, "consumer_key": {Value: "ck_1"},
			"consumer_secret": {Set: true}, "webhook_secret": {Set: true}}}
	c.SecretsSealedID = junction.NewID()
	sv, err := engine.SealSecrets(e.ring, c.TenantID, c.SecretsSealedID, map[string]junction.Secret{
		"consumer_secret": junction.NewSecret("cs_1"), "webhook_secret": junction.NewSecret(webhookSecret)})
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateConnection(e.ctx, c))
	return c
}

// newWooCommerceTrigger saves a webhook trigger on order.created and
// returns it with its URL token.
func (e *env) newWooCommerceTrigger(t testing.TB, c *junction.Connection) (*junction.Trigger, string) {
	t.Helper()
	tr := &junction.Trigger{ID: junction.NewID(), TenantID: c.TenantID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: "woocommerce", Object: "order", Event: "created", Kind: junction.TriggerWebhook, Enabled: true,
		Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"}, CreatedAt: e.clock.Now()}
	tok, hash, err := trigger.NewWebhookToken()
	must(t, err)
	tr.WebhookTokenHash, tr.WebhookTokenSealedID = hash, junction.NewID()
	sv, err := trigger.SealWebhookToken(e.ring, tr.TenantID, tr.WebhookTokenSealedID, tok)
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateTrigger(e.ctx, tr))
	return tr, tok.Reveal()
}
