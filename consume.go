package natsgw

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// StreamMsgHandler handles one message delivered by Consume.
type StreamMsgHandler func(*StreamMsg)

// ConsumeOption configures Consume.
type ConsumeOption func(*consumeOptions)

type consumeOptions struct {
	maxInFlight int
	handlers    int
}

// WithMaxInFlight bounds the messages delivered to this Consume and not yet
// handled (default 64, at most 10000). The gateway asks NATS for messages
// only when there is room here. Messages waiting here for a free handler
// have their ack wait running: with slow handlers (a good part of the ack
// wait per message), set it close to the number of handlers so that a
// waiting message is not redelivered to another worker meanwhile.
func WithMaxInFlight(n int) ConsumeOption {
	return func(o *consumeOptions) {
		if n > 0 {
			o.maxInFlight = min(n, 10000)
		}
	}
}

// WithHandlers runs the handler on n goroutines at once (default 1:
// messages are handled one at a time, in order). MaxInFlight is raised to
// at least 2n so that every goroutine has work.
func WithHandlers(n int) ConsumeOption {
	return func(o *consumeOptions) {
		if n > 0 {
			o.handlers = n
		}
	}
}

// ConsumeContext is a running Consume. It re-establishes itself when the
// gateway restarts (the consumer's state lives in NATS), until Stop, the
// Client's Close, or a permanent error (see Err).
type ConsumeContext struct {
	c                *Client
	stream, consumer string
	handler          StreamMsgHandler
	opts             consumeOptions

	ctx    context.Context
	cancel context.CancelFunc
	work   chan *StreamMsg
	done   chan struct{}
	err    error // set before done is closed

	stopping atomic.Bool
	running  atomic.Int32  // handlers running a message
	gen      atomic.Uint64 // the current session

	// The current session's outgoing frame, filled by acks and finished
	// handlers and sent by the session's sender.
	mu      sync.Mutex
	out     natsgwv1.ConsumerService_ConsumeClient // nil between sessions and after Stop
	acks    []*natsgwv1.AckOperation
	credit  uint32
	pending chan struct{} // capacity 1: "the frame is not empty"
	changed chan struct{} // capacity 1: after Stop, "a handler finished or the session ended"
	sendMu  sync.Mutex    // orders Send and CloseSend
	stopNak []string      // tokens of messages received but not handled at Stop
}

// Consume calls handler for every message of a consumer as it arrives, on a
// stream that keeps up to MaxInFlight messages in flight. The handler
// acknowledges each message (StreamMsg.Ack and friends); those
// acknowledgements travel on the same stream. Consume returns once the
// consumer is found and delivery has started; ctx bounds only that.
func (c *Client) Consume(ctx context.Context, stream, consumer string, handler StreamMsgHandler, opts ...ConsumeOption) (*ConsumeContext, error) {
	if err := c.errIfClosed(); err != nil {
		return nil, err
	}
	if handler == nil {
		return nil, fmt.Errorf("%w: handler must not be nil", ErrInvalidArgument)
	}
	o := consumeOptions{maxInFlight: 64, handlers: 1}
	for _, opt := range opts {
		opt(&o)
	}
	o.maxInFlight = max(o.maxInFlight, min(2*o.handlers, 10000))
	cc := &ConsumeContext{
		c: c, stream: stream, consumer: consumer, handler: handler, opts: o,
		work:    make(chan *StreamMsg, o.maxInFlight),
		done:    make(chan struct{}),
		pending: make(chan struct{}, 1),
		changed: make(chan struct{}, 1),
	}
	cc.ctx, cc.cancel = context.WithCancel(c.ctx)
	var handlers sync.WaitGroup
	for range o.handlers {
		handlers.Add(1)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer handlers.Done()
			cc.handle()
		}()
	}
	first := make(chan error, 1)
	c.wg.Add(1)
	go cc.run(first, &handlers)
	select {
	case err := <-first:
		if err != nil {
			cc.cancel()
			<-cc.done
			return nil, err
		}
		return cc, nil
	case <-ctx.Done():
		cc.cancel()
		<-cc.done
		return nil, ctx.Err()
	}
}

// handle runs the handler for each message; at Stop, messages not started
// are set aside to be given back (nak).
func (cc *ConsumeContext) handle() {
	for m := range cc.work {
		if cc.stopping.Load() || cc.ctx.Err() != nil {
			cc.mu.Lock()
			cc.stopNak = append(cc.stopNak, m.AckToken)
			cc.mu.Unlock()
			cc.notifyStop()
			continue
		}
		cc.running.Add(1)
		cc.call(m)
		cc.finished(m)
		cc.running.Add(-1)
		if cc.stopping.Load() {
			cc.notifyStop()
		}
	}
}

