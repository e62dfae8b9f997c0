package trigger_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"junction"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// BenchmarkWebhookIntakeToJob measures webhook intake on SQLite until every
// event has become a stored job: events/s end to end, and the p99 of
// Intake itself (verify, store the event and its River job, answer).
func BenchmarkWebhookIntakeToJob(b *testing.B) {
	db := sqldbtest.Open(b)
	e := newEnv(b, db)
	s := e.startServer(b, db)
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created"}
	token := e.newTrigger(b, s, tr)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = ticketEvent("ticket.created", "b"+strconv.Itoa(i), "high")
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	began := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(bodies[i], webhookSecret), Body: bodies[i]}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	for {
		n := countJobs(b, e, tr.ID)
		if n >= b.N {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(began)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "intake-p99-ms")
}

func countJobs(tb testing.TB, e *env, triggerID string) int {
	n, after := 0, ""
	for {
		js, err := e.db.ListJobs(e.ctx, e.tenant.ID, junction.JobFilter{TriggerID: triggerID,
			Page: junction.Page{Limit: junction.MaxPageSize, After: after}})
		if err != nil {
			tb.Fatal(err)
		}
		n += len(js)
		if len(js) < junction.MaxPageSize {
			return n
		}
		after = js[len(js)-1].ID
	}
}

// BenchmarkPollInterval schedules and runs one interval's polls of 500
// connections, each with a polling trigger, on SQLite with 50 workers (as
// the server runs): polls/s from the interval's start until the last poll
// finished.
func BenchmarkPollInterval(b *testing.B) {
	const conns = 500
	db := sqldbtest.Open(b)
	e := newEnv(b, db)
	e.workers = 50
	s := e.startServer(b, db)
	events := subscribe(b, s)
	must(b, db.DeleteConnection(e.ctx, e.tenant.ID, e.conn.ID))
	for i := range conns {
		c := e.newConnection(b, "tickets-"+strconv.Itoa(i), 1)
		e.newTrigger(b, s, &junction.Trigger{Kind: junction.TriggerPolling, Event: "created", ConnectionID: c.ID})
	}
	b.ResetTimer()
	began := time.Now()
	for range b.N {
		e.clock.Advance(time.Minute)
		n, err := s.rt.SchedulePolls(e.ctx)
		must(b, err)
		if n != conns {
			b.Fatalf("scheduled %d polls, want %d", n, conns)
		}
		waitPolls(b, events, conns)
	}
	b.ReportMetric(float64(b.N*conns)/time.Since(began).Seconds(), "polls/s")
}
