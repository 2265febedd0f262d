package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Consumer limits.
const (
	maxFilterSubjects = 256
	maxBackoff        = 64
	minAckWait        = 10 * time.Millisecond
	// metaDeadLetter marks, in a consumer's NATS metadata, that its dead
	// letters go to the stream's dead-letter stream. Kept in NATS, so every
	// gateway instance sees it.
	metaDeadLetter = "natsgw.dead_letter"
)

type consumerServer struct {
	natsgwv1.UnimplementedConsumerServiceServer
	g *Gateway
}

// consumerName checks a consumer name in request field field.
func consumerName(field, name string) error {
	if err := tenant.ValidateName(name); err != nil {
		return invalidArgument(field, err)
	}
	return nil
}

// consumerConfigIn validates c (request field field) and builds the NATS
// configuration of a consumer on stream st. An empty name is allowed only
// when creating (an ephemeral consumer).
func consumerConfigIn(st tenant.Stream, field string, c *natsgwv1.ConsumerConfig, create bool) (jetstream.ConsumerConfig, error) {
	out := jetstream.ConsumerConfig{Description: c.GetDescription(), MaxDeliver: -1}
	if name := c.GetName(); name != "" || !create {
		if err := consumerName(field+".name", name); err != nil {
			return out, err
		}
		out.Name, out.Durable = name, name
	}
	if len(out.Description) > maxDescriptionLen {
		return out, invalidArgumentf(field+".description", "must be at most %d bytes", maxDescriptionLen)
	}
	filters := c.GetFilterSubjects()
	if len(filters) > maxFilterSubjects {
		return out, invalidArgumentf(field+".filter_subjects", "at most %d (got %d)", maxFilterSubjects, len(filters))
	}
	for i, f := range filters {
		mapped, err := st.Pattern(f)
		if err != nil {
			return out, invalidArgument(fmt.Sprintf("%s.filter_subjects[%d]", field, i), err)
		}
		out.FilterSubjects = append(out.FilterSubjects, mapped)
	}
	if len(out.FilterSubjects) == 1 {
		out.FilterSubject, out.FilterSubjects = out.FilterSubjects[0], nil
	}
	if err := deliverPolicyIn(field, c, &out); err != nil {
		return out, err
	}
	var err error
	if out.AckPolicy, err = enumIn(field+".ack_policy", c.GetAckPolicy(), ackPolicyIn); err != nil {
		return out, err
	}
	if out.ReplayPolicy, err = enumIn(field+".replay_policy", c.GetReplayPolicy(), replayIn); err != nil {
		return out, err
	}
	if out.AckWait, err = optDuration(field+".ack_wait", c.GetAckWait(), minAckWait); err != nil {
		return out, err
	}
	if out.InactiveThreshold, err = optDuration(field+".inactive_threshold", c.GetInactiveThreshold(), 0); err != nil {
		return out, err
	}
	switch n := c.GetMaxDeliver(); {
	case n < 0:
		return out, invalidArgumentf(field+".max_deliver", "must not be negative (0 means unlimited)")
	case n > 0:
		out.MaxDeliver = int(n)
	}
	if n := c.GetMaxAckPending(); n < 0 {
		return out, invalidArgumentf(field+".max_ack_pending", "must not be negative (0 means 1000)")
	} else {
		out.MaxAckPending = int(n)
	}
	backoff := c.GetBackoff()
	if len(backoff) > maxBackoff {
		return out, invalidArgumentf(field+".backoff", "at most %d values (got %d)", maxBackoff, len(backoff))
	}
	for i, d := range backoff {
		v, err := optDuration(fmt.Sprintf("%s.backoff[%d]", field, i), d, minAckWait)
		if err != nil {
			return out, err
		}
		if v == 0 {
			return out, invalidArgumentf(fmt.Sprintf("%s.backoff[%d]", field, i), "must be at least %s", minAckWait)
		}
		out.BackOff = append(out.BackOff, v)
	}
	if len(backoff) > 0 && (out.MaxDeliver < 0 || out.MaxDeliver <= len(backoff)) {
		return out, invalidArgumentf(field+".max_deliver", "must be greater than the number of backoff values (%d)", len(backoff))
	}
	if c.GetDeadLetter() {
		switch {
		case st.DeadLetterFor() != "":
			return out, invalidArgumentf(field+".dead_letter", "a consumer of a dead-letter stream cannot have dead letters of its own")
		case out.AckPolicy == jetstream.AckNonePolicy:
			return out, invalidArgumentf(field+".dead_letter", "needs an ack policy other than none (nothing is redelivered or terminated without acks)")
		case len(st.Name()) > tenant.MaxDeadLetterOriginLen:
			return out, invalidArgumentf(field+".dead_letter", "the stream's name is longer than %d characters, too long for a dead-letter stream", tenant.MaxDeadLetterOriginLen)
		}
		out.Metadata = map[string]string{metaDeadLetter: "true"}
	}
	if err := priorityIn(field, c, &out); err != nil {
		return out, err
	}
	return out, nil
}

