// Package tasks serves TaskService: task queues (a Celery replacement) kept
// entirely in NATS JetStream.
//
// Each queue is one work-queue stream of the gateway's own (see
// tenant.TaskQueue), whose subjects say where each task is:
//
//	s.<prio>.<type>.<id>     SCHEDULED: a NATS message schedule (@at) that
//	                         NATS turns into q.<prio>.<type>.<id> when due
//	r.<prio>.<type>.<id>     RETRYING: the same, for a retry's backoff
//	q.<prio>.<type>.<id>     QUEUED, or RUNNING once a worker holds it
//	ok.<prio>.<type>.<id>    SUCCEEDED: the result, with a per-message TTL
//	dead.<prio>.<type>.<id>  DEAD: the task with its last error
//	cron.<name>              a periodic schedule (cron or @every) whose
//	                         ticks NATS stores as q.<prio>.<type>.c-<name>
//
// A task's state is the subject of the newest message with its id (direct
// get, last by subject "*.*.*.<id>"); counts and listings are direct gets
// over one state's subjects. Workers read q.> through durable pull
// consumers, one per priority (and task type, when workers name types).
// Task metadata travels in Natsgw-Task-* headers. Nothing lives in gateway
// memory except open Work streams, so any instance serves any call.
//
// Invariants: every stream, consumer and subject this package touches comes
// from tenant.Mapper.TaskQueue for the caller's organization; every
// caller-named token (queue, task type, task id, schedule name) is
// validated as a name before it becomes part of a subject.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Config configures a Service.
type Config struct {
	// Conn is the shared NATS connection. Required; not closed by the
	// Service.
	Conn *nats.Conn
	// Mapper maps names into organizations. Required.
	Mapper tenant.Mapper
	// MaxPayload is the largest message (payload plus headers) NATS takes.
	// Required.
	MaxPayload int
	// Errors maps NATS errors to statuses (gateway.Gateway.NATSError).
	// Required.
	Errors func(ctx context.Context, action string, err error) error
	// Logger receives logs. Nil discards them.
	Logger *slog.Logger
	// AckWait is how long NATS waits for a worker's gateway before it
	// redelivers a task when the gateway itself vanished (a vanished worker
	// on a live gateway is handled by the task's own timeout). Default 30s.
	AckWait time.Duration
}

// Service serves TaskService. Build it with New; Close ends its Work
// streams.
type Service struct {
	natsgwv1.UnimplementedTaskServiceServer

	nc         *nats.Conn
	js         jetstream.JetStream
	m          tenant.Mapper
	maxPayload int
	errs       func(ctx context.Context, action string, err error) error
	log        *slog.Logger
	ackWait    time.Duration

	// known holds the NATS names of queue streams this instance created or
	// saw, so Enqueue does not ask NATS every time. A queue deleted
	// elsewhere is noticed when a publish finds no stream.
	known   sync.Map
	closing chan struct{}
	close   sync.Once
}

// New builds a Service; it does no I/O.
func New(cfg Config) (*Service, error) {
	if cfg.Conn == nil || cfg.Mapper.Root() == "" || cfg.MaxPayload <= 0 || cfg.Errors == nil {
		return nil, errors.New("tasks: Conn, Mapper, MaxPayload and Errors are required")
	}
	// Outcome records are published asynchronously; a confirmation that
	// never comes must not hold a Work stream forever.
	js, err := jetstream.New(cfg.Conn, jetstream.WithPublishAsyncTimeout(outcomeTimeout))
	if err != nil {
		return nil, fmt.Errorf("tasks: jetstream: %w", err)
	}
	s := &Service{
		nc:         cfg.Conn,
		js:         js,
		m:          cfg.Mapper,
		maxPayload: cfg.MaxPayload,
		errs:       cfg.Errors,
		log:        cfg.Logger,
		ackWait:    cfg.AckWait,
		closing:    make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ackWait <= 0 {
		s.ackWait = 30 * time.Second
	}
	return s, nil
}

// Register adds TaskService to r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	natsgwv1.RegisterTaskServiceServer(r, s)
}

