package natsgw_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// jsSetup starts a gateway and returns a client of org "acme".
func jsSetup(t *testing.T, opts ...natsgwtest.Option) (*natsgwtest.Server, *natsgw.Client, context.Context) {
	t.Helper()
	srv := natsgwtest.NewServer(t, opts...)
	return srv, srv.Client(t, natsgw.WithOrg("acme")), testutil.Context(t)
}

func mustCreateStream(t *testing.T, c *natsgw.Client, cfg natsgw.StreamConfig) *natsgw.StreamInfo {
	t.Helper()
	info, err := c.CreateStream(testutil.Context(t), cfg)
	testutil.NoErr(t, err, "create stream "+cfg.Name)
	return info
}

func mustCreateConsumer(t *testing.T, c *natsgw.Client, stream string, cfg natsgw.ConsumerConfig) *natsgw.ConsumerInfo {
	t.Helper()
	info, err := c.CreateConsumer(testutil.Context(t), stream, cfg)
	testutil.NoErr(t, err, "create consumer "+cfg.Name)
	return info
}

// TestTaskQueueFlow is the brief's Celery-style task queue: stream TASKS on
// tasks.>, three JSON tasks, a worker consumer, pull, ack by sequence.
func TestTaskQueueFlow(t *testing.T) {
	t.Parallel()
	for _, retention := range []natsgw.RetentionPolicy{natsgw.LimitsRetention, natsgw.WorkQueueRetention} {
		t.Run(map[natsgw.RetentionPolicy]string{natsgw.LimitsRetention: "limits", natsgw.WorkQueueRetention: "workqueue"}[retention], func(t *testing.T) {
			t.Parallel()
			_, c, ctx := jsSetup(t)
			info := mustCreateStream(t, c, natsgw.StreamConfig{Name: "TASKS", Subjects: []string{"tasks.>"}, MaxMsgs: 10000, MaxBytes: 100 << 20, Retention: retention})
			testutil.Equal(t, info.Config.Subjects, []string{"tasks.>"}, "subjects")
			testutil.Equal(t, info.Config.MaxMsgs, int64(10000), "max msgs")

			var seqs []uint64
			for _, typ := range []string{"send_email", "process_image", "generate_report"} {
				task, _ := json.Marshal(map[string]any{"task_type": typ, "priority": "normal", "payload": map[string]string{"id": typ}, "retry_count": 3})
				ack, err := c.PublishToStream(ctx, "TASKS", "tasks.processing", task)
				testutil.NoErr(t, err, "publish "+typ)
				testutil.Equal(t, ack.Stream, "TASKS", "ack stream")
				seqs = append(seqs, ack.Sequence)
			}
			testutil.Equal(t, seqs, []uint64{1, 2, 3}, "sequences")

			mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "worker-1", FilterSubjects: []string{"tasks.>"}})
			msgs, err := c.Pull(ctx, "TASKS", "worker-1", 10, natsgw.WithMaxWait(time.Second))
			testutil.NoErr(t, err, "pull")
			testutil.Equal(t, len(msgs), 3, "pulled")
			for i, m := range msgs {
				testutil.Equal(t, m.Sequence, seqs[i], "sequence")
				testutil.Equal(t, m.Deliveries, uint64(1), "delivery count")
				testutil.Equal(t, m.Subject, "tasks.processing", "subject")
				testutil.Equal(t, len(m.Header), 0, "headers (the publisher set none)")
				var task map[string]any
				testutil.NoErr(t, json.Unmarshal(m.Data, &task), "task json")
				testutil.NoErr(t, c.AckSeq(ctx, "TASKS", "worker-1", m.Sequence), "ack_message")
			}
			ci, err := c.ConsumerInfo(ctx, "TASKS", "worker-1")
			testutil.NoErr(t, err, "consumer info")
			testutil.Equal(t, [2]uint64{ci.NumAckPending, ci.NumPending}, [2]uint64{0, 0}, "ack pending, pending")
			testutil.Equal(t, ci.AckFloor.Stream, uint64(3), "ack floor")

			msgs, err = c.Pull(ctx, "TASKS", "worker-1", 10, natsgw.WithNoWait())
			testutil.NoErr(t, err, "second pull")
			testutil.Equal(t, len(msgs), 0, "second pull")

			si, err := c.StreamInfo(ctx, "TASKS")
			testutil.NoErr(t, err, "stream info")
			want := uint64(3)
			if retention == natsgw.WorkQueueRetention {
				want = 0
			}
			testutil.Poll(t, "stream messages after acks", func() error {
				si, err = c.StreamInfo(ctx, "TASKS")
				if err != nil {
					return err
				}
				if si.State.Msgs != want {
					return fmt.Errorf("stream holds %d messages, want %d", si.State.Msgs, want)
				}
				return nil
			})
		})
	}
}

