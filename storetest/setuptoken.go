package storetest

import (
	"testing"
	"time"

	"junction"
)

func testSetupTokens(t *testing.T, open Open) {
	s := open(t)
	ctx := ctxFor(t)
	tn := mustTenant(t, s, "acme")
	u := mustUser(t, s, tn.ID, "ann")
	tok := &junction.SetupToken{Hash: randomHash(), TenantID: tn.ID, UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(24 * time.Hour)}
	must(t, s.CreateSetupToken(ctx, tok))

	t.Run("ErrConflict", func(t *testing.T) {
		dup := *tok
		wantCode(t, s.CreateSetupToken(ctx, &dup), junction.ECONFLICT)
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		wantCode(t, s.CreateSetupToken(ctx, &junction.SetupToken{Hash: randomHash(), TenantID: tn.ID,
			UserID: junction.NewID(), ExpiresAt: base}), junction.ENOTFOUND)
	})
	t.Run("TakeOnce", func(t *testing.T) {
		got, err := s.TakeSetupToken(ctx, tok.Hash)
		must(t, err)
		wantEqual(t, "user", got.UserID, u.ID)
		wantEqual(t, "tenant", got.TenantID, tn.ID)
		wantEqual(t, "expires", got.ExpiresAt, tok.ExpiresAt)
		_, err = s.TakeSetupToken(ctx, tok.Hash)
		wantCode(t, err, junction.ENOTFOUND)
	})
}
