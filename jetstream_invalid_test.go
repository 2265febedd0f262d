package natsgw_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
)

// TestJetStreamInvalidArguments: bad requests are InvalidArgument naming
// the field, and none of them hurts the server.
func TestJetStreamInvalidArguments(t *testing.T) {
	t.Parallel()
	srv, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", DeadLetter: true})
	ok := natsgw.StreamConfig{Name: "S", Subjects: []string{"s.>"}}
	with := func(f func(*natsgw.StreamConfig)) natsgw.StreamConfig {
		cfg := ok
		f(&cfg)
		return cfg
	}
	cons := func(f func(*natsgw.ConsumerConfig)) natsgw.ConsumerConfig {
		cfg := natsgw.ConsumerConfig{Name: "c"}
		f(&cfg)
		return cfg
	}
	stream := func(cfg natsgw.StreamConfig) func() error {
		return func() error { _, err := c.CreateStream(ctx, cfg); return err }
	}
	consumer := func(cfg natsgw.ConsumerConfig) func() error {
		return func() error { _, err := c.CreateConsumer(ctx, "TASKS", cfg); return err }
	}
	for _, tc := range []struct {
		name, field string
		call        func() error
	}{
		{"stream without name", "config.name", stream(with(func(s *natsgw.StreamConfig) { s.Name = "" }))},
		{"stream name with a dot", "config.name", stream(with(func(s *natsgw.StreamConfig) { s.Name = "a.b" }))},
		{"reserved stream name", "config.name", stream(with(func(s *natsgw.StreamConfig) { s.Name = "_dlq_TASKS" }))},
		{"stream without subjects", "config.subjects", stream(with(func(s *natsgw.StreamConfig) { s.Subjects = nil }))},
		{"bad subject", "config.subjects[1]", stream(with(func(s *natsgw.StreamConfig) { s.Subjects = []string{"s.>", "a..b"} }))},
		{"reserved subject", "config.subjects[0]", stream(with(func(s *natsgw.StreamConfig) { s.Subjects = []string{"$JS.API.>"} }))},
		{"unknown storage", "config.storage", stream(with(func(s *natsgw.StreamConfig) { s.Storage = 7 }))},
		{"unknown retention", "config.retention", stream(with(func(s *natsgw.StreamConfig) { s.Retention = 7 }))},
		{"unknown discard", "config.discard", stream(with(func(s *natsgw.StreamConfig) { s.Discard = 7 }))},
		{"negative max msgs", "config.max_msgs", stream(with(func(s *natsgw.StreamConfig) { s.MaxMsgs = -1 }))},
		{"negative max age", "config.max_age", stream(with(func(s *natsgw.StreamConfig) { s.MaxAge = -time.Second }))},
		{"too many replicas", "config.replicas", stream(with(func(s *natsgw.StreamConfig) { s.Replicas = 9 }))},
		{"replicas without a cluster", "config", stream(with(func(s *natsgw.StreamConfig) { s.Replicas = 3 }))},
		{"overlapping subjects", "config", stream(with(func(s *natsgw.StreamConfig) { s.Subjects = []string{"tasks.a"} }))},
		{"consumer name with a space", "config.name", consumer(cons(func(c *natsgw.ConsumerConfig) { c.Name = "a b" }))},
		{"unknown deliver policy", "config.deliver_policy", consumer(cons(func(c *natsgw.ConsumerConfig) { c.DeliverPolicy = 9 }))},
		{"unknown ack policy", "config.ack_policy", consumer(cons(func(c *natsgw.ConsumerConfig) { c.AckPolicy = 9 }))},
		{"unknown replay policy", "config.replay_policy", consumer(cons(func(c *natsgw.ConsumerConfig) { c.ReplayPolicy = 9 }))},
		{"start sequence without its policy", "config.opt_start_sequence", consumer(cons(func(c *natsgw.ConsumerConfig) { c.OptStartSeq = 3 }))},
		{"start sequence policy without one", "config.opt_start_sequence", consumer(cons(func(c *natsgw.ConsumerConfig) { c.DeliverPolicy = natsgw.DeliverByStartSequence }))},
		{"start time policy without one", "config.opt_start_time", consumer(cons(func(c *natsgw.ConsumerConfig) { c.DeliverPolicy = natsgw.DeliverByStartTime }))},
		{"tiny ack wait", "config.ack_wait", consumer(cons(func(c *natsgw.ConsumerConfig) { c.AckWait = time.Millisecond }))},
		{"backoff without max deliver", "config.max_deliver", consumer(cons(func(c *natsgw.ConsumerConfig) { c.BackOff = []time.Duration{time.Second} }))},
		{"negative max deliver", "config.max_deliver", consumer(cons(func(c *natsgw.ConsumerConfig) { c.MaxDeliver = -1 }))},
		{"dead letters without acks", "config.dead_letter", consumer(cons(func(c *natsgw.ConsumerConfig) { c.DeadLetter, c.AckPolicy = true, natsgw.AckNone }))},
		{"bad filter", "config.filter_subjects[0]", consumer(cons(func(c *natsgw.ConsumerConfig) { c.FilterSubjects = []string{"tasks..a"} }))},
		{"dead letters of a dead-letter stream", "config.dead_letter", func() error {
			_, err := c.CreateConsumer(ctx, "_dlq_TASKS", natsgw.ConsumerConfig{Name: "d", DeadLetter: true})
			return err
		}},
		{"update of an unnamed consumer", "config.name", func() error { _, err := c.UpdateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{}); return err }},
		{"stream name of a call", "stream", func() error { _, err := c.ConsumerInfo(ctx, "a/b", "w"); return err }},
		{"consumer name of a call", "name", func() error { _, err := c.ConsumerInfo(ctx, "TASKS", "*"); return err }},
		{"pull batch", "batch", func() error { _, err := c.Pull(ctx, "TASKS", "w", 10001); return err }},
		{"pull wait", "max_wait", func() error { _, err := c.Pull(ctx, "TASKS", "w", 1, natsgw.WithMaxWait(time.Hour)); return err }},
		{"pull without consumer", "consumer", func() error { _, err := c.Pull(ctx, "TASKS", "", 1); return err }},
		{"ack without tokens", "ack_tokens", func() error { return c.AckTokens(ctx) }},
		{"ack garbage", "ack_tokens[1]", func() error { return c.AckTokens(ctx, "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1.0", "garbage") }},
		{"nak delay", "delay", func() error { return c.NakTokens(ctx, 48*time.Hour, "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1.0") }},
		{"term reason", "reason", func() error { return c.TermTokens(ctx, "two\nlines", "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1.0") }},
		{"publish wildcard", "message.subject", func() error { _, err := c.PublishToStream(ctx, "TASKS", "tasks.*", nil); return err }},
		{"publish outside the stream", "message.subject", func() error { _, err := c.PublishToStream(ctx, "TASKS", "other.a", nil); return err }},
		{"publish reserved header", "message.headers", func() error {
			_, err := c.PublishToStream(ctx, "TASKS", "tasks.a", nil, natsgw.WithMsgHeader(natsgw.Header{"Nats-Msg-Id": {"x"}}))
			return err
		}},
		{"publish short ttl", "message.ttl", func() error {
			_, err := c.PublishToStream(ctx, "TASKS", "tasks.a", nil, natsgw.WithTTL(10*time.Millisecond))
			return err
		}},
		{"publish msg id with a space", "message.msg_id", func() error {
			_, err := c.PublishToStream(ctx, "TASKS", "tasks.a", nil, natsgw.WithMsgID("a b"))
			return err
		}},
		{"publish to a dead-letter stream", "stream", func() error { _, err := c.PublishToStream(ctx, "_dlq_TASKS", "tasks.a", nil); return err }},
		{"get message without sequence", "sequence", func() error { _, err := c.GetStreamMsg(ctx, "TASKS", 0); return err }},
		{"get last message of a pattern", "last_by_subject", func() error { _, err := c.GetLastStreamMsg(ctx, "TASKS", "tasks.>"); return err }},
		{"purge keep and sequence", "keep", func() error {
			_, err := c.PurgeStream(ctx, "TASKS", natsgw.WithPurgeKeep(1), natsgw.WithPurgeUpTo(2))
			return err
		}},
		{"purge bad subject", "subject", func() error { _, err := c.PurgeStream(ctx, "TASKS", natsgw.WithPurgeSubject("a..b")); return err }},
		{"consume without consumer", "start.consumer", func() error { _, err := c.Consume(ctx, "TASKS", "", func(*natsgw.StreamMsg) {}); return err }},
	} {
		err := tc.call()
		var e *natsgw.Error
		if !errors.Is(err, natsgw.ErrInvalidArgument) || !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("%s: got %v (field %q), want InvalidArgument for field %q", tc.name, err, fieldOf(err), tc.field)
		}
	}

	// A TTL on a stream that does not allow TTLs is a valid request the
	// stream's state refuses.
	_, err := c.PublishToStream(ctx, "TASKS", "tasks.a", nil, natsgw.WithTTL(time.Minute))
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "ttl without the stream allowing it")
	var h *natsgw.Health

	// Requests the SDK never sends: missing messages, hand-made frames.
	conn := rawConn(t, srv)
	streams := natsgwv1.NewStreamServiceClient(conn)
	consumers := natsgwv1.NewConsumerServiceClient(conn)
	actx := asOrg(ctx, "acme")
	for name, call := range map[string]func() error{
		"config": func() error { _, err := streams.CreateStream(actx, &natsgwv1.CreateStreamRequest{}); return err },
		"config ": func() error {
			_, err := consumers.CreateConsumer(actx, &natsgwv1.CreateConsumerRequest{Stream: "TASKS"})
			return err
		},
		"message": func() error {
			_, err := streams.PublishToStream(actx, &natsgwv1.PublishToStreamRequest{Stream: "TASKS"})
			return err
		},
		"max_wait": func() error {
			_, err := consumers.Pull(actx, &natsgwv1.PullRequest{Stream: "TASKS", Consumer: "w", MaxWait: &durationpb.Duration{Seconds: 1, Nanos: -1}})
			return err
		},
		"start": func() error { return consumeFrames(actx, consumers, &natsgwv1.ConsumeRequest{Credit: 1}) },
		"start.max_in_flight": func() error {
			return consumeFrames(actx, consumers, &natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: "TASKS", Consumer: "w", MaxInFlight: 20000}})
		},
		"acks[0].kind": func() error {
			return consumeFrames(actx, consumers, &natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: "TASKS", Consumer: "w"}},
				&natsgwv1.ConsumeRequest{Acks: []*natsgwv1.AckOperation{{AckToken: "$JS.ACK.tenant_acme_TASKS.w.1.1.1.1.0"}}})
		},
		"acks[0].ack_token": func() error {
			return consumeFrames(actx, consumers, &natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: "TASKS", Consumer: "w"}},
				&natsgwv1.ConsumeRequest{Acks: []*natsgwv1.AckOperation{{AckToken: "x", Kind: natsgwv1.AckKind_ACK_KIND_ACK}}})
		},
		"stream": func() error {
			s, err := streams.PipelinePublish(actx)
			if err != nil {
				return err
			}
			if err := s.Send(&natsgwv1.PipelinePublishRequest{}); err != nil {
				return err
			}
			_, err = s.Recv()
			return err
		},
	} {
		err := call()
		if status.Code(err) != codes.InvalidArgument || !strings.HasPrefix(status.Convert(err).Message(), strings.TrimSpace(name)+":") {
			t.Errorf("raw %q: got %v, want InvalidArgument naming the field", name, err)
		}
	}
	h, err = c.Health(ctx)
	testutil.NoErr(t, err, "health after it all")
	testutil.Equal(t, h.Healthy, true, "healthy")
}

func fieldOf(err error) string {
	var e *natsgw.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// consumeFrames sends frames on a Consume stream and returns the status it
// ends with.
func consumeFrames(ctx context.Context, cons natsgwv1.ConsumerServiceClient, frames ...*natsgwv1.ConsumeRequest) error {
	s, err := cons.Consume(ctx)
	if err != nil {
		return err
	}
	for _, f := range frames {
		if err := s.Send(f); err != nil {
			break
		}
	}
	for {
		if _, err := s.Recv(); err != nil {
			return err
		}
	}
}
