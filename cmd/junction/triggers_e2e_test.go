package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"junction"
	"junction/credstore/credstoretest"
	"junction/queue"
	"junction/trigger"
)

// ticketsConnector is a connector for ticketSim, loaded from a
// --connectors-dir: tickets are listed by update time with ?since.
const ticketsConnector = `key: tickets
display_name: Tickets
version: "1"
description: The ticketing API the trigger scenarios simulate.
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: api_key
    in: header
    name: X-API-Key
    fields:
      - {name: api_key, type: secret, required: true}
objects:
  - name: ticket
    id_field: id
    operations:
      list:
        method: GET
        path: /tickets
        inputs:
          - {name: since, type: string}
        records: data
    events:
      - name: created
        polling:
          since: {input: since, format: rfc3339}
          id: id
          created: {path: created_at}
          updated: {path: updated_at}
          lookback: 1m
`

const ticketsKey = "tickets-e2e-api-key-4410"

// ticketSim is a loopback ticketing API whose records change during a
// test: GET /tickets lists those updated at or after ?since, oldest first.
type ticketSim struct {
	*httptest.Server
	mu      sync.Mutex
	tickets []map[string]any
	lists   int
}

func newTicketSim(t *testing.T) *ticketSim {
	s := &ticketSim{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != ticketsKey || r.URL.Path != "/tickets" {
			http.Error(w, `{"error":"no"}`, http.StatusUnauthorized)
			return
		}
		var since time.Time
		if v := r.URL.Query().Get("since"); v != "" {
			since, _ = time.Parse(time.RFC3339, v)
		}
		s.mu.Lock()
		s.lists++
		var out []map[string]any
		for _, tk := range s.tickets {
			up, _ := time.Parse(time.RFC3339, tk["updated_at"].(string))
			if !up.Before(since) {
				out = append(out, tk)
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *ticketSim) put(id, state string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := at.UTC().Format(time.RFC3339)
	s.tickets = append(s.tickets, map[string]any{"id": id, "state": state, "title": "Ticket " + id,
		"created_at": ts, "updated_at": ts})
}

func (s *ticketSim) listCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists
}

// triggerServer starts a server for the trigger scenarios: loopback
// destinations allowed, the tickets connector loaded, time from clock, and
// queue timeouts short enough for a test to see a crashed server's jobs
// run again.
func triggerServer(t *testing.T, dataDir, database string, clock junction.Clock) (*Main, *syncBuffer) {
	t.Helper()
	connectors := filepath.Join(dataDir, "connectors")
	if err := os.MkdirAll(connectors, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(connectors, "tickets.yaml"), []byte(ticketsConnector), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, logs
	m.Getenv = func(k string) string {
		if k == envBootstrapToken {
			return testBootstrapToken
		}
		return ""
	}
	m.ShutdownTimeout = 10 * time.Second
	m.Clock = clock
	m.tuneQueue = func(o *queue.Options) {
		o.FetchPollInterval = 20 * time.Millisecond
		o.JobTimeout, o.RescueStuckJobsAfter = 5*time.Second, 5*time.Second
	}
	m.tuneTriggers = func(o *trigger.Options) {
		o.DeliveryRetryDelay = func(int) time.Duration { return 50 * time.Millisecond }
		// The tests schedule polls themselves (pollNow) after moving the
		// clock. The leader's own schedule, on start and at each minute of
		// the wall clock, would race them and take the polls first.
		o.ScheduleInterval = -1
	}
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--database", database,
		"--outbound-allow", "127.0.0.0/8", "--connectors-dir", connectors}
	if err := m.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\nlogs:\n%s", err, logs)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, logs
}

// pollNow moves the clock into the next poll interval and has the server
// schedule the polls due, then waits until the poll job ran.
func pollNow(t *testing.T, clock *credstoretest.Clock, servers ...*Main) {
	t.Helper()
	events, cancel := servers[0].queue.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	clock.Advance(time.Minute)
	inserted := 0
	for _, m := range servers {
		n, err := m.triggers.SchedulePolls(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		inserted += n
	}
	if inserted == 0 {
		t.Fatal("no poll was due")
	}
	// With one server, its own workers run the poll; with several, any
	// may: the first server's subscription then sees nothing, and the
	// poll state tells instead.
	if len(servers) > 1 {
		return
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind == trigger.KindPoll {
				if ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("the poll failed: %v", ev.Job.Errors)
				}
				return
			}
		case <-timeout:
			t.Fatal("the poll did not run")
		}
	}
}

// eventually calls check until it reports true, failing after a while:
// the runtime works in the background.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type e2eTrigger struct {
	junction.Trigger
	WebhookURL string `json:"webhook_url"`
}

