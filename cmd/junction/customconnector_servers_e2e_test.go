package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestCustomConnectorRecreated_TwoServers deletes a custom connector on one
// server and makes another with the same key and version numbers, but
// another base URL: the second server, which had parsed the first one's
// version, must run the new one. It learns of the deletion through
// PostgreSQL's change feed.
func TestCustomConnectorRecreated_TwoServers(t *testing.T) {
	dsn := postgresURL(t)
	env := map[string]string{envBootstrapToken: testBootstrapToken, "JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8"}
	m1, _ := MustRunMain(t, "", dsn, env)
	m2, _ := MustRunMain(t, "", dsn, env)
	one := &apiClient{t: t, base: m1.URL(), token: testBootstrapToken}
	two := &apiClient{t: t, base: m2.URL(), token: testBootstrapToken}

	var oldHits, newHits atomic.Int64
	upstream := func(hits *atomic.Int64) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
		t.Cleanup(s.Close)
		return s
	}
	oldAPI, newAPI := upstream(&oldHits), upstream(&newHits)

	var folder struct {
		ID string `json:"id"`
	}
	one.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Ops"}, &folder)
	const key = "echo"
	// publish makes the connector, publishes 1.0.0 pointing at base and
	// connects to it, on the first server.
	publish := func(base string) (connectorID, connectionID string) {
		var draft struct {
			ID string `json:"id"`
		}
		one.must(http.StatusCreated, "POST", "/api/v1/custom-connectors",
			map[string]any{"display_name": "Echo", "key": key, "base_url": base}, &draft)
		def := map[string]any{
			"key": key, "version": "1.0.0", "display_name": "Echo", "description": "A loopback echo API.", "base_url": base,
			"auth":       []any{map[string]any{"type": "none"}},
			"test":       map[string]any{"method": "GET", "path": "/ping"},
			"activities": []any{map[string]any{"name": "ping", "display_name": "Ping", "description": "Asks the API for its health.", "method": "GET", "path": "/ping"}},
		}
		one.must(http.StatusOK, "PUT", "/api/v1/custom-connectors/"+draft.ID, def, nil)
		one.must(http.StatusCreated, "POST", "/api/v1/custom-connectors/"+draft.ID+"/publish", map[string]any{"version": "1.0.0"}, nil)
		var conn struct {
			ID string `json:"id"`
		}
		one.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{"folder_id": folder.ID,
			"connector": key, "name": "echo", "auth_type": "none"}, &conn) // tests it: one call
		return draft.ID, conn.ID
	}
	ping := func(c *apiClient, connectionID string) {
		t.Helper()
		var res struct {
			Status string `json:"status"`
		}
		c.must(http.StatusOK, "POST", "/api/v1/connections/"+connectionID+"/execute", map[string]any{"activity": "ping"}, &res)
		if res.Status != "succeeded" {
			t.Fatalf("ping: %+v", res)
		}
	}

	oldConnector, oldConnection := publish(oldAPI.URL)
	ping(two, oldConnection) // the second server parses 1.0.0 now
	before := oldHits.Load()
	if before != 2 {
		t.Fatalf("the first version's API saw %d calls, want 2 (the connection's test and a ping)", before)
	}
	one.must(http.StatusNoContent, "DELETE", "/api/v1/connections/"+oldConnection, nil, nil)
	one.must(http.StatusNoContent, "DELETE", "/api/v1/custom-connectors/"+oldConnector, nil, nil)
	_, newConnection := publish(newAPI.URL)

	// The deletion reaches the second server through the feed, a moment
	// after it committed: wait for the new API to be called, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for newHits.Load() < 2 { // the connection's test, then a ping
		if time.Now().After(deadline) {
			t.Fatalf("the second server still runs the deleted connector's version: old API %d calls, new %d", oldHits.Load(), newHits.Load())
		}
		ping(two, newConnection)
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a wait for the feed
	}
	if n := oldHits.Load(); n != before {
		t.Fatalf("the second server called the deleted connector's API again (%d calls)", n)
	}
}
