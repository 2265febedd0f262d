package natsgw

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// TaskQueue is the handle of a task queue (TaskService): producers enqueue
// tasks, workers run them (Work), anyone in the organization reads results
// and inspects. Get one with Client.Tasks; it is safe for concurrent use.
type TaskQueue struct {
	queue string
	svc   natsgwv1.TaskServiceClient
	c     *Client
}

// Tasks returns the handle of task queue queue (letters, digits, '_' and
// '-'). It does no I/O; a queue comes into being with its first Enqueue,
// Schedule or Work.
func (c *Client) Tasks(queue string) *TaskQueue {
	return &TaskQueue{queue: queue, svc: natsgwv1.NewTaskServiceClient(c.conn), c: c}
}

// TaskQueues lists the organization's task queues, sorted.
func (c *Client) TaskQueues(ctx context.Context) ([]string, error) {
	r, err := natsgwv1.NewTaskServiceClient(c.conn).ListQueues(ctx, &natsgwv1.ListQueuesRequest{})
	if err != nil {
		return nil, convertError(err)
	}
	return r.GetQueues(), nil
}

// Queue is the queue's name.
func (q *TaskQueue) Queue() string { return q.queue }

// TaskPriority orders waiting tasks: a higher one always goes first.
type TaskPriority int

// Task priorities.
const (
	TaskPriorityLow TaskPriority = iota + 1
	TaskPriorityNormal
	TaskPriorityHigh
)

// TaskState is where a task is in its life.
type TaskState int

// Task states.
const (
	TaskScheduled TaskState = iota + 1 // waiting for its delay or eta
	TaskQueued                         // waiting for a worker
	TaskRunning                        // held by a worker
	TaskRetrying                       // waiting out a retry's backoff
	TaskSucceeded                      // done; its result is kept for its result TTL
	TaskDead                           // failed for good; kept until retried or purged
)

var taskStateNames = map[TaskState]string{
	TaskScheduled: "scheduled", TaskQueued: "queued", TaskRunning: "running",
	TaskRetrying: "retrying", TaskSucceeded: "succeeded", TaskDead: "dead",
}

func (s TaskState) String() string {
	if n, ok := taskStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("TaskState(%d)", int(s))
}

// ParseTaskState parses a state's name as String writes it.
func ParseTaskState(s string) (TaskState, error) {
	for st, n := range taskStateNames {
		if n == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown task state %q (scheduled, queued, running, retrying, succeeded, dead)", ErrInvalidArgument, s)
}

// Task is a task as the gateway reports it.
type Task struct {
	ID, Queue, Type string
	Payload         []byte
	Header          Header
	Priority        TaskPriority
	State           TaskState
	// Retries so far, and the limit.
	Retries, MaxRetries int
	Timeout             time.Duration
	EnqueuedAt          time.Time
	// RunAt is when it becomes runnable (eta or retry backoff); zero if
	// never delayed.
	RunAt      time.Time
	FinishedAt time.Time
	// Error is the last error a worker reported.
	Error string
	// Result is a succeeded task's result.
	Result []byte
	// Schedule is the periodic schedule that made it, if any.
	Schedule string
}

func taskFromProto(t *natsgwv1.Task) *Task {
	out := &Task{
		ID: t.GetId(), Queue: t.GetQueue(), Type: t.GetTaskType(), Payload: t.GetPayload(),
		Header: headerFromProto(t.GetHeaders()), Priority: TaskPriority(t.GetPriority()), State: TaskState(t.GetState()),
		Retries: int(t.GetRetries()), MaxRetries: int(t.GetMaxRetries()), Timeout: t.GetTimeout().AsDuration(),
		Error: t.GetError(), Result: t.GetResult(), Schedule: t.GetSchedule(),
	}
	if t.EnqueuedAt != nil {
		out.EnqueuedAt = t.GetEnqueuedAt().AsTime()
	}
	if t.RunAt != nil {
		out.RunAt = t.GetRunAt().AsTime()
	}
	if t.FinishedAt != nil {
		out.FinishedAt = t.GetFinishedAt().AsTime()
	}
	return out
}

// EnqueueOption sets an optional property of a task.
type EnqueueOption func(*enqueueOptions)

type enqueueOptions struct{ spec *natsgwv1.TaskSpec }

// WithDelay runs the task no earlier than d from now (Celery's countdown).
// Default: at once.
func WithDelay(d time.Duration) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.Delay = durationpb.New(d) }
}

