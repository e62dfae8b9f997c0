package connector_test

import (
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// gmailPush is the push of Gmail's push notification guide
// (https://developers.google.com/workspace/gmail/api/guides/push#receiving_notifications):
// message.data is base64 of {"emailAddress": ..., "historyId": ...}.
const gmailPush = `{
  "message":
  {
    "data": "eyJlbWFpbEFkZHJlc3MiOiAidXNlckBleGFtcGxlLmNvbSIsICJoaXN0b3J5SWQiOiAiMTIzNDU2Nzg5MCJ9",
    "messageId": "2070443601311540",
    "message_id": "2070443601311540",
    "publishTime": "2021-02-26T19:13:55.749Z",
    "publish_time": "2021-02-26T19:13:55.749Z"
  },
  "subscription": "projects/myproject/subscriptions/mysubscription"
}`

func TestWebhookGmailPush(t *testing.T) {
	d := catalogCDefinition(t, "gmail")
	const account = "gmail-push@my-project.iam.gserviceaccount.com"
	const hook = "https://junction.example.com/hooks/whk_gmail"
	cred := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"user_id": "me", "push_service_account": account}}
	// The engine verifies the token's signature with Google's keys; here a
	// stand-in knows one good token and says whose it is.
	var asked []string
	req := func(token string, claims connector.IDTokenClaims) connector.WebhookRequest {
		return connector.WebhookRequest{URL: hook, Body: []byte(gmailPush), Header: headers("Authorization", "Bearer "+token, "Content-Type", "application/json"),
			VerifyIDToken: func(issuer, tok, audience string) (*connector.IDTokenClaims, error) {
				asked = append(asked, issuer+" "+audience)
				if tok != "good-token" {
					return nil, &junction.Error{Code: junction.EUNAUTHENTICATED, Message: "not a valid ID token"}
				}
				return &claims, nil
			}}
	}
	ok := connector.IDTokenClaims{Email: account, EmailVerified: true}

	t.Run("OK", func(t *testing.T) {
		r := req("good-token", ok)
		if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
			t.Fatal(err)
		}
		if len(asked) == 0 || asked[len(asked)-1] != "https://accounts.google.com "+hook {
			t.Errorf("verified with %v, want Google's issuer and the hook URL as audience", asked)
		}
		evs, _, err := d.ParseWebhookEvents(cred, r)
		if err != nil || len(evs) != 1 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		if e := evs[0]; e.Object != "mailbox" || e.Event != "changed" || e.ObjectID != "1234567890" || e.EventID != "2070443601311540" ||
			e.Record["emailAddress"] != "user@example.com" {
			t.Errorf("event = %s.%s %q %q %v", e.Object, e.Event, e.ObjectID, e.EventID, e.Record)
		}
	})
	t.Run("AudienceField", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"push_service_account": account, "push_audience": "junction-gmail"}
		if err := d.VerifyWebhookRequest(c, req("good-token", ok), now); err != nil || !strings.HasSuffix(asked[len(asked)-1], " junction-gmail") {
			t.Fatalf("audience %v: %v", asked, err)
		}
	})
	t.Run("OtherMailbox", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"push_service_account": account, "push_mailbox": "someone@example.com"}
		evs, _, err := d.ParseWebhookEvents(c, req("good-token", ok))
		if err != nil || len(evs) != 1 || evs[0].Matched() {
			t.Fatalf("another mailbox's notification: %v, %v", evs, err)
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req("forged-token", ok), now))
		r := req("good-token", ok)
		r.Header.Del("Authorization")
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, r, now))
	})
	t.Run("ErrOtherServiceAccount", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req("good-token", connector.IDTokenClaims{Email: "someone@else.iam.gserviceaccount.com", EmailVerified: true}), now))
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req("good-token", connector.IDTokenClaims{Email: account}), now))
	})
	t.Run("ErrNoServiceAccount", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"user_id": "me"}
		wantInvalid(t, d.VerifyWebhookRequest(c, req("good-token", ok), now), "fields.push_service_account")
	})
}