func (c *apiClient) jobs(query string) []junction.Job {
	c.t.Helper()
	var l struct {
		Items []junction.Job `json:"items"`
	}
	c.must(http.StatusOK, "GET", "/api/v1/jobs?limit=500&"+query, nil, &l)
	return l.Items
}

func (c *apiClient) history(triggerID string) []junction.TriggerRecord {
	c.t.Helper()
	var l struct {
		Items []junction.TriggerRecord `json:"items"`
	}
	c.must(http.StatusOK, "GET", "/api/v1/triggers/"+triggerID+"/history?limit=500", nil, &l)
	return l.Items
}

func jobObjectIDs(js []junction.Job) []string {
	var ids []string
	for _, j := range js {
		ids = append(ids, j.ObjectID)
	}
	slices.Sort(ids)
	return ids
}

// TestPollingTrigger_EndToEnd: a polling trigger with a filter fires once
// per matching new record, across a restart between polls, never for the
// records that existed before it, and records the others as skipped.
func TestPollingTrigger_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runPollingScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runPollingScenario(t, postgresURL(t)) })
}

func runPollingScenario(t *testing.T, database string) {
	clock := credstoretest.NewClock(time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second))
	sim := newTicketSim(t)
	dataDir := t.TempDir()
	m, logs := triggerServer(t, dataDir, database, clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}

	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Support"}, &folder)
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "tickets", "name": "helpdesk", "poll_interval_minutes": 1,
		"fields": map[string]any{"base_url": sim.URL, "api_key": ticketsKey},
	}, &conn)
	sim.put("T1", "open", clock.Now().Add(-time.Hour))

	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "ticket", "event": "created",
		"filter": `record.state == "open"`, "target": map[string]any{"type": "queue", "name": "triage"},
	}, &tr)
	if tr.Kind != junction.TriggerPolling || tr.WebhookURL != "" {
		t.Fatalf("trigger %+v", tr)
	}

	// The first poll takes the baseline: T1 existed, it fires nothing.
	pollNow(t, clock, m)
	var got e2eTrigger
	c.must(http.StatusOK, "GET", "/api/v1/triggers/"+tr.ID, nil, &got)
	if got.BaselineAt == nil {
		t.Fatalf("no baseline after the first poll: %+v", got)
	}
	if js := c.jobs("trigger_id=" + tr.ID); len(js) != 0 {
		t.Fatalf("the baseline poll made jobs: %v", jobObjectIDs(js))
	}

	sim.put("T2", "open", clock.Now().Add(10*time.Second))
	sim.put("T3", "closed", clock.Now().Add(20*time.Second))
	pollNow(t, clock, m)
	if ids := jobObjectIDs(c.jobs("trigger_id=" + tr.ID)); !slices.Equal(ids, []string{"T2"}) {
		t.Fatalf("jobs for %v, want T2", ids)
	}
	statuses := map[string]junction.TriggerRecordStatus{}
	for _, r := range c.history(tr.ID) {
		statuses[r.ObjectID] = r.Status
	}
	if statuses["T2"] != junction.TriggerFired || statuses["T3"] != junction.TriggerSkipped || statuses["T1"] != "" {
		t.Fatalf("history %v", statuses)
	}

	// A restart between polls: the poll state is in the database.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m, logs = triggerServer(t, dataDir, database, clock)
	c.base = m.URL()
	sim.put("T4", "open", clock.Now().Add(10*time.Second))
	pollNow(t, clock, m)
	pollNow(t, clock, m) // nothing new: nothing fires again
	js := c.jobs("trigger_id=" + tr.ID)
	if ids := jobObjectIDs(js); !slices.Equal(ids, []string{"T2", "T4"}) {
		t.Fatalf("jobs for %v, want T2 and T4 once each", ids)
	}
	for _, j := range js {
		if rec, _ := j.Payload.(map[string]any); rec["title"] != "Ticket "+j.ObjectID || j.Queue != "triage" {
			t.Fatalf("job %+v", j)
		}
	}
	assertNoSecret(t, "logs", []byte(logs.String()), []string{ticketsKey})
}

