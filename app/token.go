package app

import (
	"context"
	"time"

	"junction"
)

// CreateTokenInput describes a new API token.
type CreateTokenInput struct {
	Name string
	// ExpiresAt, when set, must be in the future.
	ExpiresAt *time.Time
}

// TokenCreated is a new token with its secret, which is shown this once and
// never stored.
type TokenCreated struct {
	Token  *junction.Token
	Secret junction.Secret
}

// CreateToken issues an API token for userID. Users may create tokens for
// themselves; for anyone else it needs Users.Edit, and for a host
// administrator being one: a token is the user's whole power.
func (a *App) CreateToken(ctx context.Context, p *junction.Principal, userID string, in CreateTokenInput) (*TokenCreated, error) {
	if userID != p.User.ID {
		if err := requireTenant(p, junction.PermUsersEdit); err != nil {
			return nil, err
		}
	}
	name := in.Name
	if name == "" {
		name = "api"
	}
	name, err := cleanName("name", name)
	if err != nil {
		return nil, err
	}
	now := a.now()
	var expires *time.Time
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(now) {
			return nil, junction.Invalid("expires_at", "must be in the future")
		}
		expires = &e
	}
	secret := newTokenSecret()
	var out *TokenCreated
	err = a.tx(ctx, func(tx junction.Store) error {
		u, err := a.userIn(ctx, tx, p, userID)
		if err != nil {
			return err
		}
		if err := guardHostAdmin(p, u); err != nil {
			return err
		}
		t := &junction.Token{
			ID: junction.NewID(), TenantID: p.TenantID(), UserID: u.ID, Name: name,
			Hash: hashToken(secret.Reveal()), ExpiresAt: expires, CreatedAt: now,
		}
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		out = &TokenCreated{Token: t, Secret: secret}
		details := map[string]any{"name": name, "user_id": u.ID}
		if expires != nil {
			details["expires_at"] = expires.Format(time.RFC3339)
		}
		return a.audit(ctx, tx, p, "token.create", "token", t.ID, "", details)
	})
	return out, err
}

// ListTokens lists a user's tokens (never their secrets). Users may list
// their own; anyone else's needs Users.View, and a host administrator's
// being one.
func (a *App) ListTokens(ctx context.Context, p *junction.Principal, userID string) ([]*junction.Token, error) {
	if userID != p.User.ID {
		if err := requireTenant(p, junction.PermUsersView); err != nil {
			return nil, err
		}
	}
	u, err := a.userIn(ctx, a.store, p, userID)
	if err != nil {
		return nil, err
	}
	if err := guardHostAdmin(p, u); err != nil {
		return nil, err
	}
	ts, err := a.store.ListTokens(ctx, p.TenantID(), u.ID)
	if ts == nil && err == nil {
		ts = []*junction.Token{}
	}
	return ts, err
}

// RevokeToken revokes a token at once. Users may revoke their own; anyone
// else's needs Users.Edit, and a host administrator's being one. Revoking a
// revoked token changes nothing.
func (a *App) RevokeToken(ctx context.Context, p *junction.Principal, tokenID string) (*junction.Token, error) {
	if !junction.ValidID(tokenID) {
		return nil, junction.NotFound("token")
	}
	var out *junction.Token
	err := a.tx(ctx, func(tx junction.Store) error {
		t, err := tx.GetToken(ctx, p.TenantID(), tokenID)
		if err != nil {
			return err
		}
		if t.UserID != p.User.ID {
			if err := requireTenant(p, junction.PermUsersEdit); err != nil {
				return err
			}
			owner, err := tx.GetUser(ctx, p.TenantID(), t.UserID)
			if err != nil {
				return err
			}
			if err := guardHostAdmin(p, owner); err != nil {
				return err
			}
		}
		out = t
		if t.RevokedAt != nil {
			return nil
		}
		now := a.now()
		if err := tx.RevokeToken(ctx, p.TenantID(), t.ID, now); err != nil {
			return err
		}
		t.RevokedAt = &now
		return a.audit(ctx, tx, p, "token.revoke", "token", t.ID, "",
			map[string]any{"name": t.Name, "user_id": t.UserID})
	})
	return out, err
}
