//go:build unix

package webui_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process used so far, user and
// system: on a shared machine a page's wall time measures the machine's
// load as much as the page, its CPU time only the page (and the server's
// background loops, a small share).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
