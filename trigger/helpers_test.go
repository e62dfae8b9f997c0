package trigger_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/connector"
	"junction/credstore/credstoretest"
	"junction/engine"
	"junction/keyring"
	"junction/outbound"
	"junction/queue"
	"junction/resolver"
	"junction/sqldb"
	"junction/trigger"
)

const (
	apiKey        = "tickets-api-key-1"
	webhookSecret = "tickets-webhook-secret-1"
)

// ticketAPI reproduces a ticketing API: GET /tickets lists tickets updated
// at or after ?since (RFC 3339), oldest change first, two a page with a
// cursor, behind an API key. It counts the list calls it answers.
type ticketAPI struct {
	*httptest.Server
	mu      sync.Mutex
	tickets []map[string]any
	calls   int
	fail    bool
	// gate, when set, is called with each list's answer made and not yet
	// sent: a test holds a poll there to overlap it with another.
	gate func()
}

func newTicketAPI(t testing.TB) *ticketAPI {
	api := &ticketAPI{}
	api.Server = httptest.NewTLSServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.Close)
	return api
}

func (a *ticketAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-Key") != apiKey {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Path != "/tickets" {
		http.NotFound(w, r)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.fail {
		http.Error(w, `{"error":"down"}`, http.StatusServiceUnavailable)
		return
	}
	var since time.Time
	if s := r.URL.Query().Get("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, s); err != nil {
			http.Error(w, `{"error":"bad since"}`, http.StatusBadRequest)
			return
		}
	}
	var match []map[string]any
	for _, tk := range a.tickets {
		up, _ := time.Parse(time.RFC3339, tk["updated_at"].(string))
		if !up.Before(since) {
			match = append(match, tk)
		}
	}
	slices.SortStableFunc(match, func(x, y map[string]any) int {
		tx, _ := time.Parse(time.RFC3339, x["updated_at"].(string))
		ty, _ := time.Parse(time.RFC3339, y["updated_at"].(string))
		return tx.Compare(ty)
	})
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	end := min(start+2, len(match))
	if start > end {
		start = end
	}
	out := map[string]any{"data": match[start:end]}
	if end < len(match) {
		out["next"] = strconv.Itoa(end)
	}
	if gate := a.gate; gate != nil {
		a.mu.Unlock()
		gate()
		a.mu.Lock()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// put adds or changes a ticket.
func (a *ticketAPI) put(id string, created, updated time.Time, fields map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tk := map[string]any{"id": id, "created_at": created.UTC().Format(time.RFC3339),
		"updated_at": updated.UTC().Format(time.RFC3339)}
	for k, v := range fields {
		tk[k] = v
	}
	for i, old := range a.tickets {
		if old["id"] == id {
			a.tickets[i] = tk
			return
		}
	}
	a.tickets = append(a.tickets, tk)
}

func (a *ticketAPI) listCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

func (a *ticketAPI) setFailing(v bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fail = v
}

// env is one tenant, folder and connection to the ticket API on a real
// database, with the components a server runs.
type env struct {
	ctx    context.Context
	db     *sqldb.DB
	clock  *credstoretest.Clock
	ring   junction.Keyring
	api    *ticketAPI
	out    *outbound.Client
	cat    *connector.Catalog
	tenant *junction.Tenant
	folder *junction.Folder
	conn   *junction.Connection
	// workers is how many jobs each server works at once (0: the
	// queue's default).
	workers int
}

// server is one Junction server's trigger runtime over env's database.
type server struct {
	eng   *engine.Engine
	queue *queue.Queue
	rt    *trigger.Runtime
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, db *sqldb.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{ctx: ctx, db: db, clock: credstoretest.NewClock(start)}
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	e.ring = ring
	e.api = newTicketAPI(t)
	out, err := outbound.New(outbound.Options{
		Allow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs:    e.api.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
		Clock:      e.clock,
		MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.CloseIdleConnections)
	e.out = out
	cat, err := connector.LoadCatalog(connector.Builtin(), "testdata/connectors")
	if err != nil {
		t.Fatal(err)
	}
	e.cat = cat

	e.tenant = &junction.Tenant{Name: "acme"}
	must(t, db.CreateTenant(ctx, e.tenant))
	e.folder = &junction.Folder{ID: junction.NewID(), TenantID: e.tenant.ID, Name: "Shared"}
	e.folder.Path = []string{e.folder.ID}
	must(t, db.CreateFolder(ctx, e.folder))
	e.conn = e.newConnection(t, "tickets", 5)
	return e
}

func (e *env) newConnection(t testing.TB, name string, interval int) *junction.Connection {
	t.Helper()
	c := &junction.Connection{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, Connector: "tickets",
		Name: name, AuthType: "api_key", Status: junction.ConnectionConnected, PollIntervalMinutes: interval,
		Fields: map[string]junction.FieldValue{
			"base_url":       {Value: e.api.URL},
			"api_key":        {Set: true},
			"webhook_secret": {Set: true},
		}}
	c.SecretsSealedID = junction.NewID()
	sv, err := engine.SealSecrets(e.ring, c.TenantID, c.SecretsSealedID, map[string]junction.Secret{
		"api_key": junction.NewSecret(apiKey), "webhook_secret": junction.NewSecret(webhookSecret)})
	must(t, err)
	must(t, e.db.PutSealed(e.ctx, sv))
	must(t, e.db.CreateConnection(e.ctx, c))
	return c
}

// startServer makes a runtime over db (which may be another handle on
// env's database, as a second server has) and starts its queue.
func (e *env) startServer(t testing.TB, db *sqldb.DB, opts ...func(*trigger.Options)) *server {
	t.Helper()
	res, err := resolver.New(resolver.Options{Store: db, Keyring: e.ring, Clock: e.clock,
		Types: map[string]junction.CredentialStoreType{}})
	must(t, err)
	t.Cleanup(func() { _ = res.Close() })
	eng, err := engine.New(engine.Options{Store: db, Keyring: e.ring, Catalog: e.cat, Resolver: res, Outbound: e.out,
		Clock: e.clock})
	must(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	q, err := queue.New(e.ctx, queue.Options{DB: db, FetchPollInterval: 20 * time.Millisecond, MaxWorkers: e.workers})
	must(t, err)
	o := trigger.Options{Store: db, Keyring: e.ring, Catalog: e.cat, Engine: eng, Queue: q, Outbound: e.out,
		Clock: e.clock, DeliveryRetryDelay: func(int) time.Duration { return time.Millisecond },
		// Tests move the clock and schedule polls themselves: a periodic
		// run at a real-time moment would poll behind their back.
		ScheduleInterval: -1}
	for _, f := range opts {
		f(&o)
	}
	rt, err := trigger.New(o)
	must(t, err)
	must(t, q.Start(e.ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Errorf("close runtime: %v", err)
		}
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return &server{eng: eng, queue: q, rt: rt}
}

// newTrigger saves a trigger the way the API does: validated, with a
// webhook token for webhook triggers. It returns the token.
func (e *env) newTrigger(t testing.TB, s *server, tr *junction.Trigger) string {
	t.Helper()
	tr.ID = junction.NewID()
	tr.TenantID, tr.FolderID = e.tenant.ID, e.folder.ID
	if tr.ConnectionID == "" {
		tr.ConnectionID = e.conn.ID
	}
	tr.Connector = "tickets"
	tr.Object = "ticket"
	tr.Enabled = true
	tr.CreatedAt = e.clock.Now()
	if tr.Target.Type == "" {
		tr.Target = junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"}
	}
	if tr.Target.Type == junction.TargetWebhook {
		must(t, s.rt.Validate(e.ctx, tr))
	}
	var token string
	if tr.Kind == junction.TriggerWebhook {
		tok, hash, err := trigger.NewWebhookToken()
		must(t, err)
		token = tok.Reveal()
		tr.WebhookTokenHash = hash
		tr.WebhookTokenSealedID = junction.NewID()
		sv, err := trigger.SealWebhookToken(e.ring, tr.TenantID, tr.WebhookTokenSealedID, tok)
		must(t, err)
		must(t, e.db.PutSealed(e.ctx, sv))
	}
	must(t, e.db.CreateTrigger(e.ctx, tr))
	return token
}

// poll runs one poll of the connection's ticket event for the current
// interval, as a poll job would.
func (e *env) poll(t testing.TB, s *server, conn *junction.Connection, event string) {
	t.Helper()
	slot := trigger.Slot(e.clock.Now(), trigger.PollInterval(conn.PollIntervalMinutes))
	must(t, s.rt.Poll(e.ctx, junction.PollSubscription{TenantID: conn.TenantID, ConnectionID: conn.ID,
		Object: "ticket", Event: event, PollIntervalMinutes: conn.PollIntervalMinutes}, slot))
}

func (e *env) jobs(t testing.TB, triggerID string) []*junction.Job {
	t.Helper()
	js, err := e.db.ListJobs(e.ctx, e.tenant.ID, junction.JobFilter{TriggerID: triggerID, Page: junction.Page{Limit: junction.MaxPageSize}})
	must(t, err)
	return js
}

func (e *env) history(t testing.TB, triggerID string) []*junction.TriggerRecord {
	t.Helper()
	rs, err := e.db.ListTriggerRecords(e.ctx, e.tenant.ID, junction.TriggerRecordFilter{TriggerID: triggerID,
		Page: junction.Page{Limit: junction.MaxPageSize}})
	must(t, err)
	return rs
}

func jobObjects(js []*junction.Job) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.ObjectID
	}
	return out
}

// signed returns the headers of a delivery the ticket vendor signs.
func signed(body []byte, secret string) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// waitJobs waits for n River jobs of kind to finish (completed, or
// failed for a retry), as reported by River.
func waitJobs(t testing.TB, events <-chan *river.Event, kind string, n int) []*river.Event {
	t.Helper()
	var got []*river.Event
	timeout := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case ev := <-events:
			if ev.Job.Kind == kind {
				got = append(got, ev)
			}
		case <-timeout:
			t.Fatalf("waited for %d %s jobs, saw %d", n, kind, len(got))
		}
	}
	return got
}