func TestStreamManagement(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	cfg := natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, MaxMsgs: 100000, MaxBytes: 10 << 20, MaxAge: time.Hour, Description: "events"}
	first := mustCreateStream(t, c, cfg)
	again, err := c.CreateStream(ctx, cfg)
	testutil.NoErr(t, err, "create again with the same config")
	testutil.Equal(t, again.Created, first.Created, "same stream")
	_, err = c.CreateStream(ctx, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, MaxMsgs: 5})
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create with another config")
	// The message names each clashing setting (and not the subjects, which agree).
	for _, want := range []string{"config.max_msgs 5 (the stream has 100000)", "config.max_bytes -1 (the stream has 10485760)", "config.max_age 0s (the stream has 1h0m0s)", "config.description"} {
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "config.subjects") {
			t.Fatalf("AlreadyExists %q does not name %q alone", err, want)
		}
	}

	cfg.MaxMsgs = 3
	up, err := c.UpdateStream(ctx, cfg)
	testutil.NoErr(t, err, "update")
	testutil.Equal(t, up.Config.MaxMsgs, int64(3), "updated max msgs")
	_, err = c.UpdateStream(ctx, natsgw.StreamConfig{Name: "NOPE", Subjects: []string{"nope"}})
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "update a missing stream")
	_, err = c.UpdateStream(ctx, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, Storage: natsgw.MemoryStorage})
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "change storage")

	for i, subj := range []string{"events.user.login", "events.user.logout", "events.order.created", "events.user.login"} {
		ack, err := c.PublishToStream(ctx, "EVENTS", subj, []byte(fmt.Sprint(i)), natsgw.WithMsgHeader(natsgw.Header{"n": {fmt.Sprint(i)}}))
		testutil.NoErr(t, err, "publish")
		testutil.Equal(t, ack.Sequence, uint64(i+1), "sequence")
	}
	si, err := c.StreamInfo(ctx, "EVENTS", natsgw.WithSubjectsFilter("events.user.>"))
	testutil.NoErr(t, err, "info")
	testutil.Equal(t, [3]uint64{si.State.Msgs, si.State.FirstSeq, si.State.LastSeq}, [3]uint64{3, 2, 4}, "max msgs 3 kept the newest")
	testutil.Equal(t, si.State.Subjects, map[string]uint64{"events.user.login": 1, "events.user.logout": 1}, "subject counts")

	m, err := c.GetStreamMsg(ctx, "EVENTS", 3)
	testutil.NoErr(t, err, "get by sequence")
	testutil.Equal(t, [3]string{m.Subject, string(m.Data), m.Header.Get("n")}, [3]string{"events.order.created", "2", "2"}, "message 3")
	testutil.Equal(t, m.Header, natsgw.Header{"n": {"2"}}, "headers of message 3: the publisher's only")
	last, err := c.GetLastStreamMsg(ctx, "EVENTS", "events.user.login")
	testutil.NoErr(t, err, "get last by subject")
	testutil.Equal(t, last.Sequence, uint64(4), "last login")
	_, err = c.GetStreamMsg(ctx, "EVENTS", 1)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "message gone by the limit")
	_, err = c.GetLastStreamMsg(ctx, "EVENTS", "events.none")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "no message on a subject")

	testutil.NoErr(t, c.DeleteStreamMsg(ctx, "EVENTS", 3), "delete message")
	testutil.ErrIs(t, c.DeleteStreamMsg(ctx, "EVENTS", 3), natsgw.ErrNotFound, "delete it again")
	testutil.ErrIs(t, c.DeleteStreamMsg(ctx, "EVENTS", 1), natsgw.ErrNotFound, "delete below the first")
	testutil.ErrIs(t, c.DeleteStreamMsg(ctx, "EVENTS", 1000), natsgw.ErrNotFound, "delete past the end")

	n, err := c.PurgeStream(ctx, "EVENTS", natsgw.WithPurgeSubject("events.user.logout"))
	testutil.NoErr(t, err, "purge subject")
	testutil.Equal(t, n, uint64(1), "purged on subject")
	for i := range 3 {
		_, err := c.PublishToStream(ctx, "EVENTS", "events.x", []byte{byte(i)})
		testutil.NoErr(t, err, "publish")
	}
	n, err = c.PurgeStream(ctx, "EVENTS", natsgw.WithPurgeKeep(1))
	testutil.NoErr(t, err, "purge keep")
	testutil.Equal(t, n, uint64(2), "purged keeping 1")
	n, err = c.PurgeStream(ctx, "EVENTS")
	testutil.NoErr(t, err, "purge all")
	testutil.Equal(t, n, uint64(1), "purged all")

	testutil.NoErr(t, c.DeleteStream(ctx, "EVENTS"), "delete")
	testutil.ErrIs(t, c.DeleteStream(ctx, "EVENTS"), natsgw.ErrNotFound, "delete again")
	_, err = c.StreamInfo(ctx, "EVENTS")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info after delete")
	_, err = c.PublishToStream(ctx, "EVENTS", "events.x", nil)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "publish after delete")
}

