package natsgw

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// PublisherOption configures a Publisher.
type PublisherOption func(*publisherOptions)

type publisherOptions struct {
	maxMsgs  int
	maxBytes int
	linger   time.Duration
}

// WithBatchSize sets how many messages (default 1000) or bytes of payload
// (default 256 KiB) the Publisher gathers before sending a frame.
func WithBatchSize(msgs, bytes int) PublisherOption {
	return func(o *publisherOptions) {
		if msgs > 0 {
			o.maxMsgs = min(msgs, 10000)
		}
		if bytes > 0 {
			o.maxBytes = bytes
		}
	}
}

// WithLinger sets how long a partly filled frame may wait for more messages
// before it is sent anyway. Default 2 ms.
func WithLinger(d time.Duration) PublisherOption {
	return func(o *publisherOptions) {
		if d > 0 {
			o.linger = d
		}
	}
}

// Publisher is a pipelined producer over one PublishStream: Publish only
// queues the message; frames of many messages go to the gateway in the
// background, which is what makes it fast. Flush waits until everything
// published so far has reached NATS. Safe for concurrent use.
//
// If the gateway rejects a message (for example an invalid subject), the
// stream ends: every message before it is published (Published counts them),
// that message and any after it are not, and every later call returns the
// error.
type Publisher struct {
	c      *Client
	opts   publisherOptions
	stream natsgwv1.MessagingService_PublishStreamClient
	cancel context.CancelFunc

	// Lock order: mu, then sendMu, then ackMu. The receiver takes only
	// ackMu, so it keeps reading the gateway's answers even while producers
	// wait for a send (otherwise a full response window could stall the
	// stream in both directions).
	mu     sync.Mutex
	frame  []*natsgwv1.OutgoingMessage
	bytes  int
	queued uint64 // messages handed to Publish
	timer  *time.Timer
	err    error // sticky: a send failed or Close ended the stream
	closed bool  // Close was called: no more messages are taken
	sendMu sync.Mutex

	ackMu   sync.Mutex
	acked   uint64 // published_count last confirmed by the gateway
	waiters []flushWaiter
	recvErr error         // why the stream ended, set by the receiver
	done    chan struct{} // closed when the receiver ends
}

type flushWaiter struct {
	upTo uint64
	ch   chan error
}

