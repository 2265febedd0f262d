package natsgw_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// Handlers' returns decide outcomes: nil succeeds, Fail kills at once, any
// other error retries after the backoff until dead; Stop drains gracefully.
func TestTaskWorker(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	q := c.Tasks("jobs")
	ok, err := q.Enqueue(ctx, "ok", []byte("x"))
	testutil.NoErr(t, err, "enqueue ok")
	bad, err := q.Enqueue(ctx, "bad", nil)
	testutil.NoErr(t, err, "enqueue bad")
	flaky, err := q.Enqueue(ctx, "flaky", nil, natsgw.WithMaxRetries(1), natsgw.WithBackoff(10*time.Millisecond, 2, time.Second))
	testutil.NoErr(t, err, "enqueue flaky")
	started := make(chan struct{})
	release := make(chan struct{})
	slow, err := q.Enqueue(ctx, "slow", nil)
	testutil.NoErr(t, err, "enqueue slow")
	w, err := q.Work(ctx, map[string]natsgw.TaskHandler{
		"ok": func(_ context.Context, t *natsgw.Task) ([]byte, error) {
			return append([]byte("did "), t.Payload...), nil
		},
		"bad": func(context.Context, *natsgw.Task) ([]byte, error) {
			return nil, natsgw.Fail(errors.New("no such user"))
		},
		"flaky": func(context.Context, *natsgw.Task) ([]byte, error) { return nil, errors.New("timeout talking to smtp") },
		"slow": func(context.Context, *natsgw.Task) ([]byte, error) {
			close(started)
			<-release
			return []byte("slow done"), nil
		},
	}, 4)
	testutil.NoErr(t, err, "work")
	for _, c := range []struct {
		id     string
		state  natsgw.TaskState
		result string
		err    string
	}{
		{ok, natsgw.TaskSucceeded, "did x", ""},
		{bad, natsgw.TaskDead, "", "no such user"},
		{flaky, natsgw.TaskDead, "", "timeout talking to smtp"},
	} {
		got, err := q.Result(ctx, c.id)
		testutil.NoErr(t, err, "result")
		testutil.Equal(t, [3]any{got.State, string(got.Result), got.Error}, [3]any{c.state, c.result, c.err}, "outcome of "+c.id)
	}
	st, err := q.Stats(ctx)
	testutil.NoErr(t, err, "stats")
	testutil.Equal(t, [2]int{st.Succeeded, st.Dead}, [2]int{1, 2}, "succeeded, dead")
	dead, err := q.List(ctx, natsgw.TaskDead, 0)
	testutil.NoErr(t, err, "list dead")
	testutil.Equal(t, len(dead), 2, "dead listed")

	// Stop waits for the running handler and its outcome.
	testutil.Recv(t, started, "slow task started")
	stopped := make(chan error, 1)
	go func() { stopped <- w.Stop(ctx) }()
	testutil.NoRecv(t, stopped, "Stop while a handler runs")
	close(release)
	testutil.NoErr(t, testutil.Recv(t, stopped, "Stop"), "stop")
	got, err := q.Task(ctx, slow)
	testutil.NoErr(t, err, "slow task")
	testutil.Equal(t, [2]any{got.State, string(got.Result)}, [2]any{natsgw.TaskSucceeded, "slow done"}, "slow task after Stop")
	queues, err := c.TaskQueues(ctx)
	testutil.NoErr(t, err, "task queues")
	testutil.Equal(t, queues, []string{"jobs"}, "queues")
}
