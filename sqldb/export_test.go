package sqldb

// KnownMigrations is how many migrations this binary applies to a new
// database: KnownSchemaVersion tells the last one's number, and numbers
// may have gaps.
func KnownMigrations() int {
	ms, err := migrations(DialectSQLite)
	if err != nil {
		return 0
	}
	return len(ms)
}
