package tasks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// Bad input gets InvalidArgument with a BadRequest violation naming the
// field, for every TaskService call; nothing reaches NATS.
func TestInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, natsgwtest.WithMaxPayload(64<<10))
	ctx := orgCtx(t, "acme")
	enqueue(t, ctx, e.tc, "known", &natsgwv1.TaskSpec{TaskType: "t"})
	tc := e.tc
	task := func(mod func(*natsgwv1.TaskSpec)) *natsgwv1.EnqueueRequest {
		spec := &natsgwv1.TaskSpec{TaskType: "t"}
		mod(spec)
		return &natsgwv1.EnqueueRequest{Queue: "known", Task: spec}
	}
	sched := func(mod func(*natsgwv1.Schedule)) *natsgwv1.CreateScheduleRequest {
		sc := &natsgwv1.Schedule{Name: "s", Every: dur(time.Second), Template: &natsgwv1.TaskSpec{TaskType: "t"}}
		mod(sc)
		return &natsgwv1.CreateScheduleRequest{Queue: "known", Schedule: sc}
	}
	type call func(context.Context) error
	enq := func(r *natsgwv1.EnqueueRequest) call {
		return func(ctx context.Context) error { _, err := tc.Enqueue(ctx, r); return err }
	}
	cs := func(r *natsgwv1.CreateScheduleRequest) call {
		return func(ctx context.Context) error { _, err := tc.CreateSchedule(ctx, r); return err }
	}
	unknown := "nope"
	for _, c := range []struct {
		name, field string
		call        call
	}{
		{"empty queue", "queue", enq(&natsgwv1.EnqueueRequest{Task: &natsgwv1.TaskSpec{TaskType: "t"}})},
		{"dotted queue", "queue", enq(&natsgwv1.EnqueueRequest{Queue: "a.b", Task: &natsgwv1.TaskSpec{TaskType: "t"}})},
		{"no task", "task", enq(&natsgwv1.EnqueueRequest{Queue: "known"})},
		{"empty task type", "task.task_type", enq(task(func(s *natsgwv1.TaskSpec) { s.TaskType = "" }))},
		{"wildcard task type", "task.task_type", enq(task(func(s *natsgwv1.TaskSpec) { s.TaskType = "a*" }))},
		{"negative delay", "task.delay", enq(task(func(s *natsgwv1.TaskSpec) { s.Delay = dur(-time.Second) }))},
		{"delay and eta", "task.eta", enq(task(func(s *natsgwv1.TaskSpec) { s.Delay = dur(time.Second); s.Eta = timestamppb.Now() }))},
		{"bad priority", "task.priority", enq(task(func(s *natsgwv1.TaskSpec) { s.Priority = 7 }))},
		{"max retries", "task.max_retries", enq(task(func(s *natsgwv1.TaskSpec) { s.MaxRetries = u32(5000) }))},
		{"zero timeout", "task.timeout", enq(task(func(s *natsgwv1.TaskSpec) { s.Timeout = dur(0) }))},
		{"result ttl", "task.result_ttl", enq(task(func(s *natsgwv1.TaskSpec) { s.ResultTtl = dur(time.Millisecond) }))},
		{"backoff multiplier", "task.backoff.multiplier", enq(task(func(s *natsgwv1.TaskSpec) { s.Backoff = &natsgwv1.Backoff{Multiplier: 0.5} }))},
		{"reserved header", "task.headers", enq(task(func(s *natsgwv1.TaskSpec) {
			s.Headers = map[string]*natsgwv1.HeaderValues{"Nats-Msg-Id": {Values: []string{"x"}}}
		}))},
		{"bad header", "task.headers", enq(task(func(s *natsgwv1.TaskSpec) {
			s.Headers = map[string]*natsgwv1.HeaderValues{"a b": {Values: []string{"x"}}}
		}))},
		{"bad unique id", "task.unique_id", enq(task(func(s *natsgwv1.TaskSpec) { s.UniqueId = "a b" }))},
		{"oversize payload", "task.payload", enq(task(func(s *natsgwv1.TaskSpec) { s.Payload = make([]byte, 64<<10) }))},
		{"empty batch", "tasks", func(ctx context.Context) error {
			_, err := tc.EnqueueBatch(ctx, &natsgwv1.EnqueueBatchRequest{Queue: "known"})
			return err
		}},
		{"huge batch", "tasks", func(ctx context.Context) error {
			tasks := make([]*natsgwv1.TaskSpec, 1001)
			for i := range tasks {
				tasks[i] = &natsgwv1.TaskSpec{TaskType: "t"}
			}
			_, err := tc.EnqueueBatch(ctx, &natsgwv1.EnqueueBatchRequest{Queue: "known", Tasks: tasks})
			return err
		}},
		{"bad task id", "task_id", func(ctx context.Context) error {
			_, err := tc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: "known", TaskId: "a.b"})
			return err
		}},
		{"long wait", "wait", func(ctx context.Context) error {
			_, err := tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: "known", TaskId: "x", Wait: dur(time.Hour)})
			return err
		}},
		{"no state", "state", func(ctx context.Context) error {
			_, err := tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: "known"})
			return err
		}},
		{"big limit", "limit", func(ctx context.Context) error {
			_, err := tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: "known", State: natsgwv1.TaskState_TASK_STATE_DEAD, Limit: 5000})
			return err
		}},
		{"bad page token", "page_token", func(ctx context.Context) error {
			_, err := tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: "known", State: natsgwv1.TaskState_TASK_STATE_DEAD, PageToken: "x"})
			return err
		}},
		{"bad purge state", "states[0]", func(ctx context.Context) error {
			_, err := tc.PurgeQueue(ctx, &natsgwv1.PurgeQueueRequest{Queue: "known", States: []natsgwv1.TaskState{42}})
			return err
		}},
		{"cron syntax", "schedule.cron", cs(sched(func(s *natsgwv1.Schedule) { s.Every = nil; s.Cron = "every day at noon" }))},
		{"cron and every", "schedule.every", cs(sched(func(s *natsgwv1.Schedule) { s.Cron = "* * * * * *" }))},
		{"neither cron nor every", "schedule.cron", cs(sched(func(s *natsgwv1.Schedule) { s.Every = nil }))},
		{"sub-second every", "schedule.every", cs(sched(func(s *natsgwv1.Schedule) { s.Every = dur(500 * time.Millisecond) }))},
		{"time zone with every", "schedule.time_zone", cs(sched(func(s *natsgwv1.Schedule) { s.TimeZone = "UTC" }))},
		{"unknown time zone", "schedule.time_zone", cs(sched(func(s *natsgwv1.Schedule) { s.Every = nil; s.Cron = "@daily"; s.TimeZone = "Mars/Olympus" }))},
		{"template delay", "schedule.template.delay", cs(sched(func(s *natsgwv1.Schedule) { s.Template.Delay = dur(time.Second) }))},
		{"bad schedule name", "schedule.name", cs(sched(func(s *natsgwv1.Schedule) { s.Name = "a.b" }))},
		{"no schedule", "schedule", cs(&natsgwv1.CreateScheduleRequest{Queue: "known"})},
		{"negative rate", "per_second", func(ctx context.Context) error {
			_, err := tc.SetRateLimit(ctx, &natsgwv1.SetRateLimitRequest{Queue: "known", TaskType: "t", PerSecond: -1})
			return err
		}},
		{"work without start", "start", func(ctx context.Context) error { return workErr(ctx, tc, &natsgwv1.WorkRequest{}) }},
		{"work bad type", "start.task_types[0]", func(ctx context.Context) error {
			return workErr(ctx, tc, &natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: "known", TaskTypes: []string{"a b"}}})
		}},
		{"work max in flight", "start.max_in_flight", func(ctx context.Context) error {
			return workErr(ctx, tc, &natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: "known", MaxInFlight: 5000}})
		}},
		{"work bad queue", "start.queue", func(ctx context.Context) error {
			return workErr(ctx, tc, &natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: strings.Repeat("q", 200)}})
		}},
		// Unknown queues, for every call that needs an existing one.
		{"unknown queue: stats", "queue", func(ctx context.Context) error {
			_, err := tc.GetQueueStats(ctx, &natsgwv1.GetQueueStatsRequest{Queue: unknown})
			return err
		}},
		{"unknown queue: get task", "queue", func(ctx context.Context) error {
			_, err := tc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: unknown, TaskId: "x"})
			return err
		}},
		{"unknown queue: get result", "queue", func(ctx context.Context) error {
			_, err := tc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: unknown, TaskId: "x"})
			return err
		}},
		{"unknown queue: list tasks", "queue", func(ctx context.Context) error {
			_, err := tc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: unknown, State: natsgwv1.TaskState_TASK_STATE_DEAD})
			return err
		}},
		{"unknown queue: retry", "queue", func(ctx context.Context) error {
			_, err := tc.RetryTask(ctx, &natsgwv1.RetryTaskRequest{Queue: unknown, TaskId: "x"})
			return err
		}},
		{"unknown queue: cancel", "queue", func(ctx context.Context) error {
			_, err := tc.CancelTask(ctx, &natsgwv1.CancelTaskRequest{Queue: unknown, TaskId: "x"})
			return err
		}},
		{"unknown queue: purge", "queue", func(ctx context.Context) error {
			_, err := tc.PurgeQueue(ctx, &natsgwv1.PurgeQueueRequest{Queue: unknown})
			return err
		}},
		{"unknown queue: delete", "queue", func(ctx context.Context) error {
			_, err := tc.DeleteQueue(ctx, &natsgwv1.DeleteQueueRequest{Queue: unknown})
			return err
		}},
		{"unknown queue: list schedules", "queue", func(ctx context.Context) error {
			_, err := tc.ListSchedules(ctx, &natsgwv1.ListSchedulesRequest{Queue: unknown})
			return err
		}},
		{"unknown queue: delete schedule", "queue", func(ctx context.Context) error {
			_, err := tc.DeleteSchedule(ctx, &natsgwv1.DeleteScheduleRequest{Queue: unknown, Name: "s"})
			return err
		}},
		{"unknown queue: pause", "queue", func(ctx context.Context) error {
			_, err := tc.PauseQueue(ctx, &natsgwv1.PauseQueueRequest{Queue: unknown})
			return err
		}},
		{"unknown queue: resume", "queue", func(ctx context.Context) error {
			_, err := tc.ResumeQueue(ctx, &natsgwv1.ResumeQueueRequest{Queue: unknown})
			return err
		}},
		{"unknown queue: rate limit", "queue", func(ctx context.Context) error {
			_, err := tc.SetRateLimit(ctx, &natsgwv1.SetRateLimitRequest{Queue: unknown, TaskType: "t", PerSecond: 1})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantField(t, c.call(ctx), c.field)
		})
	}
	// None of it created anything.
	queues, err := tc.ListQueues(ctx, &natsgwv1.ListQueuesRequest{})
	testutil.NoErr(t, err, "list queues")
	testutil.Equal(t, queues.GetQueues(), []string{"known"}, "queues")
	testutil.Equal(t, stats(t, ctx, tc, "known").GetQueued(), uint64(1), "queued")
}

// workErr opens a Work stream with first and returns how it ends.
func workErr(ctx context.Context, tc natsgwv1.TaskServiceClient, first *natsgwv1.WorkRequest) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := tc.Work(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(first); err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}
