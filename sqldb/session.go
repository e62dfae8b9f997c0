package sqldb

import (
	"context"
	"time"

	"junction"
)

// SetPasswordHash replaces a user's encoded password hash.
func (h *handle) SetPasswordHash(ctx context.Context, tenantID, userID, hash string) error {
	res, err := h.writer().ExecContext(ctx,
		"UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3", hash, tenantID, userID)
	if err != nil {
		return internal("set password hash", err)
	}
	return affected(res, "user", "set password hash")
}

func (h *handle) GetPasswordHash(ctx context.Context, tenantID, userID string) (string, error) {
	var hash string
	err := h.reader().QueryRowContext(ctx,
		"SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2", tenantID, userID).Scan(&hash)
	if err != nil {
		return "", notFoundOr("user", "get password hash", err)
	}
	return hash, nil
}

const sessionColumns = "id, tenant_id, user_id, hash, created_at, last_seen_at, expires_at"

func scanSession(s scanner) (*junction.Session, error) {
	var x junction.Session
	var created, seen, expires int64
	if err := s.Scan(&x.ID, &x.TenantID, &x.UserID, &x.Hash, &created, &seen, &expires); err != nil {
		return nil, err
	}
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return &x, nil
}

// CreateSession stores s, filling an empty ID and a zero CreatedAt and
// LastSeenAt.
func (h *handle) CreateSession(ctx context.Context, s *junction.Session) error {
	newID(&s.ID)
	s.CreatedAt = stamp(s.CreatedAt, h.db.now())
	s.LastSeenAt = stamp(s.LastSeenAt, s.CreatedAt)
	s.ExpiresAt = storedTime(s.ExpiresAt)
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO sessions ("+sessionColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		s.ID, s.TenantID, s.UserID, s.Hash, toMicros(s.CreatedAt), toMicros(s.LastSeenAt), toMicros(s.ExpiresAt))
	if err != nil {
		return writeErr("create session", "session", err, "a session with this secret already exists",
			&junction.Error{Code: junction.ENOTFOUND, Field: "user_id", Message: "user not found"})
	}
	return nil
}

func (h *handle) GetSessionByHash(ctx context.Context, hash []byte) (*junction.Session, error) {
	s, err := scanSession(h.reader().QueryRowContext(ctx,
		"SELECT "+sessionColumns+" FROM sessions WHERE hash = $1", hash))
	if err != nil {
		return nil, notFoundOr("session", "get session by hash", err)
	}
	return s, nil
}

// TouchSession records activity at at, never moving it backwards.
func (h *handle) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := h.writer().ExecContext(ctx,
		"UPDATE sessions SET last_seen_at = CASE WHEN last_seen_at < $1 THEN $1 ELSE last_seen_at END WHERE id = $2",
		toMicros(at), id)
	if err != nil {
		return internal("touch session", err)
	}
	return affected(res, "session", "touch session")
}

func (h *handle) DeleteSession(ctx context.Context, id string) error {
	if _, err := h.writer().ExecContext(ctx, "DELETE FROM sessions WHERE id = $1", id); err != nil {
		return internal("delete session", err)
	}
	return nil
}

func (h *handle) DeleteUserSessions(ctx context.Context, tenantID, userID string) error {
	if _, err := h.writer().ExecContext(ctx,
		"DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2", tenantID, userID); err != nil {
		return internal("delete user sessions", err)
	}
	return nil
}

func (h *handle) DeleteSessionsBefore(ctx context.Context, at, idleBefore time.Time) (int, error) {
	res, err := h.writer().ExecContext(ctx,
		"DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2", toMicros(at), toMicros(idleBefore))
	if err != nil {
		return 0, internal("delete old sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, internal("delete old sessions", err)
	}
	return int(n), nil
}

func (h *handle) CreateSetupToken(ctx context.Context, t *junction.SetupToken) error {
	t.CreatedAt = stamp(t.CreatedAt, h.db.now())
	t.ExpiresAt = storedTime(t.ExpiresAt)
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO setup_tokens (hash, tenant_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		t.Hash, t.TenantID, t.UserID, toMicros(t.CreatedAt), toMicros(t.ExpiresAt))
	if err != nil {
		return writeErr("create setup token", "setup token", err, "a setup token with this secret already exists",
			&junction.Error{Code: junction.ENOTFOUND, Field: "user_id", Message: "user not found"})
	}
	return nil
}

func (h *handle) TakeSetupToken(ctx context.Context, hash []byte) (*junction.SetupToken, error) {
	t := junction.SetupToken{Hash: hash}
	var created, expires int64
	err := h.writer().QueryRowContext(ctx,
		"DELETE FROM setup_tokens WHERE hash = $1 RETURNING tenant_id, user_id, created_at, expires_at", hash).
		Scan(&t.TenantID, &t.UserID, &created, &expires)
	if err != nil {
		return nil, notFoundOr("setup token", "take setup token", err)
	}
	t.CreatedAt, t.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &t, nil
}
