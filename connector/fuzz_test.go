package connector_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/connector"
)

// FuzzParse feeds arbitrary documents to the parser: it must return a
// definition or an error, never panic, and what it accepts must build its
// connection test without panicking either.
func FuzzParse(f *testing.F) {
	files, _ := fs.Glob(connector.Builtin(), "*.yaml")
	for _, name := range files {
		data, err := fs.ReadFile(connector.Builtin(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte(builderDef))
	f.Add([]byte("key: [unclosed"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := connector.Parse(data)
		if err != nil {
			return
		}
		if d.Webhooks != nil {
			_ = d.VerifyWebhook(connector.Credentials{}, http.Header{}, data, time.Unix(0, 0))
			_, _, _ = d.ParseWebhook(connector.Credentials{}, http.Header{}, []byte(`{"type":"x","id":1}`))
		}
		cred := connector.Credentials{Fields: map[string]string{}, Secrets: secrets()}
		for i := range d.Auth {
			cred.Auth = d.Auth[i].Key()
			for _, fld := range d.ConnectionFields(cred.Auth) {
				if fld.Type == connector.FieldSecret {
					cred.Secrets[fld.Name] = secrets(fld.Name, "v")[fld.Name]
				} else {
					cred.Fields[fld.Name] = "v"
				}
			}
			if d.Test != nil {
				_, _ = d.BuildTest(cred)
			}
			for _, a := range d.Activities {
				_, _ = d.BuildActivity(cred, a.Name, map[string]any{})
			}
			for _, oe := range d.Events() {
				if oe.Event.Polling == nil {
					continue
				}
				for _, st := range []connector.PollState{{}, {Watermark: time.Unix(1e9, 0), Cursor: "c"}, {Watermark: time.Unix(1e9, 0)}} {
					if r, err := d.BuildPoll(cred, oe.Object.Name, oe.Event.Name, map[string]any{}, st); err == nil {
						_, _ = d.PollRecords(oe.Object.Name, oe.Event.Name, st, r, connector.Response{StatusCode: 200, Body: []byte(`[{"id":1}]`)})
					}
				}
			}
		}
	})
}

// FuzzWebhook sends arbitrary deliveries to every connector that receives
// webhooks: verification and parsing must return, never panic, and never
// show the signing secret in an error.
func FuzzWebhook(f *testing.F) {
	ts := "1717243200"
	f.Add("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", ts, "issues", []byte(`{"action":"opened","issue":{"id":1}}`))
	f.Add("t="+ts+",v1=00,v1=zz,v0=", ts, "", []byte(`{"type":"customer.created","data":{"object":{"id":"cus_1"}}}`))
	f.Add("v0=abc", "not-a-time", "", []byte(`{"type":"url_verification","challenge":"c"}`))
	f.Add("", "2024-06-01T12:00:00Z", "", []byte(`{"type":"event_callback","event":{"type":"message","ts":"1.2"}}`))
	f.Add("=,=,,t=", "99999999999999999999", "x", []byte(`[`))
	f.Add("sha256=", "-1e400", "push", []byte(`{"after":null}`))
	defs := mustCatalog(f).List()
	const secret = "fuzz-signing-secret-value"
	now := time.Unix(1717243200, 0)
	f.Fuzz(func(t *testing.T, sig, stamp, eventType string, body []byte) {
		for _, d := range defs {
			if d.Webhooks == nil {
				continue
			}
			h := http.Header{}
			for _, name := range []string{"X-Hub-Signature-256", "X-Hub-Signature", "Stripe-Signature", "X-Slack-Signature", "X-Zendesk-Webhook-Signature",
				"X-Todoist-Hmac-SHA256", "X-PagerDuty-Signature", "X-Signature"} {
				h.Set(name, sig)
			}
			h.Set("X-Slack-Request-Timestamp", stamp)
			h.Set("X-Zendesk-Webhook-Signature-Timestamp", stamp)
			h.Set("X-GitHub-Event", eventType)
			cred := connector.Credentials{
				Fields:  map[string]string{"event_type_path": eventType, "id_path": eventType, "event_type_header": "X-GitHub-Event"},
				Secrets: map[string]junction.Secret{},
			}
			if s := d.Webhooks.Signature; s != nil {
				cred.Secrets[s.SecretField] = junction.NewSecret(secret)
			}
			if err := d.VerifyWebhook(cred, h, body, now); err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("%s: error shows the secret: %v", d.Key, err)
			}
			ev, hs, err := d.ParseWebhook(cred, h, body)
			if err == nil && ev == nil && hs == nil {
				t.Fatalf("%s: ParseWebhook returned nothing", d.Key)
			}
			// A handshake echoes only printable ASCII, whatever it is sent.
			for _, m := range []string{"POST", "GET", "HEAD"} {
				h.Set("X-Hook-Secret", sig)
				h.Set("Smartsheet-Hook-Challenge", stamp)
				q := url.Values{"validationToken": {sig}, "challenge": {eventType}}
				hs, _ := d.AnswerHandshake(cred, connector.WebhookRequest{Method: m, Query: q, Header: h, Body: body})
				if hs == nil {
					continue
				}
				echoed := string(hs.Body)
				for _, vs := range hs.Header {
					echoed += strings.Join(vs, "")
				}
				if strings.ContainsFunc(echoed, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
					t.Fatalf("%s: %s handshake echoed %q", d.Key, m, echoed)
				}
			}
		}
	})
}

// FuzzPollRecords reads arbitrary poll responses, record times in every
// format polling knows among them: errors, never panics.
func FuzzPollRecords(f *testing.F) {
	f.Add([]byte(`[{"id":1,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00.5+02:00"}]`))
	f.Add([]byte(`{"data":[{"id":"cus_1","created":1e300}],"has_more":true}`))
	f.Add([]byte(`{"issues":[{"key":"A-1","fields":{"updated":"2024-01-01T00:00:00.000+0000","created":null}}],"nextPageToken":"t"}`))
	f.Add([]byte(`{"tickets":[{"id":1,"updated_at":17}],"after_url":"https://evil.example.com/","end_of_stream":false}`))
	f.Add([]byte(`{"messages":[{"ts":"1.2.3"},{"ts":"-99999999999999999999.9"}],"has_more":true}`))
	cat := mustCatalog(f)
	type poll struct {
		key, object, event string
		cred               connector.Credentials
		input              map[string]any
	}
	polls := []poll{
		{"github", "issue", "updated", connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, map[string]any{"owner": "o", "repo": "r"}},
		{"stripe", "customer", "created", connector.Credentials{Secrets: secrets("secret_key", "x")}, nil},
		{"jira", "issue", "updated", connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "a", "email": "e"}, Secrets: secrets("api_token", "x")}, nil},
		{"zendesk", "ticket", "created", connector.Credentials{Auth: "api_token", Fields: map[string]string{"subdomain": "a", "email": "e"}, Secrets: secrets("api_token", "x")}, nil},
		{"slack", "message", "created", connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, map[string]any{"channel": "C"}},
		{"twilio", "message", "received", connector.Credentials{Auth: "auth_token", Fields: map[string]string{"account_sid": "AC"}, Secrets: secrets("auth_token", "x")}, nil},
	}
	state := connector.PollState{Watermark: time.Unix(1704067200, 0), Cursor: ""}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range polls {
			d, err := cat.Get(p.key)
			if err != nil {
				t.Fatal(err)
			}
			req, err := d.BuildPoll(p.cred, p.object, p.event, p.input, state)
			if err != nil {
				t.Fatalf("%s: %v", p.key, err)
			}
			page, err := d.PollRecords(p.object, p.event, state, req, connector.Response{StatusCode: 200, Body: body})
			if err != nil {
				continue
			}
			_ = page.Advance(state)
			if page.Next != nil && page.Next.URL.Host != req.URL.Host {
				t.Fatalf("%s: next page leaves the API: %s", p.key, page.Next.URL)
			}
		}
	})
}
