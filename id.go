package junction

import "github.com/google/uuid"

// NewID returns a new object identifier: a UUIDv7 string. Version 7 IDs sort by
// creation time, which makes them usable as stable pagination cursors and keeps
// B-tree inserts local.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether s looks like an ID Junction issued. Malformed IDs in
// paths are treated as not found rather than reaching the database.
func ValidID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
