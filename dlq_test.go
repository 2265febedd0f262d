package natsgw_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/natsembed"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// waitStreamMsgs waits until stream holds n messages.
func waitStreamMsgs(t *testing.T, c *natsgw.Client, stream string, n uint64) *natsgw.StreamInfo {
	t.Helper()
	var si *natsgw.StreamInfo
	testutil.Poll(t, fmt.Sprintf("%s holds %d messages", stream, n), func() error {
		var err error
		if si, err = c.StreamInfo(testutil.Context(t), stream); err != nil {
			return err
		}
		if si.State.Msgs != n {
			return fmt.Errorf("it holds %d", si.State.Msgs)
		}
		return nil
	})
	return si
}

func TestMaxDeliverGoesToDeadLetters(t *testing.T) {
	t.Parallel()
	for _, retention := range []natsgw.RetentionPolicy{natsgw.LimitsRetention, natsgw.WorkQueueRetention, natsgw.InterestRetention} {
		t.Run(fmt.Sprint(retention), func(t *testing.T) {
			t.Parallel()
			_, c, ctx := jsSetup(t)
			tasksStream(t, c, retention)
			ci := mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "worker-1", AckWait: 200 * time.Millisecond, MaxDeliver: 2, DeadLetter: true})
			testutil.Equal(t, [2]any{ci.Config.DeadLetter, ci.DeadLetterStream}, [2]any{true, "_dlq_TASKS"}, "dead letter config")
			ack, err := c.PublishToStream(ctx, "TASKS", "tasks.email", []byte("poison"), natsgw.WithMsgHeader(natsgw.Header{"Trace": {"t-1"}}))
			testutil.NoErr(t, err, "publish")
			m := pullOne(t, c, "TASKS", "worker-1")
			testutil.Equal(t, m.Deliveries, uint64(1), "first delivery")
			m = pullOne(t, c, "TASKS", "worker-1") // after the ack wait
			testutil.Equal(t, m.Deliveries, uint64(2), "second delivery")
			// No ack: past the second ack wait the message is dead. NATS
			// declares it so when it would deliver it again, that is when a
			// worker pulls: keep pulling (finding nothing) until the dead
			// letter is there.
			testutil.Poll(t, "dead letter copied", func() error {
				pullNone(t, c, "TASKS", "worker-1")
				si, err := c.StreamInfo(ctx, "_dlq_TASKS")
				if err != nil {
					return err
				}
				if si.State.Msgs != 1 {
					return fmt.Errorf("_dlq_TASKS holds %d messages", si.State.Msgs)
				}
				return nil
			})
			dl, err := c.GetStreamMsg(ctx, "_dlq_TASKS", 1)
			testutil.NoErr(t, err, "read dead letter")
			testutil.Equal(t, dl.Subject, "tasks.email", "dead letter subject")
			testutil.Equal(t, string(dl.Data), "poison", "dead letter data")
			for k, want := range map[string]string{
				"Natsgw-Dlq-Stream":     "TASKS",
				"Natsgw-Dlq-Subject":    "tasks.email",
				"Natsgw-Dlq-Sequence":   fmt.Sprint(ack.Sequence),
				"Natsgw-Dlq-Consumer":   "worker-1",
				"Natsgw-Dlq-Deliveries": "2",
				"Natsgw-Dlq-Reason":     "max_deliveries",
				"Trace":                 "t-1",
			} {
				testutil.Equal(t, dl.Header.Get(k), want, "header "+k)
			}
			if _, err := time.Parse(time.RFC3339Nano, dl.Header.Get("Natsgw-Dlq-Time")); err != nil {
				t.Fatalf("Natsgw-Dlq-Time %q: %v", dl.Header.Get("Natsgw-Dlq-Time"), err)
			}
			if retention == natsgw.WorkQueueRetention {
				waitStreamMsgs(t, c, "TASKS", 0) // moved out of the work queue
			}
			// The dead-letter stream is listed, readable through a consumer.
			si, err := c.StreamInfo(ctx, "_dlq_TASKS")
			testutil.NoErr(t, err, "dlq info")
			testutil.Equal(t, si.DeadLetterFor, "TASKS", "dead letter for")
			mustCreateConsumer(t, c, "_dlq_TASKS", natsgw.ConsumerConfig{Name: "inspect", FilterSubjects: []string{"tasks.>"}})
			d := pullOne(t, c, "_dlq_TASKS", "inspect")
			testutil.Equal(t, d.Subject, "tasks.email", "dead letter through a consumer")
			testutil.NoErr(t, d.Ack(ctx), "ack dead letter")
		})
	}
}

