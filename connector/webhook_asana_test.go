package connector_test

import (
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// asanaEvents is a delivery of Asana's webhooks guide
// (https://developers.asana.com/docs/webhooks-guide): a task added to the
// watched project, a field of it changed, and a story added to it.
const asanaEvents = `{"events":[` +
	`{"user":{"gid":"1199112","resource_type":"user"},"created_at":"2026-04-13T22:50:12.204Z","action":"added","resource":{"gid":"1204412345","resource_type":"task","resource_subtype":"default_task"},"parent":{"gid":"1203987654","resource_type":"project"},"change":null},` +
	`{"user":{"gid":"1199112","resource_type":"user"},"created_at":"2026-04-13T22:51:02.118Z","action":"changed","resource":{"gid":"1204412345","resource_type":"task","resource_subtype":"default_task"},"parent":null,"change":{"field":"name","action":"changed"}},` +
	`{"user":{"gid":"1199112","resource_type":"user"},"created_at":"2026-04-13T22:52:40.001Z","action":"added","resource":{"gid":"1204419999","resource_type":"story","resource_subtype":"comment_added"},"parent":{"gid":"1204412345","resource_type":"task"},"change":null}` +
	`]}`

func TestWebhookAsana(t *testing.T) {
	d := mustDefinition(t, "asana")
	const hookSecret = "6f1e2c0d9a8b7c6d5e4f3a2b1c0d9e8f"
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "pat")}

	t.Run("HandshakeKept", func(t *testing.T) {
		hs, err := d.AnswerHandshake(cred, connector.WebhookRequest{Header: headers("X-Hook-Secret", hookSecret)})
		if err != nil || hs == nil {
			t.Fatalf("AnswerHandshake = %+v, %v", hs, err)
		}
		if hs.Header.Get("X-Hook-Secret") != hookSecret || hs.Kept.Reveal() != hookSecret {
			t.Errorf("answer header %q, kept %v", hs.Header.Get("X-Hook-Secret"), !hs.Kept.IsZero())
		}
	})
	req := func(body, sig string) connector.WebhookRequest {
		return connector.WebhookRequest{Header: headers("Content-Type", "application/json", "X-Hook-Signature", sig),
			Body: []byte(body), HandshakeSecret: junction.NewSecret(hookSecret)}
	}
	t.Run("OK", func(t *testing.T) {
		r := req(asanaEvents, hmacHex(hookSecret, asanaEvents))
		if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, r)
		if err != nil || hs != nil || len(evs) != 3 {
			t.Fatalf("ParseWebhookEvents = %v, %v, %v", evs, hs, err)
		}
		want := []struct{ object, event, id, vendor string }{
			{"task", "created", "1204412345", "task.added"},
			{"task", "updated", "1204412345", "task.changed"},
			{"", "", "", "story.added"},
		}
		for i, w := range want {
			e := evs[i]
			if e.Object != w.object || e.Event != w.event || e.ObjectID != w.id || e.VendorType != w.vendor {
				t.Errorf("event %d = %s.%s %q %q, want %+v", i, e.Object, e.Event, e.ObjectID, e.VendorType, w)
			}
		}
	})
	t.Run("Heartbeat", func(t *testing.T) {
		const body = `{"events":[]}`
		r := req(body, hmacHex(hookSecret, body))
		if err := d.VerifyWebhookRequest(cred, r, now); err != nil {
			t.Fatal(err)
		}
		if evs, _, err := d.ParseWebhookEvents(cred, r); err != nil || len(evs) != 0 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
	})
	t.Run("ErrBadSignature", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(asanaEvents, hmacHex("another", asanaEvents)), now), hookSecret)
		forged := strings.Replace(asanaEvents, "1204412345", "1204400000", 1)
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req(forged, hmacHex(hookSecret, asanaEvents)), now), hookSecret)
	})
	t.Run("ErrNoSecretKept", func(t *testing.T) {
		r := req(asanaEvents, hmacHex(hookSecret, asanaEvents))
		r.HandshakeSecret = junction.Secret{}
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, r, now), hookSecret)
	})
}

func TestValidateHandshakeSecret(t *testing.T) {
	const def = `
key: hs
display_name: HS
version: "1"
base_url: https://api.example.com
auth:
  - type: none
webhooks:
  handshake:
    - from: {header: X-Hook-Secret}
      into: {header: X-Hook-Secret}
      keep: true
  signature: {scheme: hmac_sha256, handshake_secret: true, header: X-Sig}
`
	if _, err := connector.Parse([]byte(def)); err != nil {
		t.Fatalf("Parse = %v", err)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"NoKeep", "      keep: true\n", "", "webhooks.signature.handshake_secret"},
		{"KeepUnused", "  signature: {scheme: hmac_sha256, handshake_secret: true, header: X-Sig}\n", "", "webhooks.handshake[0].keep"},
		{"TokenScheme", "scheme: hmac_sha256", "scheme: token", "handshake_secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := connector.Parse([]byte(strings.Replace(def, c.from, c.to, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse = %v, want %s refused", err, c.want)
			}
		})
	}
}
