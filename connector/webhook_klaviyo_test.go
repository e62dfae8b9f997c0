package connector_test

import (
	"net/http"
	"testing"
	"time"

	"junction/connector"
)

// klaviyoDelivery is a system webhook delivery shaped as Klaviyo's guide
// describes it (https://developers.klaviyo.com/en/docs/working_with_system_webhooks,
// "Webhook request structure"): data[] of topic, external_id and the event
// as the Get Event API returns it, and meta.
const klaviyoDelivery = `{"meta":{"timestamp":"2026-04-13T22:50:12.204311+00:00","klaviyo_webhook_id":"01JZ8V4M2Q7T9XK3N5B6C1D0EF","klaviyo_account_id":"Ux7TqA","version":"2024-06-28"},` +
	`"data":[{"topic":"event:klaviyo.unsubscribed_from_email_marketing","external_id":"R8kd2PqLm4Z",` +
	`"payload":{"data":{"id":"R8kd2PqLm4Z","type":"event","attributes":{"timestamp":1776120000,"event_properties":{"email_address":"ann@example.com"}}}}}]}`

func TestWebhookKlaviyo(t *testing.T) {
	d := catalogCDefinition(t, "klaviyo")
	const secret = "klaviyo-secret-key-0123"
	at := time.Date(2026, 4, 13, 22, 50, 12, 0, time.UTC)
	cred := connector.Credentials{Auth: "api_key", Secrets: secrets("api_key", "pk_x", "webhook_secret", secret)}
	req := func(key string, ts time.Time) connector.WebhookRequest {
		stamp := ts.Format(http.TimeFormat)
		return connector.WebhookRequest{Body: []byte(klaviyoDelivery),
			Header: headers("Klaviyo-Signature", hmacHex(key, klaviyoDelivery+stamp), "Klaviyo-Timestamp", stamp, "Content-Type", "application/json")}
	}

	t.Run("OK", func(t *testing.T) {
		if err := d.VerifyWebhookRequest(cred, req(secret, at), at.Add(18*time.Second)); err != nil {
			t.Fatal(err)
		}
		evs, _, err := d.ParseWebhookEvents(cred, req(secret, at))
		if err != nil || len(evs) != 1 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		if e := evs[0]; e.Object != "event" || e.Event != "delivered" || e.ObjectID != "R8kd2PqLm4Z" ||
			e.VendorType != "event:klaviyo.unsubscribed_from_email_marketing" || e.EventID != "R8kd2PqLm4Z" {
			t.Errorf("event = %s.%s %q %s %q", e.Object, e.Event, e.ObjectID, e.VendorType, e.EventID)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req("another-secret-key-000", at), at), secret)
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(secret, at), at.Add(10*time.Minute)), secret)
	})
}
