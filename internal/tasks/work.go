package tasks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Work limits and timing.
const (
	defaultMaxInFlight = 1
	maxMaxInFlight     = 1000
	// idlePoll is how long a pull request waits when every consumer of a
	// Work stream was empty.
	idlePoll = 30 * time.Second
	// frameBytes bounds the payload bytes of one WorkResponse frame (a
	// single larger task still goes out alone).
	frameBytes = 1 << 20
	// consumerInactive: a consumer no Work stream used for this long is
	// removed by NATS (its tasks stay in the stream for the next one).
	consumerInactive = 10 * time.Minute
	// settingsEvery is how often a Work stream reads its queue's rate
	// limits again.
	settingsEvery = time.Second
)

// JetStream's refusals of a consumer that overlaps another on a work queue.
const (
	jsErrWQMultipleUnfiltered jetstream.ErrorCode = 10099
	jsErrWQNotUnique          jetstream.ErrorCode = 10100
)

// workSession is one Work stream: the consumers it pulls from (highest
// priority first) and the tasks it holds (handed out, no outcome yet).
type workSession struct {
	s      *Service
	q      tenant.TaskQueue
	cons   []jetstream.Consumer
	prios  []int // by consumer: the priority it serves
	max    int
	limits *rateLimits
	stream natsgwv1.TaskService_WorkServer

	mu      sync.Mutex
	held    map[string]*heldTask
	arrived []jetstream.Msg      // from waiting pull requests, not yet taken
	waiting []context.CancelFunc // by consumer: ends its open waiting pull request
	empty   []bool               // by consumer: known to have nothing now
	paused  bool                 // the queue is paused: no pulling
	drain   bool                 // the worker asked to stop: no pulling, end when nothing is held
	wake    chan struct{}        // an outcome freed a place, or a task arrived

	acks  chan pendingAck // outcomes whose record is being stored
	ackMu sync.RWMutex    // guards sending on acks against its close
	ended bool            // acks is closed (ackMu)
	idle  sync.WaitGroup  // idle pull requests
}

type heldTask struct {
	msg jetstream.Msg
	t   *task
}

// pendingAck is an outcome's record being stored; the task is
// acknowledged once NATS confirms it.
type pendingAck struct {
	fut jetstream.PubAckFuture
	msg jetstream.Msg
	id  string
}

func (w *workSession) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Work serves a worker; see TaskService.Work.
func (s *Service) Work(stream natsgwv1.TaskService_WorkServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	start := first.GetStart()
	if start == nil {
		return gateway.InvalidArgument("start", "the first frame of a Work stream must carry start")
	}
	if len(first.GetOutcomes()) > 0 {
		return gateway.InvalidArgument("outcomes", "the first frame carries no outcomes: no task was handed out yet")
	}
	types := start.GetTaskTypes()
	seen := make(map[string]bool, len(types))
	for i, typ := range types {
		if err := checkToken(fmt.Sprintf("start.task_types[%d]", i), typ); err != nil {
			return err
		}
		if seen[typ] {
			return gateway.InvalidArgument(fmt.Sprintf("start.task_types[%d]", i), "%q is named twice", typ)
		}
		seen[typ] = true
	}
	n := int(start.GetMaxInFlight())
	switch {
	case n > maxMaxInFlight:
		return gateway.InvalidArgument("start.max_in_flight", "must be at most %d (got %d)", maxMaxInFlight, n)
	case n == 0:
		n = defaultMaxInFlight
	}
	q, err := s.ensure(ctx, "start.queue", start.GetQueue())
	if err != nil {
		return err
	}
	cfg, err := s.settings(ctx, q)
	if err != nil {
		return err
	}
	cons, prios, err := s.consumers(ctx, q, types, cfg.pausedUntil)
	if err != nil {
		return err
	}
	w := &workSession{
		s:       s,
		q:       q,
		cons:    cons,
		prios:   prios,
		max:     n,
		limits:  s.rateLimits(q, cfg.rates),
		stream:  stream,
		held:    make(map[string]*heldTask),
		waiting: make([]context.CancelFunc, len(cons)),
		empty:   make([]bool, len(cons)),
		paused:  cfg.pausedUntil.After(time.Now()),
		wake:    make(chan struct{}, 1),
		acks:    make(chan pendingAck, 1024),
	}
	if err := stream.Send(&natsgwv1.WorkResponse{Ready: &natsgwv1.WorkReady{MaxInFlight: uint32(n)}}); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	readErr := make(chan error, 1)
	// The reader ends when the worker's frames do, at the latest when this
	// handler returns (gRPC then ends the stream); it may still apply an
	// outcome while the rest shuts down, which ends = true turns into a
	// redelivery.
	go func() { readErr <- w.read(ctx); w.signal() }()
	wg.Add(2)
	go func() { defer wg.Done(); w.keepLeases(ctx) }()
	go func() { defer wg.Done(); w.ackStored() }()
	err = w.pump(ctx, readErr)
	cancel()
	w.idle.Wait()
	w.ackMu.Lock()
	w.ended = true
	close(w.acks)
	w.ackMu.Unlock()
	w.release()
	wg.Wait()
	switch {
	case errors.Is(err, errHalfClosed):
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return s.errs(stream.Context(), fmt.Sprintf("work on queue %q", q.Name()), err)
	}
	return err
}

