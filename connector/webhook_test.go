package connector_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/connector"
)

// Signatures here are computed the way each vendor's documentation says it
// signs, except where the documentation gives a worked example, which is
// checked byte for byte.

func hmacHex(secret, payload string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

func hmacBase64(secret, payload string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// wantUnauthenticated checks that err refuses the delivery without showing
// the secret or the signature Junction computed.
func wantUnauthenticated(t *testing.T, err error, leaks ...string) {
	t.Helper()
	if !junction.IsCode(err, junction.EUNAUTHENTICATED) {
		t.Fatalf("got %v, want unauthenticated", err)
	}
	for _, l := range leaks {
		if l != "" && strings.Contains(err.Error(), l) {
			t.Fatalf("error %q shows %q", err, l)
		}
	}
}

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func TestVerifyWebhookGitHub(t *testing.T) {
	d := mustDefinition(t, "github")
	const secret = "It's a Secret to Everybody"
	cred := connector.Credentials{Secrets: secrets("webhook_secret", secret)}
	t.Run("DocumentedExample", func(t *testing.T) {
		h := headers("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
		if err := d.VerifyWebhook(cred, h, []byte("Hello, World!"), now); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UpperCaseHex", func(t *testing.T) {
		h := headers("X-Hub-Signature-256", "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17")
		if err := d.VerifyWebhook(cred, h, []byte("Hello, World!"), now); err != nil {
			t.Fatal(err)
		}
	})
	good := hmacHex(secret, "Hello, World!")
	t.Run("ErrTamperedBody", func(t *testing.T) {
		h := headers("X-Hub-Signature-256", "sha256="+good)
		err := d.VerifyWebhook(cred, h, []byte("Hello, World?"), now)
		wantUnauthenticated(t, err, secret, hmacHex(secret, "Hello, World?"))
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		c := connector.Credentials{Secrets: secrets("webhook_secret", "another")}
		h := headers("X-Hub-Signature-256", "sha256="+good)
		wantUnauthenticated(t, d.VerifyWebhook(c, h, []byte("Hello, World!"), now), "another", hmacHex("another", "Hello, World!"))
	})
	t.Run("ErrMissingHeader", func(t *testing.T) {
		err := d.VerifyWebhook(cred, headers("X-Hub-Signature", "sha1=abc"), []byte("Hello, World!"), now)
		wantUnauthenticated(t, err)
		if !strings.Contains(err.Error(), "X-Hub-Signature-256") {
			t.Errorf("error %q does not name the header", err)
		}
	})
	t.Run("ErrNoPrefix", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhook(cred, headers("X-Hub-Signature-256", good), []byte("Hello, World!"), now))
	})
	t.Run("ErrNotHex", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhook(cred, headers("X-Hub-Signature-256", "sha256=zz"), []byte("Hello, World!"), now))
	})
	t.Run("ErrNoSecret", func(t *testing.T) {
		err := d.VerifyWebhook(connector.Credentials{}, headers("X-Hub-Signature-256", "sha256="+good), []byte("Hello, World!"), now)
		wantInvalid(t, err, "fields.webhook_secret")
	})
	t.Run("ErrNoWebhooks", func(t *testing.T) {
		err := mustDefinition(t, "openai").VerifyWebhook(cred, http.Header{}, nil, now)
		if !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("got %v, want validation_failed", err)
		}
	})
}

func TestVerifyWebhookStripe(t *testing.T) {
	d := mustDefinition(t, "stripe")
	const secret = "whsec_test_secret"
	cred := connector.Credentials{Secrets: secrets("webhook_secret", secret)}
	body := `{"id":"evt_1","object":"event","type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}`
	sign := func(at time.Time, payloadBody string) (string, string) {
		ts := strconv.FormatInt(at.Unix(), 10)
		return ts, hmacHex(secret, ts+"."+payloadBody)
	}
	ts, sig := sign(now, body)
	cases := []struct {
		name   string
		header string
		at     time.Time
		ok     bool
	}{
		{"OK", "t=" + ts + ",v1=" + sig, now, true},
		// Stripe adds a v0 signature in test mode and several v1 while a
		// secret rolls; any v1 may match.
		{"WithV0AndRolledSecret", "t=" + ts + ",v1=" + hmacHex("whsec_old", ts+"."+body) + ",v1=" + sig + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39", now, true},
		{"WithinTolerance", "t=" + ts + ",v1=" + sig, now.Add(299 * time.Second), true},
		{"ErrStale", "t=" + ts + ",v1=" + sig, now.Add(301 * time.Second), false},
		{"ErrFuture", "t=" + ts + ",v1=" + sig, now.Add(-10 * time.Minute), false},
		{"ErrTimestampChanged", "t=" + strconv.FormatInt(now.Unix()+1, 10) + ",v1=" + sig, now, false},
		{"ErrOnlyV0", "t=" + ts + ",v0=" + sig, now, false},
		{"ErrNoTimestamp", "v1=" + sig, now, false},
		{"ErrGarbage", "nonsense", now, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := d.VerifyWebhook(cred, headers("Stripe-Signature", tc.header), []byte(body), tc.at)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantUnauthenticated(t, err, secret)
		})
	}
}

