package connector_test

import (
	"strconv"
	"strings"
	"testing"

	"junction/connector"
)

// mailgunDelivery builds a webhook body the way Mailgun's documentation
// shows one (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks):
// the signature object beside event-data, signed over timestamp + token.
func mailgunDelivery(key string, ts int64, token, event string) []byte {
	t := strconv.FormatInt(ts, 10)
	sig := hmacHex(key, t+token)
	return []byte(`{"signature":{"timestamp":"` + t + `","token":"` + token + `","signature":"` + sig + `"},` +
		`"event-data":{"id":"CPgfbmQMTCKtHW6uIWtuVe","event":"` + event + `","severity":"permanent","timestamp":` + t + `.000,` +
		`"recipient":"alice@example.com","message":{"headers":{"message-id":"20240601.1@mg.example.com"}}}}`)
}

func TestVerifyWebhookMailgun(t *testing.T) {
	d := catalogCDefinition(t, "mailgun")
	const key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	cred := connector.Credentials{Auth: "api_key", Fields: map[string]string{"domain_name": "mg.example.com"}, Secrets: secrets("webhook_signing_key", key)}
	token := "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"

	t.Run("OK", func(t *testing.T) {
		body := mailgunDelivery(key, now.Unix(), token, "failed")
		if err := d.VerifyWebhook(cred, nil, body, now); err != nil {
			t.Fatal(err)
		}
		ev, hs, err := d.ParseWebhook(cred, nil, body)
		if err != nil || hs != nil {
			t.Fatalf("ParseWebhook = %v, %v", hs, err)
		}
		if ev.Object != "email_event" || ev.Event != "failed" || ev.ObjectID != "CPgfbmQMTCKtHW6uIWtuVe" || ev.EventID != "CPgfbmQMTCKtHW6uIWtuVe" {
			t.Errorf("event = %s.%s id %q event id %q", ev.Object, ev.Event, ev.ObjectID, ev.EventID)
		}
		if ev.Record["recipient"] != "alice@example.com" {
			t.Errorf("record = %v", ev.Record)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		body := mailgunDelivery("another-key", now.Unix(), token, "delivered")
		wantUnauthenticated(t, d.VerifyWebhook(cred, nil, body, now), key, hmacHex(key, strconv.FormatInt(now.Unix(), 10)+token))
	})
	t.Run("ErrTamperedToken", func(t *testing.T) {
		body := strings.Replace(string(mailgunDelivery(key, now.Unix(), token, "delivered")), token, token[:len(token)-1]+"1", 1)
		wantUnauthenticated(t, d.VerifyWebhook(cred, nil, []byte(body), now), key)
	})
	t.Run("ErrStale", func(t *testing.T) {
		body := mailgunDelivery(key, now.Unix()-3600, token, "delivered")
		wantUnauthenticated(t, d.VerifyWebhook(cred, nil, body, now), key)
	})
	t.Run("ErrUnsigned", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhook(cred, nil, []byte(`{"event-data":{"id":"x","event":"delivered"}}`), now), key)
		wantUnauthenticated(t, d.VerifyWebhook(cred, nil, []byte(`not json`), now), key)
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		c := cred
		c.Secrets = nil
		wantInvalid(t, d.VerifyWebhook(c, nil, mailgunDelivery(key, now.Unix(), token, "delivered"), now), "fields.webhook_signing_key")
	})
}

func TestValidateMailgunSignature(t *testing.T) {
	const def = `
key: mg
display_name: MG
version: "1"
base_url: https://api.mailgun.net
fields:
  - {name: key, type: secret}
auth:
  - type: none
webhooks:
  signature:
    scheme: mailgun
    secret_field: key
    header: X-Signature
    timestamp: {tolerance: 5m}
  event_type: {path: event-data.event}
`
	_, err := connector.Parse([]byte(def))
	if err == nil || !strings.Contains(err.Error(), "webhooks.signature.header") || !strings.Contains(err.Error(), "does not apply to the mailgun scheme") {
		t.Fatalf("Parse = %v, want the header refused", err)
	}
	if _, err := connector.Parse([]byte(strings.Replace(def, "    header: X-Signature\n", "", 1))); err != nil {
		t.Fatalf("Parse without header = %v", err)
	}
}
