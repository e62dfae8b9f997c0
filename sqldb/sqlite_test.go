package sqldb_test

import (
	"testing"

	"junction"
	"junction/sqldb/sqldbtest"
	"junction/storetest"
)

func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) junction.Store { return sqldbtest.Open(t) })
}
