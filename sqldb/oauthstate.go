package sqldb

import (
	"context"
	"database/sql"
	"time"

	"junction"
)

const oauthStateColumns = "id, tenant_id, connection_id, user_id, state_hash, redirect_uri, sealed_id, expires_at, created_at"

func scanOAuthState(s scanner) (*junction.OAuthState, error) {
	var st junction.OAuthState
	var sealed sql.NullString
	var expires, created int64
	if err := s.Scan(&st.ID, &st.TenantID, &st.ConnectionID, &st.UserID, &st.StateHash, &st.RedirectURI, &sealed,
		&expires, &created); err != nil {
		return nil, err
	}
	st.SealedID = fromNullString(sealed)
	st.ExpiresAt, st.CreatedAt = fromMicros(expires), fromMicros(created)
	return &st, nil
}

// CreateOAuthState stores s, filling an empty ID and CreatedAt, and drops
// the flows that expired before s.CreatedAt: flows whose callback never
// comes are never taken.
func (h *handle) CreateOAuthState(ctx context.Context, s *junction.OAuthState) error {
	newID(&s.ID)
	s.CreatedAt = stamp(s.CreatedAt, h.db.now())
	s.ExpiresAt = storedTime(s.ExpiresAt)
	return h.write(ctx, func(h *handle) error {
		if err := h.deleteExpiredOAuthStates(ctx, s.CreatedAt); err != nil {
			return err
		}
		_, err := h.writer().ExecContext(ctx,
			"INSERT INTO oauth_states ("+oauthStateColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			s.ID, s.TenantID, s.ConnectionID, s.UserID, s.StateHash, s.RedirectURI, nullString(s.SealedID),
			toMicros(s.ExpiresAt), toMicros(s.CreatedAt))
		if err != nil {
			return writeErr("create OAuth state", "OAuth state", err, "an OAuth state with this hash already exists",
				&junction.Error{Code: junction.ENOTFOUND, Field: "connection_id", Message: "connection not found"})
		}
		return nil
	})
}

// TakeOAuthState deletes the state and returns it in one statement, so of
// two callbacks racing with one state exactly one gets it. An expired state
// is deleted, with its sealed verifier, and reported as not found; other
// expired states go too.
func (h *handle) TakeOAuthState(ctx context.Context, stateHash []byte, now time.Time) (*junction.OAuthState, error) {
	var st *junction.OAuthState
	err := h.write(ctx, func(h *handle) error {
		var err error
		st, err = scanOAuthState(h.writer().QueryRowContext(ctx,
			"DELETE FROM oauth_states WHERE state_hash = $1 RETURNING "+oauthStateColumns, stateHash))
		if err != nil {
			return notFoundOr("OAuth state", "take OAuth state", err)
		}
		if !st.ExpiresAt.After(now) {
			if err := h.deleteSealedValues(ctx, st.TenantID, st.SealedID); err != nil {
				return err
			}
			st = nil
		}
		return h.deleteExpiredOAuthStates(ctx, now)
	})
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, junction.NotFound("OAuth state")
	}
	return st, nil
}

// deleteExpiredOAuthStates deletes the states expired at now, of every
// tenant, with their sealed verifiers. On PostgreSQL it skips states another
// transaction holds (being taken, or deleted with their connection): the
// cleanup is opportunistic, and waiting for them could deadlock with a
// transaction doing the same the other way round.
func (h *handle) deleteExpiredOAuthStates(ctx context.Context, now time.Time) error {
	q := "DELETE FROM oauth_states WHERE expires_at <= $1 RETURNING tenant_id, sealed_id"
	if h.db.dialect == DialectPostgres {
		q = `DELETE FROM oauth_states WHERE id IN
			(SELECT id FROM oauth_states WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)
			RETURNING tenant_id, sealed_id`
	}
	rows, err := h.writer().QueryContext(ctx, q, toMicros(now))
	if err != nil {
		return internal("delete expired OAuth states", err)
	}
	gone, err := collect(rows, scanSealedRef)
	if err != nil {
		return internal("delete expired OAuth states", err)
	}
	for _, ref := range gone {
		if err := h.deleteSealedValues(ctx, ref.tenantID, ref.id); err != nil {
			return err
		}
	}
	return nil
}

// sealedRef names a sealed value some deleted row pointed at.
type sealedRef struct{ tenantID, id string }

func scanSealedRef(s scanner) (sealedRef, error) {
	var ref sealedRef
	var id sql.NullString
	err := s.Scan(&ref.tenantID, &id)
	ref.id = id.String
	return ref, err
}
