package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServerExecute measures one http_request execution through the
// real server (HTTP API, authentication, connection, credential asset from
// the warm cache, outbound client, execution record) against a loopback
// upstream. BenchmarkDirectUpstream is the same call made directly, the
// baseline for the overhead.
func BenchmarkServerExecute(b *testing.B) {
	const apiKey = "bench-api-key-0123456789"
	upstream := httptest.NewServer(upstreamHandler(apiKey))
	defer upstream.Close()

	m, _ := MustRunMain(b, "", "", map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_LOG_LEVEL":      "warn",
	})
	api := func(method, path string, body any, out any) {
		b.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, m.URL()+path, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+testBootstrapToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				b.Fatal(err)
			}
		}
	}
	var folders struct {
		Items []struct{ ID string } `json:"items"`
	}
	api(http.MethodGet, "/api/v1/folders", nil, &folders)
	var asset, conn struct{ ID string }
	api(http.MethodPost, "/api/v1/assets", map[string]any{
		"folder_id": folders.Items[0].ID, "name": "bench-key", "type": "secret", "value": apiKey,
	}, &asset)
	api(http.MethodPost, "/api/v1/connections?test=false", map[string]any{
		"folder_id": folders.Items[0].ID, "connector": "http", "name": "bench", "auth_type": "api_key",
		"fields": map[string]any{"base_url": upstream.URL, "api_key_in": "header", "api_key_name": "X-API-Key",
			"api_key": map[string]any{"asset_id": asset.ID}},
	}, &conn)

	body := []byte(`{"activity":"http_request","input":{"method":"GET","path":"/items"}}`)
	url := m.URL() + "/api/v1/connections/" + conn.ID + "/execute"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testBootstrapToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

func BenchmarkDirectUpstream(b *testing.B) {
	const apiKey = "bench-api-key-0123456789"
	upstream := httptest.NewServer(upstreamHandler(apiKey))
	defer upstream.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, upstream.URL+"/items", nil)
			req.Header.Set("X-API-Key", apiKey)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func upstreamHandler(apiKey string) http.Handler {
	body := []byte(`{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKey {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