func TestTermGoesToDeadLetters(t *testing.T) {
	t.Parallel()
	for _, retention := range []natsgw.RetentionPolicy{natsgw.LimitsRetention, natsgw.WorkQueueRetention} {
		t.Run(fmt.Sprint(retention), func(t *testing.T) {
			t.Parallel()
			_, c, ctx := jsSetup(t)
			tasksStream(t, c, retention)
			mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", DeadLetter: true})
			publishN(t, c, "TASKS", "tasks.a", 2)
			m := pullOne(t, c, "TASKS", "w")
			testutil.NoErr(t, m.TermWithReason(ctx, "cannot parse"), "term (unary)")
			// A term on a Consume stream too.
			got := make(chan *natsgw.StreamMsg, 1)
			cc, err := c.Consume(ctx, "TASKS", "w", func(m *natsgw.StreamMsg) {
				_ = m.Term(ctx)
				got <- m
			})
			testutil.NoErr(t, err, "consume")
			second := testutil.Recv(t, got, "second message")
			testutil.NoErr(t, cc.Stop(ctx), "stop")
			si := waitStreamMsgs(t, c, "_dlq_TASKS", 2)
			_ = si
			for seq, want := range map[uint64][2]string{1: {fmt.Sprint(m.Sequence), "cannot parse"}, 2: {fmt.Sprint(second.Sequence), ""}} {
				dl, err := c.GetStreamMsg(ctx, "_dlq_TASKS", seq)
				testutil.NoErr(t, err, "dead letter")
				testutil.Equal(t, [4]string{dl.Header.Get("Natsgw-Dlq-Sequence"), dl.Header.Get("Natsgw-Dlq-Reason"), dl.Header.Get("Natsgw-Dlq-Term-Reason"), dl.Header.Get("Natsgw-Dlq-Deliveries")},
					[4]string{want[0], "terminated", want[1], "1"}, "dead letter headers")
			}
			// Exactly two, even though the advisories came too.
			waitStreamMsgs(t, c, "_dlq_TASKS", 2)
		})
	}
}

// TestDeadLettersOnceAcrossInstances runs three gateways over one NATS:
// every dead letter is copied exactly once.
func TestDeadLettersOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	first := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	for range 2 {
		natsgwtest.NewServer(t, natsgwtest.WithNATSURL(first.NATSURL()))
	}
	c := first.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", AckWait: 100 * time.Millisecond, MaxDeliver: 1, DeadLetter: true})
	const n = 20
	publishN(t, c, "TASKS", "tasks.a", n)
	msgs, err := c.Pull(ctx, "TASKS", "w", n, natsgw.WithMaxWait(time.Second))
	testutil.NoErr(t, err, "pull")
	testutil.Equal(t, len(msgs), n, "pulled")
	waitStreamMsgs(t, c, "_dlq_TASKS", n)
	// Nothing more trickles in.
	deadline := time.Now().Add(testutil.Never * 3)
	for time.Now().Before(deadline) {
		si, err := c.StreamInfo(ctx, "_dlq_TASKS")
		testutil.NoErr(t, err, "info")
		testutil.Equal(t, si.State.Msgs, uint64(n), "dead letters")
	}
}