const (
	hookSigningSecret = "e2e-hook-signing-secret-90ab"
	targetSecret      = "e2e-target-secret-77cd"
)

func signHook(body string) string {
	mac := hmac.New(sha256.New, []byte(hookSigningSecret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// postHook sends a vendor's delivery to an intake URL.
func postHook(t *testing.T, url, body, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// callbackTarget is a customer's endpoint receiving deliveries: it checks
// each signature and counts deliveries by idempotency key. Until released,
// it holds every request (a slow receiver).
type callbackTarget struct {
	*httptest.Server
	clock    junction.Clock
	mu       sync.Mutex
	byKey    map[string]int
	bad      int
	inFlight int
	held     chan struct{} // closed to let requests through
}

func newCallbackTarget(t *testing.T, clock junction.Clock, slow bool) *callbackTarget {
	c := &callbackTarget{clock: clock, byKey: map[string]int{}, held: make(chan struct{})}
	if !slow {
		close(c.held)
	}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.inFlight++
		c.mu.Unlock()
		select {
		case <-c.held:
		case <-r.Context().Done(): // the sender died
			c.mu.Lock()
			c.inFlight--
			c.mu.Unlock()
			return
		}
		ok := trigger.VerifySignature(junction.NewSecret(targetSecret), r.Header.Get(trigger.HeaderSignature),
			r.Header.Get(trigger.HeaderTimestamp), body, c.clock.Now(), 5*time.Minute)
		var d trigger.Delivery
		_ = json.Unmarshal(body, &d)
		c.mu.Lock()
		c.inFlight--
		if !ok || d.IdempotencyKey != r.Header.Get(trigger.HeaderIdempotencyKey) {
			c.bad++
		} else {
			c.byKey[d.IdempotencyKey]++
		}
		c.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *callbackTarget) release() { close(c.held) }

func (c *callbackTarget) counts() (keys map[string]int, bad, inFlight int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys = make(map[string]int, len(c.byKey))
	for k, v := range c.byKey {
		keys[k] = v
	}
	return keys, c.bad, c.inFlight
}

// hookKey is the idempotency key the runtime gives a webhook event.
func hookKey(body string) string {
	sum := sha256.Sum256([]byte(body))
	return "webhook:" + hex.EncodeToString(sum[:])
}

// TestWebhookTrigger_EndToEnd: a generic HTTP webhook trigger refuses a
// bad signature (recorded), accepts a good one, and its job reaches the
// callback signed; a queue trigger's jobs are claimed and completed by a
// worker through the CLI, and a lease that runs out returns the job.
func TestWebhookTrigger_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runWebhookScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runWebhookScenario(t, postgresURL(t)) })
}

func runWebhookScenario(t *testing.T, database string) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, logs := triggerServer(t, t.TempDir(), database, clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	target := newCallbackTarget(t, clock, false)

	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Orders"}, &folder)
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop",
		"fields": map[string]any{"signing_secret": hookSigningSecret, "event_type_path": "type"},
	}, &conn)
	var delivered, queued e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"filter": `vendor_type == "order.paid"`,
		"target": map[string]any{"type": "webhook", "url": target.URL + "/junction", "secret": targetSecret},
	}, &delivered)
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "queue", "name": "work"},
	}, &queued)
	if !strings.HasPrefix(delivered.WebhookURL, m.URL()+"/hooks/") || delivered.Target.URL == "" || !delivered.Target.SecretSet {
		t.Fatalf("webhook trigger %+v", delivered)
	}

	// A bad signature is refused and recorded; a good one delivered.
	paid := `{"type":"order.paid","order":"o-1","amount":120}`
	if st := postHook(t, delivered.WebhookURL, paid, signHook("forged")); st != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d", st)
	}
	if st := postHook(t, delivered.WebhookURL, paid, ""); st != http.StatusUnauthorized {
		t.Fatalf("no signature: %d", st)
	}
	// Both are counted in one record of the minute.
	h := c.history(delivered.ID)
	if len(h) != 1 || h[0].Status != junction.TriggerRejectedSignature || h[0].Count != 2 || !strings.Contains(h[0].Reason, "refused") {
		t.Fatalf("history after bad signatures %+v", h)
	}
	if st := postHook(t, delivered.WebhookURL, paid, signHook(paid)); st != http.StatusOK {
		t.Fatalf("good delivery: %d", st)
	}
	eventually(t, "the delivery", func() bool {
		keys, _, _ := target.counts()
		return keys[hookKey(paid)] == 1
	})
	if _, bad, _ := target.counts(); bad != 0 {
		t.Fatalf("%d deliveries with a bad signature", bad)
	}
	eventually(t, "the job completed", func() bool {
		js := c.jobs("trigger_id=" + delivered.ID)
		return len(js) == 1 && js[0].Status == junction.JobCompleted
	})

	// The queue trigger: a worker claims and completes through the CLI.
	for i := range 2 {
		body := fmt.Sprintf(`{"type":"order.created","order":"o-%d"}`, 10+i)
		if st := postHook(t, queued.WebhookURL, body, signHook(body)); st != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, st)
		}
	}
	eventually(t, "two queued jobs", func() bool { return len(c.jobs("trigger_id="+queued.ID)) == 2 })
	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	var claim struct {
		Job *junction.Job `json:"job"`
	}
	out := s.mustCLI(testBootstrapToken, "jobs", "claim", "--queue", "work", "--wait", "5s", "-o", "json")
	if err := json.Unmarshal([]byte(out), &claim); err != nil || claim.Job == nil {
		t.Fatalf("claim: %v %s", err, out)
	}
	first := *claim.Job
	claim.Job = nil
	s.mustCLI(testBootstrapToken, "jobs", "complete", first.ID, "--result", `{"handled":true}`)

	// A short lease runs out: the job returns and is claimed again.
	c.must(http.StatusOK, "POST", "/api/v1/jobs/claim", map[string]any{"queue": "work", "lease_seconds": 1}, &claim)
	if claim.Job == nil || claim.Job.ID == first.ID {
		t.Fatalf("second claim %+v", claim.Job)
	}
	second := *claim.Job
	claim.Job = nil
	c.must(http.StatusOK, "POST", "/api/v1/jobs/claim", map[string]any{"queue": "work"}, &claim)
	if claim.Job != nil {
		t.Fatalf("a held job was claimed again: %+v", claim.Job)
	}
	clock.Advance(2 * time.Second)
	claim.Job = nil
	out = s.mustCLI(testBootstrapToken, "jobs", "claim", "--queue", "work", "-o", "json")
	if err := json.Unmarshal([]byte(out), &claim); err != nil || claim.Job == nil || claim.Job.ID != second.ID || claim.Job.Attempts != 2 {
		t.Fatalf("claim after the lease ran out: %s", out)
	}
	s.mustCLI(testBootstrapToken, "jobs", "fail", second.ID, "--error", "cannot handle o-11")
	done := map[string]junction.JobStatus{}
	for _, j := range c.jobs("queue=work") {
		done[j.ID] = j.Status
	}
	if done[first.ID] != junction.JobCompleted || done[second.ID] != junction.JobFailed {
		t.Fatalf("jobs %v", done)
	}

	token := strings.TrimPrefix(delivered.WebhookURL, m.URL()+"/hooks/")
	assertNoSecret(t, "logs", []byte(logs.String()), []string{token, hookSigningSecret, targetSecret})
}

