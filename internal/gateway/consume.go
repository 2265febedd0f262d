package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Consume limits and timing.
const (
	defaultMaxInFlight = 64
	maxMaxInFlight     = 10000
	// A Consume stream's pull requests live this long; NATS sends idle
	// heartbeats on them, and a request silent for two heartbeats is
	// presumed lost (a NATS reconnect) and replaced.
	consumeExpires   = 30 * time.Second
	consumeHeartbeat = 5 * time.Second
	// consumeRetry spaces pull requests after NATS refused one for a
	// passing reason (too many waiting requests, a leader change).
	consumeRetry = 100 * time.Millisecond
	// In a burst (a frame sent within consumeBurst), NATS delivers a pull
	// request's messages back to back; waiting up to consumeLinger for a
	// frame to fill makes frames of dozens of messages instead of a few,
	// which is what keeps the gRPC hop cheap. Outside bursts a message goes
	// out at once.
	consumeLinger = 100 * time.Microsecond
	consumeBurst  = time.Millisecond
)

// consumeSession is one Consume stream: a private inbox on which its pull
// requests are answered, and the credit accounting that keeps at most
// max messages between NATS and the client's "done".
//
// Flow control: inflight counts messages received from NATS (queued here
// or at the client) that the client has not given back as credit;
// outstanding counts messages requested from NATS and not yet received.
// A new pull request asks for max-inflight-outstanding messages, so no
// message ever waits in the gateway with its ack_wait running for want of
// room at the client. Requests are issued when at least half the window
// is free, so two are usually open at once and the client never waits for
// a round trip to NATS.
//
// Stored messages arrive with their own subject, so they cannot be told
// apart by request; status messages arrive on the request's reply subject
// (inbox+key) and settle that request: a 408 says how many of its messages
// never came, a refusal (409 without a count) that none will.
type consumeSession struct {
	g        *Gateway
	org      string
	st       tenant.Stream
	consumer string
	action   string
	next     string // the pull request subject
	inbox    string // "_INBOX.<nuid>."; each request answers on inbox+key
	max      int
	sub      *nats.Subscription
	priority pullRequest // the priority group fields of every pull request

	mu          sync.Mutex
	queue       []*nats.Msg
	inflight    int
	requests    map[string]openRequest // by key
	outstanding int
	reqSeq      uint64
	lastSeen    time.Time // last message or status from NATS
	retryAt     time.Time // no pull request before this
	stopped     bool      // the client half-closed: no more pull requests
	gone        bool      // NATS said nobody serves the consumer (503)
	fail        error     // terminal status from NATS
	notify      chan struct{}
}

// openRequest is a pull request NATS has not settled with a status.
type openRequest struct {
	batch   int
	expires time.Time
}

func (c *consumeSession) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *consumeSession) onMsg(m *nats.Msg) {
	kind, pending, desc := classify(m)
	c.mu.Lock()
	c.lastSeen = time.Now()
	if c.priority.Group != "" {
		// Pinned: NATS names the pin on each message, and refuses (423) a
		// request with a pin that is no longer the one.
		if pin := m.Header.Get("Nats-Pin-Id"); pin != "" {
			c.priority.PinID = pin
		} else if m.Header.Get("Status") == "423" {
			c.priority.PinID = ""
		}
	}
	if kind == pullMsg {
		c.outstanding = max(c.outstanding-1, 0)
		c.queue = append(c.queue, m)
		c.inflight++
		c.mu.Unlock()
		c.wake()
		return
	}
	key := strings.TrimPrefix(m.Subject, c.inbox)
	switch kind {
	case pullHeartbeat:
	case pullDone:
		c.settleLocked(key, pending, true)
	case pullConflict:
		// A refusal carries no count: none of the request's messages will
		// come. A request cut short (leader change) does carry one.
		c.settleLocked(key, pending, m.Header.Get("Nats-Pending-Messages") != "")
		if err := conflictError(c.action, desc); isTerminalConflict(desc) {
			c.fail = err
		} else {
			c.retryLaterLocked()
		}
	case pullGone:
		c.settleLocked(key, 0, false)
		c.gone = true
	default:
		c.settleLocked(key, 0, false)
		c.retryLaterLocked()
	}
	c.pullLocked()
	c.mu.Unlock()
	c.wake()
}