// priorityIn validates a consumer's priority groups (NATS 2.11+).
func priorityIn(field string, c *natsgwv1.ConsumerConfig, out *jetstream.ConsumerConfig) error {
	var err error
	if out.PriorityPolicy, err = enumIn(field+".priority_policy", c.GetPriorityPolicy(), priorityPolicyIn); err != nil {
		return err
	}
	groups := c.GetPriorityGroups()
	switch {
	case out.PriorityPolicy == jetstream.PriorityPolicyNone && len(groups) > 0:
		return invalidArgumentf(field+".priority_groups", "only with a priority_policy")
	case out.PriorityPolicy != jetstream.PriorityPolicyNone && len(groups) == 0:
		return invalidArgumentf(field+".priority_groups", "at least one group is required with a priority_policy")
	case len(groups) > maxPriorityGroups:
		return invalidArgumentf(field+".priority_groups", "at most %d (got %d)", maxPriorityGroups, len(groups))
	}
	for i, g := range groups {
		if err := priorityGroupName(g); err != nil {
			return invalidArgument(fmt.Sprintf("%s.priority_groups[%d]", field, i), err)
		}
	}
	out.PriorityGroups = groups
	if c.PinnedTtl != nil {
		if out.PriorityPolicy != jetstream.PriorityPolicyPinned {
			return invalidArgumentf(field+".pinned_ttl", "only with PRIORITY_POLICY_PINNED_CLIENT")
		}
		if out.PinnedTTL, err = optDuration(field+".pinned_ttl", c.GetPinnedTtl(), minAckWait); err != nil {
			return err
		}
	}
	return nil
}

// maxPriorityGroups bounds a consumer's priority groups.
const maxPriorityGroups = 16

// priorityGroupName checks a priority group name: NATS's rule (at most 16
// of letters, digits, '_', '-', '/', '=').
func priorityGroupName(g string) error {
	if g == "" || len(g) > 16 {
		return fmt.Errorf("must be 1 to 16 characters")
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-/=", c) >= 0) {
			return fmt.Errorf("may contain only letters, digits, '_', '-', '/' and '='")
		}
	}
	return nil
}

