package tasks_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// A delayed task (delay or eta) is not delivered before its time, and is
// delivered within a second after it.
func TestDelayedTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "later", MaxInFlight: 10})
	for _, tc := range []struct {
		name string
		spec func(now time.Time) *natsgwv1.TaskSpec
		at   func(now time.Time) time.Time
	}{
		{"delay", func(time.Time) *natsgwv1.TaskSpec {
			return &natsgwv1.TaskSpec{TaskType: "t", Delay: dur(700 * time.Millisecond)}
		}, func(now time.Time) time.Time { return now.Add(700 * time.Millisecond) }},
		{"eta", func(now time.Time) *natsgwv1.TaskSpec {
			return &natsgwv1.TaskSpec{TaskType: "t", Eta: timestamppb.New(now.Add(500 * time.Millisecond))}
		}, func(now time.Time) time.Time { return now.Add(500 * time.Millisecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Now()
			resp, err := e.tc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: "later", Task: tc.spec(now)})
			testutil.NoErr(t, err, "enqueue")
			testutil.Equal(t, resp.GetState(), natsgwv1.TaskState_TASK_STATE_SCHEDULED, "state")
			info, err := e.tc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: "later", TaskId: resp.GetTaskId()})
			testutil.NoErr(t, err, "get task")
			testutil.Equal(t, info.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_SCHEDULED, "state before its time")
			testutil.Equal(t, stats(t, ctx, e.tc, "later").GetScheduled(), uint64(1), "scheduled count")
			got := w.next()
			arrived := time.Now()
			testutil.Equal(t, got.GetId(), resp.GetTaskId(), "task")
			due := tc.at(now)
			if arrived.Before(due) {
				t.Fatalf("delivered %s before its time", due.Sub(arrived))
			}
			if late := arrived.Sub(due); late > time.Second {
				t.Fatalf("delivered %s after its time", late)
			}
			w.succeed(got.GetId(), nil)
		})
	}
}

// A cancelled scheduled task never runs: a marker scheduled after it
// arrives alone.
func TestCancelScheduledTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	id := enqueue(t, ctx, e.tc, "later", &natsgwv1.TaskSpec{TaskType: "t", Delay: dur(300 * time.Millisecond)})
	marker := enqueue(t, ctx, e.tc, "later", &natsgwv1.TaskSpec{TaskType: "t", Delay: dur(600 * time.Millisecond)})
	_, err := e.tc.CancelTask(ctx, &natsgwv1.CancelTaskRequest{Queue: "later", TaskId: id})
	testutil.NoErr(t, err, "cancel")
	_, err = e.tc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: "later", TaskId: id})
	wantCode(t, err, codes.NotFound, "get a cancelled task")
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "later"})
	testutil.Equal(t, w.next().GetId(), marker, "first task delivered")
	// A queued (no longer scheduled) task cannot be cancelled.
	_, err = e.tc.CancelTask(ctx, &natsgwv1.CancelTaskRequest{Queue: "later", TaskId: marker})
	wantCode(t, err, codes.FailedPrecondition, "cancel a running task")
}

