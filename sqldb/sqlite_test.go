package sqldb_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/storetest"
)

func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) junction.Store { return sqldbtest.Open(t) })
}

// TestSQLiteLogCheckpointedInBackground writes to the database and sees the
// writes reach the database file with nothing else touching it: the
// writer's own checkpoint only runs once the log holds 64 MiB, so only the
// background checkpoint can have copied them.
func TestSQLiteLogCheckpointedInBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junction.db")
	db := sqldbtest.MustOpen(t, path, sqldb.Options{})
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the checkpoint of the migrations pass first.
	time.Sleep(500 * time.Millisecond)
	before := size()
	ctx := t.Context()
	for i := range 200 {
		if err := db.CreateTenant(ctx, &junction.Tenant{Name: "tenant " + strconv.Itoa(i) + strings.Repeat("x", 500)}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); size() <= before; {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes: the log was not checkpointed", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