// schedulePolls schedules the polls due, fails unless there are want of
// them, and waits until they have run.
func (e *env) schedulePolls(t testing.TB, s *server, events <-chan *river.Event, want int) {
	t.Helper()
	n, err := s.rt.SchedulePolls(e.ctx)
	must(t, err)
	if n != want {
		t.Fatalf("scheduled %d polls, want %d", n, want)
	}
	waitPolls(t, events, n)
}

// waitPolls waits until jobs that ran n polls in all have ended: polls
// run in batches (trigger.KindPoll jobs), each naming its polls.
func waitPolls(t testing.TB, events <-chan *river.Event, n int) {
	t.Helper()
	got := 0
	timeout := time.After(30 * time.Second)
	for got < n {
		select {
		case ev := <-events:
			if ev.Job.Kind != trigger.KindPoll {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("a batch of polls ended %s: %v", ev.Kind, ev.Job.Errors)
			}
			var args struct {
				Polls []json.RawMessage `json:"polls"`
			}
			must(t, json.Unmarshal(ev.Job.EncodedArgs, &args))
			got += len(args.Polls)
		case <-timeout:
			t.Fatalf("waited for %d polls, saw %d", n, got)
		}
	}
}

func subscribe(t testing.TB, s *server) <-chan *river.Event {
	ch, cancel := s.queue.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	t.Cleanup(cancel)
	return ch
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// waitFor waits until cond holds, for work done in the background that
// sends no event to wait on.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
