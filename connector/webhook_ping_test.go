package connector_test

import (
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// WooCommerce's ping when a webhook is saved (WC_Webhook::deliver_ping):
// POST, body webhook_id=<ID>, no signature, and the webhook is saved only
// if the answer is 200.
func TestWooCommercePing(t *testing.T) {
	d := mustDefinition(t, "woocommerce")
	const secret = "wc-webhook-secret-planted"
	cred := connector.Credentials{Fields: map[string]string{"store_host": "shop.example.com"}, Secrets: secrets("webhook_secret", secret)}
	ua := headers("User-Agent", "WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)")

	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"FormContentType", headers("User-Agent", "WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)", "Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")},
		{"NoContentType", ua},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Method: http.MethodPost, Header: tc.header, Body: []byte("webhook_id=17")})
			if err != nil {
				t.Fatal(err)
			}
			if hs == nil || !hs.Ping || hs.StatusCode != http.StatusOK || !hs.Kept.IsZero() {
				t.Fatalf("answer %+v, want a 200 ping", hs)
			}
			if strings.Contains(string(hs.Body), secret) {
				t.Fatal("the answer holds the secret")
			}
		})
	}

	// Anything else unsigned is no ping: it goes on to verification, which
	// refuses it.
	for _, tc := range []struct {
		name, method, body string
		header             http.Header
	}{
		{"JSONOrder", "POST", `{"id":17,"status":"processing"}`, headers("X-WC-Webhook-Topic", "order.created")},
		{"PingJSON", "POST", `{"webhook_id":17}`, headers("Content-Type", "application/json")},
		{"PingAsJSONContentType", "POST", "webhook_id=17", headers("Content-Type", "application/json")},
		{"ExtraMember", "POST", "webhook_id=17&status=processing", nil},
		{"RepeatedMember", "POST", "webhook_id=17&webhook_id=18", nil},
		{"NotAnID", "POST", "webhook_id=17%3Cscript%3E", nil},
		{"EmptyID", "POST", "webhook_id=", nil},
		{"OtherMember", "POST", "topic=order.created", nil},
		{"Empty", "POST", "", nil},
		{"GET", "GET", "webhook_id=17", nil},
		// Carrying the signature header, it is a delivery: verified as one.
		{"SignedPingShape", "POST", "webhook_id=17", headers("X-WC-Webhook-Signature", "bm90IGEgc2lnbmF0dXJl")},
	} {
		t.Run("Refused"+tc.name, func(t *testing.T) {
			header := tc.header
			if header == nil {
				header = http.Header{}
			}
			req := connector.WebhookRequest{Method: tc.method, Header: header, Body: []byte(tc.body)}
			hs, err := d.AnswerHandshake(cred, req)
			if err != nil || hs != nil {
				t.Fatalf("answered %+v, %v: want no handshake", hs, err)
			}
			if tc.method == "POST" {
				wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now), secret)
			}
		})
	}
}

func TestWebhookPingRejects(t *testing.T) {
	const signed = "fields: [{name: s, type: secret}]\nwebhooks:\n  signature: {scheme: hmac_sha256, secret_field: s, header: X-Sig}\n"
	for _, tc := range []struct{ name, doc, path, msg string }{
		{"NoSignature", minimal + "webhooks:\n  ping: {form: {id: \"[0-9]+\"}}\n", "webhooks.ping", "signature"},
		{"BodySignature", minimal + "fields: [{name: s, type: secret}]\nwebhooks:\n  signature: {scheme: body_token, secret_field: s, path: token}\n  ping: {form: {id: \"[0-9]+\"}}\n", "webhooks.ping", "header"},
		{"NoForm", minimal + signed + "  ping: {reply: \"{}\"}\n", "webhooks.ping", "form"},
		{"BadPattern", minimal + signed + "  ping: {form: {id: \"[0-9\"}}\n", "webhooks.ping.form.id", "regular expression"},
		{"ReplyNotJSON", minimal + signed + "  ping: {form: {id: \"[0-9]+\"}, reply: \"ok\"}\n", "webhooks.ping.reply", "JSON"},
		{"UnknownField", minimal + signed + "  ping: {form: {id: \"[0-9]+\"}, status: 204}\n", "", "unknown key status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := problems(t, tc.doc)
			for _, p := range probs {
				if strings.HasPrefix(p.Path, tc.path) && strings.Contains(p.Path+" "+p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %s containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
	t.Run("Reply", func(t *testing.T) {
		d := mustParse(t, minimal+signed+"  ping: {form: {id: \"[0-9]+\"}, reply: '{\"ok\":true}'}\n")
		hs, err := d.AnswerHandshake(connector.Credentials{Secrets: secrets("s", "x")}, connector.WebhookRequest{Body: []byte("id=4")})
		if err != nil || hs == nil || !hs.Ping || string(hs.Body) != `{"ok":true}` || hs.ContentType != "application/json" {
			t.Fatalf("answer %+v, %v", hs, err)
		}
		if !junction.IsCode(d.VerifyWebhook(connector.Credentials{Secrets: secrets("s", "x")}, http.Header{}, []byte("id=4&x=1"), now), junction.EUNAUTHENTICATED) {
			t.Fatal("an unsigned delivery that is not the ping was not refused")
		}
	})
}
