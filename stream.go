package natsgw

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// StorageType is where a stream keeps its messages.
type StorageType int

const (
	// FileStorage keeps messages on disk (the default).
	FileStorage StorageType = iota
	// MemoryStorage keeps messages in memory; they are lost when NATS
	// restarts.
	MemoryStorage
)

// RetentionPolicy decides when messages leave a stream, besides its limits.
type RetentionPolicy int

const (
	// LimitsRetention keeps messages until a limit removes them (the
	// default).
	LimitsRetention RetentionPolicy = iota
	// InterestRetention keeps messages while a consumer still has to
	// acknowledge them.
	InterestRetention
	// WorkQueueRetention removes a message once a consumer acknowledges
	// it: a task queue. Each subject can be consumed by one consumer only.
	WorkQueueRetention
)

// DiscardPolicy decides what a full stream does with a new message.
type DiscardPolicy int

const (
	// DiscardOld removes the oldest messages (the default).
	DiscardOld DiscardPolicy = iota
	// DiscardNew refuses the new message (ErrResourceExhausted).
	DiscardNew
)

// StreamConfig configures a stream. Zero values mean the defaults: file
// storage, limits retention, discard old, no limits, one replica, a
// two-minute duplicate window.
type StreamConfig struct {
	// Name: letters, digits, '_' and '-', not starting with '_'. Required.
	Name        string
	Description string
	// Subjects (or patterns such as "tasks.>") the stream stores, in the
	// organization's view. At least one.
	Subjects  []string
	Storage   StorageType
	Retention RetentionPolicy
	// Limits; 0 means unlimited (MaxMsgSize: the gateway's max payload).
	MaxMsgs           int64
	MaxBytes          int64
	MaxAge            time.Duration
	MaxMsgSize        int32
	MaxMsgsPerSubject int64
	Discard           DiscardPolicy
	// Replicas in a NATS cluster, 1-5; 0 means 1.
	Replicas int
	// DuplicateWindow is how long message ids are remembered for
	// deduplication; 0 means 2 minutes.
	DuplicateWindow time.Duration
	// AllowMsgTTL allows per-message TTLs (WithTTL).
	AllowMsgTTL bool
}

// StreamState is what a stream holds.
type StreamState struct {
	Msgs, Bytes             uint64
	FirstSeq, LastSeq       uint64
	FirstTime, LastTime     time.Time
	NumSubjects, NumDeleted uint64
	Consumers               int
	// Subjects counts messages per subject; only filled by StreamInfo
	// with WithSubjectsFilter.
	Subjects map[string]uint64
}

// StreamInfo is a stream's configuration and state.
type StreamInfo struct {
	Config  StreamConfig
	State   StreamState
	Created time.Time
	// DeadLetterFor is set on a dead-letter stream ("_dlq_<stream>"): the
	// stream whose dead letters it holds.
	DeadLetterFor string
}

func durpb(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func tspb(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func (c StreamConfig) toProto() *natsgwv1.StreamConfig {
	return &natsgwv1.StreamConfig{
		Name:              c.Name,
		Description:       c.Description,
		Subjects:          c.Subjects,
		Storage:           natsgwv1.StreamStorage(c.Storage + 1),
		Retention:         natsgwv1.StreamRetention(c.Retention + 1),
		MaxMsgs:           c.MaxMsgs,
		MaxBytes:          c.MaxBytes,
		MaxAge:            durpb(c.MaxAge),
		MaxMsgSize:        c.MaxMsgSize,
		MaxMsgsPerSubject: c.MaxMsgsPerSubject,
		Discard:           natsgwv1.StreamDiscard(c.Discard + 1),
		Replicas:          int32(c.Replicas),
		DuplicateWindow:   durpb(c.DuplicateWindow),
		AllowMsgTtl:       c.AllowMsgTTL,
	}
}

func streamInfoFromProto(p *natsgwv1.StreamInfo) *StreamInfo {
	c, s := p.GetConfig(), p.GetState()
	return &StreamInfo{
		Config: StreamConfig{
			Name:              c.GetName(),
			Description:       c.GetDescription(),
			Subjects:          c.GetSubjects(),
			Storage:           StorageType(max(c.GetStorage()-1, 0)),
			Retention:         RetentionPolicy(max(c.GetRetention()-1, 0)),
			MaxMsgs:           c.GetMaxMsgs(),
			MaxBytes:          c.GetMaxBytes(),
			MaxAge:            c.GetMaxAge().AsDuration(),
			MaxMsgSize:        c.GetMaxMsgSize(),
			MaxMsgsPerSubject: c.GetMaxMsgsPerSubject(),
			Discard:           DiscardPolicy(max(c.GetDiscard()-1, 0)),
			Replicas:          int(c.GetReplicas()),
			DuplicateWindow:   c.GetDuplicateWindow().AsDuration(),
			AllowMsgTTL:       c.GetAllowMsgTtl(),
		},
		State: StreamState{
			Msgs:        s.GetMessages(),
			Bytes:       s.GetBytes(),
			FirstSeq:    s.GetFirstSequence(),
			LastSeq:     s.GetLastSequence(),
			FirstTime:   fromTS(s.GetFirstTime()),
			LastTime:    fromTS(s.GetLastTime()),
			NumSubjects: s.GetNumSubjects(),
			NumDeleted:  s.GetNumDeleted(),
			Consumers:   int(s.GetConsumers()),
			Subjects:    s.GetSubjects(),
		},
		Created:       fromTS(p.GetCreated()),
		DeadLetterFor: p.GetDeadLetterFor(),
	}
}

// CreateStream creates a stream. Creating one that exists with the same
// configuration returns it; with a different configuration it fails with
// ErrAlreadyExists.
func (c *Client) CreateStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	r, err := c.streams.CreateStream(ctx, &natsgwv1.CreateStreamRequest{Config: cfg.toProto()})
	if err != nil {
		return nil, convertError(err)
	}
	return streamInfoFromProto(r.GetStream()), nil
}

// UpdateStream replaces a stream's configuration (every field: unset ones
// take their defaults). ErrNotFound if it does not exist.
func (c *Client) UpdateStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	r, err := c.streams.UpdateStream(ctx, &natsgwv1.UpdateStreamRequest{Config: cfg.toProto()})
	if err != nil {
		return nil, convertError(err)
	}
	return streamInfoFromProto(r.GetStream()), nil
}

