package gateway

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// Subscription limits.
const (
	defaultBufferMsgs = 8192
	maxBufferMsgs     = 65536
	// maxBufferBytes bounds the payload a subscription holds for a slow
	// client, whatever its message count.
	maxBufferBytes = 64 << 20
	// A delivered frame carries at most this many messages or bytes of data
	// plus headers (one larger message travels alone), so frames stay well
	// under any client's receive limit.
	frameMsgs     = 512
	frameBytes    = 1 << 20
	maxQueueLen   = 64
	unsubTimeout  = 2 * time.Second
	ctlUnsubToken = "_natsgw.unsub."
)

// subscription is one client subscription (a Subscribe or Serve stream): a
// NATS subscription feeding a bounded queue that the stream drains. When the
// queue is full, messages are dropped and counted, like NATS does for slow
// consumers, so a slow client never grows gateway memory without bound. At
// most two bufferfuls exist at once: the queue and the frame being sent.
type subscription struct {
	id, org  string
	maxMsgs  int
	sub, ctl *nats.Subscription
	buf      *orgBuffer // the org's buffer bound

	mu      sync.Mutex
	queue   []*nats.Msg
	bytes   int
	weight  int64 // charged to buf for the queued messages
	closed  bool  // no more messages are queued
	dropped uint64
	// natsDropped is what nats.go itself dropped, as last reported.
	natsDropped int

	// warnedUTF8 is set (by the delivering goroutine only) once a message
	// that the API cannot carry has been logged.
	warnedUTF8 bool

	notify   chan struct{} // capacity 1: "the queue is not empty"
	ended    chan struct{} // closed by end (Unsubscribe)
	endOnce  sync.Once
	stopOnce sync.Once
}

