package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Limits of the messaging service.
const (
	// MaxBatch is the most messages in one PublishBatch or PublishStream frame.
	MaxBatch = 10000
	// defaultRequestTimeout applies when a Request has neither a timeout
	// field nor a deadline.
	defaultRequestTimeout = 30 * time.Second
	maxRequestTimeout     = 10 * time.Minute
)

type messagingServer struct {
	natsgwv1.UnimplementedMessagingServiceServer
	g *Gateway
}

// outgoing is a validated message ready for NATS.
type outgoing struct {
	subject, reply string
	data           []byte
	header         nats.Header
}

// prepare validates m (from request field `field`) and maps it into org.
func (g *Gateway) prepare(org, field string, m *natsgwv1.OutgoingMessage) (outgoing, error) {
	return g.prepareWith(org, field, m, nil)
}

// lastSubject remembers the latest subject mapping of one batch or stream
// (one org): producers mostly send runs of messages to the same subject, and
// the mapping is a pure function of (org, subject), so it is reused as is.
type lastSubject struct{ client, mapped string }

func (c *lastSubject) publishSubject(m tenant.Mapper, org, subject string) (string, error) {
	if c != nil && c.mapped != "" && c.client == subject {
		return c.mapped, nil
	}
	mapped, err := m.PublishSubject(org, subject)
	if err == nil && c != nil {
		c.client, c.mapped = subject, mapped
	}
	return mapped, err
}

// prepareWith is prepare reusing last's subject mapping (last may be nil).
func (g *Gateway) prepareWith(org, field string, m *natsgwv1.OutgoingMessage, last *lastSubject) (outgoing, error) {
	if m == nil {
		return outgoing{}, invalidArgumentf(field, "is required")
	}
	subj, err := last.publishSubject(g.m, org, m.GetSubject())
	if err != nil {
		return outgoing{}, invalidArgument(field+".subject", err)
	}
	var reply string
	if r := m.GetReplyTo(); r != "" {
		if reply, err = g.m.ReplySubject(org, r); err != nil {
			return outgoing{}, invalidArgument(field+".reply_to", err)
		}
	}
	var hdr nats.Header
	if h := m.GetHeaders(); len(h) > 0 { // no field name to build without headers
		if hdr, err = toNATSHeader(field+".headers", h); err != nil {
			return outgoing{}, err
		}
	}
	data := m.GetData()
	if size := len(data) + headerSize(hdr); size > g.maxPayload {
		return outgoing{}, resourceExhausted("%s: message is %d bytes (data plus headers); the max payload is %d bytes", field, size, g.maxPayload)
	}
	return outgoing{subject: subj, reply: reply, data: data, header: hdr}, nil
}

// publish hands o to the NATS connection's buffered writer.
func (g *Gateway) publish(o outgoing) error {
	switch {
	case o.header != nil:
	case o.reply == "":
		return g.nc.Publish(o.subject, o.data)
	default:
		return g.nc.PublishRequest(o.subject, o.reply, o.data)
	}
	return g.nc.PublishMsg(&nats.Msg{Subject: o.subject, Reply: o.reply, Data: o.data, Header: o.header})
}

func (s *messagingServer) Publish(ctx context.Context, req *natsgwv1.PublishRequest) (*natsgwv1.PublishResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.g.prepare(id.Org, "message", req.GetMessage())
	if err != nil {
		return nil, err
	}
	if err := s.g.publish(o); err != nil {
		return nil, s.g.natsError(ctx, "publish", err)
	}
	s.g.traffic.in(id.Org, 1, len(o.data))
	return &natsgwv1.PublishResponse{}, nil
}

// prepareAt prepares message i of a batch (request field "messages[i]").
// The field name is only built for the error, keeping the hot path free of
// formatting.
func (g *Gateway) prepareAt(org string, i int, m *natsgwv1.OutgoingMessage, last *lastSubject) (outgoing, error) {
	o, err := g.prepareWith(org, "messages", m, last)
	if err != nil {
		_, err = g.prepare(org, fmt.Sprintf("messages[%d]", i), m)
	}
	return o, err
}

func checkBatchLen(n int) error {
	if n > MaxBatch {
		return invalidArgumentf("messages", "at most %d messages per batch (got %d)", MaxBatch, n)
	}
	return nil
}