// The enums of a consumer's configuration. The UNSPECIFIED value (0) maps
// like the default it stands for.
var (
	deliverIn = map[natsgwv1.DeliverPolicy]jetstream.DeliverPolicy{
		natsgwv1.DeliverPolicy_DELIVER_POLICY_UNSPECIFIED:       jetstream.DeliverAllPolicy,
		natsgwv1.DeliverPolicy_DELIVER_POLICY_ALL:               jetstream.DeliverAllPolicy,
		natsgwv1.DeliverPolicy_DELIVER_POLICY_LAST:              jetstream.DeliverLastPolicy,
		natsgwv1.DeliverPolicy_DELIVER_POLICY_NEW:               jetstream.DeliverNewPolicy,
		natsgwv1.DeliverPolicy_DELIVER_POLICY_BY_START_SEQUENCE: jetstream.DeliverByStartSequencePolicy,
		natsgwv1.DeliverPolicy_DELIVER_POLICY_BY_START_TIME:     jetstream.DeliverByStartTimePolicy,
		natsgwv1.DeliverPolicy_DELIVER_POLICY_LAST_PER_SUBJECT:  jetstream.DeliverLastPerSubjectPolicy,
	}
	ackPolicyIn = map[natsgwv1.AckPolicy]jetstream.AckPolicy{
		natsgwv1.AckPolicy_ACK_POLICY_UNSPECIFIED: jetstream.AckExplicitPolicy,
		natsgwv1.AckPolicy_ACK_POLICY_EXPLICIT:    jetstream.AckExplicitPolicy,
		natsgwv1.AckPolicy_ACK_POLICY_ALL:         jetstream.AckAllPolicy,
		natsgwv1.AckPolicy_ACK_POLICY_NONE:        jetstream.AckNonePolicy,
	}
	priorityPolicyIn = map[natsgwv1.PriorityPolicy]jetstream.PriorityPolicy{
		natsgwv1.PriorityPolicy_PRIORITY_POLICY_UNSPECIFIED:   jetstream.PriorityPolicyNone,
		natsgwv1.PriorityPolicy_PRIORITY_POLICY_OVERFLOW:      jetstream.PriorityPolicyOverflow,
		natsgwv1.PriorityPolicy_PRIORITY_POLICY_PINNED_CLIENT: jetstream.PriorityPolicyPinned,
		natsgwv1.PriorityPolicy_PRIORITY_POLICY_PRIORITIZED:   jetstream.PriorityPolicyPrioritized,
	}
	replayIn = map[natsgwv1.ReplayPolicy]jetstream.ReplayPolicy{
		natsgwv1.ReplayPolicy_REPLAY_POLICY_UNSPECIFIED: jetstream.ReplayInstantPolicy,
		natsgwv1.ReplayPolicy_REPLAY_POLICY_INSTANT:     jetstream.ReplayInstantPolicy,
		natsgwv1.ReplayPolicy_REPLAY_POLICY_ORIGINAL:    jetstream.ReplayOriginalPolicy,
	}
)

func deliverPolicyIn(field string, c *natsgwv1.ConsumerConfig, out *jetstream.ConsumerConfig) error {
	p := c.GetDeliverPolicy()
	var err error
	if out.DeliverPolicy, err = enumIn(field+".deliver_policy", p, deliverIn); err != nil {
		return err
	}
	bySeq := p == natsgwv1.DeliverPolicy_DELIVER_POLICY_BY_START_SEQUENCE
	switch seq := c.GetOptStartSequence(); {
	case bySeq && seq == 0:
		return invalidArgumentf(field+".opt_start_sequence", "is required (from 1) with DELIVER_POLICY_BY_START_SEQUENCE")
	case !bySeq && seq != 0:
		return invalidArgumentf(field+".opt_start_sequence", "is only allowed with DELIVER_POLICY_BY_START_SEQUENCE")
	default:
		out.OptStartSeq = seq
	}
	byTime := p == natsgwv1.DeliverPolicy_DELIVER_POLICY_BY_START_TIME
	switch t := c.GetOptStartTime(); {
	case byTime && t == nil:
		return invalidArgumentf(field+".opt_start_time", "is required with DELIVER_POLICY_BY_START_TIME")
	case !byTime && t != nil:
		return invalidArgumentf(field+".opt_start_time", "is only allowed with DELIVER_POLICY_BY_START_TIME")
	case t != nil:
		if err := t.CheckValid(); err != nil {
			return invalidArgument(field+".opt_start_time", err)
		}
		v := t.AsTime()
		out.OptStartTime = &v
	}
	return nil
}

// deadLetterOn reports whether a consumer configuration has dead letters.
func deadLetterOn(c jetstream.ConsumerConfig) bool { return c.Metadata[metaDeadLetter] == "true" }

