package storetest

import (
	"testing"
	"time"

	"junction"
)

func testLogins(t *testing.T, open Open) {
	t.Run("Password", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		got, err := s.GetPasswordHash(ctx, tn.ID, u.ID)
		must(t, err)
		wantEqual(t, "hash before", got, "")
		must(t, s.SetPasswordHash(ctx, tn.ID, u.ID, "$argon2id$x"))
		got, err = s.GetPasswordHash(ctx, tn.ID, u.ID)
		must(t, err)
		wantEqual(t, "hash after", got, "$argon2id$x")

		other := mustTenant(t, s, "other")
		_, err = s.GetPasswordHash(ctx, other.ID, u.ID)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.SetPasswordHash(ctx, other.ID, u.ID, "x"), junction.ENOTFOUND)
	})

	t.Run("Session", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		sess := &junction.Session{TenantID: tn.ID, UserID: u.ID, Hash: randomHash(), CreatedAt: base,
			ExpiresAt: base.Add(12 * time.Hour)}
		must(t, s.CreateSession(ctx, sess))
		got, err := s.GetSessionByHash(ctx, sess.Hash)
		must(t, err)
		wantEqual(t, "id", got.ID, sess.ID)
		wantEqual(t, "user", got.UserID, u.ID)
		wantTime(t, "last seen", got.LastSeenAt, base)
		wantTime(t, "expires", got.ExpiresAt, base.Add(12*time.Hour))

		must(t, s.TouchSession(ctx, sess.ID, base.Add(time.Minute)))
		must(t, s.TouchSession(ctx, sess.ID, base)) // never backwards
		got, err = s.GetSessionByHash(ctx, sess.Hash)
		must(t, err)
		wantTime(t, "touched", got.LastSeenAt, base.Add(time.Minute))

		wantCode(t, s.CreateSession(ctx, &junction.Session{TenantID: tn.ID, UserID: u.ID, Hash: sess.Hash,
			ExpiresAt: base}), junction.ECONFLICT)
		wantCode(t, s.TouchSession(ctx, junction.NewID(), base), junction.ENOTFOUND)
		_, err = s.GetSessionByHash(ctx, randomHash())
		wantCode(t, err, junction.ENOTFOUND)

		must(t, s.DeleteSession(ctx, sess.ID))
		must(t, s.DeleteSession(ctx, sess.ID))
		_, err = s.GetSessionByHash(ctx, sess.Hash)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("Cleanup", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		ann, bob := mustUser(t, s, tn.ID, "ann"), mustUser(t, s, tn.ID, "bob")
		mk := func(u *junction.User, seen, expires time.Time) *junction.Session {
			x := &junction.Session{TenantID: tn.ID, UserID: u.ID, Hash: randomHash(), CreatedAt: base,
				LastSeenAt: seen, ExpiresAt: expires}
			must(t, s.CreateSession(ctx, x))
			return x
		}
		live := mk(ann, base.Add(time.Hour), base.Add(12*time.Hour))
		mk(ann, base, base.Add(12*time.Hour))             // idle
		mk(bob, base.Add(time.Hour), base.Add(time.Hour)) // expired
		n, err := s.DeleteSessionsBefore(ctx, base.Add(2*time.Hour), base.Add(30*time.Minute))
		must(t, err)
		wantEqual(t, "deleted", n, 2)
		bobs := mk(bob, base.Add(time.Hour), base.Add(12*time.Hour))
		must(t, s.DeleteUserSessions(ctx, tn.ID, bob.ID))
		_, err = s.GetSessionByHash(ctx, bobs.Hash)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetSessionByHash(ctx, live.Hash)
		must(t, err)
		must(t, s.DeleteUser(ctx, tn.ID, ann.ID))
		_, err = s.GetSessionByHash(ctx, live.Hash)
		wantCode(t, err, junction.ENOTFOUND)
	})
}
