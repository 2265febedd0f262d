//go:build !unix

package bench_test

import "time"

// cpuTime is not measured on this platform; cpu-ns/msg is then not reported.
func cpuTime() time.Duration { return 0 }
