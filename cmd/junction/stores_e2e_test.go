package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"junction"
)

// A store test tells a tenant nothing about the network around the server:
// a closed port, an open port that does not speak TLS and an address the
// guard refuses give the same answer, the host aside. The server log tells
// them apart, with the request ID, and so does the test result of a host
// administrator.
func TestStoreTest_Unreachable(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runStoreTestUnreachable(t, "") })
	t.Run("Postgres", func(t *testing.T) { runStoreTestUnreachable(t, postgresURL(t)) })
}

func runStoreTestUnreachable(t *testing.T, database string) {
	const secretID = "e2e-store-guard-secret-id-5e1d"
	m, logs := MustRunMain(t, "", database, map[string]string{
		envBootstrapToken:      testBootstrapToken,
		"JUNCTION_STORE_ALLOW": "127.0.0.1/32",
	})
	host := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}

	// A tenant administrator who does not administer the host.
	var u struct {
		ID string `json:"id"`
	}
	host.must(http.StatusCreated, "POST", "/api/v1/users",
		map[string]any{"name": "ops", "roles": []string{junction.RoleTenantAdmin}}, &u)
	var tok struct {
		Token string `json:"token"`
	}
	host.must(http.StatusCreated, "POST", "/api/v1/users/"+u.ID+"/tokens", map[string]any{"name": "t"}, &tok)
	tenant := &apiClient{t: t, base: m.URL(), token: tok.Token}

	// A closed port: listened on, then closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	// An open port that answers plain HTTP.
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	open := strings.TrimPrefix(plain.URL, "http://")
	// Loopback outside the allowance, and the metadata service.
	_, port, _ := net.SplitHostPort(open)
	otherLoopback := net.JoinHostPort("127.0.0.2", port)
	metadata := "169.254.169.254:8200"

	type result struct {
		OK      bool   `json:"ok"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
		Detail  string `json:"detail"`
	}
	// Each case configures the same store name with its own address.
	create := func(addr string) string {
		t.Helper()
		var store struct {
			ID string `json:"id"`
		}
		host.must(http.StatusCreated, "POST", "/api/v1/credential-stores", map[string]any{
			"name": "corp-vault", "type": "hashicorp-vault",
			"config": map[string]string{"address": "https://" + addr, "auth_method": "approle",
				"role_id": "role-1", "secret_id": secretID},
		}, &store)
		return store.ID
	}
	test := func(c *apiClient, id, addr string) (result, string) {
		t.Helper()
		start := time.Now()
		r := c.must(http.StatusOK, "POST", "/api/v1/credential-stores/"+id+"/test", nil, nil)
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("test of %s took %s", addr, d)
		}
		var res result
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		// The host is what the caller typed; everything else must match.
		return res, strings.ReplaceAll(string(r.body), addr, "<host>")
	}

	cases := []struct{ name, addr, detail string }{
		{"Closed", closed, "connection refused"},
		{"OpenNotTLS", open, "did not answer with TLS"},
		{"GuardLoopback", otherLoopback, "--store-allow 127.0.0.2/32"},
		{"GuardMetadata", metadata, "cloud metadata"},
	}
	var first string
	for _, tc := range cases {
		id := create(tc.addr)
		res, body := test(tenant, id, tc.addr)
		if res.OK || res.Code != junction.ECREDSTOREUNAVAILABLE || res.Detail != "" || res.Field != "" {
			t.Fatalf("%s: tenant got %+v, want %s without detail", tc.name, res, junction.ECREDSTOREUNAVAILABLE)
		}
		if !strings.Contains(res.Message, "--store-allow") || !strings.Contains(res.Message, tc.addr) {
			t.Errorf("%s: message %q does not name the host and say what to check", tc.name, res.Message)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s: tenant got\n%s\nwant the same answer as for a closed port:\n%s", tc.name, body, first)
		}

		res, _ = test(host, id, tc.addr)
		if !strings.Contains(res.Detail, tc.detail) {
			t.Errorf("%s: host administrator's detail %q does not say %q", tc.name, res.Detail, tc.detail)
		}
		host.must(http.StatusNoContent, "DELETE", "/api/v1/credential-stores/"+id, nil, nil)
	}

	out := logs.String()
	if n := strings.Count(out, "credential store refused by the network guard"); n != 4 {
		t.Errorf("%d guard refusals logged, want 4:\n%s", n, out)
	}
	if n := strings.Count(out, "credential store test: credential store unreachable"); n != 4 {
		t.Errorf("%d unreachable stores logged, want 4:\n%s", n, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "credential store test:") && !strings.Contains(line, "request_id=") {
			t.Errorf("logged without the request ID: %s", line)
		}
	}
	if strings.Contains(out, secretID) {
		t.Error("the store's secret ID reached the server's logs")
	}
}
