package bench_test

// Core messaging through the gateway, side by side with direct nats.go.
//
// Paths (the last sub-benchmark name, path=...):
//   - direct-tcp:    a nats.go connection over TCP loopback to the embedded
//     NATS, which is what an application that uses NATS itself does. Ratios
//     in docs/BENCHMARKS.md are against this path.
//   - direct-inproc: a nats.go in-process connection (net.Pipe, no TCP), the
//     kind of connection the gateway itself has; an upper bound for NATS
//     in this process, reported for reference.
//   - gw-*:          the Go SDK over gRPC on TCP loopback to the gateway,
//     which talks to the same embedded NATS over its in-process connection.
//
// Every message is counted where it is received and checked for its size; a
// benchmark fails if any message is missing, dropped or of the wrong size.

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/tenant"
	"github.com/natsgw/natsgw/natsgwtest"
)

const (
	org = "acme"
	// waitTimeout bounds waiting for the last message of a run; reaching it
	// means messages were lost, which fails the benchmark.
	waitTimeout = time.Minute
	// window is how many messages the publisher of the Subscribe benchmark
	// keeps in flight (sent but not yet received). It is half the gateway's
	// default per-subscription buffer (8192), so a correct gateway never
	// drops, and it is the same for every path.
	window = 4096
)

var sizes = []int{16, 128, 1024}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return p
}

// env is one gateway with embedded NATS (with a TCP listener for the direct
// paths) for a whole benchmark function.
type env struct {
	srv    *natsgwtest.Server
	mapper tenant.Mapper
	seq    atomic.Int64
}

func newEnv(b *testing.B) *env {
	b.Helper()
	m, err := tenant.NewMapper(tenant.DefaultRoot)
	if err != nil {
		b.Fatal(err)
	}
	return &env{srv: natsgwtest.NewServer(b, natsgwtest.WithNATSListener()), mapper: m}
}

// subjects returns a fresh subject for one run, in the caller's view and as
// mapped into org on NATS; fresh subjects keep runs from seeing each other's
// messages.
func (e *env) subjects(b *testing.B, name string) (client, mapped string) {
	b.Helper()
	client = fmt.Sprintf("bench.%s.%d", name, e.seq.Add(1))
	mapped, err := e.mapper.PublishSubject(org, client)
	if err != nil {
		b.Fatal(err)
	}
	return client, mapped
}

// tcp opens a nats.go connection over TCP loopback.
func (e *env) tcp(b *testing.B) *nats.Conn {
	b.Helper()
	nc, err := nats.Connect(e.srv.NATSURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	return nc
}

// inproc opens an in-process nats.go connection.
func (e *env) inproc(b *testing.B) *nats.Conn { return e.srv.NATS(b) }

func (e *env) client(b *testing.B) *natsgw.Client {
	return e.srv.Client(b, natsgw.WithOrg(org))
}

// counter counts received messages and closes done when want have arrived.
type counter struct {
	size int
	want int64
	n    atomic.Int64
	bad  atomic.Int64 // messages whose size is not size
	done chan struct{}
	// credit gets a token every window/4 messages, for a windowed publisher.
	credit chan struct{}
}

func newCounter(want, size int) *counter {
	return &counter{size: size, want: int64(want), done: make(chan struct{}), credit: make(chan struct{}, 1)}
}

func (c *counter) add(dataLen int) {
	if dataLen != c.size {
		c.bad.Add(1)
	}
	n := c.n.Add(1)
	if n%(window/4) == 0 {
		select {
		case c.credit <- struct{}{}:
		default:
		}
	}
	if n == c.want {
		close(c.done)
	}
}

// wait waits for every message, then checks that there were exactly want of
// the right size.
func (c *counter) wait(b *testing.B) {
	b.Helper()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		b.Fatalf("received %d of %d messages within %s", c.n.Load(), c.want, waitTimeout)
	}
	if n := c.n.Load(); n != c.want {
		b.Fatalf("received %d messages, want %d", n, c.want)
	}
	if bad := c.bad.Load(); bad > 0 {
		b.Fatalf("%d messages were not %d bytes", bad, c.size)
	}
}

// awaitCredit blocks while sent-received >= window.
func (c *counter) awaitCredit(b *testing.B, sent int) {
	for int64(sent)-c.n.Load() >= window {
		select {
		case <-c.credit:
		case <-time.After(waitTimeout):
			b.Fatalf("publisher stalled: %d sent, %d received", sent, c.n.Load())
		}
	}
}

// meter measures one timed run: msgs/s from the benchmark's clock, and the
// process's CPU time per message, which depends much less than wall-clock
// time on what else the machine is doing (the cost of the whole path:
// client, gateway and NATS server share the process).
type meter struct{ cpu0 time.Duration }

// start resets the benchmark timer and starts measuring.
func start(b *testing.B) *meter {
	b.ReportAllocs() // process-wide, so allocations of every goroutine count
	b.ResetTimer()
	return &meter{cpu0: cpuTime()}
}

// stop stops the timer and reports msgs/s and cpu-ns/msg.
func (m *meter) stop(b *testing.B) {
	cpu := cpuTime() - m.cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if m.cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
	}
}

