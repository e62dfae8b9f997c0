package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"junction/clocktest"
)

var setupLink = regexp.MustCompile(`(http://\S+)/setup\?token=(\S+)`)

// firstStart runs a server on an empty database without a bootstrap
// password and returns the one-time link it printed.
func firstStart(t *testing.T, clock *clocktest.Clock) (*Main, *syncBuffer, string) {
	t.Helper()
	m, logs := mustRunTunedMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken}, func(m *Main) {
		if clock != nil {
			m.Clock = clock
		}
	})
	found := setupLink.FindAllStringSubmatch(logs.String(), -1)
	if len(found) != 1 || found[0][1] != m.URL() {
		t.Fatalf("want one setup link to %s, logs:\n%s", m.URL(), logs)
	}
	return m, logs, found[0][2]
}

func postSetup(t *testing.T, base, token, password, confirm string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(base+"/setup", url.Values{"token": {token}, "password": {password}, "confirm": {confirm}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSetupLink: without JUNCTION_BOOTSTRAP_PASSWORD the first start
// prints, once, a link that sets the administrator's password; a refused
// password keeps it, it works once, it is stored hashed, and after 24
// hours it is refused.
func TestSetupLink(t *testing.T) {
	const password = "first light over the harbour"
	t.Run("OK", func(t *testing.T) {
		dataDir := t.TempDir()
		m, logs := MustRunMain(t, dataDir, "", map[string]string{envBootstrapToken: testBootstrapToken})
		found := setupLink.FindStringSubmatch(logs.String())
		if found == nil {
			t.Fatalf("no setup link:\n%s", logs)
		}
		base, token := found[1], found[2]
		resp, err := http.Get(base + "/setup?token=" + url.QueryEscape(token))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `id="setup-form"`) ||
			resp.Header.Get("Referrer-Policy") != "same-origin" {
			t.Fatalf("setup page: %d %s", resp.StatusCode, b)
		}
		if status, body := postSetup(t, base, token, "short", "short"); status != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "at least 12 characters") || !strings.Contains(body, `id="setup-form"`) {
			t.Fatalf("short password: %d %s", status, body)
		}
		if status, body := postSetup(t, base, token, password, password+"x"); status != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "does not match") {
			t.Fatalf("mismatch: %d %s", status, body)
		}
		if status, body := postSetup(t, base, token, password, password); status != http.StatusOK || !strings.Contains(body, "Password set") {
			t.Fatalf("set: %d %s", status, body)
		}
		if status, body := postSetup(t, base, token, password+"!", password+"!"); status != http.StatusUnauthorized ||
			!strings.Contains(body, "unknown, used or expired") {
			t.Fatalf("second use: %d %s", status, body)
		}
		// The password signs in.
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err = c.PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
			t.Fatalf("sign in with the new password: %d", resp.StatusCode)
		}
		admin := &apiClient{t: t, base: base, token: testBootstrapToken}
		var audit struct {
			Items []map[string]any `json:"items"`
		}
		admin.must(http.StatusOK, "GET", "/api/v1/audit?action=user.password.set", nil, &audit)
		if len(audit.Items) != 1 || audit.Items[0]["actor_name"] != "admin" {
			t.Fatalf("audit: %v", audit.Items)
		}
		// A second start prints no link.
		m.Close()
		_, logs2 := MustRunMain(t, dataDir, "", map[string]string{envBootstrapToken: testBootstrapToken})
		if setupLink.MatchString(logs2.String()) {
			t.Fatalf("second start printed a link:\n%s", logs2)
		}
		assertNoSecretAtRest(t, dataDir, "", []string{token, password})
	})

	t.Run("ErrExpired", func(t *testing.T) {
		clock := clocktest.New(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		m, _, token := firstStart(t, clock)
		clock.Advance(24 * time.Hour)
		if status, body := postSetup(t, m.URL(), token, password, password); status != http.StatusUnauthorized ||
			!strings.Contains(body, "unknown, used or expired") {
			t.Fatalf("expired: %d %s", status, body)
		}
		// Refused once, gone: turning the clock back does not revive it.
		clock.Advance(-time.Hour)
		if status, _ := postSetup(t, m.URL(), token, password, password); status != http.StatusUnauthorized {
			t.Fatalf("expired link used after all: %d", status)
		}
	})

	t.Run("ErrForged", func(t *testing.T) {
		m, _, token := firstStart(t, nil)
		if status, _ := postSetup(t, m.URL(), token+"x", password, password); status != http.StatusUnauthorized {
			t.Fatalf("forged: %d", status)
		}
		if status, _ := postSetup(t, m.URL(), "", password, password); status != http.StatusUnauthorized {
			t.Fatalf("empty: %d", status)
		}
	})
}
