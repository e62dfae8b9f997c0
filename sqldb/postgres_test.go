package sqldb_test

import (
	"testing"

	"junction"
	"junction/sqldb/sqldbtest"
	"junction/storetest"
)

// TestPostgresStore runs the conformance suite with every subtest in a
// schema of its own; it skips unless JUNCTION_TEST_POSTGRES is set.
func TestPostgresStore(t *testing.T) {
	sqldbtest.OpenPostgres(t) // skip early when unset
	storetest.Run(t, func(t *testing.T) junction.Store { return sqldbtest.OpenPostgres(t) })
}
