package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recordingServer is an upstream that keeps every byte it is sent (request
// line, headers, body), so a test can look for a planted secret in it. It
// answers 200 with an empty JSON object.
type recordingServer struct {
	*httptest.Server
	mu    sync.Mutex
	got   strings.Builder
	calls int
}

func newRecordingServer(t *testing.T) *recordingServer {
	r := &recordingServer{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.calls++
		r.got.WriteString(req.Method + " " + req.URL.String() + "\n")
		_ = req.Header.Write(&r.got)
		r.got.Write(body)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recordingServer) received() (int, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, []byte(r.got.String())
}

type e2eWarning struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	AssetID string `json:"asset_id"`
}

type e2eConnectionView struct {
	e2eConnection
	Warnings []e2eWarning `json:"warnings"`
}

// Whoever may create or edit connections must not be able to send a
// secret somewhere of their choosing. An Automation Developer, who may not
// resolve assets, tries the two ways: a connection of its own to its own
// host with the asset as token, and pointing an administrator's
// connection, whose token is a literal, at its own host. Neither sends a
// byte of either secret to the attacker's server.
func TestSecretDestinations_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runDestinationScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runDestinationScenario(t, postgresURL(t)) })
}

func runDestinationScenario(t *testing.T, database string) {
	const (
		assetToken   = "e2e-dest-asset-token-71c2"
		adminLiteral = "e2e-dest-admin-literal-4b9e"
		devToken     = "e2e-dest-dev-own-token-0d5a"
		openToken    = "e2e-dest-open-token-93f1"
	)
	m, logs := MustRunMain(t, "", database, map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	admin := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}

	// The real API is reached by name, the attacker's by address: both
	// listen on loopback, and only the name is allowed.
	legit := newRecordingServer(t)
	legitURL := strings.Replace(legit.URL, "127.0.0.1", "localhost", 1)
	attacker := newRecordingServer(t)

	var folder, asset, open struct {
		ID           string   `json:"id"`
		AllowedHosts []string `json:"allowed_hosts"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "CRM"}, &folder)
	admin.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "crm-token", "type": "secret", "value": assetToken,
		"allowed_hosts": []string{"LOCALHOST."},
	}, &asset)
	if len(asset.AllowedHosts) != 1 || asset.AllowedHosts[0] != "localhost" {
		t.Fatalf("allowed hosts stored as %q, want the canonical [localhost]", asset.AllowedHosts)
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
		"folder_id": folder.ID, "name": "open-token", "type": "secret", "value": openToken,
	}, &open)

	var dev struct {
		ID string `json:"id"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "dev", "roles": []string{}}, &dev)
	var tok struct {
		Token string `json:"token"`
	}
	admin.must(http.StatusCreated, "POST", "/api/v1/users/"+dev.ID+"/tokens", map[string]any{"name": "t"}, &tok)
	admin.must(http.StatusOK, "PUT", "/api/v1/folders/"+folder.ID+"/members/"+dev.ID,
		map[string]any{"roles": []string{"Automation Developer"}}, nil)
	developer := &apiClient{t: t, base: m.URL(), token: tok.Token}
	developer.problem("permission_denied", "POST", "/api/v1/assets/"+asset.ID+"/resolve", nil)

	bearer := func(name, baseURL string, token any) map[string]any {
		return map[string]any{"folder_id": folder.ID, "connector": "http", "name": name, "auth_type": "bearer",
			"fields": map[string]any{"base_url": baseURL, "token": token}}
	}
	ref := map[string]any{"asset_id": asset.ID}
	get := map[string]any{"activity": "http_request", "input": map[string]any{"path": "/me"}}
	attackerGotNothing := func(t *testing.T) {
		t.Helper()
		if n, _ := attacker.received(); n != 0 {
			t.Fatalf("the attacker's server got %d requests", n)
		}
	}

	t.Run("OwnConnectionToOwnHost", func(t *testing.T) {
		p := developer.problem("credential_not_allowed", "POST", "/api/v1/connections", bearer("exfil", attacker.URL, ref))
		if p.Status != http.StatusUnprocessableEntity || p.Field != "fields.token" || p.Details["asset_id"] != asset.ID ||
			!strings.Contains(p.Detail, "crm-token") {
			t.Fatalf("problem %+v", p)
		}
		attackerGotNothing(t)

		// Saved untested, it still cannot send.
		var c e2eConnectionView
		developer.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", bearer("exfil", attacker.URL, ref), &c)
		developer.problem("credential_not_allowed", "POST", "/api/v1/connections/"+c.ID+"/execute", get)
		developer.problem("credential_not_allowed", "POST", "/api/v1/connections/"+c.ID+"/test", nil)
		attackerGotNothing(t)
	})

	t.Run("RestrictedAssetWorksOnItsHost", func(t *testing.T) {
		var c e2eConnectionView
		developer.must(http.StatusCreated, "POST", "/api/v1/connections", bearer("crm", legitURL, ref), &c)
		if len(c.Warnings) != 0 {
			t.Fatalf("warnings for a restricted asset: %+v", c.Warnings)
		}
		developer.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/execute", get, nil)
		if _, got := legit.received(); !strings.Contains(string(got), "Bearer "+assetToken) {
			t.Fatal("the allowed host did not get the token")
		}
		// Pointed elsewhere, the asset-backed field is held to its hosts.
		developer.must(http.StatusOK, "PATCH", "/api/v1/connections/"+c.ID,
			map[string]any{"fields": map[string]any{"base_url": attacker.URL}}, nil)
		developer.problem("credential_not_allowed", "POST", "/api/v1/connections/"+c.ID+"/execute", get)
		attackerGotNothing(t)
	})

	t.Run("WideningAllowedHostsNeedsResolve", func(t *testing.T) {
		p := developer.problem("permission_denied", "PATCH", "/api/v1/assets/"+asset.ID,
			map[string]any{"allowed_hosts": []string{"localhost", "127.0.0.1"}})
		if p.Field != "allowed_hosts" {
			t.Fatalf("problem %+v", p)
		}
		developer.problem("permission_denied", "PATCH", "/api/v1/assets/"+asset.ID, map[string]any{"allowed_hosts": []string{}})
		p = developer.problem("validation_failed", "PATCH", "/api/v1/assets/"+asset.ID,
			map[string]any{"allowed_hosts": []string{"https://localhost/"}})
		if p.Field != "allowed_hosts[0]" {
			t.Fatalf("problem %+v", p)
		}
	})

	var adminConn e2eConnectionView
	t.Run("AdministratorsConnectionPointedElsewhere", func(t *testing.T) {
		admin.must(http.StatusCreated, "POST", "/api/v1/connections", bearer("admin-crm", legitURL, adminLiteral), &adminConn)
		path := "/api/v1/connections/" + adminConn.ID
		p := developer.problem("validation_failed", "PATCH", path, map[string]any{"fields": map[string]any{"base_url": attacker.URL}})
		if p.Field != "fields.token" || !strings.Contains(p.Detail, "fields.token") {
			t.Fatalf("problem %+v", p)
		}
		p = developer.problem("validation_failed", "PATCH", path, map[string]any{"proxy_url": attacker.URL})
		if p.Field != "fields.token" {
			t.Fatalf("problem %+v", p)
		}
		// Nothing changed: the connection still goes where it went.
		developer.must(http.StatusOK, "POST", path+"/execute", get, nil)
		if _, got := legit.received(); !strings.Contains(string(got), "Bearer "+adminLiteral) {
			t.Fatal("the connection no longer reaches its API")
		}
		attackerGotNothing(t)

		// Moved with a token of the developer's own, it goes there with
		// that token only.
		developer.must(http.StatusOK, "PATCH", path, map[string]any{"fields": map[string]any{"base_url": attacker.URL, "token": devToken}}, nil)
		developer.must(http.StatusOK, "POST", path+"/execute", get, nil)
		if n, got := attacker.received(); n != 1 || !strings.Contains(string(got), devToken) {
			t.Fatalf("the moved connection sent %d requests", n)
		}
	})

	t.Run("UnrestrictedAssetWarns", func(t *testing.T) {
		var c e2eConnectionView
		admin.must(http.StatusCreated, "POST", "/api/v1/connections",
			bearer("open", legitURL, map[string]any{"asset_id": open.ID}), &c)
		want := e2eWarning{Code: "asset_unrestricted", Field: "fields.token", AssetID: open.ID}
		if len(c.Warnings) != 1 || c.Warnings[0] != want {
			t.Fatalf("warnings %+v, want %+v", c.Warnings, want)
		}
		var got e2eConnectionView
		admin.must(http.StatusOK, "GET", "/api/v1/connections/"+c.ID, nil, &got)
		if len(got.Warnings) != 1 || got.Warnings[0] != want {
			t.Fatalf("read back warnings %+v", got.Warnings)
		}
		var l struct {
			Items []e2eConnectionView `json:"items"`
		}
		admin.must(http.StatusOK, "GET", "/api/v1/connections?name=open", nil, &l)
		if len(l.Items) != 1 || len(l.Items[0].Warnings) != 1 {
			t.Fatalf("listed %+v", l.Items)
		}
		var res struct {
			Warnings []e2eWarning `json:"warnings"`
		}
		admin.must(http.StatusOK, "POST", "/api/v1/connections/"+c.ID+"/test", nil, &res)
		if len(res.Warnings) != 1 || res.Warnings[0] != want {
			t.Fatalf("test warnings %+v", res.Warnings)
		}
	})

	_, sent := attacker.received()
	assertNoSecret(t, "what the attacker's server received", sent, []string{assetToken, adminLiteral, openToken})
	assertNoSecret(t, "logs", []byte(logs.String()), []string{assetToken, adminLiteral, devToken, openToken})
}
