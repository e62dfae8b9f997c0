package sqldb

import "testing"

// Both dialects must have the same migrations, so that one schema version
// means the same tables everywhere.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := migrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Fatalf("migration %d: sqlite %s, postgres %s", i+1, lite[i].name, pg[i].name)
		}
	}
}
