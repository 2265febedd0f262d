package tasks

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Task limits and defaults (TaskSpec's comments state them for clients).
const (
	maxTokenLen       = 64
	defaultMaxRetries = 3
	maxMaxRetries     = 1000
	defaultTimeout    = 30 * time.Second
	minTimeout        = time.Second
	maxTimeout        = 12 * time.Hour
	defaultResultTTL  = 24 * time.Hour
	minResultTTL      = time.Second
	maxResultTTL      = 30 * 24 * time.Hour
	defaultBackoff    = time.Second
	defaultBackoffMul = 2
	defaultBackoffMax = time.Hour
	maxBatch          = 1000
	// cronIDPrefix starts the subject token of the tasks a periodic
	// schedule enqueues ("c-<name>"); such a task's id is
	// "c-<name>-<stream sequence>".
	cronIDPrefix = "c-"
)

// Subject kinds (the first token after the queue's prefix).
const (
	kindScheduled = "s"
	kindRetrying  = "r"
	kindQueued    = "q"
	kindSucceeded = "ok"
	kindDead      = "dead"
	kindCron      = "cron"
)

// Task metadata headers.
const (
	hdrRetries    = "Natsgw-Task-Retries"
	hdrMaxRetries = "Natsgw-Task-Max-Retries"
	hdrBackoff    = "Natsgw-Task-Backoff"
	hdrTimeout    = "Natsgw-Task-Timeout"
	hdrResultTTL  = "Natsgw-Task-Result-Ttl"
	hdrEnqueued   = "Natsgw-Task-Enqueued"
	hdrRunAt      = "Natsgw-Task-Run-At"
	hdrError      = "Natsgw-Task-Error"
	hdrFinished   = "Natsgw-Task-Finished"
	hdrSchedule   = "Natsgw-Task-Schedule"
	hdrPrefix     = "Natsgw-"
	natsHdrPrefix = "Nats-"
)

// checkToken checks a caller-named token (task type, task id, unique id,
// schedule name): letters, digits, '_' and '-', 1 to 64 characters, so it
// is one subject token and part of a consumer name.
// The characters are those of stream names (tenant.ValidateName); the
// length limit is shorter.
func checkToken(field, v string) error {
	if len(v) > maxTokenLen {
		return gateway.InvalidArgument(field, "must be at most %d characters (got %d)", maxTokenLen, len(v))
	}
	if err := tenant.ValidateName(v); err != nil {
		return gateway.InvalidArgument(field, "%v", err)
	}
	return nil
}

// backoff is a task's retry delays.
type backoff struct {
	initial, max time.Duration
	mul          float64
}

// delay is the wait before retry n (1, 2, ...).
func (b backoff) delay(n uint32) time.Duration {
	d := float64(b.initial) * math.Pow(b.mul, float64(n-1))
	if d > float64(b.max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return b.max
	}
	return time.Duration(d)
}

func (b backoff) String() string {
	return b.initial.String() + "," + strconv.FormatFloat(b.mul, 'g', -1, 64) + "," + b.max.String()
}

func parseBackoff(s string) backoff {
	b := backoff{initial: defaultBackoff, mul: defaultBackoffMul, max: defaultBackoffMax}
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return b
	}
	if d, err := time.ParseDuration(parts[0]); err == nil {
		b.initial = d
	}
	if f, err := strconv.ParseFloat(parts[1], 64); err == nil && f >= 1 {
		b.mul = f
	}
	if d, err := time.ParseDuration(parts[2]); err == nil {
		b.max = d
	}
	return b
}

// task is a task as stored: where it is (subject tokens) and its metadata
// (headers), besides its payload.
type task struct {
	id, typ    string
	prio       natsgwv1.TaskPriority
	state      natsgwv1.TaskState
	retries    uint32
	maxRetries uint32
	backoff    backoff
	timeout    time.Duration
	resultTTL  time.Duration
	enqueued   time.Time
	runAt      time.Time // zero: never delayed
	finished   time.Time
	err        string
	schedule   string
	user       nats.Header // application headers
	payload    []byte
	seq        uint64 // stream sequence it was read at
	unique     bool   // the id is a caller's unique_id
}

// prioToken is the subject token of a priority.
func prioToken(p natsgwv1.TaskPriority) string { return strconv.Itoa(int(p)) }

// subject is the task's subject in state kind.
func (t *task) tokens(kind string) []string {
	return []string{kind, prioToken(t.prio), t.typ, t.id}
}

