package tasks_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// Every TaskService call of another organization, on a queue of the same
// name, reaches only that organization's queue: acme's tasks, results,
// schedules, pause and limits stay as they were, and what the other
// organization enqueues never reaches acme's workers.
func TestCrossOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acme, other := orgCtx(t, "acme"), orgCtx(t, "acme-2") // a look-alike organization
	tc := e.tc
	const q = "shared"
	// acme: a queued task, a dead one, a scheduled one, a schedule.
	queued := enqueue(t, acme, tc, q, &natsgwv1.TaskSpec{TaskType: "t", Priority: natsgwv1.TaskPriority_TASK_PRIORITY_HIGH, UniqueId: "u1"})
	scheduled := enqueue(t, acme, tc, q, &natsgwv1.TaskSpec{TaskType: "t", Delay: dur(time.Hour)})
	deadID := enqueue(t, acme, tc, q, &natsgwv1.TaskSpec{TaskType: "d"})
	wd := startWorker(t, acme, tc, &natsgwv1.WorkStart{Queue: q, TaskTypes: []string{"d"}})
	wd.fail(wd.next().GetId(), "dead")
	testutil.Poll(t, "dead", func() error {
		if stats(t, acme, tc, q).GetDead() != 1 {
			return errorf("not dead yet")
		}
		return nil
	})
	wd.stop()
	_, err := tc.CreateSchedule(acme, &natsgwv1.CreateScheduleRequest{Queue: q, Schedule: &natsgwv1.Schedule{Name: "nightly", Cron: "@daily", Template: &natsgwv1.TaskSpec{TaskType: "t"}}})
	testutil.NoErr(t, err, "acme schedule")
	before := stats(t, acme, tc, q)

	// The other organization: calls on its own queue of the same name.
	r, err := tc.Enqueue(other, &natsgwv1.EnqueueRequest{Queue: q, Task: &natsgwv1.TaskSpec{TaskType: "mine", UniqueId: "u1"}})
	testutil.NoErr(t, err, "other enqueue")
	testutil.Equal(t, r.GetDuplicate(), false, "the same unique_id in another organization")
	own, err := tc.GetTask(other, &natsgwv1.GetTaskRequest{Queue: q, TaskId: "u1"})
	testutil.NoErr(t, err, "other get its own u1")
	testutil.Equal(t, own.GetTask().GetTaskType(), "mine", "other's u1")
	_, err = tc.EnqueueBatch(other, &natsgwv1.EnqueueBatchRequest{Queue: q, Tasks: []*natsgwv1.TaskSpec{{TaskType: "t"}}})
	testutil.NoErr(t, err, "other batch")
	for _, id := range []string{scheduled, deadID} {
		_, err = tc.GetTask(other, &natsgwv1.GetTaskRequest{Queue: q, TaskId: id})
		wantCode(t, err, codes.NotFound, "other get task "+id)
		_, err = tc.GetResult(other, &natsgwv1.GetResultRequest{Queue: q, TaskId: id})
		wantCode(t, err, codes.NotFound, "other get result "+id)
		_, err = tc.RetryTask(other, &natsgwv1.RetryTaskRequest{Queue: q, TaskId: id})
		wantCode(t, err, codes.NotFound, "other retry "+id)
		_, err = tc.CancelTask(other, &natsgwv1.CancelTaskRequest{Queue: q, TaskId: id})
		wantCode(t, err, codes.NotFound, "other cancel "+id)
	}
	for _, st := range []natsgwv1.TaskState{natsgwv1.TaskState_TASK_STATE_QUEUED, natsgwv1.TaskState_TASK_STATE_SCHEDULED, natsgwv1.TaskState_TASK_STATE_DEAD} {
		l, err := tc.ListTasks(other, &natsgwv1.ListTasksRequest{Queue: q, State: st})
		testutil.NoErr(t, err, "other list")
		for _, task := range l.GetTasks() {
			if task.GetTaskType() != "mine" && (task.GetId() == queued || task.GetId() == scheduled || task.GetId() == deadID) {
				t.Fatalf("other organization lists acme's task %s", task.GetId())
			}
		}
	}
	ost := stats(t, other, tc, q)
	testutil.Equal(t, [3]uint64{ost.GetQueued(), ost.GetScheduled(), ost.GetDead()}, [3]uint64{2, 0, 0}, "other's own counts")
	schedules, err := tc.ListSchedules(other, &natsgwv1.ListSchedulesRequest{Queue: q})
	testutil.NoErr(t, err, "other list schedules")
	testutil.Equal(t, len(schedules.GetSchedules()), 0, "other's schedules")
	_, err = tc.DeleteSchedule(other, &natsgwv1.DeleteScheduleRequest{Queue: q, Name: "nightly"})
	wantCode(t, err, codes.NotFound, "other delete schedule")
	_, err = tc.CreateSchedule(other, &natsgwv1.CreateScheduleRequest{Queue: q, Schedule: &natsgwv1.Schedule{Name: "nightly", Cron: "@hourly", Template: &natsgwv1.TaskSpec{TaskType: "x"}}})
	testutil.NoErr(t, err, "other create schedule")
	_, err = tc.SetRateLimit(other, &natsgwv1.SetRateLimitRequest{Queue: q, TaskType: "t", PerSecond: 1})
	testutil.NoErr(t, err, "other rate limit")
	_, err = tc.PauseQueue(other, &natsgwv1.PauseQueueRequest{Queue: q})
	testutil.NoErr(t, err, "other pause")
	_, err = tc.ResumeQueue(other, &natsgwv1.ResumeQueueRequest{Queue: q})
	testutil.NoErr(t, err, "other resume")
	_, err = tc.PauseQueue(other, &natsgwv1.PauseQueueRequest{Queue: q})
	testutil.NoErr(t, err, "other pause again")
	queues, err := tc.ListQueues(other, &natsgwv1.ListQueuesRequest{})
	testutil.NoErr(t, err, "other list queues")
	testutil.Equal(t, queues.GetQueues(), []string{q}, "other's queues")

	// The other organization's worker sees only its own tasks: its marker
	// (LOW) comes after its two NORMAL tasks, and acme's HIGH task, had it
	// leaked, would have come first.
	_, err = tc.ResumeQueue(other, &natsgwv1.ResumeQueueRequest{Queue: q})
	testutil.NoErr(t, err, "other resume")
	marker := enqueue(t, other, tc, q, &natsgwv1.TaskSpec{TaskType: "t", Priority: natsgwv1.TaskPriority_TASK_PRIORITY_LOW})
	wo := startWorker(t, other, tc, &natsgwv1.WorkStart{Queue: q})
	for {
		task := wo.next()
		if task.GetPriority() == natsgwv1.TaskPriority_TASK_PRIORITY_HIGH {
			t.Fatalf("the other organization's worker got acme's task %s", task.GetId())
		}
		wo.succeed(task.GetId(), nil)
		if task.GetId() == marker {
			break
		}
	}
	wo.stop()
	purged, err := tc.PurgeQueue(other, &natsgwv1.PurgeQueueRequest{Queue: q})
	testutil.NoErr(t, err, "other purge")
	if purged.GetPurged() == 0 {
		t.Fatal("other purge removed nothing of its own")
	}
	_, err = tc.DeleteQueue(other, &natsgwv1.DeleteQueueRequest{Queue: q})
	testutil.NoErr(t, err, "other delete queue")

	// acme's queue is as it was.
	after := stats(t, acme, tc, q)
	testutil.Equal(t, [6]any{after.GetQueued(), after.GetScheduled(), after.GetDead(), after.GetPaused(), len(after.GetRateLimits()), after.GetRunning()},
		[6]any{before.GetQueued(), before.GetScheduled(), before.GetDead(), false, 0, uint64(0)}, "acme's counts")
	schedules, err = tc.ListSchedules(acme, &natsgwv1.ListSchedulesRequest{Queue: q})
	testutil.NoErr(t, err, "acme list schedules")
	if len(schedules.GetSchedules()) != 1 || schedules.GetSchedules()[0].GetCron() != "@daily" {
		t.Fatalf("acme's schedules = %v", schedules.GetSchedules())
	}
	queues, err = tc.ListQueues(acme, &natsgwv1.ListQueuesRequest{})
	testutil.NoErr(t, err, "acme list queues")
	testutil.Equal(t, queues.GetQueues(), []string{q}, "acme's queues")
	wa := startWorker(t, acme, tc, &natsgwv1.WorkStart{Queue: q, TaskTypes: []string{"t"}})
	testutil.Equal(t, wa.next().GetId(), queued, "acme's own task")
}

