package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// apiCall sends one REST request as the bootstrap administrator and
// decodes the JSON answer into out (when not nil).
func apiCall(t *testing.T, m *Main, method, path string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, m.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testBootstrapToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp
}

// TestUsageAndQuotas makes executions against a loopback API, reads them
// back from /api/v1/usage per connector and per connection, and holds the
// tenant to a quota of API calls: the call after the last one allowed
// answers 429 quota_exceeded with Retry-After at the month's end, and a
// connection over the connections quota is refused the same way.
func TestUsageAndQuotas(t *testing.T) {
	clock := credstoretest.NewClock(time.Date(2026, 6, 20, 10, 30, 0, 0, time.UTC))
	m, logs := triggerServer(t, t.TempDir(), "", clock)
	sim := newTicketSim(t)
	sim.put("t-1", "open", clock.Now())
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := runClient(t, m.URL(), stdin, args...)
		if err != nil {
			t.Fatalf("junction %s: %v (%s)", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	folder := idIn(t, must("", "folders", "create", "Support", "-o", "json"))
	conns := map[string]string{}
	for _, name := range []string{"tickets-a", "tickets-b"} {
		conns[name] = idIn(t, must(ticketsKey, "connections", "create", name, "--folder", folder, "--connector", "tickets",
			"--auth", "api_key", "--field", "base_url="+sim.URL, "--secret-field", "api_key=-", "--poll-interval", "1", "-o", "json"))
	}
	execute := func(conn string) *http.Response {
		t.Helper()
		return apiCall(t, m, "POST", "/api/v1/connections/"+conn+"/execute",
			map[string]any{"object": "ticket", "operation": "list"}, nil)
	}
	made := map[string]int{"tickets-a": 3, "tickets-b": 2}
	for name, n := range made {
		for range n {
			if resp := execute(conns[name]); resp.StatusCode != http.StatusOK {
				t.Fatalf("execute %s: %d", name, resp.StatusCode)
			}
		}
	}

	// A polling trigger on tickets-a: the first poll takes the baseline,
	// the second finds one new ticket, whose job a worker then claims.
	var trig struct {
		ID string `json:"id"`
	}
	if resp := apiCall(t, m, "POST", "/api/v1/triggers", map[string]any{"folder_id": folder, "connection_id": conns["tickets-a"],
		"object": "ticket", "event": "created", "target": map[string]any{"type": "queue", "name": "triage"}}, &trig); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create trigger: %d", resp.StatusCode)
	}
	pollNow(t, clock, m)
	sim.put("t-2", "open", clock.Now())
	pollNow(t, clock, m)
	var claimed struct {
		Job *junction.Job `json:"job"`
	}
	apiCall(t, m, "POST", "/api/v1/jobs/claim", map[string]any{"queue": "triage", "wait_seconds": 10}, &claimed)
	if claimed.Job == nil || claimed.Job.ObjectID != "t-2" {
		t.Fatalf("claimed %+v, want the job of t-2", claimed.Job)
	}

	type report struct {
		Items []junction.UsageRow  `json:"items"`
		Total junction.UsageCounts `json:"total"`
	}
	var byConnector report
	if resp := apiCall(t, m, "GET", "/api/v1/usage?group_by=connector", nil, &byConnector); resp.StatusCode != http.StatusOK {
		t.Fatalf("usage: %d", resp.StatusCode)
	}
	var executions struct {
		Items []junction.Execution `json:"items"`
	}
	apiCall(t, m, "GET", "/api/v1/executions?limit=500", nil, &executions)
	if len(byConnector.Items) != 1 || byConnector.Items[0].Key != "tickets" ||
		byConnector.Items[0].Executions+byConnector.Items[0].Polls != int64(len(executions.Items)) || byConnector.Items[0].APICalls != 7 {
		t.Fatalf("usage by connector = %+v, want tickets with the %d executions recorded (polls among them) and 7 API calls",
			byConnector.Items, len(executions.Items))
	}
	var byConnection report
	apiCall(t, m, "GET", "/api/v1/usage?group_by=connection&from=2026-06-01&to=2026-07-01", nil, &byConnection)
	got := map[string]junction.UsageCounts{}
	for _, it := range byConnection.Items {
		got[it.Key] = it.UsageCounts
	}
	// Each poll made one API call of its own.
	wantA := junction.UsageCounts{Executions: 3, APICalls: 5, Polls: 2, TriggerEvents: 1, JobsDelivered: 1}
	if got[conns["tickets-a"]] != wantA || got[conns["tickets-b"]] != (junction.UsageCounts{Executions: 2, APICalls: 2}) {
		t.Fatalf("usage by connection = %+v, want tickets-a %+v", byConnection.Items, wantA)
	}
	// The CLI counts --since from its own clock; the server's is the
	// test's.
	if out := must("", "usage", "--since", clock.Now().AddDate(0, 0, -7).Format(time.RFC3339), "--group-by", "connection"); !strings.Contains(out, "tickets-a") ||
		!strings.Contains(out, "TOTAL") {
		t.Fatalf("junction usage:\n%s", out)
	}

	// A quota of N = 9 API calls: 7 made, 2 more pass, the 10th is refused.
	var me struct {
		User junction.User `json:"user"`
	}
	apiCall(t, m, "GET", "/api/v1/me", nil, &me)
	quotas := "/api/v1/tenants/" + me.User.TenantID + "/quotas"
	const n = 9
	if resp := apiCall(t, m, "PUT", quotas, map[string]any{"api_calls_per_month": n, "connections": 2, "triggers": 1}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("set quotas: %d", resp.StatusCode)
	}
	for range n - 7 {
		if resp := execute(conns["tickets-a"]); resp.StatusCode != http.StatusOK {
			t.Fatalf("execute within the quota: %d", resp.StatusCode)
		}
	}
	var problem struct {
		Code    string         `json:"code"`
		Details map[string]any `json:"details"`
	}
	resp := apiCall(t, m, "POST", "/api/v1/connections/"+conns["tickets-b"]+"/execute",
		map[string]any{"object": "ticket", "operation": "list"}, &problem)
	reset := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	wantRetry := strconv.FormatInt(int64(reset.Sub(clock.Now()).Seconds()), 10)
	if resp.StatusCode != http.StatusTooManyRequests || problem.Code != junction.EQUOTAEXCEEDED ||
		resp.Header.Get("Retry-After") != wantRetry || problem.Details["used"] != float64(n) {
		t.Fatalf("call %d: %d %s Retry-After %q (want %s), details %v", n+1, resp.StatusCode, problem.Code,
			resp.Header.Get("Retry-After"), wantRetry, problem.Details)
	}
	// Nothing ran: no API call was made, no execution recorded.
	var after report
	apiCall(t, m, "GET", "/api/v1/usage", nil, &after)
	if after.Total.APICalls != n || after.Total.Executions != 7 {
		t.Fatalf("after the refusal: %+v, want %d calls and 7 executions", after.Total, n)
	}
	// The trigger already accepted keeps polling; a second is refused.
	resp = apiCall(t, m, "POST", "/api/v1/triggers", map[string]any{"folder_id": folder, "connection_id": conns["tickets-b"],
		"object": "ticket", "event": "created", "target": map[string]any{"type": "queue", "name": "triage"}}, &problem)
	if resp.StatusCode != http.StatusTooManyRequests || problem.Code != junction.EQUOTAEXCEEDED || problem.Details["quota"] != "triggers" {
		t.Fatalf("second trigger over a quota of 1: %d %s %v", resp.StatusCode, problem.Code, problem.Details)
	}

	_, errOut, err := runClient(t, m.URL(), ticketsKey, "connections", "create", "tickets-c", "--folder", folder, "--connector", "tickets",
		"--auth", "api_key", "--field", "base_url="+sim.URL, "--secret-field", "api_key=-")
	if err == nil || !strings.Contains(errOut, "quota_exceeded") {
		t.Fatalf("third connection over a quota of 2: err %v, stderr %q", err, errOut)
	}
	if out := must("", "tenants", "quotas", "get", me.User.TenantID); !strings.Contains(out, "9 used of 9") ||
		!strings.Contains(out, "2 used of 2") {
		t.Fatalf("tenants quotas get:\n%s", out)
	}
	// Lifting the quota lets executions run again.
	must("", "tenants", "quotas", "set", me.User.TenantID, "--api-calls-per-month", "unlimited")
	if resp := execute(conns["tickets-b"]); resp.StatusCode != http.StatusOK {
		t.Fatalf("execute after lifting the quota: %d", resp.StatusCode)
	}

	var system struct {
		Database             string   `json:"database"`
		CredentialStoreTypes []string `json:"credential_store_types"`
		Connectors           int      `json:"connectors"`
		Limits               struct {
			RequestBodyBytes int64           `json:"request_body_bytes"`
			Quotas           junction.Quotas `json:"quotas"`
		} `json:"limits"`
	}
	raw := &json.RawMessage{}
	apiCall(t, m, "GET", "/api/v1/system", nil, raw)
	if err := json.Unmarshal(*raw, &system); err != nil {
		t.Fatal(err)
	}
	if system.Database != "sqlite" || system.Connectors < 2 || system.Limits.RequestBodyBytes <= 0 ||
		system.Limits.Quotas.Connections == nil || *system.Limits.Quotas.Connections != 2 ||
		len(system.CredentialStoreTypes) < 2 || system.CredentialStoreTypes[0] != "database" {
		t.Fatalf("system = %s", *raw)
	}
	// It shows no address: neither the database file nor the listener.
	for _, addr := range []string{m.Config.DataDir, m.Addr(), "127.0.0.1"} {
		if strings.Contains(string(*raw), addr) {
			t.Fatalf("system shows %q: %s", addr, *raw)
		}
	}
	if strings.Contains(logs.String(), ticketsKey) {
		t.Fatal("the API key reached the logs")
	}
}

// TestUsageCountsWebhooks counts a webhook event taken in and its
// delivery to a webhook target against the trigger's connection.
func TestUsageCountsWebhooks(t *testing.T) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, _ := triggerServer(t, t.TempDir(), "", clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	target := newCallbackTarget(t, clock, false)
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Orders"}, &folder)
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop",
		"fields": map[string]any{"signing_secret": hookSigningSecret, "event_type_path": "type"},
	}, &conn)
	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "webhook", "url": target.URL + "/junction", "secret": targetSecret},
	}, &tr)
	paid := `{"type":"order.paid","order":"o-1"}`
	if st := postHook(t, tr.WebhookURL, paid, signHook(paid)); st != http.StatusOK {
		t.Fatalf("webhook: %d", st)
	}
	var rep struct {
		Items []junction.UsageRow `json:"items"`
	}
	eventually(t, "the delivery counted", func() bool {
		c.must(http.StatusOK, "GET", "/api/v1/usage?group_by=connection", nil, &rep)
		return len(rep.Items) == 1 && rep.Items[0].JobsDelivered == 1
	})
	if rep.Items[0].Key != conn.ID || rep.Items[0].UsageCounts != (junction.UsageCounts{TriggerEvents: 1, JobsDelivered: 1}) {
		t.Fatalf("usage = %+v, want one event and one delivery of connection %s", rep.Items, conn.ID)
	}
}
