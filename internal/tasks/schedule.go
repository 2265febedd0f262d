package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/gateway"
)

// JetStream's refusals of a schedule's pattern and time zone.
const (
	jsErrSchedulePattern  jetstream.ErrorCode = 10189
	jsErrScheduleTimeZone jetstream.ErrorCode = 10223
)

// Schedule headers (NATS message scheduling).
const (
	hdrNatsSchedule   = "Nats-Schedule"
	hdrNatsTarget     = "Nats-Schedule-Target"
	hdrNatsTimeZone   = "Nats-Schedule-Time-Zone"
	maxScheduleName   = maxTokenLen - len(cronIDPrefix) - 21 // room for "-<seq>" in tick ids
	maxRatePerSecond  = 100000
	maxScheduleListed = 10000
)

// forever stands for "paused until resumed" (consumer pauses need a time).
var forever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// CreateSchedule creates or replaces a periodic task; see
// TaskService.CreateSchedule.
func (s *Service) CreateSchedule(ctx context.Context, req *natsgwv1.CreateScheduleRequest) (*natsgwv1.CreateScheduleResponse, error) {
	if _, err := s.queueName(ctx, "queue", req.GetQueue()); err != nil {
		return nil, err
	}
	sc := req.GetSchedule()
	if sc == nil {
		return nil, gateway.InvalidArgument("schedule", "required")
	}
	if err := checkToken("schedule.name", sc.GetName()); err != nil {
		return nil, err
	}
	if len(sc.GetName()) > maxScheduleName {
		return nil, gateway.InvalidArgument("schedule.name", "must be at most %d characters (got %d)", maxScheduleName, len(sc.GetName()))
	}
	var pattern string
	switch {
	case sc.GetCron() != "" && sc.Every != nil:
		return nil, gateway.InvalidArgument("schedule.every", "exactly one of cron and every")
	case sc.GetCron() != "":
		pattern = sc.GetCron()
		if len(pattern) > 256 || len(pattern) > 0 && pattern[0] == '@' && (len(pattern) > 3 && (pattern[:4] == "@at " || len(pattern) > 6 && pattern[:7] == "@every ")) {
			return nil, gateway.InvalidArgument("schedule.cron", "must be a cron expression (second minute hour day month weekday) or @hourly, @daily, ...; use every for intervals")
		}
	case sc.Every != nil:
		d, err := duration("schedule.every", sc.GetEvery(), time.Second, 366*24*time.Hour)
		if err != nil {
			return nil, err
		}
		if d%time.Second != 0 {
			return nil, gateway.InvalidArgument("schedule.every", "must be whole seconds (got %s)", d)
		}
		if sc.GetTimeZone() != "" {
			return nil, gateway.InvalidArgument("schedule.time_zone", "only with cron")
		}
		pattern = "@every " + d.String()
	default:
		return nil, gateway.InvalidArgument("schedule.cron", "exactly one of cron and every is required")
	}
	t, err := s.newTask("schedule.template", sc.GetTemplate(), time.Now(), true)
	if err != nil {
		return nil, err
	}
	q, err := s.ensure(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	t.id = cronIDPrefix + sc.GetName()
	t.schedule = sc.GetName()
	m := &nats.Msg{Subject: q.Subject(kindCron, sc.GetName()), Header: t.header(false), Data: t.payload}
	m.Header.Set(hdrNatsSchedule, pattern)
	m.Header.Set(hdrNatsTarget, q.Subject(t.tokens(kindQueued)...))
	if tz := sc.GetTimeZone(); tz != "" {
		m.Header.Set(hdrNatsTimeZone, tz)
	}
	if _, err := s.publish(ctx, q, m); err != nil {
		switch apiCode(err) {
		case jsErrSchedulePattern:
			if sc.Every != nil {
				return nil, gateway.InvalidArgument("schedule.every", "NATS refused the interval %q", pattern)
			}
			return nil, gateway.InvalidArgument("schedule.cron", "not a valid cron expression: %q (6 fields: second minute hour day-of-month month day-of-week, or @hourly, @daily, ...)", pattern)
		case jsErrScheduleTimeZone:
			return nil, gateway.InvalidArgument("schedule.time_zone", "not a known IANA time zone: %q", sc.GetTimeZone())
		}
		return nil, s.errs(ctx, fmt.Sprintf("create schedule %q of queue %q", sc.GetName(), q.Name()), err)
	}
	return &natsgwv1.CreateScheduleResponse{}, nil
}

// ListSchedules lists a queue's periodic tasks; see
// TaskService.ListSchedules.
func (s *Service) ListSchedules(ctx context.Context, req *natsgwv1.ListSchedulesRequest) (*natsgwv1.ListSchedulesResponse, error) {
	q, _, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	msgs, _, err := s.page(ctx, q, q.Subject(kindCron, "*"), 0, maxScheduleListed)
	if err != nil {
		return nil, s.errs(ctx, fmt.Sprintf("list schedules of queue %q", q.Name()), err)
	}
	resp := &natsgwv1.ListSchedulesResponse{}
	for i := range msgs {
		if sc := parseSchedule(q.Tokens, &msgs[i]); sc != nil {
			resp.Schedules = append(resp.Schedules, sc)
		}
	}
	sortSchedules(resp.Schedules)
	return resp, nil
}

// parseSchedule decodes a stored schedule; nil when m is not one.
func parseSchedule(tokens func(string) ([]string, bool), m *storedMsg) *natsgwv1.Schedule {
	toks, ok := tokens(m.subject)
	if !ok || len(toks) != 2 {
		return nil
	}
	target, ok := tokens(m.header.Get(hdrNatsTarget))
	if !ok {
		return nil
	}
	t, err := parseTask(target, m.header, m.data, m.seq, m.time)
	if err != nil {
		return nil
	}
	tmpl := &natsgwv1.TaskSpec{
		TaskType:  t.typ,
		Payload:   t.payload,
		Priority:  t.prio,
		Backoff:   &natsgwv1.Backoff{Initial: durationpb.New(t.backoff.initial), Multiplier: t.backoff.mul, Max: durationpb.New(t.backoff.max)},
		Timeout:   durationpb.New(t.timeout),
		ResultTtl: durationpb.New(t.resultTTL),
	}
	mr := t.maxRetries
	tmpl.MaxRetries = &mr
	tmpl.Headers = gateway.FromNATSHeader(t.user)
	sc := &natsgwv1.Schedule{Name: toks[1], TimeZone: m.header.Get(hdrNatsTimeZone), Template: tmpl}
	pattern := m.header.Get(hdrNatsSchedule)
	if d, ok := parseEvery(pattern); ok {
		sc.Every = durationpb.New(d)
	} else {
		sc.Cron = pattern
	}
	return sc
}

func parseEvery(pattern string) (time.Duration, bool) {
	const p = "@every "
	if len(pattern) <= len(p) || pattern[:len(p)] != p {
		return 0, false
	}
	d, err := time.ParseDuration(pattern[len(p):])
	return d, err == nil
}

func sortSchedules(scs []*natsgwv1.Schedule) {
	slices.SortFunc(scs, func(a, b *natsgwv1.Schedule) int { return strings.Compare(a.GetName(), b.GetName()) })
}

// DeleteSchedule removes a periodic task; see TaskService.DeleteSchedule.
func (s *Service) DeleteSchedule(ctx context.Context, req *natsgwv1.DeleteScheduleRequest) (*natsgwv1.DeleteScheduleResponse, error) {
	if err := checkToken("name", req.GetName()); err != nil {
		return nil, err
	}
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("delete schedule %q of queue %q", req.GetName(), q.Name())
	subject := q.Subject(kindCron, req.GetName())
	m, err := s.last(ctx, q, subject)
	if err != nil {
		return nil, s.errs(ctx, action, err)
	}
	if m == nil {
		return nil, gateway.NotFound("%s: not found", action)
	}
	if err := str.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	return &natsgwv1.DeleteScheduleResponse{}, nil
}

// PauseQueue pauses a queue's consumers; see TaskService.PauseQueue.
func (s *Service) PauseQueue(ctx context.Context, req *natsgwv1.PauseQueueRequest) (*natsgwv1.PauseQueueResponse, error) {
	until := forever
	if req.ResumeAt != nil {
		if err := req.GetResumeAt().CheckValid(); err != nil {
			return nil, gateway.InvalidArgument("resume_at", "%v", err)
		}
		until = req.GetResumeAt().AsTime()
	}
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("pause queue %q", q.Name())
	if err := s.updateMetadata(ctx, str, func(md map[string]string) {
		md[metaPausedUntil] = until.UTC().Format(time.RFC3339Nano)
	}); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	if err := s.pauseConsumers(ctx, q.NATSName(), str, until); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	return &natsgwv1.PauseQueueResponse{}, nil
}

// ResumeQueue resumes a queue; see TaskService.ResumeQueue.
func (s *Service) ResumeQueue(ctx context.Context, req *natsgwv1.ResumeQueueRequest) (*natsgwv1.ResumeQueueResponse, error) {
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("resume queue %q", q.Name())
	if err := s.updateMetadata(ctx, str, func(md map[string]string) { delete(md, metaPausedUntil) }); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	if err := s.pauseConsumers(ctx, q.NATSName(), str, time.Time{}); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	return &natsgwv1.ResumeQueueResponse{}, nil
}

// pauseConsumers pauses every consumer of the queue until until (zero
// resumes them).
func (s *Service) pauseConsumers(ctx context.Context, stream string, str jetstream.Stream, until time.Time) error {
	l := str.ListConsumers(ctx)
	for info := range l.Info() {
		var err error
		if until.IsZero() {
			_, err = s.js.ResumeConsumer(ctx, stream, info.Name)
		} else {
			_, err = s.js.PauseConsumer(ctx, stream, info.Name, until)
		}
		if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return err
		}
	}
	return l.Err()
}