// notifyStop wakes a Stop waiting for the handlers to be idle.
func (cc *ConsumeContext) notifyStop() {
	select {
	case cc.changed <- struct{}{}:
	default:
	}
}

func (cc *ConsumeContext) call(m *StreamMsg) {
	defer func() {
		if r := recover(); r != nil {
			cc.c.log.Error("natsgw: stream message handler panicked", "stream", cc.stream, "consumer", cc.consumer, "panic", r)
		}
	}()
	cc.handler(m)
}

// finished gives the gateway credit for one more message, if m came on the
// current session (a new session starts with a fresh window).
func (cc *ConsumeContext) finished(m *StreamMsg) {
	cc.mu.Lock()
	if cc.out != nil && m.gen == cc.gen.Load() {
		cc.credit++
		cc.signalLocked()
	}
	cc.mu.Unlock()
}

func (cc *ConsumeContext) signalLocked() {
	select {
	case cc.pending <- struct{}{}:
	default:
	}
}

// sendAck queues an acknowledgement on the current session; false when
// there is none (the caller then uses the unary call).
func (cc *ConsumeContext) sendAck(op *natsgwv1.AckOperation) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.out == nil {
		return false
	}
	cc.acks = append(cc.acks, op)
	cc.signalLocked()
	return true
}

// run keeps a session open, re-opening it with backoff when it breaks.
func (cc *ConsumeContext) run(first chan<- error, handlers *sync.WaitGroup) {
	defer cc.c.wg.Done()
	defer func() {
		close(cc.work)
		handlers.Wait()
		cc.giveBack()
		close(cc.done)
	}()
	var lost error
	ready := func() {
		if first != nil {
			first <- nil
			first = nil
		}
		if lost != nil {
			cc.c.log.Info("natsgw: consume restored", "stream", cc.stream, "consumer", cc.consumer)
			lost = nil
		}
	}
	for attempt := 0; ; attempt++ {
		err := cc.session(ready)
		if cc.ctx.Err() != nil || (err == nil && cc.stopping.Load()) {
			if first != nil {
				first <- ErrClosed
			}
			return
		}
		if err == nil {
			err = fmt.Errorf("%w: the gateway ended the stream", ErrUnavailable)
		}
		err = convertError(err)
		if first != nil {
			first <- err
			return
		}
		if permanent(err) {
			cc.err = err
			cc.c.log.Warn("natsgw: consume ended", "stream", cc.stream, "consumer", cc.consumer, "err", err)
			return
		}
		if lost == nil {
			lost, attempt = err, 0
			cc.c.log.Warn("natsgw: consume lost; reconnecting", "stream", cc.stream, "consumer", cc.consumer, "err", err)
		}
		select {
		case <-time.After(backoffDelay(attempt)):
		case <-cc.ctx.Done():
			return
		}
	}
}

// session runs one Consume stream until it ends; nil means it ended after
// Stop half-closed it.
func (cc *ConsumeContext) session(ready func()) error {
	ctx, cancel := context.WithCancel(cc.ctx)
	defer cancel()
	stream, err := cc.c.consumers.Consume(ctx)
	if err != nil {
		return err
	}
	start := &natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: cc.stream, Consumer: cc.consumer, MaxInFlight: uint32(cc.opts.maxInFlight)}}
	if err := stream.Send(start); err != nil {
		_, err = stream.Recv() // the real status
		return err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nilIfEOF(err)
	}
	if resp.GetReady() == nil {
		return errors.New("natsgw: gateway did not confirm the consume stream")
	}
	gen := cc.gen.Add(1)
	cc.mu.Lock()
	cc.out, cc.credit = stream, 0
	cc.mu.Unlock()
	ready()
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		cc.sendLoop(ctx, stream)
	}()
	defer func() {
		cc.mu.Lock()
		if cc.out == stream {
			cc.out = nil
		}
		cc.mu.Unlock()
		cc.notifyStop()
		cancel()
		<-senderDone
	}()
	for {
		resp, err := stream.Recv()
		if err != nil {
			return nilIfEOF(err)
		}
		for _, p := range resp.GetMessages() {
			m := cc.c.streamMsgFromProto(p)
			m.cc, m.gen = cc, gen
			select {
			case cc.work <- m: // never blocks for long: at most maxInFlight are outstanding
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// sendLoop sends the queued acknowledgements and credit as frames, so that
// everything finished while one frame was on its way travels in the next.
func (cc *ConsumeContext) sendLoop(ctx context.Context, stream natsgwv1.ConsumerService_ConsumeClient) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-cc.pending:
		}
		if !cc.flushTo(stream) {
			return
		}
	}
}

