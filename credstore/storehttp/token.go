package storehttp

import (
	"context"
	"sync"
	"time"

	"junction"
)

// Login logs a store in to its vault and returns the token (or session) to
// send and the time until which to use it.
type Login func(ctx context.Context) (token string, until time.Time, err error)

// TokenCache holds one store's login: concurrent requests share the token,
// and when it has run out, or the vault refused it, one login at a time
// replaces it while the others wait for that login. A failed login is not
// remembered, so the next request tries again. The zero value is ready to
// use, on the system clock.
type TokenCache struct {
	Clock junction.Clock

	loginMu sync.Mutex // one login at a time
	mu      sync.Mutex // guards token and until
	token   string
	until   time.Time
}

// Token returns the current token, calling login when there is none or it
// has run out.
func (c *TokenCache) Token(ctx context.Context, login Login) (string, error) {
	if t := c.fresh(); t != "" {
		return t, nil
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if t := c.fresh(); t != "" {
		return t, nil
	}
	token, until, err := login(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token, c.until = token, until
	c.mu.Unlock()
	return token, nil
}

// Now is the cache's clock reading, for logins that compute until.
func (c *TokenCache) Now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock.Now()
}

func (c *TokenCache) fresh() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.Now().Before(c.until) {
		return c.token
	}
	return ""
}

// Drop forgets the token if it is still old, the one the vault refused, so
// that a newer token another request just obtained survives; an empty old
// drops any token.
func (c *TokenCache) Drop(old string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old == "" || c.token == old {
		c.token = ""
	}
}