// SetRateLimit sets a task type's rate limit; see TaskService.SetRateLimit.
func (s *Service) SetRateLimit(ctx context.Context, req *natsgwv1.SetRateLimitRequest) (*natsgwv1.SetRateLimitResponse, error) {
	if err := checkToken("task_type", req.GetTaskType()); err != nil {
		return nil, err
	}
	rate := req.GetPerSecond()
	if rate < 0 || rate > maxRatePerSecond || math.IsNaN(rate) {
		return nil, gateway.InvalidArgument("per_second", "must be between 0 and %d (got %g)", maxRatePerSecond, rate)
	}
	q, str, err := s.existing(ctx, "queue", req.GetQueue())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("set the rate limit of %q on queue %q", req.GetTaskType(), q.Name())
	if rate > 0 {
		if _, err := s.js.CreateOrUpdateStream(ctx, counterConfig(q)); err != nil {
			return nil, s.errs(ctx, action, err)
		}
	}
	if err := s.updateMetadata(ctx, str, func(md map[string]string) {
		if rate == 0 {
			delete(md, metaRatePrefix+req.GetTaskType())
		} else {
			md[metaRatePrefix+req.GetTaskType()] = strconv.FormatFloat(rate, 'g', -1, 64)
		}
	}); err != nil {
		return nil, s.errs(ctx, action, err)
	}
	return &natsgwv1.SetRateLimitResponse{}, nil
}
