package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"junction"
)

// SetupTokenTTL is how long a first-password link works.
const SetupTokenTTL = 24 * time.Hour

// setupPrefix starts every setup link's secret, so that one found in a
// log or a paste is recognised as such.
const setupPrefix = "jcsetup_"

// newSetupToken makes a one-time first-password link's secret for u and
// stores its hash.
func (a *App) newSetupToken(ctx context.Context, tx junction.Store, u *junction.User) (junction.Secret, error) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	secret := junction.NewSecret(setupPrefix + base64.RawURLEncoding.EncodeToString(b[:]))
	now := a.now()
	err := tx.CreateSetupToken(ctx, &junction.SetupToken{Hash: hashToken(secret.Reveal()), TenantID: u.TenantID,
		UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(SetupTokenTTL)})
	return secret, err
}

// SetFirstPasswordInput sets a password through a one-time link.
type SetFirstPasswordInput struct {
	Token     junction.Secret
	Password  junction.Secret
	IP        string
	RequestID string
}

// SetFirstPassword sets the password of the user a setup link was made
// for. The link works once: an unknown, used or expired one answers
// unauthenticated, as does one for a user who has a password by now. A
// password the rules refuse answers invalid and leaves the link usable.
// It returns the user's name, for the sign-in that follows.
func (a *App) SetFirstPassword(ctx context.Context, in SetFirstPasswordInput) (string, error) {
	refused := junction.Errorf(junction.EUNAUTHENTICATED, "this setup link is unknown, used or expired: ask an administrator for a password")
	if in.Token.IsZero() {
		return "", refused
	}
	var name string
	err := a.tx(ctx, func(tx junction.Store) error {
		t, err := tx.TakeSetupToken(ctx, hashToken(in.Token.Reveal()))
		if junction.IsCode(err, junction.ENOTFOUND) {
			return refused
		} else if err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, t.TenantID, t.UserID)
		if err != nil {
			return err
		}
		cur, err := tx.GetPasswordHash(ctx, u.TenantID, u.ID)
		if err != nil {
			return err
		}
		if !a.now().Before(t.ExpiresAt) || cur != "" || u.Disabled {
			// Taking it stays done: an expired link is gone for good.
			return &keepTaken{refused}
		}
		if err := checkPassword("password", in.Password, u.Name); err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, u.TenantID, u.ID, hashPassword(in.Password)); err != nil {
			return err
		}
		name = u.Name
		p := &junction.Principal{User: u, IP: in.IP, RequestID: in.RequestID}
		return a.audit(ctx, tx, p, "user.password.set", "user", u.ID, "", map[string]any{"name": u.Name, "own": true, "via": "setup link"})
	})
	if k := (*keepTaken)(nil); errors.As(err, &k) {
		// The refusal rolled the take back; take it again on its own.
		if _, terr := a.store.TakeSetupToken(ctx, hashToken(in.Token.Reveal())); terr != nil && !junction.IsCode(terr, junction.ENOTFOUND) {
			return "", terr
		}
		return "", k.err
	}
	return name, err
}

// keepTaken is a refusal after which the setup token must still be gone.
type keepTaken struct{ err error }

func (k *keepTaken) Error() string { return k.err.Error() }
