package junction

import (
	"context"
	"time"
)

// Session is a person signed in to the web UI. The browser holds a random
// secret in a cookie; the Store keeps only its SHA-256 (Hash), so a copy of
// the database opens no session. Sessions live in the database so that
// every server behind one load balancer honours them.
type Session struct {
	ID         string
	TenantID   string
	UserID     string
	Hash       []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end, whatever the activity.
	ExpiresAt time.Time
}

// SetupToken is a one-time link that lets a user set their first
// password. The Store keeps only the SHA-256 of the link's secret.
type SetupToken struct {
	Hash      []byte
	TenantID  string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LoginStore persists what signing in to the web UI needs: password hashes
// and sessions. Password hashes are kept apart from User so that no read of
// a user, nor its JSON, ever carries one.
type LoginStore interface {
	// SetPasswordHash replaces a user's encoded password hash; an empty
	// hash removes the password. ENOTFOUND when the user does not exist.
	SetPasswordHash(ctx context.Context, tenantID, userID, hash string) error
	// GetPasswordHash returns a user's encoded password hash, empty when
	// they have none. ENOTFOUND when the user does not exist.
	GetPasswordHash(ctx context.Context, tenantID, userID string) (string, error)

	// CreateSession stores s; the hash is unique (ECONFLICT).
	CreateSession(ctx context.Context, s *Session) error
	// GetSessionByHash finds a session by the SHA-256 of its secret, across
	// tenants. Whether it is still valid is for the caller to decide.
	GetSessionByHash(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records activity at at; it never moves LastSeenAt
	// backwards. ENOTFOUND when the session is gone.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession ends one session; deleting a missing one succeeds.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of a user, as a password
	// change must.
	DeleteUserSessions(ctx context.Context, tenantID, userID string) error
	// DeleteSessionsBefore removes sessions that expired before at or were
	// last seen before idleBefore, and returns how many.
	DeleteSessionsBefore(ctx context.Context, at, idleBefore time.Time) (int, error)

	// CreateSetupToken stores t; the hash is unique (ECONFLICT), the user
	// must exist (ENOTFOUND).
	CreateSetupToken(ctx context.Context, t *SetupToken) error
	// TakeSetupToken removes the token with this hash and returns it,
	// expired or not, so that a link works once. ENOTFOUND when there is
	// none.
	TakeSetupToken(ctx context.Context, hash []byte) (*SetupToken, error)
}
