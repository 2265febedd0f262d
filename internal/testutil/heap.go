package testutil

import (
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// HeapWatch samples the process's heap every 10 ms while something runs, for
// tests and benchmarks that check that memory stays bounded.
type HeapWatch struct {
	baseHeap, baseLive uint64
	peakHeap, peakLive atomic.Uint64
	stop, done         chan struct{}
}

// WatchHeap runs a GC, notes the heap as the base level and starts sampling.
func WatchHeap() *HeapWatch {
	runtime.GC()
	w := &HeapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	w.baseHeap, w.baseLive = readHeap()
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			h, l := readHeap()
			w.peakHeap.Store(max(w.peakHeap.Load(), h))
			w.peakLive.Store(max(w.peakLive.Load(), l))
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// Stop ends the sampling and returns the peak growth over the base level of
// HeapInuse (which also counts garbage not yet collected, up to GOGC times
// the live heap) and of the live heap (what the latest GC found reachable).
func (w *HeapWatch) Stop() (heap, live int64) {
	close(w.stop)
	<-w.done
	return max(0, int64(w.peakHeap.Load())-int64(w.baseHeap)), max(0, int64(w.peakLive.Load())-int64(w.baseLive))
}

func readHeap() (inuse, live uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return ms.HeapInuse, s[0].Value.Uint64()
}

// RandomReader yields n deterministic pseudo-random bytes (the same for the
// same seed), for large test data that is never held in memory.
func RandomReader(seed uint64, n int64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return io.LimitReader(rand.NewChaCha8(key), n)
}