// checkErr fails the benchmark on err. Not for per-message loops: b.Helper
// takes a lock and walks the stack.
func checkErr(b *testing.B, err error, what string) {
	b.Helper()
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
}

// BenchmarkPublish measures publish throughput as messages received by one
// raw nats.go subscriber (in-process, the fastest receiver, with unlimited
// pending so it never drops) on the mapped subject "tenant.acme.<subject>".
// The clock runs until the subscriber has counted all b.N messages.
func BenchmarkPublish(b *testing.B) {
	e := newEnv(b)
	sink := e.inproc(b)
	directTCP, directIn := e.tcp(b), e.inproc(b)
	c := e.client(b)
	ctx := context.Background()
	for _, size := range sizes {
		data := payload(size)
		b.Run("size="+sizeName(size), func(b *testing.B) {
			direct := func(nc *nats.Conn) func(b *testing.B) {
				return func(b *testing.B) { e.runPublish(b, sink, size, publishDirect(nc, data)) }
			}
			b.Run("path=direct-tcp", direct(directTCP))
			b.Run("path=direct-inproc", direct(directIn))
			b.Run("path=gw-unary", func(b *testing.B) {
				e.runPublish(b, sink, size, func(subj, _ string, n int) error {
					for range n {
						if err := c.Publish(ctx, subj, data); err != nil {
							return err
						}
					}
					return nil
				})
			})
			b.Run("path=gw-batch100", func(b *testing.B) {
				e.runPublish(b, sink, size, func(subj, _ string, n int) error {
					batch := make([]*natsgw.Msg, 100)
					for i := range batch {
						batch[i] = &natsgw.Msg{Subject: subj, Data: data}
					}
					for sent := 0; sent < n; {
						k := min(len(batch), n-sent)
						got, err := c.PublishBatch(ctx, batch[:k])
						if err != nil {
							return err
						}
						if got != k {
							return fmt.Errorf("batch of %d: %d published", k, got)
						}
						sent += k
					}
					return nil
				})
			})
			b.Run("path=gw-stream", func(b *testing.B) { e.runPublish(b, sink, size, publishStream(c, data)) })
		})
	}
}

// publishDirect publishes n messages with nats.go and flushes.
func publishDirect(nc *nats.Conn, data []byte) func(_, mapped string, n int) error {
	return func(_, mapped string, n int) error {
		for range n {
			if err := nc.Publish(mapped, data); err != nil {
				return err
			}
		}
		return nc.Flush()
	}
}

// publishStream publishes n messages through the SDK's Publisher
// (PublishStream); Close waits for the gateway's confirmation.
func publishStream(c *natsgw.Client, data []byte) func(subj, _ string, n int) error {
	return func(subj, _ string, n int) error {
		ctx := context.Background()
		p, err := c.NewPublisher(ctx)
		if err != nil {
			return err
		}
		for range n {
			if err := p.Publish(subj, data); err != nil {
				return err
			}
		}
		return p.Close(ctx)
	}
}

// runPublish subscribes sink to a fresh subject, runs publish for b.N
// messages and waits until all of them have arrived.
func (e *env) runPublish(b *testing.B, sink *nats.Conn, size int, publish func(subj, mapped string, n int) error) {
	subj, mapped := e.subjects(b, "pub")
	cnt := newCounter(b.N, size)
	sub, err := sink.Subscribe(mapped, func(m *nats.Msg) { cnt.add(len(m.Data)) })
	checkErr(b, err, "subscribe")
	defer func() { _ = sub.Unsubscribe() }()
	checkErr(b, sub.SetPendingLimits(-1, -1), "pending limits")
	checkErr(b, sink.Flush(), "flush")
	b.SetBytes(int64(size))
	m := start(b)
	checkErr(b, publish(subj, mapped, b.N), "publish")
	cnt.wait(b)
	m.stop(b)
	if d, _ := sub.Dropped(); d > 0 {
		b.Fatalf("subscriber dropped %d messages", d)
	}
}

