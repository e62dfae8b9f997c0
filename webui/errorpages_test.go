package webui_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/webui"
)

// TestErrorPages follows a problem document's type to its page: without
// signing in, since a caller whose token failed has no session either.
func TestErrorPages(t *testing.T) {
	e := newEnv(t, webui.Options{})
	resp, body := e.do(e.client, "GET", "/api/v1/folders", nil, "Authorization", "Bearer not-a-token")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var p struct{ Type, Code string }
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "/errors/"+junction.EUNAUTHENTICATED || p.Code != junction.EUNAUTHENTICATED {
		t.Fatalf("problem type %q code %q", p.Type, p.Code)
	}
	t.Run("OK", func(t *testing.T) {
		resp, page := e.do(e.client, "GET", p.Type, nil)
		entry, _ := junction.LookupError(p.Code)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="fix"`) ||
			!strings.Contains(page, "Sign in again") || !strings.Contains(page, entry.Title) {
			t.Fatalf("status %d: %s", resp.StatusCode, page)
		}
	})
	t.Run("Index", func(t *testing.T) {
		resp, page := e.do(e.client, "GET", "/errors", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		for _, entry := range junction.ErrorCatalog() {
			if !strings.Contains(page, `href="/errors/`+entry.Code+`"`) {
				t.Errorf("index lacks %s", entry.Code)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		resp, page := e.do(e.client, "GET", "/errors/no_such_code", nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "No error has this code") {
			t.Fatalf("status %d: %s", resp.StatusCode, page)
		}
	})
}
