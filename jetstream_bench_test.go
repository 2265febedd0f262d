package natsgw_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/natsgwtest"
)

// The JetStream benchmarks compare the full natsgw path (SDK -> gRPC over
// loopback -> gateway -> embedded NATS) with nats.go's jetstream package
// talking to the same embedded NATS directly (in-process connection), in
// the same run. File storage, one replica.
//
//	go test -run '^$' -bench 'BenchmarkJetStream' -benchtime 200000x -count 3 .

var benchStreamSeq atomic.Int64

// benchStream makes a fresh file stream, deleted when the benchmark ends
// (so that runs do not pile data up), and returns its name and the subject
// to publish to.
func benchStream(b *testing.B, c *natsgw.Client) (string, string) {
	b.Helper()
	n := benchStreamSeq.Add(1)
	name, subj := fmt.Sprint("BENCH", n), fmt.Sprint("bench.", n)
	if _, err := c.CreateStream(context.Background(), natsgw.StreamConfig{Name: name, Subjects: []string{subj}}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.DeleteStream(context.Background(), name) })
	return name, subj
}

// directPublish is an async JetStream publish that, like the gateway's
// pipeline, waits for room when the window stays full past the stall wait
// (instead of failing, which nats.go does).
func directPublish(b *testing.B, js jetstream.JetStream, subj string, data []byte) {
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

func BenchmarkJetStreamPublish(b *testing.B) {
	srv := natsgwtest.NewServer(b)
	c := srv.Client(b, natsgw.WithOrg("bench"))
	js, err := jetstream.New(srv.NATS(b), jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, size := range []int{128} {
		data := make([]byte, size)
		b.Run(fmt.Sprintf("natsgw/size=%dB", size), func(b *testing.B) {
			stream, subj := benchStream(b, c)
			p, err := c.NewStreamPublisher(ctx, stream)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			start := time.Now()
			var last *natsgw.PubAckFuture
			for range b.N {
				if last, err = p.Publish(subj, data); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if _, err := last.Wait(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if err := p.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
		b.Run(fmt.Sprintf("direct/size=%dB", size), func(b *testing.B) {
			_, subj := benchStream(b, c)
			subj = "tenant.bench." + subj
			b.SetBytes(int64(size))
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				directPublish(b, js, subj, data)
			}
			waitAsync(b, js)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

func BenchmarkJetStreamConsumeAck(b *testing.B) {
	srv := natsgwtest.NewServer(b)
	c := srv.Client(b, natsgw.WithOrg("bench"))
	js, err := jetstream.New(srv.NATS(b), jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const size = 128
	data := make([]byte, size)
	// fill stores n messages in a fresh stream (not timed) and makes a
	// durable consumer on it.
	fill := func(b *testing.B, n int) (string, string) {
		b.Helper()
		stream, subj := benchStream(b, c)
		for range n {
			directPublish(b, js, "tenant.bench."+subj, data)
		}
		waitAsync(b, js)
		if _, err := c.CreateConsumer(ctx, stream, natsgw.ConsumerConfig{Name: "w", MaxAckPending: 100000}); err != nil {
			b.Fatal(err)
		}
		return stream, "tenant_bench_" + stream
	}
	for _, inflight := range []int{64, 500} {
		b.Run(fmt.Sprintf("natsgw/size=%dB/inflight=%d", size, inflight), func(b *testing.B) {
			stream, _ := fill(b, b.N)
			done := make(chan struct{})
			var n atomic.Int64
			b.SetBytes(size)
			b.ResetTimer()
			start := time.Now()
			cc, err := c.Consume(ctx, stream, "w", func(m *natsgw.StreamMsg) {
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
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if err := cc.Stop(ctx); err != nil {
				b.Fatal(err)
			}
		})
		b.Run(fmt.Sprintf("direct/size=%dB/inflight=%d", size, inflight), func(b *testing.B) {
			_, natsName := fill(b, b.N)
			cons, err := js.Consumer(ctx, natsName, "w")
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			var n atomic.Int64
			b.SetBytes(size)
			b.ResetTimer()
			start := time.Now()
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
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			cc.Stop()
			<-cc.Closed()
		})
	}
}