func TestConsumerManagement(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	cfg := natsgw.ConsumerConfig{Name: "w", FilterSubjects: []string{"tasks.a", "tasks.b.>"}, AckWait: 5 * time.Second, MaxDeliver: 5, MaxAckPending: 50, Description: "worker"}
	ci := mustCreateConsumer(t, c, "TASKS", cfg)
	testutil.Equal(t, ci.Config.FilterSubjects, cfg.FilterSubjects, "filters")
	testutil.Equal(t, [3]any{ci.Config.AckWait, ci.Config.MaxDeliver, ci.Config.MaxAckPending}, [3]any{5 * time.Second, 5, 50}, "limits")
	_, err := c.CreateConsumer(ctx, "TASKS", cfg)
	testutil.NoErr(t, err, "create again with the same config")
	_, err = c.CreateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{Name: "w", MaxDeliver: 2})
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create with another config")
	cfg.MaxDeliver = 7
	up, err := c.UpdateConsumer(ctx, "TASKS", cfg)
	testutil.NoErr(t, err, "update")
	testutil.Equal(t, up.Config.MaxDeliver, 7, "updated")
	_, err = c.UpdateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{Name: "nope"})
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "update a missing consumer")
	_, err = c.UpdateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{Name: "w", DeliverPolicy: natsgw.DeliverNew})
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "change the deliver policy")

	eph, err := c.CreateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{InactiveThreshold: time.Minute})
	testutil.NoErr(t, err, "ephemeral")
	if eph.Name == "" {
		t.Fatal("ephemeral consumer has no name")
	}
	publishN(t, c, "TASKS", "tasks.a", 2)
	bySeq := mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "from2", DeliverPolicy: natsgw.DeliverByStartSequence, OptStartSeq: 2, AckPolicy: natsgw.AckNone})
	testutil.Equal(t, bySeq.Config.AckPolicy, natsgw.AckNone, "ack none")
	m := pullOne(t, c, "TASKS", "from2")
	testutil.Equal(t, m.Sequence, uint64(2), "starts at 2")

	list, err := c.Consumers(ctx, "TASKS")
	testutil.NoErr(t, err, "list")
	var names []string
	for _, ci := range list {
		names = append(names, ci.Name)
	}
	want := []string{eph.Name, "from2", "w"}
	sort.Strings(want)
	testutil.Equal(t, names, want, "consumers")
	testutil.NoErr(t, c.DeleteConsumer(ctx, "TASKS", "w"), "delete")
	testutil.ErrIs(t, c.DeleteConsumer(ctx, "TASKS", "w"), natsgw.ErrNotFound, "delete again")
	_, err = c.ConsumerInfo(ctx, "TASKS", "w")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info after delete")
	_, err = c.Pull(ctx, "TASKS", "w", 1, natsgw.WithNoWait())
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "pull after delete")
}

