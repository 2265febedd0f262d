package natsgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// MsgHandler handles one message. For a subscription it is called on the
// subscription's goroutine, one message at a time (unless WithConcurrency
// says otherwise); while it runs, further messages wait in bounded buffers
// and, when those fill, the gateway drops and counts them (see Dropped).
type MsgHandler func(*Msg)

// SubOption configures Subscribe, SubscribeSync and Handle.
type SubOption func(*subOptions)

type subOptions struct {
	queue       string
	buffer      int
	concurrency int
}

// WithQueue makes the subscription a member of a queue group: each message
// goes to one member. Default: no group (every subscriber gets every
// message).
func WithQueue(group string) SubOption { return func(o *subOptions) { o.queue = group } }

// WithBufferSize sets how many messages may wait for a slow handler: in the
// gateway (default 8192, at most 65536) and, for SubscribeSync, in the
// client. Past that, the gateway drops messages and counts them.
func WithBufferSize(n int) SubOption { return func(o *subOptions) { o.buffer = n } }

// WithConcurrency runs the handler on n goroutines (default 1: messages are
// handled one at a time, in order).
func WithConcurrency(n int) SubOption {
	return func(o *subOptions) {
		if n > 0 {
			o.concurrency = n
		}
	}
}

// Subscription is an active subscription or responder. It lives until
// Unsubscribe, the Client's Close, or a permanent error (see Err).
type Subscription struct {
	c       *Client
	subject string
	opts    subOptions
	handler MsgHandler // nil for SubscribeSync
	serve   bool       // a responder (Handle)

	ctx    context.Context
	cancel context.CancelFunc
	q      *msgQueue // SubscribeSync deliveries
	work   chan *Msg // WithConcurrency > 1
	done   chan struct{}
	err    error // set before done is closed

	id         atomic.Pointer[string]
	dropped    atomic.Uint64
	maxPayload atomic.Uint64 // from the gateway's ready message

	// responder stream; sendMu serialises replies on it.
	sendMu   sync.Mutex
	serveOut natsgwv1.MessagingService_ServeClient
}

// Subscribe calls handler for every message on subject (a subject or a
// wildcard pattern: "*" matches one token, ">" the rest). It returns once the
// subscription is active, so a message published after Subscribe returns is
// delivered. ctx bounds only the setup.
func (c *Client) Subscribe(ctx context.Context, subject string, handler MsgHandler, opts ...SubOption) (*Subscription, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: handler must not be nil", ErrInvalidArgument)
	}
	return c.subscribe(ctx, subject, handler, false, opts)
}

// SubscribeSync subscribes without a handler: read messages with Next or
// Messages.
func (c *Client) SubscribeSync(ctx context.Context, subject string, opts ...SubOption) (*Subscription, error) {
	return c.subscribe(ctx, subject, nil, false, opts)
}

// Handle makes handler a responder for requests on subject: it should answer
// each with Msg.Respond. Replies travel back on the responder's own stream.
// Use WithQueue so that several responders share the load, and
// WithConcurrency to handle requests in parallel.
func (c *Client) Handle(ctx context.Context, subject string, handler MsgHandler, opts ...SubOption) (*Subscription, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: handler must not be nil", ErrInvalidArgument)
	}
	return c.subscribe(ctx, subject, handler, true, opts)
}

func (c *Client) subscribe(ctx context.Context, subject string, handler MsgHandler, serve bool, opts []SubOption) (*Subscription, error) {
	if err := c.errIfClosed(); err != nil {
		return nil, err
	}
	o := subOptions{concurrency: 1}
	for _, opt := range opts {
		opt(&o)
	}
	if o.buffer < 0 || o.buffer > 65536 {
		return nil, fmt.Errorf("%w: buffer size must be between 0 and 65536", ErrInvalidArgument)
	}
	s := &Subscription{c: c, subject: subject, opts: o, handler: handler, serve: serve, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(c.ctx)
	if handler == nil {
		n := o.buffer
		if n == 0 {
			n = 1024
		}
		s.q = newMsgQueue(n)
	} else if o.concurrency > 1 {
		s.work = make(chan *Msg, o.concurrency)
		for range o.concurrency {
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				for m := range s.work {
					s.call(m)
				}
			}()
		}
	}
	first := make(chan error, 1)
	c.wg.Add(1)
	go s.run(first)
	select {
	case err := <-first:
		if err != nil {
			s.cancel()
			<-s.done
			return nil, err
		}
		return s, nil
	case <-ctx.Done():
		s.cancel()
		<-s.done
		return nil, ctx.Err()
	}
}

