package connector_test

import (
	"strings"
	"testing"

	"junction/connector"
)

// xeroDelivery is the example delivery of Xero's webhooks documentation
// (https://developer.xero.com/documentation/guides/webhooks/overview/,
// "Payload"): events[] with the category, type, resource and tenant.
const xeroDelivery = `{
   "events": [
      {
         "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
         "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
         "eventDateUtc": "2017-06-21T01:15:39.902",
         "eventType": "UPDATE",
         "eventCategory": "CONTACT",
         "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
         "tenantType": "ORGANISATION"
      }
   ],
   "lastEventSequence": 1,
   "firstEventSequence": 1,
   "entropy": "S0m3r4Nd0mt3xt"
}`

// xeroIntentToReceive is what Xero sends to check a delivery URL
// (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/,
// "Intent to receive"): no events, signed rightly or wrongly.
const xeroIntentToReceive = `{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "YSXOKWWSJBDJSDMVNQHT"}`

func TestWebhookXero(t *testing.T) {
	d := catalogCDefinition(t, "xero")
	const key = "OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRbgKTLz2uJ+xiACXGDBLrgdA=="
	cred := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"tenant_id": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"},
		Secrets: secrets("webhook_key", key)}
	req := func(signKey, body string) connector.WebhookRequest {
		return connector.WebhookRequest{Body: []byte(body), Header: headers("x-xero-signature", hmacBase64(signKey, body), "Content-Type", "application/json")}
	}

	t.Run("OK", func(t *testing.T) {
		r := req(key, xeroDelivery)
		if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, r)
		if err != nil || hs != nil || len(evs) != 1 {
			t.Fatalf("ParseWebhookEvents = %v, %v, %v", evs, hs, err)
		}
		if e := evs[0]; e.Object != "contact" || e.Event != "updated" || e.VendorType != "CONTACT.UPDATE" || e.ObjectID != "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777" {
			t.Errorf("event = %s.%s %s %q", e.Object, e.Event, e.VendorType, e.ObjectID)
		}
	})
	t.Run("OtherOrganisation", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"tenant_id": "another-tenant"}
		evs, _, err := d.ParseWebhookEvents(c, req(key, xeroDelivery))
		if err != nil || len(evs) != 1 || evs[0].Matched() {
			t.Fatalf("another organisation's event: %v, %v", evs, err)
		}
	})
	t.Run("IntentToReceive", func(t *testing.T) {
		r := req(key, xeroIntentToReceive)
		if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, r)
		if err != nil || hs != nil || len(evs) != 0 {
			t.Fatalf("intent to receive = %v, %v, %v; want no events", evs, hs, err)
		}
	})
	t.Run("ErrIntentToReceiveWrongSignature", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req("not-the-key", xeroIntentToReceive), now), key)
	})
	t.Run("ErrTampered", func(t *testing.T) {
		r := req(key, xeroDelivery)
		r.Body = []byte(strings.Replace(xeroDelivery, "UPDATE", "CREATE", 1))
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, r, now), key)
	})
}

// quickBooksDelivery is the example notification of Intuit's webhooks
// documentation (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks,
// "Webhooks payload"): changes grouped by company, here with a second
// company's added to show they are told apart.
const quickBooksDelivery = `{
  "eventNotifications":[
  {
    "realmId":"1185883450",
    "dataChangeEvent":
    {
      "entities":[
      {
        "name":"Customer",
        "id":"1",
        "operation":"Create",
        "lastUpdated":"2015-10-05T14:42:19-0700"
      },
      {
        "name":"Vendor",
        "id":"1",
        "operation":"Create",
        "lastUpdated":"2015-10-05T14:42:19-0700"
      }]
    }
  },
  {
    "realmId":"9130357766900456",
    "dataChangeEvent":
    {
      "entities":[
      {
        "name":"Invoice",
        "id":"145",
        "operation":"Update",
        "lastUpdated":"2015-10-05T14:45:02-0700"
      }]
    }
  }]
}`

func TestWebhookQuickBooks(t *testing.T) {
	d := catalogCDefinition(t, "quickbooks")
	const token = "a7d3f9c1-0b2e-4e5f-8a61-3c9d2b7e4f10"
	cred := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"realm_id": "1185883450"},
		Secrets: secrets("verifier_token", token)}
	req := func(signKey string) connector.WebhookRequest {
		return connector.WebhookRequest{Body: []byte(quickBooksDelivery),
			Header: headers("intuit-signature", hmacBase64(signKey, quickBooksDelivery), "Content-Type", "application/json")}
	}

	t.Run("OK", func(t *testing.T) {
		if err := d.VerifyWebhookRequest(cred, req(token), now); err != nil {
			t.Fatal(err)
		}
		evs, _, err := d.ParseWebhookEvents(cred, req(token))
		if err != nil || len(evs) != 3 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Object+"."+e.Event+":"+e.ObjectID)
		}
		// The second company's invoice is not this connection's.
		if strings.Join(got, " ") != "customer.created:1 vendor.created:1 .:" {
			t.Errorf("events = %v", got)
		}
	})
	t.Run("ErrWrongToken", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req("another-token"), now), token)
	})
}
