package trigger_test

import (
	"testing"
	"time"

	"junction"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// TestCancelledJobNotDelivered: a job an operator cancels between two
// delivery attempts is not sent by the attempt already scheduled; retried,
// it is delivered by the runtime's delivery job, with a new round of
// attempts.
func TestCancelledJobNotDelivered(t *testing.T) {
	db := sqldbtest.Open(t)
	e := newEnv(t, db)
	tg := newTarget(t, 1)
	// The retry after the first attempt's failure waits long enough for
	// the cancel to come first.
	s := e.startServer(t, db, func(o *trigger.Options) {
		o.DeliveryRetryDelay = func(int) time.Duration { return 2 * time.Second }
	})
	events := subscribe(t, s)
	secret := junction.NewSecret("target-signing-secret")
	tr := &junction.Trigger{Kind: junction.TriggerWebhook, Event: "created",
		Target: junction.TriggerTarget{Type: junction.TargetWebhook, URL: tg.URL + "/in", SealedID: junction.NewID()}}
	sv, err := trigger.SealTargetSecret(e.ring, e.tenant.ID, tr.Target.SealedID, secret)
	must(t, err)
	must(t, db.PutSealed(e.ctx, sv))
	token := e.newTrigger(t, s, tr)

	body := ticketEvent("ticket.created", "c1", "high")
	_, err = s.rt.Intake(e.ctx, token, trigger.WebhookRequest{Header: signed(body, webhookSecret), Body: body})
	must(t, err)
	var job *junction.Job
	waitFor(t, "the first attempt to fail", func() bool {
		js := e.jobs(t, tr.ID)
		if len(js) == 1 && js[0].Attempts == 1 {
			job = js[0]
		}
		return job != nil
	})
	if job.Status != junction.JobPending {
		t.Fatalf("after a failed first attempt the job is %s", job.Status)
	}
	_, err = db.CancelJob(e.ctx, e.tenant.ID, job.ID, "cancelled: test", e.clock.Now())
	must(t, err)
	waitJobs(t, events, trigger.KindDeliver, 1)
	got, err := db.GetJob(e.ctx, e.tenant.ID, job.ID)
	must(t, err)
	tg.mu.Lock()
	sent := len(tg.got)
	tg.mu.Unlock()
	if got.Status != junction.JobCancelled || sent != 1 {
		t.Fatalf("cancelled job is %s after %d deliveries, want cancelled after 1", got.Status, sent)
	}

	must(t, db.InTx(e.ctx, func(tx junction.Store) error {
		j, err := tx.RetryJob(e.ctx, e.tenant.ID, job.ID, e.clock.Now())
		if err != nil {
			return err
		}
		return s.rt.Redeliver(e.ctx, tx, j)
	}))
	waitJobs(t, events, trigger.KindDeliver, 1)
	got, err = db.GetJob(e.ctx, e.tenant.ID, job.ID)
	must(t, err)
	tg.mu.Lock()
	sent = len(tg.got)
	tg.mu.Unlock()
	if got.Status != junction.JobCompleted || got.Attempts != 1 || sent != 2 {
		t.Fatalf("retried job is %s after %d attempts and %d deliveries", got.Status, got.Attempts, sent)
	}
}