// TestWebhookRepeat_EndToEnd: a vendor re-sends an event with the same ID
// but a body serialised differently, validly signed: the server answers
// 200 both times, makes one job, and the history shows the repeat as
// duplicate.
func TestWebhookRepeat_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runWebhookRepeatScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runWebhookRepeatScenario(t, postgresURL(t)) })
}

func runWebhookRepeatScenario(t *testing.T, database string) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, _ := triggerServer(t, t.TempDir(), database, clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Orders"}, &folder)
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop",
		"fields": map[string]any{"signing_secret": hookSigningSecret, "event_type_path": "type", "id_path": "id"},
	}, &conn)
	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "queue", "name": "orders"},
	}, &tr)

	first := `{"id":"evt_1001","type":"order.paid","order":{"id":"o-1","amount":120}}`
	again := `{
  "type": "order.paid",
  "order": {"amount": 120, "id": "o-1"},
  "id": "evt_1001"
}`
	for _, body := range []string{first, again} {
		if st := postHook(t, tr.WebhookURL, body, signHook(body)); st != http.StatusOK {
			t.Fatalf("delivery answered %d", st)
		}
	}
	js := c.jobs("trigger_id=" + tr.ID)
	if len(js) != 1 || js[0].IdempotencyKey != "webhook-id:evt_1001" {
		t.Fatalf("jobs %+v", js)
	}
	h := c.history(tr.ID)
	if len(h) != 2 || h[0].Status != junction.TriggerFired || h[1].Status != junction.TriggerDuplicate || h[1].JobID != js[0].ID {
		t.Fatalf("history %+v", h)
	}
}