func TestPerMessageTTL(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	mustCreateStream(t, c, natsgw.StreamConfig{Name: "T", Subjects: []string{"t.>"}, AllowMsgTTL: true})
	_, err := c.PublishToStream(ctx, "T", "t.short", []byte("gone soon"), natsgw.WithTTL(time.Second))
	testutil.NoErr(t, err, "publish with ttl")
	_, err = c.PublishToStream(ctx, "T", "t.long", []byte("stays"))
	testutil.NoErr(t, err, "publish without ttl")
	m, err := c.GetStreamMsg(ctx, "T", 1)
	testutil.NoErr(t, err, "read it before it expires")
	testutil.Equal(t, m.Header.Get("Nats-TTL"), "1s", "ttl header")
	testutil.Poll(t, "message with a TTL expires", func() error {
		_, err := c.GetStreamMsg(ctx, "T", 1)
		if !errors.Is(err, natsgw.ErrNotFound) {
			return fmt.Errorf("still there (%v)", err)
		}
		return nil
	})
	_, err = c.GetStreamMsg(ctx, "T", 2)
	testutil.NoErr(t, err, "the other message stays")
}

// TestPipelinePublish streams messages through a StreamPublisher: every
// message gets its own outcome, in order, and failures do not stop the
// others.
func TestPipelinePublish(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	p, err := c.NewStreamPublisher(ctx, "TASKS", natsgw.WithBatchSize(100, 0))
	testutil.NoErr(t, err, "publisher")
	const n = 1000
	futures := make([]*natsgw.PubAckFuture, 0, n+3)
	for i := range n {
		f, err := p.Publish("tasks.a", []byte(fmt.Sprint(i)), natsgw.WithMsgID(fmt.Sprint("id-", i%(n-10))))
		testutil.NoErr(t, err, "publish")
		futures = append(futures, f)
	}
	bad, err := p.Publish("tasks.*", nil)
	testutil.NoErr(t, err, "queue an invalid message")
	wrongSeq, err := p.Publish("tasks.a", nil, natsgw.WithExpectLastSequence(1))
	testutil.NoErr(t, err, "queue a wrong expectation")
	after, err := p.Publish("tasks.b", []byte("after"))
	testutil.NoErr(t, err, "queue one more")
	testutil.NoErr(t, p.Flush(ctx), "flush")
	for i, f := range futures {
		ack, err := f.Wait(ctx)
		testutil.NoErr(t, err, "future")
		if i < n-10 {
			testutil.Equal(t, [2]any{ack.Sequence, ack.Duplicate}, [2]any{uint64(i + 1), false}, "ack")
		} else {
			testutil.Equal(t, [2]any{ack.Sequence, ack.Duplicate}, [2]any{uint64(i - (n - 10) + 1), true}, "duplicate ack")
		}
	}
	_, err = bad.Wait(ctx)
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "invalid subject")
	_, err = wrongSeq.Wait(ctx)
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "wrong expected sequence")
	ack, err := after.Wait(ctx)
	testutil.NoErr(t, err, "after the failures")
	testutil.Equal(t, ack.Sequence, uint64(n-10+1), "sequence after the failures")
	testutil.NoErr(t, p.Close(ctx), "close")
	_, err = p.Publish("tasks.a", nil)
	testutil.ErrIs(t, err, natsgw.ErrClosed, "publish after close")
	si, err := c.StreamInfo(ctx, "TASKS")
	testutil.NoErr(t, err, "info")
	testutil.Equal(t, si.State.Msgs, uint64(n-10+1), "stored")

	// A publisher on a missing stream fails.
	p, err = c.NewStreamPublisher(ctx, "NOPE")
	testutil.NoErr(t, err, "publisher")
	f, err := p.Publish("x", nil)
	if err == nil {
		_, err = f.Wait(ctx)
	}
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "missing stream")
	testutil.ErrIs(t, p.Close(ctx), natsgw.ErrNotFound, "close after the failure")
}

