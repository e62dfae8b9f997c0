package main

import (
	"net/http"
	"strings"
	"testing"
)

// The limit on failed authentication against the real server, configured
// through the environment: guesses past the burst answer 429 with
// Retry-After, and the administrator, whose token authenticated before,
// still gets in from the same address. The limit lives in memory, so the
// database does not matter here.
func TestAuthFailureLimit_EndToEnd(t *testing.T) {
	m, logs := MustRunMain(t, t.TempDir(), "", map[string]string{
		envBootstrapToken:              testBootstrapToken,
		"JUNCTION_AUTH_FAILURE_BURST":  "2",
		"JUNCTION_AUTH_FAILURE_REFILL": "1h",
	})
	admin := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	admin.must(http.StatusOK, "GET", "/api/v1/me", nil, nil)
	guesses := []string{"jct_e2e-guess-one-4f1a", "jct_e2e-guess-two-9b3c", "jct_e2e-guess-three-7d2e"}
	for i, g := range guesses {
		r := (&apiClient{t: t, base: m.URL(), token: g}).call("GET", "/api/v1/me", nil)
		want := http.StatusUnauthorized
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if r.status != want {
			t.Fatalf("guess %d: status %d, want %d: %s", i, r.status, want, r.body)
		}
		if i >= 2 && (r.header.Get("Retry-After") != "3600" || !strings.Contains(string(r.body), `"code":"rate_limited"`)) {
			t.Fatalf("guess %d: Retry-After %q, body %s", i, r.header.Get("Retry-After"), r.body)
		}
	}
	admin.must(http.StatusOK, "GET", "/api/v1/me", nil, nil)
	assertNoSecret(t, "logs", []byte(logs.String()), guesses)
}