// retryLaterLocked holds pull requests back for consumeRetry, then makes
// one if there is room.
func (c *consumeSession) retryLaterLocked() {
	if time.Now().Before(c.retryAt) {
		return // a retry is already scheduled
	}
	c.retryAt = time.Now().Add(consumeRetry)
	time.AfterFunc(consumeRetry, func() {
		c.mu.Lock()
		c.pullLocked()
		c.mu.Unlock()
	})
}

// settleLocked ends request key: left of its messages will not come (when
// counted), or none of them will (otherwise).
func (c *consumeSession) settleLocked(key string, left int, counted bool) {
	r, ok := c.requests[key]
	if !ok {
		return
	}
	delete(c.requests, key)
	if !counted {
		left = r.batch
	}
	c.outstanding = max(c.outstanding-left, 0)
}

// isTerminalConflict reports 409 statuses after which pulling again is
// pointless.
func isTerminalConflict(desc string) bool {
	d := strings.ToLower(desc)
	return strings.Contains(d, "consumer deleted") || strings.Contains(d, "push based")
}

// pullLocked requests more messages when there is room. c.mu is held.
func (c *consumeSession) pullLocked() {
	if c.stopped || c.gone || c.fail != nil || time.Now().Before(c.retryAt) {
		return
	}
	want := c.max - c.inflight - c.outstanding
	if want <= 0 || (c.outstanding > 0 && want < max(1, c.max/2)) {
		return
	}
	pr := c.priority
	pr.Batch, pr.MaxBytes, pr.Expires, pr.Heartbeat = want, c.g.pullMaxBytes(), consumeExpires, consumeHeartbeat
	body, _ := json.Marshal(pr)
	c.reqSeq++
	key := strconv.FormatUint(c.reqSeq, 36)
	if err := c.g.nc.PublishRequest(c.next, c.inbox+key, body); err != nil {
		c.retryLaterLocked()
		return
	}
	now := time.Now()
	if c.outstanding == 0 {
		c.lastSeen = now // the heartbeat clock starts with the first open request
	}
	c.requests[key] = openRequest{batch: want, expires: now.Add(consumeExpires)}
	c.outstanding += want
}

// credit gives back n messages the client has finished with.
func (c *consumeSession) credit(n uint32) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	atClient := c.inflight - len(c.queue)
	c.inflight -= min(int(n), atClient)
	c.pullLocked()
	c.mu.Unlock()
}

// tick replaces pull requests that went silent (a NATS reconnect loses
// them), forgets requests that were fulfilled (NATS settles those without
// a status) and retries refused ones.
func (c *consumeSession) tick() {
	c.mu.Lock()
	now := time.Now()
	if c.outstanding > 0 && now.Sub(c.lastSeen) > 2*consumeHeartbeat {
		clear(c.requests)
		c.outstanding = 0
	}
	for k, r := range c.requests {
		if now.After(r.expires.Add(consumeHeartbeat)) {
			delete(c.requests, k)
		}
	}
	c.pullLocked()
	c.mu.Unlock()
}

// take returns the queued messages (swapping in spare) and the session's
// state.
func (c *consumeSession) take(spare []*nats.Msg) (msgs []*nats.Msg, gone bool, fail error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msgs, c.queue = c.queue, spare[:0]
	return msgs, c.gone, c.fail
}

// queued is how many messages wait to be sent.
func (c *consumeSession) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// stop ends pulling: no new requests, and the inbox closes so nothing more
// arrives.
func (c *consumeSession) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	_ = c.sub.Unsubscribe()
}