// Close ends every Work stream (their workers see Unavailable; their
// unfinished tasks go back to the queue after their timeout) and every
// waiting GetResult. Safe to call more than once.
func (s *Service) Close() {
	s.close.Do(func() { close(s.closing) })
}

var errShuttingDown = status.Error(codes.Unavailable, "gateway is shutting down")

// caller returns the caller's organization.
func caller(ctx context.Context) (string, error) {
	id, ok := tenant.FromContext(ctx)
	if !ok {
		return "", status.Error(codes.Unauthenticated, "no identity")
	}
	return id.Org, nil
}

// queueName maps request field field (a queue name) into the caller's
// organization.
func (s *Service) queueName(ctx context.Context, field, name string) (tenant.TaskQueue, error) {
	org, err := caller(ctx)
	if err != nil {
		return tenant.TaskQueue{}, err
	}
	q, err := s.m.TaskQueue(org, name)
	if err != nil {
		return tenant.TaskQueue{}, gateway.InvalidArgument(field, "%v", err)
	}
	return q, nil
}

// existing returns the caller's queue named in field, which must exist.
func (s *Service) existing(ctx context.Context, field, name string) (tenant.TaskQueue, jetstream.Stream, error) {
	q, err := s.queueName(ctx, field, name)
	if err != nil {
		return q, nil, err
	}
	str, err := s.js.Stream(ctx, q.NATSName())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.known.Delete(q.NATSName())
		return q, nil, unknownQueue(field, name)
	}
	if err != nil {
		return q, nil, s.errs(ctx, fmt.Sprintf("queue %q", name), err)
	}
	s.known.Store(q.NATSName(), true)
	return q, str, nil
}

func unknownQueue(field, name string) error {
	return gateway.InvalidArgument(field, "no queue %q in this organization (a queue is created by its first Enqueue, CreateSchedule or Work)", name)
}

// queueConfig is the configuration of every queue's stream.
func queueConfig(q tenant.TaskQueue) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               q.NATSName(),
		Description:        "natsgw task queue " + q.Name(),
		Subjects:           []string{q.Space()},
		Retention:          jetstream.WorkQueuePolicy,
		Storage:            jetstream.FileStorage,
		Discard:            jetstream.DiscardOld,
		Duplicates:         dedupWindow,
		AllowDirect:        true,
		AllowRollup:        true,
		AllowMsgTTL:        true,
		AllowMsgSchedules:  true,
		AllowAtomicPublish: true,
		Metadata:           map[string]string{metaKind: "task-queue"},
	}
}

// outcomeTimeout bounds the wait for NATS to confirm a stored outcome.
const outcomeTimeout = 10 * time.Second

// dedupWindow is how long NATS remembers unique ids of enqueued tasks.
const dedupWindow = 2 * time.Minute

// Stream metadata keys: the queue's settings live in its stream, so every
// instance sees them.
const (
	metaKind        = "natsgw.kind"
	metaPausedUntil = "natsgw.paused_until"
	metaRatePrefix  = "natsgw.rate."
)

// ensure makes sure the caller's queue exists, creating it if needed.
func (s *Service) ensure(ctx context.Context, field, name string) (tenant.TaskQueue, error) {
	q, err := s.queueName(ctx, field, name)
	if err != nil {
		return q, err
	}
	if _, ok := s.known.Load(q.NATSName()); ok {
		return q, nil
	}
	return q, s.create(ctx, q)
}

func (s *Service) create(ctx context.Context, q tenant.TaskQueue) error {
	_, err := s.js.Stream(ctx, q.NATSName())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = s.js.CreateStream(ctx, queueConfig(q))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = nil // created concurrently
		}
	}
	if err != nil {
		return s.errs(ctx, fmt.Sprintf("create queue %q", q.Name()), err)
	}
	s.known.Store(q.NATSName(), true)
	return nil
}

// publish stores m in q's stream, recreating the stream once if it was
// deleted behind this instance's back.
func (s *Service) publish(ctx context.Context, q tenant.TaskQueue, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	ack, err := s.js.PublishMsg(ctx, m, opts...)
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		s.known.Delete(q.NATSName())
		if err := s.create(ctx, q); err != nil {
			return nil, err
		}
		ack, err = s.js.PublishMsg(ctx, m, opts...)
	}
	return ack, err
}
