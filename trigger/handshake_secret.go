package trigger

import (
	"context"
	"fmt"

	"junction"
)

// handshakeSecret opens the signing secret a vendor's handshake handed
// over for the trigger (Asana's X-Hook-Secret); zero when none was.
func (r *Runtime) handshakeSecret(ctx context.Context, t *junction.Trigger) (junction.Secret, error) {
	if t.WebhookSecretSealedID == "" {
		return junction.Secret{}, nil
	}
	s, err := openSealed(ctx, r.store, r.keyring, t.TenantID, t.WebhookSecretSealedID, "webhook signing secret")
	if junction.IsCode(err, junction.ENOTFOUND) {
		return junction.Secret{}, nil
	}
	return s, err
}

// keepHandshakeSecret seals the signing secret a handshake handed over and
// points the trigger at it, before the handshake is answered: once Asana
// has its answer it signs deliveries with the secret at once. A later
// handshake (the vendor's webhook made again for the same URL) replaces
// it; only someone who holds the URL's token can send one.
func (r *Runtime) keepHandshakeSecret(ctx context.Context, t *junction.Trigger, secret junction.Secret) error {
	return r.store.InTx(ctx, func(s junction.Store) error {
		cur, err := s.GetTrigger(ctx, t.TenantID, t.ID)
		if err != nil {
			return err
		}
		id := cur.WebhookSecretSealedID
		if id == "" {
			id = junction.NewID()
		}
		sv, err := r.keyring.Seal(cur.TenantID, id, []byte(secret.Reveal()))
		if err != nil {
			return junction.Internal(fmt.Errorf("seal webhook signing secret: %w", err))
		}
		if err := s.PutSealed(ctx, sv); err != nil {
			return fmt.Errorf("keep webhook signing secret: %w", err)
		}
		if cur.WebhookSecretSealedID == id {
			return nil
		}
		cur.WebhookSecretSealedID = id
		cur.UpdatedAt = r.clock.Now()
		return s.UpdateTrigger(ctx, cur)
	})
}
