package natsgw

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// PublishOption adds to a published message.
type PublishOption func(*publishOptions)

// publishOptions fills the message being published.
type publishOptions struct {
	m *Msg
}

// newMsg builds the message that Publish and friends send.
func newMsg(subject string, data []byte, opts []PublishOption) *Msg {
	o := publishOptions{m: &Msg{Subject: subject, Data: data}}
	for _, opt := range opts {
		opt(&o)
	}
	return o.m
}

// WithHeader sets the message's headers. Default: none.
func WithHeader(h Header) PublishOption { return func(o *publishOptions) { o.m.Header = h } }

// WithReplyTo asks receivers to reply to subject (in the caller's
// organization). Default: no reply subject.
func WithReplyTo(subject string) PublishOption {
	return func(o *publishOptions) { o.m.Reply = subject }
}

// Publish sends data to subject. It returns once the gateway has handed the
// message to NATS; delivery is at most once, as in core NATS.
func (c *Client) Publish(ctx context.Context, subject string, data []byte, opts ...PublishOption) error {
	m := newMsg(subject, data, opts)
	return c.PublishMsg(ctx, m)
}

// PublishMsg sends m (Subject, Data, Header, and Reply as reply-to).
func (c *Client) PublishMsg(ctx context.Context, m *Msg) error {
	_, err := c.messaging.Publish(ctx, &natsgwv1.PublishRequest{Message: m.toProto()})
	return convertError(err)
}

// PublishBatch sends msgs in order in one call and returns how many were
// published. The gateway validates the whole batch first: if one message is
// invalid, none is published. At most 10000 messages per batch.
func (c *Client) PublishBatch(ctx context.Context, msgs []*Msg) (int, error) {
	req := &natsgwv1.PublishBatchRequest{Messages: make([]*natsgwv1.OutgoingMessage, len(msgs))}
	for i, m := range msgs {
		req.Messages[i] = m.toProto()
	}
	resp, err := c.messaging.PublishBatch(ctx, req)
	if err != nil {
		return 0, convertError(err)
	}
	return int(resp.GetPublishedCount()), nil
}

// Request sends data to subject and waits for the first reply, until ctx's
// deadline (the gateway waits at most 10 minutes), or 30 s when ctx has no
// deadline. It fails with ErrNoResponders when nobody listens on subject and
// ErrTimeout when nobody answered in time.
func (c *Client) Request(ctx context.Context, subject string, data []byte, opts ...PublishOption) (*Msg, error) {
	m := newMsg(subject, data, opts)
	return c.RequestMsg(ctx, m)
}

// maxRequestTimeout is the gateway's limit on a request's wait.
const maxRequestTimeout = 10 * time.Minute

// RequestMsg is Request with a whole message (its Reply must be empty).
func (c *Client) RequestMsg(ctx context.Context, m *Msg) (*Msg, error) {
	req := &natsgwv1.RequestRequest{Message: m.toProto()}
	if dl, ok := ctx.Deadline(); ok {
		// Tell the gateway explicitly, so it answers DeadlineExceeded with an
		// explanation just before the call's own deadline would cut it.
		// Past the gateway's limit, leave the field unset: the gateway then
		// waits as long as it may.
		if d := time.Until(dl); d > 0 && d <= maxRequestTimeout {
			req.Timeout = durationpb.New(d)
		}
	}
	resp, err := c.messaging.Request(ctx, req)
	if err != nil {
		return nil, convertError(err)
	}
	return c.msgFromProto(resp.GetReply()), nil
}
