package natsgw

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// DeliverPolicy says where a new consumer starts in its stream.
type DeliverPolicy int

const (
	// DeliverAll starts at the first message (the default).
	DeliverAll DeliverPolicy = iota
	// DeliverLast starts at the last message.
	DeliverLast
	// DeliverNew delivers only messages stored after the consumer was
	// created.
	DeliverNew
	// DeliverByStartSequence starts at ConsumerConfig.OptStartSeq.
	DeliverByStartSequence
	// DeliverByStartTime starts at ConsumerConfig.OptStartTime.
	DeliverByStartTime
	// DeliverLastPerSubject starts with the last message of each subject.
	DeliverLastPerSubject
)

// AckPolicy says which acknowledgements a consumer expects.
type AckPolicy int

const (
	// AckExplicit: every message is acknowledged on its own (the default);
	// unacknowledged ones come back after AckWait.
	AckExplicit AckPolicy = iota
	// AckAll: acknowledging a message acknowledges all earlier ones.
	AckAll
	// AckNone: no acknowledgements; delivered means done.
	AckNone
)

// ReplayPolicy says how fast stored messages are delivered.
type ReplayPolicy int

const (
	// ReplayInstant delivers as fast as the consumer takes them (the
	// default).
	ReplayInstant ReplayPolicy = iota
	// ReplayOriginal delivers at the pace they were stored.
	ReplayOriginal
)

// ConsumerConfig configures a consumer. Zero values mean the defaults:
// deliver all, explicit acks, 30 s ack wait, unlimited deliveries, 1000
// pending acks, instant replay.
type ConsumerConfig struct {
	// Name is the durable name; empty makes an ephemeral consumer, removed
	// after InactiveThreshold (default 5 s) without readers.
	Name        string
	Description string
	// FilterSubjects limits the consumer to these subjects or patterns.
	FilterSubjects []string
	DeliverPolicy  DeliverPolicy
	OptStartSeq    uint64
	OptStartTime   time.Time
	AckPolicy      AckPolicy
	// AckWait is how long NATS waits for an acknowledgement before
	// delivering again; 0 means 30 s.
	AckWait time.Duration
	// MaxDeliver bounds deliveries of one message; 0 means unlimited.
	MaxDeliver int
	// BackOff are redelivery delays by delivery count (MaxDeliver must
	// exceed their number).
	BackOff []time.Duration
	// MaxAckPending bounds unacknowledged messages across all readers; 0
	// means 1000.
	MaxAckPending     int
	ReplayPolicy      ReplayPolicy
	InactiveThreshold time.Duration
	// DeadLetter copies messages that reach MaxDeliver or are terminated to
	// the stream's dead-letter stream "_dlq_<stream>", with Natsgw-Dlq-*
	// headers naming their origin.
	DeadLetter bool
}

// SequencePair is a position in a consumer.
type SequencePair struct {
	// Consumer is the consumer's delivery sequence, Stream the stream
	// sequence of the message.
	Consumer, Stream uint64
	// Last is when the consumer was last active there.
	Last time.Time
}

// ConsumerInfo is a consumer's configuration and state.
type ConsumerInfo struct {
	Stream, Name string
	Config       ConsumerConfig
	Created      time.Time
	// Delivered is the last delivery; AckFloor the position up to which
	// everything is acknowledged.
	Delivered, AckFloor SequencePair
	// NumAckPending: delivered, not yet acknowledged. NumRedelivered:
	// delivered more than once, not yet acknowledged. NumWaiting: pull
	// requests waiting. NumPending: messages not yet delivered.
	NumAckPending, NumRedelivered, NumWaiting, NumPending uint64
	// DeadLetterStream receives the consumer's dead letters (DeadLetter).
	DeadLetterStream string
	// Paused is true while the consumer is paused (PauseConsumer), until
	// PauseUntil.
	Paused     bool
	PauseUntil time.Time
}

func (c ConsumerConfig) toProto() *natsgwv1.ConsumerConfig {
	p := &natsgwv1.ConsumerConfig{
		Name:              c.Name,
		Description:       c.Description,
		FilterSubjects:    c.FilterSubjects,
		DeliverPolicy:     natsgwv1.DeliverPolicy(c.DeliverPolicy + 1),
		OptStartSequence:  c.OptStartSeq,
		OptStartTime:      tspb(c.OptStartTime),
		AckPolicy:         natsgwv1.AckPolicy(c.AckPolicy + 1),
		AckWait:           durpb(c.AckWait),
		MaxDeliver:        int32(c.MaxDeliver),
		MaxAckPending:     int32(c.MaxAckPending),
		ReplayPolicy:      natsgwv1.ReplayPolicy(c.ReplayPolicy + 1),
		InactiveThreshold: durpb(c.InactiveThreshold),
		DeadLetter:        c.DeadLetter,
	}
	for _, d := range c.BackOff {
		p.Backoff = append(p.Backoff, durationpb.New(d))
	}
	return p
}

func seqPairFromProto(p *natsgwv1.SequencePair) SequencePair {
	return SequencePair{Consumer: p.GetConsumerSequence(), Stream: p.GetStreamSequence(), Last: fromTS(p.GetLastActive())}
}

