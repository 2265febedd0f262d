package bench_test

// Task queues: tasks enqueued and completed per second through
// TaskService, against the raw gateway path the brief's TaskQueue example
// takes and against nats.go JetStream on the same embedded NATS, in one
// run; and the scheduling delay of delayed tasks.
//
// Every path enqueues b.N tasks of 128 B from 64 concurrent producers while
// one worker with 8 handlers completes them (64 in flight at the worker);
// the clock stops when the last task is completed.
//
// Paths (path=...):
//   - direct-tcp: nats.go over TCP loopback: PublishAsync into a work-queue
//     stream, Consumer.Consume (PullMaxMessages 64), 8 handler goroutines
//     that Ack.
//   - gw-raw: the Go SDK: PublishToStream (unary, 64 producers) into a
//     work-queue stream, Client.Consume with WithHandlers(8) and
//     WithMaxInFlight(64), StreamMsg.Ack.
//   - tasks: TaskService over plain gRPC:
//     Enqueue (unary, 64 producers), one Work stream (max_in_flight 64) fed
//     to 8 handler goroutines that answer success; outcomes go back in
//     frames of whatever is ready. The gateway stores each outcome (a
//     result record with a TTL) before acknowledging the task, which the
//     other paths do not do.

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
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/natsgwtest"
)

const (
	taskProducers = 64 // enough to keep every path busy on 2 cores
	taskHandlers  = 8
	taskInFlight  = 64
)

var taskQueueSeq atomic.Int64

func taskClient(b *testing.B, srv *natsgwtest.Server) natsgwv1.TaskServiceClient {
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return natsgwv1.NewTaskServiceClient(conn)
}

// produce runs n calls of enqueue(i) from taskProducers goroutines.
func produce(b *testing.B, n int, enqueue func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range taskProducers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := enqueue(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkTasks(b *testing.B) {
	srv := natsgwtest.NewServer(b, natsgwtest.WithNATSListener())
	nc, err := nats.Connect(srv.NATSURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	c := srv.Client(b, natsgw.WithOrg(jsOrg))
	tc := taskClient(b, srv)
	data := make([]byte, jsMsgSize)
	prefix := fmt.Sprintf("size=%dB/handlers=%d", jsMsgSize, taskHandlers)

	b.Run(prefix+"/path=direct-tcp", func(b *testing.B) {
		ctx := context.Background()
		n := taskQueueSeq.Add(1)
		name, subj := fmt.Sprint("DTASKS", n), fmt.Sprint("dtasks.", n)
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subj}, Retention: jetstream.WorkQueuePolicy}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = js.DeleteStream(ctx, name) })
		cons, err := js.CreateConsumer(ctx, name, jetstream.ConsumerConfig{Durable: "w", AckPolicy: jetstream.AckExplicitPolicy})
		if err != nil {
			b.Fatal(err)
		}
		msgs := make(chan jetstream.Msg, taskInFlight)
		var done atomic.Int64
		finished := make(chan struct{})
		var wg sync.WaitGroup
		for range taskHandlers {
			wg.Go(func() {
				for m := range msgs {
					if err := m.Ack(); err != nil {
						b.Error(err)
					}
					if done.Add(1) == int64(b.N) {
						close(finished)
					}
				}
			})
		}
		b.SetBytes(jsMsgSize)
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		cc, err := cons.Consume(func(m jetstream.Msg) { msgs <- m }, jetstream.PullMaxMessages(taskInFlight))
		if err != nil {
			b.Fatal(err)
		}
		produce(b, b.N, func(int) error {
			publishAsync(b, js, subj, data)
			return nil
		})
		waitAsync(b, js)
		<-finished
		b.StopTimer()
		report(b, start, cpu0)
		cc.Stop()
		<-cc.Closed()
		close(msgs)
		wg.Wait()
	})

	b.Run(prefix+"/path=gw-raw", func(b *testing.B) {
		ctx := context.Background()
		n := taskQueueSeq.Add(1)
		name, subj := fmt.Sprint("GTASKS", n), fmt.Sprint("gtasks.", n)
		if _, err := c.CreateStream(ctx, natsgw.StreamConfig{Name: name, Subjects: []string{subj}, Retention: natsgw.WorkQueueRetention}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.DeleteStream(context.Background(), name) })
		if _, err := c.CreateConsumer(ctx, name, natsgw.ConsumerConfig{Name: "w"}); err != nil {
			b.Fatal(err)
		}
		var done atomic.Int64
		finished := make(chan struct{})
		b.SetBytes(jsMsgSize)
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		cc, err := c.Consume(ctx, name, "w", func(m *natsgw.StreamMsg) {
			if err := m.Ack(ctx); err != nil {
				b.Error(err)
			}
			if done.Add(1) == int64(b.N) {
				close(finished)
			}
		}, natsgw.WithHandlers(taskHandlers), natsgw.WithMaxInFlight(taskInFlight))
		if err != nil {
			b.Fatal(err)
		}
		produce(b, b.N, func(int) error {
			_, err := c.PublishToStream(ctx, name, subj, data)
			return err
		})
		<-finished
		b.StopTimer()
		report(b, start, cpu0)
		if err := cc.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	})

	b.Run(prefix+"/path=tasks", func(b *testing.B) {
		ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "x-natsgw-org", jsOrg))
		defer cancel()
		queue := fmt.Sprint("bench", taskQueueSeq.Add(1))
		// Create the queue (not timed).
		if _, err := tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: queue, Task: &natsgwv1.TaskSpec{TaskType: "warm"}}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			_, _ = tc.DeleteQueue(metadata.AppendToOutgoingContext(context.Background(), "x-natsgw-org", jsOrg), &natsgwv1.DeleteQueueRequest{Queue: queue})
		})
		w := startTaskWorker(b, ctx, tc, queue, b.N+1)
		b.SetBytes(jsMsgSize)
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		produce(b, b.N, func(int) error {
			_, err := tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: queue, Task: &natsgwv1.TaskSpec{TaskType: "t", Payload: data}})
			return err
		})
		<-w.finished
		b.StopTimer()
		report(b, start, cpu0)
		w.stop()
	})
}

