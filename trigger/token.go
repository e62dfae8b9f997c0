package trigger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"junction"
)

// WebhookTokenBytes is the entropy of a webhook URL token.
const WebhookTokenBytes = 32

// NewWebhookToken returns a new webhook URL token (32 random bytes,
// base64url without padding, 43 characters) and its SHA-256, which is what
// Trigger.WebhookTokenHash stores. The token itself is shown to the user
// in the URL and kept sealed only (SealWebhookToken).
func NewWebhookToken() (junction.Secret, []byte, error) {
	b := make([]byte, WebhookTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return junction.Secret{}, nil, junction.Internal(fmt.Errorf("webhook token: %w", err))
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return junction.NewSecret(tok), HashWebhookToken(tok), nil
}

// HashWebhookToken returns the SHA-256 of a token, for lookups.
func HashWebhookToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// SealWebhookToken seals a trigger's URL token under sealedID, ready for
// Store.PutSealed; the trigger then points at it with
// WebhookTokenSealedID.
func SealWebhookToken(k junction.Keyring, tenantID, sealedID string, token junction.Secret) (*junction.SealedValue, error) {
	return k.Seal(tenantID, sealedID, []byte(token.Reveal()))
}

// OpenWebhookToken reads a trigger's URL token back, for showing the URL
// again to someone who may see the trigger. ENOTFOUND when the trigger has
// none.
func OpenWebhookToken(ctx context.Context, s junction.SealedStore, k junction.Keyring, t *junction.Trigger) (junction.Secret, error) {
	return openSealed(ctx, s, k, t.TenantID, t.WebhookTokenSealedID, "webhook token")
}

// SealTargetSecret seals a webhook target's signing secret under sealedID;
// the trigger then points at it with Target.SealedID.
func SealTargetSecret(k junction.Keyring, tenantID, sealedID string, secret junction.Secret) (*junction.SealedValue, error) {
	return k.Seal(tenantID, sealedID, []byte(secret.Reveal()))
}

// OpenTargetSecret reads a webhook target's signing secret.
func OpenTargetSecret(ctx context.Context, s junction.SealedStore, k junction.Keyring, t *junction.Trigger) (junction.Secret, error) {
	return openSealed(ctx, s, k, t.TenantID, t.Target.SealedID, "target secret")
}

// OpenSealedSecret opens the sealed value id of the tenant as a Secret;
// what names it in errors.
func OpenSealedSecret(ctx context.Context, s junction.SealedStore, k junction.Keyring, tenantID, id, what string) (junction.Secret, error) {
	return openSealed(ctx, s, k, tenantID, id, what)
}

func openSealed(ctx context.Context, s junction.SealedStore, k junction.Keyring, tenantID, id, what string) (junction.Secret, error) {
	if id == "" {
		return junction.Secret{}, junction.NotFound(what)
	}
	sv, err := s.GetSealed(ctx, tenantID, id)
	if err != nil {
		return junction.Secret{}, fmt.Errorf("read %s: %w", what, err)
	}
	b, err := k.Open(sv)
	if err != nil {
		return junction.Secret{}, junction.Internal(fmt.Errorf("open %s: %w", what, err))
	}
	defer clear(b)
	return junction.NewSecret(string(b)), nil
}

func invalid(field, format string, args ...any) error {
	return junction.Invalid(field, format, args...)
}