// WithETA runs the task no earlier than t. Default: at once.
func WithETA(t time.Time) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.Eta = timestamppb.New(t) }
}

// WithPriority sets the task's priority. Default TaskPriorityNormal.
func WithPriority(p TaskPriority) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.Priority = natsgwv1.TaskPriority(p) }
}

// WithMaxRetries sets how often a failing task is retried before it is
// dead. Default 3.
func WithMaxRetries(n int) EnqueueOption {
	return func(o *enqueueOptions) { v := uint32(max(n, 0)); o.spec.MaxRetries = &v }
}

// WithBackoff sets the delays between retries: initial, growing by
// multiplier, at most max. Default 1s, 2, 1h.
func WithBackoff(initial time.Duration, multiplier float64, max time.Duration) EnqueueOption {
	return func(o *enqueueOptions) {
		o.spec.Backoff = &natsgwv1.Backoff{Initial: durationpb.New(initial), Multiplier: multiplier, Max: durationpb.New(max)}
	}
}

// WithTaskTimeout sets how long after its worker vanished a task runs
// again. Default 30s.
func WithTaskTimeout(d time.Duration) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.Timeout = durationpb.New(d) }
}

// WithUniqueID makes the task unique: its id is id, and enqueueing it
// again while it is known adds nothing. Default: a generated id.
func WithUniqueID(id string) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.UniqueId = id }
}

// WithResultTTL sets how long a succeeded task's result is kept. Default
// 24h.
func WithResultTTL(d time.Duration) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.ResultTtl = durationpb.New(d) }
}

// WithTaskHeader sets application headers delivered with the task.
// Default none.
func WithTaskHeader(h Header) EnqueueOption {
	return func(o *enqueueOptions) { o.spec.Headers = headerToProto(h) }
}

func taskSpec(taskType string, payload []byte, opts []EnqueueOption) *natsgwv1.TaskSpec {
	o := enqueueOptions{spec: &natsgwv1.TaskSpec{TaskType: taskType, Payload: payload}}
	for _, opt := range opts {
		opt(&o)
	}
	return o.spec
}

// Enqueue adds a task of type taskType and returns its id.
func (q *TaskQueue) Enqueue(ctx context.Context, taskType string, payload []byte, opts ...EnqueueOption) (string, error) {
	r, err := q.svc.Enqueue(ctx, &natsgwv1.EnqueueRequest{Queue: q.queue, Task: taskSpec(taskType, payload, opts)})
	if err != nil {
		return "", convertError(err)
	}
	return r.GetTaskId(), nil
}

// TaskSpec is one task of EnqueueBatch.
type TaskSpec struct {
	Type    string
	Payload []byte
	Options []EnqueueOption
}

// EnqueueBatch adds up to 1000 tasks all-or-nothing and returns their ids
// in order.
func (q *TaskQueue) EnqueueBatch(ctx context.Context, tasks ...TaskSpec) ([]string, error) {
	specs := make([]*natsgwv1.TaskSpec, len(tasks))
	for i, t := range tasks {
		specs[i] = taskSpec(t.Type, t.Payload, t.Options)
	}
	r, err := q.svc.EnqueueBatch(ctx, &natsgwv1.EnqueueBatchRequest{Queue: q.queue, Tasks: specs})
	if err != nil {
		return nil, convertError(err)
	}
	return r.GetTaskIds(), nil
}

// Result waits for task id to finish and returns it (State TaskSucceeded
// with its Result, or TaskDead with its Error). It waits until ctx ends
// (then ErrTimeout or ErrCanceled); without a deadline, at most 5 minutes
// per call to the gateway, as often as needed.
func (q *TaskQueue) Result(ctx context.Context, id string) (*Task, error) {
	for {
		wait := 5 * time.Minute
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl)-50*time.Millisecond)
		}
		wait = max(wait, 0)
		r, err := q.svc.GetResult(ctx, &natsgwv1.GetResultRequest{Queue: q.queue, TaskId: id, Wait: durationpb.New(wait)})
		if err != nil {
			return nil, convertError(err)
		}
		if r.GetReady() {
			return taskFromProto(r.GetTask()), nil
		}
		if err := ctx.Err(); err != nil {
			return nil, convertError(err)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 100*time.Millisecond {
			return nil, fmt.Errorf("%w: task %s did not finish in time", ErrTimeout, id)
		}
	}
}

