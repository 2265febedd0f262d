package gateway_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// JetStream's native features through StreamService and ConsumerService:
// message schedules, counters, atomic batches, consumer pause and priority
// groups.

type nativeEnv struct {
	sc natsgwv1.StreamServiceClient
	cc natsgwv1.ConsumerServiceClient
}

func newNativeEnv(t *testing.T) nativeEnv {
	t.Helper()
	srv := natsgwtest.NewServer(t)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "grpc client")
	t.Cleanup(func() { conn.Close() })
	return nativeEnv{sc: natsgwv1.NewStreamServiceClient(conn), cc: natsgwv1.NewConsumerServiceClient(conn)}
}

func asOrg(t *testing.T, org string) context.Context {
	return metadata.AppendToOutgoingContext(testutil.Context(t), "x-natsgw-org", org)
}

func (e nativeEnv) stream(t *testing.T, ctx context.Context, cfg *natsgwv1.StreamConfig) {
	t.Helper()
	_, err := e.sc.CreateStream(ctx, &natsgwv1.CreateStreamRequest{Config: cfg})
	testutil.NoErr(t, err, "create stream")
}

func (e nativeEnv) consumer(t *testing.T, ctx context.Context, stream string, cfg *natsgwv1.ConsumerConfig) {
	t.Helper()
	_, err := e.cc.CreateConsumer(ctx, &natsgwv1.CreateConsumerRequest{Stream: stream, Config: cfg})
	testutil.NoErr(t, err, "create consumer")
}

func wantStatus(t *testing.T, err error, code codes.Code, what string) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

func TestMessageSchedule(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t)
	ctx := asOrg(t, "acme")
	e.stream(t, ctx, &natsgwv1.StreamConfig{Name: "S", Subjects: []string{"s.>"}, AllowMsgSchedules: true})
	e.consumer(t, ctx, "S", &natsgwv1.ConsumerConfig{Name: "out", FilterSubjects: []string{"s.out"}})
	due := time.Now().Add(300 * time.Millisecond)
	_, err := e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "S", Message: &natsgwv1.StreamPublish{
		Subject: "s.sched", Data: []byte("later"),
		Schedule: &natsgwv1.MessageSchedule{Pattern: "@at " + due.UTC().Format(time.RFC3339Nano), TargetSubject: "s.out"},
	}})
	testutil.NoErr(t, err, "publish a schedule")
	resp, err := e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "S", Consumer: "out", MaxWait: durationpb.New(5 * time.Second)})
	testutil.NoErr(t, err, "pull")
	if len(resp.GetMessages()) != 1 || string(resp.GetMessages()[0].GetData()) != "later" || resp.GetMessages()[0].GetSubject() != "s.out" {
		t.Fatalf("got %v", resp.GetMessages())
	}
	if time.Now().Before(due) {
		t.Fatal("delivered before it was due")
	}
	// The target maps into the caller's stream like any subject.
	_, err = e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "S", Message: &natsgwv1.StreamPublish{
		Subject: "s.sched2", Schedule: &natsgwv1.MessageSchedule{Pattern: "@every 1s", TargetSubject: "$JS.API.STREAM.LIST"},
	}})
	wantInvalid(t, err, "message.schedule.target_subject")
	_, err = e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "S", Message: &natsgwv1.StreamPublish{
		Subject: "s.sched2", Schedule: &natsgwv1.MessageSchedule{Pattern: "@every 1s", TargetSubject: "s.sched2"},
	}})
	wantInvalid(t, err, "message.schedule.target_subject")
}

func TestCounter(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t)
	ctx := asOrg(t, "acme")
	e.stream(t, ctx, &natsgwv1.StreamConfig{Name: "C", Subjects: []string{"hits.>"}, AllowMsgCounter: true})
	for _, tc := range []struct {
		inc  int64
		want string
	}{{5, "5"}, {-2, "3"}, {0, "3"}} {
		inc := tc.inc
		resp, err := e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "C", Message: &natsgwv1.StreamPublish{Subject: "hits.home", Increment: &inc}})
		testutil.NoErr(t, err, "increment")
		testutil.Equal(t, resp.GetCounterValue(), tc.want, "counter")
	}
	inc := int64(1)
	_, err := e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "C", Message: &natsgwv1.StreamPublish{Subject: "hits.home", Increment: &inc, Data: []byte("x")}})
	wantInvalid(t, err, "message.data")
}

