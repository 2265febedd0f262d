package natsgw_test

import (
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestConsumerStateSurvivesRestart restarts the gateway (and its embedded
// NATS) over the same data: durable consumers keep their position, ack
// tokens handed out before the restart still work, and a running Consume
// picks up where it was.
func TestConsumerStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	srv, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w"})
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "live"})
	publishN(t, c, "TASKS", "tasks.a", 5)
	msgs, err := c.Pull(ctx, "TASKS", "w", 3, natsgw.WithMaxWait(time.Second))
	testutil.NoErr(t, err, "pull")
	testutil.Equal(t, len(msgs), 3, "pulled")
	testutil.NoErr(t, c.AckMsgs(ctx, msgs[0], msgs[1]), "ack two")

	got := make(chan *natsgw.StreamMsg, 16)
	cc, err := c.Consume(ctx, "TASKS", "live", func(m *natsgw.StreamMsg) {
		if err := m.Ack(ctx); err != nil {
			t.Errorf("ack: %v", err)
		}
		got <- m
	})
	testutil.NoErr(t, err, "consume")
	for i := range 5 {
		testutil.Equal(t, testutil.Recv(t, got, "before restart").Sequence, uint64(i+1), "sequence")
	}

	srv.Restart()

	// The third message's token, from before the restart, acks it now
	// (once the client has reconnected).
	testutil.Poll(t, "ack with a token from before the restart", func() error { return msgs[2].Ack(ctx) })
	ci, err := c.ConsumerInfo(ctx, "TASKS", "w")
	testutil.NoErr(t, err, "consumer info")
	testutil.Equal(t, [3]uint64{ci.AckFloor.Stream, ci.NumAckPending, ci.NumPending}, [3]uint64{3, 0, 2}, "ack floor, ack pending, pending")
	rest, err := c.Pull(ctx, "TASKS", "w", 10, natsgw.WithMaxWait(time.Second))
	testutil.NoErr(t, err, "pull after restart")
	testutil.Equal(t, len(rest), 2, "pulled after restart")
	testutil.Equal(t, [2]uint64{rest[0].Sequence, rest[0].Deliveries}, [2]uint64{4, 1}, "first after restart")

	// The Consume re-established itself and continues with new messages
	// (none of the five acknowledged ones comes back).
	publishN(t, c, "TASKS", "tasks.a", 1)
	testutil.Equal(t, testutil.Recv(t, got, "after restart").Sequence, uint64(6), "sequence after restart")
	testutil.NoErr(t, cc.Stop(ctx), "stop")
}

// TestAckThroughAnotherInstance pulls through one gateway instance and
// acknowledges through another: ack tokens need no gateway state.
func TestAckThroughAnotherInstance(t *testing.T) {
	t.Parallel()
	a := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	b := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(a.NATSURL()))
	ca := a.Client(t, natsgw.WithOrg("acme"))
	cb := b.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	tasksStream(t, ca, natsgw.WorkQueueRetention)
	mustCreateConsumer(t, ca, "TASKS", natsgw.ConsumerConfig{Name: "w"})
	publishN(t, ca, "TASKS", "tasks.a", 2)
	msgs, err := ca.Pull(ctx, "TASKS", "w", 2, natsgw.WithMaxWait(time.Second))
	testutil.NoErr(t, err, "pull through a")
	testutil.Equal(t, len(msgs), 2, "pulled")
	testutil.NoErr(t, cb.AckTokens(ctx, msgs[0].AckToken), "ack through b")
	testutil.NoErr(t, cb.NakTokens(ctx, 0, msgs[1].AckToken), "nak through b")
	again := pullOne(t, cb, "TASKS", "w")
	testutil.Equal(t, [2]uint64{again.Sequence, again.Deliveries}, [2]uint64{msgs[1].Sequence, 2}, "redelivered through b")
	testutil.NoErr(t, again.Ack(ctx), "ack")
	waitStreamMsgs(t, ca, "TASKS", 0)
}