// goOn is a wake channel that is always ready.
var goOn = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// errHalfClosed ends a Work stream whose worker half-closed it.
var errHalfClosed = errors.New("worker half-closed the stream")

// consumers returns the durable consumers a Work stream for types pulls
// from, highest priority first, creating them as needed. One per priority
// takes every type ("a<prio>"); with types, one per priority and type
// ("t<prio>_<type>").
func (s *Service) consumers(ctx context.Context, q tenant.TaskQueue, types []string, pausedUntil time.Time) ([]jetstream.Consumer, []int, error) {
	var out []jetstream.Consumer
	var prios []int
	for p := natsgwv1.TaskPriority_TASK_PRIORITY_HIGH; p >= natsgwv1.TaskPriority_TASK_PRIORITY_LOW; p-- {
		names, filters := []string{"a" + prioToken(p)}, []string{q.Subject(kindQueued, prioToken(p), "*", "*")}
		if len(types) > 0 {
			names, filters = names[:0], filters[:0]
			for _, typ := range types {
				names = append(names, "t"+prioToken(p)+"_"+typ)
				filters = append(filters, q.Subject(kindQueued, prioToken(p), typ, "*"))
			}
		}
		for i, name := range names {
			cfg := jetstream.ConsumerConfig{
				Durable:           name,
				FilterSubject:     filters[i],
				AckPolicy:         jetstream.AckExplicitPolicy,
				AckWait:           s.ackWait,
				MaxDeliver:        -1,
				MaxAckPending:     -1,
				InactiveThreshold: consumerInactive,
			}
			if !pausedUntil.IsZero() {
				cfg.PauseUntil = &pausedUntil
			}
			c, err := s.js.CreateOrUpdateConsumer(ctx, q.NATSName(), cfg)
			if err != nil {
				if c := apiCode(err); c == jsErrWQNotUnique || c == jsErrWQMultipleUnfiltered {
					if len(types) == 0 {
						return nil, nil, gateway.FailedPrecondition("start.task_types: workers of queue %q name their task types; a worker for every type cannot join them (name the types)", q.Name())
					}
					return nil, nil, gateway.FailedPrecondition("start.task_types: workers of queue %q take every task type; a worker for some types cannot join them (leave task_types empty)", q.Name())
				}
				return nil, nil, s.errs(ctx, fmt.Sprintf("work on queue %q", q.Name()), err)
			}
			out = append(out, c)
			prios = append(prios, int(p))
		}
	}
	return out, prios, nil
}

func apiCode(err error) jetstream.ErrorCode {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode
	}
	return 0
}

// pump hands out tasks until the stream ends. Each consumer is in one of
// three states: it may have messages (swept without waiting, in priority
// order, whenever the worker has room), it is known to be empty (its last
// sweep came back short, or its last delivery said nothing was pending), or
// it has a waiting pull request for one message open, which NATS answers
// as soon as the consumer has one. So an idle queue costs one pull request
// per task, and a backlog is read in batches of the worker's free room.
func (w *workSession) pump(ctx context.Context, readErr <-chan error) error {
	for {
		if err := w.wait(ctx, readErr, goOn); err != nil {
			return err
		}
		if w.drained() {
			return errHalfClosed
		}
		free := w.free()
		if free <= 0 || w.isPaused() {
			if err := w.wait(ctx, readErr, w.wake); err != nil {
				return err
			}
			continue
		}
		out, more, err := w.sweep(ctx, free)
		if err != nil {
			return err
		}
		if len(out) > 0 {
			if err := w.send(out); err != nil {
				return err
			}
		}
		if more && w.free() > 0 {
			continue
		}
		w.waitIdle(ctx)
		if err := w.wait(ctx, readErr, w.wake); err != nil {
			return err
		}
	}
}

