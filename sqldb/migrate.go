package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"junction"
)

// The migration runner is our own, by choice, after comparing it with
// golang-migrate and goose:
//   - Each migration and the row recording it commit in one transaction,
//     so a failed migration leaves nothing half-applied. golang-migrate
//     marks the version dirty, runs the file, then clears the mark: a
//     failure leaves a dirty database that an operator must force.
//   - Servers starting together on one PostgreSQL take turns through an
//     advisory lock named after the schema, so installations in two
//     schemas of one database migrate independently (goose's session
//     locker can do this too, given a lock ID per schema).
//   - A database migrated by a newer binary is refused (ESCHEMATOONEW)
//     rather than run against.
//   - The files are plain SQL run whole: goose needs "-- +goose Up" and
//     StatementBegin/End annotations around every PL/pgSQL body.
// It is about 150 lines; goose would do as much but needs every file
// annotated, golang-migrate does less.

// migrationFiles holds one folder of numbered .sql files per dialect:
// migrations/<dialect>/NNNN_name.sql. A migration, once released, never
// changes; a new table or column is a new file with the next number in both
// folders.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's migrations in version order.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return out, nil
}

// KnownSchemaVersion returns the schema version this binary migrates to.
func KnownSchemaVersion() int {
	ms, err := migrations(DialectSQLite)
	if err != nil {
		return 0
	}
	return len(ms)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// migrate applies the pending migrations, each in its own transaction. On
// PostgreSQL, servers starting together on one database take turns through a
// transaction-scoped advisory lock, and each re-reads the applied version
// under the lock, so every migration runs exactly once. On SQLite the writer's
// BEGIN IMMEDIATE does the same across processes.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations(db.dialect)
	if err != nil {
		return internal("read migrations", err)
	}
	lockKey, err := db.migrationLockKey(ctx)
	if err != nil {
		return err
	}
	for {
		done, err := db.migrateOne(ctx, ms, lockKey)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne applies the next pending migration, reporting done when none
// is left.
func (db *DB) migrateOne(ctx context.Context, ms []migration, lockKey int64) (done bool, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, internal("migrate: begin", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if db.dialect == DialectPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
			return false, internal("migrate: lock", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return false, internal("migrate: create schema_migrations", err)
	}
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if current > len(ms) {
		return false, schemaTooNew(current, len(ms))
	}
	if current == len(ms) {
		return true, tx.Commit()
	}
	m := ms[current]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, internal("migrate: apply "+m.name, err)
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		m.version, m.name, toMicros(db.now())); err != nil {
		return false, internal("migrate: record "+m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, internal("migrate: commit "+m.name, err)
	}
	db.logger.Info("applied database migration", "dialect", db.dialect, "version", m.version, "name", m.name)
	return false, nil
}

// migrationLockKey names the advisory lock after the current schema, so
// databases in different schemas of one server migrate independently.
func (db *DB) migrationLockKey(ctx context.Context) (int64, error) {
	if db.dialect != DialectPostgres {
		return 0, nil
	}
	var schema sql.NullString
	if err := db.write.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, internal("migrate: current schema", err)
	}
	if !schema.Valid {
		return 0, &junction.Error{Code: junction.EINVALID, Field: "database",
			Message: "the PostgreSQL search_path names no existing schema"}
	}
	h := fnv.New64a()
	h.Write([]byte("junction schema_migrations " + schema.String))
	return int64(h.Sum64()), nil
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, internal("read schema version", err)
	}
	return int(v.Int64), nil
}

func schemaTooNew(current, known int) error {
	return junction.Errorf(junction.ESCHEMATOONEW,
		"the database schema is at version %d but this Junction only knows up to version %d: it was migrated by a newer Junction; upgrade this one",
		current, known)
}

// SchemaVersion returns the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, db.read)
}

// CheckSchema returns nil when the database is at exactly the schema version
// this binary knows, for a readiness probe: ESCHEMATOONEW when a newer
// Junction has migrated it since Open, EUNAVAILABLE when it cannot be read
// or lags behind.
func (db *DB) CheckSchema(ctx context.Context) error {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return &junction.Error{Code: junction.EUNAVAILABLE, Message: "the database schema version cannot be read", Err: err}
	}
	known := KnownSchemaVersion()
	switch {
	case v > known:
		return schemaTooNew(v, known)
	case v < known:
		return junction.Errorf(junction.EUNAVAILABLE, "the database schema is at version %d, expected %d", v, known)
	}
	return nil
}

// ServerTime returns the database server's clock, to compare with this
// machine's: the two disagreeing skews every time the database stamps.
// SQLite runs in this process, on this machine's clock: ok is false.
func (db *DB) ServerTime(ctx context.Context) (t time.Time, ok bool, err error) {
	if db.dialect != DialectPostgres {
		return time.Time{}, false, nil
	}
	if err := db.read.QueryRowContext(ctx, "SELECT now()").Scan(&t); err != nil {
		return time.Time{}, false, internal("read the database clock", err)
	}
	return t, true, nil
}
