package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
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
	return &junction.Principal{User: user, Token: tok, Access: junction.NewAccess(tp.Assignments, tp.Roles)}, nil
}
