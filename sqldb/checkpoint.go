package sqldb

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// SQLite in WAL mode appends commits to the log and copies them back into
// the database file at checkpoints. By default the connection whose commit
// takes the log past 1,000 pages runs the checkpoint itself, before its
// commit returns: it copies the pages and syncs the log and the file. On
// the one writer connection every caller queued behind that commit waited
// for it too. Under a steady stream of small transactions (webhook events)
// BEGIN and COMMIT took about two thirds of the writer's busy time, and
// with checkpoints turned off the rate of events rose by a quarter.
//
// So the writer's own checkpoint is pushed back to walSafetyPages, and a
// goroutine of the DB checkpoints every checkpointEvery on a connection of
// its own. A PASSIVE checkpoint takes no lock a writer or reader needs: it
// runs beside the writer, copies what no reader still needs, and does
// nothing (no sync) when the log holds nothing new. The writer's checkpoint
// remains as a bound on the log should this one fall behind; the log is
// reset, and the file cut back to walSizeLimit, whenever it has been copied
// in full and no reader holds an older snapshot.
const (
	checkpointEvery = 200 * time.Millisecond
	walSafetyPages  = 16384    // 64 MiB of 4 KiB pages
	walSizeLimit    = 64 << 20 // bytes kept after a reset
)

// checkpointer runs PASSIVE checkpoints in the background until stopped.
type checkpointer struct {
	stop func()
	done chan struct{}
}

// startCheckpointer checkpoints the database conn opens every
// checkpointEvery; it owns conn and closes it when stopped.
func startCheckpointer(conn *sql.DB, logger *slog.Logger) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer conn.Close()
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		warned := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// busy is 1 when a concurrent RESTART or TRUNCATE checkpoint
			// held the lock, never for a PASSIVE one against writers.
			var busy, log, copied int
			err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
			if err != nil && ctx.Err() == nil {
				// The writer's own checkpoint still bounds the log.
				if !warned {
					warned = true
					logger.Warn("background WAL checkpoint failed; the writer checkpoints instead", slog.Any("error", err))
				}
			}
		}
	}()
	return c
}

// close stops the checkpoints and waits for the one under way.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.stop()
	<-c.done
}