// taskWorker is a Work stream with handler goroutines and one sender that
// returns outcomes in frames of whatever is ready.
type taskWorker struct {
	finished chan struct{}
	stop     func()
	// arrivals, when set, receives each task as it arrives.
	arrivals chan *natsgwv1.Task
}

func startTaskWorker(b *testing.B, ctx context.Context, tc natsgwv1.TaskServiceClient, queue string, want int) *taskWorker {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := tc.Work(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := stream.Send(&natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: queue, MaxInFlight: taskInFlight}}); err != nil {
		b.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		b.Fatal(err)
	}
	w := &taskWorker{finished: make(chan struct{})}
	tasks := make(chan *natsgwv1.Task, taskInFlight)
	outcomes := make(chan *natsgwv1.TaskOutcome, taskInFlight)
	var done atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(tasks)
		for {
			resp, err := stream.Recv()
			if err != nil {
				return
			}
			for _, t := range resp.GetTasks() {
				tasks <- t
			}
		}
	})
	var handlers sync.WaitGroup
	for range taskHandlers {
		handlers.Go(func() {
			for t := range tasks {
				outcomes <- &natsgwv1.TaskOutcome{TaskId: t.GetId(), Outcome: &natsgwv1.TaskOutcome_Success{Success: &natsgwv1.TaskSuccess{}}}
				if done.Add(1) == int64(want) {
					close(w.finished)
				}
			}
		})
	}
	wg.Go(func() {
		for o := range outcomes {
			frame := []*natsgwv1.TaskOutcome{o}
		more:
			for len(frame) < taskInFlight {
				select {
				case o, ok := <-outcomes:
					if !ok {
						break more
					}
					frame = append(frame, o)
				default:
					break more
				}
			}
			if err := stream.Send(&natsgwv1.WorkRequest{Outcomes: frame}); err != nil {
				for range outcomes {
				}
				return
			}
		}
	})
	w.stop = func() {
		cancel()
		handlers.Wait()
		close(outcomes)
		wg.Wait()
	}
	return w
}

