// Package sqldb implements junction.Store on SQLite (the embedded default,
// pure Go, no cgo) or PostgreSQL, with one set of queries for both and
// numbered migrations embedded in the binary and applied at Open.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"junction"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect names returned by (*DB).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Options are what Open needs besides the data source name.
type Options struct {
	// Clock stamps CreatedAt and UpdatedAt. Nil means the system clock.
	Clock junction.Clock
	// Logger receives migration progress. Nil discards it.
	Logger *slog.Logger
	// Inspect opens the database as it is, without creating a schema or
	// migrating it: for diagnosis, which must change nothing.
	Inspect bool
}

// DB is a Store backed by SQLite or PostgreSQL. It is safe for concurrent
// use.
//
// On SQLite every write and every transaction goes through one connection
// (SQLite allows one writer at a time; queueing writers in the pool rather
// than in SQLite's busy handler keeps them fair and free of SQLITE_BUSY), and
// plain reads use a separate pool of read-only connections, which WAL mode
// lets run beside the writer. Inside InTx, reads also go through the
// transaction so they see its own writes. A function passed to InTx must use
// the Store it is given: writing through the outer DB from inside it would
// wait for the one writer connection, which the transaction holds.
//
// On PostgreSQL one pool serves both.
//
// Create methods fill an empty ID with junction.NewID() and store the
// caller's CreatedAt and UpdatedAt, or the clock's time where they are zero;
// Update methods store the caller's UpdatedAt, or the clock's time when it is
// zero. The struct passed in is left holding what was stored: times in UTC,
// truncated to the microsecond.
type DB struct {
	handle // the Store methods, bound to the pools rather than a transaction

	dialect string
	// dsn is kept for the connection WatchChanges listens on. It may hold
	// a password: it is never logged or returned.
	dsn    string
	read   *sql.DB
	write  *sql.DB
	clock  junction.Clock
	logger *slog.Logger

	// readQ and writeQ run the Store's queries on read and write; on
	// SQLite they go through prepared statements kept in writeStmts and
	// readStmts (nil on PostgreSQL, whose driver keeps its own).
	readQ, writeQ         querier
	readStmts, writeStmts *stmtCache
	// checkpoints copies SQLite's log into the database file in the
	// background (nil on PostgreSQL).
	checkpoints *checkpointer

	perms permissionSets

	// origin names this process in the notifications it sends, so that it
	// can tell its own from other servers'.
	origin string
}

var _ junction.Store = (*DB)(nil)

// Open connects to the database named by dsn and migrates it to the schema
// this binary knows. A dsn starting with postgres:// or postgresql:// is a
// PostgreSQL URL (use its search_path parameter to pick a schema, which is
// created when missing); anything
// else is an SQLite file path, optionally prefixed with "sqlite:" or "file:",
// and may carry query parameters of its own.
//
// Open returns ESCHEMATOONEW when the database was migrated by a newer
// Junction: running older code against it could corrupt data.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db := &DB{clock: opts.Clock, logger: opts.Logger, origin: junction.NewID()}
	if db.clock == nil {
		db.clock = junction.SystemClock{}
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	db.handle = handle{db: db}

	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		err = db.openPostgres(dsn)
	} else {
		err = db.openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		// Unlike the probe's answer, Open's error is read by the operator
		// starting the server, who needs the cause. Driver messages name
		// the host, user and file but never a password.
		var je *junction.Error
		if errors.As(err, &je) && je.Err != nil {
			return nil, &junction.Error{Code: junction.EUNAVAILABLE, Err: je.Err,
				Message: fmt.Sprintf("cannot open the %s database: %v", db.dialect, je.Err)}
		}
		return nil, err
	}
	if opts.Inspect {
		return db, nil
	}
	if db.dialect == DialectPostgres {
		if err := db.ensureSchema(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) openPostgres(dsn string) error {
	db.dialect = DialectPostgres
	db.dsn = dsn
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return &junction.Error{Code: junction.EINVALID, Field: "database", Message: "the PostgreSQL URL is not valid", Err: err}
	}
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db.read, db.write = pool, pool
	// pgx parses each query once per connection and keeps the statement
	// (its default exec mode), so a cache here would add nothing but
	// explicit PREPARE and DEALLOCATE round trips in transactions.
	db.readQ, db.writeQ = pool, pool
	return nil
}