// State lives in NATS: one gateway enqueues, a worker on another runs the
// task, and either one answers inspection calls.
func TestAnyInstance(t *testing.T) {
	t.Parallel()
	first := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	second := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(first.NATSURL()))
	tc1, tc2 := dial(t, first), dial(t, second)
	ctx := orgCtx(t, "acme")
	id := enqueue(t, ctx, tc1, "x", &natsgwv1.TaskSpec{TaskType: "t"})
	w := startWorker(t, ctx, tc2, &natsgwv1.WorkStart{Queue: "x"})
	testutil.Equal(t, w.next().GetId(), id, "task on the other instance")
	for _, tc := range []natsgwv1.TaskServiceClient{tc1, tc2} {
		testutil.Equal(t, stats(t, ctx, tc, "x").GetRunning(), uint64(1), "running, seen from each instance")
	}
	res := make(chan *natsgwv1.GetResultResponse, 1)
	go func() {
		r, err := tc1.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "x", TaskId: id, Wait: dur(testutil.Eventually)})
		if err != nil {
			t.Errorf("result: %v", err)
		}
		res <- r
	}()
	w.succeed(id, []byte("done"))
	testutil.Equal(t, string(testutil.Recv(t, res, "result").GetTask().GetResult()), "done", "result on the first instance")
}