// TestDeadLettersKeptWhileNoGatewayRuns: a message that reaches max_deliver
// while no gateway instance runs is dead-lettered by the next one to start:
// the instances keep NATS's advisories in a stream.
func TestDeadLettersKeptWhileNoGatewayRuns(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	// An external NATS open to TCP clients (Insecure): this test is about
	// dead letters, not about listener credentials.
	ns, err := natsembed.New(natsembed.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MaxPayload: 8 << 20, Insecure: true})
	testutil.NoErr(t, err, "nats server")
	testutil.NoErr(t, ns.Start(ctx), "start nats")
	t.Cleanup(ns.Shutdown)

	first := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(ns.ClientURL()))
	c := first.Client(t, natsgw.WithOrg("acme"))
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "worker-1", AckWait: 300 * time.Millisecond, MaxDeliver: 1, DeadLetter: true})
	ack, err := c.PublishToStream(ctx, "TASKS", "tasks.email", []byte("poison"))
	testutil.NoErr(t, err, "publish")
	testutil.Equal(t, pullOne(t, c, "TASKS", "worker-1").Deliveries, uint64(1), "the only delivery")
	first.Stop()

	// Past the ack wait NATS gives the message up and says so; no gateway
	// hears it, the advisory stream keeps it.
	nc, err := nats.Connect(ns.ClientURL())
	testutil.NoErr(t, err, "connect")
	defer nc.Close()
	js, err := jetstream.New(nc)
	testutil.NoErr(t, err, "jetstream")
	kept := func(n uint64) func() error {
		return func() error {
			s, err := js.Stream(ctx, "_natsgw_advisories")
			if err != nil {
				return err
			}
			if got := s.CachedInfo().State.Msgs; got != n {
				return fmt.Errorf("it keeps %d advisories", got)
			}
			return nil
		}
	}
	testutil.Poll(t, "the advisory kept", kept(1))

	second := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(ns.ClientURL()))
	c = second.Client(t, natsgw.WithOrg("acme"))
	waitStreamMsgs(t, c, "_dlq_TASKS", 1)
	dl, err := c.GetStreamMsg(ctx, "_dlq_TASKS", 1)
	testutil.NoErr(t, err, "read the dead letter")
	testutil.Equal(t, [4]string{string(dl.Data), dl.Header.Get("Natsgw-Dlq-Reason"), dl.Header.Get("Natsgw-Dlq-Sequence"), dl.Header.Get("Natsgw-Dlq-Consumer")},
		[4]string{"poison", "max_deliveries", fmt.Sprint(ack.Sequence), "worker-1"}, "dead letter")
	testutil.Poll(t, "the advisory handled", kept(0))
}

// TestRawTermGoesToDeadLetters: a message terminated by a plain NATS client
// (not through the gateway) is dead-lettered from its advisory, with the
// client's reason.
func TestRawTermGoesToDeadLetters(t *testing.T) {
	t.Parallel()
	srv, c, ctx := jsSetup(t, natsgwtest.WithNATSListener())
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", DeadLetter: true})
	ack, err := c.PublishToStream(ctx, "TASKS", "tasks.a", []byte("bad"))
	testutil.NoErr(t, err, "publish")

	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	cons, err := js.Consumer(ctx, "tenant_acme_TASKS", "w")
	testutil.NoErr(t, err, "raw consumer")
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(testutil.Eventually))
	testutil.NoErr(t, err, "fetch")
	var m jetstream.Msg
	for m = range batch.Messages() {
		testutil.NoErr(t, m.TermWithReason("raw reason"), "term")
	}
	if m == nil {
		t.Fatalf("fetch: nothing (%v)", batch.Error())
	}
	waitStreamMsgs(t, c, "_dlq_TASKS", 1)
	dl, err := c.GetStreamMsg(ctx, "_dlq_TASKS", 1)
	testutil.NoErr(t, err, "dead letter")
	testutil.Equal(t, [3]string{dl.Header.Get("Natsgw-Dlq-Sequence"), dl.Header.Get("Natsgw-Dlq-Reason"), dl.Header.Get("Natsgw-Dlq-Term-Reason")},
		[3]string{fmt.Sprint(ack.Sequence), "terminated", "raw reason"}, "dead letter headers")
}
