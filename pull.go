package natsgw

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// StreamMsg is a message read through a consumer (Pull or Consume). It must
// be acknowledged with one of Ack, Nak, NakWithDelay, Term or
// TermWithReason (unless the consumer's ack policy is AckNone), or it comes
// back after the consumer's AckWait.
type StreamMsg struct {
	// Subject, Data and Header are the message as published.
	Subject string
	Data    []byte
	Header  Header
	// Stream and Consumer name where it came from.
	Stream, Consumer string
	// Sequence is the message's stream sequence; ConsumerSequence the
	// delivery's sequence in the consumer.
	Sequence, ConsumerSequence uint64
	// Deliveries is how many times it has been delivered, this one
	// included.
	Deliveries uint64
	// Time is when the message was stored.
	Time time.Time
	// Pending is how many messages were left for the consumer.
	Pending uint64
	// AckToken acknowledges the message through any gateway instance
	// (Client.AckTokens and friends); it is opaque.
	AckToken string

	c  *Client
	cc *ConsumeContext // set for messages delivered by Consume
	// gen is the Consume session that delivered it.
	gen uint64
}

func (c *Client) streamMsgFromProto(p *natsgwv1.ConsumedMessage) *StreamMsg {
	return &StreamMsg{
		Subject:          p.GetSubject(),
		Data:             p.GetData(),
		Header:           headerFromProto(p.GetHeaders()),
		Stream:           p.GetStream(),
		Consumer:         p.GetConsumer(),
		Sequence:         p.GetStreamSequence(),
		ConsumerSequence: p.GetConsumerSequence(),
		Deliveries:       p.GetDeliveryCount(),
		Time:             fromTS(p.GetTimestamp()),
		Pending:          p.GetPending(),
		AckToken:         p.GetAckToken(),
		c:                c,
	}
}

// Ack acknowledges the message: it will not be delivered again. For a
// pulled message it returns once NATS has confirmed the acknowledgement.
// For a message delivered by Consume it is sent on the Consume stream
// without waiting for NATS's confirmation (use AckSync for that).
func (m *StreamMsg) Ack(ctx context.Context) error {
	return m.ack(ctx, natsgwv1.AckKind_ACK_KIND_ACK, 0, "")
}

// AckSync acknowledges the message and waits for NATS's confirmation,
// however the message was delivered.
func (m *StreamMsg) AckSync(ctx context.Context) error {
	m.c.pulled.forget(m)
	return m.c.AckTokens(ctx, m.AckToken)
}

// Nak asks for the message to be delivered again at once.
func (m *StreamMsg) Nak(ctx context.Context) error {
	return m.ack(ctx, natsgwv1.AckKind_ACK_KIND_NAK, 0, "")
}

// NakWithDelay asks for the message to be delivered again after delay.
func (m *StreamMsg) NakWithDelay(ctx context.Context, delay time.Duration) error {
	return m.ack(ctx, natsgwv1.AckKind_ACK_KIND_NAK, delay, "")
}

// Term stops redelivery of the message for good (it goes to the dead-letter
// stream when the consumer has DeadLetter).
func (m *StreamMsg) Term(ctx context.Context) error {
	return m.ack(ctx, natsgwv1.AckKind_ACK_KIND_TERM, 0, "")
}

// TermWithReason is Term with a reason (one line), recorded in the dead
// letter.
func (m *StreamMsg) TermWithReason(ctx context.Context, reason string) error {
	return m.ack(ctx, natsgwv1.AckKind_ACK_KIND_TERM, 0, reason)
}

// InProgress tells NATS the message is still being worked on, restarting
// its AckWait.
func (m *StreamMsg) InProgress(ctx context.Context) error {
	return m.ack(ctx, natsgwv1.AckKind_ACK_KIND_IN_PROGRESS, 0, "")
}

func (m *StreamMsg) ack(ctx context.Context, kind natsgwv1.AckKind, delay time.Duration, reason string) error {
	if m.AckToken == "" {
		return fmt.Errorf("%w: the message has no ack token", ErrInvalidArgument)
	}
	if kind != natsgwv1.AckKind_ACK_KIND_IN_PROGRESS {
		m.c.pulled.forget(m)
	}
	if m.cc != nil && m.cc.sendAck(&natsgwv1.AckOperation{AckToken: m.AckToken, Kind: kind, Delay: durpb(delay), Reason: reason}) {
		return nil
	}
	return m.c.ackTokens(ctx, []string{m.AckToken}, kind, delay, reason)
}

// AckTokens acknowledges messages by their ack tokens, in one call, and
// returns once NATS has confirmed every acknowledgement.
func (c *Client) AckTokens(ctx context.Context, tokens ...string) error {
	return c.ackTokens(ctx, tokens, natsgwv1.AckKind_ACK_KIND_ACK, 0, "")
}

// NakTokens asks for messages to be delivered again, after delay (0: at
// once), by their ack tokens.
func (c *Client) NakTokens(ctx context.Context, delay time.Duration, tokens ...string) error {
	return c.ackTokens(ctx, tokens, natsgwv1.AckKind_ACK_KIND_NAK, delay, "")
}

// TermTokens stops redelivery of messages for good, by their ack tokens.
func (c *Client) TermTokens(ctx context.Context, reason string, tokens ...string) error {
	return c.ackTokens(ctx, tokens, natsgwv1.AckKind_ACK_KIND_TERM, 0, reason)
}

// AckMsgs acknowledges several messages in one call (confirmed by NATS).
func (c *Client) AckMsgs(ctx context.Context, msgs ...*StreamMsg) error {
	tokens := make([]string, len(msgs))
	for i, m := range msgs {
		tokens[i] = m.AckToken
		c.pulled.forget(m)
	}
	return c.AckTokens(ctx, tokens...)
}

