package connector_test

import (
	"strings"
	"testing"
)

// eventDef is a valid definition with polling and webhooks; the cases below
// break one thing each.
const eventDef = minimal + `fields:
  - {name: webhook_secret, type: secret}
  - {name: region, type: text}
webhooks:
  signature:
    scheme: hmac_sha256
    secret_field: webhook_secret
    header: X-Signature
    prefix: "sha256="
  event_type: {path: type}
  record: data
objects:
  - name: item
    operations:
      list:
        method: GET
        path: /items
        inputs:
          - {name: since, type: string}
          - {name: after, type: integer}
          - {name: sort, type: string}
    events:
      - name: updated
        polling:
          interval: 5m
          inputs: {sort: updated}
          since: {input: since, format: rfc3339}
          id: id
          updated: {path: updated_at}
          lookback: 1m
        webhook: {types: [item.updated], id: id}
`

func TestParseEvents(t *testing.T) {
	d := mustParse(t, eventDef)
	if e := d.Event("item", "updated"); e == nil || e.Polling.Since.Input != "since" {
		t.Fatalf("event = %+v", e)
	}
	cases := []struct {
		name, old, new string
		path, msg      string
	}{
		{"UnknownOperation", "          interval: 5m\n", "          interval: 5m\n          operation: search\n", "objects[0].events[0].polling.operation", `unknown value "search"`},
		{"MissingOperation", "          interval: 5m\n", "          interval: 5m\n          operation: get\n", "objects[0].events[0].polling.operation", "object has no get operation"},
		{"UnknownActivity", "          interval: 5m\n", "          interval: 5m\n          activity: export\n", "objects[0].events[0].polling.activity", `no activity "export"`},
		{"MissingID", "          id: id\n", "", "objects[0].events[0].polling.id", "is required"},
		{"BadIDPath", "          id: id\n", "          id: \"a[x]\"\n", "objects[0].events[0].polling.id", "invalid JSON path"},
		{"BadFormat", "format: rfc3339}", "format: yyyy-MM-dd}", "objects[0].events[0].polling.since.format", `unknown time format "yyyy-MM-dd"`},
		{"BadLayout", "format: rfc3339}", "format: \"2006-13-45\"}", "objects[0].events[0].polling.since.format", "does not round-trip"},
		{"BadTimeZone", "format: rfc3339}", "format: rfc3339, time_zone: Mars/Olympus}", "objects[0].events[0].polling.since.time_zone", `unknown time zone "Mars/Olympus"`},
		{"TimeZoneUndeclaredField", "format: rfc3339}", "format: rfc3339, time_zone: \"{tz}\"}", "objects[0].events[0].polling.since.time_zone", `undeclared field "tz"`},
		{"UnknownSinceInput", "input: since,", "input: changed_since,", "objects[0].events[0].polling.since.input", `no input "changed_since"`},
		{"IntegerSinceNeedsUnix", "input: since, format: rfc3339", "input: after, format: rfc3339", "objects[0].events[0].polling.since.format", "use unix or unix_ms"},
		{"TemplateWithoutSince", "format: rfc3339}", "format: rfc3339, template: \"updated > now\"}", "objects[0].events[0].polling.since.template", "must contain {since}"},
		{"TemplateOtherName", "format: rfc3339}", "format: rfc3339, template: \"{since} {until}\"}", "objects[0].events[0].polling.since.template", "only {since} is known"},
		{"SinceWithoutTime", "          updated: {path: updated_at}\n", "", "objects[0].events[0].polling", "needs the record's updated or created time"},
		{"UnknownFixedInput", "inputs: {sort: updated}", "inputs: {order: asc}", "objects[0].events[0].polling.inputs.order", `no input "order"`},
		{"FixedInputType", "inputs: {sort: updated}", "inputs: {after: soon}", "objects[0].events[0].polling.inputs.after", "does not match type integer"},
		{"BadLookback", "lookback: 1m", "lookback: a bit", "objects[0].events[0].polling.lookback", "positive duration"},
		{"UnknownChange", "lookback: 1m\n", "lookback: 1m\n          changes: [moved]\n", "objects[0].events[0].polling.changes[0]", `unknown value "moved"`},
		{"CursorWithoutPath", "lookback: 1m\n", "lookback: 1m\n          cursor: {input: since}\n", "objects[0].events[0].polling.cursor.path", "is required"},
		{"UnknownScheme", "scheme: hmac_sha256", "scheme: rsa_sha256", "webhooks.signature.scheme", `unknown value "rsa_sha256"`},
		{"SecretFieldUndeclared", "secret_field: webhook_secret", "secret_field: signing_key", "webhooks.signature.secret_field", `undeclared field "signing_key"`},
		{"SecretFieldNotSecret", "secret_field: webhook_secret", "secret_field: region", "webhooks.signature.secret_field", `field "region" must be of type secret`},
		{"SecretFieldMissing", "    secret_field: webhook_secret\n", "", "webhooks.signature.secret_field", "is required"},
		{"BadSignatureHeader", "header: X-Signature", "header: \"X Signature\"", "webhooks.signature.header", "invalid header name"},
		{"PrefixSecret", "prefix: \"sha256=\"", "prefix: \"{webhook_secret}\"", "webhooks.signature.prefix", "secrets may only be used by auth"},
		{"BadEncoding", "prefix: \"sha256=\"", "prefix: \"sha256=\"\n    encoding: base32", "webhooks.signature.encoding", "want hex, base64"},
		{"PayloadWithoutBody", "prefix: \"sha256=\"", "prefix: \"sha256=\"\n    payload: \"{timestamp}\"", "webhooks.signature.payload", "must contain {body}"},
		{"PayloadTimestampWithoutSection", "prefix: \"sha256=\"", "prefix: \"sha256=\"\n    payload: \"{timestamp}.{body}\"", "webhooks.signature.payload", "no timestamp section"},
		{"TimestampWithoutSource", "prefix: \"sha256=\"", "prefix: \"sha256=\"\n    timestamp: {tolerance: 5m}", "webhooks.signature.timestamp.header", "is required"},
		{"BadTolerance", "prefix: \"sha256=\"", "prefix: \"sha256=\"\n    timestamp: {header: X-Time, tolerance: forever}", "webhooks.signature.timestamp.tolerance", "positive duration"},
		{"TokenWithEncoding", "scheme: hmac_sha256", "scheme: token\n    encoding: hex", "webhooks.signature", "do not apply to the token scheme"},
		{"BadHandshake", "  record: data\n", "  record: data\n  handshake: [{match: [], respond: challenge}]\n", "webhooks.handshake[0].match", "at least one item"},
		{"DuplicateVendorType", "        webhook: {types: [item.updated], id: id}\n", "        webhook: {types: [item.updated], id: id}\n      - name: changed\n        webhook: {types: [item.updated], id: id}\n", "objects[0].events[1].webhook.types[0]", `"item.updated" already maps to item.updated`},
		{"TwoCatchAlls", "        webhook: {types: [item.updated], id: id}\n", "        webhook: {types: [item.updated], id: id}\n      - name: a\n        webhook: {}\n      - name: b\n        webhook: {}\n", "objects[0].events[2].webhook.types", "already receives every unclaimed delivery"},
		{"WebhookMissingID", "webhook: {types: [item.updated], id: id}", "webhook: {types: [item.updated]}", "objects[0].events[0].webhook.id", "is required"},
		{"NoEventTypeSource", "  event_type: {path: type}\n", "", "objects[0].events[0].webhook.types", "says nowhere to read the type from"},
		{"DuplicateEvent", "        webhook: {types: [item.updated], id: id}\n", "        webhook: {types: [item.updated], id: id}\n      - name: updated\n        webhook: {types: [x], id: id}\n", "objects[0].events[1].name", `duplicate event "updated"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(eventDef, tc.old) {
				t.Fatalf("eventDef has no %q", tc.old)
			}
			probs := problems(t, strings.Replace(eventDef, tc.old, tc.new, 1))
			for _, p := range probs {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
	t.Run("WebhookNeedsSection", func(t *testing.T) {
		doc := minimal + "objects:\n  - name: c\n    operations: {list: {method: GET, path: /c}}\n    events: [{name: created, webhook: {types: [c.created], id: id}}]\n"
		for _, p := range problems(t, doc) {
			if p.Path == "objects[0].events[0].webhook" && strings.Contains(p.Message, "no webhooks section") {
				return
			}
		}
		t.Error("an event webhook without a webhooks section was accepted")
	})
	t.Run("BaseURLOptionalOnlyForReceivers", func(t *testing.T) {
		receiver := "key: r\ndisplay_name: R\nversion: \"1\"\nhttp_request: false\nauth: [{type: none}]\nwebhooks: {}\nobjects:\n  - name: event\n    events: [{name: received, webhook: {}}]\n"
		mustParse(t, receiver)
		sender := strings.Replace(receiver, "http_request: false\n", "", 1)
		for _, p := range problems(t, sender) {
			if p.Path == "base_url" && p.Message == "is required" {
				return
			}
		}
		t.Error("a connector that sends requests was accepted without a base URL")
	})
}
