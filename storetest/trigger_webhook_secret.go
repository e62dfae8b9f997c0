package storetest

import (
	"testing"

	"junction"
)

// testTriggerWebhookSecret checks the sealed signing secret a handshake
// hands over: kept through create and update, and deleted with the
// trigger.
func testTriggerWebhookSecret(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "ops")
		c := mustConnection(t, s, f, "asana", "asana", true)
		tr := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		got, err := s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "secret before the handshake", got.WebhookSecretSealedID, "")

		sv := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, sv))
		got.WebhookSecretSealedID = sv.ID
		got.UpdatedAt = base.Add(later)
		must(t, s.UpdateTrigger(ctx, got))
		got, err = s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "secret after update", got.WebhookSecretSealedID, sv.ID)
		byHash, err := s.GetTriggerByTokenHash(ctx, tr.WebhookTokenHash)
		must(t, err)
		wantEqual(t, "secret by token hash", byHash.WebhookSecretSealedID, sv.ID)

		// An edit made from a read older than the handshake keeps it.
		stale := *tr
		stale.Name = "renamed"
		stale.UpdatedAt = base.Add(2 * later)
		must(t, s.UpdateTrigger(ctx, &stale))
		wantEqual(t, "secret answered by a stale update", stale.WebhookSecretSealedID, sv.ID)
		got, err = s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "secret after a stale update", got.WebhookSecretSealedID, sv.ID)

		must(t, s.DeleteTrigger(ctx, tn.ID, tr.ID))
		_, err = s.GetSealed(ctx, tn.ID, sv.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})
	t.Run("Created", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "ops")
		c := mustConnection(t, s, f, "asana", "asana", true)
		tr := &junction.Trigger{ID: junction.NewID(), TenantID: tn.ID, FolderID: f.ID, ConnectionID: c.ID,
			Connector: c.Connector, Object: "task", Event: "changed", Kind: junction.TriggerWebhook, Enabled: true,
			Target:           junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"},
			WebhookTokenHash: randomHash(), WebhookTokenSealedID: junction.NewID(),
			WebhookSecretSealedID: junction.NewID(), CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateTrigger(ctx, tr))
		got, err := s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "secret", got.WebhookSecretSealedID, tr.WebhookSecretSealedID)
	})
}