// msgSize is what a message weighs in buffers and frames: data plus headers.
func msgSize(m *nats.Msg) int {
	n := len(m.Data)
	for k, vs := range m.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

func (s *subscription) onMsg(m *nats.Msg) {
	n := msgSize(m)
	w := msgWeight(m, n)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= s.maxMsgs || s.bytes+n > maxBufferBytes || !s.buf.reserve(w) {
		s.dropped++
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, m)
	s.bytes += n
	s.weight += w
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// take returns everything queued (swapping in spare as the new queue), the
// number of messages dropped since the last call and the weight the taken
// messages hold of the org's bound (the caller frees it).
func (s *subscription) take(spare []*nats.Msg) ([]*nats.Msg, uint64, int64) {
	var natsDropped int
	if s.sub != nil {
		natsDropped, _ = s.sub.Dropped()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, weight := s.queue, s.weight
	s.queue = spare[:0]
	s.bytes, s.weight = 0, 0
	dropped := s.dropped
	s.dropped = 0
	if natsDropped > s.natsDropped {
		dropped += uint64(natsDropped - s.natsDropped)
		s.natsDropped = natsDropped
	}
	return msgs, dropped, weight
}

// close stops queueing and frees what the queue holds of the org's bound.
func (s *subscription) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	clear(s.queue)
	s.queue, s.bytes = nil, 0
	s.buf.free(s.weight)
	s.weight = 0
}

func (s *subscription) end() { s.endOnce.Do(func() { close(s.ended) }) }

// stopNATS ends the NATS subscriptions; safe to call more than once. NATS
// processes the UNSUBs before anything the connection sends afterwards, so a
// reply or flush sent after stopNATS proves the subscription gone.
func (s *subscription) stopNATS() {
	s.stopOnce.Do(func() {
		if s.sub != nil {
			_ = s.sub.Unsubscribe()
		}
		if s.ctl != nil {
			_ = s.ctl.Unsubscribe()
		}
	})
}

// registry holds this instance's subscriptions by id.
type registry struct {
	mu   sync.Mutex
	byID map[string]*subscription
}

func (r *registry) add(s *subscription) {
	r.mu.Lock()
	r.byID[s.id] = s
	r.mu.Unlock()
}

func (r *registry) remove(id string) {
	r.mu.Lock()
	delete(r.byID, id)
	r.mu.Unlock()
}

func (r *registry) get(id string) *subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

func unsubscribeSubject(id string) string { return ctlUnsubToken + id }

func checkSubscriptionID(id string) error {
	if id == "" {
		return errors.New("must not be empty")
	}
	if len(id) > 64 {
		return errors.New("must be at most 64 characters")
	}
	for i := 0; i < len(id); i++ {
		if !isAlnum(id[i]) {
			return errors.New("must contain only letters and digits (as returned in SubscriptionReady)")
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func checkQueueGroup(q string) error {
	if len(q) > maxQueueLen {
		return fmt.Errorf("must be at most %d characters", maxQueueLen)
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !(isAlnum(c) || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("may contain only letters, digits, '-', '_' and '.' (found %q)", rune(c))
		}
	}
	return nil
}

// openSubscription validates the request fields (named with prefix), makes the
// NATS subscription and the control subscription through which any gateway
// instance can end it, and waits until NATS has both.
func (g *Gateway) openSubscription(ctx context.Context, org, prefix, subject, queue string, bufSize uint32) (*subscription, error) {
	natsSubj, err := g.m.SubscribeSubject(org, subject)
	if err != nil {
		return nil, invalidArgument(prefix+"subject", err)
	}
	if err := checkQueueGroup(queue); err != nil {
		return nil, invalidArgument(prefix+"queue_group", err)
	}
	if bufSize > maxBufferMsgs {
		return nil, invalidArgumentf(prefix+"buffer_size", "must be at most %d (got %d)", maxBufferMsgs, bufSize)
	}
	if bufSize == 0 {
		bufSize = defaultBufferMsgs
	}
	s := &subscription{
		id:      nuid.Next(),
		org:     org,
		maxMsgs: int(bufSize),
		buf:     g.buffers.acquire(org),
		notify:  make(chan struct{}, 1),
		ended:   make(chan struct{}),
	}
	if queue != "" {
		s.sub, err = g.nc.QueueSubscribe(natsSubj, queue, s.onMsg)
	} else {
		s.sub, err = g.nc.Subscribe(natsSubj, s.onMsg)
	}
	if err != nil {
		g.buffers.release(org, s.buf)
		return nil, g.natsError(ctx, "subscribe", err)
	}
	s.ctl, err = g.nc.Subscribe(unsubscribeSubject(s.id), func(m *nats.Msg) {
		if string(m.Data) == s.org {
			s.end()
			s.stopNATS() // before the answer, so the caller's Unsubscribe returns after it
			_ = m.Respond([]byte("ok"))
			return
		}
		_ = m.Respond([]byte("notfound"))
	})
	if err == nil {
		err = g.flush(ctx)
	}
	if err != nil {
		g.closeSubscription(s)
		return nil, g.natsError(ctx, "subscribe", err)
	}
	g.subs.add(s)
	return s, nil
}

func (g *Gateway) closeSubscription(s *subscription) {
	g.subs.remove(s.id)
	s.stopNATS()
	s.close()
	g.buffers.release(s.org, s.buf)
}

// deliverTo drains s into send until the client goes away (ctx), the
// subscription is ended by Unsubscribe (nil), the gateway shuts down, or
// stop yields an error. send gets each frame encoded (see frame.go); the
// frame is only valid until send returns.
func (g *Gateway) deliverTo(ctx context.Context, s *subscription, stop <-chan error, send func(frame []byte) error) error {
	var spare []*nats.Msg
	// held is the weight of the messages taken from the queue and not yet
	// sent: charged to the org until their frame's send returns.
	var held int64
	defer func() { s.buf.free(held) }()
	for {
		select {
		case <-ctx.Done():
			// The client went away (or its deadline passed): a status, so
			// that it is not reported as an Unknown failure.
			return status.FromContextError(ctx.Err()).Err()
		case <-s.ended:
			return nil
		case <-g.closing:
			return errShuttingDown
		case err := <-stop:
			return err
		case <-s.notify:
		}
		// Let goroutines that are ready to run (NATS handing this
		// subscription more messages) go first, so that a burst leaves in
		// a few large frames rather than in many frames of a few messages:
		// each frame costs a gRPC send, an HTTP/2 frame and a receive on the
		// client. With nothing else ready to run, this returns at once.
		runtime.Gosched()
		msgs, dropped, weight := s.take(spare)
		held += weight
		for i := 0; i < len(msgs) || dropped > 0; {
			buf := frameBufs.Get().(*[]byte)
			frame := (*buf)[:0]
			count, size, data := 0, 0, 0
			var sent int64 // weight of this frame's messages
			for ; i < len(msgs) && count < frameMsgs; i++ {
				n := msgSize(msgs[i])
				if count > 0 && size+n > frameBytes {
					break
				}
				sent += msgWeight(msgs[i], n)
				var ok bool
				if frame, ok = g.appendDelivered(frame, s.org, msgs[i]); !ok {
					// Only a raw NATS client can publish a subject or
					// header that is not UTF-8; the API's strings cannot
					// carry it. Drop it, counted, rather than end the
					// subscription.
					g.unrepresentable(s, msgs[i])
					dropped++
					msgs[i] = nil
					continue
				}
				count++
				size += n
				data += len(msgs[i].Data)
				msgs[i] = nil
			}
			frame = appendDropped(frame, dropped)
			// Counted before the send: a client that has received the
			// frame must find it in its statistics (a send that fails
			// ends the subscription; its frame counts as handed over).
			g.traffic.out(s.org, count, data)
			err := send(frame)
			if cap(frame) <= maxPooledFrame {
				*buf = frame
				frameBufs.Put(buf)
			}
			s.buf.free(sent)
			held -= sent
			if err != nil {
				return err
			}
			dropped = 0
		}
		spare = msgs
	}
}

// unrepresentable logs, once per subscription, a message it had to drop
// because the API cannot carry it.
func (g *Gateway) unrepresentable(s *subscription, m *nats.Msg) {
	if s.warnedUTF8 {
		return
	}
	s.warnedUTF8 = true
	g.log.Warn("dropped a message whose subject or headers are not valid UTF-8 (published by a raw NATS client?)",
		"org", s.org, "subject", fmt.Sprintf("%q", m.Subject))
}

// unsubscribe ends subscription id of org, wherever it is held, and returns
// once NATS no longer routes messages to it. found is false when no such
// subscription exists in org.
func (g *Gateway) unsubscribe(ctx context.Context, org, id string) (found bool, err error) {
	if s := g.subs.get(id); s != nil {
		if s.org != org {
			return false, nil
		}
		s.end()
		s.stopNATS()
		return true, g.flush(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, unsubTimeout)
	defer cancel()
	reply, err := g.nc.RequestWithContext(ctx, unsubscribeSubject(id), []byte(org))
	if errors.Is(err, nats.ErrNoResponders) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(reply.Data) == "ok", nil
}

func (s *messagingServer) Subscribe(req *natsgwv1.SubscribeRequest, stream natsgwv1.MessagingService_SubscribeServer) error {
	ctx := stream.Context()
	id, err := identity(ctx)
	if err != nil {
		return err
	}
	sub, err := s.g.openSubscription(ctx, id.Org, "", req.GetSubject(), req.GetQueueGroup(), req.GetBufferSize())
	if err != nil {
		return err
	}
	defer s.g.closeSubscription(sub)
	if err := stream.Send(&natsgwv1.SubscribeResponse{Ready: &natsgwv1.SubscriptionReady{SubscriptionId: sub.id, MaxPayload: uint64(s.g.maxPayload)}}); err != nil {
		return err
	}
	// Each frame goes out as the unknown fields of an empty response: see
	// frame.go.
	resp := &natsgwv1.SubscribeResponse{}
	return s.g.deliverTo(ctx, sub, nil, func(frame []byte) error {
		resp.ProtoReflect().SetUnknown(frame)
		err := stream.Send(resp)
		resp.ProtoReflect().SetUnknown(nil)
		return err
	})
}

func (s *messagingServer) Serve(stream natsgwv1.MessagingService_ServeServer) error {
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
		return invalidArgumentf("start", "the first message of a Serve stream must be start")
	}
	sub, err := s.g.openSubscription(ctx, id.Org, "start.", start.GetSubject(), start.GetQueueGroup(), start.GetBufferSize())
	if err != nil {
		return err
	}
	defer s.g.closeSubscription(sub)
	if err := stream.Send(&natsgwv1.ServeResponse{Ready: &natsgwv1.SubscriptionReady{SubscriptionId: sub.id, MaxPayload: uint64(s.g.maxPayload)}}); err != nil {
		return err
	}

	// Replies arrive on the same stream; a reader goroutine publishes them
	// and reports the end of the client's side through stop.
	stop := make(chan error, 1)
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				// io.EOF: the client closed its side; keep delivering until
				// it cancels, as a half-closed responder still gets requests
				// it cannot answer, which is pointless: end the stream.
				stop <- nilIfEOF(err)
				return
			}
			r := req.GetReply()
			if r == nil {
				stop <- invalidArgumentf("reply", "every message after start must be a reply")
				return
			}
			if err := s.g.reply(id.Org, "reply.", r.GetReplyToken(), r.GetData(), r.GetHeaders()); err != nil {
				stop <- s.g.natsError(ctx, "reply", err)
				return
			}
		}
	}()
	resp := &natsgwv1.ServeResponse{} // frames as in Subscribe
	return s.g.deliverTo(ctx, sub, stop, func(frame []byte) error {
		resp.ProtoReflect().SetUnknown(frame)
		err := stream.Send(resp)
		resp.ProtoReflect().SetUnknown(nil)
		return err
	})
}
