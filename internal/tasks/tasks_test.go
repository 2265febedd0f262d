package tasks_test

import (
	"testing"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
)

// The vertical slice: enqueue, a worker runs the task, the result comes
// back through GetResult, and the counts follow.
func TestEnqueueWorkResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	id := enqueue(t, ctx, e.tc, "emails", &natsgwv1.TaskSpec{
		TaskType: "send_email",
		Payload:  []byte(`{"to":"user@example.com"}`),
		Headers:  map[string]*natsgwv1.HeaderValues{"Trace": {Values: []string{"t1"}}},
		Priority: natsgwv1.TaskPriority_TASK_PRIORITY_HIGH,
	})
	st := stats(t, ctx, e.tc, "emails")
	testutil.Equal(t, st.GetQueued(), uint64(1), "queued before work")

	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "emails"})
	got := w.next()
	testutil.Equal(t, got.GetId(), id, "task id")
	testutil.Equal(t, got.GetTaskType(), "send_email", "task type")
	testutil.Equal(t, string(got.GetPayload()), `{"to":"user@example.com"}`, "payload")
	testutil.Equal(t, got.GetHeaders()["Trace"].GetValues(), []string{"t1"}, "headers")
	testutil.Equal(t, got.GetState(), natsgwv1.TaskState_TASK_STATE_RUNNING, "state")
	testutil.Equal(t, got.GetMaxRetries(), uint32(3), "default max retries")

	info, err := e.tc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: "emails", TaskId: id})
	testutil.NoErr(t, err, "get task")
	testutil.Equal(t, info.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_RUNNING, "state while held")
	st = stats(t, ctx, e.tc, "emails")
	testutil.Equal(t, [2]uint64{st.GetQueued(), st.GetRunning()}, [2]uint64{0, 1}, "queued, running while held")

	// GetResult waits for the outcome.
	res := make(chan *natsgwv1.GetResultResponse, 1)
	go func() {
		r, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "emails", TaskId: id, Wait: dur(testutil.Eventually)})
		if err != nil {
			t.Errorf("get result: %v", err)
		}
		res <- r
	}()
	// Not ready yet without a wait.
	r, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "emails", TaskId: id})
	testutil.NoErr(t, err, "get result, no wait")
	testutil.Equal(t, r.GetReady(), false, "ready before the outcome")

	w.succeed(id, []byte("sent"))
	r = testutil.Recv(t, res, "result")
	testutil.Equal(t, r.GetReady(), true, "ready")
	testutil.Equal(t, string(r.GetTask().GetResult()), "sent", "result")
	testutil.Equal(t, r.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_SUCCEEDED, "state")

	testutil.Poll(t, "counts after success", func() error {
		st := stats(t, ctx, e.tc, "emails")
		if st.GetSucceeded() != 1 || st.GetQueued() != 0 || st.GetRunning() != 0 {
			return errorf("stats %v", st)
		}
		return nil
	})
	r, err = e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "emails", TaskId: id})
	testutil.NoErr(t, err, "get result again")
	testutil.Equal(t, string(r.GetTask().GetResult()), "sent", "stored result")
}
