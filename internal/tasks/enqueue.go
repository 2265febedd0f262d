package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Enqueue adds one task; see TaskService.Enqueue.
func (s *Service) Enqueue(ctx context.Context, req *natsgwv1.EnqueueRequest) (*natsgwv1.EnqueueResponse, error) {
	if _, err := s.queueName(ctx, "queue", req.GetQueue()); err != nil {
		return nil, err
	}
	t, err := s.newTask("task", req.GetTask(), time.Now(), false)
	if err != nil {
		return nil, err
	}
	q, err := s.ensure(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	kind := kindQueued
	if t.state == natsgwv1.TaskState_TASK_STATE_SCHEDULED {
		kind = kindScheduled
	}
	var opts []jetstream.PublishOpt
	if req.GetTask().GetUniqueId() != "" {
		// Known and not finished: a duplicate, whatever the dedup window.
		if cur, err := s.last(ctx, q, q.Subject("*", "*", "*", t.id)); err != nil {
			return nil, s.errs(ctx, fmt.Sprintf("enqueue to queue %q", q.Name()), err)
		} else if cur != nil {
			if toks, ok := q.Tokens(cur.subject); ok && (toks[0] == kindScheduled || toks[0] == kindRetrying || toks[0] == kindQueued) {
				return &natsgwv1.EnqueueResponse{TaskId: t.id, State: stateOfKind(toks[0]), Duplicate: true}, nil
			}
		}
		opts = append(opts, jetstream.WithMsgID(t.id))
	}
	ack, err := s.publish(ctx, q, t.message(q.Subject, kind), opts...)
	if err != nil {
		return nil, s.errs(ctx, fmt.Sprintf("enqueue to queue %q", q.Name()), err)
	}
	return &natsgwv1.EnqueueResponse{TaskId: t.id, State: t.state, Duplicate: ack.Duplicate}, nil
}

func stateOfKind(kind string) natsgwv1.TaskState {
	switch kind {
	case kindScheduled:
		return natsgwv1.TaskState_TASK_STATE_SCHEDULED
	case kindRetrying:
		return natsgwv1.TaskState_TASK_STATE_RETRYING
	case kindQueued:
		return natsgwv1.TaskState_TASK_STATE_QUEUED
	case kindSucceeded:
		return natsgwv1.TaskState_TASK_STATE_SUCCEEDED
	case kindDead:
		return natsgwv1.TaskState_TASK_STATE_DEAD
	}
	return natsgwv1.TaskState_TASK_STATE_UNSPECIFIED
}

// EnqueueBatch adds tasks all-or-nothing; see TaskService.EnqueueBatch.
func (s *Service) EnqueueBatch(ctx context.Context, req *natsgwv1.EnqueueBatchRequest) (*natsgwv1.EnqueueBatchResponse, error) {
	if _, err := s.queueName(ctx, "queue", req.GetQueue()); err != nil {
		return nil, err
	}
	specs := req.GetTasks()
	switch {
	case len(specs) == 0:
		return nil, gateway.InvalidArgument("tasks", "must not be empty")
	case len(specs) > maxBatch:
		return nil, gateway.InvalidArgument("tasks", "at most %d tasks (got %d)", maxBatch, len(specs))
	}
	now := time.Now()
	ts := make([]*task, len(specs))
	ids := make([]string, len(specs))
	seen := make(map[string]int, len(specs))
	for i, spec := range specs {
		field := fmt.Sprintf("tasks[%d]", i)
		t, err := s.newTask(field, spec, now, false)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[t.id]; dup {
			return nil, gateway.InvalidArgument(field+".unique_id", "same as tasks[%d].unique_id", j)
		}
		seen[t.id] = i
		ts[i], ids[i] = t, t.id
	}
	q, err := s.ensure(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("enqueue a batch to queue %q", q.Name())
	err = s.atomicBatch(ctx, q, ts)
	if errors.Is(err, nats.ErrNoResponders) {
		// The queue was deleted behind this instance's back.
		s.known.Delete(q.NATSName())
		if err = s.create(ctx, q); err != nil {
			return nil, err
		}
		err = s.atomicBatch(ctx, q, ts)
	}
	if apiCode(err) == jsErrBatchDuplicate {
		return nil, gateway.AlreadyExists("%s: a task's unique_id is already known; nothing was enqueued", action)
	}
	if err != nil {
		return nil, s.errs(ctx, action, err)
	}
	return &natsgwv1.EnqueueBatchResponse{TaskIds: ids}, nil
}

// jsErrBatchDuplicate: an atomic batch holds a message id NATS has seen.
const jsErrBatchDuplicate jetstream.ErrorCode = 10201

// atomicBatch stores ts in q with one NATS atomic batch.
func (s *Service) atomicBatch(ctx context.Context, q tenant.TaskQueue, ts []*task) error {
	msgs := make([]*nats.Msg, len(ts))
	for i, t := range ts {
		kind := kindQueued
		if t.state == natsgwv1.TaskState_TASK_STATE_SCHEDULED {
			kind = kindScheduled
		}
		msgs[i] = t.message(q.Subject, kind)
		if t.unique {
			msgs[i].Header.Set(jetstream.MsgIDHeader, t.id)
		}
	}
	ack, err := gateway.PublishAtomic(ctx, s.nc, msgs)
	if err == nil && ack.Count != len(ts) {
		err = fmt.Errorf("atomic batch: %d of %d stored", ack.Count, len(ts))
	}
	return err
}
