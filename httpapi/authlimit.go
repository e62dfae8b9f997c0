package httpapi

import (
	"container/list"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"junction"
)

// Defaults of AuthLimit: ten failures in a row, then one more attempt
// every six seconds (ten a minute).
const (
	DefaultAuthFailureBurst = 10
	DefaultAuthFailureEvery = 6 * time.Second
)

// maxLimitKeys bounds each table of failure budgets (client addresses,
// token prefixes) and the memory of tokens proven valid. Past it the
// least recently seen entry is forgotten: memory stays bounded however
// many addresses a client has, at the price of a fresh budget for an
// address forgotten.
const maxLimitKeys = 10000

// tokenPrefixLen is how much of a token names its prefix budget: "jct_"
// and eight random characters of a generated token, enough to tell
// tokens apart without keeping a usable part of any.
const tokenPrefixLen = 12

// AuthLimit limits failed authentication: each client address and each
// token prefix has a budget of Burst failures, regained at one every
// Every. A request whose address or prefix has spent its budget answers
// rate_limited (429) with Retry-After, without its token being looked up,
// unless that very token authenticated on this server before: the limit
// stops guessing, not callers who hold a valid token. Successes cost
// nothing. The budgets live in the server's memory, so each server
// counts on its own.
type AuthLimit struct {
	// Burst is how many failures in a row are answered 401 before
	// attempts are refused; DefaultAuthFailureBurst when zero, no limit
	// when negative.
	Burst int
	// Every is the time in which one more attempt is regained;
	// DefaultAuthFailureEvery when zero.
	Every time.Duration
}

// authLimiter keeps the failure budgets. It is safe for concurrent use.
type authLimiter struct {
	burst  int
	every  time.Duration
	clock  junction.Clock
	logger *slog.Logger

	mu       sync.Mutex
	addrs    *lru[netip.Addr, *rate.Limiter]
	prefixes *lru[[sha256.Size]byte, *rate.Limiter]
	// valid holds the SHA-256 of tokens that authenticated, so that one of
	// them is still checked while its address is refused: a guess cannot
	// be among them unless it is right and was already used.
	valid *lru[[sha256.Size]byte, struct{}]
}

func newAuthLimiter(o AuthLimit, clock junction.Clock, logger *slog.Logger) *authLimiter {
	if o.Burst < 0 {
		return nil
	}
	if o.Burst == 0 {
		o.Burst = DefaultAuthFailureBurst
	}
	if o.Every <= 0 {
		o.Every = DefaultAuthFailureEvery
	}
	return &authLimiter{burst: o.Burst, every: o.Every, clock: clock, logger: logger,
		addrs:    newLRU[netip.Addr, *rate.Limiter](maxLimitKeys),
		prefixes: newLRU[[sha256.Size]byte, *rate.Limiter](maxLimitKeys),
		valid:    newLRU[[sha256.Size]byte, struct{}](maxLimitKeys)}
}

// addrKey is the budget an address draws on: an IPv6 client holds a /64
// as easily as one address, so the /64 is what counts.
func addrKey(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

func prefixKey(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token[:min(len(token), tokenPrefixLen)]))
}

// loginKey is the budget a sign-in form's user name draws on, apart from
// any token prefix.
func loginKey(tenant, user string) [sha256.Size]byte {
	return sha256.Sum256([]byte("login\x00" + tenant + "\x00" + user))
}

// check answers rate_limited when the address or the subject (a token's
// prefix, a sign-in's user name) has no attempt left, unless token
// authenticated on this server before; an empty token is never excused.
func (l *authLimiter) check(addr netip.Addr, subject [sha256.Size]byte, token string) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addrs.order.Len() == 0 && l.prefixes.order.Len() == 0 {
		return nil // no failure yet: nothing to look up
	}
	now := l.clock.Now()
	var wait time.Duration
	if lim, ok := l.addrs.get(addrKey(addr)); ok {
		wait = max(wait, l.waitFor(lim, now))
	}
	if lim, ok := l.prefixes.get(subject); ok {
		wait = max(wait, l.waitFor(lim, now))
	}
	if wait == 0 {
		return nil
	}
	if _, ok := l.valid.get(sha256.Sum256([]byte(token))); ok && token != "" {
		return nil
	}
	secs := int64(math.Ceil(wait.Seconds()))
	return &junction.Error{Code: junction.ERATELIMITED,
		Message: fmt.Sprintf("too many failed authentication attempts; try again in %d seconds", secs),
		Details: map[string]any{"retry_after_seconds": secs}}
}

// waitFor is how long until lim allows one attempt; zero when it does.
func (l *authLimiter) waitFor(lim *rate.Limiter, now time.Time) time.Duration {
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(l.every))
}

// failed spends one attempt of the address and of the subject, and logs
// the budgets it exhausts (never the token, nor its prefix).
func (l *authLimiter) failed(ctx context.Context, addr netip.Addr, subject [sha256.Size]byte) {
	if l == nil {
		return
	}
	now := l.clock.Now()
	l.mu.Lock()
	a := spend(l, l.addrs, addrKey(addr), now)
	p := spend(l, l.prefixes, subject, now)
	l.mu.Unlock()
	for _, tripped := range []struct {
		on   bool
		kind string
	}{{a, "client address"}, {p, "token prefix or user name"}} {
		if tripped.on {
			loggerFrom(ctx).LogAttrs(ctx, slog.LevelWarn, "failed authentication limit reached: refusing further attempts",
				slog.String("limit", tripped.kind), slog.String("client_address", addr.String()),
				slog.Int("burst", l.burst), slog.Duration("every", l.every))
		}
	}
}

// spend takes one attempt from key's budget and reports whether that
// emptied it. Failures that passed the check together may take it below
// zero, which makes the wait longer: each of them was a guess checked.
func spend[K comparable](l *authLimiter, t *lru[K, *rate.Limiter], key K, now time.Time) bool {
	lim, ok := t.get(key)
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		t.put(key, lim)
	}
	before := lim.TokensAt(now)
	lim.ReserveN(now, 1)
	return before >= 1 && lim.TokensAt(now) < 1
}

// succeeded remembers a token that authenticated.
func (l *authLimiter) succeeded(token string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.valid.put(sha256.Sum256([]byte(token)), struct{}{})
	l.mu.Unlock()
}

// lru is a map bounded to max entries that forgets the least recently
// used one first. It is not safe for concurrent use.
type lru[K comparable, V any] struct {
	max   int
	order *list.List // of *lruEntry[K, V], most recent first
	m     map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), m: make(map[K]*list.Element)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	el, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry[K, V]).val, true
}

func (c *lru[K, V]) put(k K, v V) {
	if el, ok := c.m[k]; ok {
		el.Value.(*lruEntry[K, V]).val = v
		c.order.MoveToFront(el)
		return
	}
	c.m[k] = c.order.PushFront(&lruEntry[K, V]{key: k, val: v})
	if c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.m, last.Value.(*lruEntry[K, V]).key)
	}
}