func consumerInfoFromProto(p *natsgwv1.ConsumerInfo) *ConsumerInfo {
	c := p.GetConfig()
	cfg := ConsumerConfig{
		Name:              c.GetName(),
		Description:       c.GetDescription(),
		FilterSubjects:    c.GetFilterSubjects(),
		DeliverPolicy:     DeliverPolicy(max(c.GetDeliverPolicy()-1, 0)),
		OptStartSeq:       c.GetOptStartSequence(),
		OptStartTime:      fromTS(c.GetOptStartTime()),
		AckPolicy:         AckPolicy(max(c.GetAckPolicy()-1, 0)),
		AckWait:           c.GetAckWait().AsDuration(),
		MaxDeliver:        int(c.GetMaxDeliver()),
		MaxAckPending:     int(c.GetMaxAckPending()),
		ReplayPolicy:      ReplayPolicy(max(c.GetReplayPolicy()-1, 0)),
		InactiveThreshold: c.GetInactiveThreshold().AsDuration(),
		DeadLetter:        c.GetDeadLetter(),
	}
	for _, d := range c.GetBackoff() {
		cfg.BackOff = append(cfg.BackOff, d.AsDuration())
	}
	return &ConsumerInfo{
		Stream:           p.GetStream(),
		Name:             p.GetName(),
		Config:           cfg,
		Created:          fromTS(p.GetCreated()),
		Delivered:        seqPairFromProto(p.GetDelivered()),
		AckFloor:         seqPairFromProto(p.GetAckFloor()),
		NumAckPending:    p.GetNumAckPending(),
		NumRedelivered:   p.GetNumRedelivered(),
		NumWaiting:       p.GetNumWaiting(),
		NumPending:       p.GetNumPending(),
		DeadLetterStream: p.GetDeadLetterStream(),
		Paused:           p.GetPaused(),
		PauseUntil:       fromTS(p.GetPauseUntil()),
	}
}

// CreateConsumer creates a consumer on stream. Creating one that exists
// with the same configuration returns it; with a different configuration it
// fails with ErrAlreadyExists.
func (c *Client) CreateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*ConsumerInfo, error) {
	r, err := c.consumers.CreateConsumer(ctx, &natsgwv1.CreateConsumerRequest{Stream: stream, Config: cfg.toProto()})
	if err != nil {
		return nil, convertError(err)
	}
	return consumerInfoFromProto(r.GetConsumer()), nil
}

// UpdateConsumer replaces a consumer's configuration. ErrNotFound if it does
// not exist.
func (c *Client) UpdateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*ConsumerInfo, error) {
	r, err := c.consumers.UpdateConsumer(ctx, &natsgwv1.UpdateConsumerRequest{Stream: stream, Config: cfg.toProto()})
	if err != nil {
		return nil, convertError(err)
	}
	return consumerInfoFromProto(r.GetConsumer()), nil
}

// DeleteConsumer deletes a consumer.
func (c *Client) DeleteConsumer(ctx context.Context, stream, name string) error {
	_, err := c.consumers.DeleteConsumer(ctx, &natsgwv1.DeleteConsumerRequest{Stream: stream, Name: name})
	return convertError(err)
}

// PauseConsumer stops the consumer from delivering until until (its
// readers' pulls wait meanwhile) and returns when the pause ends; until must
// be in the future. ResumeConsumer ends a pause early.
func (c *Client) PauseConsumer(ctx context.Context, stream, name string, until time.Time) (time.Time, error) {
	r, err := c.consumers.PauseConsumer(ctx, &natsgwv1.PauseConsumerRequest{Stream: stream, Consumer: name, PauseUntil: timestamppb.New(until)})
	if err != nil {
		return time.Time{}, convertError(err)
	}
	return fromTS(r.GetPauseUntil()), nil
}

// ResumeConsumer ends the consumer's pause; a consumer that is not paused
// stays as it is.
func (c *Client) ResumeConsumer(ctx context.Context, stream, name string) error {
	_, err := c.consumers.ResumeConsumer(ctx, &natsgwv1.ResumeConsumerRequest{Stream: stream, Consumer: name})
	return convertError(err)
}

// ConsumerInfo returns a consumer's configuration and state.
func (c *Client) ConsumerInfo(ctx context.Context, stream, name string) (*ConsumerInfo, error) {
	r, err := c.consumers.GetConsumer(ctx, &natsgwv1.GetConsumerRequest{Stream: stream, Name: name})
	if err != nil {
		return nil, convertError(err)
	}
	return consumerInfoFromProto(r.GetConsumer()), nil
}

// Consumers lists a stream's consumers, sorted by name.
func (c *Client) Consumers(ctx context.Context, stream string) ([]*ConsumerInfo, error) {
	r, err := c.consumers.ListConsumers(ctx, &natsgwv1.ListConsumersRequest{Stream: stream})
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]*ConsumerInfo, len(r.GetConsumers()))
	for i, ci := range r.GetConsumers() {
		out[i] = consumerInfoFromProto(ci)
	}
	return out, nil
}
