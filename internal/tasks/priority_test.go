package tasks_test

import (
	"fmt"
	"testing"
	"time"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
)

// With tasks of every priority waiting, a worker gets all HIGH ones first,
// then NORMAL, then LOW.
func TestPriorities(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	prios := []natsgwv1.TaskPriority{
		natsgwv1.TaskPriority_TASK_PRIORITY_LOW,
		natsgwv1.TaskPriority_TASK_PRIORITY_UNSPECIFIED, // NORMAL
		natsgwv1.TaskPriority_TASK_PRIORITY_HIGH,
	}
	for i := 0; i < 9; i++ {
		enqueue(t, ctx, e.tc, "mixed", &natsgwv1.TaskSpec{TaskType: "t", Priority: prios[i%3]})
	}
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "mixed"})
	var got []natsgwv1.TaskPriority
	for range 9 {
		task := w.next()
		got = append(got, task.GetPriority())
		w.succeed(task.GetId(), nil)
	}
	h, n, l := natsgwv1.TaskPriority_TASK_PRIORITY_HIGH, natsgwv1.TaskPriority_TASK_PRIORITY_NORMAL, natsgwv1.TaskPriority_TASK_PRIORITY_LOW
	testutil.Equal(t, got, []natsgwv1.TaskPriority{h, h, h, n, n, n, l, l, l}, "order served")
}

// A rate limit holds across all workers: 5 tasks/s over two workers means
// 15 tasks take more than two windows; another type is not limited.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	enqueue(t, ctx, e.tc, "api", &natsgwv1.TaskSpec{TaskType: "free"}) // creates the queue
	_, err := e.tc.SetRateLimit(ctx, &natsgwv1.SetRateLimitRequest{Queue: "api", TaskType: "call", PerSecond: 5})
	testutil.NoErr(t, err, "set rate limit")
	testutil.Equal(t, stats(t, ctx, e.tc, "api").GetRateLimits(), map[string]float64{"call": 5}, "rate limits")
	for range 15 {
		enqueue(t, ctx, e.tc, "api", &natsgwv1.TaskSpec{TaskType: "call"})
	}
	arrivals := make(chan time.Time, 32)
	for range 2 {
		w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "api", MaxInFlight: 20})
		go func() {
			for task := range w.tasks {
				if task.GetTaskType() == "call" {
					arrivals <- time.Now()
				}
				_ = w.stream.Send(&natsgwv1.WorkRequest{Outcomes: []*natsgwv1.TaskOutcome{{TaskId: task.GetId(), Outcome: &natsgwv1.TaskOutcome_Success{Success: &natsgwv1.TaskSuccess{}}}}})
			}
		}()
	}
	var times []time.Time
	for range 15 {
		times = append(times, testutil.Recv(t, arrivals, "a rate-limited task"))
	}
	// At most 5 start per one-second window, so 15 span three windows.
	if span := times[14].Sub(times[0]); span < time.Second {
		t.Fatalf("15 tasks at 5/s started within %s", span)
	}
	// Per window of one second (counted from the first start plus slack
	// for delivery), never more than 5 plus the boundary's.
	for i := range times {
		n := 0
		for _, at := range times[i:] {
			if at.Sub(times[i]) < 900*time.Millisecond {
				n++
			}
		}
		if n > 10 {
			t.Fatalf("%d tasks started within 0.9s of start %d", n, i)
		}
	}
	testutil.Poll(t, "all done", func() error {
		if st := stats(t, ctx, e.tc, "api"); st.GetSucceeded() != 16 {
			return fmt.Errorf("stats %v", st)
		}
		return nil
	})
}

// A paused queue hands out nothing until resumed; enqueueing goes on.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := orgCtx(t, "acme")
	w := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "p"})
	_, err := e.tc.PauseQueue(ctx, &natsgwv1.PauseQueueRequest{Queue: "p"})
	testutil.NoErr(t, err, "pause")
	testutil.Equal(t, stats(t, ctx, e.tc, "p").GetPaused(), true, "paused")
	id := enqueue(t, ctx, e.tc, "p", &natsgwv1.TaskSpec{TaskType: "t"})
	// A worker that starts while the queue is paused is paused too.
	w2 := startWorker(t, ctx, e.tc, &natsgwv1.WorkStart{Queue: "p"})
	testutil.NoRecv(t, w.tasks, "a task of a paused queue")
	testutil.NoRecv(t, w2.tasks, "a task of a paused queue (worker started while paused)")
	_, err = e.tc.ResumeQueue(ctx, &natsgwv1.ResumeQueueRequest{Queue: "p"})
	testutil.NoErr(t, err, "resume")
	testutil.Equal(t, stats(t, ctx, e.tc, "p").GetPaused(), false, "paused after resume")
	select {
	case task := <-w.tasks:
		testutil.Equal(t, task.GetId(), id, "task after resume")
	case task := <-w2.tasks:
		testutil.Equal(t, task.GetId(), id, "task after resume")
	case <-time.After(testutil.Eventually):
		t.Fatal("no task after resume")
	}
}
