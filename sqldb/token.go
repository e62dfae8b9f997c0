package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"time"

	"junction"
)

// TouchInterval is how stale a token's LastUsedAt must be before TouchToken
// writes it again. A token used on every request would otherwise cost a
// write per request, which on SQLite queues behind every other writer.
const TouchInterval = time.Minute

const tokenColumns = "id, tenant_id, user_id, name, hash, expires_at, revoked_at, last_used_at, created_at"

func scanToken(s scanner) (*junction.Token, error) {
	var t junction.Token
	var expires, revoked, used sql.NullInt64
	var created int64
	if err := s.Scan(&t.ID, &t.TenantID, &t.UserID, &t.Name, &t.Hash, &expires, &revoked, &used, &created); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNullMicros(expires), fromNullMicros(revoked), fromNullMicros(used)
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// CreateToken stores t, filling an empty ID and a zero CreatedAt.
func (h *handle) CreateToken(ctx context.Context, t *junction.Token) error {
	newID(&t.ID)
	t.CreatedAt = stamp(t.CreatedAt, h.db.now())
	for _, p := range []**time.Time{&t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt} {
		if *p != nil {
			v := storedTime(**p)
			*p = &v
		}
	}
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO tokens ("+tokenColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		t.ID, t.TenantID, t.UserID, t.Name, t.Hash,
		nullMicros(t.ExpiresAt), nullMicros(t.RevokedAt), nullMicros(t.LastUsedAt), toMicros(t.CreatedAt))
	if err != nil {
		return writeErr("create token", "token", err, "a token with this secret already exists",
			&junction.Error{Code: junction.ENOTFOUND, Field: "user_id", Message: "user not found"})
	}
	return nil
}

func (h *handle) GetToken(ctx context.Context, tenantID, id string) (*junction.Token, error) {
	t, err := scanToken(h.reader().QueryRowContext(ctx,
		"SELECT "+tokenColumns+" FROM tokens WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("token", "get token", err)
	}
	return t, nil
}

func (h *handle) GetTokenByHash(ctx context.Context, hash []byte) (*junction.Token, error) {
	t, err := scanToken(h.reader().QueryRowContext(ctx,
		"SELECT "+tokenColumns+" FROM tokens WHERE hash = $1", hash))
	if err != nil {
		return nil, notFoundOr("token", "get token by hash", err)
	}
	return t, nil
}

// ListTokens lists a user's tokens by ID, revoked and expired ones included;
// an empty userID lists every token of the tenant.
func (h *handle) ListTokens(ctx context.Context, tenantID, userID string) ([]*junction.Token, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	if userID != "" {
		c.add("user_id = " + c.arg(userID))
	}
	rows, err := h.reader().QueryContext(ctx, "SELECT "+tokenColumns+" FROM tokens"+c.clause()+" ORDER BY id", c.args...)
	if err != nil {
		return nil, internal("list tokens", err)
	}
	out, err := collect(rows, scanToken)
	if err != nil {
		return nil, internal("list tokens", err)
	}
	return out, nil
}

// RevokeToken marks the token revoked at at. Revoking a revoked token keeps
// the first revocation time and succeeds.
func (h *handle) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := h.writer().ExecContext(ctx,
		"UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3",
		toMicros(at), tenantID, id)
	if err != nil {
		return internal("revoke token", err)
	}
	return affected(res, "token", "revoke token")
}

// TouchToken records a use at at. It skips the write when the stored
// LastUsedAt is less than TouchInterval older than at, and never moves
// LastUsedAt backwards; the check is a read, so a hot token costs no write.
func (h *handle) TouchToken(ctx context.Context, id string, at time.Time) error {
	var used sql.NullInt64
	err := h.reader().QueryRowContext(ctx, "SELECT last_used_at FROM tokens WHERE id = $1", id).Scan(&used)
	if err != nil {
		return notFoundOr("token", "touch token", err)
	}
	threshold := toMicros(at.Add(-TouchInterval))
	if used.Valid && used.Int64 > threshold {
		return nil
	}
	_, err = h.writer().ExecContext(ctx,
		"UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
		toMicros(at), id, threshold)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return internal("touch token", err)
	}
	return nil
}

