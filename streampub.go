package natsgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// PubAck confirms that a stream stored a message.
type PubAck struct {
	// Stream is the stream's name.
	Stream string
	// Sequence is the message's sequence in the stream (for a duplicate:
	// the sequence of the message stored first).
	Sequence uint64
	// Duplicate is true when the message id was seen within the stream's
	// duplicate window and the message was not stored again.
	Duplicate bool
}

// StreamPublishOption adds to a message published to a stream.
type StreamPublishOption func(*streamPublishOptions)

// streamPublishOptions is filled straight into the message's wire form:
// options run once per published message, on a hot path.
type streamPublishOptions struct {
	p *natsgwv1.StreamPublish
}

// WithMsgID sets the message's deduplication id: within the stream's
// duplicate window (default 2 minutes) a second message with the same id is
// not stored (PubAck.Duplicate). Default: none.
func WithMsgID(id string) StreamPublishOption {
	return func(o *streamPublishOptions) { o.p.MsgId = id }
}

// WithExpectLastSequence stores the message only if the stream's last
// sequence is seq (0: the stream is empty); otherwise the publish fails
// with ErrFailedPrecondition. Default: no expectation.
func WithExpectLastSequence(seq uint64) StreamPublishOption {
	return func(o *streamPublishOptions) { o.p.ExpectedLastSequence = &seq }
}

// WithExpectLastSubjectSequence stores the message only if the last
// message on its subject has sequence seq (0: none yet); otherwise the
// publish fails with ErrFailedPrecondition. Default: no expectation.
func WithExpectLastSubjectSequence(seq uint64) StreamPublishOption {
	return func(o *streamPublishOptions) { o.p.ExpectedLastSubjectSequence = &seq }
}

// WithTTL gives the message its own time to live (at least 1 s; the stream
// needs AllowMsgTTL). Default: the stream's MaxAge applies.
func WithTTL(d time.Duration) StreamPublishOption {
	return func(o *streamPublishOptions) { o.p.Ttl = durationpb.New(d) }
}

// WithMsgHeader sets the message's headers (keys starting with "Nats-" are
// reserved). Default: none.
func WithMsgHeader(h Header) StreamPublishOption {
	return func(o *streamPublishOptions) { o.p.Headers = headerToProto(h) }
}

func streamPublish(subject string, data []byte, opts []StreamPublishOption) *natsgwv1.StreamPublish {
	o := streamPublishOptions{p: &natsgwv1.StreamPublish{Subject: subject, Data: data}}
	for _, opt := range opts {
		opt(&o)
	}
	return o.p
}

// PublishToStream stores data on subject in stream and returns once the
// stream has persisted it. subject must be one of the stream's subjects.
func (c *Client) PublishToStream(ctx context.Context, stream, subject string, data []byte, opts ...StreamPublishOption) (*PubAck, error) {
	r, err := c.streams.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: stream, Message: streamPublish(subject, data, opts)})
	if err != nil {
		return nil, convertError(err)
	}
	return &PubAck{Stream: r.GetStream(), Sequence: r.GetSequence(), Duplicate: r.GetDuplicate()}, nil
}

// PubAckFuture is the outcome, to come, of a message given to a
// StreamPublisher.
type PubAckFuture struct {
	mu   sync.Mutex
	ack  *PubAck
	err  error
	set  bool
	done chan struct{} // made on demand: most futures are never waited on
}

// Done is closed when the outcome is known.
func (f *PubAckFuture) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		f.done = make(chan struct{})
		if f.set {
			close(f.done)
		}
	}
	return f.done
}