// A periodic schedule (every or cron) fires repeatedly, is listed, and
// stops when deleted.
func TestPeriodicSchedules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name     string
		schedule *natsgwv1.Schedule
	}{
		{"every", &natsgwv1.Schedule{Name: "tick", Every: dur(time.Second)}},
		{"cron", &natsgwv1.Schedule{Name: "cron-tick", Cron: "* * * * * *", TimeZone: "Europe/Paris"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := orgCtx(t, "acme")
			queue := "periodic-" + tc.name
			tc.schedule.Template = &natsgwv1.TaskSpec{TaskType: "report", Payload: []byte("daily"), Priority: natsgwv1.TaskPriority_TASK_PRIORITY_HIGH}
			_, err := e.tc.CreateSchedule(ctx, &natsgwv1.CreateScheduleRequest{Queue: queue, Schedule: tc.schedule})
			testutil.NoErr(t, err, "create schedule")
			list, err := e.tc.ListSchedules(ctx, &natsgwv1.ListSchedulesRequest{Queue: queue})
			testutil.NoErr(t, err, "list schedules")
			if len(list.GetSchedules()) != 1 || list.GetSchedules()[0].GetName() != tc.schedule.GetName() ||
				list.GetSchedules()[0].GetTemplate().GetTaskType() != "report" || list.GetSchedules()[0].GetCron() != tc.schedule.GetCron() {
				t.Fatalf("schedules = %v", list.GetSchedules())
			}
			w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: queue, MaxInFlight: 10})
			ids := map[string]bool{}
			for len(ids) < 2 {
				task := w.next()
				testutil.Equal(t, [3]any{task.GetTaskType(), string(task.GetPayload()), task.GetSchedule()}, [3]any{"report", "daily", tc.schedule.GetName()}, "tick")
				testutil.Equal(t, task.GetPriority(), natsgwv1.TaskPriority_TASK_PRIORITY_HIGH, "priority")
				info, err := e.tc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: queue, TaskId: task.GetId()})
				testutil.NoErr(t, err, "get a tick")
				testutil.Equal(t, info.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_RUNNING, "tick state")
				ids[task.GetId()] = true
				w.succeed(task.GetId(), nil)
			}
			_, err = e.tc.DeleteSchedule(ctx, &natsgwv1.DeleteScheduleRequest{Queue: queue, Name: tc.schedule.GetName()})
			testutil.NoErr(t, err, "delete schedule")
			deleted := time.Now()
			_, err = e.tc.DeleteSchedule(ctx, &natsgwv1.DeleteScheduleRequest{Queue: queue, Name: tc.schedule.GetName()})
			wantCode(t, err, codes.NotFound, "delete again")
			// A marker due after the next tick would have come: every tick
			// that arrives before it was stored before the delete.
			marker := enqueue(t, ctx, e.tc, queue, &natsgwv1.TaskSpec{TaskType: "marker", Delay: dur(1500 * time.Millisecond)})
			for {
				task := w.next()
				if task.GetId() == marker {
					break
				}
				if task.GetEnqueuedAt().AsTime().After(deleted) {
					t.Fatalf("tick %s stored at %s, after the delete at %s", task.GetId(), task.GetEnqueuedAt().AsTime(), deleted)
				}
				w.succeed(task.GetId(), nil)
			}
		})
	}
}

// Schedules, delayed tasks and dead tasks live in NATS: they outlast a
// restart of the gateway (and its embedded NATS).
func TestSurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithDataDir(t.TempDir()))
	tc := dial(t, srv)
	ctx := orgCtx(t, "acme")
	_, err := tc.CreateSchedule(ctx, &natsgwv1.CreateScheduleRequest{Queue: "r", Schedule: &natsgwv1.Schedule{Name: "tick", Every: dur(time.Second), Template: &natsgwv1.TaskSpec{TaskType: "tick"}}})
	testutil.NoErr(t, err, "create schedule")
	later := enqueue(t, ctx, tc, "r", &natsgwv1.TaskSpec{TaskType: "later", Delay: dur(1500 * time.Millisecond)})
	srv.Restart()
	w := startWorker(t, ctx, tc, &natsgwv1.WorkStart{Queue: "r", MaxInFlight: 10})
	seen := map[string]int{}
	for seen["tick"] < 2 || seen["later"] < 1 {
		task := w.next()
		seen[task.GetTaskType()]++
		w.succeed(task.GetId(), nil)
	}
	r, err := tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "r", TaskId: later, Wait: dur(testutil.Eventually)})
	testutil.NoErr(t, err, "result of the delayed task")
	testutil.Equal(t, r.GetTask().GetState(), natsgwv1.TaskState_TASK_STATE_SUCCEEDED, "delayed task after the restart")
}
