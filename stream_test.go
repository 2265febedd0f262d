package natsgw_test

import (
	"context"
	"encoding/json"
	"fmt"
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
				var task map[string]any
				testutil.NoErr(t, json.Unmarshal(m.Data, &task), "task json")
				testutil.NoErr(t, c.AckMessage(ctx, "TASKS", "worker-1", m.Sequence), "ack_message")
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