// header encodes the task's metadata and application headers. Defaults
// are left out (a plain task carries no metadata header at all), and so is
// the enqueue time of a task stored on its queued subject at once
// (enqueued false): the stream's own timestamp of the message is that
// time.
func (t *task) header(enqueued bool) nats.Header {
	h := make(nats.Header, len(t.user)+4)
	for k, v := range t.user {
		h[k] = v
	}
	if t.retries != 0 {
		h.Set(hdrRetries, strconv.FormatUint(uint64(t.retries), 10))
	}
	if t.maxRetries != defaultMaxRetries {
		h.Set(hdrMaxRetries, strconv.FormatUint(uint64(t.maxRetries), 10))
	}
	if t.backoff != (backoff{initial: defaultBackoff, mul: defaultBackoffMul, max: defaultBackoffMax}) {
		h.Set(hdrBackoff, t.backoff.String())
	}
	if t.timeout != defaultTimeout {
		h.Set(hdrTimeout, t.timeout.String())
	}
	if t.resultTTL != defaultResultTTL {
		h.Set(hdrResultTTL, t.resultTTL.String())
	}
	if enqueued {
		h.Set(hdrEnqueued, t.enqueued.UTC().Format(time.RFC3339Nano))
	}
	if !t.runAt.IsZero() {
		h.Set(hdrRunAt, t.runAt.UTC().Format(time.RFC3339Nano))
	}
	if t.err != "" {
		h.Set(hdrError, t.err)
	}
	if !t.finished.IsZero() {
		h.Set(hdrFinished, t.finished.UTC().Format(time.RFC3339Nano))
	}
	if t.schedule != "" {
		h.Set(hdrSchedule, t.schedule)
	}
	return h
}

// errNotTask marks a stored message that is not a task of the queue.
var errNotTask = errors.New("not a task")

