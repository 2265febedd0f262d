package natsgw_test

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/natsgwtest"
)

// BenchmarkObject puts and gets the same object through the gateway (SDK ->
// gRPC over loopback TCP -> gateway -> embedded NATS) and straight into
// nats.go's object store on the same embedded NATS, in the same run.
// Everything runs in one process, so the memory figures are the whole
// process (gateway, NATS server, gRPC on both ends). Per operation:
//
//   - MB/s: throughput (b.SetBytes);
//   - cpu-ms/op: CPU time of the whole process (the machine is shared, so
//     this is steadier than throughput);
//   - peak-heap-MiB: the largest HeapInuse growth over the level before the
//     operation (includes garbage not yet collected);
//   - peak-live-MiB: the largest growth of the live heap (as of the latest
//     GC).
//
// Run it with:
//
//	go test -run '^$' -bench BenchmarkObject -benchtime 3x .
func BenchmarkObject(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30} {
		if size > 64<<20 && testing.Short() {
			continue
		}
		for _, op := range []string{"put", "get"} {
			for _, path := range []string{"direct", "gateway"} {
				b.Run(fmt.Sprintf("size=%dMiB/op=%s/path=%s", size>>20, op, path), func(b *testing.B) {
					benchObject(b, size, op, path)
				})
			}
		}
	}
}

// objectTarget is the direct or the gateway object store.
type objectTarget struct {
	put func(ctx context.Context, name string, r io.Reader) error
	get func(ctx context.Context, name string, w io.Writer) error
	del func(ctx context.Context, name string) error
}

func benchObject(b *testing.B, size int64, op, path string) {
	srv := natsgwtest.NewServer(b)
	ctx := context.Background()
	var t objectTarget
	switch path {
	case "gateway":
		store := srv.Client(b, natsgw.WithOrg("bench")).ObjectStore("bench")
		t.put = func(ctx context.Context, name string, r io.Reader) error {
			_, err := store.Put(ctx, name, r)
			return err
		}
		t.get = func(ctx context.Context, name string, w io.Writer) error {
			r, err := store.Get(ctx, name)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(w, r)
			return err
		}
		t.del = store.Delete
	case "direct":
		js, err := jetstream.New(srv.NATS(b))
		if err != nil {
			b.Fatal(err)
		}
		obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		t.put = func(ctx context.Context, name string, r io.Reader) error {
			_, err := obs.Put(ctx, jetstream.ObjectMeta{Name: name}, r)
			return err
		}
		t.get = func(ctx context.Context, name string, w io.Writer) error {
			r, err := obs.Get(ctx, name)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(w, r)
			return err
		}
		t.del = obs.Delete
	}
	if op == "get" {
		if err := t.put(ctx, "obj", prng(7, size)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	var peakHeap, peakLive int64
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		w := watchHeap()
		b.StartTimer()
		var err error
		if op == "put" {
			err = t.put(ctx, fmt.Sprintf("obj-%d", i), prng(uint64(i), size))
		} else {
			err = t.get(ctx, "obj", io.Discard)
		}
		b.StopTimer()
		h, l := w.growth()
		peakHeap, peakLive = max(peakHeap, h), max(peakLive, l)
		if err != nil {
			b.Fatal(err)
		}
		if op == "put" {
			// Keep the disk use to one object.
			if err := t.del(ctx, fmt.Sprintf("obj-%d", i)); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MiB")
}

// cpuTime is the CPU time (user + system) the process used so far. The
// machine is shared, so CPU per operation is a steadier measure of cost than
// throughput.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkObjectRange reads 4 KiB of a 64 MiB object at its start, middle
// and end through the gateway: a range starts at its chunk (located with a
// few direct gets), so the time does not grow with the offset.
func BenchmarkObjectRange(b *testing.B) {
	srv := natsgwtest.NewServer(b)
	store := srv.Client(b, natsgw.WithOrg("bench")).ObjectStore("bench")
	ctx := context.Background()
	const size = 64 << 20
	if _, err := store.Put(ctx, "obj", prng(3, size)); err != nil {
		b.Fatal(err)
	}
	for _, at := range []struct {
		name string
		off  int64
	}{{"start", 0}, {"middle", size / 2}, {"end", size - 4096}} {
		b.Run("at="+at.name, func(b *testing.B) {
			b.SetBytes(4096)
			for b.Loop() {
				data, _, err := store.GetBytes(ctx, "obj", natsgw.WithRange(at.off, 4096))
				if err != nil || len(data) != 4096 {
					b.Fatal(len(data), err)
				}
			}
		})
	}
}
