package connector_test

import (
	"strings"
	"testing"

	"junction/connector"
)

// onedriveNotifications is the batch of OneDrive's webhook notification
// resource (https://learn.microsoft.com/onedrive/developer/rest-api/resources/webhooknotification),
// with one client state for the subscription and the fields Microsoft
// Graph adds (tenantId, subscriptionExpirationDateTime).
const onedriveNotifications = `{
  "value": [
    {
      "subscriptionId": "76222963-cc7b-42d2-882d-8aaa69cb2ba3",
      "subscriptionExpirationDateTime": "2026-11-20T18:23:45.9356913+00:00",
      "clientState": "sub2-state",
      "resource": "/drives/b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1BlcjgmhRfAj3-Z8RY2VpuvV_tpd/root",
      "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
      "changeType": "updated"
    },
    {
      "subscriptionId": "76222963-cc7b-42d2-882d-8aaa69cb2ba3",
      "subscriptionExpirationDateTime": "2026-11-20T18:23:45.9356913+00:00",
      "clientState": "sub2-state",
      "resource": "/me/drive/root",
      "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
      "changeType": "updated"
    }
  ]
}`

func TestWebhookOneDrive(t *testing.T) {
	d := mustDefinition(t, "microsoft-onedrive")
	const state = "sub2-state"
	fields := map[string]string{"tenant": "contoso", "drive_id": "b!-RIj2DuyvEyV1T4NlOaMHk8XkS", "client_id": "c"}
	cred := connector.Credentials{Auth: "application", Fields: fields, Secrets: secrets("client_secret", "s", "client_state", state)}
	req := func(body string) connector.WebhookRequest {
		return connector.WebhookRequest{Header: headers("Content-Type", "application/json"), Body: []byte(body)}
	}

	t.Run("OK", func(t *testing.T) {
		if err := d.VerifyWebhookRequest(cred, req(onedriveNotifications), now); err != nil {
			t.Fatal(err)
		}
		evs, _, err := d.ParseWebhookEvents(cred, req(onedriveNotifications))
		if err != nil || len(evs) != 2 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		for i, id := range []string{"/drives/b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1BlcjgmhRfAj3-Z8RY2VpuvV_tpd/root", "/me/drive/root"} {
			e := evs[i]
			if e.Object != "item" || e.Event != "changed" || e.ObjectID != id || e.VendorType != "updated" || e.Record["subscriptionId"] == nil {
				t.Errorf("event %d = %s.%s %q %q", i, e.Object, e.Event, e.ObjectID, e.VendorType)
			}
		}
	})
	t.Run("OtherChangeTypeUnmatched", func(t *testing.T) {
		body := strings.Replace(onedriveNotifications, `"changeType": "updated"`, `"changeType": "deleted"`, 1)
		evs, _, err := d.ParseWebhookEvents(cred, req(body))
		if err != nil || len(evs) != 2 || evs[0].Matched() || !evs[1].Matched() {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
	})
	t.Run("ErrOneWrongState", func(t *testing.T) {
		body := strings.Replace(onedriveNotifications, `"clientState": "sub2-state",
      "resource": "/me/drive/root"`, `"clientState": "forged",
      "resource": "/me/drive/root"`, 1)
		if body == onedriveNotifications {
			t.Fatal("the forged state was not put in")
		}
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(body), now), state)
	})
	t.Run("ErrNoState", func(t *testing.T) {
		body := strings.ReplaceAll(onedriveNotifications, `"clientState": "sub2-state",`, "")
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(body), now), state)
	})
	t.Run("Validation", func(t *testing.T) {
		hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Query: map[string][]string{"validationToken": {"Validation: Testing client application reachability"}}})
		if err != nil || hs == nil || string(hs.Body) != "Validation: Testing client application reachability" {
			t.Fatalf("AnswerHandshake = %+v, %v", hs, err)
		}
	})
}
