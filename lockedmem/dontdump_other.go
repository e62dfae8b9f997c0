//go:build unix && !linux

package lockedmem

// dontDump is a no-op where MADV_DONTDUMP does not exist; mlock still keeps
// the memory off swap.
func dontDump([]byte) error { return nil }
