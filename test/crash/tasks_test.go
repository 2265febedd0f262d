package crash

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// limitsAckWindow bounds how long before a crash a confirmed ack on a
// limits-retention stream may have been confirmed and still come back:
// nats-server writes consumer state at most every 100 ms after a change
// (docs/ARCHITECTURE.md, Durability); the rest is room for a shared,
// loaded machine.
const limitsAckWindow = 2 * time.Second

// TestKillDuringConsumeAck: a task queue is drained by Consume with
// confirmed acks (AckSync) while the gateway is killed with SIGKILL; after a
// restart on the same data the rest is drained. No task may be lost; on a
// work-queue stream no task whose ack was confirmed may come back; on a
// limits-retention stream only tasks whose ack was confirmed within
// limitsAckWindow of the kill may.
func TestKillDuringConsumeAck(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		name      string
		retention natsgw.RetentionPolicy
	}{
		{"workqueue", natsgw.WorkQueueRetention},
		{"limits", natsgw.LimitsRetention},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := serve(t, "--listen", "127.0.0.1:0", "--data", t.TempDir())
			c := dial(t, gw.addr)
			r := consumeAcrossCrash(t, c, tc.retention, 1, func() *natsgw.Client {
				gw.kill9(t)
				gw = gw.restart(t)
				return dial(t, gw.addr)
			})
			t.Logf("%s: %s", tc.name, r)
			if len(r.lost) > 0 {
				t.Errorf("lost tasks (never confirmed): %v", head(r.lost))
			}
			switch tc.retention {
			case natsgw.WorkQueueRetention:
				if len(r.again) > 0 {
					t.Errorf("tasks delivered again after a confirmed ack: %v", head(r.again))
				}
			default:
				if len(r.late) > 0 {
					t.Errorf("tasks delivered again although their ack was confirmed more than %s before the crash: %v", limitsAckWindow, head(r.late))
				}
			}
		})
	}
}

// crashCounts is what a crash during Consume + AckSync did.
type crashCounts struct {
	tasks, before, after int
	lost                 []uint64      // never confirmed
	again                []uint64      // delivered after the crash although confirmed before it
	late                 []uint64      // of again, confirmed more than limitsAckWindow before the crash
	oldest               time.Duration // of again, the earliest confirmation before the crash
}

func (r crashCounts) String() string {
	return fmt.Sprintf("%d tasks, %d confirmed before kill -9, %d after the restart; lost %d; delivered again after a confirmed ack %d (the earliest confirmed %s before the kill; %d more than %s before)",
		r.tasks, r.before, r.after, len(r.lost), len(r.again), r.oldest.Round(time.Millisecond), len(r.late), limitsAckWindow)
}

