// Package queue runs River, a durable job queue, inside Junction's own
// database (SQLite or PostgreSQL), so that background work (polls, webhook
// events, deliveries) is inserted in the same transaction as the rows it
// belongs to and survives any crash once committed.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"junction"
	"junction/sqldb"
)

// Options configure a Queue.
type Options struct {
	// DB is Junction's database; River's tables live beside Junction's.
	DB *sqldb.DB
	// ID names this server among those sharing the database (River's
	// client ID, shown as the leader). Empty lets River choose one.
	ID string
	// MaxWorkers is how many jobs this server works at once (default 10).
	MaxWorkers int
	// FetchPollInterval is how often idle workers look for new jobs
	// (default 1 s). On PostgreSQL without a LISTEN connection, and for
	// jobs inserted by another server, it bounds how long a job waits;
	// River's SQLite driver also polls a notification table of its own
	// every 50 ms, which wakes workers for jobs inserted in transactions.
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches of jobs while
	// jobs are waiting (default DefaultFetchCooldown, or
	// FetchPollInterval when that is shorter). Workers freed meanwhile
	// wait for the next fetch, so it bounds how many short jobs a
	// server works a second: at most MaxWorkers per cooldown.
	FetchCooldown time.Duration
	// RetryPolicy chooses when a failed job runs again; nil is River's
	// default, exponential backoff (attempt^4 seconds) with 10% jitter.
	RetryPolicy river.ClientRetryPolicy
	// JobTimeout bounds one run of a job (default 1 minute).
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay running before the
	// leader takes it for dead (its server crashed mid-run) and runs it
	// again; at least JobTimeout. Zero keeps River's default, an hour
	// past JobTimeout.
	RescueStuckJobsAfter time.Duration
	// Logger receives River's warnings; nil discards them.
	Logger *slog.Logger
	// Time, when set, is the clock River schedules by (tests).
	Time rivertype.TimeGenerator
}

// Queue is a River client over Junction's database. Register workers and
// periodic jobs (Workers, AddPeriodic) before Start. It is safe for
// concurrent use.
//
// # SQLite
//
// River's SQLite driver is given the same single-connection writer pool as
// the Store ((*sqldb.DB).SQL). River runs many internal operations at
// once; on separate connections they would fail with SQLITE_BUSY or wait in
// SQLite's busy handler, while queued in the pool they simply take turns,
// which is what River's driver documentation recommends. River never holds
// that connection while a job runs (a job is fetched and marked running in
// one short transaction, worked, then completed in another), so a worker
// may use the Store freely. Two rules follow: never call the Queue's
// non-transactional methods (Insert) from inside Store.InTx, which holds
// the one connection, but InsertTx with the Store given to the function;
// and keep transactions short, as jobs wait for them.
//
// # PostgreSQL
//
// River uses the database/sql driver over the Store's pool, so that jobs are
// inserted in the Store's transactions, plus a pgx connection of its own
// that LISTENs: a job inserted by any server wakes idle workers at once
// rather than at their next poll. Several servers
// share the work: each fetches jobs with FOR UPDATE SKIP LOCKED, and River
// elects one leader, which alone runs periodic jobs and maintenance.
type Queue struct {
	db      *sqldb.DB
	client  *river.Client[*sql.Tx]
	workers *river.Workers
	logger  *slog.Logger
	// listenPool holds the LISTEN connection on PostgreSQL (nil on
	// SQLite); closed by Stop.
	listenPool interface{ Close() }
}

// Default settings.
const (
	DefaultMaxWorkers = 10
	// DefaultFetchCooldown is shorter than River's 100 ms: with polls
	// taking a few milliseconds each, River's default kept workers idle
	// most of the time when thousands were due at once.
	DefaultFetchCooldown = 20 * time.Millisecond
)

// New applies River's migrations (after Junction's, which sqldb.Open
// applied) and returns a Queue that is not yet started.
func New(ctx context.Context, opts Options) (*Queue, error) {
	if opts.DB == nil {
		return nil, errors.New("queue: Options.DB is required")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	driver, listenPool, err := newDriver(ctx, opts.DB)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, opts.DB, driver, logger); err != nil {
		closePool(listenPool)
		return nil, err
	}
	workers := river.NewWorkers()
	cfg := &river.Config{
		ID:                   opts.ID,
		Logger:               logger,
		Workers:              workers,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: orDefault(opts.MaxWorkers, DefaultMaxWorkers)}},
		FetchPollInterval:    opts.FetchPollInterval,
		RetryPolicy:          opts.RetryPolicy,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		// Jobs of a kind this binary does not know (inserted by a newer
		// server) are left for a server that does.
		FetchOnlyKnownKinds: true,
	}
	cfg.FetchCooldown = orDefault(opts.FetchCooldown, DefaultFetchCooldown)
	if opts.FetchPollInterval > 0 && opts.FetchPollInterval < cfg.FetchCooldown {
		cfg.FetchCooldown = opts.FetchPollInterval
	}
	if opts.Time != nil {
		cfg.Test.Time = opts.Time
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		closePool(listenPool)
		return nil, fmt.Errorf("queue: create River client: %w", err)
	}
	q := &Queue{db: opts.DB, client: client, workers: workers, logger: logger}
	if listenPool != nil {
		q.listenPool = listenPool
	}
	return q, nil
}

