package connector_test

import (
	"strings"
	"testing"

	"junction/connector"
)

// graphNotifications is the change notification of Microsoft Graph's
// documentation (https://learn.microsoft.com/graph/change-notifications-delivery-webhooks#receive-notifications,
// "Example: notification payload"), with a second message's notification
// in the same delivery, as Graph batches them.
const graphNotifications = `{
  "value": [
    {
      "id": "lsgTZMr9KwAAA",
      "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
      "subscriptionExpirationDateTime": "2016-03-19T22:11:09.952Z",
      "clientState": "secretClientValue",
      "changeType": "created",
      "resource": "users/8f3b1a56-0e1c-4d7a-9c1e-2b5d6f7a8b9c@84bd8158-6d4d-4958-8b9f-9d6445542f95/messages/AAMkADk1",
      "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
      "resourceData": {
        "@odata.type": "#Microsoft.Graph.Message",
        "@odata.id": "Users/8f3b1a56-0e1c-4d7a-9c1e-2b5d6f7a8b9c@84bd8158-6d4d-4958-8b9f-9d6445542f95/Messages/AAMkADk1",
        "@odata.etag": "W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"",
        "id": "AAMkADk1"
      }
    },
    {
      "id": "lsgTZMr9KwAAB",
      "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
      "subscriptionExpirationDateTime": "2016-03-19T22:11:09.952Z",
      "clientState": "secretClientValue",
      "changeType": "updated",
      "resource": "users/8f3b1a56-0e1c-4d7a-9c1e-2b5d6f7a8b9c@84bd8158-6d4d-4958-8b9f-9d6445542f95/messages/AAMkADk2",
      "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
      "resourceData": {
        "@odata.type": "#Microsoft.Graph.Message",
        "id": "AAMkADk2"
      }
    }
  ]
}`

func TestWebhookGraphClientState(t *testing.T) {
	d := catalogCDefinition(t, "microsoft-outlook")
	const state = "secretClientValue"
	fields := map[string]string{"tenant": "contoso", "user_id": "adele@contoso.example", "client_id": "c"}
	cred := connector.Credentials{Auth: "application", Fields: fields, Secrets: secrets("client_secret", "s", "client_state", state)}
	req := func(body string) connector.WebhookRequest {
		return connector.WebhookRequest{Header: headers("Content-Type", "application/json"), Body: []byte(body)}
	}

	t.Run("OK", func(t *testing.T) {
		if err := d.VerifyWebhookRequest(cred, req(graphNotifications), now); err != nil {
			t.Fatal(err)
		}
		evs, _, err := d.ParseWebhookEvents(cred, req(graphNotifications))
		if err != nil || len(evs) != 2 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		for i, id := range []string{"AAMkADk1", "AAMkADk2"} {
			if e := evs[i]; e.Object != "message" || e.Event != "notified" || e.ObjectID != id {
				t.Errorf("event %d = %s.%s %q", i, e.Object, e.Event, e.ObjectID)
			}
		}
	})
	t.Run("ErrOneWrongState", func(t *testing.T) {
		body := strings.Replace(graphNotifications, `"clientState": "secretClientValue",
      "changeType": "updated"`, `"clientState": "forged",
      "changeType": "updated"`, 1)
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(body), now), state)
	})
	t.Run("ErrNoState", func(t *testing.T) {
		body := strings.ReplaceAll(graphNotifications, `"clientState": "secretClientValue",`, "")
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(body), now), state)
	})
	t.Run("UncheckedWithoutState", func(t *testing.T) {
		c := cred
		c.Secrets = secrets("client_secret", "s")
		body := strings.ReplaceAll(graphNotifications, "secretClientValue", "anything")
		if err := d.VerifyWebhookRequest(c, req(body), now); err != nil {
			t.Fatalf("a connection without a client state: %v", err)
		}
	})
}

func TestValidateBodyTokenSignature(t *testing.T) {
	const def = `
key: bt
display_name: BT
version: "1"
base_url: https://api.example.com
fields:
  - {name: state, type: secret}
auth:
  - type: none
webhooks:
  signature: {scheme: body_token, secret_field: state, header: X-State}
`
	_, err := connector.Parse([]byte(def))
	for _, want := range []string{"webhooks.signature.header", "webhooks.signature.path"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v, want %s refused", err, want)
		}
	}
	if _, err := connector.Parse([]byte(strings.Replace(def, "header: X-State", "path: clientState", 1))); err != nil {
		t.Fatalf("Parse = %v", err)
	}
}