func (w *workSession) isPaused() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.paused || w.drain
}

// drained reports a draining stream whose every task has an outcome.
func (w *workSession) drained() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.drain && len(w.held) == 0
}

// setPaused follows the queue's pause. NATS pauses the consumers; the
// stream stops pulling too, and its idle pull requests (which a pause
// leaves unanswered) are replaced.
func (w *workSession) setPaused(until time.Time) {
	paused := until.After(time.Now())
	w.mu.Lock()
	changed := paused != w.paused
	w.paused = paused
	if changed {
		for i, cancel := range w.waiting {
			if cancel != nil {
				cancel()
			}
			w.empty[i] = false
		}
	}
	w.mu.Unlock()
	if changed {
		w.signal()
	}
}

// free is how many more tasks the worker may hold.
func (w *workSession) free() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max - len(w.held)
}

// wait returns when wake fires (nil) or the stream ends (why). With wake
// goOn it only checks whether the stream ended (and may miss that it
// did; the next check sees it).
func (w *workSession) wait(ctx context.Context, readErr <-chan error, wake <-chan struct{}) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.s.closing:
		return errShuttingDown
	case err := <-readErr:
		return err
	case <-wake:
		return nil
	}
}

// sweep takes up to free tasks, highest priority first: from what waiting
// pull requests delivered and from each consumer that may have messages
// (without waiting; a lower priority only for the room higher ones leave).
// What does not fit stays for the next sweep. more reports a consumer that
// filled its request (it may have more).
func (w *workSession) sweep(ctx context.Context, free int) (tasks []*natsgwv1.Task, more bool, err error) {
	w.mu.Lock()
	msgs := w.arrived
	w.arrived = nil
	w.mu.Unlock()
	for i, c := range w.cons {
		above := 0
		for _, m := range msgs {
			if w.prioOf(m) >= w.prios[i] {
				above++
			}
		}
		want := free - above
		if want <= 0 {
			break
		}
		w.mu.Lock()
		skip := w.waiting[i] != nil || w.empty[i]
		w.mu.Unlock()
		if skip {
			continue
		}
		b, ferr := c.FetchNoWait(want)
		if ferr != nil {
			err = w.consumerError(ctx, ferr)
			break
		}
		got := 0
		for m := range b.Messages() {
			msgs = append(msgs, m)
			got++
		}
		if ferr := b.Error(); ferr != nil && !errors.Is(ferr, nats.ErrTimeout) && !errors.Is(ferr, jetstream.ErrNoMessages) {
			err = w.consumerError(ctx, ferr)
			break
		}
		w.mu.Lock()
		w.empty[i] = got < want
		w.mu.Unlock()
		more = more || got == want
	}
	slices.SortStableFunc(msgs, func(a, b jetstream.Msg) int { return w.prioOf(b) - w.prioOf(a) })
	if len(msgs) > free {
		w.mu.Lock()
		w.arrived = append(w.arrived, msgs[free:]...)
		w.mu.Unlock()
		msgs = msgs[:free]
	}
	return w.take(ctx, msgs), more, err
}

// prioOf is the priority of a delivered task (0 for a message that is not
// one).
func (w *workSession) prioOf(m jetstream.Msg) int {
	toks, ok := w.q.Tokens(m.Subject())
	if !ok || len(toks) != 4 {
		return 0
	}
	p, _ := strconv.Atoi(toks[1])
	return p
}

// consumerError ends a Work stream whose consumer failed; a deleted queue
// (or consumer) ends it with NotFound.
func (w *workSession) consumerError(ctx context.Context, err error) error {
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return gateway.NotFound("work on queue %q: the queue was deleted", w.q.Name())
	}
	return w.s.errs(ctx, fmt.Sprintf("work on queue %q", w.q.Name()), err)
}

