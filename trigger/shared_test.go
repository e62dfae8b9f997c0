package trigger_test

import (
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestTwoServersOnePostgres runs two runtimes, each with its own pool and
// River client, on one PostgreSQL database: both schedule every poll and
// both receive webhooks, yet each connection is polled once per interval
// and each event makes one job.
func TestTwoServersOnePostgres(t *testing.T) {
	dsn := sqldbtest.PostgresSchema(t)
	db1 := sqldbtest.MustOpen(t, dsn, sqldb.Options{})
	db2 := sqldbtest.MustOpen(t, dsn, sqldb.Options{})
	e := newEnv(t, db1)
	s1 := e.startServer(t, db1)
	s2 := e.startServer(t, db2)
	events := make(chan *river.Event, 100)
	for _, s := range []*server{s1, s2} {
		go func(ch <-chan *river.Event) {
			for ev := range ch {
				events <- ev
			}
		}(subscribe(t, s))
	}
	second := e.newConnection(t, "tickets-2", 5)
	polled := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created"}
	e.newTrigger(t, s1, polled)
	polled2 := &junction.Trigger{Kind: junction.TriggerPolling, Event: "created", ConnectionID: second.ID}
	e.newTrigger(t, s1, polled2)
	hooked := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
	token := e.newTrigger(t, s1, hooked)

	schedule := func() int {
		n1, err := s1.rt.SchedulePolls(e.ctx)
		must(t, err)
		n2, err := s2.rt.SchedulePolls(e.ctx)
		must(t, err)
		return n1 + n2
	}
	if n := schedule(); n != 2 {
		t.Fatalf("two servers scheduled %d polls for two connections", n)
	}
	waitPolls(t, events, 2)

	for i := range 3 {
		at := start.Add(time.Duration(i+1) * time.Minute)
		e.api.put("p"+string(rune('a'+i)), at, at, nil)
	}
	e.clock.Advance(5 * time.Minute)
	if n := schedule(); n != 2 {
		t.Fatalf("two servers scheduled %d polls for the second interval", n)
	}
	waitPolls(t, events, 2)
	// Per connection: one page for the empty baseline, two for three
	// tickets.
	if c := e.api.listCalls(); c != 2*(1+2) {
		t.Fatalf("API listed %d pages, want 6", c)
	}
	wantStrings(t, "jobs of the first connection", jobObjects(e.jobs(t, polled.ID)), []string{"pa", "pb", "pc"})
	wantStrings(t, "jobs of the second connection", jobObjects(e.jobs(t, polled2.ID)), []string{"pa", "pb", "pc"})

	// The same delivery reaches both servers (a vendor retrying against a
	// load balancer): one job.
	body := ticketEvent("ticket.created", "h1", "high")
	for _, s := range []*server{s1, s2} {
		_, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
		must(t, err)
	}
	wantStrings(t, "webhook jobs", jobObjects(e.jobs(t, hooked.ID)), []string{"h1"})

	// The same event re-serialised reaches both servers at once: the
	// database's unique key keeps one job, and the other is recorded as a
	// duplicate.
	bodies := []string{
		`{"event_id":"ev-77","type":"ticket.created","data":{"id":"h2"}}`,
		`{"data":{"id":"h2"},"type":"ticket.created","event_id":"ev-77"}`,
	}
	var wg sync.WaitGroup
	for i, s := range []*server{s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := []byte(bodies[i])
			if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(b, webhookSecret), Body: b}); err != nil {
				t.Errorf("server %d: %v", i+1, err)
			}
		}()
	}
	wg.Wait()
	wantStrings(t, "webhook jobs after the repeat", jobObjects(e.jobs(t, hooked.ID)), []string{"h1", "h2"})
	dups := 0
	for _, r := range e.history(t, hooked.ID) {
		if r.Status == junction.TriggerDuplicate && r.ObjectID == "h2" {
			dups++
		}
	}
	if dups != 1 {
		t.Fatalf("%d duplicate records for the repeat, want 1", dups)
	}
}
