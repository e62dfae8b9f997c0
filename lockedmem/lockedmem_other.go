//go:build !unix

package lockedmem

import (
	"fmt"
	"log/slog"
)

// Where mlock and mmap are not available the Buffer is ordinary heap memory,
// still zeroed on Destroy.
func newBuffer(size int, logger *slog.Logger) (*Buffer, error) {
	if size <= 0 {
		return nil, fmt.Errorf("lockedmem: size must be positive, got %d", size)
	}
	warnDegraded(logger, "memory locking is not supported on this operating system", nil)
	return &Buffer{b: make([]byte, size)}, nil
}

func (b *Buffer) release() {}
