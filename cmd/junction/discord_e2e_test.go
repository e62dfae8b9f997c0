package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// TestDiscordInteractions_EndToEnd has the real server pass Discord's
// endpoint check: a wrongly signed PING refused with 401, a rightly signed
// one answered {"type":1}; then a command is stored as a job and answered
// with a deferred response.
func TestDiscordInteractions_EndToEnd(t *testing.T) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, _ := triggerServer(t, t.TempDir(), "", clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Bots"}, &folder)
	key := ed25519.NewKeyFromSeed([]byte("discord-application-signing-seed"))
	forger := ed25519.NewKeyFromSeed([]byte("not-the-application-key-seed-000"))
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "discord", "name": "discord", "auth_type": "bot_token",
		"fields": map[string]any{"bot_token": "b", "public_key": hex.EncodeToString(key.Public().(ed25519.PublicKey))},
	}, &conn)
	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "interaction", "event": "command", "kind": "webhook",
		"target": map[string]any{"type": "queue", "name": "bot"},
	}, &tr)

	send := func(signer ed25519.PrivateKey, body string) (int, string) {
		t.Helper()
		ts := strconv.FormatInt(clock.Now().Unix(), 10)
		req, err := http.NewRequest("POST", tr.WebhookURL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(signer, []byte(ts+body))))
		req.Header.Set("X-Signature-Timestamp", ts)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const ping = `{"application_id":"1136356185412460584","id":"1136365432785186857","token":"aW50ZXJhY3Rpb24","type":1,"version":1}`
	if code, _ := send(forger, ping); code != http.StatusUnauthorized {
		t.Fatalf("wrongly signed PING: %d", code)
	}
	if code, body := send(key, ping); code != http.StatusOK || body != `{"type":1}` {
		t.Fatalf("PING: %d %s", code, body)
	}
	command := `{"type":2,"id":"786008729715212338","application_id":"1136356185412460584","token":"A_UNIQUE_TOKEN",` +
		`"data":{"id":"771825006014889984","name":"cardsearch","type":1},"channel_id":"645027906669510667"}`
	if code, body := send(key, command); code != http.StatusOK || body != `{"type":5}` {
		t.Fatalf("command: %d %s", code, body)
	}
	js := c.jobs("trigger_id=" + tr.ID)
	if len(js) != 1 || js[0].ObjectID != "786008729715212338" {
		t.Fatalf("jobs = %+v", js)
	}
}