// flushTo sends the queued frame on stream; false when the stream broke.
func (cc *ConsumeContext) flushTo(stream natsgwv1.ConsumerService_ConsumeClient) bool {
	cc.mu.Lock()
	req := &natsgwv1.ConsumeRequest{Acks: cc.acks, Credit: cc.credit}
	cc.acks, cc.credit = nil, 0
	cc.mu.Unlock()
	if len(req.Acks) == 0 && req.Credit == 0 {
		return true
	}
	cc.sendMu.Lock()
	err := stream.Send(req)
	cc.sendMu.Unlock()
	if err != nil {
		// The stream broke: these acknowledgements go by the unary calls.
		cc.ackUnary(req.Acks)
		return false
	}
	return true
}

// ackUnary sends acknowledgements that missed their stream through the
// unary calls, which work on any gateway instance. They are bounded by the
// Consume's life: Stop's ctx or the Client's Close cut them short (the
// messages are then redelivered after the ack wait).
func (cc *ConsumeContext) ackUnary(ops []*natsgwv1.AckOperation) {
	for i, op := range ops {
		if err := cc.c.ackTokens(cc.ctx, []string{op.GetAckToken()}, op.GetKind(), op.GetDelay().AsDuration(), op.GetReason()); err != nil {
			if cc.ctx.Err() != nil {
				cc.c.log.Warn("natsgw: acknowledgements lost at stop; the messages will be redelivered", "stream", cc.stream, "consumer", cc.consumer, "count", len(ops)-i, "err", err)
				return
			}
			cc.c.log.Warn("natsgw: acknowledgement lost; the message will be redelivered", "stream", cc.stream, "consumer", cc.consumer, "err", err)
		}
	}
}

// giveBack sends the acknowledgements that no session carried, and naks the
// messages that arrived but were never handled, so they are redelivered at
// once rather than after the ack wait. Bounded like ackUnary.
func (cc *ConsumeContext) giveBack() {
	cc.mu.Lock()
	tokens, acks := cc.stopNak, cc.acks
	cc.stopNak, cc.acks = nil, nil
	cc.mu.Unlock()
	cc.ackUnary(acks)
	if len(tokens) == 0 {
		return
	}
	if err := cc.c.NakTokens(cc.ctx, 0, tokens...); err != nil {
		cc.c.log.Warn("natsgw: unhandled messages not given back; they will be redelivered after the ack wait", "stream", cc.stream, "consumer", cc.consumer, "err", err)
	}
}

// Stop ends the Consume gracefully: no new messages are handled, handlers
// already running finish and their acknowledgements are sent, messages
// received but not handled are given back (nak) for immediate redelivery.
// It returns when all that is done, or by ctx's deadline: then the Consume
// ends at once (acknowledgements not yet sent are lost and those messages
// are redelivered after the ack wait) and Stop returns ctx's error.
func (cc *ConsumeContext) Stop(ctx context.Context) error {
	if cc.stopping.Swap(true) {
		return cc.wait(ctx)
	}
	// Everything Stop waits for, here or in the Consume's goroutines, ends
	// when ctx does.
	defer context.AfterFunc(ctx, cc.cancel)()
	// Handlers still running may ack on the stream; close it for sending
	// once they are through, which tells the gateway to stop pulling and
	// hand over what already arrived.
	for {
		cc.mu.Lock()
		out := cc.out
		cc.mu.Unlock()
		if out == nil {
			cc.cancel() // between sessions: nothing to hand over
			break
		}
		if cc.idle() {
			cc.flushTo(out)
			cc.mu.Lock()
			cc.out = nil // later acks go by the unary calls
			cc.mu.Unlock()
			cc.sendMu.Lock()
			_ = out.CloseSend()
			cc.sendMu.Unlock()
			break
		}
		select {
		case <-cc.changed:
		case <-cc.done:
			return nil
		case <-ctx.Done():
			cc.cancel()
			return ctx.Err()
		}
	}
	return cc.wait(ctx)
}

// idle reports whether no handler is running a message.
func (cc *ConsumeContext) idle() bool { return len(cc.work) == 0 && cc.running.Load() == 0 }

func (cc *ConsumeContext) wait(ctx context.Context) error {
	select {
	case <-cc.done:
		return nil
	case <-ctx.Done():
		cc.cancel()
		return ctx.Err()
	}
}

// Done is closed when the Consume has ended.
func (cc *ConsumeContext) Done() <-chan struct{} { return cc.done }

// Err is the error that ended the Consume, or nil (still running, or ended
// by Stop or Close).
func (cc *ConsumeContext) Err() error {
	select {
	case <-cc.done:
		return cc.err
	default:
		return nil
	}
}