// sqliteParams are set on every SQLite connection. foreign_keys is per
// connection in SQLite, so it cannot live in a migration. synchronous=NORMAL
// is durable in WAL mode except for the last transactions on power loss.
var sqliteParams = []string{
	"_pragma=busy_timeout(10000)",
	"_pragma=journal_mode(WAL)",
	"_pragma=foreign_keys(1)",
	"_pragma=synchronous(NORMAL)",
	// In WAL mode a connection drops its whole page cache whenever another
	// one has committed since its last read, which under a steady stream
	// of writes is every read: each then read its pages again with a
	// system call apiece. Mapped, the file's pages are read from memory.
	"_pragma=mmap_size(268435456)",
	// See checkpoint.go.
	"_pragma=wal_autocheckpoint(" + strconv.Itoa(walSafetyPages) + ")",
	"_pragma=journal_size_limit(" + strconv.Itoa(walSizeLimit) + ")",
}

func (db *DB) openSQLite(dsn string) error {
	db.dialect = DialectSQLite
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if path == "" {
		return junction.Invalid("database", "an SQLite database needs a file path")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	base := path + sep + strings.Join(sqliteParams, "&")

	// The writer begins every transaction with BEGIN IMMEDIATE: a deferred
	// transaction that reads first and writes later would fail with
	// SQLITE_BUSY, rather than wait, when another process wrote in between.
	write := sql.OpenDB(newStmtConnector(base + "&_txlock=immediate"))
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	read := sql.OpenDB(newStmtConnector(base + "&_pragma=query_only(1)"))
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	db.read, db.write = read, write
	db.readStmts, db.writeStmts = newStmtCache(read), newStmtCache(write)
	db.readQ, db.writeQ = poolStmts{db.readStmts}, poolStmts{db.writeStmts}

	ckpt := sql.OpenDB(newStmtConnector(base))
	ckpt.SetMaxOpenConns(1)
	db.checkpoints = startCheckpointer(ckpt, db.logger)
	return nil
}

// Close closes the connection pools.
func (db *DB) Close() error {
	db.checkpoints.close()
	db.readStmts.close()
	db.writeStmts.close()
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil && db.write != db.read {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers. It returns EUNAVAILABLE when it
// does not.
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range []*sql.DB{db.write, db.read} {
		if err := p.PingContext(ctx); err != nil {
			return &junction.Error{Code: junction.EUNAVAILABLE, Message: "the database cannot be reached", Err: err}
		}
	}
	return nil
}

// Dialect returns DialectSQLite or DialectPostgres.
func (db *DB) Dialect() string { return db.dialect }

// ListenerPool opens a pgx pool on the same PostgreSQL database, user and
// schema as the Store, for a package that LISTENs for notifications (the
// job queue hijacks one connection from it for as long as it runs). It
// returns nil on SQLite, which has no LISTEN. The caller closes the pool.
// It is separate from the Store's database/sql pool because LISTEN needs a
// connection held outside database/sql's control.
func (db *DB) ListenerPool(ctx context.Context) (*pgxpool.Pool, error) {
	if db.dialect != DialectPostgres {
		return nil, nil
	}
	cfg, err := pgxpool.ParseConfig(db.dsn)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("sqldb: listener pool: %w", err))
	}
	cfg.MinConns, cfg.MaxConns = 0, 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("sqldb: listener pool: %w", err))
	}
	return pool, nil
}

