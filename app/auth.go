package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"slices"
	"sync"
	"time"

	"junction"
)

// TokenPrefix starts every token Junction generates, so a leaked one is easy
// to recognise in a secret scanner.
const TokenPrefix = "jct_"

// newTokenSecret returns a fresh API token: the prefix and 32 random bytes
// in unpadded base64url (43 characters).
func newTokenSecret() junction.Secret {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	return junction.NewSecret(TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]))
}

// hashToken is what the Store keeps of a token. Tokens carry 256 bits of
// randomness, so a plain SHA-256 is enough and keeps authentication fast;
// bootstrap tokens chosen by an operator must be long for the same reason.
func hashToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// touchInterval is how stale a token's last-used time may get before a
// request refreshes it; it keeps reads from turning into writes.
const touchInterval = time.Minute

func unauthenticated() error {
	return junction.Errorf(junction.EUNAUTHENTICATED, "missing, invalid or expired token")
}

// Authenticate turns a bearer token into the calling Principal. Every
// failure (unknown, revoked or expired token, disabled or deleted user)
// returns the same unauthenticated error, so a caller learns nothing about
// which part was wrong. A store failure is returned as it is, because
// answering 401 while the database is down would mislead clients.
//
// The server's Store answers this lookup from memory (storecache) and
// drops what it holds on every change to tokens, users or roles, its own
// or, through the database's change feed, another server's: a revoked
// token or a disabled user is refused at the next request.
//
// The returned Principal has no IP or RequestID; the HTTP layer fills them.
func (a *App) Authenticate(ctx context.Context, rawToken string) (*junction.Principal, error) {
	if rawToken == "" {
		return nil, unauthenticated()
	}
	hash := hashToken(rawToken)
	tp, err := a.store.GetTokenPrincipal(ctx, hash)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, unauthenticated()
	} else if err != nil {
		return nil, err
	}
	tok, user := tp.Token, tp.User
	if subtle.ConstantTimeCompare(hash, tok.Hash) != 1 {
		return nil, unauthenticated()
	}
	now := a.now()
	if !tok.Active(now) || user.Disabled {
		return nil, unauthenticated()
	}
	// Last-used is informational: it is recorded at most once a minute per
	// token, and a failure to record it must not fail the request. Within
	// the minute the token just read says so, and nothing more is asked.
	if tok.LastUsedAt != nil && now.Sub(*tok.LastUsedAt) < touchInterval {
		// recent enough
	} else if err := a.store.TouchToken(ctx, tok.ID, now); err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "record token use",
			slog.String("token_id", tok.ID), slog.Any("error", err))
	}
	return &junction.Principal{User: user, Token: tok, Access: a.access.get(user.ID, tp.Assignments, tp.Roles)}, nil
}

// accessMemo remembers the Access last built for each user together with
// what it was built from. Building one allocates a set per scope on every
// request; checking that the assignments and role permissions just read
// are the ones it was built from is cheaper, and exact: a changed role or
// assignment builds a new one. The Access handed out is shared between
// requests, which only ever read it.
type accessMemo struct {
	mu sync.Mutex
	m  map[string]*memoizedAccess // by user ID
}

type memoizedAccess struct {
	assignments []junction.RoleAssignment
	perms       map[string][]junction.Permission // by role ID
	access      junction.Access
}

// maxMemoizedAccess bounds the memo; past it, the memo starts over.
const maxMemoizedAccess = 10000

func (m *accessMemo) get(userID string, as []junction.RoleAssignment, roles map[string]*junction.Role) junction.Access {
	m.mu.Lock()
	e := m.m[userID]
	m.mu.Unlock()
	if e != nil && e.builtFrom(as, roles) {
		return e.access
	}
	e = &memoizedAccess{assignments: slices.Clone(as), perms: make(map[string][]junction.Permission, len(roles)),
		access: junction.NewAccess(as, roles)}
	for id, r := range roles {
		e.perms[id] = slices.Clone(r.Permissions)
	}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= maxMemoizedAccess {
		m.m = map[string]*memoizedAccess{}
	}
	m.m[userID] = e
	m.mu.Unlock()
	return e.access
}

func (e *memoizedAccess) builtFrom(as []junction.RoleAssignment, roles map[string]*junction.Role) bool {
	if !slices.Equal(e.assignments, as) || len(e.perms) != len(roles) {
		return false
	}
	for id, r := range roles {
		p, ok := e.perms[id]
		if !ok || !slices.Equal(p, r.Permissions) {
			return false
		}
	}
	return true
}