// DeleteStream deletes a stream with its messages and consumers (not its
// dead-letter stream).
func (c *Client) DeleteStream(ctx context.Context, name string) error {
	_, err := c.streams.DeleteStream(ctx, &natsgwv1.DeleteStreamRequest{Name: name})
	return convertError(err)
}

// StreamInfoOption configures StreamInfo.
type StreamInfoOption func(*streamInfoOptions)

type streamInfoOptions struct {
	subjectsFilter string
}

// WithSubjectsFilter makes StreamInfo count messages per subject matching
// filter (">" for all) in State.Subjects. Default: no per-subject counts.
func WithSubjectsFilter(filter string) StreamInfoOption {
	return func(o *streamInfoOptions) { o.subjectsFilter = filter }
}

// StreamInfo returns a stream's configuration and state.
func (c *Client) StreamInfo(ctx context.Context, name string, opts ...StreamInfoOption) (*StreamInfo, error) {
	var o streamInfoOptions
	for _, opt := range opts {
		opt(&o)
	}
	r, err := c.streams.GetStream(ctx, &natsgwv1.GetStreamRequest{Name: name, SubjectsFilter: o.subjectsFilter})
	if err != nil {
		return nil, convertError(err)
	}
	return streamInfoFromProto(r.GetStream()), nil
}

// Streams lists the organization's streams (dead-letter streams included),
// sorted by name.
func (c *Client) Streams(ctx context.Context) ([]*StreamInfo, error) {
	r, err := c.streams.ListStreams(ctx, &natsgwv1.ListStreamsRequest{})
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]*StreamInfo, len(r.GetStreams()))
	for i, s := range r.GetStreams() {
		out[i] = streamInfoFromProto(s)
	}
	return out, nil
}

// PurgeOption narrows PurgeStream.
type PurgeOption func(*purgeOptions)

type purgeOptions struct {
	subject    string
	keep, upTo uint64
}

// WithPurgeSubject purges only messages on subject (or pattern). Default:
// every subject.
func WithPurgeSubject(subject string) PurgeOption {
	return func(o *purgeOptions) { o.subject = subject }
}

// WithPurgeKeep keeps the newest n messages. Default: keep none.
func WithPurgeKeep(n uint64) PurgeOption {
	return func(o *purgeOptions) { o.keep = n }
}

// WithPurgeUpTo purges messages with a sequence below seq. Default: every
// sequence.
func WithPurgeUpTo(seq uint64) PurgeOption {
	return func(o *purgeOptions) { o.upTo = seq }
}

// PurgeStream removes a stream's messages (all of them unless narrowed) and
// returns how many were removed.
func (c *Client) PurgeStream(ctx context.Context, name string, opts ...PurgeOption) (uint64, error) {
	var o purgeOptions
	for _, opt := range opts {
		opt(&o)
	}
	r, err := c.streams.PurgeStream(ctx, &natsgwv1.PurgeStreamRequest{Name: name, Subject: o.subject, Keep: o.keep, UpToSequence: o.upTo})
	if err != nil {
		return 0, convertError(err)
	}
	return r.GetPurged(), nil
}

// StoredMsg is a message as a stream stores it.
type StoredMsg struct {
	Subject  string
	Sequence uint64
	Data     []byte
	Header   Header
	Time     time.Time
}

func storedFromProto(p *natsgwv1.StoredMessage) *StoredMsg {
	return &StoredMsg{Subject: p.GetSubject(), Sequence: p.GetSequence(), Data: p.GetData(), Header: headerFromProto(p.GetHeaders()), Time: fromTS(p.GetTime())}
}

// GetStreamMsg reads the message with sequence seq. ErrNotFound if there
// is none.
func (c *Client) GetStreamMsg(ctx context.Context, stream string, seq uint64) (*StoredMsg, error) {
	r, err := c.streams.GetStreamMessage(ctx, &natsgwv1.GetStreamMessageRequest{Stream: stream, Sequence: seq})
	if err != nil {
		return nil, convertError(err)
	}
	return storedFromProto(r.GetMessage()), nil
}

// GetLastStreamMsg reads the last message on subject. ErrNotFound if
// there is none.
func (c *Client) GetLastStreamMsg(ctx context.Context, stream, subject string) (*StoredMsg, error) {
	r, err := c.streams.GetStreamMessage(ctx, &natsgwv1.GetStreamMessageRequest{Stream: stream, LastBySubject: subject})
	if err != nil {
		return nil, convertError(err)
	}
	return storedFromProto(r.GetMessage()), nil
}

// DeleteStreamMsg removes the message with sequence seq.
func (c *Client) DeleteStreamMsg(ctx context.Context, stream string, seq uint64) error {
	_, err := c.streams.DeleteStreamMessage(ctx, &natsgwv1.DeleteStreamMessageRequest{Stream: stream, Sequence: seq})
	return convertError(err)
}