// TestPublishToStreamNeverLeaks: a unary publish to a stream that does not
// exist, or that does not take the subject, fails at once even when a core
// subscriber of the org listens on the subject, and that subscriber never
// receives the payload (marker ordering: everything goes through the
// gateway's one NATS connection in call order).
func TestPublishToStreamNeverLeaks(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	got, _ := sink(t, c, "orders.>")
	mustCreateStream(t, c, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})

	_, err := c.PublishToStream(ctx, "NOPE", "orders.x", []byte("leak"))
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "missing stream")
	_, err = c.PublishToStream(ctx, "EVENTS", "orders.x", []byte("leak"))
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "subject the stream does not take")

	// A stream that stops taking a subject: the cached subjects go with
	// the update.
	_, err = c.PublishToStream(ctx, "EVENTS", "events.x", []byte("stored"))
	testutil.NoErr(t, err, "publish events.x")
	_, err = c.UpdateStream(ctx, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>", "orders.>"}})
	testutil.NoErr(t, err, "update")
	_, err = c.PublishToStream(ctx, "EVENTS", "orders.y", []byte("stored and seen"))
	testutil.NoErr(t, err, "publish orders.y after the update")
	_, err = c.UpdateStream(ctx, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	testutil.NoErr(t, err, "update back")
	_, err = c.PublishToStream(ctx, "EVENTS", "orders.z", []byte("leak"))
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "subject taken away")
	testutil.NoErr(t, c.DeleteStream(ctx, "EVENTS"), "delete")
	_, err = c.PublishToStream(ctx, "EVENTS", "events.x", []byte("leak"))
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "deleted stream")

	testutil.NoErr(t, c.Publish(ctx, "orders.marker", nil), "marker")
	testutil.Equal(t, testutil.Recv(t, got, "stored message").Subject, "orders.y", "first delivery")
	testutil.Equal(t, testutil.Recv(t, got, "marker").Subject, "orders.marker", "second delivery")
}

// TestStreamPublisherFollowsTheStream: a pipeline checks every frame against
// the stream as it is now: a subject taken away by UpdateStream is refused,
// a deleted stream ends the pipeline with NotFound, and neither message
// reaches the org's core subscribers (marker ordering).
func TestStreamPublisherFollowsTheStream(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	got, _ := sink(t, c, ">")
	mustCreateStream(t, c, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>", "other.>"}})
	p, err := c.NewStreamPublisher(ctx, "EVENTS")
	testutil.NoErr(t, err, "publisher")
	wait := func(subject string) error {
		f, err := p.Publish(subject, []byte("x"))
		if err == nil {
			_, err = f.Wait(ctx)
		}
		return err
	}
	testutil.NoErr(t, wait("events.a"), "publish events.a")
	_, err = c.UpdateStream(ctx, natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"other.>"}})
	testutil.NoErr(t, err, "update")
	testutil.ErrIs(t, wait("events.b"), natsgw.ErrInvalidArgument, "subject taken away")
	testutil.NoErr(t, c.DeleteStream(ctx, "EVENTS"), "delete")
	testutil.ErrIs(t, wait("other.c"), natsgw.ErrNotFound, "deleted stream")

	testutil.NoErr(t, c.Publish(ctx, "marker", nil), "marker")
	testutil.Equal(t, testutil.Recv(t, got, "stored message").Subject, "events.a", "first delivery")
	testutil.Equal(t, testutil.Recv(t, got, "marker").Subject, "marker", "second delivery")
}