// run keeps the subscription alive: one session per stream, re-opened with
// backoff when the stream breaks.
func (s *Subscription) run(first chan<- error) {
	defer s.c.wg.Done()
	defer func() {
		if s.work != nil {
			close(s.work)
		}
		close(s.done)
	}()
	var lost error
	ready := func() {
		if first != nil {
			first <- nil
			first = nil
		}
		if lost != nil {
			s.c.log.Info("natsgw: subscription restored", "subject", s.subject)
			s.event(Event{Kind: SubscriptionRestored, Subject: s.subject})
			lost = nil
		}
	}
	for attempt := 0; ; attempt++ {
		err := s.session(ready)
		if s.ctx.Err() != nil {
			if first != nil {
				first <- ErrClosed
			}
			return // Unsubscribe or Close
		}
		if err == nil {
			// The gateway ended the stream cleanly: unsubscribed by id.
			return
		}
		err = convertError(err)
		if first != nil {
			first <- err
			return
		}
		if permanent(err) {
			s.err = err
			s.c.log.Warn("natsgw: subscription ended", "subject", s.subject, "err", err)
			return
		}
		if lost == nil {
			lost = err
			attempt = 0
			s.c.log.Warn("natsgw: subscription lost; re-subscribing", "subject", s.subject, "err", err)
			s.event(Event{Kind: SubscriptionLost, Subject: s.subject, Err: err})
		}
		select {
		case <-time.After(backoffDelay(attempt)):
		case <-s.ctx.Done():
			return
		}
	}
}

func backoffDelay(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 6) // up to 6.4 s
	return d/2 + rand.N(d/2+1)
}

func (s *Subscription) event(e Event) {
	if s.c.onEvent != nil {
		s.c.onEvent(e)
	}
}

// session runs one stream until it ends; nil means the gateway ended it.
func (s *Subscription) session(ready func()) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	var stream grpc.ClientStream
	if s.serve {
		serve, err := s.c.messaging.Serve(ctx, deliveryCallOption)
		if err != nil {
			return err
		}
		if err := serve.Send(&natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Start{Start: &natsgwv1.ServeStart{
			Subject: s.subject, QueueGroup: s.opts.queue, BufferSize: uint32(s.opts.buffer),
		}}}); err != nil {
			_, err = serve.Recv() // the real status
			return err
		}
		s.sendMu.Lock()
		s.serveOut = serve
		s.sendMu.Unlock()
		defer func() {
			s.sendMu.Lock()
			s.serveOut = nil
			s.sendMu.Unlock()
		}()
		stream = serve
	} else {
		sub, err := s.c.messaging.Subscribe(ctx, &natsgwv1.SubscribeRequest{
			Subject: s.subject, QueueGroup: s.opts.queue, BufferSize: uint32(s.opts.buffer),
		}, deliveryCallOption)
		if err != nil {
			return err
		}
		stream = sub
	}
	// Responses are decoded into d, which is reused (see delivery.go).
	d := &delivery{c: s.c}
	if err := stream.RecvMsg(d); err != nil {
		return nilIfEOF(err)
	}
	if !d.ready {
		return errors.New("natsgw: gateway did not confirm the subscription")
	}
	id := d.id
	s.id.Store(&id)
	s.maxPayload.Store(d.maxPayload)
	ready()
	for {
		if err := stream.RecvMsg(d); err != nil {
			return nilIfEOF(err)
		}
		s.dropped.Add(d.dropped)
		if s.q != nil {
			if !s.q.push(d.msgs, s.ctx.Done()) {
				return nil
			}
			continue
		}
		for _, m := range d.msgs {
			if s.serve {
				m.respond = s.respond
			}
			if !s.deliver(m) {
				return nil
			}
		}
	}
}

func nilIfEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// deliver hands m to the handler; false means the subscription is over.
func (s *Subscription) deliver(m *Msg) bool {
	if s.work == nil {
		s.call(m)
		return s.ctx.Err() == nil
	}
	select {
	case s.work <- m:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// call runs the handler, containing its panics. After Unsubscribe or Close
// it does nothing: no handler starts once those returned.
func (s *Subscription) call(m *Msg) {
	if s.ctx.Err() != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.c.log.Error("natsgw: message handler panicked", "subject", s.subject, "panic", r)
		}
	}()
	s.handler(m)
}

// respond answers a request on the responder's stream, falling back to the
// Reply call when the stream is gone (the reply token stays valid whichever
// stream or gateway instance publishes the answer).
func (s *Subscription) respond(ctx context.Context, token string, data []byte, h Header) error {
	// A reply the gateway would reject ends the whole stream, so check it
	// here and fail just this reply.
	if err := checkReply(data, h, s.maxPayload.Load()); err != nil {
		return err
	}
	s.sendMu.Lock()
	if out := s.serveOut; out != nil {
		err := out.Send(&natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Reply{Reply: &natsgwv1.ServeReply{
			ReplyToken: token, Data: data, Headers: headerToProto(h),
		}}})
		s.sendMu.Unlock()
		if err == nil {
			return nil
		}
	} else {
		s.sendMu.Unlock()
	}
	_, err := s.c.messaging.Reply(ctx, &natsgwv1.ReplyRequest{ReplyToken: token, Data: data, Headers: headerToProto(h)})
	return convertError(err)
}