func (c *Client) ackTokens(ctx context.Context, tokens []string, kind natsgwv1.AckKind, delay time.Duration, reason string) error {
	var err error
	switch kind {
	case natsgwv1.AckKind_ACK_KIND_ACK:
		_, err = c.consumers.Ack(ctx, &natsgwv1.AckRequest{AckTokens: tokens})
	case natsgwv1.AckKind_ACK_KIND_NAK:
		var d *durationpb.Duration
		if delay > 0 {
			d = durationpb.New(delay)
		}
		_, err = c.consumers.Nak(ctx, &natsgwv1.NakRequest{AckTokens: tokens, Delay: d})
	case natsgwv1.AckKind_ACK_KIND_TERM:
		_, err = c.consumers.Term(ctx, &natsgwv1.TermRequest{AckTokens: tokens, Reason: reason})
	case natsgwv1.AckKind_ACK_KIND_IN_PROGRESS:
		_, err = c.consumers.InProgress(ctx, &natsgwv1.InProgressRequest{AckTokens: tokens})
	}
	return convertError(err)
}

// PullOption configures Pull.
type PullOption func(*pullOptions)

type pullOptions struct {
	maxWait *durationpb.Duration
	noWait  bool
}

// WithMaxWait sets how long Pull waits when no message is available
// (default 5 s, at most 5 minutes; also bounded by ctx).
func WithMaxWait(d time.Duration) PullOption {
	return func(o *pullOptions) { o.maxWait = durationpb.New(d) }
}

// WithNoWait makes Pull return at once with what is available. Default:
// wait up to the max wait for a first message.
func WithNoWait() PullOption { return func(o *pullOptions) { o.noWait = true } }

// Pull reads up to batch messages (1-10000) from a consumer. It returns as
// soon as at least one message is there, waiting up to the max wait when
// none is; an empty result is not an error. Each message must be
// acknowledged (StreamMsg.Ack, Client.AckSeq).
func (c *Client) Pull(ctx context.Context, stream, consumer string, batch int, opts ...PullOption) ([]*StreamMsg, error) {
	if batch < 0 || batch > math.MaxUint32 {
		return nil, fmt.Errorf("%w: batch must be between 1 and 10000", ErrInvalidArgument)
	}
	var o pullOptions
	for _, opt := range opts {
		opt(&o)
	}
	req := &natsgwv1.PullRequest{Stream: stream, Consumer: consumer, Batch: uint32(batch), MaxWait: o.maxWait, NoWait: o.noWait}
	r, err := c.consumers.Pull(ctx, req)
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]*StreamMsg, len(r.GetMessages()))
	for i, p := range r.GetMessages() {
		out[i] = c.streamMsgFromProto(p)
		c.pulled.remember(out[i])
	}
	return out, nil
}

// AckSeq acknowledges, by stream sequence, a message this client pulled
// from stream through consumer (the brief's ack_message(stream, consumer,
// sequence)). The client remembers the ack tokens of the last 65536
// messages it pulled and has not acknowledged; for any other message
// AckSeq fails with ErrNotFound. Confirmed by NATS, like Ack.
func (c *Client) AckSeq(ctx context.Context, stream, consumer string, seq uint64) error {
	tok, ok := c.pulled.take(tokenKey{stream, consumer, seq})
	if !ok {
		return fmt.Errorf("%w: no message %d of stream %q pulled through consumer %q by this client is waiting for an ack", ErrNotFound, seq, stream, consumer)
	}
	err := c.AckTokens(ctx, tok)
	if err != nil && !errors.Is(err, ErrNotFound) {
		c.pulled.put(tokenKey{stream, consumer, seq}, tok) // so a retry can find it
	}
	return err
}

// maxRememberedTokens bounds the ack tokens a Client keeps for AckSeq.
const maxRememberedTokens = 1 << 16

type tokenKey struct {
	stream, consumer string
	seq              uint64
}

// tokenMemory is a bounded map of ack tokens; the oldest entry goes first.
type tokenMemory struct {
	mu    sync.Mutex
	max   int
	byKey map[tokenKey]string
	order []tokenKey // insertion order; may hold keys already removed
}

func newTokenMemory(n int) *tokenMemory {
	return &tokenMemory{max: n, byKey: make(map[tokenKey]string)}
}

func (t *tokenMemory) remember(m *StreamMsg) {
	if m.AckToken != "" {
		t.put(tokenKey{m.Stream, m.Consumer, m.Sequence}, m.AckToken)
	}
}

func (t *tokenMemory) put(k tokenKey, token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byKey[k]; !ok {
		t.order = append(t.order, k)
	}
	t.byKey[k] = token // a redelivery's token replaces the old one
	for len(t.byKey) > t.max && len(t.order) > 0 {
		delete(t.byKey, t.order[0])
		t.order = t.order[1:]
	}
	// Compact when removed keys dominate the order slice.
	if len(t.order) > 2*t.max {
		kept := make([]tokenKey, 0, len(t.byKey))
		for _, k := range t.order {
			if _, ok := t.byKey[k]; ok {
				kept = append(kept, k)
			}
		}
		t.order = kept
	}
}

func (t *tokenMemory) take(k tokenKey) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.byKey[k]
	delete(t.byKey, k)
	return tok, ok
}

func (t *tokenMemory) forget(m *StreamMsg) {
	if m.cc != nil {
		return // Consume deliveries are never remembered
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := tokenKey{m.Stream, m.Consumer, m.Sequence}
	if t.byKey[k] == m.AckToken {
		delete(t.byKey, k)
	}
}
