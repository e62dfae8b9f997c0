package lockedmem

import "golang.org/x/sys/unix"

func dontDump(region []byte) error { return unix.Madvise(region, unix.MADV_DONTDUMP) }