// principalQuery reads a token, its user and the user's assignments with
// their roles in one statement (one snapshot, one round trip): a row per
// assignment, or a single row with NULL assignment columns for a user who
// holds none.
var principalQuery = `SELECT ` + prefixed("t.", tokenColumns) + `, ` + prefixed("u.", userColumns) + `,
		a.folder_id, a.role_id, r.name, r.description, r.permissions, r.built_in, r.created_at, r.updated_at
	FROM tokens t
	JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
	LEFT JOIN role_assignments a ON a.tenant_id = u.tenant_id AND a.user_id = u.id
	LEFT JOIN roles r ON r.tenant_id = a.tenant_id AND r.id = a.role_id
	WHERE t.hash = $1
	ORDER BY COALESCE(a.folder_id, ''), a.role_id`

func (h *handle) GetTokenPrincipal(ctx context.Context, hash []byte) (*junction.TokenPrincipal, error) {
	rows, err := h.reader().QueryContext(ctx, principalQuery, hash)
	if err != nil {
		return nil, internal("get token principal", err)
	}
	defer rows.Close()
	var p *junction.TokenPrincipal
	for rows.Next() {
		var (
			t                  junction.Token
			u                  junction.User
			expires, revoked   sql.NullInt64
			used               sql.NullInt64
			tCreated           int64
			uCreated, uUpdated int64
			folder, roleID     sql.NullString
			roleName, roleDesc sql.NullString
			perms              sql.NullString
			builtIn            sql.NullBool
			rCreated, rUpdated sql.NullInt64
		)
		err := rows.Scan(&t.ID, &t.TenantID, &t.UserID, &t.Name, &t.Hash, &expires, &revoked, &used, &tCreated,
			&u.ID, &u.TenantID, &u.Name, &u.DisplayName, &u.Email, &u.HostAdmin, &u.Disabled, &uCreated, &uUpdated,
			&folder, &roleID, &roleName, &roleDesc, &perms, &builtIn, &rCreated, &rUpdated)
		if err != nil {
			return nil, internal("get token principal", err)
		}
		if p == nil {
			t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNullMicros(expires), fromNullMicros(revoked), fromNullMicros(used)
			t.CreatedAt = fromMicros(tCreated)
			u.CreatedAt, u.UpdatedAt = fromMicros(uCreated), fromMicros(uUpdated)
			p = &junction.TokenPrincipal{Token: &t, User: &u, Roles: map[string]*junction.Role{}}
		}
		if !roleID.Valid {
			continue
		}
		p.Assignments = append(p.Assignments, junction.RoleAssignment{
			TenantID: p.User.TenantID, UserID: p.User.ID, FolderID: folder.String,
			RoleID: roleID.String, RoleName: roleName.String,
		})
		if _, ok := p.Roles[roleID.String]; ok {
			continue
		}
		r := &junction.Role{ID: roleID.String, TenantID: p.User.TenantID, Name: roleName.String,
			Description: roleDesc.String, BuiltIn: builtIn.Bool,
			CreatedAt: fromMicros(rCreated.Int64), UpdatedAt: fromMicros(rUpdated.Int64)}
		if r.Permissions, err = h.db.perms.decode(perms.String); err != nil {
			return nil, internal("get token principal", err)
		}
		p.Roles[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, internal("get token principal", err)
	}
	if p == nil {
		return nil, junction.NotFound("token")
	}
	return p, nil
}

// maxPermissionSets bounds permissionSets; past it, lists are decoded on
// every read.
const maxPermissionSets = 256

// permissionSets remembers decoded permission lists by their stored JSON.
// A tenant has a handful of roles, read on every request to authenticate
// it, and decoding their lists was a quarter of that. Keyed by content, an
// entry can never be stale: a changed role stores a different list.
type permissionSets struct {
	mu sync.RWMutex
	m  map[string][]junction.Permission
}

// decode returns a fresh copy of the list stored as s.
func (p *permissionSets) decode(s string) ([]junction.Permission, error) {
	p.mu.RLock()
	ps, ok := p.m[s]
	p.mu.RUnlock()
	if ok {
		return slices.Clone(ps), nil
	}
	ps, err := decodePermissions(s)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.m == nil {
		p.m = make(map[string][]junction.Permission)
	}
	if len(p.m) < maxPermissionSets {
		p.m[s] = slices.Clone(ps)
	}
	p.mu.Unlock()
	return ps, nil
}
