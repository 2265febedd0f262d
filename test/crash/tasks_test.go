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
			const tasks = 3000
			gw := serve(t, "--listen", "127.0.0.1:0", "--data", t.TempDir())
			c := dial(t, gw.addr)
			ctx := within(t, 2*time.Minute)
			_, err := c.CreateStream(ctx, natsgw.StreamConfig{Name: "TASKS", Subjects: []string{"tasks.>"}, Retention: tc.retention})
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
			gw.kill9(t)
			killed := time.Now()
			stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = cc.Stop(stopCtx) // the stream is broken; Stop only ends the SDK's side
			cancel()
			confirmedBefore := before.snapshot()

			// After the restart: drain the rest.
			gw = gw.restart(t)
			c = dial(t, gw.addr)
			after := newTally()
			done := make(chan struct{})
			cc, err = c.Consume(ctx, "TASKS", "worker", func(m *natsgw.StreamMsg) {
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
			}, natsgw.WithMaxInFlight(64))
			testutil.NoErr(t, err, "consume after the restart")
			select {
			case <-done:
			case <-time.After(30 * time.Second):
			}
			testutil.NoErr(t, cc.Stop(ctx), "stop consuming")

			confirmedAfter := after.snapshot()
			var lost, again, late []uint64
			var oldest time.Duration // the earliest confirmation that came back, before the kill
			for seq := uint64(1); seq <= tasks; seq++ {
				_, b := confirmedBefore[seq]
				_, a := confirmedAfter[seq]
				if !a && !b {
					lost = append(lost, seq)
				}
			}
			for _, seq := range after.deliveredSeqs() {
				if at, ok := confirmedBefore[seq]; ok {
					again = append(again, seq)
					oldest = max(oldest, killed.Sub(at))
					if killed.Sub(at) > limitsAckWindow {
						late = append(late, seq)
					}
				}
			}
			t.Logf("%s: %d tasks, %d confirmed before kill -9, %d after the restart; lost %d; delivered again after a confirmed ack %d (the earliest confirmed %s before the kill; %d more than %s before)",
				tc.name, tasks, len(confirmedBefore), len(confirmedAfter), len(lost), len(again), oldest.Round(time.Millisecond), len(late), limitsAckWindow)
			if len(lost) > 0 {
				t.Errorf("lost tasks (never confirmed): %v", head(lost))
			}
			switch tc.retention {
			case natsgw.WorkQueueRetention:
				if len(again) > 0 {
					t.Errorf("tasks delivered again after a confirmed ack: %v", head(again))
				}
				info, err := c.StreamInfo(ctx, "TASKS")
				testutil.NoErr(t, err, "stream info")
				testutil.Equal(t, info.State.Msgs, uint64(0), "tasks left in the work queue")
			default:
				if len(late) > 0 {
					t.Errorf("tasks delivered again although their ack was confirmed more than %s before the crash: %v", limitsAckWindow, head(late))
				}
			}
		})
	}
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
