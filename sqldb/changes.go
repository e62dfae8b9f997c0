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
	return db.follow(ctx, changesChannel, func() { changed("") }, func(payload, schema string) {
		if table, ok := ownTable(payload, schema); ok {
			changed(table)
		}
	}, lost)
}

// rotationsChannel carries, from one server to the others, that a vault
// value was found changed (see AnnounceRotation).
const rotationsChannel = "junction_rotations"

// AnnounceRotation tells the other servers sharing the database that the
// value behind an asset was found rotated in its vault, so they drop it
// from their caches rather than each find out with a failed attempt of its
// own. The payload is the schema, this process's origin and IDs only,
// never a name or value. On
// SQLite, where one server owns the file, it does nothing.
func (db *DB) AnnounceRotation(ctx context.Context, tenantID, assetID string) error {
	if db.dialect != DialectPostgres {
		return nil
	}
	_, err := db.write.ExecContext(ctx, "SELECT pg_notify($1, current_schema() || '/' || $2 || '/' || $3 || '/' || $4)",
		rotationsChannel, db.origin, tenantID, assetID)
	if err != nil {
		return internal("announce rotation", err)
	}
	return nil
}

// WatchRotations calls rotated for every rotation another server announces
// in this schema (its own it knows of), until ctx is done, reconnecting like
// WatchChanges. A rotation announced while the connection was down is
// missed: the cache's hour, or the next failed attempt, still catches it.
// On SQLite it waits for ctx.
func (db *DB) WatchRotations(ctx context.Context, rotated func(tenantID, assetID string)) error {
	return db.follow(ctx, rotationsChannel, func() {}, func(payload, schema string) {
		parts := strings.Split(payload, "/")
		if len(parts) == 4 && parts[0] == schema && parts[1] != db.origin {
			rotated(parts[2], parts[3])
		}
	}, func() {})
}

// follow LISTENs on channel on PostgreSQL, calling ready once listening
// and handle with each notification's payload and the listener's schema,
// and reconnects with a growing pause up to five seconds after calling
// lost. On SQLite it calls ready and waits for ctx.
func (db *DB) follow(ctx context.Context, channel string, ready func(), handle func(payload, schema string), lost func()) error {
	if db.dialect != DialectPostgres {
		ready()
		<-ctx.Done()
		return ctx.Err()
	}
	pause := 100 * time.Millisecond
	for {
		err := db.listen(ctx, channel, ready, handle)
		lost()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The error names the host and user at most, never a password.
		db.logger.LogAttrs(ctx, slog.LevelWarn, "database notifications lost; reconnecting",
			slog.String("channel", channel), slog.Any("error", err), slog.Duration("retry_in", pause))
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
func (db *DB) listen(ctx context.Context, channel string, ready func(), handle func(payload, schema string)) error {
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
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	// Only now may a cache fill: a change committed before LISTEN took
	// effect would not be announced.
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		handle(n.Payload, schema)
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
