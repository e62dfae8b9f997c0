package sqldb_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// dsnFor returns a fresh database address for each backend, so a test can
// open it more than once.
func dsnFor(t *testing.T, backend string) string {
	if backend == sqldb.DialectPostgres {
		return sqldbtest.PostgresSchema(t)
	}
	return filepath.Join(t.TempDir(), "junction.db")
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Name) })
	}
}

func TestOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		db := sqldbtest.MustOpen(t, dsnFor(t, backend), sqldb.Options{})
		if db.Dialect() != backend {
			t.Fatalf("dialect = %q, want %q", db.Dialect(), backend)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != sqldb.KnownSchemaVersion() || v < 1 {
			t.Fatalf("schema version = %d, want %d", v, sqldb.KnownSchemaVersion())
		}
	})
}

func TestOpenSQLitePrefixes(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite:" + filepath.Join(dir, "a.db"),
		"file:" + filepath.Join(dir, "b.db"),
		filepath.Join(dir, "c.db") + "?_pragma=cache_size(-4000)",
	} {
		db := sqldbtest.MustOpen(t, dsn, sqldb.Options{})
		if db.Dialect() != sqldb.DialectSQLite {
			t.Fatalf("%s: dialect %q", dsn, db.Dialect())
		}
	}
	_, err := sqldb.Open(context.Background(), "sqlite:", sqldb.Options{})
	if junction.ErrorCode(err) != junction.EINVALID {
		t.Fatalf("empty path: error %v, want validation_failed", err)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dsn := dsnFor(t, backend)
		db, err := sqldb.Open(ctx, dsn, sqldb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tn := &junction.Tenant{Name: "acme"}
		if err := db.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		db.Close()

		db = sqldbtest.MustOpen(t, dsn, sqldb.Options{})
		if _, err := db.GetTenant(ctx, tn.ID); err != nil {
			t.Fatalf("data lost on reopen: %v", err)
		}
		var rows int
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != sqldb.KnownMigrations() {
			t.Fatalf("schema_migrations has %d rows, want %d", rows, sqldb.KnownMigrations())
		}
	})
}

func TestSchemaTooNew(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dsn := dsnFor(t, backend)
		db := sqldbtest.MustOpen(t, dsn, sqldb.Options{})
		newer := sqldb.KnownSchemaVersion() + 1
		if _, err := db.SQL().ExecContext(ctx,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			newer, "from_the_future.sql", 0); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); junction.ErrorCode(err) != junction.ESCHEMATOONEW {
			t.Fatalf("CheckSchema: %v, want schema_too_new", err)
		}

		again, err := sqldb.Open(ctx, dsn, sqldb.Options{})
		if err == nil {
			again.Close()
			t.Fatal("Open accepted a schema newer than it knows")
		}
		if junction.ErrorCode(err) != junction.ESCHEMATOONEW {
			t.Fatalf("Open: %v, want schema_too_new", err)
		}
		if msg := junction.ErrorMessage(err); !strings.Contains(msg, "newer") {
			t.Fatalf("message %q does not say the schema is newer", msg)
		}
	})
}

// TestConcurrentOpen starts several servers on one fresh database at once:
// migrations must run once, and every Open must succeed.
func TestConcurrentOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dsn := dsnFor(t, backend)
		const servers = 4
		dbs := make([]*sqldb.DB, servers)
		errs := make([]error, servers)
		var wg sync.WaitGroup
		for i := range servers {
			wg.Go(func() { dbs[i], errs[i] = sqldb.Open(ctx, dsn, sqldb.Options{}) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("server %d: %v", i, err)
			}
			defer dbs[i].Close()
		}
		for _, db := range dbs {
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var rows int
		if err := dbs[0].SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != sqldb.KnownMigrations() {
			t.Fatalf("schema_migrations has %d rows, want %d", rows, sqldb.KnownMigrations())
		}
	})
}

func TestOpenUnreachable(t *testing.T) {
	_, err := sqldb.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "junction.db"), sqldb.Options{})
	if junction.ErrorCode(err) != junction.EUNAVAILABLE {
		t.Fatalf("error %v, want unavailable", err)
	}
	if !strings.Contains(junction.ErrorMessage(err), "sqlite") {
		t.Fatalf("message %q does not say which database", junction.ErrorMessage(err))
	}
}

func TestTx(t *testing.T) {
	ctx := context.Background()
	db := sqldbtest.Open(t)
	if sqldb.Tx(db) != nil {
		t.Fatal("Tx of the DB itself is not nil")
	}
	err := db.InTx(ctx, func(tx junction.Store) error {
		sqlTx := sqldb.Tx(tx)
		if sqlTx == nil {
			t.Fatal("Tx of a transaction's Store is nil")
		}
		if err := tx.CreateTenant(ctx, &junction.Tenant{Name: "acme"}); err != nil {
			return err
		}
		var n int
		if err := sqlTx.QueryRowContext(ctx, "SELECT COUNT(*) FROM tenants").Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			t.Fatalf("the transaction sees %d tenants, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
