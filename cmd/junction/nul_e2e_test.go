package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// NUL characters against the real server: a request holding one is
// refused as validation_failed naming where it is, never a 500; an
// upstream answer holding one is relayed, and its execution recorded,
// succeeded or failed, on both databases.
func TestNUL_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runNULScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runNULScenario(t, postgresURL(t)) })
}

func runNULScenario(t *testing.T, database string) {
	m, _ := MustRunMain(t, t.TempDir(), database, map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"name":"a\u0000b"}`)
		case "/v1/text":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "a\x00b")
		case "/v1/fail-json":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"bad\u0000input"}`)
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "bad\x00input")
		}
	}))
	t.Cleanup(upstream.Close)

	var folder, conn struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "NUL"}, &folder)
	api.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "http", "name": "upstream", "auth_type": "api_key",
		"fields": map[string]any{
			"base_url": upstream.URL + "/v1", "api_key_in": "header", "api_key_name": "X-API-Key", "api_key": "k-123456",
		},
	}, &conn)
	execPath := "/api/v1/connections/" + conn.ID + "/execute"
	get := func(path string) map[string]any {
		return map[string]any{"activity": "http_request", "input": map[string]any{"path": path}}
	}

	t.Run("RequestRefused", func(t *testing.T) {
		p := api.problem("validation_failed", "POST", execPath, map[string]any{"activity": "http_request",
			"input": map[string]any{"method": "POST", "path": "/json", "body": map[string]any{"name": "a\x00b"}}})
		if p.Status != http.StatusUnprocessableEntity || p.Field != "input.body.name" {
			t.Fatalf("problem %+v", p)
		}
		p = api.problem("validation_failed", "PATCH", "/api/v1/connections/"+conn.ID,
			map[string]any{"fields": map[string]any{"base_url": "https://x\x00.test"}})
		if p.Field != "fields.base_url" {
			t.Fatalf("problem %+v", p)
		}
		p = api.problem("validation_failed", "GET", "/api/v1/executions?connection_id=a%00b", nil)
		if p.Field != "connection_id" {
			t.Fatalf("problem %+v", p)
		}
	})

	var recorded []string
	t.Run("UpstreamAnswersRelayed", func(t *testing.T) {
		for _, path := range []string{"/json", "/text"} {
			var res e2eResult
			api.must(http.StatusOK, "POST", execPath, get(path), &res)
			if res.Status != "succeeded" || res.ExecutionID == "" {
				t.Fatalf("%s: result %+v", path, res)
			}
			recorded = append(recorded, res.ExecutionID)
		}
		for _, path := range []string{"/fail-json", "/fail-text"} {
			p := api.problem("provider_error", "POST", execPath, get(path))
			id, _ := p.Details["execution_id"].(string)
			if p.Status != http.StatusBadGateway || id == "" {
				t.Fatalf("%s: problem %+v", path, p)
			}
			recorded = append(recorded, id)
		}
	})

	t.Run("ExecutionsRecorded", func(t *testing.T) {
		var list struct {
			Items []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"items"`
		}
		api.must(http.StatusOK, "GET", "/api/v1/executions?connection_id="+conn.ID, nil, &list)
		var ids []string
		for _, e := range list.Items {
			ids = append(ids, e.ID)
		}
		for _, id := range recorded {
			if !slices.Contains(ids, id) {
				t.Fatalf("execution %s not recorded; recorded: %v", id, ids)
			}
		}
	})
}