func (s *consumerServer) Consume(stream natsgwv1.ConsumerService_ConsumeServer) error {
	ctx := stream.Context()
	id, err := identity(ctx)
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return nilIfEOF(err)
	}
	start := first.GetStart()
	if start == nil {
		return invalidArgumentf("start", "the first frame of a Consume stream must carry start")
	}
	c, err := s.g.openConsume(ctx, id.Org, start)
	if err != nil {
		return err
	}
	defer c.stop()
	if err := stream.Send(&natsgwv1.ConsumeResponse{Ready: &natsgwv1.ConsumeReady{MaxInFlight: uint32(c.max)}}); err != nil {
		return err
	}
	// Later frames (acknowledgements, credit) may also ride on the first.
	stop := make(chan error, 1)
	go func() { stop <- s.g.readConsume(ctx, c, stream, first) }()
	return s.g.deliverConsume(ctx, c, stream, stop)
}

// openConsume validates start, checks that the consumer exists, and starts
// pulling.
func (g *Gateway) openConsume(ctx context.Context, org string, start *natsgwv1.ConsumeStart) (*consumeSession, error) {
	st, err := g.stream(org, "start.stream", start.GetStream())
	if err != nil {
		return nil, err
	}
	if err := consumerName("start.consumer", start.GetConsumer()); err != nil {
		return nil, err
	}
	n := int(start.GetMaxInFlight())
	switch {
	case n > maxMaxInFlight:
		return nil, invalidArgumentf("start.max_in_flight", "at most %d (got %d)", maxMaxInFlight, n)
	case n == 0:
		n = defaultMaxInFlight
	}
	var prio pullRequest
	if err := withPriority("start.priority", start.GetPriority(), &prio); err != nil {
		return nil, err
	}
	c := &consumeSession{
		priority: prio,
		g:        g,
		org:      org,
		st:       st,
		consumer: start.GetConsumer(),
		action:   fmt.Sprintf("consume from consumer %q of stream %q", start.GetConsumer(), start.GetStream()),
		next:     nextSubject(st, start.GetConsumer()),
		inbox:    nats.NewInbox() + ".",
		max:      n,
		requests: make(map[string]openRequest),
		notify:   make(chan struct{}, 1),
	}
	info, err := g.consumerInfo(ctx, st, c.consumer)
	if err != nil {
		return nil, g.natsError(ctx, c.action, err)
	}
	if info.Config.DeliverSubject != "" {
		return nil, failedPrecondition("%s: the consumer is a push consumer; natsgw reads pull consumers only", c.action)
	}
	if c.sub, err = g.nc.Subscribe(c.inbox+"*", c.onMsg); err != nil {
		return nil, g.natsError(ctx, c.action, err)
	}
	// Bounded by the credit window, not by nats.go's defaults.
	_ = c.sub.SetPendingLimits(-1, -1)
	c.mu.Lock()
	c.pullLocked()
	c.mu.Unlock()
	return c, nil
}

// readConsume applies the client's frames (starting with first, which may
// carry acks and credit besides start) until the client half-closes (nil)
// or something fails.
func (g *Gateway) readConsume(ctx context.Context, c *consumeSession, stream natsgwv1.ConsumerService_ConsumeServer, first *natsgwv1.ConsumeRequest) error {
	req := first
	for {
		if req != first && req.GetStart() != nil {
			return invalidArgumentf("start", "only the first frame may carry start")
		}
		for i, a := range req.GetAcks() {
			if err := g.streamAck(ctx, c.org, fmt.Sprintf("acks[%d]", i), a); err != nil {
				return err
			}
		}
		c.credit(req.GetCredit())
		var err error
		if req, err = stream.Recv(); err != nil {
			return nilIfEOF(err)
		}
	}
}

