package tasks_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
)

// unique_id makes a task unique: enqueueing it again while it is known
// adds nothing.
func TestUniqueID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	spec := &natsgwv1.TaskSpec{TaskType: "welcome", UniqueId: "user-42"}
	first, err := e.tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: "u", Task: spec})
	testutil.NoErr(t, err, "enqueue")
	testutil.Equal(t, [2]any{first.GetTaskId(), first.GetDuplicate()}, [2]any{"user-42", false}, "first")
	again, err := e.tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: "u", Task: spec})
	testutil.NoErr(t, err, "enqueue again")
	testutil.Equal(t, [2]any{again.GetTaskId(), again.GetDuplicate()}, [2]any{"user-42", true}, "again")
	// Scheduled ones too.
	later := &natsgwv1.TaskSpec{TaskType: "welcome", UniqueId: "user-43", Delay: dur(time.Hour)}
	for i, want := range []bool{false, true} {
		r, err := e.tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: "u", Task: later})
		testutil.NoErr(t, err, "enqueue scheduled")
		testutil.Equal(t, r.GetDuplicate(), want, fmt.Sprintf("scheduled duplicate %d", i))
	}
	st := stats(t, ctx, e.tc, "u")
	testutil.Equal(t, [2]uint64{st.GetQueued(), st.GetScheduled()}, [2]uint64{1, 1}, "queued, scheduled")
}

// A result expires after its result_ttl.
func TestResultExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	id := enqueue(t, ctx, e.tc, "r", &natsgwv1.TaskSpec{TaskType: "t", ResultTtl: dur(time.Second)})
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "r"})
	w.succeed(w.next().GetId(), []byte("42"))
	r, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "r", TaskId: id, Wait: dur(testutil.Eventually)})
	testutil.NoErr(t, err, "result")
	testutil.Equal(t, string(r.GetTask().GetResult()), "42", "result")
	testutil.Poll(t, "result expired", func() error {
		_, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "r", TaskId: id})
		if err == nil {
			return fmt.Errorf("result still there")
		}
		wantCode(t, err, codes.NotFound, "expired result")
		return nil
	})
	testutil.Equal(t, stats(t, ctx, e.tc, "r").GetSucceeded(), uint64(0), "succeeded after expiry")
}

// EnqueueBatch is all-or-nothing: an invalid task, or one NATS refuses,
// enqueues none.
func TestEnqueueBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	ok := func(i int) *natsgwv1.TaskSpec {
		return &natsgwv1.TaskSpec{TaskType: "t", Payload: []byte(fmt.Sprint(i))}
	}
	resp, err := e.tc.EnqueueBatch(ctx, &natsgwv1.EnqueueBatchRequest{Queue: "b", Tasks: []*natsgwv1.TaskSpec{ok(0), ok(1), {TaskType: "t", Delay: dur(time.Hour)}}})
	testutil.NoErr(t, err, "batch")
	testutil.Equal(t, len(resp.GetTaskIds()), 3, "ids")
	st := stats(t, ctx, e.tc, "b")
	testutil.Equal(t, [2]uint64{st.GetQueued(), st.GetScheduled()}, [2]uint64{2, 1}, "queued, scheduled")

	// One invalid task: nothing goes.
	_, err = e.tc.EnqueueBatch(ctx, &natsgwv1.EnqueueBatchRequest{Queue: "b", Tasks: []*natsgwv1.TaskSpec{ok(2), {TaskType: "bad type"}, ok(3)}})
	wantField(t, err, "tasks[1].task_type")
	// One task NATS refuses (a unique_id it has seen): nothing goes.
	_, err = e.tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: "b", Task: &natsgwv1.TaskSpec{TaskType: "t", UniqueId: "once"}})
	testutil.NoErr(t, err, "enqueue unique")
	_, err = e.tc.EnqueueBatch(ctx, &natsgwv1.EnqueueBatchRequest{Queue: "b", Tasks: []*natsgwv1.TaskSpec{ok(4), {TaskType: "t", UniqueId: "once"}, ok(5)}})
	wantCode(t, err, codes.AlreadyExists, "a batch with a duplicate unique_id")
	st = stats(t, ctx, e.tc, "b")
	testutil.Equal(t, [2]uint64{st.GetQueued(), st.GetScheduled()}, [2]uint64{3, 1}, "queued, scheduled after refused batches")
}

