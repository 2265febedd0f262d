//go:build unix

package bench_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user plus system) the whole process has used so
// far: client, gateway and NATS server alike, as they share the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