// BenchmarkSubscribe measures the delivery rate of one subscriber. The
// publisher is the same for every path: a raw nats.go in-process connection
// (the fastest publisher) that keeps at most `window` messages in flight, so
// that no path drops and every message is counted.
func BenchmarkSubscribe(b *testing.B) {
	e := newEnv(b)
	pub := e.inproc(b)
	directTCP, directIn := e.tcp(b), e.inproc(b)
	c := e.client(b)
	ctx := context.Background()
	for _, size := range sizes {
		data := payload(size)
		b.Run("size="+sizeName(size), func(b *testing.B) {
			direct := func(nc *nats.Conn) func(b *testing.B) {
				return func(b *testing.B) {
					e.runSubscribe(b, pub, data, func(_, mapped string, cnt *counter) func() {
						sub, err := nc.Subscribe(mapped, func(m *nats.Msg) { cnt.add(len(m.Data)) })
						checkErr(b, err, "subscribe")
						checkErr(b, nc.Flush(), "flush")
						return func() {
							if d, _ := sub.Dropped(); d > 0 {
								b.Fatalf("subscriber dropped %d messages", d)
							}
							_ = sub.Unsubscribe()
						}
					})
				}
			}
			b.Run("path=direct-tcp", direct(directTCP))
			b.Run("path=direct-inproc", direct(directIn))
			gwDone := func(b *testing.B, sub *natsgw.Subscription) func() {
				return func() {
					if d := sub.Dropped(); d > 0 {
						b.Fatalf("gateway dropped %d messages", d)
					}
					checkErr(b, sub.Unsubscribe(ctx), "unsubscribe")
				}
			}
			b.Run("path=gw-handler", func(b *testing.B) {
				e.runSubscribe(b, pub, data, func(subj, _ string, cnt *counter) func() {
					sub, err := c.Subscribe(ctx, subj, func(m *natsgw.Msg) { cnt.add(len(m.Data)) })
					checkErr(b, err, "subscribe")
					return gwDone(b, sub)
				})
			})
			b.Run("path=gw-next", func(b *testing.B) {
				e.runSubscribe(b, pub, data, func(subj, _ string, cnt *counter) func() {
					sub, err := c.SubscribeSync(ctx, subj)
					checkErr(b, err, "subscribe")
					go func() {
						for range cnt.want {
							m, err := sub.Next(ctx)
							if err != nil {
								return
							}
							cnt.add(len(m.Data))
						}
					}()
					return gwDone(b, sub)
				})
			})
		})
	}
}

// runSubscribe sets up a subscriber (subscribe returns its teardown), then
// publishes b.N messages of data through pub and waits until all arrived.
func (e *env) runSubscribe(b *testing.B, pub *nats.Conn, data []byte, subscribe func(subj, mapped string, cnt *counter) func()) {
	subj, mapped := e.subjects(b, "sub")
	cnt := newCounter(b.N, len(data))
	teardown := subscribe(subj, mapped, cnt)
	b.SetBytes(int64(len(data)))
	m := start(b)
	for sent := 0; sent < b.N; sent++ {
		cnt.awaitCredit(b, sent)
		if err := pub.Publish(mapped, data); err != nil {
			b.Fatalf("publish: %v", err)
		}
	}
	cnt.wait(b)
	m.stop(b)
	teardown()
}

// BenchmarkRequest measures request-reply round trips: requester and
// responder on two separate connections, both direct or both through the
// gateway (two SDK clients: Request and Handle). Each request has a 5 s
// timeout, as an application would set. Reports p50 and p99 in µs.
func BenchmarkRequest(b *testing.B) {
	e := newEnv(b)
	for _, size := range sizes {
		data := payload(size)
		b.Run("size="+sizeName(size), func(b *testing.B) {
			b.Run("path=direct-tcp", func(b *testing.B) { e.requestDirect(b, e.tcp, data) })
			b.Run("path=direct-inproc", func(b *testing.B) { e.requestDirect(b, e.inproc, data) })
			b.Run("path=gw", func(b *testing.B) { e.requestGateway(b, data) })
		})
	}
}

// requestTimeout is each request's timeout, as an application would set.
const requestTimeout = 5 * time.Second

// requestDirect runs round trips of data between two nats.go connections.
func (e *env) requestDirect(b *testing.B, open func(*testing.B) *nats.Conn, data []byte) {
	_, mapped := e.subjects(b, "req")
	responder, requester := open(b), open(b)
	sub, err := responder.Subscribe(mapped, func(m *nats.Msg) { _ = m.Respond(m.Data) })
	checkErr(b, err, "subscribe")
	defer func() { _ = sub.Unsubscribe() }()
	checkErr(b, responder.Flush(), "flush")
	runRequest(b, len(data), func() (int, error) {
		m, err := requester.Request(mapped, data, requestTimeout)
		if err != nil {
			return 0, err
		}
		return len(m.Data), nil
	})
}

// requestGateway runs round trips of data between two SDK clients (Request
// and Handle).
func (e *env) requestGateway(b *testing.B, data []byte) {
	subj, _ := e.subjects(b, "req")
	responder, requester := e.client(b), e.client(b)
	ctx := context.Background()
	sub, err := responder.Handle(ctx, subj, func(m *natsgw.Msg) { _ = m.Respond(ctx, m.Data) })
	checkErr(b, err, "handle")
	defer func() { _ = sub.Unsubscribe(ctx) }()
	runRequest(b, len(data), func() (int, error) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		m, err := requester.Request(ctx, subj, data)
		if err != nil {
			return 0, err
		}
		return len(m.Data), nil
	})
}

// runRequest times b.N sequential round trips of request, which returns the
// reply's size.
func runRequest(b *testing.B, size int, request func() (int, error)) {
	lat := make([]time.Duration, b.N)
	b.SetBytes(int64(size))
	m := start(b)
	for i := range lat {
		start := time.Now()
		n, err := request()
		lat[i] = time.Since(start)
		if err != nil {
			b.Fatalf("request: %v", err)
		}
		if n != size {
			b.Fatalf("reply of %d bytes, want %d", n, size)
		}
	}
	m.stop(b)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}
