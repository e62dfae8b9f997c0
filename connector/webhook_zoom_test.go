package connector_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"junction/connector"
)

// Zoom signs each delivery (x-zm-signature, v0 scheme) and validates the
// endpoint with an HMAC of a plain token; both with the app's secret token,
// as https://developers.zoom.us/docs/api/webhooks/ describes.
func TestWebhookZoom(t *testing.T) {
	d := mustDefinition(t, "zoom")
	const secret = "zoom-secret-token"
	cred := connector.Credentials{Auth: "server_to_server", Secrets: secrets("webhook_secret", secret)}
	now := time.Unix(1772359200, 0)
	sign := func(ts string, body []byte) http.Header {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("v0:" + ts + ":" + string(body)))
		return http.Header{"X-Zm-Signature": {"v0=" + hex.EncodeToString(m.Sum(nil))}, "X-Zm-Request-Timestamp": {ts}}
	}
	t.Run("MeetingStarted", func(t *testing.T) {
		body := []byte(`{"event":"meeting.started","event_ts":1772359200123,"payload":{"account_id":"acc1","object":{"id":85746065432,"uuid":"4444AAAiAAAAAiAiAiiAii==","topic":"Standup"}}}`)
		if err := d.VerifyWebhook(cred, sign("1772359200", body), body, now); err != nil {
			t.Fatal(err)
		}
		ev, hs, err := d.ParseWebhook(cred, nil, body)
		if err != nil || hs != nil {
			t.Fatalf("parse: %v %v", err, hs)
		}
		if ev.Object != "meeting" || ev.Event != "started" || ev.ObjectID != "85746065432" {
			t.Errorf("event = %+v", ev)
		}
	})
	t.Run("URLValidation", func(t *testing.T) {
		body := []byte(`{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`)
		if err := d.VerifyWebhook(cred, sign("1772359200", body), body, now); err != nil {
			t.Fatal(err)
		}
		_, hs, err := d.ParseWebhook(cred, nil, body)
		if err != nil || hs == nil {
			t.Fatalf("handshake: %v %v", err, hs)
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("qgg8vlvZRS6UYooatFL8Aw"))
		want := `{"encryptedToken":"` + hex.EncodeToString(m.Sum(nil)) + `","plainToken":"qgg8vlvZRS6UYooatFL8Aw"}`
		if string(hs.Body) != want || hs.ContentType != "application/json" {
			t.Errorf("answer %s %s, want %s", hs.ContentType, hs.Body, want)
		}
		if strings.Contains(string(hs.Body), secret) {
			t.Errorf("the answer holds the secret")
		}
	})
	t.Run("URLValidationUnsignedIsNoOracle", func(t *testing.T) {
		// Before its signature is checked, a validation request gets no
		// HMAC: anyone could otherwise have the server sign what they
		// choose (a forged delivery's "v0:ts:body") with the secret.
		body := []byte(`{"payload":{"plainToken":"v0:1772359200:{}"},"event":"endpoint.url_validation"}`)
		hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Header: http.Header{}, Body: body})
		if err != nil || hs != nil {
			t.Fatalf("unverified handshake answered: %v %+v", err, hs)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		body := []byte(`{"event":"meeting.created","payload":{"object":{"id":1}}}`)
		h := sign("1772359200", body)
		if err := d.VerifyWebhook(cred, h, []byte(`{"event":"meeting.deleted","payload":{"object":{"id":1}}}`), now); err == nil {
			t.Errorf("a changed body was accepted")
		}
		if err := d.VerifyWebhook(cred, h, body, now.Add(10*time.Minute)); err == nil {
			t.Errorf("a replay ten minutes late was accepted")
		}
	})
}

func TestWebhookHandshakeHMACNeedsSignature(t *testing.T) {
	_, err := connector.Parse([]byte(`key: hmac-no-signature
display_name: X
version: 1.0.0
base_url: https://api.example.com
auth: [{type: none}]
webhooks:
  event_type: {path: event}
  handshake:
    - match: [{path: event, values: [endpoint.url_validation]}]
      respond: payload.plainToken
      respond_hmac: {plain: plainToken, hashed: encryptedToken}
objects:
  - name: meeting
    operations: {}
    events: [{name: created, webhook: {types: [meeting.created]}}]
`))
	if err == nil || !strings.Contains(err.Error(), "respond_hmac") {
		t.Fatalf("a handshake HMAC without a signing secret was accepted: %v", err)
	}
}
