package connector_test

import (
	"net/http"
	"net/url"
	"testing"

	"junction/connector"
)

// mailchimpSubscribe is the subscribe example of Mailchimp's webhooks guide
// (https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/,
// "Webhook events"), form-encoded as Mailchimp POSTs it.
func mailchimpSubscribe() []byte {
	v := url.Values{
		"type":                    {"subscribe"},
		"fired_at":                {"2009-03-26 21:35:57"},
		"data[id]":                {"8a25ff1d98"},
		"data[list_id]":           {"a6b5da1054"},
		"data[email]":             {"api@mailchimp.com"},
		"data[email_type]":        {"html"},
		"data[merges][EMAIL]":     {"api@mailchimp.com"},
		"data[merges][FNAME]":     {"Mailchimp"},
		"data[merges][LNAME]":     {"API"},
		"data[merges][INTERESTS]": {"Group1,Group2"},
		"data[ip_opt]":            {"10.20.10.30"},
		"data[ip_signup]":         {"10.20.10.30"},
	}
	return []byte(v.Encode())
}

func TestWebhookMailchimp(t *testing.T) {
	d := catalogCDefinition(t, "mailchimp")
	cred := connector.Credentials{Auth: "api_key", Fields: map[string]string{"dc": "us6"}, Secrets: secrets("api_key", "k-us6")}
	form := headers("Content-Type", "application/x-www-form-urlencoded")

	t.Run("ValidationGET", func(t *testing.T) {
		hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Method: http.MethodGet})
		if err != nil || hs == nil || hs.StatusCode != http.StatusOK {
			t.Fatalf("GET = %+v, %v", hs, err)
		}
	})
	t.Run("Subscribe", func(t *testing.T) {
		req := connector.WebhookRequest{Header: form, Body: mailchimpSubscribe()}
		if err := d.VerifyWebhookRequest(cred, req, now); err != nil {
			t.Fatalf("an unsigned vendor's delivery: %v", err)
		}
		evs, _, err := d.ParseWebhookEvents(cred, req)
		if err != nil || len(evs) != 1 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		e := evs[0]
		if e.Object != "member" || e.Event != "created" || e.ObjectID != "8a25ff1d98" {
			t.Fatalf("event = %s.%s %q", e.Object, e.Event, e.ObjectID)
		}
		if merges, _ := e.Record["merges"].(map[string]any); merges["FNAME"] != "Mailchimp" || e.Record["list_id"] != "a6b5da1054" {
			t.Errorf("record = %v", e.Record)
		}
	})
	t.Run("EmailChanged", func(t *testing.T) {
		body := url.Values{"type": {"upemail"}, "fired_at": {"2009-03-26 22:15:09"}, "data[list_id]": {"a6b5da1054"},
			"data[new_id]": {"51da8c3259"}, "data[new_email]": {"api+new@mailchimp.com"}, "data[old_email]": {"api+old@mailchimp.com"}}.Encode()
		evs, _, err := d.ParseWebhookEvents(cred, connector.WebhookRequest{Header: form, Body: []byte(body)})
		if err != nil || len(evs) != 1 || evs[0].Event != "email_changed" || evs[0].ObjectID != "51da8c3259" {
			t.Fatalf("upemail = %v, %v", evs, err)
		}
	})
	t.Run("ErrNotAForm", func(t *testing.T) {
		_, _, err := d.ParseWebhookEvents(cred, connector.WebhookRequest{Header: form, Body: []byte("type=subscribe&data[id]=%zz")})
		wantInvalid(t, err, "body")
	})
}
