package tasks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestMain checks that no goroutine outlives the tests: Work streams, their
// pull requests and GetResult waits must all end with their calls.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The tests talk to TaskService through a plain gRPC client, as a client in
// any language would.

// env is one gateway (with embedded NATS) and a TaskService client.
type env struct {
	srv *natsgwtest.Server
	tc  natsgwv1.TaskServiceClient
}

func newEnv(t *testing.T, opts ...natsgwtest.Option) *env {
	t.Helper()
	srv := natsgwtest.NewServer(t, opts...)
	return &env{srv: srv, tc: dial(t, srv)}
}

func dial(t *testing.T, srv *natsgwtest.Server) natsgwv1.TaskServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "dial")
	t.Cleanup(func() { _ = conn.Close() })
	return natsgwv1.NewTaskServiceClient(conn)
}

// ctx is a call context of org, bounded by the test timeout.
func orgCtx(t *testing.T, org string) context.Context {
	t.Helper()
	return metadata.AppendToOutgoingContext(testutil.Context(t), "x-natsgw-org", org)
}

func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }
func u32(n uint32) *uint32                     { return &n }

// enqueue adds a task of type typ and returns its id.
func enqueue(t *testing.T, ctx context.Context, tc natsgwv1.TaskServiceClient, queue string, spec *natsgwv1.TaskSpec) string {
	t.Helper()
	resp, err := tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: queue, Task: spec})
	testutil.NoErr(t, err, "enqueue")
	return resp.GetTaskId()
}

// worker is a Work stream with its tasks arriving on a channel.
type worker struct {
	t      *testing.T
	stream natsgwv1.TaskService_WorkClient
	tasks  chan *natsgwv1.Task
	done   chan error // the stream's end
	cancel context.CancelFunc
}

func startWorker(t *testing.T, ctx context.Context, tc natsgwv1.TaskServiceClient, start *natsgwv1.WorkStart) *worker {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	stream, err := tc.Work(ctx)
	testutil.NoErr(t, err, "work")
	testutil.NoErr(t, stream.Send(&natsgwv1.WorkRequest{Start: start}), "send start")
	first, err := stream.Recv()
	testutil.NoErr(t, err, "ready")
	if first.GetReady() == nil {
		t.Fatalf("first frame %v is not ready", first)
	}
	w := &worker{t: t, stream: stream, tasks: make(chan *natsgwv1.Task, 1024), done: make(chan error, 1), cancel: cancel}
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				w.done <- err
				close(w.tasks)
				return
			}
			for _, task := range resp.GetTasks() {
				w.tasks <- task
			}
		}
	}()
	t.Cleanup(func() { w.stop() })
	return w
}

// stop ends the stream (as a vanished worker would) and waits for it.
func (w *worker) stop() {
	w.cancel()
	select {
	case <-w.done:
		w.done <- nil // later stops return at once
	case <-time.After(testutil.Eventually):
		w.t.Errorf("work stream did not end")
	}
}

func (w *worker) next() *natsgwv1.Task {
	w.t.Helper()
	task := testutil.Recv(w.t, w.tasks, "task")
	if task == nil {
		err := <-w.done
		w.done <- err
		w.t.Fatalf("work stream ended: %v", err)
	}
	return task
}

func (w *worker) outcome(o *natsgwv1.TaskOutcome) {
	w.t.Helper()
	testutil.NoErr(w.t, w.stream.Send(&natsgwv1.WorkRequest{Outcomes: []*natsgwv1.TaskOutcome{o}}), "send outcome")
}

func (w *worker) succeed(id string, result []byte) {
	w.t.Helper()
	w.outcome(&natsgwv1.TaskOutcome{TaskId: id, Outcome: &natsgwv1.TaskOutcome_Success{Success: &natsgwv1.TaskSuccess{Result: result}}})
}

func (w *worker) retry(id, msg string, delay *durationpb.Duration) {
	w.t.Helper()
	w.outcome(&natsgwv1.TaskOutcome{TaskId: id, Outcome: &natsgwv1.TaskOutcome_Retry{Retry: &natsgwv1.TaskRetry{Error: msg, Delay: delay}}})
}

func (w *worker) fail(id, msg string) {
	w.t.Helper()
	w.outcome(&natsgwv1.TaskOutcome{TaskId: id, Outcome: &natsgwv1.TaskOutcome_Fail{Fail: &natsgwv1.TaskFailure{Error: msg}}})
}

// stats returns a queue's counts.
func stats(t *testing.T, ctx context.Context, tc natsgwv1.TaskServiceClient, queue string) *natsgwv1.QueueStats {
	t.Helper()
	resp, err := tc.GetQueueStats(ctx, &natsgwv1.GetQueueStatsRequest{Queue: queue})
	testutil.NoErr(t, err, "stats")
	return resp.GetStats()
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// wantCode fails unless err is a status with code.
func wantCode(t *testing.T, err error, code codes.Code, what string) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("%s: got %v, want code %s", what, err, code)
	}
}

// wantField fails unless err is InvalidArgument with a BadRequest
// violation naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument naming %s", err, field)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Fatalf("got %v, want a violation of field %s", err, field)
}