// Workers that name task types get only those; a queue's workers either
// all name types or all take every type.
func TestTaskTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	img := enqueue(t, ctx, e.tc, "m", &natsgwv1.TaskSpec{TaskType: "image"})
	mail := enqueue(t, ctx, e.tc, "m", &natsgwv1.TaskSpec{TaskType: "email"})
	wi := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "m", TaskTypes: []string{"image"}})
	testutil.Equal(t, wi.next().GetId(), img, "image worker's task")
	we := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "m", TaskTypes: []string{"email", "sms"}})
	testutil.Equal(t, we.next().GetId(), mail, "email worker's task")
	testutil.NoRecv(t, wi.tasks, "another task for the image worker")

	stream, err := e.tc.Work(ctx)
	testutil.NoErr(t, err, "work")
	testutil.NoErr(t, stream.Send(&natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: "m"}}), "start")
	_, err = stream.Recv()
	wantCode(t, err, codes.FailedPrecondition, "a worker for every type beside typed workers")
}

// PurgeQueue removes tasks by state; ListQueues and DeleteQueue.
func TestPurgeListDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	for range 3 {
		enqueue(t, ctx, e.tc, "p", &natsgwv1.TaskSpec{TaskType: "t"})
	}
	enqueue(t, ctx, e.tc, "p", &natsgwv1.TaskSpec{TaskType: "t", Delay: dur(time.Hour)})
	enqueue(t, ctx, e.tc, "other", &natsgwv1.TaskSpec{TaskType: "t"})
	queues, err := e.tc.ListQueues(ctx, &natsgwv1.ListQueuesRequest{})
	testutil.NoErr(t, err, "list queues")
	testutil.Equal(t, queues.GetQueues(), []string{"other", "p"}, "queues")

	list, err := e.tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: "p", State: natsgwv1.TaskState_TASK_STATE_QUEUED, Limit: 2})
	testutil.NoErr(t, err, "list page 1")
	testutil.Equal(t, len(list.GetTasks()), 2, "page 1")
	list, err = e.tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: "p", State: natsgwv1.TaskState_TASK_STATE_QUEUED, Limit: 2, PageToken: list.GetNextPageToken()})
	testutil.NoErr(t, err, "list page 2")
	testutil.Equal(t, [2]any{len(list.GetTasks()), list.GetNextPageToken()}, [2]any{1, ""}, "page 2")

	purged, err := e.tc.PurgeQueue(ctx, &natsgwv1.PurgeQueueRequest{Queue: "p", States: []natsgwv1.TaskState{natsgwv1.TaskState_TASK_STATE_QUEUED}})
	testutil.NoErr(t, err, "purge queued")
	testutil.Equal(t, purged.GetPurged(), uint64(3), "purged")
	st := stats(t, ctx, e.tc, "p")
	testutil.Equal(t, [2]uint64{st.GetQueued(), st.GetScheduled()}, [2]uint64{0, 1}, "queued, scheduled after purge")
	purged, err = e.tc.PurgeQueue(ctx, &natsgwv1.PurgeQueueRequest{Queue: "p"})
	testutil.NoErr(t, err, "purge all")
	testutil.Equal(t, purged.GetPurged(), uint64(1), "purged all")

	_, err = e.tc.DeleteQueue(ctx, &natsgwv1.DeleteQueueRequest{Queue: "p"})
	testutil.NoErr(t, err, "delete")
	_, err = e.tc.GetQueueStats(ctx, &natsgwv1.GetQueueStatsRequest{Queue: "p"})
	wantField(t, err, "queue")
	// Enqueue brings it back.
	enqueue(t, ctx, e.tc, "p", &natsgwv1.TaskSpec{TaskType: "t"})
	testutil.Equal(t, stats(t, ctx, e.tc, "p").GetQueued(), uint64(1), "queued after re-creation")
}
