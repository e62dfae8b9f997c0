package sqldb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// postgresBase returns the test server's URL and an admin connection, or
// skips without one.
func postgresBase(t *testing.T) (*url.URL, *sql.DB) {
	t.Helper()
	base := os.Getenv(sqldbtest.PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", sqldbtest.PostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return u, admin
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// TestPostgresCreatesMissingSchema: the first start on a database whose
// search_path names a schema that does not exist yet creates it.
func TestPostgresCreatesMissingSchema(t *testing.T) {
	u, admin := postgresBase(t)
	schema := randomName("JunctionFirst_")
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
	})
	q := u.Query()
	q.Set("search_path", `"`+schema+`"`)
	u.RawQuery = q.Encode()
	db := sqldbtest.MustOpen(t, u.String(), sqldb.Options{})
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != sqldb.KnownSchemaVersion() {
		t.Fatalf("schema version %d, %v", v, err)
	}
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tenants'", schema).Scan(&n); err != nil || n != 1 {
		t.Fatalf("tenants table in %q: %d, %v", schema, n, err)
	}
}

// TestPostgresMissingSchemaWithoutRights: a role that may not create the
// schema is told the statement that would.
func TestPostgresMissingSchemaWithoutRights(t *testing.T) {
	u, admin := postgresBase(t)
	role := randomName("junction_norights_")
	if _, err := admin.Exec("CREATE ROLE " + role + " LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP ROLE IF EXISTS " + role) })
	schema := randomName("junction_missing_")
	u.User = url.User(role)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	_, err := sqldb.Open(context.Background(), u.String(), sqldb.Options{})
	if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(err.Error(), `CREATE SCHEMA "`+schema+`"`) {
		t.Fatalf("open without rights: %v", err)
	}
}

// TestPostgresChangesStayInTheirSchema: two installations in two schemas
// of one database share the notification channel but hear only their own
// changes.
func TestPostgresChangesStayInTheirSchema(t *testing.T) {
	a, b := sqldbtest.OpenPostgres(t), sqldbtest.OpenPostgres(t)
	ctx := context.Background()
	folder := func(db *sqldb.DB, name string) {
		t.Helper()
		tn := &junction.Tenant{Name: randomName("t")}
		if err := db.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		f := &junction.Folder{ID: junction.NewID(), TenantID: tn.ID, Name: name}
		f.Path = []string{f.ID}
		if err := db.CreateFolder(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	tables := make(chan string, 64)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.WatchChanges(wctx, func(table string) { tables <- table }, func() {})
	}()
	t.Cleanup(func() { cancel(); <-done })
	if table := <-tables; table != "" {
		t.Fatalf("first call names %q", table)
	}
	// Another installation's change, to a table b does not touch here: it
	// must not be heard.
	ta := &junction.Tenant{Name: randomName("t")}
	if err := a.CreateTenant(ctx, ta); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateUser(ctx, &junction.User{ID: junction.NewID(), TenantID: ta.ID, Name: "ann"}); err != nil {
		t.Fatal(err)
	}
	folder(b, "in-b")
	for _, want := range []string{"folders"} {
		select {
		case got := <-tables:
			if got != want {
				t.Fatalf("heard %q, want %q: another schema's change came through", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no announcement of %s", want)
		}
	}
}
