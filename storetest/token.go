package storetest

import (
	"testing"
	"time"

	"junction"
)

func testTokens(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		exp := base.Add(24 * time.Hour)
		tok := &junction.Token{ID: junction.NewID(), TenantID: tn.ID, UserID: u.ID, Name: "ci",
			Hash: randomHash(), ExpiresAt: &exp, CreatedAt: base}
		must(t, s.CreateToken(ctx, tok))

		for name, get := range map[string]func() (*junction.Token, error){
			"by id":   func() (*junction.Token, error) { return s.GetToken(ctx, tn.ID, tok.ID) },
			"by hash": func() (*junction.Token, error) { return s.GetTokenByHash(ctx, tok.Hash) },
		} {
			got, err := get()
			must(t, err)
			wantEqual(t, name+": id", got.ID, tok.ID)
			wantEqual(t, name+": tenant", got.TenantID, tn.ID)
			wantEqual(t, name+": user", got.UserID, u.ID)
			wantEqual(t, name+": name", got.Name, "ci")
			wantBytes(t, name+": hash", got.Hash, tok.Hash)
			if got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
				t.Fatalf("%s: expires = %v, want %v", name, got.ExpiresAt, exp)
			}
			if got.RevokedAt != nil || got.LastUsedAt != nil {
				t.Fatalf("%s: revoked %v, last used %v: want neither", name, got.RevokedAt, got.LastUsedAt)
			}
			wantTime(t, name+": created", got.CreatedAt, base)
			if !got.Active(base) || got.Active(exp) {
				t.Fatalf("%s: Active before/at expiry wrong", name)
			}
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		_, err := s.GetToken(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetTokenByHash(ctx, randomHash())
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.RevokeToken(ctx, tn.ID, junction.NewID(), base), junction.ENOTFOUND)
		wantCode(t, s.TouchToken(ctx, junction.NewID(), base), junction.ENOTFOUND)
		tok := &junction.Token{ID: junction.NewID(), TenantID: tn.ID, UserID: junction.NewID(), Name: "x", Hash: randomHash()}
		wantCode(t, s.CreateToken(ctx, tok), junction.ENOTFOUND)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		tok := mustToken(t, s, u, "one")
		dup := &junction.Token{ID: junction.NewID(), TenantID: tn.ID, UserID: u.ID, Name: "two", Hash: tok.Hash}
		wantCode(t, s.CreateToken(ctxFor(t), dup), junction.ECONFLICT)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		ua := mustUser(t, s, a.ID, "ann")
		ub := mustUser(t, s, b.ID, "bob")
		tok := mustToken(t, s, ua, "cli")
		_, err := s.GetToken(ctx, b.ID, tok.ID)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.RevokeToken(ctx, b.ID, tok.ID, base), junction.ENOTFOUND)
		ts, err := s.ListTokens(ctx, b.ID, ua.ID)
		must(t, err)
		wantEqual(t, "tokens of a's user seen from b", len(ts), 0)
		// A token in tenant b for tenant a's user is refused.
		cross := &junction.Token{ID: junction.NewID(), TenantID: b.ID, UserID: ua.ID, Name: "x", Hash: randomHash()}
		wantCode(t, s.CreateToken(ctx, cross), junction.ENOTFOUND)
		mustToken(t, s, ub, "cli")
		got, err := s.GetToken(ctx, a.ID, tok.ID)
		must(t, err)
		if got.RevokedAt != nil {
			t.Fatal("revoked through another tenant")
		}
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		ann, bob := mustUser(t, s, tn.ID, "ann"), mustUser(t, s, tn.ID, "bob")
		t1, t2 := mustToken(t, s, ann, "one"), mustToken(t, s, ann, "two")
		t3 := mustToken(t, s, bob, "three")
		must(t, s.RevokeToken(ctx, tn.ID, t2.ID, base))
		tokIDs := func(ts []*junction.Token) []string { return ids(ts, func(t *junction.Token) string { return t.ID }) }
		ts, err := s.ListTokens(ctx, tn.ID, ann.ID)
		must(t, err)
		wantIDs(t, "ann's tokens", tokIDs(ts), sorted(t1.ID, t2.ID))
		ts, err = s.ListTokens(ctx, tn.ID, "")
		must(t, err)
		wantIDs(t, "all tokens", tokIDs(ts), sorted(t1.ID, t2.ID, t3.ID))
	})

	t.Run("Revoke", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		tok := mustToken(t, s, mustUser(t, s, tn.ID, "ann"), "cli")
		at := base.Add(time.Hour)
		must(t, s.RevokeToken(ctx, tn.ID, tok.ID, at))
		must(t, s.RevokeToken(ctx, tn.ID, tok.ID, at.Add(time.Hour))) // again: keeps the first time
		got, err := s.GetTokenByHash(ctx, tok.Hash)
		must(t, err)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
			t.Fatalf("revoked at %v, want %v", got.RevokedAt, at)
		}
		if got.Active(base) {
			t.Fatal("revoked token is active")
		}
	})

	t.Run("Touch", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		tok := mustToken(t, s, mustUser(t, s, tn.ID, "ann"), "cli")
		lastUsed := func() time.Time {
			t.Helper()
			got, err := s.GetToken(ctx, tn.ID, tok.ID)
			must(t, err)
			if got.LastUsedAt == nil {
				t.Fatal("last used not recorded")
			}
			return *got.LastUsedAt
		}
		t1 := base.Add(time.Hour)
		must(t, s.TouchToken(ctx, tok.ID, t1))
		wantTime(t, "first use", lastUsed(), t1)
		// A use long after is recorded; implementations may coalesce uses
		// less than a minute apart, so only a later one is checked.
		t2 := t1.Add(2 * time.Hour)
		must(t, s.TouchToken(ctx, tok.ID, t2.Add(-time.Second)))
		must(t, s.TouchToken(ctx, tok.ID, t2))
		if got := lastUsed(); got.Before(t2.Add(-time.Minute)) || got.After(t2) {
			t.Fatalf("last used %v, want within a minute before %v", got, t2)
		}
		// Never moves backwards.
		must(t, s.TouchToken(ctx, tok.ID, t1))
		if lastUsed().Before(t2.Add(-time.Minute)) {
			t.Fatal("an older use moved last used backwards")
		}
	})

	t.Run("Principal", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn, other := mustTenant(t, s, "acme"), mustTenant(t, s, "other")
		f1, f2 := mustFolder(t, s, tn.ID, nil, "One"), mustFolder(t, s, tn.ID, nil, "Two")
		ann, bob := mustUser(t, s, tn.ID, "ann"), mustUser(t, s, tn.ID, "bob")
		reader := mustRole(t, s, tn.ID, "Reader", junction.PermAssetsView)
		writer := mustRole(t, s, tn.ID, "Writer", junction.PermAssetsView, junction.PermAssetsEdit)
		mustRole(t, s, other.ID, "Reader", junction.PermAuditView)
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f2.ID, []string{writer.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, f1.ID, []string{writer.ID, reader.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, ann.ID, "", []string{reader.ID}))
		must(t, s.SetAssignments(ctx, tn.ID, bob.ID, f1.ID, []string{writer.ID}))
		exp := base.Add(time.Hour)
		tok := &junction.Token{ID: junction.NewID(), TenantID: tn.ID, UserID: ann.ID, Name: "ci",
			Hash: randomHash(), ExpiresAt: &exp, CreatedAt: base}
		must(t, s.CreateToken(ctx, tok))
		must(t, s.TouchToken(ctx, tok.ID, base.Add(time.Minute)))

		p, err := s.GetTokenPrincipal(ctx, tok.Hash)
		must(t, err)
		byHash, err := s.GetTokenByHash(ctx, tok.Hash)
		must(t, err)
		if *p.Token.ExpiresAt != *byHash.ExpiresAt || *p.Token.LastUsedAt != *byHash.LastUsedAt ||
			p.Token.RevokedAt != nil || p.Token.CreatedAt != byHash.CreatedAt {
			t.Fatalf("token = %+v, want %+v", p.Token, byHash)
		}
		wantEqual(t, "token id", p.Token.ID, tok.ID)
		wantEqual(t, "token user", p.Token.UserID, ann.ID)
		wantBytes(t, "token hash", p.Token.Hash, tok.Hash)
		user, err := s.GetUser(ctx, tn.ID, ann.ID)
		must(t, err)
		wantEqual(t, "user", *p.User, *user)
		// The same assignments, in the same order, as ListAssignments.
		as, err := s.ListAssignments(ctx, tn.ID, ann.ID)
		must(t, err)
		if len(p.Assignments) != len(as) || len(as) != 4 {
			t.Fatalf("assignments = %+v, want %+v", p.Assignments, as)
		}
		for i := range as {
			wantEqual(t, "assignment", p.Assignments[i], as[i])
		}
		// Each role named once, as GetRole reads it.
		wantEqual(t, "roles", len(p.Roles), 2)
		for _, id := range []string{reader.ID, writer.ID} {
			r, err := s.GetRole(ctx, tn.ID, id)
			must(t, err)
			wantRole(t, p.Roles[id], r)
		}
		access := junction.NewAccess(p.Assignments, p.Roles)
		if !access.CanTenant(junction.PermAssetsView) || access.CanTenant(junction.PermAssetsEdit) ||
			!access.Folders[f2.ID][junction.PermAssetsEdit] || access.CanTenant(junction.PermAuditView) {
			t.Fatalf("access = %+v", access)
		}

		// A user without assignments has a principal with none; a revoked
		// token is still found (refusing it is the caller's decision).
		carl := mustUser(t, s, tn.ID, "carl")
		ct := mustToken(t, s, carl, "cli")
		must(t, s.RevokeToken(ctx, tn.ID, ct.ID, base))
		p, err = s.GetTokenPrincipal(ctx, ct.Hash)
		must(t, err)
		wantEqual(t, "carl", p.User.ID, carl.ID)
		wantEqual(t, "carl's assignments", len(p.Assignments), 0)
		wantEqual(t, "carl's roles", len(p.Roles), 0)
		if p.Token.RevokedAt == nil || p.Token.Active(base) {
			t.Fatal("revoked token read as active")
		}

		// Unknown token; token of a deleted user.
		_, err = s.GetTokenPrincipal(ctx, randomHash())
		wantCode(t, err, junction.ENOTFOUND)
		bt := mustToken(t, s, bob, "cli")
		must(t, s.DeleteUser(ctx, tn.ID, bob.ID))
		_, err = s.GetTokenPrincipal(ctx, bt.Hash)
		wantCode(t, err, junction.ENOTFOUND)
	})
}