// NewPublisher opens a publishing stream. ctx only bounds opening it; the
// Publisher lives until Close (or the Client's Close).
func (c *Client) NewPublisher(ctx context.Context, opts ...PublisherOption) (*Publisher, error) {
	if err := c.errIfClosed(); err != nil {
		return nil, err
	}
	o := publisherOptions{maxMsgs: 1000, maxBytes: 256 << 10, linger: 2 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	sctx, cancel := context.WithCancel(c.ctx)
	stop := context.AfterFunc(ctx, cancel) // opening is bounded by ctx
	stream, err := c.messaging.PublishStream(sctx)
	stop()
	if err != nil {
		cancel()
		return nil, convertError(err)
	}
	p := &Publisher{c: c, opts: o, stream: stream, cancel: cancel, done: make(chan struct{})}
	c.wg.Add(1)
	go p.receive()
	return p, nil
}

// Publish queues data for subject.
func (p *Publisher) Publish(subject string, data []byte, opts ...PublishOption) error {
	return p.PublishMsg(newMsg(subject, data, opts))
}

// PublishMsg queues m. It blocks only while a full frame is being sent (the
// gateway's flow control pushes back on a producer that is too fast).
func (p *Publisher) PublishMsg(m *Msg) error {
	p.mu.Lock()
	if err := p.unusableLocked(); err != nil {
		p.mu.Unlock()
		return err
	}
	p.frame = append(p.frame, m.toProto())
	p.bytes += len(m.Data)
	p.queued++
	if len(p.frame) < p.opts.maxMsgs && p.bytes < p.opts.maxBytes {
		if len(p.frame) == 1 {
			if p.timer == nil {
				p.timer = time.AfterFunc(p.opts.linger, p.lingerExpired)
			} else {
				p.timer.Reset(p.opts.linger)
			}
		}
		p.mu.Unlock()
		return nil
	}
	return p.sendLocked(false)
}

// unusableLocked is the error for a call on a failed or closed Publisher.
func (p *Publisher) unusableLocked() error {
	switch {
	case p.err != nil:
		return p.err
	case p.closed:
		return ErrClosed
	}
	return p.streamErr()
}

// streamErr is the error that ended the stream, or nil while it is up.
func (p *Publisher) streamErr() error {
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	return p.recvErr
}

func (p *Publisher) lingerExpired() {
	p.mu.Lock()
	if len(p.frame) == 0 || p.unusableLocked() != nil {
		p.mu.Unlock()
		return
	}
	_ = p.sendLocked(false)
}

// sendLocked sends the current frame; p.mu is held on entry and released on
// return. sendMu keeps frames in order while p.mu is free for producers.
func (p *Publisher) sendLocked(flush bool) error {
	frame := p.frame
	p.frame, p.bytes = nil, 0
	if p.timer != nil {
		p.timer.Stop()
	}
	p.sendMu.Lock()
	p.mu.Unlock()
	err := p.stream.Send(&natsgwv1.PublishStreamRequest{Messages: frame, Flush: flush})
	p.sendMu.Unlock()
	if err != nil {
		err = p.fail(err)
	}
	return err
}

// fail records the stream's failure and returns the error to report: the
// gateway's status when it sent one.
func (p *Publisher) fail(err error) error {
	if errors.Is(err, io.EOF) {
		// Send reports io.EOF when the stream ended; the real reason comes
		// from the receiver.
		<-p.done
		return p.streamErr()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = convertError(err)
	}
	return p.err
}

func (p *Publisher) receive() {
	defer p.c.wg.Done()
	defer close(p.done)
	for {
		resp, err := p.stream.Recv()
		p.ackMu.Lock()
		if err != nil {
			if errors.Is(err, io.EOF) {
				p.recvErr = ErrClosed
			} else {
				p.recvErr = convertError(err)
			}
			for _, w := range p.waiters {
				w.ch <- p.recvErr
			}
			p.waiters = nil
			p.ackMu.Unlock()
			return
		}
		p.acked = resp.GetPublishedCount()
		kept := p.waiters[:0]
		for _, w := range p.waiters {
			if w.upTo <= p.acked {
				w.ch <- nil
			} else {
				kept = append(kept, w)
			}
		}
		p.waiters = kept
		p.ackMu.Unlock()
	}
}

// Flush sends anything queued and waits until the gateway confirms that every
// message published before the call reached NATS.
func (p *Publisher) Flush(ctx context.Context) error {
	p.mu.Lock()
	if err := p.unusableLocked(); err != nil {
		p.mu.Unlock()
		return err
	}
	return p.flushLocked(ctx)
}

// flushLocked sends the current frame with flush set and waits for the
// gateway's confirmation; p.mu is held on entry and released on return.
func (p *Publisher) flushLocked(ctx context.Context) error {
	ch := make(chan error, 1)
	p.ackMu.Lock()
	if p.recvErr != nil {
		err := p.recvErr
		p.ackMu.Unlock()
		p.mu.Unlock()
		return err
	}
	p.waiters = append(p.waiters, flushWaiter{upTo: p.queued, ch: ch})
	p.ackMu.Unlock()
	if err := p.sendLocked(true); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Published is the number of messages the gateway has confirmed: as of the
// last Flush, or all those before a rejected message.
func (p *Publisher) Published() uint64 {
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	return p.acked
}

// Close flushes, then ends the stream. Every Publish that returned nil
// before Close was called (or while it runs) is published when Close returns
// nil; Publish calls from then on return ErrClosed. Closing again returns nil,
// or the error that ended the stream.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		err := p.err
		p.mu.Unlock()
		if errors.Is(err, ErrClosed) {
			return nil
		}
		return err
	}
	p.closed = true // from here on no message is taken, so the last frame is final
	if p.timer != nil {
		p.timer.Stop()
	}
	var err error
	if p.err != nil {
		err = p.err
		p.mu.Unlock()
	} else {
		err = p.flushLocked(ctx)
	}
	p.sendMu.Lock()
	_ = p.stream.CloseSend()
	p.sendMu.Unlock()
	select {
	case <-p.done: // the gateway's final answer, or the stream's error
	case <-ctx.Done():
	}
	p.cancel()
	p.mu.Lock()
	if p.err == nil {
		p.err = p.streamErr()
		if p.err == nil || errors.Is(p.err, ErrCanceled) {
			p.err = ErrClosed
		}
	}
	p.mu.Unlock()
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
