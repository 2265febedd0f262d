package bench_test

// Object store Put and Get of large objects through the gateway, side by
// side with nats.go's object store on the same embedded NATS.
//
// Paths (path=...):
//   - direct-tcp:    nats.go ObjectStore.Put/Get (jetstream package) over a
//     TCP loopback connection to the embedded NATS, as an application using
//     NATS itself would. Ratios in docs/BENCHMARKS.md are against this path.
//   - direct-inproc: the same over an in-process connection, the kind the
//     gateway has; for reference.
//   - gw:            the Go SDK (ObjectStore.Put with an io.Reader, Get with
//     io.Copy) over gRPC on TCP loopback to the gateway.
//
// Every path has its own server, so the object sizes stay the disk use of
// one object at a time (puts delete what they stored). Reported per
// operation: MB/s; cpu-ms/op, the process's CPU time (client, gateway and
// NATS share the process; this depends much less than wall-clock time on
// what else the machine is doing); peak-heap-MiB and peak-live-MiB, the
// largest growth of HeapInuse (garbage included) and of the live heap over
// the level before the operation, for the whole process. The data comes
// from a deterministic generator, never held in memory.

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// objStore is one path's put, get and delete.
type objStore struct {
	put func(ctx context.Context, name string, r io.Reader) error
	get func(ctx context.Context, name string, w io.Writer) error
	del func(ctx context.Context, name string) error
}

func BenchmarkObject(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30} {
		if size > 64<<20 && testing.Short() {
			continue // -short: 64 MiB only
		}
		for _, op := range []string{"put", "get"} {
			b.Run(fmt.Sprintf("size=%dMiB/op=%s", size>>20, op), func(b *testing.B) {
				b.Run("path=direct-tcp", func(b *testing.B) { runObject(b, size, op, directObjects(b, true)) })
				b.Run("path=direct-inproc", func(b *testing.B) { runObject(b, size, op, directObjects(b, false)) })
				b.Run("path=gw", func(b *testing.B) { runObject(b, size, op, gwObjects(b)) })
			})
		}
	}
}

func directObjects(b *testing.B, tcp bool) objStore {
	srv := natsgwtest.NewServer(b, natsgwtest.WithNATSListener())
	nc := srv.NATS(b)
	if tcp {
		var err error
		if nc, err = nats.Connect(srv.NATSURL()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	obs, err := js.CreateObjectStore(context.Background(), jetstream.ObjectStoreConfig{Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return objStore{
		put: func(ctx context.Context, name string, r io.Reader) error {
			_, err := obs.Put(ctx, jetstream.ObjectMeta{Name: name}, r)
			return err
		},
		get: func(ctx context.Context, name string, w io.Writer) error {
			return copyTo(w)(obs.Get(ctx, name))
		},
		del: obs.Delete,
	}
}

func gwObjects(b *testing.B) objStore {
	srv := natsgwtest.NewServer(b)
	store := srv.Client(b, natsgw.WithOrg("bench")).ObjectStore("bench")
	return objStore{
		put: func(ctx context.Context, name string, r io.Reader) error {
			_, err := store.Put(ctx, name, r)
			return err
		},
		get: func(ctx context.Context, name string, w io.Writer) error {
			return copyTo(w)(store.Get(ctx, name))
		},
		del: store.Delete,
	}
}

// copyTo reads an opened object to its end into w and closes it.
func copyTo(w io.Writer) func(io.ReadCloser, error) error {
	return func(r io.ReadCloser, err error) error {
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	}
}

func runObject(b *testing.B, size int64, op string, s objStore) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if op == "get" {
		if err := s.put(ctx, "obj", testutil.RandomReader(7, size)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	var peakHeap, peakLive int64
	var cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		name := fmt.Sprintf("obj-%d", i)
		w := testutil.WatchHeap()
		cpu0 := cpuTime()
		b.StartTimer()
		var err error
		if op == "put" {
			err = s.put(ctx, name, testutil.RandomReader(uint64(i), size))
		} else {
			err = s.get(ctx, "obj", io.Discard)
		}
		b.StopTimer()
		cpu += cpuTime() - cpu0
		h, l := w.Stop()
		peakHeap, peakLive = max(peakHeap, h), max(peakLive, l)
		if err != nil {
			b.Fatal(err)
		}
		if op == "put" {
			if err := s.del(ctx, name); err != nil { // one object on disk at a time
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	if cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MiB")
}

// BenchmarkObjectRange reads 4 KiB of a 64 MiB object at its start, middle
// and end through the gateway: a range starts at its chunk (located with a
// few direct gets), so the time does not grow with the offset.
func BenchmarkObjectRange(b *testing.B) {
	srv := natsgwtest.NewServer(b)
	store := srv.Client(b, natsgw.WithOrg("bench")).ObjectStore("bench")
	ctx := context.Background()
	const size = 64 << 20
	if _, err := store.Put(ctx, "obj", testutil.RandomReader(3, size)); err != nil {
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
