//go:build unix

package lockedmem

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

func newBuffer(size int, logger *slog.Logger) (*Buffer, error) {
	if size <= 0 {
		return nil, fmt.Errorf("lockedmem: size must be positive, got %d", size)
	}
	page := os.Getpagesize()
	n := (size + page - 1) / page * page
	region, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		// Without a mapping there is nothing to protect; ordinary memory
		// still lets the caller work.
		warnDegraded(logger, "mmap failed", err)
		return &Buffer{b: make([]byte, size)}, nil
	}
	buf := &Buffer{b: region[:size:size], region: region, locked: true}
	if err := dontDump(region); err != nil {
		buf.locked = false
		warnDegraded(logger, "madvise(MADV_DONTDUMP) failed", err)
	}
	if err := unix.Mlock(region); err != nil {
		buf.locked = false
		warnDegraded(logger, "mlock failed", err)
	}
	return buf, nil
}

func (b *Buffer) release() {
	if b.region == nil {
		return
	}
	if b.locked {
		_ = unix.Munlock(b.region)
	}
	_ = unix.Munmap(b.region)
}