// BenchmarkTaskScheduleDelay schedules 1,000 tasks due 1 to 3 s later (2 ms
// apart) and reports how late each started: p50 and p99 of actual minus
// requested start, in milliseconds. path=direct is NATS message scheduling
// by itself (nats.go publishes the schedules into a stream, an ordered
// consumer reads what NATS stores on the target); path=tasks is Enqueue with
// a delay and a Work stream. Run with -benchtime 1x.
func BenchmarkTaskScheduleDelay(b *testing.B) {
	const n = 1000
	srv := natsgwtest.NewServer(b)
	tc := taskClient(b, srv)
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "x-natsgw-org", jsOrg))
	defer cancel()
	due := func(base time.Time, i int) time.Time {
		return base.Add(time.Second + time.Duration(i)*2*time.Millisecond)
	}
	reportLate := func(b *testing.B, late []time.Duration) {
		if len(late) < n {
			b.Fatalf("%d of %d delayed tasks started within a minute", len(late), n)
		}
		slices.Sort(late)
		b.ReportMetric(float64(late[n/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(late[n*99/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("path=direct", func(b *testing.B) {
		js, err := jetstream.New(srv.NATS(b))
		if err != nil {
			b.Fatal(err)
		}
		for range b.N {
			name := fmt.Sprint("SCHED", taskQueueSeq.Add(1))
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}, AllowMsgSchedules: true, AllowRollup: true}); err != nil {
				b.Fatal(err)
			}
			cons, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{FilterSubjects: []string{name + ".q"}})
			if err != nil {
				b.Fatal(err)
			}
			base := time.Now()
			for i := range n {
				m := nats.NewMsg(fmt.Sprint(name, ".s.", i))
				m.Header.Set("Nats-Schedule", "@at "+due(base, i).UTC().Format(time.RFC3339Nano))
				m.Header.Set("Nats-Schedule-Target", name+".q")
				m.Data = []byte(due(base, i).Format(time.RFC3339Nano))
				if _, err := js.PublishMsgAsync(m); err != nil {
					b.Fatal(err)
				}
			}
			<-js.PublishAsyncComplete()
			it, err := cons.Messages()
			if err != nil {
				b.Fatal(err)
			}
			var late []time.Duration
			for len(late) < n {
				m, err := it.Next()
				if err != nil {
					b.Fatal(err)
				}
				at, _ := time.Parse(time.RFC3339Nano, string(m.Data()))
				late = append(late, time.Since(at))
			}
			it.Stop()
			reportLate(b, late)
			_ = js.DeleteStream(ctx, name)
		}
	})
	b.Run("path=tasks", func(b *testing.B) {
		for range b.N {
			queue := fmt.Sprint("delay", taskQueueSeq.Add(1))
			if _, err := tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: queue, Task: &natsgwv1.TaskSpec{TaskType: "warm"}}); err != nil {
				b.Fatal(err)
			}
			stream, err := tc.Work(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := stream.Send(&natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: queue, MaxInFlight: 1000}}); err != nil {
				b.Fatal(err)
			}
			if _, err := stream.Recv(); err != nil {
				b.Fatal(err)
			}
			base := time.Now()
			produce(b, n, func(i int) error {
				_, err := tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: queue, Task: &natsgwv1.TaskSpec{TaskType: "t", Eta: timestamppb.New(due(base, i))}})
				return err
			})
			var late []time.Duration
			deadline := time.Now().Add(time.Minute)
			for len(late) < n && time.Now().Before(deadline) {
				resp, err := stream.Recv()
				if err != nil {
					b.Fatal(err)
				}
				now := time.Now()
				var outcomes []*natsgwv1.TaskOutcome
				for _, t := range resp.GetTasks() {
					outcomes = append(outcomes, &natsgwv1.TaskOutcome{TaskId: t.GetId(), Outcome: &natsgwv1.TaskOutcome_Success{Success: &natsgwv1.TaskSuccess{}}})
					if t.GetRunAt() != nil {
						late = append(late, now.Sub(t.GetRunAt().AsTime()))
					}
				}
				if err := stream.Send(&natsgwv1.WorkRequest{Outcomes: outcomes}); err != nil {
					b.Fatal(err)
				}
			}
			reportLate(b, late)
			_ = stream.CloseSend()
		}
	})
}