// waitIdle opens a waiting pull request (one task) on every consumer that
// is known to be empty and has none; what they deliver is taken by the next
// sweep. They end with the stream (ctx).
func (w *workSession) waitIdle(ctx context.Context) {
	for i, c := range w.cons {
		pctx, cancel := context.WithTimeout(ctx, idlePoll)
		w.mu.Lock()
		busy := w.waiting[i] != nil || !w.empty[i] // not known empty: swept instead
		if !busy {
			w.waiting[i] = cancel
		}
		w.mu.Unlock()
		if busy {
			cancel()
			continue
		}
		b, err := c.Fetch(1, jetstream.FetchContext(pctx))
		if err != nil {
			cancel()
			w.mu.Lock()
			w.waiting[i] = nil
			w.mu.Unlock()
			continue
		}
		w.idle.Add(1)
		go func() {
			defer w.idle.Done()
			defer cancel()
			var got []jetstream.Msg
			for m := range b.Messages() {
				got = append(got, m)
			}
			w.mu.Lock()
			w.waiting[i] = nil
			if len(got) > 0 {
				md, err := got[len(got)-1].Metadata()
				w.empty[i] = err == nil && md.NumPending == 0
			}
			w.arrived = append(w.arrived, got...)
			w.mu.Unlock()
			w.signal()
		}()
	}
}

// take registers delivered messages as held and returns the tasks to hand
// out. A message that is not a task is terminated; tasks over their type's
// rate limit go back to the queue until the limit's next window.
func (w *workSession) take(ctx context.Context, msgs []jetstream.Msg) []*natsgwv1.Task {
	if len(msgs) == 0 {
		return nil
	}
	ts := make([]*task, 0, len(msgs))
	kept := msgs[:0]
	for _, m := range msgs {
		tokens, ok := w.q.Tokens(m.Subject())
		var t *task
		var err error
		if ok {
			md, mdErr := m.Metadata()
			if mdErr != nil {
				err = mdErr
			} else {
				t, err = parseTask(tokens, m.Headers(), m.Data(), md.Sequence.Stream, md.Timestamp)
			}
		}
		if !ok || err != nil || t.state != natsgwv1.TaskState_TASK_STATE_QUEUED {
			w.s.log.Warn("not a task; terminating it", "subject", m.Subject())
			_ = m.Term()
			continue
		}
		ts = append(ts, t)
		kept = append(kept, m)
	}
	admitted := w.limits.admit(ctx, ts, kept)
	out := make([]*natsgwv1.Task, 0, len(ts))
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, t := range ts {
		m := kept[i]
		if !admitted[i] {
			continue
		}
		if _, dup := w.held[t.id]; dup {
			// Redelivered while held (NATS's ack wait passed): keep one.
			_ = m.InProgress()
			continue
		}
		t.state = natsgwv1.TaskState_TASK_STATE_RUNNING
		w.held[t.id] = &heldTask{msg: m, t: t}
		out = append(out, t.proto(w.q.Name()))
	}
	return out
}

// send hands tasks to the worker in frames.
func (w *workSession) send(tasks []*natsgwv1.Task) error {
	for i := 0; i < len(tasks); {
		size, j := 0, i
		for j < len(tasks) && (j == i || size+len(tasks[j].GetPayload()) <= frameBytes) {
			size += len(tasks[j].GetPayload())
			j++
		}
		if err := w.stream.Send(&natsgwv1.WorkResponse{Tasks: tasks[i:j]}); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// read applies the worker's outcomes until it half-closes (nil) or fails.
func (w *workSession) read(ctx context.Context) error {
	for {
		req, err := w.stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errHalfClosed
			}
			return err
		}
		if req.GetStart() != nil {
			return gateway.InvalidArgument("start", "only the first frame may carry start")
		}
		for i, o := range req.GetOutcomes() {
			if err := w.apply(ctx, fmt.Sprintf("outcomes[%d]", i), o); err != nil {
				return err
			}
		}
		if req.GetDrain() {
			w.mu.Lock()
			w.drain = true
			w.mu.Unlock()
			w.signal()
		}
	}
}

