package tasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Inspection limits.
const (
	maxResultWait    = 5 * time.Minute
	defaultListLimit = 100
	maxListLimit     = 1000
)

// consumerInfos returns the queue's consumers by name.
func (s *Service) consumerInfos(ctx context.Context, str jetstream.Stream) (map[string]*jetstream.ConsumerInfo, error) {
	out := map[string]*jetstream.ConsumerInfo{}
	l := str.ListConsumers(ctx)
	for info := range l.Info() {
		out[info.Name] = info
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// isRunning reports whether a queued task (at its stream sequence) was
// handed to a worker and not yet acknowledged.
func isRunning(t *task, infos map[string]*jetstream.ConsumerInfo) bool {
	for _, name := range []string{"a" + prioToken(t.prio), "t" + prioToken(t.prio) + "_" + t.typ} {
		if info, ok := infos[name]; ok {
			return t.seq <= info.Delivered.Stream && t.seq > info.AckFloor.Stream
		}
	}
	return false
}

// parseStored decodes a task read from q's stream; nil when the message is
// not a task.
func parseStored(q tenant.TaskQueue, m *storedMsg) *task {
	toks, ok := q.Tokens(m.subject)
	if !ok {
		return nil
	}
	t, err := parseTask(toks, m.header, m.data, m.seq, m.time)
	if err != nil {
		return nil
	}
	return t
}

// lookup returns q's task id in its current state (the newest message with
// its id), or nil when unknown.
func (s *Service) lookup(ctx context.Context, q tenant.TaskQueue, str jetstream.Stream, id string) (*task, error) {
	m, err := s.last(ctx, q, q.Subject("*", "*", "*", id))
	if err != nil {
		return nil, err
	}
	if m == nil {
		// A periodic task's tick, still queued, is found by its sequence.
		name, seq, ok := splitTickID(id)
		if !ok {
			return nil, nil
		}
		if m, err = s.get(ctx, q, directReq{Seq: seq}); err != nil || m == nil {
			return nil, err
		}
		if toks, ok := q.Tokens(m.subject); !ok || len(toks) != 4 || toks[0] != kindQueued || toks[3] != cronIDPrefix+name {
			return nil, nil
		}
	}
	t := parseStored(q, m)
	if t == nil || t.id != id {
		return nil, nil
	}
	if t.state == natsgwv1.TaskState_TASK_STATE_QUEUED && str != nil {
		infos, err := s.consumerInfos(ctx, str)
		if err != nil {
			return nil, err
		}
		if isRunning(t, infos) {
			t.state = natsgwv1.TaskState_TASK_STATE_RUNNING
		}
	}
	return t, nil
}

// splitTickID splits a periodic task's id "c-<name>-<seq>".
func splitTickID(id string) (name string, seq uint64, ok bool) {
	rest, ok := strings.CutPrefix(id, cronIDPrefix)
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(rest[i+1:], 10, 64)
	if err != nil || seq == 0 {
		return "", 0, false
	}
	return rest[:i], seq, true
}

// existingTask returns the queue and task named by a request.
func (s *Service) existingTask(ctx context.Context, queue, id string) (tenant.TaskQueue, jetstream.Stream, *task, error) {
	if err := checkToken("task_id", id); err != nil {
		return tenant.TaskQueue{}, nil, nil, err
	}
	q, str, err := s.existing(ctx, "queue", queue)
	if err != nil {
		return q, nil, nil, err
	}
	t, err := s.lookup(ctx, q, str, id)
	if err != nil {
		return q, nil, nil, s.errs(ctx, fmt.Sprintf("task %q of queue %q", id, queue), err)
	}
	if t == nil {
		return q, nil, nil, gateway.NotFound("task %q of queue %q: not found (never enqueued, purged, or its result expired)", id, queue)
	}
	return q, str, t, nil
}

// GetTask returns one task; see TaskService.GetTask.
func (s *Service) GetTask(ctx context.Context, req *natsgwv1.GetTaskRequest) (*natsgwv1.GetTaskResponse, error) {
	q, _, t, err := s.existingTask(ctx, req.GetQueue(), req.GetTaskId())
	if err != nil {
		return nil, err
	}
	return &natsgwv1.GetTaskResponse{Task: t.proto(q.Name())}, nil
}

func finished(st natsgwv1.TaskState) bool {
	return st == natsgwv1.TaskState_TASK_STATE_SUCCEEDED || st == natsgwv1.TaskState_TASK_STATE_DEAD
}

// GetResult returns a task's outcome, waiting for it; see
// TaskService.GetResult.
func (s *Service) GetResult(ctx context.Context, req *natsgwv1.GetResultRequest) (*natsgwv1.GetResultResponse, error) {
	var wait time.Duration
	if req.Wait != nil {
		var err error
		if wait, err = duration("wait", req.GetWait(), 0, maxResultWait); err != nil {
			return nil, err
		}
	}
	if err := checkToken("task_id", req.GetTaskId()); err != nil {
		return nil, err
	}
	q, err := s.queueName(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	// Outcomes are published by the gateway, so a core subscription sees
	// them as NATS stores them; subscribe before looking.
	outcomes := make(chan *nats.Msg, 4)
	var sub *nats.Subscription
	if wait > 0 {
		if sub, err = s.nc.ChanSubscribe(q.Subject("*", "*", "*", req.GetTaskId()), outcomes); err != nil {
			return nil, s.errs(ctx, "get result", err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	q, _, t, err := s.existingTask(ctx, req.GetQueue(), req.GetTaskId())
	if err != nil {
		return nil, err
	}
	if finished(t.state) || wait == 0 {
		return &natsgwv1.GetResultResponse{Ready: finished(t.state), Task: t.proto(q.Name())}, nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, s.errs(ctx, "get result", ctx.Err())
		case <-s.closing:
			return nil, errShuttingDown
		case <-timer.C:
			return &natsgwv1.GetResultResponse{Task: t.proto(q.Name())}, nil
		case m := <-outcomes:
			toks, ok := q.Tokens(m.Subject)
			if !ok {
				continue
			}
			done, err := parseTask(toks, m.Header, m.Data, 0, time.Now())
			if err != nil || !finished(done.state) {
				continue
			}
			return &natsgwv1.GetResultResponse{Ready: true, Task: done.proto(q.Name())}, nil
		}
	}
}

// stateFilter is the subject filter of state's tasks.
func stateFilter(q tenant.TaskQueue, field string, st natsgwv1.TaskState) (string, error) {
	var kind string
	switch st {
	case natsgwv1.TaskState_TASK_STATE_SCHEDULED:
		kind = kindScheduled
	case natsgwv1.TaskState_TASK_STATE_RETRYING:
		kind = kindRetrying
	case natsgwv1.TaskState_TASK_STATE_QUEUED, natsgwv1.TaskState_TASK_STATE_RUNNING:
		kind = kindQueued
	case natsgwv1.TaskState_TASK_STATE_SUCCEEDED:
		kind = kindSucceeded
	case natsgwv1.TaskState_TASK_STATE_DEAD:
		kind = kindDead
	default:
		return "", gateway.InvalidArgument(field, "must be a task state (SCHEDULED, QUEUED, RUNNING, RETRYING, SUCCEEDED or DEAD; got %d)", st)
	}
	return q.Subject(kind, ">"), nil
}

// ListTasks lists tasks in one state; see TaskService.ListTasks.
func (s *Service) ListTasks(ctx context.Context, req *natsgwv1.ListTasksRequest) (*natsgwv1.ListTasksResponse, error) {
	limit := int(req.GetLimit())
	switch {
	case limit == 0:
		limit = defaultListLimit
	case limit > maxListLimit:
		return nil, gateway.InvalidArgument("limit", "must be at most %d (got %d)", maxListLimit, limit)
	}
	var from uint64
	if tok := req.GetPageToken(); tok != "" {
		var err error
		if from, err = strconv.ParseUint(tok, 10, 64); err != nil || from == 0 {
			return nil, gateway.InvalidArgument("page_token", "not a page token of ListTasks")
		}
	}
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	filter, err := stateFilter(q, "state", req.GetState())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("list tasks of queue %q", q.Name())
	var infos map[string]*jetstream.ConsumerInfo
	queuedOrRunning := req.GetState() == natsgwv1.TaskState_TASK_STATE_QUEUED || req.GetState() == natsgwv1.TaskState_TASK_STATE_RUNNING
	if queuedOrRunning {
		if infos, err = s.consumerInfos(ctx, str); err != nil {
			return nil, s.errs(ctx, action, err)
		}
	}
	resp := &natsgwv1.ListTasksResponse{}
	// Pages of the stream until the page of tasks is full (QUEUED and
	// RUNNING share subjects, so a stream page may hold fewer).
	for {
		msgs, left, err := s.page(ctx, q, filter, from, limit-len(resp.Tasks))
		if err != nil {
			return nil, s.errs(ctx, action, err)
		}
		for i := range msgs {
			from = msgs[i].seq + 1
			t := parseStored(q, &msgs[i])
			if t == nil {
				continue
			}
			if queuedOrRunning && isRunning(t, infos) {
				t.state = natsgwv1.TaskState_TASK_STATE_RUNNING
			}
			if t.state == req.GetState() {
				resp.Tasks = append(resp.Tasks, t.proto(q.Name()))
			}
		}
		if left == 0 || len(msgs) == 0 {
			return resp, nil
		}
		if len(resp.Tasks) >= limit {
			resp.NextPageToken = strconv.FormatUint(from, 10)
			return resp, nil
		}
	}
}

// GetQueueStats counts tasks by state; see TaskService.GetQueueStats.
func (s *Service) GetQueueStats(ctx context.Context, req *natsgwv1.GetQueueStatsRequest) (*natsgwv1.GetQueueStatsResponse, error) {
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("count tasks of queue %q", q.Name())
	stats := &natsgwv1.QueueStats{Queue: q.Name()}
	var queued uint64
	for _, c := range []struct {
		kind string
		n    *uint64
	}{
		{kindScheduled, &stats.Scheduled}, {kindQueued, &queued}, {kindRetrying, &stats.Retrying},
		{kindSucceeded, &stats.Succeeded}, {kindDead, &stats.Dead},
	} {
		if *c.n, err = s.count(ctx, q, q.Subject(c.kind, ">")); err != nil {
			return nil, s.errs(ctx, action, err)
		}
	}
	infos, err := s.consumerInfos(ctx, str)
	if err != nil {
		return nil, s.errs(ctx, action, err)
	}
	for _, info := range infos {
		stats.Running += uint64(info.NumAckPending)
	}
	stats.Running = min(stats.Running, queued)
	stats.Queued = queued - stats.Running
	st := parseSettings(str.CachedInfo().Config.Metadata)
	if !st.pausedUntil.IsZero() && st.pausedUntil.After(time.Now()) {
		stats.Paused = true
		if st.pausedUntil.Before(forever) {
			stats.PausedUntil = timestamppb.New(st.pausedUntil)
		}
	}
	stats.RateLimits = st.rates
	return &natsgwv1.GetQueueStatsResponse{Stats: stats}, nil
}

// ListQueues lists the organization's queues; see TaskService.ListQueues.
func (s *Service) ListQueues(ctx context.Context, _ *natsgwv1.ListQueuesRequest) (*natsgwv1.ListQueuesResponse, error) {
	org, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	space, err := s.m.TaskQueueSpace(org)
	if err != nil {
		return nil, s.errs(ctx, "list queues", err)
	}
	l := s.js.StreamNames(ctx, jetstream.WithStreamListSubject(space))
	resp := &natsgwv1.ListQueuesResponse{}
	for name := range l.Name() {
		if queue, ok := s.m.ClientTaskQueue(org, name); ok {
			resp.Queues = append(resp.Queues, queue)
		}
	}
	if err := l.Err(); err != nil {
		return nil, s.errs(ctx, "list queues", err)
	}
	slices.Sort(resp.Queues)
	return resp, nil
}

// RetryTask queues a dead task again; see TaskService.RetryTask.
func (s *Service) RetryTask(ctx context.Context, req *natsgwv1.RetryTaskRequest) (*natsgwv1.RetryTaskResponse, error) {
	q, str, t, err := s.existingTask(ctx, req.GetQueue(), req.GetTaskId())
	if err != nil {
		return nil, err
	}
	if t.state != natsgwv1.TaskState_TASK_STATE_DEAD {
		return nil, gateway.NotFound("task %q of queue %q: not dead (it is %s)", t.id, q.Name(), stateName(t.state))
	}
	action := fmt.Sprintf("retry task %q of queue %q", t.id, q.Name())
	dead := q.Subject(kindDead, "*", "*", t.id)
	t.retries, t.finished, t.runAt = 0, time.Time{}, time.Time{}
	if _, err := s.publish(ctx, q, t.message(q.Subject, kindQueued)); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	if err := str.Purge(ctx, jetstream.WithPurgeSubject(dead)); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	return &natsgwv1.RetryTaskResponse{}, nil
}

func stateName(st natsgwv1.TaskState) string {
	return strings.TrimPrefix(st.String(), "TASK_STATE_")
}

// CancelTask removes a scheduled or retrying task; see
// TaskService.CancelTask.
func (s *Service) CancelTask(ctx context.Context, req *natsgwv1.CancelTaskRequest) (*natsgwv1.CancelTaskResponse, error) {
	q, str, t, err := s.existingTask(ctx, req.GetQueue(), req.GetTaskId())
	if err != nil {
		return nil, err
	}
	var kind string
	switch t.state {
	case natsgwv1.TaskState_TASK_STATE_SCHEDULED:
		kind = kindScheduled
	case natsgwv1.TaskState_TASK_STATE_RETRYING:
		kind = kindRetrying
	default:
		return nil, gateway.FailedPrecondition("task %q of queue %q is %s: only SCHEDULED and RETRYING tasks can be cancelled", t.id, q.Name(), stateName(t.state))
	}
	action := fmt.Sprintf("cancel task %q of queue %q", t.id, q.Name())
	// Purging a schedule's subject cancels it (NATS message scheduling).
	if err := str.Purge(ctx, jetstream.WithPurgeSubject(q.Subject(kind, "*", "*", t.id))); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	// It may have come due meanwhile.
	if now, err := s.lookup(ctx, q, str, t.id); err != nil {
		return nil, s.errs(ctx, action, err)
	} else if now != nil {
		return nil, gateway.FailedPrecondition("task %q of queue %q came due before it was cancelled: it is %s", t.id, q.Name(), stateName(now.state))
	}
	return &natsgwv1.CancelTaskResponse{}, nil
}

// PurgeQueue removes tasks by state; see TaskService.PurgeQueue.
func (s *Service) PurgeQueue(ctx context.Context, req *natsgwv1.PurgeQueueRequest) (*natsgwv1.PurgeQueueResponse, error) {
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	filters := map[string]bool{}
	for i, st := range req.GetStates() {
		f, err := stateFilter(q, fmt.Sprintf("states[%d]", i), st)
		if err != nil {
			return nil, err
		}
		filters[f] = true
	}
	if len(filters) == 0 {
		for _, k := range []string{kindScheduled, kindRetrying, kindQueued, kindSucceeded, kindDead} {
			filters[q.Subject(k, ">")] = true
		}
	}
	action := fmt.Sprintf("purge queue %q", q.Name())
	resp := &natsgwv1.PurgeQueueResponse{}
	for f := range filters {
		n, err := s.count(ctx, q, f)
		if err != nil {
			return nil, s.errs(ctx, action, err)
		}
		if n == 0 {
			continue
		}
		if err := str.Purge(ctx, jetstream.WithPurgeSubject(f)); err != nil {
			return nil, s.errs(ctx, action, err)
		}
		resp.Purged += n
	}
	return resp, nil
}

// DeleteQueue deletes a queue; see TaskService.DeleteQueue.
func (s *Service) DeleteQueue(ctx context.Context, req *natsgwv1.DeleteQueueRequest) (*natsgwv1.DeleteQueueResponse, error) {
	q, _, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	s.known.Delete(q.NATSName())
	if err := s.js.DeleteStream(ctx, q.NATSName()); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, s.errs(ctx, fmt.Sprintf("delete queue %q", q.Name()), err)
	}
	if err := s.js.DeleteStream(ctx, q.CounterName()); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, s.errs(ctx, fmt.Sprintf("delete queue %q", q.Name()), err)
	}
	return &natsgwv1.DeleteQueueResponse{}, nil
}