// streamAck publishes one acknowledgement received on a Consume stream,
// without waiting for NATS's confirmation (the stream's throughput depends
// on it; the unary calls confirm). A TERM of a consumer with dead letters is
// copied to the dead-letter stream first; if that copy fails the TERM is not
// sent, so the message comes back after ack_wait and nothing is lost.
func (g *Gateway) streamAck(ctx context.Context, org, field string, a *natsgwv1.AckOperation) error {
	tok, err := g.ackToken(org, field+".ack_token", a.GetAckToken())
	if err != nil {
		return err
	}
	var delay time.Duration
	switch a.GetKind() {
	case natsgwv1.AckKind_ACK_KIND_ACK, natsgwv1.AckKind_ACK_KIND_IN_PROGRESS:
	case natsgwv1.AckKind_ACK_KIND_NAK:
		if delay, err = checkNakDelay(field+".delay", a.GetDelay()); err != nil {
			return err
		}
	case natsgwv1.AckKind_ACK_KIND_TERM:
		if err := checkTermReason(field+".reason", a.GetReason()); err != nil {
			return err
		}
		op := ackOp{tok: tok, kind: a.GetKind(), reason: a.GetReason()}
		if err := g.dlq.beforeTerm(ctx, org, []ackOp{op}); err != nil {
			g.log.Warn("dead letter not copied; not terminating the message, it will be redelivered",
				"stream", tok.NATSStream, "consumer", tok.Consumer, "seq", tok.StreamSeq, "err", err)
			return nil
		}
	default:
		return invalidArgumentf(field+".kind", "must be ACK, NAK, TERM or IN_PROGRESS (got %d)", a.GetKind())
	}
	if err := g.nc.Publish(tok.Subject, ackPayload(a.GetKind(), delay, a.GetReason())); err != nil {
		return g.natsError(ctx, ackVerb(a.GetKind()), err)
	}
	return nil
}

// deliverConsume sends what NATS delivers until the client goes away, the
// reader ends (stop: nil after a half-close, then what is queued is sent
// first), NATS ends the consumer, or the gateway shuts down.
func (g *Gateway) deliverConsume(ctx context.Context, c *consumeSession, stream natsgwv1.ConsumerService_ConsumeServer, stop <-chan error) error {
	ticker := time.NewTicker(consumeHeartbeat)
	defer ticker.Stop()
	linger := time.NewTimer(consumeLinger)
	defer linger.Stop()
	fill := max(1, min(frameMsgs/8, c.max/4)) // a frame worth lingering for
	var lastSend time.Time
	var spare []*nats.Msg
	resp := &natsgwv1.ConsumeResponse{}
	frame := make([]*natsgwv1.ConsumedMessage, 0, frameMsgs)
	send := func(msgs []*nats.Msg) error {
		for i := 0; i < len(msgs); {
			frame = frame[:0]
			size := 0
			for ; i < len(msgs) && len(frame) < frameMsgs && (len(frame) == 0 || size+len(msgs[i].Data) <= frameBytes); i++ {
				if cm, ok := g.consumedOut(c.org, c.st, msgs[i]); ok {
					frame = append(frame, cm)
					size += len(msgs[i].Data)
				} else {
					c.credit(1) // never handed out
				}
				msgs[i] = nil
			}
			if len(frame) == 0 {
				continue
			}
			resp.Messages = frame
			// Counted before the send, as for subscriptions: a client that
			// has the frame finds it in its statistics.
			g.traffic.out(c.org, len(frame), size)
			if err := stream.Send(resp); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-g.closing:
			return errShuttingDown
		case err := <-stop:
			if err != nil {
				return err
			}
			// The client half-closed: stop pulling, hand over what already
			// arrived (the client naks what it will not handle), end.
			c.stop()
			msgs, _, _ := c.take(nil)
			return send(msgs)
		case <-ticker.C:
			c.tick()
			continue
		case <-c.notify:
		}
		if time.Since(lastSend) < consumeBurst && c.queued() < fill {
			linger.Reset(consumeLinger)
		wait:
			for c.queued() < fill {
				select {
				case <-c.notify:
				case <-linger.C:
					break wait
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			linger.Stop()
		}
		msgs, gone, fail := c.take(spare)
		if err := send(msgs); err != nil {
			return err
		}
		if len(msgs) > 0 {
			lastSend = time.Now()
		}
		spare = msgs
		switch {
		case fail != nil:
			return fail
		case gone:
			return g.consumerGone(ctx, c.action, c.st, c.consumer)
		}
	}
}
