// Package lockedmem holds small secrets (cache and key material) in memory
// that is outside the Go heap, locked against swapping and left out of core
// dumps where the operating system allows it, and zeroed when destroyed.
package lockedmem

import (
	"log/slog"
	"sync"
)

// Buffer is a fixed-size block of protected memory. It is not safe for
// concurrent use while being destroyed; readers must stop using Bytes before
// Destroy is called.
type Buffer struct {
	b      []byte // exactly the requested size
	region []byte // the whole mapping (page-rounded); nil for heap fallback
	locked bool
	mu     sync.Mutex
}

// warnOnce keeps a degraded environment (low RLIMIT_MEMLOCK, an OS without
// mlock) from flooding the log: one warning per process is enough to act on.
var warnOnce sync.Once

// New returns a zeroed Buffer of size bytes. When the memory cannot be locked
// or excluded from core dumps, the Buffer still works and a warning is logged
// once per process through logger (nil discards it). An error is returned only
// when no memory at all can be obtained or size is not positive.
func New(size int, logger *slog.Logger) (*Buffer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return newBuffer(size, logger)
}

// Bytes returns the protected memory. The slice is valid until Destroy; do
// not append to it (that would copy the contents onto the heap).
func (b *Buffer) Bytes() []byte { return b.b }

// Locked reports whether the memory is locked in RAM and excluded from core
// dumps. False means the Buffer fell back to ordinary memory.
func (b *Buffer) Locked() bool { return b.locked }

// Destroy zeroes the memory and releases it. It is safe to call more than
// once.
func (b *Buffer) Destroy() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return
	}
	clear(b.b)
	b.release()
	b.b, b.region = nil, nil
}

func warnDegraded(logger *slog.Logger, reason string, err error) {
	warnOnce.Do(func() {
		attrs := []any{slog.String("reason", reason)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		logger.Warn("secret memory is not locked: it may be swapped to disk or appear in core dumps "+
			"(raise RLIMIT_MEMLOCK, e.g. ulimit -l, to lock it)", attrs...)
	})
}
