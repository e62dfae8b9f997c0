package connector_test

import (
	"testing"

	"junction/connector"
)

// dropboxNotification is the notification of Dropbox's webhook
// documentation (https://www.dropbox.com/developers/reference/webhooks),
// with a second account beside the first, as an app with several users
// receives it.
const dropboxNotification = `{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", "dbid:AACm1oZ9ZkL0wPl5gKi3dXT7ZVt-mvRmHgo"]}, "delta": {"users": [12345678, 23456789]}}`

func TestWebhookDropbox(t *testing.T) {
	d := mustDefinition(t, "dropbox")
	const appSecret = "dropbox-app-secret"
	cred := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "k"},
		Secrets: secrets("client_secret", appSecret)}
	req := func(body, sig string) connector.WebhookRequest {
		return connector.WebhookRequest{Method: "POST",
			Header: headers("Content-Type", "application/json", "X-Dropbox-Signature", sig), Body: []byte(body)}
	}
	signed := req(dropboxNotification, hmacHex(appSecret, dropboxNotification))

	t.Run("OK", func(t *testing.T) {
		if err := d.VerifyWebhookRequest(cred, signed, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, signed)
		if err != nil || hs != nil || len(evs) != 2 {
			t.Fatalf("ParseWebhookEvents = %v, %v, %v", evs, hs, err)
		}
		for i, id := range []string{"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", "dbid:AACm1oZ9ZkL0wPl5gKi3dXT7ZVt-mvRmHgo"} {
			if e := evs[i]; !e.Matched() || e.Object != "files" || e.Event != "changed" || e.ObjectID != id || e.Payload != id {
				t.Errorf("event %d = %s.%s %q (%v)", i, e.Object, e.Event, e.ObjectID, e.Payload)
			}
		}
	})
	t.Run("OwnAccountOnly", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"client_id": "k", "account_id": "dbid:AACm1oZ9ZkL0wPl5gKi3dXT7ZVt-mvRmHgo"}
		evs, _, err := d.ParseWebhookEvents(c, signed)
		if err != nil || len(evs) != 2 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		if evs[0].Matched() || !evs[1].Matched() || evs[1].ObjectID != c.Fields["account_id"] {
			t.Errorf("matched = %v, %v (%q)", evs[0].Matched(), evs[1].Matched(), evs[1].ObjectID)
		}
	})
	t.Run("ErrBadSignature", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(dropboxNotification, hmacHex("another-secret", dropboxNotification)), now), appSecret)
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(dropboxNotification, ""), now), appSecret)
		tampered := `{"list_folder": {"accounts": ["dbid:forged"]}}`
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(tampered, hmacHex(appSecret, dropboxNotification)), now), appSecret)
	})
	t.Run("Challenge", func(t *testing.T) {
		hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Method: "GET", Query: map[string][]string{"challenge": {"abc123"}}})
		if err != nil || hs == nil || string(hs.Body) != "abc123" {
			t.Fatalf("AnswerHandshake = %+v, %v", hs, err)
		}
	})
}