// consumerInfoOut converts info of a consumer on stream st for the caller.
func consumerInfoOut(st tenant.Stream, info *jetstream.ConsumerInfo) *natsgwv1.ConsumerInfo {
	c := info.Config
	cfg := &natsgwv1.ConsumerConfig{
		Name:              info.Name,
		Description:       c.Description,
		OptStartSequence:  c.OptStartSeq,
		AckWait:           optDurationpb(c.AckWait),
		MaxDeliver:        int32(max(c.MaxDeliver, 0)),
		MaxAckPending:     int32(max(c.MaxAckPending, 0)),
		InactiveThreshold: optDurationpb(c.InactiveThreshold),
		DeadLetter:        deadLetterOn(c),
		DeliverPolicy:     enumOut(deliverIn, c.DeliverPolicy),
		AckPolicy:         enumOut(ackPolicyIn, c.AckPolicy),
		ReplayPolicy:      enumOut(replayIn, c.ReplayPolicy),
		PriorityPolicy:    enumOut(priorityPolicyIn, c.PriorityPolicy),
		PriorityGroups:    c.PriorityGroups,
		PinnedTtl:         optDurationpb(c.PinnedTTL),
	}
	if c.OptStartTime != nil {
		cfg.OptStartTime = timestamppb.New(*c.OptStartTime)
	}
	filters := c.FilterSubjects
	if c.FilterSubject != "" {
		filters = []string{c.FilterSubject}
	}
	for _, f := range filters {
		if cf, ok := st.ClientSubject(f); ok {
			cfg.FilterSubjects = append(cfg.FilterSubjects, cf)
		}
	}
	for _, d := range c.BackOff {
		cfg.Backoff = append(cfg.Backoff, durationpb.New(d))
	}
	out := &natsgwv1.ConsumerInfo{
		Stream:         st.Name(),
		Name:           info.Name,
		Config:         cfg,
		Created:        optTimestamp(info.Created),
		Delivered:      sequencePairOut(info.Delivered),
		AckFloor:       sequencePairOut(info.AckFloor),
		NumAckPending:  uint64(max(info.NumAckPending, 0)),
		NumRedelivered: uint64(max(info.NumRedelivered, 0)),
		NumWaiting:     uint64(max(info.NumWaiting, 0)),
		NumPending:     info.NumPending,
		Paused:         info.Paused,
	}
	if info.Paused && c.PauseUntil != nil {
		out.PauseUntil = timestamppb.New(*c.PauseUntil)
	}
	if cfg.DeadLetter {
		if name, err := tenant.DeadLetterName(st.Name()); err == nil {
			out.DeadLetterStream = name
		}
	}
	return out
}

func sequencePairOut(s jetstream.SequenceInfo) *natsgwv1.SequencePair {
	p := &natsgwv1.SequencePair{ConsumerSequence: s.Consumer, StreamSequence: s.Stream}
	if s.Last != nil {
		p.LastActive = timestamppb.New(*s.Last)
	}
	return p
}

func (s *consumerServer) CreateConsumer(ctx context.Context, req *natsgwv1.CreateConsumerRequest) (*natsgwv1.CreateConsumerResponse, error) {
	info, err := s.g.putConsumer(ctx, req.GetStream(), req.GetConfig(), true)
	if err != nil {
		return nil, err
	}
	return &natsgwv1.CreateConsumerResponse{Consumer: info}, nil
}

func (s *consumerServer) UpdateConsumer(ctx context.Context, req *natsgwv1.UpdateConsumerRequest) (*natsgwv1.UpdateConsumerResponse, error) {
	info, err := s.g.putConsumer(ctx, req.GetStream(), req.GetConfig(), false)
	if err != nil {
		return nil, err
	}
	return &natsgwv1.UpdateConsumerResponse{Consumer: info}, nil
}

// putConsumer creates or updates a consumer from a caller's configuration,
// making the dead-letter stream first when the consumer needs one.
func (g *Gateway) putConsumer(ctx context.Context, stream string, c *natsgwv1.ConsumerConfig, create bool) (*natsgwv1.ConsumerInfo, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	st, err := g.stream(id.Org, "stream", stream)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, invalidArgumentf("config", "is required")
	}
	cfg, err := consumerConfigIn(st, "config", c, create)
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("consumer %q of stream %q", c.GetName(), stream)
	if deadLetterOn(cfg) {
		if err := g.dlq.ensureStream(ctx, id.Org, st); err != nil {
			return nil, g.natsError(ctx, action, err)
		}
	}
	var cons jetstream.Consumer
	if create {
		cons, err = g.js.CreateConsumer(ctx, st.NATSName(), cfg)
	} else {
		cons, err = g.js.UpdateConsumer(ctx, st.NATSName(), cfg)
	}
	if err != nil {
		return nil, g.natsError(ctx, action, inField("config", err))
	}
	return consumerInfoOut(st, cons.CachedInfo()), nil
}