func TestAtomicBatch(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t)
	ctx := asOrg(t, "acme")
	e.stream(t, ctx, &natsgwv1.StreamConfig{Name: "B", Subjects: []string{"b.>"}, AllowAtomicPublish: true})
	msg := func(subj string) *natsgwv1.StreamPublish {
		return &natsgwv1.StreamPublish{Subject: subj, Data: []byte(subj)}
	}
	resp, err := e.sc.PublishAtomicBatch(ctx, &natsgwv1.PublishAtomicBatchRequest{Stream: "B", Messages: []*natsgwv1.StreamPublish{msg("b.1"), msg("b.2"), msg("b.3")}})
	testutil.NoErr(t, err, "batch")
	testutil.Equal(t, [2]uint64{resp.GetLastSequence(), uint64(resp.GetCount())}, [2]uint64{3, 3}, "last sequence, count")
	// One message NATS refuses (a failed expectation): none is stored.
	bad := msg("b.2")
	seq := uint64(99)
	bad.ExpectedLastSubjectSequence = &seq
	_, err = e.sc.PublishAtomicBatch(ctx, &natsgwv1.PublishAtomicBatchRequest{Stream: "B", Messages: []*natsgwv1.StreamPublish{msg("b.4"), bad, msg("b.5")}})
	if err == nil {
		t.Fatal("a batch with a failing message was stored")
	}
	// One invalid message: the same.
	_, err = e.sc.PublishAtomicBatch(ctx, &natsgwv1.PublishAtomicBatchRequest{Stream: "B", Messages: []*natsgwv1.StreamPublish{msg("b.4"), msg("x.1")}})
	wantInvalid(t, err, "messages[1].subject")
	info, err := e.sc.GetStream(ctx, &natsgwv1.GetStreamRequest{Name: "B"})
	testutil.NoErr(t, err, "stream info")
	testutil.Equal(t, info.GetStream().GetState().GetMessages(), uint64(3), "messages stored")
	// Another organization reaches only its own streams.
	_, err = e.sc.PublishAtomicBatch(asOrg(t, "acme-2"), &natsgwv1.PublishAtomicBatchRequest{Stream: "B", Messages: []*natsgwv1.StreamPublish{msg("b.9")}})
	wantStatus(t, err, codes.NotFound, "another organization's batch")
}

func TestConsumerPause(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t)
	ctx := asOrg(t, "acme")
	e.stream(t, ctx, &natsgwv1.StreamConfig{Name: "P", Subjects: []string{"p.>"}})
	e.consumer(t, ctx, "P", &natsgwv1.ConsumerConfig{Name: "c"})
	until := time.Now().Add(time.Hour)
	_, err := e.cc.PauseConsumer(ctx, &natsgwv1.PauseConsumerRequest{Stream: "P", Consumer: "c", PauseUntil: timestamppb.New(until)})
	testutil.NoErr(t, err, "pause")
	info, err := e.cc.GetConsumer(ctx, &natsgwv1.GetConsumerRequest{Stream: "P", Name: "c"})
	testutil.NoErr(t, err, "consumer info")
	testutil.Equal(t, info.GetConsumer().GetPaused(), true, "paused")
	_, err = e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "P", Message: &natsgwv1.StreamPublish{Subject: "p.1", Data: []byte("x")}})
	testutil.NoErr(t, err, "publish")
	resp, err := e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "P", Consumer: "c", MaxWait: durationpb.New(testutil.Never)})
	testutil.NoErr(t, err, "pull while paused")
	testutil.Equal(t, len(resp.GetMessages()), 0, "messages while paused")
	// Another organization cannot resume (or pause) it.
	_, err = e.cc.ResumeConsumer(asOrg(t, "acme-2"), &natsgwv1.ResumeConsumerRequest{Stream: "P", Consumer: "c"})
	wantStatus(t, err, codes.NotFound, "another organization's resume")
	_, err = e.cc.PauseConsumer(asOrg(t, "acme-2"), &natsgwv1.PauseConsumerRequest{Stream: "P", Consumer: "c", PauseUntil: timestamppb.New(until)})
	wantStatus(t, err, codes.NotFound, "another organization's pause")
	_, err = e.cc.ResumeConsumer(ctx, &natsgwv1.ResumeConsumerRequest{Stream: "P", Consumer: "c"})
	testutil.NoErr(t, err, "resume")
	resp, err = e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "P", Consumer: "c", MaxWait: durationpb.New(5 * time.Second)})
	testutil.NoErr(t, err, "pull after resume")
	testutil.Equal(t, len(resp.GetMessages()), 1, "messages after resume")
	_, err = e.cc.PauseConsumer(ctx, &natsgwv1.PauseConsumerRequest{Stream: "P", Consumer: "c", PauseUntil: timestamppb.New(time.Now().Add(-time.Second))})
	wantInvalid(t, err, "pause_until")
}

