// Package sqldbtest opens real databases for tests: a fresh SQLite file, or a
// fresh schema on the PostgreSQL server named by JUNCTION_TEST_POSTGRES. Each
// database is closed, and each schema dropped, when the test ends.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"junction/sqldb"
)

// PostgresEnv names the environment variable holding the URL of a
// PostgreSQL database tests may create schemas in, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "JUNCTION_TEST_POSTGRES"

// Open returns a migrated SQLite database in a temporary directory.
func Open(tb testing.TB) *sqldb.DB {
	tb.Helper()
	return OpenOptions(tb, sqldb.Options{})
}

// OpenOptions is Open with options (a fake clock, a logger).
func OpenOptions(tb testing.TB, opts sqldb.Options) *sqldb.DB {
	tb.Helper()
	return MustOpen(tb, filepath.Join(tb.TempDir(), "junction.db"), opts)
}

// MustOpen opens dsn and closes it when the test ends, failing the test on
// error.
func MustOpen(tb testing.TB, dsn string, opts sqldb.Options) *sqldb.DB {
	tb.Helper()
	db, err := sqldb.Open(context.Background(), dsn, opts)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close database: %v", err)
		}
	})
	return db
}

// OpenPostgres returns a migrated database in a new, randomly named schema,
// or skips the test when JUNCTION_TEST_POSTGRES is unset.
func OpenPostgres(tb testing.TB) *sqldb.DB {
	tb.Helper()
	return OpenPostgresOptions(tb, sqldb.Options{})
}

// OpenPostgresOptions is OpenPostgres with options.
func OpenPostgresOptions(tb testing.TB, opts sqldb.Options) *sqldb.DB {
	tb.Helper()
	return MustOpen(tb, PostgresSchema(tb), opts)
}

// PostgresSchema creates an empty, randomly named schema, drops it when the
// test ends, and returns a URL whose connections use it. It skips the test
// when JUNCTION_TEST_POSTGRES is unset.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skipf("%s is not set; skipping PostgreSQL", PostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "junction_test_" + hex.EncodeToString(b)

	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Backend opens one kind of database for a test.
type Backend struct {
	Name string // "sqlite" or "postgres"
	Open func(tb testing.TB, opts sqldb.Options) *sqldb.DB
}

// Backends returns SQLite, and PostgreSQL when JUNCTION_TEST_POSTGRES is
// set, for tests that should pass on both:
//
//	for _, b := range sqldbtest.Backends(t) {
//		t.Run(b.Name, func(t *testing.T) { db := b.Open(t, sqldb.Options{}); ... })
//	}
func Backends(tb testing.TB) []Backend {
	bs := []Backend{{Name: sqldb.DialectSQLite, Open: OpenOptions}}
	if os.Getenv(PostgresEnv) != "" {
		bs = append(bs, Backend{Name: sqldb.DialectPostgres, Open: OpenPostgresOptions})
	}
	return bs
}
