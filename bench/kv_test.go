package bench_test

// Key-value Get and Put through the gateway, side by side with direct
// nats.go KV on the same embedded NATS, with 1 and 16 concurrent clients.
//
// Paths (the last sub-benchmark name, path=...):
//   - direct-tcp:    nats.go KV (jetstream package) over a TCP loopback
//     connection to the embedded NATS, as an application using NATS itself
//     would. Ratios in docs/BENCHMARKS.md are against this path.
//   - direct-inproc: nats.go KV over an in-process connection, the kind the
//     gateway has; an upper bound, for reference.
//   - gw:            the Go SDK (KeyValue.Get/Put) over gRPC on TCP loopback
//     to the gateway; Get may be answered by the gateway's read cache (the
//     default).
//   - gw-consistent: Get with WithConsistentRead, which reads NATS.
//
// clients=N: N clients, each its own connection (a nats.go connection, or an
// SDK client with its own gRPC connection). callers=16: 16 goroutines
// sharing one connection (one nats.go connection, or one SDK client), as one
// service with many goroutines does. Each client or caller runs one
// operation at a time; together they run b.N operations. Reported: ops/s,
// the p50 and p99 latency of single operations in µs, and the process's CPU
// time per operation (client, gateway and NATS share the process), which
// depends much less than wall-clock time on what else the machine is doing.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/tenant"
	"github.com/natsgw/natsgw/natsgwtest"
)

const (
	kvOrg       = "acme"
	kvKeys      = 1000
	kvValueSize = 128
)

// kvOp is one Get or Put on key i of a client's bucket handle.
type kvOp func(ctx context.Context, i int) error

// kvClient opens one client of a path and returns its operation.
type kvClient func(b *testing.B) kvOp

func BenchmarkKV(b *testing.B) {
	srv := natsgwtest.NewServer(b, natsgwtest.WithNATSListener())
	m, err := tenant.NewMapper(tenant.DefaultRoot)
	if err != nil {
		b.Fatal(err)
	}
	bucket := "bench"
	natsBucket, err := m.Name(kvOrg, bucket)
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, kvValueSize)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	keys := make([]string, kvKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key.%d", i)
	}
	// The bucket exists (as a first Put through the gateway makes it), with
	// every key set, before anything is timed.
	setup := srv.Client(b, natsgw.WithOrg(kvOrg)).KeyValue(bucket)
	for _, k := range keys {
		if _, err := setup.Put(context.Background(), k, value); err != nil {
			b.Fatal(err)
		}
	}

	direct := func(open func(b *testing.B) *nats.Conn, get bool) kvClient {
		return func(b *testing.B) kvOp {
			js, err := jetstream.New(open(b))
			if err != nil {
				b.Fatal(err)
			}
			kv, err := js.KeyValue(context.Background(), natsBucket)
			if err != nil {
				b.Fatal(err)
			}
			if get {
				return func(ctx context.Context, i int) error {
					e, err := kv.Get(ctx, keys[i%kvKeys])
					if err == nil && len(e.Value()) != kvValueSize {
						err = fmt.Errorf("value of %d bytes", len(e.Value()))
					}
					return err
				}
			}
			return func(ctx context.Context, i int) error {
				_, err := kv.Put(ctx, keys[i%kvKeys], value)
				return err
			}
		}
	}
	tcp := func(b *testing.B) *nats.Conn {
		nc, err := nats.Connect(srv.NATSURL())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		return nc
	}
	inproc := func(b *testing.B) *nats.Conn { return srv.NATS(b) }
	gw := func(get bool, opts ...natsgw.KVGetOption) kvClient {
		return func(b *testing.B) kvOp {
			kv := srv.Client(b, natsgw.WithOrg(kvOrg)).KeyValue(bucket)
			if get {
				return func(ctx context.Context, i int) error {
					e, err := kv.Get(ctx, keys[i%kvKeys], opts...)
					if err == nil && len(e.Value) != kvValueSize {
						err = fmt.Errorf("value of %d bytes", len(e.Value))
					}
					return err
				}
			}
			return func(ctx context.Context, i int) error {
				_, err := kv.Put(ctx, keys[i%kvKeys], value)
				return err
			}
		}
	}

	for _, op := range []string{"get", "put"} {
		get := op == "get"
		b.Run("op="+op, func(b *testing.B) {
			for _, tc := range []struct {
				name    string
				clients int
				shared  bool
			}{{"clients=1", 1, false}, {"clients=16", 16, false}, {"callers=16", 16, true}} {
				b.Run(tc.name, func(b *testing.B) {
					run := func(open kvClient) func(*testing.B) {
						return func(b *testing.B) { runKV(b, tc.clients, tc.shared, open) }
					}
					b.Run("path=direct-tcp", run(direct(tcp, get)))
					b.Run("path=direct-inproc", run(direct(inproc, get)))
					b.Run("path=gw", run(gw(get)))
					if get {
						b.Run("path=gw-consistent", run(gw(get, natsgw.WithConsistentRead())))
					}
				})
			}
		})
	}
}

// runKV opens the clients (or, when shared, one client used by every
// goroutine), then times b.N operations shared among them, each goroutine
// running one at a time.
func runKV(b *testing.B, clients int, shared bool, open kvClient) {
	ops := make([]kvOp, clients)
	for i := range ops {
		if shared && i > 0 {
			ops[i] = ops[0]
			continue
		}
		ops[i] = open(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lats := make([][]time.Duration, clients)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		failed  error
	)
	b.SetBytes(kvValueSize)
	b.ReportAllocs() // process-wide: client, gateway and NATS
	b.ResetTimer()
	cpu0 := cpuTime()
	for c, op := range ops {
		wg.Go(func() {
			lat := make([]time.Duration, 0, b.N/clients+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					break
				}
				start := time.Now()
				err := op(ctx, i)
				lat = append(lat, time.Since(start))
				if err != nil {
					errOnce.Do(func() { failed = err })
					cancel()
					break
				}
			}
			lats[c] = lat
		})
	}
	wg.Wait()
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if failed != nil {
		b.Fatal(failed)
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(all[len(all)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds())/1e3, "p99-µs")
	if cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
