package tasks_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
)

// A failing task is retried exactly max_retries times, each retry waiting
// at least its (growing) backoff, then it is dead with its last error;
// RetryTask runs it again.
func TestRetriesThenDeadThenRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	const initial = 200 * time.Millisecond
	id := enqueue(t, ctx, e.tc, "jobs", &natsgwv1.TaskSpec{
		TaskType:   "flaky",
		MaxRetries: u32(2),
		Backoff:    &natsgwv1.Backoff{Initial: dur(initial), Multiplier: 2},
	})
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "jobs", MaxInFlight: 4})
	var last time.Time
	for i := 0; i <= 2; i++ {
		task := w.next()
		now := time.Now()
		testutil.Equal(t, task.GetId(), id, "task id")
		testutil.Equal(t, task.GetRetries(), uint32(i), "retries so far")
		if i > 0 {
			testutil.Equal(t, task.GetError(), fmt.Sprintf("boom %d", i-1), "last error")
			// Never early: retry i waits initial * 2^(i-1).
			if want := initial << (i - 1); now.Sub(last) < want {
				t.Fatalf("retry %d came after %s, before its backoff %s", i, now.Sub(last), want)
			}
		}
		last = time.Now()
		w.retry(id, fmt.Sprintf("boom %d", i), nil)
		if i < 2 {
			testutil.Poll(t, "task retrying", func() error {
				st := stats(t, ctx, e.tc, "jobs")
				if st.GetRetrying()+st.GetQueued()+st.GetRunning() != 1 {
					return fmt.Errorf("stats %v", st)
				}
				return nil
			})
		}
	}
	r, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "jobs", TaskId: id, Wait: dur(testutil.Eventually)})
	testutil.NoErr(t, err, "result")
	testutil.Equal(t, r.GetReady(), true, "ready")
	testutil.Equal(t, r.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_DEAD, "state")
	testutil.Equal(t, r.GetTask().GetError(), "boom 2", "dead task's error")
	testutil.Equal(t, r.GetTask().GetRetries(), uint32(2), "retries")
	st := stats(t, ctx, e.tc, "jobs")
	testutil.Equal(t, [4]uint64{st.GetDead(), st.GetQueued(), st.GetRunning(), st.GetRetrying()}, [4]uint64{1, 0, 0, 0}, "dead, queued, running, retrying")
	dead, err := e.tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: "jobs", State: natsgwv1.TaskState_TASK_STATE_DEAD})
	testutil.NoErr(t, err, "list dead")
	if len(dead.GetTasks()) != 1 || dead.GetTasks()[0].GetId() != id {
		t.Fatalf("dead tasks = %v", dead.GetTasks())
	}
	testutil.NoRecv(t, w.tasks, "a fourth run")

	// Retrying the dead task runs it again, with its retries reset.
	_, err = e.tc.RetryTask(ctx, &natsgwv1.RetryTaskRequest{Queue: "jobs", TaskId: id})
	testutil.NoErr(t, err, "retry task")
	again := w.next()
	testutil.Equal(t, [2]any{again.GetId(), again.GetRetries()}, [2]any{id, uint32(0)}, "the retried task")
	w.succeed(id, []byte("ok"))
	r, err = e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "jobs", TaskId: id, Wait: dur(testutil.Eventually)})
	testutil.NoErr(t, err, "result after retry")
	testutil.Equal(t, r.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_SUCCEEDED, "state after retry")
	testutil.Equal(t, stats(t, ctx, e.tc, "jobs").GetDead(), uint64(0), "dead after retry")

	// A task that is not dead cannot be retried.
	_, err = e.tc.RetryTask(ctx, &natsgwv1.RetryTaskRequest{Queue: "jobs", TaskId: id})
	wantCode(t, err, codes.NotFound, "retry a succeeded task")
}

// A fail outcome kills a task at once, whatever its retries.
func TestFailIsDeadAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	id := enqueue(t, ctx, e.tc, "jobs", &natsgwv1.TaskSpec{TaskType: "bad"})
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "jobs"})
	w.fail(w.next().GetId(), "no such user")
	r, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "jobs", TaskId: id, Wait: dur(testutil.Eventually)})
	testutil.NoErr(t, err, "result")
	testutil.Equal(t, [2]any{r.GetTask().GetState(), r.GetTask().GetError()}, [2]any{natsgwv1.TaskState_TASK_STATE_DEAD, "no such user"}, "dead")
	testutil.NoRecv(t, w.tasks, "a second run")
}

// A worker that vanishes mid-task (its stream cancelled) has its task
// delivered to another worker after the task's timeout.
func TestVanishedWorkerTaskRunsElsewhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	id := enqueue(t, ctx, e.tc, "jobs", &natsgwv1.TaskSpec{TaskType: "long", Timeout: dur(time.Second)})
	w1 := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "jobs"})
	testutil.Equal(t, w1.next().GetId(), id, "first worker's task")
	w2 := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "jobs"})
	testutil.NoRecv(t, w2.tasks, "the task while the first worker holds it")
	w1.stop()
	got := w2.next()
	testutil.Equal(t, got.GetId(), id, "second worker's task")
	w2.succeed(id, nil)
	r, err := e.tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "jobs", TaskId: id, Wait: dur(testutil.Eventually)})
	testutil.NoErr(t, err, "result")
	testutil.Equal(t, r.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_SUCCEEDED, "state")
}