// Task returns task id in its current state.
func (q *TaskQueue) Task(ctx context.Context, id string) (*Task, error) {
	r, err := q.svc.GetTask(ctx, &natsgwv1.GetTaskRequest{Queue: q.queue, TaskId: id})
	if err != nil {
		return nil, convertError(err)
	}
	return taskFromProto(r.GetTask()), nil
}

// List returns up to limit tasks (all of them with limit 0) in state,
// oldest first.
func (q *TaskQueue) List(ctx context.Context, state TaskState, limit int) ([]*Task, error) {
	var out []*Task
	token := ""
	for {
		page := uint32(1000)
		if limit > 0 {
			page = uint32(min(limit-len(out), 1000))
		}
		r, err := q.svc.ListTasks(ctx, &natsgwv1.ListTasksRequest{Queue: q.queue, State: natsgwv1.TaskState(state), Limit: page, PageToken: token})
		if err != nil {
			return nil, convertError(err)
		}
		for _, t := range r.GetTasks() {
			out = append(out, taskFromProto(t))
		}
		token = r.GetNextPageToken()
		if token == "" || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
	}
}

// TaskQueueStats counts a queue's tasks by state.
type TaskQueueStats struct {
	Queue                                                 string
	Scheduled, Queued, Running, Retrying, Succeeded, Dead int
	Paused                                                bool
	// PausedUntil is when a pause with an end ends.
	PausedUntil time.Time
	// RateLimits are tasks per second by task type.
	RateLimits map[string]float64
}

// Stats counts the queue's tasks by state.
func (q *TaskQueue) Stats(ctx context.Context) (*TaskQueueStats, error) {
	r, err := q.svc.GetQueueStats(ctx, &natsgwv1.GetQueueStatsRequest{Queue: q.queue})
	if err != nil {
		return nil, convertError(err)
	}
	s := r.GetStats()
	out := &TaskQueueStats{
		Queue: s.GetQueue(), Scheduled: int(s.GetScheduled()), Queued: int(s.GetQueued()), Running: int(s.GetRunning()),
		Retrying: int(s.GetRetrying()), Succeeded: int(s.GetSucceeded()), Dead: int(s.GetDead()),
		Paused: s.GetPaused(), RateLimits: s.GetRateLimits(),
	}
	if s.PausedUntil != nil {
		out.PausedUntil = s.GetPausedUntil().AsTime()
	}
	return out, nil
}

// Retry puts dead task id back in the queue.
func (q *TaskQueue) Retry(ctx context.Context, id string) error {
	_, err := q.svc.RetryTask(ctx, &natsgwv1.RetryTaskRequest{Queue: q.queue, TaskId: id})
	return convertError(err)
}

// Cancel removes a scheduled or retrying task before it runs.
func (q *TaskQueue) Cancel(ctx context.Context, id string) error {
	_, err := q.svc.CancelTask(ctx, &natsgwv1.CancelTaskRequest{Queue: q.queue, TaskId: id})
	return convertError(err)
}

// Purge removes the queue's tasks in states (all states without any) and
// returns how many went.
func (q *TaskQueue) Purge(ctx context.Context, states ...TaskState) (int, error) {
	req := &natsgwv1.PurgeQueueRequest{Queue: q.queue}
	for _, s := range states {
		req.States = append(req.States, natsgwv1.TaskState(s))
	}
	r, err := q.svc.PurgeQueue(ctx, req)
	if err != nil {
		return 0, convertError(err)
	}
	return int(r.GetPurged()), nil
}

// Delete deletes the queue with its tasks, results and schedules.
func (q *TaskQueue) Delete(ctx context.Context) error {
	_, err := q.svc.DeleteQueue(ctx, &natsgwv1.DeleteQueueRequest{Queue: q.queue})
	return convertError(err)
}

// Pause stops the queue handing out tasks until until (zero: until
// Resume).
func (q *TaskQueue) Pause(ctx context.Context, until time.Time) error {
	req := &natsgwv1.PauseQueueRequest{Queue: q.queue}
	if !until.IsZero() {
		req.ResumeAt = timestamppb.New(until)
	}
	_, err := q.svc.PauseQueue(ctx, req)
	return convertError(err)
}

// Resume resumes a paused queue.
func (q *TaskQueue) Resume(ctx context.Context) error {
	_, err := q.svc.ResumeQueue(ctx, &natsgwv1.ResumeQueueRequest{Queue: q.queue})
	return convertError(err)
}