func TestVerifyWebhookSlack(t *testing.T) {
	d := mustDefinition(t, "slack")
	t.Run("DocumentedExample", func(t *testing.T) {
		// The worked example of Slack's "Verifying requests from Slack".
		body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		cred := connector.Credentials{Secrets: secrets("signing_secret", "8f742231b10e8888abcd99yyyzzz85a5")}
		h := headers("X-Slack-Request-Timestamp", "1531420618", "X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
		if err := d.VerifyWebhook(cred, h, []byte(body), time.Unix(1531420618+60, 0)); err != nil {
			t.Fatal(err)
		}
		err := d.VerifyWebhook(cred, h, []byte(body), time.Unix(1531420618+6*60, 0))
		wantUnauthenticated(t, err)
		if !strings.Contains(err.Error(), "X-Slack-Request-Timestamp") {
			t.Errorf("error %q does not name the timestamp header", err)
		}
	})
	const secret = "slack-signing-secret"
	cred := connector.Credentials{Secrets: secrets("signing_secret", secret)}
	body := `{"type":"url_verification","token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	t.Run("ErrMissingTimestamp", func(t *testing.T) {
		h := headers("X-Slack-Signature", "v0="+hmacHex(secret, "v0:"+ts+":"+body))
		wantUnauthenticated(t, d.VerifyWebhook(cred, h, []byte(body), now))
	})
	t.Run("ErrTimestampNotUnix", func(t *testing.T) {
		h := headers("X-Slack-Request-Timestamp", "yesterday", "X-Slack-Signature", "v0="+hmacHex(secret, "v0:yesterday:"+body))
		wantUnauthenticated(t, d.VerifyWebhook(cred, h, []byte(body), now))
	})
	t.Run("OK", func(t *testing.T) {
		h := headers("X-Slack-Request-Timestamp", ts, "X-Slack-Signature", "v0="+hmacHex(secret, "v0:"+ts+":"+body))
		if err := d.VerifyWebhook(cred, h, []byte(body), now); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyWebhookVendors(t *testing.T) {
	const secret = "s3cr3t-value"
	zendeskTS := "2024-06-01T11:59:30Z"
	cases := []struct {
		name   string
		key    string
		field  string
		body   string
		header http.Header
	}{
		{"Zendesk", "zendesk", "webhook_secret", `{"type":"zen:event-type:ticket.created"}`,
			headers("X-Zendesk-Webhook-Signature-Timestamp", zendeskTS,
				"X-Zendesk-Webhook-Signature", hmacBase64(secret, zendeskTS+`{"type":"zen:event-type:ticket.created"}`))},
		{"Todoist", "todoist", "webhook_secret", `{"event_name":"item:added"}`,
			headers("X-Todoist-Hmac-SHA256", hmacBase64(secret, `{"event_name":"item:added"}`))},
		{"Jira", "jira", "webhook_secret", `{"webhookEvent":"jira:issue_created"}`,
			headers("X-Hub-Signature", "sha256="+hmacHex(secret, `{"webhookEvent":"jira:issue_created"}`))},
		{"PagerDuty", "pagerduty", "webhook_secret", `{"event":{"event_type":"incident.triggered"}}`,
			headers("X-PagerDuty-Signature", "v1="+hmacHex("old", `{"event":{"event_type":"incident.triggered"}}`)+",v1="+hmacHex(secret, `{"event":{"event_type":"incident.triggered"}}`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDefinition(t, tc.key)
			cred := connector.Credentials{Secrets: secrets(tc.field, secret)}
			if err := d.VerifyWebhook(cred, tc.header, []byte(tc.body), now); err != nil {
				t.Fatal(err)
			}
			err := d.VerifyWebhook(cred, tc.header, []byte(tc.body+" "), now)
			wantUnauthenticated(t, err, secret)
			wrong := connector.Credentials{Secrets: secrets(tc.field, "not-it")}
			wantUnauthenticated(t, d.VerifyWebhook(wrong, tc.header, []byte(tc.body), now), "not-it")
			wantUnauthenticated(t, d.VerifyWebhook(cred, http.Header{}, []byte(tc.body), now))
		})
	}
}

func TestVerifyWebhookGeneric(t *testing.T) {
	d := mustDefinition(t, "webhook")
	body := []byte(`{"kind":"order.paid","order":{"id":"o-1"}}`)
	t.Run("UnsignedWithoutSecret", func(t *testing.T) {
		if err := d.VerifyWebhook(connector.Credentials{}, http.Header{}, body, now); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("DefaultHeader", func(t *testing.T) {
		cred := connector.Credentials{Secrets: secrets("signing_secret", "k")}
		if err := d.VerifyWebhook(cred, headers("X-Signature", hmacHex("k", string(body))), body, now); err != nil {
			t.Fatal(err)
		}
		wantUnauthenticated(t, d.VerifyWebhook(cred, http.Header{}, body, now))
		wantUnauthenticated(t, d.VerifyWebhook(cred, headers("X-Signature", hmacHex("k", "{}")), body, now))
	})
	t.Run("ConfiguredHeaderAndPrefix", func(t *testing.T) {
		cred := connector.Credentials{
			Fields:  map[string]string{"signature_header": "X-Acme-Signature", "signature_prefix": "sha256="},
			Secrets: secrets("signing_secret", "k"),
		}
		h := headers("X-Acme-Signature", "sha256="+hmacHex("k", string(body)))
		if err := d.VerifyWebhook(cred, h, body, now); err != nil {
			t.Fatal(err)
		}
		wantUnauthenticated(t, d.VerifyWebhook(cred, headers("X-Acme-Signature", hmacHex("k", string(body))), body, now))
	})
}

func TestParseWebhook(t *testing.T) {
	type want struct {
		object, event, vendorType, id string
		recordKey                     string // a key the record must have
	}
	cases := []struct {
		name   string
		key    string
		cred   connector.Credentials
		header http.Header
		body   string
		want   want
	}{
		{"GitHubIssueOpened", "github", connector.Credentials{}, headers("X-GitHub-Event", "issues", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
			`{"action":"opened","issue":{"id":1347,"number":1347,"title":"Found a bug","state":"open","created_at":"2011-04-22T13:33:48Z","updated_at":"2011-04-22T13:33:48Z"},"repository":{"id":1296269,"full_name":"octocat/Hello-World"},"sender":{"login":"octocat"}}`,
			want{"issue", "created", "issues.opened", "1347", "title"}},
		{"GitHubIssueClosed", "github", connector.Credentials{}, headers("X-GitHub-Event", "issues"),
			`{"action":"closed","issue":{"id":1347,"number":1347,"state":"closed"}}`,
			want{"issue", "closed", "issues.closed", "1347", "state"}},
		{"GitHubPullRequestSynchronize", "github", connector.Credentials{}, headers("X-GitHub-Event", "pull_request"),
			`{"action":"synchronize","number":2,"pull_request":{"id":279147437,"number":2,"state":"open"},"before":"a","after":"b"}`,
			want{"pull_request", "updated", "pull_request.synchronize", "279147437", "number"}},
		{"GitHubPush", "github", connector.Credentials{}, headers("X-GitHub-Event", "push"),
			`{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","after":"0000000000000000000000000000000000000001","commits":[],"repository":{"id":1}}`,
			want{"repository", "pushed", "push", "0000000000000000000000000000000000000001", "ref"}},
		{"GitHubPingIsNotAnEvent", "github", connector.Credentials{}, headers("X-GitHub-Event", "ping"),
			`{"zen":"Design for failure.","hook_id":123}`,
			want{"", "", "ping", "", ""}},
		{"StripeCustomerCreated", "stripe", connector.Credentials{}, nil,
			`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2022-11-15","created":1686089970,"data":{"object":{"id":"cus_NffrFeUfNV2Hib","object":"customer","email":"jennyrosen@example.com","created":1680893993}},"livemode":false,"type":"customer.created"}`,
			want{"customer", "created", "customer.created", "cus_NffrFeUfNV2Hib", "email"}},
		{"StripeInvoicePaid", "stripe", connector.Credentials{}, nil,
			`{"id":"evt_2","object":"event","data":{"object":{"id":"in_1","object":"invoice","status":"paid"}},"type":"invoice.paid"}`,
			want{"invoice", "paid", "invoice.paid", "in_1", "status"}},
		{"StripeChargeRefunded", "stripe", connector.Credentials{}, nil,
			`{"id":"evt_3","object":"event","data":{"object":{"id":"ch_1","object":"charge","amount_refunded":100}},"type":"charge.refunded"}`,
			want{"charge", "refunded", "charge.refunded", "ch_1", "amount_refunded"}},
		{"StripeUnsubscribed", "stripe", connector.Credentials{}, nil,
			`{"id":"evt_4","object":"event","data":{"object":{"id":"prod_1"}},"type":"product.created"}`,
			want{"", "", "product.created", "", ""}},
		{"SlackMessage", "slack", connector.Credentials{}, nil,
			`{"token":"z26uFbvR1xHJEdHE1OQiO6t8","team_id":"T061EG9RZ","api_app_id":"A0FFV41KK","event":{"type":"message","channel":"C2147483705","user":"U2147483697","text":"Hello world","ts":"1355517523.000005","event_ts":"1355517523.000005","channel_type":"channel"},"type":"event_callback","event_id":"Ev0PV52K21","event_time":1355517523}`,
			want{"message", "created", "message", "1355517523.000005", "text"}},
		{"SlackReactionAdded", "slack", connector.Credentials{}, nil,
			`{"type":"event_callback","event":{"type":"reaction_added","user":"U024BE7LH","reaction":"thumbsup","item_user":"U0G9QF9C6","item":{"type":"message","channel":"C0G9QF9GZ","ts":"1360782400.498405"},"event_ts":"1360782804.083113"}}`,
			want{"message", "reaction_added", "reaction_added", "1360782400.498405", "reaction"}},
		{"SlackChannelCreated", "slack", connector.Credentials{}, nil,
			`{"type":"event_callback","event":{"type":"channel_created","channel":{"id":"C024BE91L","name":"fun","created":1360782804,"creator":"U024BE7LH"}}}`,
			want{"conversation", "created", "channel_created", "C024BE91L", "name"}},
		{"JiraIssueCreated", "jira", connector.Credentials{}, nil,
			`{"timestamp":1712345678901,"webhookEvent":"jira:issue_created","issue_event_type_name":"issue_created","user":{"accountId":"5b10a2844c20165700ede21g"},"issue":{"id":"10002","self":"https://acme.atlassian.net/rest/api/3/issue/10002","key":"OPS-7","fields":{"summary":"Disk full","created":"2024-04-05T19:34:38.901+0000","updated":"2024-04-05T19:34:38.901+0000"}}}`,
			want{"issue", "created", "jira:issue_created", "OPS-7", "fields"}},
		{"JiraIssueDeleted", "jira", connector.Credentials{}, nil,
			`{"webhookEvent":"jira:issue_deleted","issue":{"id":"10002","key":"OPS-7","fields":{}}}`,
			want{"issue", "deleted", "jira:issue_deleted", "OPS-7", "key"}},
		{"ZendeskTicketCreated", "zendesk", connector.Credentials{}, nil,
			`{"account_id":22129848,"detail":{"actor_id":"8447388090494","assignee_id":null,"created_at":"2024-05-27T18:44:42Z","id":"5158","status":"NEW","subject":"Printer on fire","updated_at":"2024-05-27T18:44:42Z"},"event":{},"id":"cbe4028c-7239-495d-b020-f22348516046","subject":"zen:ticket:5158","time":"2024-05-27T18:44:42.615Z","type":"zen:event-type:ticket.created","zendesk_event_version":"2022-11-06"}`,
			want{"ticket", "created", "zen:event-type:ticket.created", "5158", "subject"}},
		{"TodoistItemCompleted", "todoist", connector.Credentials{}, nil,
			`{"event_name":"item:completed","user_id":"2671355","event_data":{"id":"2995104339","content":"Buy Milk","project_id":"2203306141","checked":true},"initiator":{"id":"2671355"},"version":"9"}`,
			want{"task", "completed", "item:completed", "2995104339", "content"}},
		{"PagerDutyTriggered", "pagerduty", connector.Credentials{}, nil,
			`{"event":{"id":"01BTOEF7C8XO0I0VG6R1MD8YWS","event_type":"incident.triggered","resource_type":"incident","occurred_at":"2020-10-02T18:45:22.169Z","data":{"id":"PGR0VU2","type":"incident","title":"A little bump in the road","status":"triggered"}}}`,
			want{"incident", "triggered", "incident.triggered", "PGR0VU2", "title"}},
		{"GenericDefault", "webhook", connector.Credentials{}, nil,
			`{"kind":"order.paid","order":{"id":"o-1"}}`,
			want{"event", "received", "", "", "kind"}},
		{"GenericConfigured", "webhook", connector.Credentials{Fields: map[string]string{"event_type_path": "kind", "id_path": "order.id"}}, nil,
			`{"kind":"order.paid","order":{"id":"o-1"}}`,
			want{"event", "received", "order.paid", "o-1", "kind"}},
		{"GenericHeaderType", "webhook", connector.Credentials{Fields: map[string]string{"event_type_header": "X-Event"}}, headers("X-Event", "build.finished"),
			`[1,2,3]`,
			want{"event", "received", "build.finished", "", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDefinition(t, tc.key)
			if tc.header == nil {
				tc.header = http.Header{}
			}
			ev, hs, err := d.ParseWebhook(tc.cred, tc.header, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if hs != nil {
				t.Fatalf("got a handshake %q", hs.Body)
			}
			got := want{ev.Object, ev.Event, ev.VendorType, ev.ObjectID, tc.want.recordKey}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if ev.Matched() != (tc.want.object != "") {
				t.Errorf("Matched() = %v", ev.Matched())
			}
			if tc.want.recordKey != "" {
				if _, ok := ev.Record[tc.want.recordKey]; !ok {
					t.Errorf("record %v has no %s", ev.Record, tc.want.recordKey)
				}
			}
			if ev.Payload == nil {
				t.Error("no payload")
			}
		})
	}
}

func TestParseWebhookSlackChallenge(t *testing.T) {
	d := mustDefinition(t, "slack")
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	ev, hs, err := d.ParseWebhook(connector.Credentials{}, http.Header{}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if ev != nil || hs == nil {
		t.Fatalf("got event %v and handshake %v, want only a handshake", ev, hs)
	}
	if hs.StatusCode != 200 || string(hs.Body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" || !strings.HasPrefix(hs.ContentType, "text/plain") {
		t.Errorf("handshake = %d %q %q", hs.StatusCode, hs.ContentType, hs.Body)
	}
	t.Run("ErrNoChallenge", func(t *testing.T) {
		_, _, err := d.ParseWebhook(connector.Credentials{}, http.Header{}, []byte(`{"type":"url_verification"}`))
		wantInvalid(t, err, "body.challenge")
	})
}

func TestParseWebhookRejects(t *testing.T) {
	cases := []struct {
		name, key, header, body, field string
	}{
		{"NotJSON", "stripe", "", `type=customer.created`, "body"},
		{"Truncated", "stripe", "", `{"type":"customer.created","data":{`, "body"},
		{"NoRecord", "stripe", "", `{"type":"customer.created","data":{}}`, "body.data.object"},
		{"RecordNotObject", "stripe", "", `{"type":"customer.created","data":{"object":"cus_1"}}`, "body.data.object"},
		{"NoID", "stripe", "", `{"type":"customer.created","data":{"object":{"email":"a@example.com"}}}`, "body.id"},
		{"IDNotScalar", "github", "issues", `{"action":"opened","issue":{"id":{"n":1}}}`, "body.id"},
		{"BadConfiguredPath", "webhook", "", `{}`, "fields.id_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := connector.Credentials{}
			if tc.key == "webhook" {
				cred.Fields = map[string]string{"id_path": "a[x]"}
			}
			_, _, err := mustDefinition(t, tc.key).ParseWebhook(cred, headers("X-GitHub-Event", tc.header), []byte(tc.body))
			wantInvalid(t, err, tc.field)
		})
	}
	t.Run("NoWebhooks", func(t *testing.T) {
		_, _, err := mustDefinition(t, "openai").ParseWebhook(connector.Credentials{}, http.Header{}, []byte(`{}`))
		if !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("got %v, want validation_failed", err)
		}
	})
}

