package bench_test

// The price of `--jetstream-sync always` (an fsync on every JetStream write
// before its acknowledgement) against NATS's default (fsync every 2
// minutes), for the calls whose confirmation a crash guarantee rests on:
// a unary PublishToStream (one at a time: its latency is what a caller
// waits for) and a confirmed ack (StreamMsg.AckSync in a Consume handler,
// work-queue retention, so each ack removes its message from the stream).
// Direct nats.go in the same run does the same: a synchronous
// jetstream.Publish and Msg.DoubleAck. Run:
//
//	go test ./bench -run '^$' -bench '^BenchmarkJetStreamSync$' -benchtime 2000x

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/natsgwtest"
)

func BenchmarkJetStreamSync(b *testing.B) {
	for _, policy := range []string{"default", "always"} {
		b.Run("sync="+policy, func(b *testing.B) {
			var opts []natsgwtest.Option
			if policy != "default" {
				opts = append(opts, natsgwtest.WithJetStreamSync(policy))
			}
			srv := natsgwtest.NewServer(b, append(opts, natsgwtest.WithNATSListener())...)
			nc, err := nats.Connect(srv.NATSURL())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(nc.Close)
			js, err := jetstream.New(nc)
			if err != nil {
				b.Fatal(err)
			}
			c := srv.Client(b, natsgw.WithOrg(jsOrg))
			ctx := context.Background()
			data := make([]byte, jsMsgSize)
			var seq atomic.Int64
			// queue makes a fresh work-queue stream with a consumer "w".
			queue := func(b *testing.B) (name, natsName, natsSubject string) {
				n := seq.Add(1)
				name = fmt.Sprint("Q", n)
				if _, err := c.CreateStream(ctx, natsgw.StreamConfig{Name: name, Subjects: []string{fmt.Sprint("q.", n)}, Retention: natsgw.WorkQueueRetention}); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = c.DeleteStream(ctx, name) })
				if _, err := c.CreateConsumer(ctx, name, natsgw.ConsumerConfig{Name: "w", MaxAckPending: 100000}); err != nil {
					b.Fatal(err)
				}
				return name, "tenant_" + jsOrg + "_" + name, fmt.Sprint("tenant.", jsOrg, ".q.", n)
			}
			b.Run("op=publish/path=direct-tcp", func(b *testing.B) {
				_, _, subj := queue(b)
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				for range b.N {
					if _, err := js.Publish(ctx, subj, data); err != nil {
						b.Fatal(err)
					}
				}
				report(b, start, cpu0)
			})
			b.Run("op=publish/path=gw", func(b *testing.B) {
				name, _, _ := queue(b)
				subj := "q." + name[1:]
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				for range b.N {
					if _, err := c.PublishToStream(ctx, name, subj, data); err != nil {
						b.Fatal(err)
					}
				}
				report(b, start, cpu0)
			})
			// fill stores b.N messages (not timed).
			fill := func(b *testing.B) (name, natsName string) {
				name, natsName, subj := queue(b)
				for range b.N {
					publishAsync(b, js, subj, data)
				}
				waitAsync(b, js)
				return name, natsName
			}
			b.Run("op=acksync/path=direct-tcp", func(b *testing.B) {
				_, natsName := fill(b)
				cons, err := js.Consumer(ctx, natsName, "w")
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan struct{})
				var n atomic.Int64
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				cc, err := cons.Consume(func(m jetstream.Msg) {
					if err := m.DoubleAck(ctx); err != nil {
						b.Error(err)
					}
					if n.Add(1) == int64(b.N) {
						close(done)
					}
				}, jetstream.PullMaxMessages(64))
				if err != nil {
					b.Fatal(err)
				}
				<-done
				report(b, start, cpu0)
				cc.Stop()
				<-cc.Closed()
			})
			b.Run("op=acksync/path=gw", func(b *testing.B) {
				name, _ := fill(b)
				done := make(chan struct{})
				var n atomic.Int64
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				cc, err := c.Consume(ctx, name, "w", func(m *natsgw.StreamMsg) {
					if err := m.AckSync(ctx); err != nil {
						b.Error(err)
					}
					if n.Add(1) == int64(b.N) {
						close(done)
					}
				}, natsgw.WithMaxInFlight(64))
				if err != nil {
					b.Fatal(err)
				}
				<-done
				report(b, start, cpu0)
				if err := cc.Stop(ctx); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
