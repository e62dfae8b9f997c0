package sqldb

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the PostgreSQL channel migration 0006 announces
// committed changes to cached tables on.
const changesChannel = "junction_changes"

// WatchChanges follows the changes other processes commit to the tables
// whose rows servers cache (tokens, users, roles and their assignments,
// folders, credential stores, assets, connections, sealed values,
// triggers), for storecache.
//
// On PostgreSQL it holds one connection of its own, LISTENing on the
// channel that the triggers of migrations 0006 and 0007 notify. It calls
// changed with the table's name after every notification of its own
// schema (the channel is shared by the whole database), and with "" (any
// table) once it listens; lost when the connection fails. Then it
// reconnects, with a growing pause up to five seconds, and calls
// changed("") again (anything may have changed while it was away).
//
// On SQLite there is no channel: one server owns the file and its own
// writes are all there is. WatchChanges then calls changed("") once and
// waits for ctx.
//
// It returns ctx.Err() when ctx is done.
func (db *DB) WatchChanges(ctx context.Context, changed func(table string), lost func()) error {
	if db.dialect != DialectPostgres {
		changed("")
		<-ctx.Done()
		return ctx.Err()
	}
	pause := 100 * time.Millisecond
	for {
		err := db.listen(ctx, changed)
		lost()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The error names the host and user at most, never a password.
		db.logger.LogAttrs(ctx, slog.LevelWarn, "database change feed lost; reconnecting",
			slog.Any("error", err), slog.Duration("retry_in", pause))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// listen connects, LISTENs and reports notifications until the
// connection fails or ctx ends.
func (db *DB) listen(ctx context.Context, changed func(table string)) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer func() {
		// A fresh context: ctx may be done, and the close must still run.
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return err
	}
	// Only now may the cache fill: a change committed before LISTEN took
	// effect would not be announced.
	changed("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if table, ok := ownTable(n.Payload, schema); ok {
			changed(table)
		}
	}
}

// ownTable reads a notification's payload, "schema.table" (migration
// 0012): the table when the schema is the listener's own. The channel is
// shared by every schema of the database; a payload naming no schema
// comes from a server not yet migrated, and counts as the listener's.
func ownTable(payload, schema string) (string, bool) {
	i := strings.LastIndexByte(payload, '.')
	if i < 0 {
		return payload, true
	}
	return payload[i+1:], payload[:i] == schema
}
