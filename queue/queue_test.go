package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/queue"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// noteArgs is a job that appends an event through the Store while it runs,
// proving a worker can write through the single SQLite writer that River
// shares.
type noteArgs struct {
	TenantID string `json:"tenant_id"`
	Note     string `json:"note"`
}

func (noteArgs) Kind() string { return "test.note" }

type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	db *sqldb.DB
}

func (w *noteWorker) Work(ctx context.Context, job *river.Job[noteArgs]) error {
	return w.db.InTx(ctx, func(tx junction.Store) error {
		return tx.AppendEvent(ctx, &junction.Event{TenantID: job.Args.TenantID, Type: "test." + job.Args.Note})
	})
}

func startQueue(t *testing.T, db *sqldb.DB) *queue.Queue {
	t.Helper()
	q, err := queue.New(t.Context(), queue.Options{DB: db, FetchPollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	river.AddWorker(q.Workers(), &noteWorker{db: db})
	return q
}

func TestInsertTxCommitsWithTheStore(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			db := b.Open(t, sqldb.Options{})
			tn := &junction.Tenant{Name: "acme"}
			if err := db.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			q := startQueue(t, db)
			done, cancel := q.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancel()

			// A rolled-back transaction leaves no job behind.
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx junction.Store) error {
				if _, err := q.InsertTx(ctx, tx, noteArgs{TenantID: tn.ID, Note: "rolled-back"}, nil); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatal(err)
			}
			err = db.InTx(ctx, func(tx junction.Store) error {
				if err := tx.AppendEvent(ctx, &junction.Event{TenantID: tn.ID, Type: "test.intake"}); err != nil {
					return err
				}
				_, err := q.InsertTx(ctx, tx, noteArgs{TenantID: tn.ID, Note: "worked"}, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.InsertTx(ctx, db, noteArgs{}, nil); err == nil {
				t.Fatal("InsertTx outside a transaction succeeded")
			}

			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := q.Stop(context.Background()); err != nil {
					t.Error(err)
				}
			}()
			select {
			case ev := <-done:
				if ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("job ended %s: %v", ev.Kind, ev.Job.Errors)
				}
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
			evs, err := db.ListEvents(ctx, tn.ID, junction.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
			}
			if len(types) != 2 || types[0] != "test.intake" || types[1] != "test.worked" {
				t.Fatalf("events = %v, want [test.intake test.worked]", types)
			}
		})
	}
}

// TestMigrateTwice opens the queue twice on one database: River's
// migrations are applied once and found applied the second time.
func TestMigrateTwice(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t, sqldb.Options{})
			for range 2 {
				if _, err := queue.New(t.Context(), queue.Options{DB: db}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestListenWakesWorkers inserts a job into a running PostgreSQL queue
// whose workers poll once a minute: LISTEN/NOTIFY must wake them long
// before. On SQLite River's driver polls its own notification table, so
// the same holds there too.
func TestListenWakesWorkers(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			db := b.Open(t, sqldb.Options{})
			tn := &junction.Tenant{Name: "acme"}
			if err := db.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			q, err := queue.New(ctx, queue.Options{DB: db, FetchPollInterval: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			river.AddWorker(q.Workers(), &noteWorker{db: db})
			done, unsubscribe := q.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer unsubscribe()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := q.Stop(context.Background()); err != nil {
					t.Error(err)
				}
			}()
			// Workers fetch once as they start, which may find the first job;
			// once it is worked, the second can only be found by a wake-up
			// (or by the next poll, a minute away).
			for _, note := range []string{"first", "woken"} {
				if _, err := q.Insert(ctx, noteArgs{TenantID: tn.ID, Note: note}, nil); err != nil {
					t.Fatal(err)
				}
				select {
				case ev := <-done:
					if ev.Kind != river.EventKindJobCompleted {
						t.Fatalf("job ended %s: %v", ev.Kind, ev.Job.Errors)
					}
				case <-ctx.Done():
					t.Fatalf("job %q was not worked within 30 s: workers were not woken by the insert", note)
				}
			}
		})
	}
}