// Next returns the next message of a SubscribeSync subscription, waiting
// until one arrives, ctx ends, or the subscription ends: ErrClosed at once
// after Unsubscribe or Close (messages still buffered are discarded); after
// an end by the gateway, the buffered messages first, then ErrClosed or the
// error that ended it.
func (s *Subscription) Next(ctx context.Context) (*Msg, error) {
	if s.q == nil {
		return nil, errors.New("natsgw: Next needs a subscription made with SubscribeSync")
	}
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	for {
		if m, ok := s.q.pop(); ok {
			return m, nil
		}
		select {
		case <-s.q.avail:
		case <-s.ctx.Done():
			return nil, ErrClosed
		case <-s.done:
			if m, ok := s.q.pop(); ok {
				return m, nil
			}
			if s.err != nil {
				return nil, s.err
			}
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Msgs iterates over a SubscribeSync subscription's messages until ctx
// ends or the subscription ends; a failure is yielded as the last error.
func (s *Subscription) Msgs(ctx context.Context) iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		for {
			m, err := s.Next(ctx)
			if err != nil {
				if !errors.Is(err, ErrClosed) && ctx.Err() == nil {
					yield(nil, err)
				}
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// Subject is the subscribed subject or pattern.
func (s *Subscription) Subject() string { return s.subject }

// Queue is the queue group, or "".
func (s *Subscription) Queue() string { return s.opts.queue }

// ID is the gateway's id of the current stream (it changes when the
// subscription is re-established).
func (s *Subscription) ID() string {
	if p := s.id.Load(); p != nil {
		return *p
	}
	return ""
}

// Dropped is how many messages the gateway dropped for this subscription:
// because it was too slow, or (rarely) because a raw NATS client published a
// subject or header that is not valid UTF-8, which the API cannot carry.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Done is closed when the subscription has ended.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is the error that ended the subscription, or nil (still active, or
// ended by Unsubscribe or Close).
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Unsubscribe ends the subscription at the gateway (so NATS stops routing to
// it before Unsubscribe returns) and locally. Handlers already running finish;
// no new ones start.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	if id := s.ID(); id != "" && s.ctx.Err() == nil {
		_, err := s.c.messaging.Unsubscribe(ctx, &natsgwv1.UnsubscribeRequest{SubscriptionId: id})
		if err = convertError(err); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnavailable) {
			s.cancel()
			return err
		}
	}
	s.cancel()
	return nil
}

// Header rules of the gateway (internal/gateway/headers.go), which are those
// of NATS clients: checkReply must accept exactly what the gateway accepts,
// because a reply the gateway rejects ends the whole responder stream.
const (
	maxHeaderKeyLen    = 256
	headerKeyForbidden = "\"()/,:;<=>?@[\\]{}"
)

func checkHeaderKey(k string) error {
	if k == "" || len(k) > maxHeaderKeyLen {
		return fmt.Errorf("%w: header key %q must be 1 to %d bytes", ErrInvalidArgument, k, maxHeaderKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(headerKeyForbidden, c) >= 0 {
			return fmt.Errorf("%w: header key %q must be printable ASCII without spaces or any of %s", ErrInvalidArgument, k, headerKeyForbidden)
		}
	}
	return nil
}

// checkReply applies the gateway's rules for a reply's headers and size, and
// protobuf's (header values are strings, so valid UTF-8: a value that cannot
// be encoded would also end the stream).
func checkReply(data []byte, h Header, maxPayload uint64) error {
	size := len(data)
	if len(h) > 0 {
		size += len("NATS/1.0\r\n\r\n")
	}
	for k, vs := range h {
		if err := checkHeaderKey(k); err != nil {
			return err
		}
		if len(vs) == 0 {
			return fmt.Errorf("%w: header %q has no values", ErrInvalidArgument, k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("%w: value of header %q must not contain CR or LF", ErrInvalidArgument, k)
			}
			if !utf8.ValidString(v) {
				return fmt.Errorf("%w: value of header %q must be valid UTF-8", ErrInvalidArgument, k)
			}
			// As NATS encodes it: "key: value\r\n", value trimmed.
			size += len(k) + len(": ") + len(textproto.TrimString(v)) + len("\r\n")
		}
	}
	if maxPayload > 0 && uint64(size) > maxPayload {
		return fmt.Errorf("%w: reply is %d bytes (data plus headers); the max payload is %d bytes", ErrResourceExhausted, size, maxPayload)
	}
	return nil
}
