package main

import (
	"net/http"
	"testing"

	"junction"
)

// TestConnectionProof_EndToEnd: a connection says connected only once
// something proved its credentials. The http connector's test proves them
// with a test path; without one it proves only that the API answers, and
// says so; a wrong key or a blocked address is refused at creation; a
// connection saved without a test is untested until an execution proves
// it; a disconnected connection whose test still fails stays disconnected.
func TestConnectionProof_EndToEnd(t *testing.T) {
	const key = "e2e-proof-api-key-71c3"
	m, _ := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	upstream := newKeyedAPI(t, key)
	var folder struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Proof"}, &folder)
	conn := func(name, baseURL, apiKey, testPath string) map[string]any {
		fields := map[string]any{"base_url": baseURL, "api_key_in": "header", "api_key_name": "X-API-Key", "api_key": apiKey}
		if testPath != "" {
			fields["test_path"] = testPath
		}
		return map[string]any{"folder_id": folder.ID, "connector": "http", "name": name, "auth_type": "api_key", "fields": fields}
	}
	type result struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Proved  string `json:"proved"`
		Message string `json:"message"`
	}
	type problem struct {
		Code string `json:"code"`
	}
	var pr problem

	var proven result
	api.must(http.StatusCreated, "POST", "/api/v1/connections", conn("proven", upstream.URL+"/v1", key, "/v1/me"), &proven)
	if proven.Status != "connected" {
		t.Fatalf("with a test path and the right key: %+v", proven)
	}
	var r result
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+proven.ID+"/test", nil, &r)
	if r.Proved != "credentials" || r.Status != "connected" {
		t.Fatalf("test with a test path: %+v", r)
	}

	// A wrong key with a test path is refused, not saved as connected.
	api.must(http.StatusBadGateway, "POST", "/api/v1/connections", conn("wrong", upstream.URL+"/v1", "wrong-key", "/v1/me"), &pr)
	if pr.Code != junction.ECONNAUTHFAILED {
		t.Fatalf("wrong key: %+v", pr)
	}
	// An address the outbound guard blocks is refused too.
	api.must(http.StatusUnprocessableEntity, "POST", "/api/v1/connections", conn("blocked", "https://169.254.169.254/v1", key, ""), &pr)
	if pr.Code != junction.EOUTBOUNDBLOCKED {
		t.Fatalf("blocked address: %+v", pr)
	}

	// Without a test path the wrong key gets through the test, which says
	// it proved only reachability; the connection stays untested.
	var reach result
	api.must(http.StatusCreated, "POST", "/api/v1/connections", conn("reachable", upstream.URL+"/v1", "wrong-key", ""), &reach)
	if reach.Status != "untested" {
		t.Fatalf("without a test path: %+v", reach)
	}
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+reach.ID+"/test", nil, &r)
	if r.Proved != "reachability" || r.Status != "untested" || r.Message == "" {
		t.Fatalf("reachability test: %+v", r)
	}

	// Saved without a test: untested until an execution proves it.
	var skipped result
	api.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", conn("skipped", upstream.URL+"/v1", key, ""), &skipped)
	if skipped.Status != "untested" {
		t.Fatalf("saved without a test: %+v", skipped)
	}
	api.must(http.StatusOK, "POST", "/api/v1/connections/"+skipped.ID+"/execute",
		map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}}, nil)
	api.must(http.StatusOK, "GET", "/api/v1/connections/"+skipped.ID, nil, &r)
	if r.Status != "connected" {
		t.Fatalf("after an execution the API accepted: %+v", r)
	}

	// The key stops working: executions disconnect the connection, and a
	// test that still fails leaves it disconnected.
	upstream.setKey("rotated-elsewhere")
	for range 3 {
		api.call("POST", "/api/v1/connections/"+proven.ID+"/execute",
			map[string]any{"activity": "http_request", "input": map[string]any{"path": "/things"}})
	}
	api.must(http.StatusOK, "GET", "/api/v1/connections/"+proven.ID, nil, &r)
	if r.Status != "disconnected" {
		t.Fatalf("after three rejected executions: %+v", r)
	}
	api.call("POST", "/api/v1/connections/"+proven.ID+"/test", nil)
	api.must(http.StatusOK, "GET", "/api/v1/connections/"+proven.ID, nil, &r)
	if r.Status != "disconnected" {
		t.Fatalf("after a failed test: %+v", r)
	}
}