func TestPriorityGroups(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t)
	ctx := asOrg(t, "acme")
	e.stream(t, ctx, &natsgwv1.StreamConfig{Name: "G", Subjects: []string{"g.>"}})
	e.consumer(t, ctx, "G", &natsgwv1.ConsumerConfig{Name: "c", PriorityPolicy: natsgwv1.PriorityPolicy_PRIORITY_POLICY_PINNED_CLIENT, PriorityGroups: []string{"jobs"}, PinnedTtl: durationpb.New(5 * time.Second)})
	info, err := e.cc.GetConsumer(ctx, &natsgwv1.GetConsumerRequest{Stream: "G", Name: "c"})
	testutil.NoErr(t, err, "consumer info")
	cfg := info.GetConsumer().GetConfig()
	testutil.Equal(t, [2]any{cfg.GetPriorityPolicy(), cfg.GetPriorityGroups()}, [2]any{natsgwv1.PriorityPolicy_PRIORITY_POLICY_PINNED_CLIENT, []string{"jobs"}}, "priority config")
	for i := range 2 {
		_, err := e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "G", Message: &natsgwv1.StreamPublish{Subject: "g.1", Data: []byte{byte('0' + i)}}})
		testutil.NoErr(t, err, "publish")
	}
	resp, err := e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "G", Consumer: "c", MaxWait: durationpb.New(5 * time.Second), Priority: &natsgwv1.PriorityRequest{Group: "jobs"}})
	testutil.NoErr(t, err, "pull in the group")
	if len(resp.GetMessages()) != 1 {
		t.Fatalf("got %d messages", len(resp.GetMessages()))
	}
	pin := resp.GetMessages()[0].GetHeaders()["Nats-Pin-Id"].GetValues()
	if len(pin) != 1 {
		t.Fatalf("no pin id in %v", resp.GetMessages()[0].GetHeaders())
	}
	// The pinned reader goes on with its pin; a reader without it gets nothing.
	other, err := e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "G", Consumer: "c", MaxWait: durationpb.New(testutil.Never), Priority: &natsgwv1.PriorityRequest{Group: "jobs"}})
	if err == nil && len(other.GetMessages()) > 0 {
		t.Fatalf("an unpinned reader got %v", other.GetMessages())
	}
	resp, err = e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "G", Consumer: "c", MaxWait: durationpb.New(5 * time.Second), Priority: &natsgwv1.PriorityRequest{Group: "jobs", PinId: pin[0]}})
	testutil.NoErr(t, err, "pull with the pin")
	testutil.Equal(t, len(resp.GetMessages()), 1, "pinned reader's second message")
	_, err = e.cc.Pull(ctx, &natsgwv1.PullRequest{Stream: "G", Consumer: "c", Priority: &natsgwv1.PriorityRequest{Group: "a b"}})
	wantInvalid(t, err, "priority.group")
	_, err = e.cc.CreateConsumer(ctx, &natsgwv1.CreateConsumerRequest{Stream: "G", Config: &natsgwv1.ConsumerConfig{Name: "d", PriorityPolicy: natsgwv1.PriorityPolicy_PRIORITY_POLICY_OVERFLOW}})
	wantInvalid(t, err, "config.priority_groups")
}

// A Consume stream on a pinned-client consumer keeps the pin NATS gives it
// (one message in flight, so every message comes on a new pull request that
// must carry the pin): it gets every message, a second stream in the group
// gets none.
func TestConsumePinned(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t)
	ctx := asOrg(t, "acme")
	e.stream(t, ctx, &natsgwv1.StreamConfig{Name: "PIN", Subjects: []string{"pin.>"}})
	e.consumer(t, ctx, "PIN", &natsgwv1.ConsumerConfig{Name: "c", PriorityPolicy: natsgwv1.PriorityPolicy_PRIORITY_POLICY_PINNED_CLIENT, PriorityGroups: []string{"g"}})
	open := func() (natsgwv1.ConsumerService_ConsumeClient, <-chan *natsgwv1.ConsumedMessage) {
		s, err := e.cc.Consume(ctx)
		testutil.NoErr(t, err, "consume")
		testutil.NoErr(t, s.Send(&natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: "PIN", Consumer: "c", MaxInFlight: 1, Priority: &natsgwv1.PriorityRequest{Group: "g"}}}), "start")
		first, err := s.Recv()
		testutil.NoErr(t, err, "ready")
		if first.GetReady() == nil {
			t.Fatalf("first frame %v", first)
		}
		ch := make(chan *natsgwv1.ConsumedMessage, 100)
		go func() {
			defer close(ch)
			for {
				r, err := s.Recv()
				if err != nil {
					return
				}
				for _, m := range r.GetMessages() {
					ch <- m
				}
			}
		}()
		return s, ch
	}
	first, got1 := open()
	publish := func(i int) {
		_, err := e.sc.PublishToStream(ctx, &natsgwv1.PublishToStreamRequest{Stream: "PIN", Message: &natsgwv1.StreamPublish{Subject: "pin.x", Data: []byte{byte('0' + i)}}})
		testutil.NoErr(t, err, "publish")
	}
	publish(0)
	m := testutil.Recv(t, got1, "first message on the pinned stream")
	testutil.NoErr(t, first.Send(&natsgwv1.ConsumeRequest{Acks: []*natsgwv1.AckOperation{{AckToken: m.GetAckToken(), Kind: natsgwv1.AckKind_ACK_KIND_ACK}}, Credit: 1}), "ack")
	second, got2 := open()
	for i := 1; i <= 3; i++ {
		publish(i)
		m := testutil.Recv(t, got1, "a later message on the pinned stream")
		testutil.NoErr(t, first.Send(&natsgwv1.ConsumeRequest{Acks: []*natsgwv1.AckOperation{{AckToken: m.GetAckToken(), Kind: natsgwv1.AckKind_ACK_KIND_ACK}}, Credit: 1}), "ack")
	}
	testutil.NoRecv(t, got2, "a message on the unpinned stream")
	_ = first.CloseSend()
	_ = second.CloseSend()
}