// newDriver returns River's driver for the database and, on PostgreSQL,
// the pgx pool its listener takes a connection from.
func newDriver(ctx context.Context, db *sqldb.DB) (riverdriver.Driver[*sql.Tx], *pgxpool.Pool, error) {
	if db.Dialect() == sqldb.DialectSQLite {
		return riversqlite.New(db.SQL()), nil, nil
	}
	pool, err := db.ListenerPool(ctx)
	if err != nil {
		return nil, nil, err
	}
	return riverdatabasesql.NewWithPgxListener(db.SQL(), pool), pool, nil
}

func closePool(p *pgxpool.Pool) {
	if p != nil {
		p.Close()
	}
}

// migrate applies River's migrations. River's migrator takes no lock, so
// on PostgreSQL servers starting together take turns through a session
// advisory lock held on a connection of its own; on SQLite the single
// writer connection serialises them.
func migrate(ctx context.Context, db *sqldb.DB, driver riverdriver.Driver[*sql.Tx], logger *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("queue: River migrator: %w", err)
	}
	if db.Dialect() == sqldb.DialectPostgres {
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			return junction.Internal(fmt.Errorf("queue: migration lock connection: %w", err))
		}
		defer conn.Close()
		key, err := lockKey(ctx, conn)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
			return junction.Internal(fmt.Errorf("queue: migration lock: %w", err))
		}
		defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key) }()
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return junction.Internal(fmt.Errorf("queue: apply River migrations: %w", err))
	}
	for _, v := range res.Versions {
		logger.Info("applied job queue migration", "version", v.Version, "name", v.Name)
	}
	return nil
}

func lockKey(ctx context.Context, conn *sql.Conn) (int64, error) {
	var schema sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, junction.Internal(fmt.Errorf("queue: current schema: %w", err))
	}
	h := fnv.New64a()
	h.Write([]byte("junction river migrations " + schema.String))
	return int64(h.Sum64()), nil
}

// SingleWriter reports whether the database takes one write transaction
// at a time (SQLite), so that writers gain nothing by running at once.
func (q *Queue) SingleWriter() bool { return q.db.Dialect() == sqldb.DialectSQLite }

// Workers is the registry job kinds are added to, with river.AddWorker,
// before Start.
func (q *Queue) Workers() *river.Workers { return q.workers }

// AddPeriodic schedules a job that the elected leader inserts on schedule,
// so that of several servers only one does.
func (q *Queue) AddPeriodic(job *river.PeriodicJob) { q.client.PeriodicJobs().Add(job) }

// Client is the River client, for what Queue does not wrap (subscribing
// to events in tests, listing jobs).
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }

// Start starts working jobs. It returns once the workers run; they stop
// when ctx is cancelled or Stop is called.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for those running to finish, until ctx
// is done; then it cancels them (a cancelled job runs again later: it was
// never completed).
func (q *Queue) Stop(ctx context.Context) error {
	if q.listenPool != nil {
		defer q.listenPool.Close()
	}
	err := q.client.Stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return q.client.StopAndCancel(cctx)
}

// ErrNotInTx is returned by InsertTx for a Store that is not a transaction.
var ErrNotInTx = errors.New("queue: InsertTx needs the Store that InTx passed to its function")