// SetRateLimit limits how many tasks of taskType start per second over all
// workers of the organization; 0 removes the limit.
func (q *TaskQueue) SetRateLimit(ctx context.Context, taskType string, perSecond float64) error {
	_, err := q.svc.SetRateLimit(ctx, &natsgwv1.SetRateLimitRequest{Queue: q.queue, TaskType: taskType, PerSecond: perSecond})
	return convertError(err)
}

// ScheduleConfig is a periodic task: a task made of Type, Payload and
// Options (no delay, eta or unique id) is enqueued at every tick of Cron
// (with seconds: "0 */5 * * * *", or @hourly, @daily, ...) or Every.
type ScheduleConfig struct {
	Name     string
	Cron     string
	Every    time.Duration
	TimeZone string // of Cron; default UTC
	Type     string
	Payload  []byte
	Options  []EnqueueOption
}

// Schedule creates or replaces a periodic task. It lives in NATS: it keeps
// firing across gateway restarts, with no beat process.
func (q *TaskQueue) Schedule(ctx context.Context, cfg ScheduleConfig) error {
	sc := &natsgwv1.Schedule{Name: cfg.Name, Cron: cfg.Cron, TimeZone: cfg.TimeZone, Template: taskSpec(cfg.Type, cfg.Payload, cfg.Options)}
	if cfg.Every != 0 {
		sc.Every = durationpb.New(cfg.Every)
	}
	_, err := q.svc.CreateSchedule(ctx, &natsgwv1.CreateScheduleRequest{Queue: q.queue, Schedule: sc})
	return convertError(err)
}

// Schedules lists the queue's periodic tasks, sorted by name. Options of
// the returned configs are not filled in.
func (q *TaskQueue) Schedules(ctx context.Context) ([]ScheduleConfig, error) {
	r, err := q.svc.ListSchedules(ctx, &natsgwv1.ListSchedulesRequest{Queue: q.queue})
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]ScheduleConfig, 0, len(r.GetSchedules()))
	for _, s := range r.GetSchedules() {
		out = append(out, ScheduleConfig{
			Name: s.GetName(), Cron: s.GetCron(), Every: s.GetEvery().AsDuration(), TimeZone: s.GetTimeZone(),
			Type: s.GetTemplate().GetTaskType(), Payload: s.GetTemplate().GetPayload(),
		})
	}
	return out, nil
}

// DeleteSchedule stops and removes a periodic task.
func (q *TaskQueue) DeleteSchedule(ctx context.Context, name string) error {
	_, err := q.svc.DeleteSchedule(ctx, &natsgwv1.DeleteScheduleRequest{Queue: q.queue, Name: name})
	return convertError(err)
}

// RetryAfter returns an error that, returned by a TaskHandler, retries the
// task after d instead of its backoff (dead after its max retries).
func RetryAfter(d time.Duration) error { return &retryError{delay: d} }

// Fail wraps err so that, returned by a TaskHandler, the task is dead at
// once, without retries.
func Fail(err error) error { return &failError{err: err} }

type retryError struct{ delay time.Duration }

func (e *retryError) Error() string { return fmt.Sprintf("retry after %s", e.delay) }

type failError struct{ err error }

func (e *failError) Error() string {
	if e.err == nil {
		return "failed"
	}
	return e.err.Error()
}
func (e *failError) Unwrap() error { return e.err }

// outcome turns a handler's return into the task's outcome: nil succeeds
// (with result), Fail(err) is dead at once, RetryAfter(d) retries after d,
// any other error retries after the task's backoff.
func outcome(id string, result []byte, err error) *natsgwv1.TaskOutcome {
	o := &natsgwv1.TaskOutcome{TaskId: id}
	var re *retryError
	var fe *failError
	switch {
	case err == nil:
		o.Outcome = &natsgwv1.TaskOutcome_Success{Success: &natsgwv1.TaskSuccess{Result: result}}
	case errors.As(err, &fe):
		o.Outcome = &natsgwv1.TaskOutcome_Fail{Fail: &natsgwv1.TaskFailure{Error: err.Error()}}
	case errors.As(err, &re):
		o.Outcome = &natsgwv1.TaskOutcome_Retry{Retry: &natsgwv1.TaskRetry{Error: err.Error(), Delay: durationpb.New(re.delay)}}
	default:
		o.Outcome = &natsgwv1.TaskOutcome_Retry{Retry: &natsgwv1.TaskRetry{Error: err.Error()}}
	}
	return o
}