// SQL returns the pool that writes go through, for packages that keep tables
// of their own beside the Store's (a job queue claiming rows with its own
// statements). On SQLite it holds a single connection: do not keep a
// transaction or a rows cursor open on it while calling the Store.
func (db *DB) SQL() *sql.DB { return db.write }

// now is the clock's time as stored: UTC, whole microseconds.
func (db *DB) now() time.Time { return db.clock.Now().UTC().Truncate(time.Microsecond) }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// handle carries the Store methods. Outside a transaction (tx nil) reads use
// the reader pool and writes the writer; inside one, everything uses tx
// (through txQ).
type handle struct {
	db  *DB
	tx  *sql.Tx
	txQ querier
}

var _ junction.Store = (*handle)(nil)

func (h *handle) reader() querier {
	if h.tx != nil {
		return h.txQ
	}
	return h.db.readQ
}

func (h *handle) writer() querier {
	if h.tx != nil {
		return h.txQ
	}
	return h.db.writeQ
}

// InTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise (also when fn panics). A nested call runs fn in the
// enclosing transaction; its error propagates out and rolls the whole of it
// back.
func (h *handle) InTx(ctx context.Context, fn func(tx junction.Store) error) (err error) {
	if h.tx != nil {
		return fn(h)
	}
	tx, err := h.db.write.BeginTx(ctx, nil)
	if err != nil {
		return internal("begin transaction", err)
	}
	var txQ querier = tx
	var missed []string
	if h.db.writeStmts != nil {
		txQ = txStmts{tx: tx, c: h.db.writeStmts, missed: &missed}
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
		// Now that the transaction has let go of the writer connection,
		// prepare what it ran unprepared, for the next transactions.
		if len(missed) > 0 {
			h.db.writeStmts.prepare(ctx, missed)
		}
	}()
	if err := fn(&handle{db: h.db, tx: tx, txQ: txQ}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return internal("commit transaction", err)
	}
	committed = true
	return nil
}

// write runs fn in a transaction unless h is already in one: for methods made
// of several statements that must hold together.
func (h *handle) write(ctx context.Context, fn func(h *handle) error) error {
	return h.InTx(ctx, func(tx junction.Store) error { return fn(tx.(*handle)) })
}

// Tx returns the transaction behind a Store that InTx passed to its
// function, or nil for any other Store. Packages with tables of their own (a
// job queue) use it to write in the same transaction as the Store. A Store
// that wraps another (a cache) is looked through when it has an Unwrap
// method.
func Tx(s junction.Store) *sql.Tx {
	for {
		switch v := s.(type) {
		case *handle:
			return v.tx
		case interface{ Unwrap() junction.Store }:
			s = v.Unwrap()
		default:
			return nil
		}
	}
}

// maxCachedStmts bounds each pool's statement cache. The Store's queries are
// mostly fixed strings, a few dozen per pool; list filters add strings with
// one placeholder per value, which must not grow the cache without end.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query string for a pool, so
// SQLite parses and plans a query once per connection instead of on every
// call (parsing costs more than running the indexed lookups most queries
// are). database/sql prepares a *sql.Stmt lazily on each connection that
// runs it and finalizes it on Close. When the cache is full, a statement
// not used since the last sweep makes room; it is closed once no call is
// running on it (rows it returned keep it alive until they are closed).
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*cachedStmt
	closed bool
}

type cachedStmt struct {
	stmt    *sql.Stmt
	refs    int  // calls running on stmt
	used    bool // since the last sweep
	evicted bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*cachedStmt)}
}

// cached returns the statement of query, held until release, or nil when
// query is not cached.
func (c *stmtCache) cached(query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmts[query]
	if s != nil {
		s.refs++
		s.used = true
	}
	return s
}

