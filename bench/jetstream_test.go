package bench_test

// JetStream through the gateway, side by side with nats.go's jetstream
// package on the same embedded NATS: pipelined publishing to a stream, and
// consuming with acknowledgements. File storage, one replica, 128-byte
// payloads; a fresh stream per run, deleted afterwards.
//
// Paths (path=...):
//   - direct-tcp:    nats.go over a TCP loopback connection to the embedded
//     NATS, as an application using NATS itself would. Ratios in
//     docs/BENCHMARKS.md are against this path.
//   - direct-inproc: the same over an in-process connection, the kind the
//     gateway has; for reference.
//   - gw:            the Go SDK over gRPC on TCP loopback to the gateway.
//
// Publish: gw is a StreamPublisher (PipelinePublish) publishing b.N
// messages and flushing; direct is jetstream.PublishAsync (window 4096, the
// gateway's too) and PublishAsyncComplete. Consume: the stream is filled
// first (not timed); gw is Client.Consume with a handler that calls
// StreamMsg.Ack (acknowledgements ride on the Consume stream), direct is
// Consumer.Consume with a handler that calls Msg.Ack, with the same number of
// messages in flight (inflight=N: WithMaxInFlight / PullMaxMessages).
// Reported: msgs/s and cpu-ns/msg, the process's CPU time per message
// (client, gateway and NATS share the process).

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/natsgwtest"
)

const (
	jsOrg     = "bench"
	jsMsgSize = 128
)

var jsStreamSeq atomic.Int64

// jsBench is one server with a gateway client and both direct connections.
type jsBench struct {
	c           *natsgw.Client
	tcp, inproc jetstream.JetStream
	fillJS      jetstream.JetStream
	data        []byte
}

func newJSBench(b *testing.B) *jsBench {
	srv := natsgwtest.NewServer(b, natsgwtest.WithNATSListener())
	nc, err := nats.Connect(srv.NATSURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	jb := &jsBench{c: srv.Client(b, natsgw.WithOrg(jsOrg)), data: make([]byte, jsMsgSize)}
	if jb.tcp, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
		b.Fatal(err)
	}
	if jb.inproc, err = jetstream.New(srv.NATS(b), jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
		b.Fatal(err)
	}
	jb.fillJS = jb.inproc
	return jb
}

// stream makes a fresh stream (deleted when the benchmark ends) and returns
// its name, its NATS name and the NATS subject of its messages.
func (jb *jsBench) stream(b *testing.B) (name, natsName, natsSubject string) {
	n := jsStreamSeq.Add(1)
	name = fmt.Sprint("BENCH", n)
	if _, err := jb.c.CreateStream(context.Background(), natsgw.StreamConfig{Name: name, Subjects: []string{fmt.Sprint("bench.", n)}}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = jb.c.DeleteStream(context.Background(), name) })
	return name, "tenant_" + jsOrg + "_" + name, fmt.Sprint("tenant.", jsOrg, ".bench.", n)
}

// publishAsync is an async JetStream publish that, like the gateway's
// pipeline, waits for room when the window stays full past nats.go's stall
// wait (instead of failing).
func publishAsync(b *testing.B, js jetstream.JetStream, subj string, data []byte) {
	for {
		_, err := js.PublishAsync(subj, data)
		if err == nil {
			return
		}
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			b.Fatal(err)
		}
		waitAsync(b, js)
	}
}

func waitAsync(b *testing.B, js jetstream.JetStream) {
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("async publishes not acknowledged within a minute")
	}
}

// report adds msgs/s and cpu-ns/msg for b.N messages since start and cpu0.
func report(b *testing.B, start time.Time, cpu0 time.Duration) {
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func BenchmarkJetStreamPublish(b *testing.B) {
	jb := newJSBench(b)
	ctx := context.Background()
	size := fmt.Sprintf("size=%dB", jsMsgSize)
	direct := func(js jetstream.JetStream) func(*testing.B) {
		return func(b *testing.B) {
			_, _, subj := jb.stream(b)
			b.SetBytes(jsMsgSize)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for range b.N {
				publishAsync(b, js, subj, jb.data)
			}
			waitAsync(b, js)
			b.StopTimer()
			report(b, start, cpu0)
		}
	}
	b.Run(size+"/path=direct-tcp", direct(jb.tcp))
	b.Run(size+"/path=direct-inproc", direct(jb.inproc))
	b.Run(size+"/path=gw", func(b *testing.B) {
		name, _, _ := jb.stream(b)
		subj := "bench." + name[len("BENCH"):]
		p, err := jb.c.NewStreamPublisher(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(jsMsgSize)
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		var last *natsgw.PubAckFuture
		for range b.N {
			if last, err = p.Publish(subj, jb.data); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		report(b, start, cpu0)
		if _, err := last.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		if err := p.Close(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkJetStreamConsumeAck(b *testing.B) {
	jb := newJSBench(b)
	ctx := context.Background()
	// fill stores n messages in a fresh stream (not timed) and makes a
	// durable consumer "w" on it.
	fill := func(b *testing.B) (name, natsName string) {
		name, natsName, subj := jb.stream(b)
		for range b.N {
			publishAsync(b, jb.fillJS, subj, jb.data)
		}
		waitAsync(b, jb.fillJS)
		if _, err := jb.c.CreateConsumer(ctx, name, natsgw.ConsumerConfig{Name: "w", MaxAckPending: 100000}); err != nil {
			b.Fatal(err)
		}
		return name, natsName
	}
	for _, inflight := range []int{64, 500} {
		prefix := fmt.Sprintf("size=%dB/inflight=%d", jsMsgSize, inflight)
		direct := func(js jetstream.JetStream) func(*testing.B) {
			return func(b *testing.B) {
				_, natsName := fill(b)
				cons, err := js.Consumer(ctx, natsName, "w")
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan struct{})
				var n atomic.Int64
				b.SetBytes(jsMsgSize)
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				cc, err := cons.Consume(func(m jetstream.Msg) {
					if err := m.Ack(); err != nil {
						b.Error(err)
					}
					if n.Add(1) == int64(b.N) {
						close(done)
					}
				}, jetstream.PullMaxMessages(inflight))
				if err != nil {
					b.Fatal(err)
				}
				<-done
				b.StopTimer()
				report(b, start, cpu0)
				cc.Stop()
				<-cc.Closed()
			}
		}
		b.Run(prefix+"/path=direct-tcp", direct(jb.tcp))
		b.Run(prefix+"/path=direct-inproc", direct(jb.inproc))
		b.Run(prefix+"/path=gw", func(b *testing.B) {
			name, _ := fill(b)
			done := make(chan struct{})
			var n atomic.Int64
			b.SetBytes(jsMsgSize)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			cc, err := jb.c.Consume(ctx, name, "w", func(m *natsgw.StreamMsg) {
				if err := m.Ack(ctx); err != nil {
					b.Error(err)
				}
				if n.Add(1) == int64(b.N) {
					close(done)
				}
			}, natsgw.WithMaxInFlight(inflight))
			if err != nil {
				b.Fatal(err)
			}
			<-done
			b.StopTimer()
			report(b, start, cpu0)
			if err := cc.Stop(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}