// prepareAll validates a whole batch before anything is published.
func (g *Gateway) prepareAll(org string, msgs []*natsgwv1.OutgoingMessage, into []outgoing) ([]outgoing, error) {
	if err := checkBatchLen(len(msgs)); err != nil {
		return nil, err
	}
	var last lastSubject
	for i, m := range msgs {
		o, err := g.prepareAt(org, i, m, &last)
		if err != nil {
			return nil, err
		}
		into = append(into, o)
	}
	return into, nil
}

func (s *messagingServer) PublishBatch(ctx context.Context, req *natsgwv1.PublishBatchRequest) (*natsgwv1.PublishBatchResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if len(req.GetMessages()) == 0 {
		return nil, invalidArgumentf("messages", "must not be empty")
	}
	batch, err := s.g.prepareAll(id.Org, req.GetMessages(), make([]outgoing, 0, len(req.GetMessages())))
	if err != nil {
		return nil, err
	}
	bytes := 0
	for i, o := range batch {
		if err := s.g.publish(o); err != nil {
			s.g.traffic.in(id.Org, i, bytes)
			return nil, s.g.natsError(ctx, fmt.Sprintf("publish message %d of the batch (%d before it were published)", i, i), err)
		}
		bytes += len(o.data)
	}
	s.g.traffic.in(id.Org, len(batch), bytes)
	return &natsgwv1.PublishBatchResponse{PublishedCount: uint64(len(batch))}, nil
}

type publishFrame struct {
	req *natsgwv1.PublishStreamRequest
	err error
}

// frameReceiver reads a PublishStream in its own goroutine, so that the
// handler can also watch for the gateway shutting down. The goroutine ends
// at the stream's first error (the handler's return cancels the stream) or
// when stopped.
type frameReceiver struct {
	ch   chan publishFrame
	done chan struct{}
	once sync.Once
}