func (s *consumerServer) DeleteConsumer(ctx context.Context, req *natsgwv1.DeleteConsumerRequest) (*natsgwv1.DeleteConsumerResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	if err := consumerName("name", req.GetName()); err != nil {
		return nil, err
	}
	if err := s.g.js.DeleteConsumer(ctx, st.NATSName(), req.GetName()); err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("delete consumer %q of stream %q", req.GetName(), req.GetStream()), err)
	}
	return &natsgwv1.DeleteConsumerResponse{}, nil
}

func (s *consumerServer) GetConsumer(ctx context.Context, req *natsgwv1.GetConsumerRequest) (*natsgwv1.GetConsumerResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	if err := consumerName("name", req.GetName()); err != nil {
		return nil, err
	}
	info, err := s.g.consumerInfo(ctx, st, req.GetName())
	if err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("consumer %q of stream %q", req.GetName(), req.GetStream()), err)
	}
	return &natsgwv1.GetConsumerResponse{Consumer: consumerInfoOut(st, info)}, nil
}

// consumerInfo fetches a consumer's info in one round trip.
func (g *Gateway) consumerInfo(ctx context.Context, st tenant.Stream, consumer string) (*jetstream.ConsumerInfo, error) {
	var info jetstream.ConsumerInfo
	if err := g.jsAPI(ctx, "CONSUMER.INFO."+st.NATSName()+"."+consumer, nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

func (s *consumerServer) ListConsumers(ctx context.Context, req *natsgwv1.ListConsumersRequest) (*natsgwv1.ListConsumersResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	action := fmt.Sprintf("list consumers of stream %q", req.GetStream())
	str, err := s.g.js.Stream(ctx, st.NATSName())
	if err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	resp := &natsgwv1.ListConsumersResponse{}
	lister := str.ListConsumers(ctx)
	for info := range lister.Info() {
		resp.Consumers = append(resp.Consumers, consumerInfoOut(st, info))
	}
	if err := lister.Err(); err != nil {
		return nil, s.g.natsError(ctx, action, err)
	}
	slices.SortFunc(resp.Consumers, func(a, b *natsgwv1.ConsumerInfo) int { return strings.Compare(a.GetName(), b.GetName()) })
	return resp, nil
}

func (s *consumerServer) PauseConsumer(ctx context.Context, req *natsgwv1.PauseConsumerRequest) (*natsgwv1.PauseConsumerResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	if err := consumerName("consumer", req.GetConsumer()); err != nil {
		return nil, err
	}
	if req.GetPauseUntil() == nil {
		return nil, invalidArgumentf("pause_until", "is required")
	}
	if err := req.GetPauseUntil().CheckValid(); err != nil {
		return nil, invalidArgument("pause_until", err)
	}
	until := req.GetPauseUntil().AsTime()
	if !until.After(time.Now()) {
		return nil, invalidArgumentf("pause_until", "must be in the future")
	}
	resp, err := s.g.js.PauseConsumer(ctx, st.NATSName(), req.GetConsumer(), until)
	if err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("pause consumer %q of stream %q", req.GetConsumer(), req.GetStream()), err)
	}
	return &natsgwv1.PauseConsumerResponse{PauseUntil: timestamppb.New(resp.PauseUntil)}, nil
}

func (s *consumerServer) ResumeConsumer(ctx context.Context, req *natsgwv1.ResumeConsumerRequest) (*natsgwv1.ResumeConsumerResponse, error) {
	_, st, err := s.g.callerStream(ctx, "stream", req.GetStream())
	if err != nil {
		return nil, err
	}
	if err := consumerName("consumer", req.GetConsumer()); err != nil {
		return nil, err
	}
	if _, err := s.g.js.ResumeConsumer(ctx, st.NATSName(), req.GetConsumer()); err != nil {
		return nil, s.g.natsError(ctx, fmt.Sprintf("resume consumer %q of stream %q", req.GetConsumer(), req.GetStream()), err)
	}
	return &natsgwv1.ResumeConsumerResponse{}, nil
}