// parseTask decodes a stored task from its subject tokens (after the
// queue's prefix), headers and payload. seq and stored are its stream
// sequence and time.
func parseTask(tokens []string, h nats.Header, payload []byte, seq uint64, stored time.Time) (*task, error) {
	if len(tokens) != 4 {
		return nil, errNotTask
	}
	t := &task{typ: tokens[2], id: tokens[3], payload: payload, seq: seq}
	switch tokens[0] {
	case kindScheduled:
		t.state = natsgwv1.TaskState_TASK_STATE_SCHEDULED
	case kindRetrying:
		t.state = natsgwv1.TaskState_TASK_STATE_RETRYING
	case kindQueued:
		t.state = natsgwv1.TaskState_TASK_STATE_QUEUED
	case kindSucceeded:
		t.state = natsgwv1.TaskState_TASK_STATE_SUCCEEDED
	case kindDead:
		t.state = natsgwv1.TaskState_TASK_STATE_DEAD
	default:
		return nil, errNotTask
	}
	p, err := strconv.Atoi(tokens[1])
	if err != nil || p < int(natsgwv1.TaskPriority_TASK_PRIORITY_LOW) || p > int(natsgwv1.TaskPriority_TASK_PRIORITY_HIGH) {
		return nil, errNotTask
	}
	t.prio = natsgwv1.TaskPriority(p)
	tick := false
	if sched := h.Get(hdrSchedule); sched != "" && t.id == cronIDPrefix+sched && t.state == natsgwv1.TaskState_TASK_STATE_QUEUED {
		// A periodic schedule's tick: every tick has the same subject, the
		// sequence tells them apart.
		t.id += "-" + strconv.FormatUint(seq, 10)
		tick = true
	}
	u64 := func(k string) uint32 {
		n, _ := strconv.ParseUint(h.Get(k), 10, 32)
		return uint32(n)
	}
	dur := func(k string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(h.Get(k)); err == nil {
			return d
		}
		return def
	}
	ts := func(k string) time.Time {
		tm, _ := time.Parse(time.RFC3339Nano, h.Get(k))
		return tm
	}
	t.retries = u64(hdrRetries)
	t.maxRetries = defaultMaxRetries
	if h.Get(hdrMaxRetries) != "" {
		t.maxRetries = u64(hdrMaxRetries)
	}
	t.backoff = parseBackoff(h.Get(hdrBackoff))
	t.timeout = dur(hdrTimeout, defaultTimeout)
	t.resultTTL = dur(hdrResultTTL, defaultResultTTL)
	t.enqueued = ts(hdrEnqueued)
	if tick || t.enqueued.IsZero() {
		t.enqueued = stored
	}
	t.runAt = ts(hdrRunAt)
	t.finished = ts(hdrFinished)
	t.err = h.Get(hdrError)
	t.schedule = h.Get(hdrSchedule)
	for k, v := range h {
		if hasPrefixFold(k, hdrPrefix) || hasPrefixFold(k, natsHdrPrefix) {
			continue
		}
		if t.user == nil {
			t.user = make(nats.Header)
		}
		t.user[k] = v
	}
	return t, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// proto returns the task as the API reports it, in queue.
func (t *task) proto(queue string) *natsgwv1.Task {
	out := &natsgwv1.Task{
		Id:         t.id,
		Queue:      queue,
		TaskType:   t.typ,
		Priority:   t.prio,
		State:      t.state,
		Retries:    t.retries,
		MaxRetries: t.maxRetries,
		Timeout:    durationpb.New(t.timeout),
		Error:      t.err,
		Schedule:   t.schedule,
	}
	if t.state == natsgwv1.TaskState_TASK_STATE_SUCCEEDED {
		out.Result = t.payload
	} else {
		out.Payload = t.payload
	}
	out.Headers = gateway.FromNATSHeader(t.user)
	if !t.enqueued.IsZero() {
		out.EnqueuedAt = timestamppb.New(t.enqueued)
	}
	if !t.runAt.IsZero() {
		out.RunAt = timestamppb.New(t.runAt)
	}
	if !t.finished.IsZero() {
		out.FinishedAt = timestamppb.New(t.finished)
	}
	return out
}

// newTask validates spec (request field field) and builds the task it
// describes, enqueued at now. For a schedule's template (template), delay,
// eta and unique_id are refused.
func (s *Service) newTask(field string, spec *natsgwv1.TaskSpec, now time.Time, template bool) (*task, error) {
	if spec == nil {
		return nil, gateway.InvalidArgument(field, "required")
	}
	t := &task{
		typ:        spec.GetTaskType(),
		prio:       spec.GetPriority(),
		state:      natsgwv1.TaskState_TASK_STATE_QUEUED,
		maxRetries: defaultMaxRetries,
		backoff:    backoff{initial: defaultBackoff, mul: defaultBackoffMul, max: defaultBackoffMax},
		timeout:    defaultTimeout,
		resultTTL:  defaultResultTTL,
		enqueued:   now,
		payload:    spec.GetPayload(),
	}
	if err := checkToken(field+".task_type", t.typ); err != nil {
		return nil, err
	}
	switch t.prio {
	case natsgwv1.TaskPriority_TASK_PRIORITY_UNSPECIFIED:
		t.prio = natsgwv1.TaskPriority_TASK_PRIORITY_NORMAL
	case natsgwv1.TaskPriority_TASK_PRIORITY_LOW, natsgwv1.TaskPriority_TASK_PRIORITY_NORMAL, natsgwv1.TaskPriority_TASK_PRIORITY_HIGH:
	default:
		return nil, gateway.InvalidArgument(field+".priority", "must be LOW, NORMAL or HIGH (got %d)", t.prio)
	}
	if spec.MaxRetries != nil {
		if spec.GetMaxRetries() > maxMaxRetries {
			return nil, gateway.InvalidArgument(field+".max_retries", "must be at most %d (got %d)", maxMaxRetries, spec.GetMaxRetries())
		}
		t.maxRetries = spec.GetMaxRetries()
	}
	if b := spec.GetBackoff(); b != nil {
		var err error
		if b.Initial != nil {
			if t.backoff.initial, err = duration(field+".backoff.initial", b.GetInitial(), 0, maxResultTTL); err != nil {
				return nil, err
			}
		}
		if b.Max != nil {
			if t.backoff.max, err = duration(field+".backoff.max", b.GetMax(), 0, maxResultTTL); err != nil {
				return nil, err
			}
		}
		switch m := b.GetMultiplier(); {
		case m == 0:
		case m < 1 || math.IsInf(m, 0) || math.IsNaN(m) || m > 1000:
			return nil, gateway.InvalidArgument(field+".backoff.multiplier", "must be between 1 and 1000 (got %g)", m)
		default:
			t.backoff.mul = m
		}
		if t.backoff.max < t.backoff.initial {
			t.backoff.max = t.backoff.initial
		}
	}
	var err error
	if spec.Timeout != nil {
		if t.timeout, err = duration(field+".timeout", spec.GetTimeout(), minTimeout, maxTimeout); err != nil {
			return nil, err
		}
	}
	if spec.ResultTtl != nil {
		if t.resultTTL, err = duration(field+".result_ttl", spec.GetResultTtl(), minResultTTL, maxResultTTL); err != nil {
			return nil, err
		}
	}
	if spec.Delay != nil || spec.Eta != nil {
		if template {
			f := field + ".delay"
			if spec.Eta != nil {
				f = field + ".eta"
			}
			return nil, gateway.InvalidArgument(f, "a schedule's template runs at each tick: no delay or eta")
		}
		if spec.Delay != nil && spec.Eta != nil {
			return nil, gateway.InvalidArgument(field+".eta", "at most one of delay and eta")
		}
		if spec.Delay != nil {
			d, err := duration(field+".delay", spec.GetDelay(), 0, maxResultTTL*12)
			if err != nil {
				return nil, err
			}
			t.runAt = now.Add(d)
		} else {
			if err := spec.GetEta().CheckValid(); err != nil {
				return nil, gateway.InvalidArgument(field+".eta", "%v", err)
			}
			t.runAt = spec.GetEta().AsTime()
		}
		if t.runAt.After(now) {
			t.state = natsgwv1.TaskState_TASK_STATE_SCHEDULED
		}
	}
	if u := spec.GetUniqueId(); u != "" {
		if template {
			return nil, gateway.InvalidArgument(field+".unique_id", "a schedule's template enqueues a new task at each tick: no unique_id")
		}
		if err := checkToken(field+".unique_id", u); err != nil {
			return nil, err
		}
		if strings.HasPrefix(u, cronIDPrefix) {
			return nil, gateway.InvalidArgument(field+".unique_id", "must not start with %q (the ids of periodic tasks)", cronIDPrefix)
		}
		t.id, t.unique = u, true
	} else {
		t.id = nuid.Next()
	}
	if t.user, err = gateway.ToNATSHeader(field+".headers", spec.GetHeaders()); err != nil {
		return nil, err
	}
	for k := range t.user {
		if hasPrefixFold(k, hdrPrefix) || hasPrefixFold(k, natsHdrPrefix) {
			return nil, gateway.InvalidArgument(field+".headers", "key %q: keys starting with %q or %q are reserved", k, natsHdrPrefix, hdrPrefix)
		}
	}
	// Room for the schedule headers NATS adds and the error a retry records.
	if n := len(t.payload) + gateway.HeaderSize(t.header(true)) + 512; n > s.maxPayload {
		return nil, gateway.InvalidArgument(field+".payload", "the task (payload %d bytes plus headers) exceeds the max payload of %d bytes", len(t.payload), s.maxPayload)
	}
	return t, nil
}

// duration checks a duration field: valid, within [lo, hi].
func duration(field string, d *durationpb.Duration, lo, hi time.Duration) (time.Duration, error) {
	if err := d.CheckValid(); err != nil {
		return 0, gateway.InvalidArgument(field, "%v", err)
	}
	v := d.AsDuration()
	if v < 0 {
		return 0, gateway.InvalidArgument(field, "must not be negative (got %s)", v)
	}
	if v < lo || v > hi {
		return 0, gateway.InvalidArgument(field, "must be between %s and %s (got %s)", lo, hi, v)
	}
	return v, nil
}

// scheduleAt is the Nats-Schedule value that releases a message at t.
// NATS parses it as RFC 3339, fractions of a second included.
func scheduleAt(t time.Time) string {
	return "@at " + t.UTC().Format(time.RFC3339Nano)
}

// message builds the NATS message that stores t in state kind of the queue
// whose subjects subject makes. A task with a future runAt in state
// SCHEDULED or RETRYING is a message schedule targeting its QUEUED
// subject.
func (t *task) message(subject func(...string) string, kind string) *nats.Msg {
	// A new task (never stored: no sequence) stored on its queued subject
	// at once: the stream's timestamp is its enqueue time.
	fresh := kind == kindQueued && t.runAt.IsZero() && t.seq == 0
	m := &nats.Msg{Subject: subject(t.tokens(kind)...), Header: t.header(!fresh), Data: t.payload}
	if kind == kindScheduled || kind == kindRetrying {
		m.Header.Set(hdrNatsSchedule, scheduleAt(t.runAt))
		m.Header.Set(hdrNatsTarget, subject(t.tokens(kindQueued)...))
	}
	return m
}