// InsertTx inserts a job in the Store transaction tx (the Store that
// InTx passed to its function), so that the job exists if and only if the
// transaction commits. It reports whether a job was inserted: false when a
// unique job with the same arguments already exists.
func (q *Queue) InsertTx(ctx context.Context, tx junction.Store, args river.JobArgs, opts *river.InsertOpts) (bool, error) {
	sqlTx := sqldb.Tx(tx)
	if sqlTx == nil {
		return false, junction.Internal(ErrNotInTx)
	}
	res, err := q.client.InsertTx(ctx, sqlTx, args, opts)
	if err != nil {
		return false, junction.Internal(fmt.Errorf("queue: insert %s job: %w", args.Kind(), err))
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Insert inserts a job in a transaction of its own. Never call it inside
// Store.InTx (see Queue).
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (bool, error) {
	var inserted bool
	err := q.db.InTx(ctx, func(tx junction.Store) error {
		var err error
		inserted, err = q.InsertTx(ctx, tx, args, opts)
		return err
	})
	return inserted, err
}

// InsertManyTx inserts jobs in the Store transaction tx (see InsertTx)
// in one batch, and reports how many were inserted: unique jobs whose
// twin exists already are skipped.
func (q *Queue) InsertManyTx(ctx context.Context, tx junction.Store, jobs []river.InsertManyParams) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	sqlTx := sqldb.Tx(tx)
	if sqlTx == nil {
		return 0, junction.Internal(ErrNotInTx)
	}
	res, err := q.client.InsertManyTx(ctx, sqlTx, jobs)
	if err != nil {
		return 0, junction.Internal(fmt.Errorf("queue: insert %d %s jobs: %w", len(jobs), jobs[0].Args.Kind(), err))
	}
	n := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	return n, nil
}

// InsertFastTx inserts a job in the Store transaction tx (see InsertTx)
// without reading the inserted row back, which costs less. The job must
// not be unique (a duplicate fails the transaction).
func (q *Queue) InsertFastTx(ctx context.Context, tx junction.Store, args river.JobArgs, opts *river.InsertOpts) error {
	sqlTx := sqldb.Tx(tx)
	if sqlTx == nil {
		return junction.Internal(ErrNotInTx)
	}
	if _, err := q.client.InsertManyFastTx(ctx, sqlTx, []river.InsertManyParams{{Args: args, InsertOpts: opts}}); err != nil {
		return junction.Internal(fmt.Errorf("queue: insert %s job: %w", args.Kind(), err))
	}
	return nil
}

// InsertTxID inserts a job in the Store transaction tx, as InsertTx does,
// and returns its ID, for DeleteTx. The job must not be unique.
func (q *Queue) InsertTxID(ctx context.Context, tx junction.Store, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	sqlTx := sqldb.Tx(tx)
	if sqlTx == nil {
		return 0, junction.Internal(ErrNotInTx)
	}
	res, err := q.client.InsertTx(ctx, sqlTx, args, opts)
	if err != nil {
		return 0, junction.Internal(fmt.Errorf("queue: insert %s job: %w", args.Kind(), err))
	}
	return res.Job.ID, nil
}

// DeleteTx deletes a job that has not started, in the Store transaction
// tx. It reports whether it did: a job that is running, or gone already
// (finished, or deleted), is left alone.
func (q *Queue) DeleteTx(ctx context.Context, tx junction.Store, id int64) (bool, error) {
	sqlTx := sqldb.Tx(tx)
	if sqlTx == nil {
		return false, junction.Internal(ErrNotInTx)
	}
	_, err := q.client.JobDeleteTx(ctx, sqlTx, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, rivertype.ErrJobRunning), errors.Is(err, rivertype.ErrNotFound):
		return false, nil
	}
	return false, junction.Internal(fmt.Errorf("queue: delete job %d: %w", id, err))
}

// InsertMany is InsertManyTx in a transaction of its own. Never call it
// inside Store.InTx (see Queue).
func (q *Queue) InsertMany(ctx context.Context, jobs []river.InsertManyParams) (int, error) {
	var n int
	err := q.db.InTx(ctx, func(tx junction.Store) error {
		var err error
		n, err = q.InsertManyTx(ctx, tx, jobs)
		return err
	})
	return n, err
}

// InsertManyEach is InsertMany reporting, job by job, whether each was
// inserted (false: a unique twin exists already).
func (q *Queue) InsertManyEach(ctx context.Context, jobs []river.InsertManyParams) ([]bool, error) {
	out := make([]bool, len(jobs))
	if len(jobs) == 0 {
		return out, nil
	}
	err := q.db.InTx(ctx, func(tx junction.Store) error {
		res, err := q.client.InsertManyTx(ctx, sqldb.Tx(tx), jobs)
		if err != nil {
			return junction.Internal(fmt.Errorf("queue: insert %d %s jobs: %w", len(jobs), jobs[0].Args.Kind(), err))
		}
		for i, r := range res {
			out[i] = !r.UniqueSkippedAsDuplicate
		}
		return nil
	})
	return out, err
}

// AddQueue adds a queue of its own, worked by maxWorkers workers besides
// the default queue's, for jobs inserted with InsertOpts.Queue set to
// name: a kind of work that comes in bursts then neither waits behind
// the others nor keeps them waiting. Call it before Start.
func (q *Queue) AddQueue(name string, maxWorkers int) error {
	if err := q.client.Queues().Add(name, river.QueueConfig{MaxWorkers: maxWorkers}); err != nil {
		return fmt.Errorf("queue: add queue %s: %w", name, err)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
