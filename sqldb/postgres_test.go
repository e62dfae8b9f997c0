package sqldb_test

import (
	"context"
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

// TestPostgresKeptInputsAnnounceNothing: the input a failed execution
// keeps is a new sealed value, in no server's cache, so writing it tells
// no server to drop its cache; replacing a sealed value still does.
func TestPostgresKeptInputsAnnounceNothing(t *testing.T) {
	db := sqldbtest.OpenPostgres(t)
	ctx := t.Context()
	tn := &junction.Tenant{Name: "acme"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	f := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: "F"}
	f.Path = []string{f.ID}
	if err := db.CreateFolder(ctx, f); err != nil {
		t.Fatal(err)
	}
	tables := make(chan string, 16)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.WatchChanges(wctx, func(table string) { tables <- table }, func() {})
	}()
	t.Cleanup(func() { cancel(); <-done })
	next := func() string {
		t.Helper()
		select {
		case table := <-tables:
			return table
		case <-time.After(10 * time.Second):
			t.Fatal("no change announced within 10s")
			return ""
		}
	}
	if table := next(); table != "" {
		t.Fatalf("first call names %q, want \"\" once listening", table)
	}

	sealed := func() *junction.SealedValue {
		return &junction.SealedValue{ID: junction.NewID(), TenantID: tn.ID, KeyID: "k1",
			WrappedKey: []byte("wrapped"), Nonce: []byte("nonce-12byte"), Ciphertext: []byte("ciphertext")}
	}
	x := &junction.Execution{TenantID: tn.ID, FolderID: f.ID, Activity: "ping", Status: "failed", Input: sealed()}
	if err := db.AppendExecution(ctx, x); err != nil {
		t.Fatal(err)
	}
	// A change that is announced, after which nothing else may come first.
	f.Name = "G"
	if err := db.UpdateFolder(ctx, f); err != nil {
		t.Fatal(err)
	}
	if table := next(); table != "folders" {
		t.Fatalf("announced %q first, want folders: a kept input was announced", table)
	}
	v := sealed()
	v.ID = x.InputSealedID
	if err := db.PutSealed(ctx, v); err != nil {
		t.Fatal(err)
	}
	if table := next(); table != "sealed_values" {
		t.Fatalf("a replaced sealed value announced %q, want sealed_values", table)
	}
}