func receiveFrames(stream natsgwv1.MessagingService_PublishStreamServer) *frameReceiver {
	r := &frameReceiver{ch: make(chan publishFrame), done: make(chan struct{})}
	go func() {
		for {
			req, err := stream.Recv()
			select {
			case r.ch <- publishFrame{req, err}:
			case <-r.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *frameReceiver) stop() { r.once.Do(func() { close(r.done) }) }

func (s *messagingServer) PublishStream(stream natsgwv1.MessagingService_PublishStreamServer) error {
	ctx := stream.Context()
	id, err := identity(ctx)
	if err != nil {
		return err
	}
	var (
		published uint64
		last      lastSubject
	)
	flush := func() error {
		if err := s.g.flush(ctx); err != nil {
			return s.g.natsError(ctx, "flush", err)
		}
		return stream.Send(&natsgwv1.PublishStreamResponse{PublishedCount: published})
	}
	// invalid ends the stream at a rejected message. Everything before it
	// was published: flush it and report the exact count, then the error.
	invalid := func(err error) error {
		if ferr := flush(); ferr != nil {
			return ferr
		}
		return annotate(err, "after %d published messages: ", published)
	}
	frames := receiveFrames(stream)
	defer frames.stop()
	for {
		var f publishFrame
		select {
		case f = <-frames.ch:
		case <-s.g.closing:
			// Tell the client how far it got, then end the stream: a
			// producer must not hold up the gateway's shutdown.
			if err := flush(); err != nil {
				return err
			}
			return errShuttingDown
		}
		req, err := f.req, f.err
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			return err
		}
		msgs := req.GetMessages()
		if err := checkBatchLen(len(msgs)); err != nil {
			return invalid(err)
		}
		n, bytes := 0, 0
		for i, m := range msgs {
			o, err := s.g.prepareAt(id.Org, i, m, &last)
			if err != nil {
				s.g.traffic.in(id.Org, n, bytes)
				return invalid(err)
			}
			if err := s.g.publish(o); err != nil {
				s.g.traffic.in(id.Org, n, bytes)
				return s.g.natsError(ctx, fmt.Sprintf("publish (after %d published messages)", published), err)
			}
			published++
			n++
			bytes += len(o.data)
		}
		s.g.traffic.in(id.Org, n, bytes)
		if req.GetFlush() {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

func (s *messagingServer) Request(ctx context.Context, req *natsgwv1.RequestRequest) (*natsgwv1.RequestResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	m := req.GetMessage()
	if m.GetReplyTo() != "" {
		return nil, invalidArgumentf("message.reply_to", "must be empty: the gateway sets the reply subject of a request")
	}
	o, err := s.g.prepare(id.Org, "message", m)
	if err != nil {
		return nil, err
	}
	timeout, err := requestTimeout(ctx, req.GetTimeout())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	reply, err := s.g.inbox.request(ctx, s.g, id.Org, o)
	if err != nil {
		switch {
		case errors.Is(err, nats.ErrNoResponders):
			return nil, noResponders("no responders for subject %q", m.GetSubject())
		case errors.Is(err, context.DeadlineExceeded):
			return nil, deadlineExceeded("request to %q timed out after %s without a reply", m.GetSubject(), timeout.Round(time.Millisecond))
		}
		return nil, s.g.natsError(ctx, "request", err)
	}
	s.g.traffic.out(id.Org, 1, len(reply.Data))
	return &natsgwv1.RequestResponse{Reply: s.g.deliverable(id.Org, reply)}, nil
}

// requestTimeout is how long a Request waits: the timeout field, else the
// call's deadline (at most maxRequestTimeout), else defaultRequestTimeout;
// and never past the call's deadline, so the error names the real wait.
func requestTimeout(ctx context.Context, field *durationpb.Duration) (time.Duration, error) {
	timeout := defaultRequestTimeout
	dl, hasDeadline := ctx.Deadline()
	switch {
	case field != nil:
		if err := field.CheckValid(); err != nil || field.AsDuration() <= 0 || field.AsDuration() > maxRequestTimeout {
			return 0, invalidArgumentf("timeout", "must be positive and at most %s", maxRequestTimeout)
		}
		timeout = field.AsDuration()
	case hasDeadline:
		timeout = maxRequestTimeout
	}
	if hasDeadline {
		timeout = min(timeout, time.Until(dl))
	}
	return timeout, nil
}

func (s *messagingServer) Reply(ctx context.Context, req *natsgwv1.ReplyRequest) (*natsgwv1.ReplyResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.g.reply(id.Org, "", req.GetReplyToken(), req.GetData(), req.GetHeaders()); err != nil {
		return nil, s.g.natsError(ctx, "reply", err)
	}
	return &natsgwv1.ReplyResponse{}, nil
}

// reply publishes an answer to a reply token of org. prefix is the request
// field path of the reply ("" for Reply, "reply." inside Serve).
func (g *Gateway) reply(org, prefix, token string, data []byte, headers map[string]*natsgwv1.HeaderValues) error {
	subj, err := g.m.ReplySubject(org, token)
	if err != nil {
		return invalidArgument(prefix+"reply_token", err)
	}
	hdr, err := toNATSHeader(prefix+"headers", headers)
	if err != nil {
		return err
	}
	if size := len(data) + headerSize(hdr); size > g.maxPayload {
		return resourceExhausted("%sdata: reply is %d bytes (data plus headers); the max payload is %d bytes", prefix, size, g.maxPayload)
	}
	if err := g.publish(outgoing{subject: subj, data: data, header: hdr}); err != nil {
		return err
	}
	g.traffic.in(org, 1, len(data))
	return nil
}

// deliverable converts a NATS message for a client of org: subject mapped
// back, reply subject turned into a token only when it lies inside org.
// Subscriptions encode the same fields themselves (appendDelivered).
func (g *Gateway) deliverable(org string, m *nats.Msg) *natsgwv1.Message {
	subj, ok := g.m.ClientSubject(org, m.Subject)
	if !ok {
		// Only reachable through a bug in the subscription mapping; never
		// reveal a foreign subject.
		subj = ""
	}
	tok, _ := g.m.ClientReplyToken(org, m.Reply)
	return &natsgwv1.Message{Subject: subj, Data: m.Data, Headers: fromNATSHeader(m.Header), ReplyToken: tok}
}

func (s *messagingServer) Unsubscribe(ctx context.Context, req *natsgwv1.UnsubscribeRequest) (*natsgwv1.UnsubscribeResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	subID := req.GetSubscriptionId()
	if err := checkSubscriptionID(subID); err != nil {
		return nil, invalidArgument("subscription_id", err)
	}
	found, err := s.g.unsubscribe(ctx, id.Org, subID)
	if err != nil {
		return nil, s.g.natsError(ctx, "unsubscribe", err)
	}
	if !found {
		return nil, notFound("no subscription %q in this organization", subID)
	}
	return &natsgwv1.UnsubscribeResponse{}, nil
}

func nilIfEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