// TestRotateHook_EndToEnd: rotating a hook URL through the CLI with a
// grace period gives a new URL at once; the old one works until the
// period ends on the server's clock, then answers 404 like any unknown
// URL.
func TestRotateHook_EndToEnd(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { runRotateHookScenario(t, "") })
	t.Run("Postgres", func(t *testing.T) { runRotateHookScenario(t, postgresURL(t)) })
}

func runRotateHookScenario(t *testing.T, database string) {
	clock := credstoretest.NewClock(time.Now().UTC())
	m, logs := triggerServer(t, t.TempDir(), database, clock)
	c := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Orders"}, &folder)
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop",
		"fields": map[string]any{"signing_secret": hookSigningSecret},
	}, &conn)
	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "queue", "name": "orders"},
	}, &tr)
	old := tr.WebhookURL
	send := func(url, body string) int {
		t.Helper()
		return postHook(t, url, body, signHook(body))
	}
	if st := send(old, `{"n":1}`); st != http.StatusOK {
		t.Fatalf("before the rotation: %d", st)
	}

	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	out := s.mustCLI(testBootstrapToken, "triggers", "rotate-hook", tr.ID, "--grace", "1h", "-o", "json")
	var rotated e2eTrigger
	if err := json.Unmarshal([]byte(out), &rotated); err != nil || rotated.WebhookURL == old ||
		!strings.HasPrefix(rotated.WebhookURL, m.URL()+"/hooks/") {
		t.Fatalf("rotate-hook printed %s (%v)", out, err)
	}
	if st := send(rotated.WebhookURL, `{"n":2}`); st != http.StatusOK {
		t.Fatalf("the new URL: %d", st)
	}
	clock.Advance(59 * time.Minute)
	if st := send(old, `{"n":3}`); st != http.StatusOK {
		t.Fatalf("the old URL within its grace period: %d", st)
	}
	clock.Advance(time.Minute)
	if st := send(old, `{"n":4}`); st != http.StatusNotFound {
		t.Fatalf("the old URL after its grace period: %d", st)
	}
	if st := send(rotated.WebhookURL, `{"n":5}`); st != http.StatusOK {
		t.Fatalf("the new URL after the grace period: %d", st)
	}
	if n := len(c.jobs("trigger_id=" + tr.ID)); n != 4 {
		t.Fatalf("%d jobs, want 4", n)
	}
	var audit struct {
		Items []junction.AuditEntry `json:"items"`
	}
	c.must(http.StatusOK, "GET", "/api/v1/audit?action=trigger.rotate_hook", nil, &audit)
	if len(audit.Items) != 1 || audit.Items[0].ObjectID != tr.ID {
		t.Fatalf("audit %+v", audit.Items)
	}
	tokens := []string{strings.TrimPrefix(old, m.URL()+"/hooks/"), strings.TrimPrefix(rotated.WebhookURL, m.URL()+"/hooks/")}
	assertNoSecret(t, "logs", []byte(logs.String()), append(tokens, hookSigningSecret))
}

