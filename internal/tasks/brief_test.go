package tasks_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
)

// The brief's TaskQueue example on TaskService over plain gRPC, as a
// client in any language does it (README.md shows the Go SDK's form):
// enqueue with a priority and retries, a worker whose answer decides each
// task's outcome, the result read back.
func TestBriefTaskQueueOverGRPC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tasks := e.tc
	ctx := metadata.AppendToOutgoingContext(testutil.Context(t), "x-natsgw-org", "acme")
	var out []string
	print := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// enqueue_task: the queue exists from its first task.
	r, err := tasks.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: "TASKS", Task: &natsgwv1.TaskSpec{
		TaskType:   "send_email",
		Payload:    []byte(`{"to": "user@example.com", "subject": "Welcome!"}`),
		Priority:   natsgwv1.TaskPriority_TASK_PRIORITY_HIGH,
		MaxRetries: proto.Uint32(3),
	}})
	if err != nil {
		t.Fatal(err)
	}
	print("enqueued %t", r.GetTaskId() != "")

	// process_tasks: a worker with up to 10 tasks at a time.
	work, err := tasks.Work(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := work.Send(&natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: "TASKS", MaxInFlight: 10}}); err != nil {
		t.Fatal(err)
	}
	if _, err := work.Recv(); err != nil { // ready
		t.Fatal(err)
	}
	frame, err := work.Recv()
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range frame.GetTasks() {
		print("executing %s %s", task.GetTaskType(), task.GetPayload())
		outcome := &natsgwv1.TaskOutcome{TaskId: task.GetId(), Outcome: &natsgwv1.TaskOutcome_Success{
			Success: &natsgwv1.TaskSuccess{Result: []byte("sent")},
		}}
		if err := work.Send(&natsgwv1.WorkRequest{Outcomes: []*natsgwv1.TaskOutcome{outcome}}); err != nil {
			t.Fatal(err)
		}
	}

	// The result, from any instance.
	res, err := tasks.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "TASKS", TaskId: r.GetTaskId(), Wait: durationpb.New(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	print("%s %s", res.GetTask().GetState(), res.GetTask().GetResult())
	testutil.Equal(t, out, []string{
		"enqueued true",
		`executing send_email {"to": "user@example.com", "subject": "Welcome!"}`,
		"TASK_STATE_SUCCEEDED sent",
	}, "output")
}