// TestParseWebhookEventID: each connector reads the vendor's own ID of a
// delivery, which is what makes a re-sent event a repeat.
func TestParseWebhookEventID(t *testing.T) {
	cases := []struct {
		name   string
		key    string
		fields map[string]string
		header http.Header
		body   string
		want   string
	}{
		{"GitHubDeliveryHeader", "github", nil, headers("X-GitHub-Event", "issues", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
			`{"action":"opened","issue":{"id":1347}}`, "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		{"GitHubNoHeader", "github", nil, headers("X-GitHub-Event", "issues"), `{"action":"opened","issue":{"id":1347}}`, ""},
		{"StripeEventID", "stripe", nil, nil,
			`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","data":{"object":{"id":"cus_1"}},"type":"customer.created"}`,
			"evt_1NG8Du2eZvKYlo2CUI79vXWy"},
		{"SlackEventID", "slack", nil, nil,
			`{"type":"event_callback","event_id":"Ev0PV52K21","event":{"type":"message","ts":"1355517523.000005"}}`, "Ev0PV52K21"},
		{"PagerDutyEventID", "pagerduty", nil, nil,
			`{"event":{"id":"01BTOEF7C8XO0I0VG6R1MD8YWS","event_type":"incident.triggered","data":{"id":"PGR0VU2"}}}`,
			"01BTOEF7C8XO0I0VG6R1MD8YWS"},
		{"ZendeskEventID", "zendesk", nil, nil,
			`{"detail":{"id":"5158"},"id":"cbe4028c-7239-495d-b020-f22348516046","type":"zen:event-type:ticket.created"}`,
			"cbe4028c-7239-495d-b020-f22348516046"},
		{"TodoistDeliveryHeader", "todoist", nil, headers("X-Todoist-Delivery-ID", "2d7d4b9e-0f4a-4c1b-9f7e-1b7c6f3b8a11"),
			`{"event_name":"item:completed","event_data":{"id":"2995104339"}}`, "2d7d4b9e-0f4a-4c1b-9f7e-1b7c6f3b8a11"},
		{"JiraIdentifierHeader", "jira", nil, headers("X-Atlassian-Webhook-Identifier", "1234567"),
			`{"webhookEvent":"jira:issue_created","issue":{"id":"10002","key":"OPS-7"}}`, "1234567"},
		{"GenericPath", "webhook", map[string]string{"id_path": "delivery"}, nil, `{"delivery":42,"kind":"x"}`, "42"},
		{"GenericHeaderWins", "webhook", map[string]string{"id_path": "delivery", "event_id_header": "X-Delivery"},
			headers("X-Delivery", "d-1"), `{"delivery":42}`, "d-1"},
		{"GenericHeaderAbsentFallsBackToPath", "webhook", map[string]string{"id_path": "delivery", "event_id_header": "X-Delivery"},
			nil, `{"delivery":"d-2"}`, "d-2"},
		{"GenericUnconfigured", "webhook", nil, headers("X-Delivery", "d-1"), `{"delivery":"d-3"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.header == nil {
				tc.header = http.Header{}
			}
			ev, _, err := mustDefinition(t, tc.key).ParseWebhook(connector.Credentials{Fields: tc.fields}, tc.header, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if ev.EventID != tc.want {
				t.Errorf("EventID = %q, want %q", ev.EventID, tc.want)
			}
		})
	}
	t.Run("ErrNotScalar", func(t *testing.T) {
		_, _, err := mustDefinition(t, "stripe").ParseWebhook(connector.Credentials{}, http.Header{},
			[]byte(`{"id":{"x":1},"data":{"object":{"id":"cus_1"}},"type":"customer.created"}`))
		wantInvalid(t, err, "body.id")
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		h := headers("X-GitHub-Event", "issues", "X-GitHub-Delivery", strings.Repeat("x", connector.MaxEventIDLen+1))
		_, _, err := mustDefinition(t, "github").ParseWebhook(connector.Credentials{}, h, []byte(`{"action":"opened","issue":{"id":1}}`))
		wantInvalid(t, err, "header.X-GitHub-Delivery")
	})
	t.Run("ErrBadDefinition", func(t *testing.T) {
		mustParse(t, webhookOnlyYAML)
		_, err := connector.Parse([]byte(strings.Replace(webhookOnlyYAML, "event_id: {header: X-Delivery}", "event_id: {header: \"bad header\"}", 1)))
		if err == nil || !strings.Contains(err.Error(), "webhooks.event_id.header") {
			t.Fatalf("got %v, want an error naming webhooks.event_id.header", err)
		}
	})
}

const webhookOnlyYAML = `key: pushy
display_name: Pushy
version: "1"
description: Pushes events.
http_request: false
fields:
  - {name: secret, type: secret}
auth:
  - type: none
webhooks:
  signature: {scheme: hmac_sha256, secret_field: secret, header: X-Sig}
  event_type: {path: type}
  event_id: {header: X-Delivery}
objects:
  - name: thing
    events:
      - name: happened
        webhook: {}
`
