package sqldb_test

import (
	"database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/storetest"
)

// TestPostgresStore runs the conformance suite with every subtest in a
// schema of its own; it skips unless JUNCTION_TEST_POSTGRES is set.
func TestPostgresStore(t *testing.T) {
	sqldbtest.OpenPostgres(t) // skip early when unset
	storetest.Run(t, func(t *testing.T) junction.Store { return sqldbtest.OpenPostgres(t) })
}

// TestPostgresLockConnectionWaits checks that LockConnection is a real row
// lock: a second transaction locking the same connection waits until the
// first commits, then reads what it wrote. The test waits for the second
// transaction to be seen waiting on a lock, not for a time.
func TestPostgresLockConnectionWaits(t *testing.T) {
	db := sqldbtest.OpenPostgres(t)
	ctx := t.Context()
	tn := &junction.Tenant{Name: "acme"}
	must(t, db.CreateTenant(ctx, tn))
	f := &junction.Folder{TenantID: tn.ID, Name: "F"}
	f.ID = junction.NewID()
	f.Path = []string{f.ID}
	must(t, db.CreateFolder(ctx, f))
	c := &junction.Connection{TenantID: tn.ID, FolderID: f.ID, Connector: "github", Name: "before"}
	must(t, db.CreateConnection(ctx, c))

	secondPID := make(chan int, 1)
	secondRead := make(chan string, 1)
	secondErr := make(chan error, 1)
	must(t, db.InTx(ctx, func(tx junction.Store) error {
		first, err := tx.LockConnection(ctx, tn.ID, c.ID)
		if err != nil {
			return err
		}
		go func() {
			secondErr <- db.InTx(ctx, func(tx junction.Store) error {
				var pid int
				if err := sqldb.Tx(tx).QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
					return err
				}
				secondPID <- pid
				got, err := tx.LockConnection(ctx, tn.ID, c.ID)
				if err != nil {
					return err
				}
				secondRead <- got.Name
				return nil
			})
		}()
		waitForLockWait(t, db, <-secondPID, secondRead)
		first.Name = "after"
		return tx.UpdateConnection(ctx, first)
	}))
	must(t, <-secondErr)
	if name := <-secondRead; name != "after" {
		t.Fatalf("the second transaction read %q, want the first one's committed %q", name, "after")
	}
}

// waitForLockWait returns once the backend pid is waiting on a lock, and
// fails if that backend's transaction reads the connection instead.
func waitForLockWait(t *testing.T, db *sqldb.DB, pid int, read <-chan string) {
	t.Helper()
	for {
		select {
		case name := <-read:
			t.Fatalf("the second transaction locked the connection while the first held it (read %q)", name)
		default:
		}
		var waiting bool
		err := db.SQL().QueryRowContext(t.Context(),
			"SELECT COALESCE(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&waiting)
		if err != nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		if waiting {
			return
		}
		if t.Context().Err() != nil {
			t.Fatal("the second transaction never waited for the lock")
		}
		time.Sleep(2 * time.Millisecond) // polling a state, not waiting out a duration
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresConflict makes two transactions update two tenants in
// opposite orders: PostgreSQL aborts one of them as a deadlock, which
// Conflict recognises as worth running again, and the other commits.
func TestPostgresConflict(t *testing.T) {
	db := sqldbtest.OpenPostgres(t)
	ctx := t.Context()
	a, b := &junction.Tenant{Name: "a"}, &junction.Tenant{Name: "b"}
	must(t, db.CreateTenant(ctx, a))
	must(t, db.CreateTenant(ctx, b))
	rename := func(tx *sql.Tx, id, name string) error {
		_, err := tx.ExecContext(ctx, "UPDATE tenants SET name = $1 WHERE id = $2", name, id)
		return err
	}
	first, second := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 2)
	for i, order := range [][2]*junction.Tenant{{a, b}, {b, a}} {
		go func() {
			errs <- func() error {
				tx, err := db.SQL().BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer func() { _ = tx.Rollback() }()
				// Names are unique: each transaction writes its own.
				if err := rename(tx, order[0].ID, order[0].Name+strconv.Itoa(i)); err != nil {
					return err
				}
				// Each holds its first row before either asks for its
				// second.
				if i == 0 {
					close(first)
					<-second
				} else {
					close(second)
					<-first
				}
				if err := rename(tx, order[1].ID, order[1].Name+strconv.Itoa(i)); err != nil {
					return err
				}
				return tx.Commit()
			}()
		}()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want exactly one of the two to fail: %v, %v", e1, e2)
	}
	err := errors.Join(e1, e2)
	if !sqldb.Conflict(err) {
		t.Fatalf("Conflict(%v) = false", err)
	}
	if sqldb.Conflict(errors.New("other")) || sqldb.Conflict(nil) {
		t.Fatal("Conflict is true for an error that is not one")
	}
}