// apply carries out one outcome: stores the task's next record (result,
// retry or dead letter) and acknowledges the delivery once it is stored.
func (w *workSession) apply(ctx context.Context, field string, o *natsgwv1.TaskOutcome) error {
	id := o.GetTaskId()
	w.mu.Lock()
	h := w.held[id]
	w.mu.Unlock()
	if h == nil {
		return gateway.InvalidArgument(field+".task_id", "task %q is not held by this Work stream (unknown, or its outcome was already given)", id)
	}
	t := *h.t
	now := time.Now()
	var kind string
	switch oc := o.GetOutcome().(type) {
	case *natsgwv1.TaskOutcome_Success:
		kind = kindSucceeded
		t.payload = oc.Success.GetResult()
		t.finished = now
		if len(t.payload) > w.s.maxPayload-4096 {
			return gateway.InvalidArgument(field+".success.result", "must be at most %d bytes (got %d)", w.s.maxPayload-4096, len(t.payload))
		}
	case *natsgwv1.TaskOutcome_Retry:
		t.err = oc.Retry.GetError()
		if t.retries >= t.maxRetries {
			kind = kindDead
			t.finished = now
			break
		}
		t.retries++
		d := t.backoff.delay(t.retries)
		if oc.Retry.Delay != nil {
			var err error
			if d, err = duration(field+".retry.delay", oc.Retry.GetDelay(), 0, maxResultTTL); err != nil {
				return err
			}
		}
		t.runAt = now.Add(d)
		kind = kindRetrying
		if d <= 0 {
			kind = kindQueued
		}
	case *natsgwv1.TaskOutcome_Fail:
		kind = kindDead
		t.err = oc.Fail.GetError()
		t.finished = now
	default:
		return gateway.InvalidArgument(field, "must carry success, retry or fail")
	}
	if len(t.err) > maxErrorLen {
		t.err = t.err[:maxErrorLen]
	}
	w.mu.Lock()
	delete(w.held, id)
	w.mu.Unlock()
	w.signal()
	m := t.message(w.q.Subject, kind)
	if kind == kindSucceeded {
		m.Header.Set("Nats-TTL", ttlString(t.resultTTL))
	}
	w.ackMu.RLock()
	defer w.ackMu.RUnlock()
	if w.ended {
		// The stream is ending: the outcome is lost, the task runs again.
		_ = h.msg.Nak()
		return nil
	}
	fut, err := w.s.js.PublishMsgAsync(m)
	if err != nil {
		w.s.log.Warn("task outcome not stored; the task will run again", "queue", w.q.Name(), "task", id, "err", err)
		_ = h.msg.Nak()
		return nil
	}
	w.acks <- pendingAck{fut: fut, msg: h.msg, id: id}
	return nil
}

// maxErrorLen bounds the error a task keeps (it travels in a header).
const maxErrorLen = 4096

// ttlString is a Nats-TTL value: whole seconds.
func ttlString(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10) + "s"
}

// ackStored acknowledges deliveries whose outcome NATS has stored, in
// order, until acks is closed and drained.
func (w *workSession) ackStored() {
	timer := time.NewTimer(outcomeTimeout)
	defer timer.Stop()
	for p := range w.acks {
		timer.Reset(outcomeTimeout)
		select {
		case <-p.fut.Ok():
			_ = p.msg.Ack()
		case err := <-p.fut.Err():
			w.s.log.Warn("task outcome not stored; the task will run again", "queue", w.q.Name(), "task", p.id, "err", err)
			_ = p.msg.Nak()
		case <-timer.C:
			w.s.log.Warn("task outcome not confirmed; the task may run again", "queue", w.q.Name(), "task", p.id)
			_ = p.msg.Nak()
		}
	}
}

// keepLeases tells NATS, well within its ack wait, that the held tasks are
// still being worked on; and follows changes of the queue's rate limits.
func (w *workSession) keepLeases(ctx context.Context) {
	t := time.NewTicker(w.s.ackWait / 3)
	defer t.Stop()
	refresh := time.NewTicker(settingsEvery)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
			if st, err := w.s.settings(ctx, w.q); err == nil {
				w.limits.set(st.rates)
				w.setPaused(st.pausedUntil)
			}
			continue
		case <-t.C:
		}
		w.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(w.held)+len(w.arrived))
		for _, h := range w.held {
			msgs = append(msgs, h.msg)
		}
		msgs = append(msgs, w.arrived...)
		w.mu.Unlock()
		for _, m := range msgs {
			_ = m.InProgress()
		}
	}
}

// release gives back the tasks the worker held without an outcome: each
// runs again after its timeout (the worker may still be running it, cut
// off from the gateway), and what idle pull requests delivered but no
// worker saw runs again at once.
func (w *workSession) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, h := range w.held {
		_ = h.msg.NakWithDelay(h.t.timeout)
		delete(w.held, id)
	}
	for _, m := range w.arrived {
		_ = m.Nak()
	}
	w.arrived = nil
}