// Wait returns the outcome once known, or ctx's error.
func (f *PubAckFuture) Wait(ctx context.Context) (*PubAck, error) {
	select {
	case <-f.Done():
		return f.ack, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *PubAckFuture) resolve(ack *PubAck, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ack, f.err, f.set = ack, err, true
	if f.done != nil {
		close(f.done)
	}
}

// StreamPublisher is a pipelined producer for one stream: Publish queues a
// message and returns its future at once; frames of messages travel to the
// gateway in the background, and the gateway keeps many JetStream publishes
// in flight. Every message gets its own outcome: one that fails (say a
// wrong expected sequence) does not stop the others. Safe for concurrent
// use; futures resolve in publish order.
type StreamPublisher struct {
	c      *Client
	stream string
	opts   publisherOptions
	ps     natsgwv1.StreamService_PipelinePublishClient
	cancel context.CancelFunc

	// Lock order: mu, sendMu, futMu. The receiver takes only futMu while
	// the stream is up, so it keeps reading results even while producers
	// wait for a send (a stalled reader would stall the gateway's writer,
	// then its reader, then our senders).
	mu     sync.Mutex
	frame  []*natsgwv1.StreamPublish
	bytes  int
	named  bool // the stream name went out in a frame
	timer  *time.Timer
	err    error // sticky: the stream failed or was closed
	sendMu sync.Mutex

	futMu   sync.Mutex
	futures []*PubAckFuture // sent or queued, unresolved, in order
	base    uint64          // index of futures[0]
	done    chan struct{}   // closed when the receiver ends
}

// NewStreamPublisher opens a pipelined publisher for stream. The options are
// the Publisher's (WithBatchSize, WithLinger). ctx only bounds opening it;
// it lives until Close (or the Client's Close).
func (c *Client) NewStreamPublisher(ctx context.Context, stream string, opts ...PublisherOption) (*StreamPublisher, error) {
	if err := c.errIfClosed(); err != nil {
		return nil, err
	}
	o := publisherOptions{maxMsgs: 1000, maxBytes: 256 << 10, linger: 2 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	sctx, cancel := context.WithCancel(c.ctx)
	stop := context.AfterFunc(ctx, cancel)
	ps, err := c.streams.PipelinePublish(sctx)
	stop()
	if err != nil {
		cancel()
		return nil, convertError(err)
	}
	p := &StreamPublisher{c: c, stream: stream, opts: o, ps: ps, cancel: cancel, done: make(chan struct{})}
	c.wg.Add(1)
	go p.receive()
	return p, nil
}

// Publish queues data for subject and returns its future. It blocks only
// while a full frame is being sent (gRPC flow control holds back a
// producer that outruns the gateway). An error means the publisher is
// broken or closed.
func (p *StreamPublisher) Publish(subject string, data []byte, opts ...StreamPublishOption) (*PubAckFuture, error) {
	m := streamPublish(subject, data, opts)
	f := &PubAckFuture{}
	p.mu.Lock()
	if p.err != nil {
		err := p.err
		p.mu.Unlock()
		return nil, err
	}
	p.frame = append(p.frame, m)
	p.futMu.Lock()
	p.futures = append(p.futures, f)
	p.futMu.Unlock()
	p.bytes += len(data)
	if len(p.frame) < p.opts.maxMsgs && p.bytes < p.opts.maxBytes {
		if len(p.frame) == 1 {
			if p.timer == nil {
				p.timer = time.AfterFunc(p.opts.linger, p.lingerExpired)
			} else {
				p.timer.Reset(p.opts.linger)
			}
		}
		p.mu.Unlock()
		return f, nil
	}
	if err := p.sendLocked(); err != nil {
		return nil, err
	}
	return f, nil
}

func (p *StreamPublisher) lingerExpired() {
	p.mu.Lock()
	if len(p.frame) == 0 || p.err != nil {
		p.mu.Unlock()
		return
	}
	_ = p.sendLocked()
}

// sendLocked sends the queued frame; p.mu is held on entry and released on
// return.
func (p *StreamPublisher) sendLocked() error {
	req := &natsgwv1.PipelinePublishRequest{Messages: p.frame}
	if !p.named {
		req.Stream, p.named = p.stream, true
	}
	p.frame, p.bytes = nil, 0
	if p.timer != nil {
		p.timer.Stop()
	}
	p.sendMu.Lock()
	p.mu.Unlock()
	err := p.ps.Send(req)
	p.sendMu.Unlock()
	if err != nil {
		if errors.Is(err, io.EOF) {
			<-p.done // the receiver has the real reason
		}
		p.fail(convertError(err))
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	}
	return nil
}

// fail makes err sticky and resolves every pending future with it.
func (p *StreamPublisher) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	err = p.err
	p.futMu.Lock()
	pending := p.futures
	p.futures = nil
	p.futMu.Unlock()
	p.mu.Unlock()
	for _, f := range pending {
		f.resolve(nil, err)
	}
}

func (p *StreamPublisher) receive() {
	defer p.c.wg.Done()
	defer close(p.done)
	for {
		resp, err := p.ps.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = ErrClosed
			}
			p.fail(convertError(err))
			return
		}
		if err := p.resolveFrame(resp); err != nil {
			p.fail(err)
			p.cancel()
			return
		}
	}
}

// resolveFrame resolves the futures a frame of results reports on.
func (p *StreamPublisher) resolveFrame(resp *natsgwv1.PipelinePublishResponse) error {
	seqs := resp.GetSequences()
	p.futMu.Lock()
	if resp.GetFirstIndex() != p.base || len(seqs) > len(p.futures) {
		base := p.base
		p.futMu.Unlock()
		return fmt.Errorf("%w: gateway answered messages %d.. out of order (expected %d)", ErrInternal, resp.GetFirstIndex(), base)
	}
	done := p.futures[:len(seqs)]
	p.futures = p.futures[len(seqs):]
	p.base += uint64(len(seqs))
	p.futMu.Unlock()
	dups := resp.GetDuplicates()
	errs := resp.GetErrors()
	for i, f := range done {
		idx := resp.GetFirstIndex() + uint64(i)
		if len(errs) > 0 && errs[0].GetIndex() == idx {
			f.resolve(nil, convertError(status.Error(codes.Code(errs[0].GetCode()), errs[0].GetMessage())))
			errs = errs[1:]
			continue
		}
		ack := &PubAck{Stream: p.stream, Sequence: seqs[i]}
		if len(dups) > 0 && dups[0] == idx {
			ack.Duplicate = true
			dups = dups[1:]
		}
		f.resolve(ack, nil)
	}
	return nil
}

// Flush sends what is queued and waits until every message published so
// far has its outcome. It reports the publisher's failure, not the
// failures of single messages (see their futures).
func (p *StreamPublisher) Flush(ctx context.Context) error {
	p.mu.Lock()
	if p.err != nil {
		err := p.err
		p.mu.Unlock()
		return err
	}
	var last *PubAckFuture
	p.futMu.Lock()
	if n := len(p.futures); n > 0 {
		last = p.futures[n-1]
	}
	p.futMu.Unlock()
	if len(p.frame) > 0 {
		if err := p.sendLocked(); err != nil {
			return err
		}
	} else {
		p.mu.Unlock()
	}
	if last == nil {
		return nil
	}
	select {
	case <-last.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.err != nil && !errors.Is(p.err, ErrClosed) {
			return p.err
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes, then ends the stream. Later calls return ErrClosed.
func (p *StreamPublisher) Close(ctx context.Context) error {
	err := p.Flush(ctx)
	p.sendMu.Lock()
	_ = p.ps.CloseSend()
	p.sendMu.Unlock()
	p.mu.Lock()
	if p.err == nil {
		p.err = ErrClosed
	}
	p.mu.Unlock()
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	p.cancel()
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
