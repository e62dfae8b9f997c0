package connector_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction/connector"
)

// discordCommand is the interaction of Discord's documentation
// (https://discord.com/developers/docs/interactions/receiving-and-responding#receiving-an-interaction):
// a slash command with one option.
const discordCommand = `{
    "type": 2,
    "token": "A_UNIQUE_TOKEN",
    "member": {
        "user": {
            "id": "53908232506183680",
            "username": "Mason",
            "avatar": "a_d5efa99b3eeaa7dd43acca82f5692432",
            "discriminator": "1337",
            "public_flags": 131141
        },
        "roles": ["539082325061836999"],
        "premium_since": null,
        "permissions": "2147483647",
        "pending": false,
        "nick": null,
        "mute": false,
        "joined_at": "2017-03-13T19:19:14.040000+00:00",
        "is_pending": false,
        "deaf": false
    },
    "id": "786008729715212338",
    "guild_id": "290926798626357999",
    "app_permissions": "442368",
    "guild_locale": "en-US",
    "locale": "en-US",
    "data": {
        "options": [{
            "type": 3,
            "name": "cardname",
            "value": "The Gitrog Monster"
        }],
        "type": 1,
        "name": "cardsearch",
        "id": "771825006014889984"
    },
    "channel_id": "645027906669510667"
}`

// discordPing is the PING Discord sends to check the endpoint
// (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-acknowledging-ping-requests).
const discordPing = `{"application_id":"1136356185412460584","id":"1136365432785186857","token":"aW50ZXJhY3Rpb24","type":1,"user":{"id":"53908232506183680","username":"Mason"},"version":1}`

// discordRequest signs a body as Discord does: Ed25519 over the timestamp
// followed by the body, the signature in hex.
func discordRequest(key ed25519.PrivateKey, body string, at time.Time) connector.WebhookRequest {
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := ed25519.Sign(key, []byte(ts+body))
	return connector.WebhookRequest{Body: []byte(body),
		Header: headers("X-Signature-Ed25519", hex.EncodeToString(sig), "X-Signature-Timestamp", ts, "Content-Type", "application/json")}
}

func TestWebhookDiscordInteractions(t *testing.T) {
	d := catalogCDefinition(t, "discord")
	key := ed25519.NewKeyFromSeed([]byte("discord-application-signing-seed"))
	other := ed25519.NewKeyFromSeed([]byte("someone-else-signing-key-seed-00"))
	public := hex.EncodeToString(key.Public().(ed25519.PublicKey))
	cred := connector.Credentials{Auth: "bot_token", Fields: map[string]string{"public_key": public}, Secrets: secrets("bot_token", "b")}

	t.Run("Ping", func(t *testing.T) {
		req := discordRequest(key, discordPing, now)
		// Unverified, the PING is not answered: the signature comes first.
		if hs, err := d.AnswerHandshake(cred, req); hs != nil || err != nil {
			t.Fatalf("unverified PING answered: %+v, %v", hs, err)
		}
		if err := d.VerifyWebhookRequest(cred, req, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, req)
		if err != nil || evs != nil || hs == nil || string(hs.Body) != `{"type":1}` || hs.ContentType != "application/json" {
			t.Fatalf("PING = %v, %+v, %v", evs, hs, err)
		}
	})
	t.Run("ErrPingWronglySigned", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, discordRequest(other, discordPing, now), now), public)
	})
	t.Run("Command", func(t *testing.T) {
		req := discordRequest(key, discordCommand, now)
		if err := d.VerifyWebhookRequest(cred, req, now); err != nil {
			t.Fatal(err)
		}
		evs, hs, err := d.ParseWebhookEvents(cred, req)
		if err != nil || len(evs) != 1 {
			t.Fatalf("ParseWebhookEvents = %v, %v", evs, err)
		}
		if e := evs[0]; e.Object != "interaction" || e.Event != "command" || e.ObjectID != "786008729715212338" || e.EventID != "786008729715212338" {
			t.Errorf("event = %s.%s %q %q", e.Object, e.Event, e.ObjectID, e.EventID)
		}
		if hs == nil || string(hs.Body) != `{"type":5}` {
			t.Errorf("answer = %+v, want the deferred response", hs)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		req := discordRequest(key, discordCommand, now)
		req.Body = []byte(strings.Replace(discordCommand, "The Gitrog Monster", "Black Lotus", 1))
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, req, now))
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantUnauthenticated(t, d.VerifyWebhookRequest(cred, discordRequest(key, discordCommand, now.Add(-10*time.Minute)), now))
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		c := cred
		c.Fields = nil
		wantInvalid(t, d.VerifyWebhookRequest(c, discordRequest(key, discordCommand, now), now), "fields.public_key")
		c.Fields = map[string]string{"public_key": "not-hex"}
		wantInvalid(t, d.VerifyWebhookRequest(c, discordRequest(key, discordCommand, now), now), "fields.public_key")
	})
}

func TestValidateEd25519Signature(t *testing.T) {
	const def = `
key: ed
display_name: ED
version: "1"
base_url: https://api.example.com
fields:
  - {name: pk, type: secret}
auth:
  - type: none
webhooks:
  signature: {scheme: ed25519, key_field: pk, secret_field: pk, header: X-Sig}
  handshake:
    - {match: [{path: type, values: [1]}], reply: '{"type":', signed: true}
`
	_, err := connector.Parse([]byte(def))
	for _, want := range []string{"webhooks.signature.key_field", "webhooks.signature.secret_field", "webhooks.handshake[0].reply"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v, want %s refused", err, want)
		}
	}
	ok := strings.NewReplacer("type: secret", "type: text", ", secret_field: pk", "", `'{"type":'`, `'{"type":1}'`).Replace(def)
	if _, err := connector.Parse([]byte(ok)); err != nil {
		t.Fatalf("Parse = %v", err)
	}
}