// acquire returns the statement of query, preparing it on a miss, held
// until release. It returns nil when the statement cannot be prepared or
// kept; the caller then runs the query unprepared, which reports any error
// in the query itself. It takes a connection from the pool on a miss, so it
// must not be called while a transaction holds the pool's only connection.
func (c *stmtCache) acquire(ctx context.Context, query string) *cachedStmt {
	if s := c.cached(query); s != nil {
		return s
	}
	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	if s := c.stmts[query]; s != nil || c.closed || !c.makeRoomLocked() {
		c.mu.Unlock()
		_ = stmt.Close()
		if s != nil {
			return c.cached(query)
		}
		return nil
	}
	s := &cachedStmt{stmt: stmt, refs: 1, used: true}
	c.stmts[query] = s
	c.mu.Unlock()
	return s
}

// prepare prepares and caches the queries not cached yet (see acquire).
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		if s := c.acquire(ctx, q); s != nil {
			c.release(s)
		}
	}
}

// makeRoomLocked evicts one statement when the cache is full, giving each
// recently used one a second chance. It reports false when every statement
// is in use.
func (c *stmtCache) makeRoomLocked() bool {
	if len(c.stmts) < maxCachedStmts {
		return true
	}
	for range 2 {
		for q, s := range c.stmts {
			if s.used {
				s.used = false
				continue
			}
			delete(c.stmts, q)
			s.evicted = true
			if s.refs == 0 {
				_ = s.stmt.Close()
			}
			return true
		}
	}
	return false
}

func (c *stmtCache) release(s *cachedStmt) {
	c.mu.Lock()
	s.refs--
	done := s.evicted && s.refs == 0
	c.mu.Unlock()
	if done {
		_ = s.stmt.Close()
	}
}

// close closes every statement; later queries run unprepared.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, s := range c.stmts {
		delete(c.stmts, q)
		s.evicted = true
		if s.refs == 0 {
			_ = s.stmt.Close()
		}
	}
}

// poolStmts runs queries on a pool through its statement cache.
type poolStmts struct{ c *stmtCache }

func (p poolStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s := p.c.acquire(ctx, query)
	if s == nil {
		return p.c.db.ExecContext(ctx, query, args...)
	}
	defer p.c.release(s)
	return s.stmt.ExecContext(ctx, args...)
}

func (p poolStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s := p.c.acquire(ctx, query)
	if s == nil {
		return p.c.db.QueryContext(ctx, query, args...)
	}
	defer p.c.release(s)
	return s.stmt.QueryContext(ctx, args...)
}

func (p poolStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s := p.c.acquire(ctx, query)
	if s == nil {
		return p.c.db.QueryRowContext(ctx, query, args...)
	}
	defer p.c.release(s)
	return s.stmt.QueryRowContext(ctx, args...)
}

// txStmts runs queries in a transaction on the writer, reusing the writer
// pool's statements. A query not cached yet runs unprepared: preparing it on
// the pool would wait for the connection the transaction holds. It is noted
// in missed, and InTx prepares it once the transaction has ended, so that
// statements only ever run inside transactions (most writes) are not
// compiled again every time, which cost more than running them.
type txStmts struct {
	tx     *sql.Tx
	c      *stmtCache
	missed *[]string
}

func (t txStmts) miss(query string) {
	if !slices.Contains(*t.missed, query) {
		*t.missed = append(*t.missed, query)
	}
}

func (t txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s := t.c.cached(query)
	if s == nil {
		t.miss(query)
		return t.tx.ExecContext(ctx, query, args...)
	}
	defer t.c.release(s)
	return t.tx.StmtContext(ctx, s.stmt).ExecContext(ctx, args...)
}

func (t txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s := t.c.cached(query)
	if s == nil {
		t.miss(query)
		return t.tx.QueryContext(ctx, query, args...)
	}
	defer t.c.release(s)
	return t.tx.StmtContext(ctx, s.stmt).QueryContext(ctx, args...)
}

func (t txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s := t.c.cached(query)
	if s == nil {
		t.miss(query)
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	defer t.c.release(s)
	return t.tx.StmtContext(ctx, s.stmt).QueryRowContext(ctx, args...)
}
