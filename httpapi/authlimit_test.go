package httpapi_test

import (
	"crypto/rand"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/httpapi"
)

// guess is a token no one holds, with a prefix of its own.
func guess() string { return "jct_" + rand.Text() + "-planted-guess" }

// Failed authentication is limited per client address and per token
// prefix; valid callers are not slowed, and one whose token authenticated
// before passes even from an address that is refused.
func TestAuthFailureLimit(t *testing.T) {
	limit := httpapi.AuthLimit{Burst: 3, Every: 6 * time.Second}
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		t.Run("LockAfterBurst", func(t *testing.T) {
			e := newEnv(t, open(t), envOptions{authFailures: limit})
			_, fresh := e.createUser(e.admin, "fresh")
			var guesses []string
			fail := func(want int) *response {
				t.Helper()
				g := guess()
				guesses = append(guesses, g)
				r := e.call("GET", "/api/v1/me", g, nil)
				if r.status != want {
					t.Fatalf("guess: status %d, want %d: %s", r.status, want, r.body)
				}
				return r
			}
			for range limit.Burst {
				fail(http.StatusUnauthorized)
			}
			r := fail(http.StatusTooManyRequests)
			if p := r.problem(t); p.Code != junction.ERATELIMITED || p.Details["retry_after_seconds"] != float64(6) {
				t.Fatalf("problem %s", r.body)
			}
			if got := r.header.Get("Retry-After"); got != "6" {
				t.Fatalf("Retry-After %q, want 6", got)
			}
			// The administrator's token authenticated before (creating
			// the user): it still passes. One never seen here waits.
			e.must(http.StatusOK, "GET", "/api/v1/me", e.admin, nil, nil)
			if r := e.call("GET", "/api/v1/me", fresh, nil); r.status != http.StatusTooManyRequests {
				t.Fatalf("unseen valid token on a refused address: status %d", r.status)
			}
			// Successes spent nothing: after one refill the unseen token
			// passes, and the attempt regained is still there for a
			// guess, which empties it again.
			e.clock.Advance(6 * time.Second)
			e.must(http.StatusOK, "GET", "/api/v1/me", fresh, nil, nil)
			fail(http.StatusUnauthorized)
			fail(http.StatusTooManyRequests)
			e.clock.Advance(time.Minute)
			for range limit.Burst {
				fail(http.StatusUnauthorized)
			}
			fail(http.StatusTooManyRequests)

			logs := e.logs.String()
			if !strings.Contains(logs, "failed authentication limit reached") {
				t.Fatalf("no log of the limit:\n%s", logs)
			}
			for _, g := range guesses {
				if strings.Contains(logs, g) || strings.Contains(logs, g[:12]) {
					t.Fatalf("the logs hold a token or its prefix:\n%s", logs)
				}
			}
		})

		t.Run("PerClientAddress", func(t *testing.T) {
			e := newEnv(t, open(t), envOptions{authFailures: limit, trustedProxies: proxies})
			from := func(addr string, want int) {
				t.Helper()
				r := e.call("GET", "/api/v1/me", guess(), nil, "X-Forwarded-For", addr)
				if r.status != want {
					t.Fatalf("from %s: status %d, want %d", addr, r.status, want)
				}
			}
			for range limit.Burst {
				from("203.0.113.7", http.StatusUnauthorized)
			}
			from("203.0.113.7", http.StatusTooManyRequests)
			from("203.0.113.8", http.StatusUnauthorized)
			// An IPv6 client holds its /64.
			for range limit.Burst {
				from("2001:db8:0:1::1", http.StatusUnauthorized)
			}
			from("2001:db8:0:1::2", http.StatusTooManyRequests)
			from("2001:db8:0:2::1", http.StatusUnauthorized)
		})

		t.Run("ForwardedForUntrusted", func(t *testing.T) {
			e := newEnv(t, open(t), envOptions{authFailures: limit})
			// Without a trusted proxy the header is the client's own
			// claim: each guess names another address, and all count
			// against the peer's.
			for i := range limit.Burst {
				r := e.call("GET", "/api/v1/me", guess(), nil, "X-Forwarded-For", "198.51.100."+string(rune('1'+i)))
				if r.status != http.StatusUnauthorized {
					t.Fatalf("status %d", r.status)
				}
			}
			if r := e.call("GET", "/api/v1/me", guess(), nil, "X-Forwarded-For", "198.51.100.99"); r.status != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", r.status)
			}
		})

		t.Run("PerTokenPrefix", func(t *testing.T) {
			e := newEnv(t, open(t), envOptions{authFailures: limit, trustedProxies: proxies})
			// Guesses of one token's end, spread over addresses.
			const prefix = "jct_AbCdEfGh"
			for i := range limit.Burst {
				r := e.call("GET", "/api/v1/me", prefix+rand.Text(), nil, "X-Forwarded-For", "192.0.2."+string(rune('1'+i)))
				if r.status != http.StatusUnauthorized {
					t.Fatalf("status %d", r.status)
				}
			}
			if r := e.call("GET", "/api/v1/me", prefix+rand.Text(), nil, "X-Forwarded-For", "192.0.2.200"); r.status != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", r.status)
			}
			if r := e.call("GET", "/api/v1/me", guess(), nil, "X-Forwarded-For", "192.0.2.200"); r.status != http.StatusUnauthorized {
				t.Fatalf("another prefix from a fresh address: status %d, want 401", r.status)
			}
		})

		t.Run("Off", func(t *testing.T) {
			e := newEnv(t, open(t), envOptions{authFailures: httpapi.AuthLimit{Burst: -1}})
			for range 2 * httpapi.DefaultAuthFailureBurst {
				if r := e.call("GET", "/api/v1/me", guess(), nil); r.status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", r.status)
				}
			}
		})
	})
}