// consumeAcrossCrash makes the task queue TASKS (retention, replicas) with
// the consumer "worker" through c, stores 3000 tasks, and drains them with
// Consume and AckSync. Once half are confirmed it calls crash, which kills
// and restarts the gateway(s) and returns a client of a restarted one, and
// drains the rest through it (for at most 30 s). On a work queue it also
// checks that no task is left in the stream.
func consumeAcrossCrash(t *testing.T, c *natsgw.Client, retention natsgw.RetentionPolicy, replicas int, crash func() *natsgw.Client) crashCounts {
	t.Helper()
	const tasks = 3000
	ctx := within(t, 2*time.Minute)
	_, err := c.CreateStream(ctx, natsgw.StreamConfig{Name: "TASKS", Subjects: []string{"tasks.>"}, Retention: retention, Replicas: replicas})
	testutil.NoErr(t, err, "create stream")
	_, err = c.CreateConsumer(ctx, "TASKS", natsgw.ConsumerConfig{Name: "worker", AckWait: 2 * time.Second})
	testutil.NoErr(t, err, "create consumer")
	publishAll(t, c, "TASKS", "tasks.run", tasks)

	// Before the crash.
	before := newTally()
	killNow := make(chan struct{})
	cc, err := c.Consume(ctx, "TASKS", "worker", func(m *natsgw.StreamMsg) {
		before.delivered(m.Sequence)
		if m.AckSync(ctx) == nil && before.confirmed(m.Sequence) == tasks/2 {
			close(killNow)
		}
	}, natsgw.WithMaxInFlight(64))
	testutil.NoErr(t, err, "consume")
	select {
	case <-killNow:
	case <-ctx.Done():
		t.Fatalf("only %d tasks confirmed before the deadline", before.count())
	}
	c = crash()
	// The kill happened before crash returned; confirmations after it
	// cannot exist, so the end of the confirmations is the kill's time.
	confirmedBefore := before.snapshot()
	var killed time.Time
	for _, at := range confirmedBefore {
		if at.After(killed) {
			killed = at
		}
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = cc.Stop(stopCtx) // the stream is broken; Stop only ends the SDK's side
	cancel()

	// After the restart: drain the rest. A restarted cluster elects the
	// stream's and the consumer's leaders first: retry opening until then.
	after := newTally()
	done := make(chan struct{})
	handler := func(m *natsgw.StreamMsg) {
		after.delivered(m.Sequence)
		if m.AckSync(ctx) == nil {
			after.confirmed(m.Sequence)
			if after.coversWith(confirmedBefore, tasks) {
				select {
				case <-done:
				default:
					close(done)
				}
			}
		}
	}
	testutil.PollWithin(t, "consume after the restart", time.Minute, func() error {
		cc, err = c.Consume(within(t, 10*time.Second), "TASKS", "worker", handler, natsgw.WithMaxInFlight(64))
		return err
	})
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
	testutil.NoErr(t, cc.Stop(ctx), "stop consuming")

	confirmedAfter := after.snapshot()
	r := crashCounts{tasks: tasks, before: len(confirmedBefore), after: len(confirmedAfter)}
	for seq := uint64(1); seq <= tasks; seq++ {
		_, b := confirmedBefore[seq]
		_, a := confirmedAfter[seq]
		if !a && !b {
			r.lost = append(r.lost, seq)
		}
	}
	for _, seq := range after.deliveredSeqs() {
		if at, ok := confirmedBefore[seq]; ok {
			r.again = append(r.again, seq)
			r.oldest = max(r.oldest, killed.Sub(at))
			if killed.Sub(at) > limitsAckWindow {
				r.late = append(r.late, seq)
			}
		}
	}
	if retention == natsgw.WorkQueueRetention {
		info, err := c.StreamInfo(ctx, "TASKS")
		testutil.NoErr(t, err, "stream info")
		testutil.Equal(t, info.State.Msgs, uint64(0), "tasks left in the work queue")
	}
	return r
}

// publishAll stores n messages (payload = index) through a StreamPublisher
// and waits for every acknowledgement.
func publishAll(t *testing.T, c *natsgw.Client, stream, subject string, n int) {
	t.Helper()
	ctx := within(t, time.Minute)
	p, err := c.NewStreamPublisher(ctx, stream)
	testutil.NoErr(t, err, "stream publisher")
	futs := make([]*natsgw.PubAckFuture, n)
	for i := range futs {
		futs[i], err = p.Publish(subject, []byte(fmt.Sprint(i)))
		testutil.NoErr(t, err, "publish")
	}
	for _, f := range futs {
		_, err := f.Wait(ctx)
		testutil.NoErr(t, err, "publish ack")
	}
	testutil.NoErr(t, p.Close(ctx), "close publisher")
}

// tally records deliveries and confirmed acks by stream sequence.
type tally struct {
	mu   sync.Mutex
	dels map[uint64]int
	acks map[uint64]time.Time
}

func newTally() *tally {
	return &tally{dels: map[uint64]int{}, acks: map[uint64]time.Time{}}
}

func (t *tally) delivered(seq uint64) {
	t.mu.Lock()
	t.dels[seq]++
	t.mu.Unlock()
}

// confirmed records a confirmed ack and returns how many there are.
func (t *tally) confirmed(seq uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.acks[seq]; !ok {
		t.acks[seq] = time.Now()
	}
	return len(t.acks)
}

func (t *tally) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.acks)
}

// coversWith reports whether the confirmed acks, together with earlier,
// cover sequences 1..n.
func (t *tally) coversWith(earlier map[uint64]time.Time, n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for seq := uint64(1); seq <= uint64(n); seq++ {
		if _, ok := t.acks[seq]; ok {
			continue
		}
		if _, ok := earlier[seq]; !ok {
			return false
		}
	}
	return true
}

func (t *tally) snapshot() map[uint64]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.acks)
}

func (t *tally) deliveredSeqs() []uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.dels))
}

// head is the start of a long list, for error messages.
func head(seqs []uint64) []uint64 { return seqs[:min(len(seqs), 20)] }
