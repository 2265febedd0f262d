package natsgw_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// pullOne pulls exactly one message, waiting up to Eventually.
func pullOne(t *testing.T, c *natsgw.Client, stream, consumer string) *natsgw.StreamMsg {
	t.Helper()
	msgs, err := c.Pull(testutil.Context(t), stream, consumer, 1, natsgw.WithMaxWait(testutil.Eventually-time.Second))
	testutil.NoErr(t, err, "pull")
	if len(msgs) != 1 {
		t.Fatalf("pull: got %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

// pullNone checks that nothing is there to pull right now.
func pullNone(t *testing.T, c *natsgw.Client, stream, consumer string) {
	t.Helper()
	msgs, err := c.Pull(testutil.Context(t), stream, consumer, 10, natsgw.WithNoWait())
	testutil.NoErr(t, err, "pull")
	if len(msgs) != 0 {
		t.Fatalf("pull: got %d messages (first: seq %d, delivery %d), want none", len(msgs), msgs[0].Sequence, msgs[0].Deliveries)
	}
}

// pullNoneBefore checks that nothing is there to pull while deadline has
// not passed. A message pulled once it has passed is a legitimate
// redelivery (the machine was slow to get here) and is returned; nil when
// there was none.
func pullNoneBefore(t *testing.T, c *natsgw.Client, stream, consumer string, deadline time.Time) *natsgw.StreamMsg {
	t.Helper()
	msgs, err := c.Pull(testutil.Context(t), stream, consumer, 10, natsgw.WithNoWait())
	testutil.NoErr(t, err, "pull")
	if len(msgs) == 0 {
		return nil
	}
	if early := time.Until(deadline); early > 0 {
		t.Fatalf("pull: got seq %d, delivery %d, %s before it was due", msgs[0].Sequence, msgs[0].Deliveries, early)
	}
	if len(msgs) != 1 {
		t.Fatalf("pull: got %d messages, want at most 1", len(msgs))
	}
	return msgs[0]
}

func tasksStream(t *testing.T, c *natsgw.Client, retention natsgw.RetentionPolicy) {
	t.Helper()
	mustCreateStream(t, c, natsgw.StreamConfig{Name: "TASKS", Subjects: []string{"tasks.>"}, Retention: retention})
}

func publishN(t *testing.T, c *natsgw.Client, stream, subject string, n int) {
	t.Helper()
	ctx := testutil.Context(t)
	for i := range n {
		_, err := c.PublishToStream(ctx, stream, subject, []byte(fmt.Sprint("task ", i)))
		testutil.NoErr(t, err, "publish")
	}
}

func TestNakWithDelay(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w"})
	publishN(t, c, "TASKS", "tasks.a", 1)
	m := pullOne(t, c, "TASKS", "w")
	const delay = 300 * time.Millisecond
	start := time.Now()
	testutil.NoErr(t, m.NakWithDelay(ctx, delay), "nak")
	again := pullNoneBefore(t, c, "TASKS", "w", start.Add(delay)) // not before the delay
	if again == nil {
		again = pullOne(t, c, "TASKS", "w")
	}
	if waited := time.Since(start); waited < delay {
		t.Fatalf("redelivered after %s, before the %s delay", waited, delay)
	}
	testutil.Equal(t, [2]uint64{again.Sequence, again.Deliveries}, [2]uint64{m.Sequence, 2}, "sequence, delivery count")
	testutil.NoErr(t, again.Ack(ctx), "ack")
	pullNone(t, c, "TASKS", "w")

	// A plain nak redelivers at once.
	publishN(t, c, "TASKS", "tasks.b", 1)
	m = pullOne(t, c, "TASKS", "w")
	testutil.NoErr(t, m.Nak(ctx), "nak")
	again = pullOne(t, c, "TASKS", "w")
	testutil.Equal(t, again.Deliveries, uint64(2), "delivery count")
}

func TestTermStopsRedelivery(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", AckWait: 200 * time.Millisecond})
	publishN(t, c, "TASKS", "tasks.a", 1)
	m := pullOne(t, c, "TASKS", "w")
	testutil.NoErr(t, m.TermWithReason(ctx, "bad input"), "term")
	// Past the ack wait it still does not come back: a pull waiting twice
	// the ack wait gets nothing.
	msgs, err := c.Pull(ctx, "TASKS", "w", 1, natsgw.WithMaxWait(500*time.Millisecond))
	testutil.NoErr(t, err, "pull")
	testutil.Equal(t, len(msgs), 0, "messages after term")
	ci, err := c.ConsumerInfo(ctx, "TASKS", "w")
	testutil.NoErr(t, err, "consumer info")
	testutil.Equal(t, ci.NumAckPending, uint64(0), "ack pending")
}

func TestUnackedComesBackAfterAckWait(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	const ackWait = 300 * time.Millisecond
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", AckWait: ackWait})
	publishN(t, c, "TASKS", "tasks.a", 1)
	start := time.Now()
	m := pullOne(t, c, "TASKS", "w")
	again := pullNoneBefore(t, c, "TASKS", "w", start.Add(ackWait)) // not before the ack wait
	if again == nil {
		again = pullOne(t, c, "TASKS", "w")
	}
	if waited := time.Since(start); waited < ackWait {
		t.Fatalf("redelivered after %s, before the ack wait %s", waited, ackWait)
	}
	testutil.Equal(t, [2]uint64{again.Sequence, again.Deliveries}, [2]uint64{m.Sequence, 2}, "sequence, delivery count")
	// In progress restarts the ack wait; then ack for good.
	testutil.NoErr(t, again.InProgress(ctx), "in progress")
	testutil.NoErr(t, again.Ack(ctx), "ack")
	msgs, err := c.Pull(ctx, "TASKS", "w", 1, natsgw.WithMaxWait(2*ackWait))
	testutil.NoErr(t, err, "pull")
	testutil.Equal(t, len(msgs), 0, "messages after ack")
}

func TestBackoffHonoured(t *testing.T) {
	t.Parallel()
	_, c, _ := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	backoff := []time.Duration{200 * time.Millisecond, 600 * time.Millisecond}
	ci := mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w", BackOff: backoff, MaxDeliver: 3})
	testutil.Equal(t, ci.Config.BackOff, backoff, "backoff")
	publishN(t, c, "TASKS", "tasks.a", 1)
	// A delivery happens while its pull is under way, so the time from the
	// start of one pull to the end of the next bounds the gap between two
	// deliveries from above: it can never be shorter than the backoff.
	last := time.Now()
	m := pullOne(t, c, "TASKS", "w")
	for i, d := range backoff {
		start := time.Now()
		again := pullOne(t, c, "TASKS", "w")
		gap := time.Since(last)
		last = start
		if gap < d {
			t.Fatalf("redelivery %d after %s, before its backoff %s", i+2, gap, d)
		}
		testutil.Equal(t, [2]uint64{again.Sequence, again.Deliveries}, [2]uint64{m.Sequence, uint64(i + 2)}, "sequence, delivery count")
	}
}

func TestDedupAndExpectedSequence(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	a1, err := c.PublishToStream(ctx, "TASKS", "tasks.a", []byte("x"), natsgw.WithMsgID("order-1"))
	testutil.NoErr(t, err, "publish")
	a2, err := c.PublishToStream(ctx, "TASKS", "tasks.a", []byte("x again"), natsgw.WithMsgID("order-1"))
	testutil.NoErr(t, err, "publish duplicate")
	testutil.Equal(t, [2]bool{a1.Duplicate, a2.Duplicate}, [2]bool{false, true}, "duplicate flags")
	testutil.Equal(t, a2.Sequence, a1.Sequence, "duplicate's sequence")
	si, err := c.StreamInfo(ctx, "TASKS")
	testutil.NoErr(t, err, "info")
	testutil.Equal(t, si.State.Msgs, uint64(1), "stored")

	_, err = c.PublishToStream(ctx, "TASKS", "tasks.a", []byte("y"), natsgw.WithExpectLastSequence(5))
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "wrong expected last sequence")
	a3, err := c.PublishToStream(ctx, "TASKS", "tasks.a", []byte("y"), natsgw.WithExpectLastSequence(a1.Sequence))
	testutil.NoErr(t, err, "right expected last sequence")
	_, err = c.PublishToStream(ctx, "TASKS", "tasks.b", []byte("z"), natsgw.WithExpectLastSubjectSequence(a1.Sequence))
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "wrong expected subject sequence")
	_, err = c.PublishToStream(ctx, "TASKS", "tasks.b", []byte("z"), natsgw.WithExpectLastSubjectSequence(0))
	testutil.NoErr(t, err, "first on subject")
	_, err = c.PublishToStream(ctx, "TASKS", "tasks.a", []byte("z"), natsgw.WithExpectLastSubjectSequence(a3.Sequence))
	testutil.NoErr(t, err, "right expected subject sequence")
}

func TestTwoWorkersShareOneConsumer(t *testing.T) {
	t.Parallel()
	srv, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.WorkQueueRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "workers"})
	const n = 300

	var mu sync.Mutex
	seen := map[uint64]string{}
	perWorker := map[string]int{}
	var dups []uint64
	all := make(chan struct{})
	worker := func(name string) natsgw.StreamMsgHandler {
		return func(m *natsgw.StreamMsg) {
			if err := m.AckSync(ctx); err != nil {
				t.Errorf("%s: ack %d: %v", name, m.Sequence, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if _, ok := seen[m.Sequence]; ok {
				dups = append(dups, m.Sequence)
			}
			seen[m.Sequence] = name
			perWorker[name]++
			if len(seen) == n {
				close(all)
			}
		}
	}
	for _, name := range []string{"w1", "w2"} {
		wc := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithUser(name))
		cc, err := wc.Consume(ctx, "TASKS", "workers", worker(name), natsgw.WithHandlers(4), natsgw.WithMaxInFlight(16))
		testutil.NoErr(t, err, "consume "+name)
		t.Cleanup(func() { _ = cc.Stop(testutil.Context(t)) })
	}
	publishN(t, c, "TASKS", "tasks.a", n)
	testutil.Recv(t, all, "every task handled")
	mu.Lock()
	defer mu.Unlock()
	if len(dups) > 0 {
		sort.Slice(dups, func(i, j int) bool { return dups[i] < dups[j] })
		t.Fatalf("tasks handled twice: %v", dups)
	}
	if perWorker["w1"] == 0 || perWorker["w2"] == 0 {
		t.Fatalf("work not shared: %v", perWorker)
	}
	testutil.Poll(t, "work queue empty", func() error {
		si, err := c.StreamInfo(ctx, "TASKS")
		if err != nil {
			return err
		}
		if si.State.Msgs != 0 {
			return fmt.Errorf("%d messages left", si.State.Msgs)
		}
		return nil
	})
}

// TestConsumerDeletedUnderneath: acknowledgements for a consumer that is
// gone are NotFound, and a running Consume ends with NotFound.
func TestConsumerDeletedUnderneath(t *testing.T) {
	t.Parallel()
	_, c, ctx := jsSetup(t)
	tasksStream(t, c, natsgw.LimitsRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "w"})
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "live"})
	publishN(t, c, "TASKS", "tasks.a", 1)
	m := pullOne(t, c, "TASKS", "w")
	got := make(chan *natsgw.StreamMsg, 1)
	cc, err := c.Consume(ctx, "TASKS", "live", func(m *natsgw.StreamMsg) { got <- m })
	testutil.NoErr(t, err, "consume")
	testutil.Recv(t, got, "consumed")

	testutil.NoErr(t, c.DeleteConsumer(ctx, "TASKS", "w"), "delete w")
	testutil.ErrIs(t, m.Ack(ctx), natsgw.ErrNotFound, "ack for a deleted consumer")
	testutil.NoErr(t, c.DeleteConsumer(ctx, "TASKS", "live"), "delete live")
	testutil.Recv(t, cc.Done(), "consume ends")
	testutil.ErrIs(t, cc.Err(), natsgw.ErrNotFound, "consume's error")
}
