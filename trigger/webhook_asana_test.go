package trigger_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"junction"
	"junction/engine"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestWebhookAsanaHandshakeSecret: the secret of Asana's handshake is kept
// sealed for the trigger, never in the clear, and verifies the deliveries
// that follow; before the handshake, and with another secret, deliveries
// are refused. A second handshake replaces the secret.
func TestWebhookAsanaHandshakeSecret(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			e := newEnv(t, db)
			s := e.startServer(t, db)
			conn := e.newAsanaConnection(t)
			tr, token := e.newAsanaTrigger(t, conn)
			const hookSecret, nextSecret = "a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
			batch := `{"events":[` +
				`{"user":{"gid":"11","resource_type":"user"},"created_at":"2026-03-02T10:00:00.000Z","action":"added","resource":{"gid":"9001","resource_type":"task","resource_subtype":"default_task"},"parent":{"gid":"77","resource_type":"project"},"change":null},` +
				`{"user":{"gid":"11","resource_type":"user"},"created_at":"2026-03-02T10:00:01.000Z","action":"changed","resource":{"gid":"9001","resource_type":"task","resource_subtype":"default_task"},"parent":null,"change":{"field":"name","action":"changed"}}]}`
			deliver := func(secret string) error {
				_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{
					Header: http.Header{"Content-Type": {"application/json"}, "X-Hook-Signature": {asanaSign(secret, batch)}},
					Body:   []byte(batch)})
				return err
			}
			handshake := func(secret string) {
				t.Helper()
				resp, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: http.Header{"X-Hook-Secret": {secret}}})
				must(t, err)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Hook-Secret") != secret {
					t.Fatalf("handshake answered %d %v", resp.StatusCode, resp.Header)
				}
			}

			if err := deliver(hookSecret); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("delivery before the handshake: %v", err)
			}
			handshake(hookSecret)
			got, err := db.GetTrigger(e.ctx, tr.TenantID, tr.ID)
			must(t, err)
			if got.WebhookSecretSealedID == "" {
				t.Fatal("the handshake's secret was not kept")
			}
			sv, err := db.GetSealed(e.ctx, tr.TenantID, got.WebhookSecretSealedID)
			must(t, err)
			if bytes.Contains(sv.Ciphertext, []byte(hookSecret)) {
				t.Fatal("the secret is stored in the clear")
			}

			must(t, deliver(hookSecret))
			if err := deliver("forged-secret"); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("delivery with another secret: %v", err)
			}
			wantStrings(t, "jobs", jobObjects(e.jobs(t, tr.ID)), []string{"9001"})

			handshake(nextSecret) // the webhook made again for the same URL
			again, err := db.GetTrigger(e.ctx, tr.TenantID, tr.ID)
			must(t, err)
			if again.WebhookSecretSealedID != got.WebhookSecretSealedID {
				t.Errorf("sealed ID changed: %s, was %s", again.WebhookSecretSealedID, got.WebhookSecretSealedID)
			}
			if err := deliver(hookSecret); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
				t.Fatalf("delivery with the replaced secret: %v", err)
			}
		})
	}
}

func asanaSign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// newAsanaConnection connects to Asana with a personal access token.
func (e *env) newAsanaConnection(t testing.TB) *junction.Connection {
	t.Helper()
	c := &junction.Connection{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, Connector: "asana",
		Name: "asana", AuthType: "bearer", Status: junction.ConnectionConnected, PollIntervalMinutes: 5,
		Fields: map[string]junction.FieldValue{"token": {Set: true}}}
	c.SecretsSealedID = junction.NewID()
	sv, err := engine.SealSecrets(e.ring, c.TenantID, c.SecretsSealedID, map[string]junction.Secret{"token": junction.NewSecret("pat")})
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateConnection(e.ctx, c))
	return c
}

// newAsanaTrigger saves a webhook trigger on task.created, as the API
// does, and returns it with its URL token.
func (e *env) newAsanaTrigger(t testing.TB, c *junction.Connection) (*junction.Trigger, string) {
	t.Helper()
	tr := &junction.Trigger{ID: junction.NewID(), TenantID: c.TenantID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: "asana", Object: "task", Event: "created", Kind: junction.TriggerWebhook, Enabled: true,
		Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"}, CreatedAt: e.clock.Now()}
	tok, hash, err := trigger.NewWebhookToken()
	must(t, err)
	tr.WebhookTokenHash, tr.WebhookTokenSealedID = hash, junction.NewID()
	sv, err := trigger.SealWebhookToken(e.ring, tr.TenantID, tr.WebhookTokenSealedID, tok)
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateTrigger(e.ctx, tr))
	return tr, tok.Reveal()
}
