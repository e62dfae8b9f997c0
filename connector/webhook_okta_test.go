package connector_test

import (
	"net/http"
	"testing"

	"junction/connector"
)

// oktaDelivery is the sample event delivery of Okta's event hooks
// documentation (https://developer.okta.com/docs/concepts/event-hooks/,
// "Sample event delivery payload"), a user.lifecycle.create event beside
// a sign-in.
const oktaDelivery = `{
  "eventType": "com.okta.event_hook",
  "eventTypeVersion": "1.0",
  "cloudEventsVersion": "0.1",
  "source": "https://acme.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3",
  "eventId": "b5a188b9-5ece-4636-b041-482ffda96311",
  "data": {
    "events": [
      {
        "uuid": "4a0e3f8c-0c9d-11ea-b2a2-5f4a0e3f8c01",
        "published": "2019-11-21T16:39:40.424Z",
        "eventType": "user.lifecycle.create",
        "version": "0",
        "displayMessage": "Create Okta user",
        "severity": "INFO",
        "actor": {"id": "00uo7f2kylJ9PXXXXXXX", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin"},
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": "00u1a2b3c4D5E6F7G8h9", "type": "User", "alternateId": "new.hire@example.com", "displayName": "New Hire"}]
      },
      {
        "uuid": "79d4b4d5-0c9d-11ea-8f45-f5e3b1d3d3d1",
        "published": "2019-11-21T16:39:41.014Z",
        "eventType": "user.session.start",
        "version": "0",
        "displayMessage": "User login to Okta",
        "severity": "INFO",
        "actor": {"id": "00u1a2b3c4D5E6F7G8h9", "type": "User", "alternateId": "new.hire@example.com", "displayName": "New Hire"},
        "outcome": {"result": "SUCCESS"}
      }
    ]
  },
  "eventTime": "2019-11-21T16:39:41.014Z",
  "contentType": "application/json"
}`

func TestWebhookOkta(t *testing.T) {
	d := catalogCDefinition(t, "okta")
	const secret = "okta-hook-3f9a1c7e5b"
	cred := connector.Credentials{Auth: "api_token", Fields: map[string]string{"okta_domain": "acme.okta.com"},
		Secrets: secrets("api_token", "00abc", "event_hook_secret", secret)}

	t.Run("Verification", func(t *testing.T) {
		// https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request
		hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Method: http.MethodGet,
			Header: headers("X-Okta-Verification-Challenge", "rHNSMx0ZqLNfnyU5TGM-Tgn1OjUgF0rJj9nVjaHcwBY", "Authorization", secret)})
		if err != nil || hs == nil || hs.StatusCode != 200 || hs.ContentType != "application/json" ||
			string(hs.Body) != `{"verification":"rHNSMx0ZqLNfnyU5TGM-Tgn1OjUgF0rJj9nVjaHcwBY"}`+"\n" {
			t.Fatalf("verification = %+v, %v", hs, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		req := connector.WebhookRequest{Header: headers("Authorization", secret, "Content-Type", "application/json"), Body: []byte(oktaDelivery)}
		if err := d.VerifyWebhookRequest(cred, req, now); err != nil {
			t.Fatal(err)
		}
		evs, _, err := d.ParseWebhookEvents(cred, req)
		if err != nil || len(evs) != 2 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		if e := evs[0]; e.Object != "user" || e.Event != "created" || e.ObjectID != "00u1a2b3c4D5E6F7G8h9" || e.EventID != "4a0e3f8c-0c9d-11ea-b2a2-5f4a0e3f8c01" {
			t.Errorf("first event = %s.%s %q %q", e.Object, e.Event, e.ObjectID, e.EventID)
		}
		if e := evs[1]; e.Object != "log_event" || e.Event != "delivered" || e.ObjectID != "79d4b4d5-0c9d-11ea-8f45-f5e3b1d3d3d1" {
			t.Errorf("second event = %s.%s %q", e.Object, e.Event, e.ObjectID)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		req := connector.WebhookRequest{Header: headers("Authorization", "guess"), Body: []byte(oktaDelivery)}
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now), secret)
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, connector.WebhookRequest{Body: []byte(oktaDelivery)}, now), secret)
	})
}