// TestWebhookDeliveryCrash_EndToEnd runs the real binary, takes in N
// events whose deliveries go to a receiver that is slow at first, kills
// the process with SIGKILL while deliveries are in flight, and restarts
// the server on the same data directory: every event is delivered at
// least once (receivers drop repeats by idempotency key), none is lost.
func TestWebhookDeliveryCrash_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const events = 20
	bin := filepath.Join(t.TempDir(), "junction")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	clock := junction.SystemClock{}
	target := newCallbackTarget(t, clock, true)

	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--outbound-allow", "127.0.0.0/8")
	cmd.Env = append(os.Environ(), envBootstrapToken+"="+testBootstrapToken, "JUNCTION_DATABASE=", "JUNCTION_CONFIG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	var addr string
	for sc.Scan() {
		if m := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "junction listening") {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatal("the server did not start")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	c := &apiClient{t: t, base: "http://" + addr, token: testBootstrapToken}

	var folder junction.Folder
	c.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Crash"}, &folder)
	var conn e2eConnection
	c.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop", "fields": map[string]any{"signing_secret": hookSigningSecret},
	}, &conn)
	var tr e2eTrigger
	c.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": conn.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "webhook", "url": target.URL + "/in", "secret": targetSecret},
	}, &tr)
	var keys []string
	for i := range events {
		body := `{"n":` + strconv.Itoa(i) + `}`
		if st := postHook(t, tr.WebhookURL, body, signHook(body)); st != http.StatusOK {
			t.Fatalf("event %d: %d", i, st)
		}
		keys = append(keys, hookKey(body))
	}
	// Deliveries are under way, held by the slow receiver: kill now.
	eventually(t, "deliveries in flight", func() bool { _, _, n := target.counts(); return n > 0 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	target.release()

	// The restarted server finds the events, jobs and River jobs the dead
	// one left, including those that were running when it died.
	triggerServer(t, dataDir, "", clock)
	eventually(t, "every event delivered", func() bool {
		got, _, _ := target.counts()
		for _, k := range keys {
			if got[k] == 0 {
				return false
			}
		}
		return true
	})
	got, bad, _ := target.counts()
	dups := 0
	for _, n := range got {
		dups += n - 1
	}
	if bad != 0 || len(got) != events {
		t.Fatalf("%d keys delivered (want %d), %d with bad signatures", len(got), events, bad)
	}
	t.Logf("%d events delivered after a SIGKILL mid-delivery, %d duplicate deliveries", events, dups)
}

// TestTwoServersPostgres_EndToEnd: two servers on one PostgreSQL poll each
// connection once per interval and make one job per event, however the
// vendor's deliveries are spread over them.
func TestTwoServersPostgres_EndToEnd(t *testing.T) {
	dsn := postgresURL(t)
	clock := credstoretest.NewClock(time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second))
	sim := newTicketSim(t)
	// One data directory: the servers share the master key.
	dataDir := t.TempDir()
	m1, l1 := triggerServer(t, dataDir, dsn, clock)
	m2, l2 := triggerServer(t, dataDir, dsn, clock)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server 1 log:\n%s\nserver 2 log:\n%s", l1.String(), l2.String())
		}
	})
	c1 := &apiClient{t: t, base: m1.URL(), token: testBootstrapToken}
	c2 := &apiClient{t: t, base: m2.URL(), token: testBootstrapToken}

	var folder junction.Folder
	c1.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Team"}, &folder)
	var tickets, hooks e2eConnection
	c1.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "tickets", "name": "helpdesk", "poll_interval_minutes": 1,
		"fields": map[string]any{"base_url": sim.URL, "api_key": ticketsKey},
	}, &tickets)
	c2.must(http.StatusCreated, "POST", "/api/v1/connections?test=false", map[string]any{
		"folder_id": folder.ID, "connector": "webhook", "name": "shop", "fields": map[string]any{"signing_secret": hookSigningSecret},
	}, &hooks)
	var polled, hooked e2eTrigger
	c2.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": tickets.ID, "object": "ticket", "event": "created",
		"target": map[string]any{"type": "queue", "name": "q"},
	}, &polled)
	c1.must(http.StatusCreated, "POST", "/api/v1/triggers", map[string]any{
		"folder_id": folder.ID, "connection_id": hooks.ID, "object": "event", "event": "received",
		"target": map[string]any{"type": "queue", "name": "q"},
	}, &hooked)

	// Polls: both servers schedule every interval; the API is listed
	// once per interval. A poll is done once its job has completed, not
	// when the API was listed: the next interval's poll reads the state
	// this one commits after listing (under load, a second poll that
	// started before the first's baseline was stored baselined again).
	pollsDone := func() int {
		res, err := m1.queue.Client().JobList(context.Background(), river.NewJobListParams().Kinds(trigger.KindPoll).
			States(rivertype.JobStateCompleted).First(100))
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Jobs)
	}
	waitListed := func(n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for sim.listCalls() < n || pollsDone() < n {
			if time.Now().After(deadline) {
				res, _ := m1.queue.Client().JobList(context.Background(), river.NewJobListParams().Kinds(trigger.KindPoll).
					States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable,
						rivertype.JobStateScheduled, rivertype.JobStateCompleted, rivertype.JobStateDiscarded))
				for _, j := range res.Jobs {
					t.Logf("poll job %d %s %s errors %v", j.ID, j.State, j.EncodedArgs, j.Errors)
				}
				for _, h := range c1.history(polled.ID) {
					t.Logf("history %+v", h)
				}
				t.Fatalf("%d list calls, want %d", sim.listCalls(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	pollNow(t, clock, m1, m2)
	waitListed(1)
	for i := range 3 {
		sim.put("P"+strconv.Itoa(i), "open", clock.Now().Add(10*time.Second))
		pollNow(t, clock, m1, m2)
		waitListed(i + 2)
		eventually(t, "the poll's job", func() bool { return len(c1.jobs("trigger_id="+polled.ID)) == i+1 })
	}
	if n := sim.listCalls(); n != 4 {
		t.Fatalf("the API was listed %d times for 4 intervals", n)
	}
	if ids := jobObjectIDs(c2.jobs("trigger_id=" + polled.ID)); !slices.Equal(ids, []string{"P0", "P1", "P2"}) {
		t.Fatalf("poll jobs %v", ids)
	}

	// Webhooks: each event sent to both servers (a vendor's redelivery)
	// makes one job.
	const events = 10
	var wg sync.WaitGroup
	for i := range events {
		body := `{"id":"e` + strconv.Itoa(i) + `"}`
		for _, base := range []string{m1.URL(), m2.URL()} {
			url := strings.Replace(hooked.WebhookURL, m1.URL(), base, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st := postHook(t, url, body, signHook(body)); st != http.StatusOK {
					t.Errorf("delivery to %s: %d", base, st)
				}
			}()
		}
	}
	wg.Wait()
	// A delivery is answered once its job is stored (or found made by
	// the other server): every job exists now.
	js := c2.jobs("trigger_id=" + hooked.ID)
	keys := map[string]bool{}
	for _, j := range js {
		keys[j.IdempotencyKey] = true
	}
	if len(js) != events || len(keys) != events {
		t.Fatalf("%d jobs with %d keys for %d events", len(js), len(keys), events)
	}
}
