package connector_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"junction/connector"
)

// hubspotBatch is the example delivery of HubSpot's webhooks documentation
// (https://developers.hubspot.com/docs/api/webhooks, "Example payload"):
// a JSON array of events, here a property change and a creation.
const hubspotBatch = `[
  {
    "objectId": 1246965,
    "propertyName": "lifecyclestage",
    "propertyValue": "subscriber",
    "changeSource": "ACADEMY",
    "eventId": 3816279340,
    "subscriptionId": 25,
    "portalId": 33,
    "appId": 1160452,
    "occurredAt": 1462216307945,
    "subscriptionType": "contact.propertyChange",
    "attemptNumber": 0
  },
  {
    "objectId": 1246978,
    "changeSource": "IMPORT",
    "eventId": 3816279480,
    "subscriptionId": 22,
    "portalId": 33,
    "appId": 1160452,
    "occurredAt": 1462216307945,
    "subscriptionType": "contact.creation",
    "attemptNumber": 0
  }
]`

// hubspotRequest signs a delivery as HubSpot's v3 signature is documented
// (https://developers.hubspot.com/docs/api/webhooks/validating-requests,
// "Validate the v3 request signature"): base64 HMAC-SHA256, keyed by the
// app's client secret, of method + URI + body + timestamp in milliseconds.
func hubspotRequest(secret, uri, body string, tsMillis int64) connector.WebhookRequest {
	ts := strconv.FormatInt(tsMillis, 10)
	return connector.WebhookRequest{Method: http.MethodPost, URL: uri, Body: []byte(body),
		Header: headers("X-HubSpot-Signature-v3", hmacBase64(secret, "POST"+uri+body+ts), "X-HubSpot-Request-Timestamp", ts,
			"Content-Type", "application/json")}
}

func TestWebhookHubSpotBatch(t *testing.T) {
	d := catalogCDefinition(t, "hubspot-crm")
	const secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	const uri = "https://junction.example.com/hooks/whk_abc123"
	cred := connector.Credentials{Auth: "private_app", Fields: map[string]string{"portal_id": "33"},
		Secrets: secrets("access_token", "pat-na1-x", "webhook_client_secret", secret)}

	t.Run("OK", func(t *testing.T) {
		req := hubspotRequest(secret, uri, hubspotBatch, now.UnixMilli()-30_000)
		if err := d.VerifyWebhookRequest(cred, req, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, req)
		if err != nil || hs != nil || len(evs) != 2 {
			t.Fatalf("ParseWebhookEvents = %d events, %v, %v", len(evs), hs, err)
		}
		if e := evs[0]; e.Object != "contact" || e.Event != "updated" || e.ObjectID != "1246965" || e.VendorType != "contact.propertyChange" {
			t.Errorf("first event = %s.%s %q (%s)", e.Object, e.Event, e.ObjectID, e.VendorType)
		}
		if e := evs[1]; e.Object != "contact" || e.Event != "created" || e.ObjectID != "1246978" {
			t.Errorf("second event = %s.%s %q", e.Object, e.Event, e.ObjectID)
		}
		if p, _ := evs[0].Payload.(map[string]any); p["propertyValue"] != "subscriber" {
			t.Errorf("payload of the first event = %v, want that event alone", evs[0].Payload)
		}
	})
	t.Run("OtherAccount", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"portal_id": "34"}
		evs, _, err := d.ParseWebhookEvents(c, hubspotRequest(secret, uri, hubspotBatch, now.UnixMilli()))
		if err != nil || len(evs) != 2 || evs[0].Matched() || evs[1].Matched() {
			t.Fatalf("events of portal 33 for a connection to 34: %v, %v", evs, err)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		req := hubspotRequest("another-secret", uri, hubspotBatch, now.UnixMilli())
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now), secret)
	})
	t.Run("ErrOtherURL", func(t *testing.T) {
		req := hubspotRequest(secret, uri, hubspotBatch, now.UnixMilli())
		req.URL = "https://junction.example.com/hooks/whk_other"
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now), secret)
	})
	t.Run("ErrTamperedBody", func(t *testing.T) {
		req := hubspotRequest(secret, uri, hubspotBatch, now.UnixMilli())
		req.Body = []byte(strings.Replace(hubspotBatch, "1246965", "1246966", 1))
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now), secret)
	})
	t.Run("ErrStale", func(t *testing.T) {
		req := hubspotRequest(secret, uri, hubspotBatch, now.UnixMilli()-6*60*1000)
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now), secret)
	})
	t.Run("ErrParseWebhookOnBatch", func(t *testing.T) {
		_, _, err := d.ParseWebhook(cred, nil, []byte(hubspotBatch))
		wantInvalid(t, err, "webhooks.events_path")
	})
}

func TestValidateWebhookBatch(t *testing.T) {
	const def = `
key: b
display_name: B
version: "1"
base_url: https://api.example.com
fields:
  - {name: key, type: secret}
  - {name: account_id, type: text}
auth:
  - type: none
webhooks:
  signature: {scheme: hmac_sha256, secret_field: key, header: X-Sig}
  events_path: "items[*].changes"
  event_type: {paths: [kind, op]}
  event_id: {header: X-Delivery}
  account: {path: account, field: nope}
objects:
  - name: thing
    id_field: id
    events:
      - {name: created, webhook: {types: [Thing.Create]}}
`
	_, err := connector.Parse([]byte(def))
	for _, want := range []string{"webhooks.event_id.header", "webhooks.account.field"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v, want %s refused", err, want)
		}
	}
	ok := strings.Replace(strings.Replace(def, "  event_id: {header: X-Delivery}\n", "", 1), "field: nope", "field: account_id", 1)
	if _, err := connector.Parse([]byte(ok)); err != nil {
		t.Fatalf("Parse = %v", err)
	}
}
