package natsgw_test

import (
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestPauseConsumer: a paused consumer delivers nothing while messages wait;
// after ResumeConsumer the waiting message arrives. Another organization
// cannot pause or resume it.
func TestPauseConsumer(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	tasksStream(t, c, natsgw.WorkQueueRetention)
	mustCreateConsumer(t, c, "TASKS", natsgw.ConsumerConfig{Name: "worker-1"})

	until, err := c.PauseConsumer(ctx, "TASKS", "worker-1", time.Now().Add(time.Hour))
	testutil.NoErr(t, err, "pause")
	testutil.Equal(t, until.After(time.Now().Add(59*time.Minute)), true, "pause end reported")
	ci, err := c.ConsumerInfo(ctx, "TASKS", "worker-1")
	testutil.NoErr(t, err, "info")
	testutil.Equal(t, ci.Paused, true, "paused")
	_, err = c.PublishToStream(ctx, "TASKS", "tasks.email", []byte("hello"))
	testutil.NoErr(t, err, "publish")
	msgs, err := c.Pull(ctx, "TASKS", "worker-1", 1, natsgw.WithMaxWait(testutil.Never))
	testutil.NoErr(t, err, "pull while paused")
	testutil.Equal(t, len(msgs), 0, "deliveries while paused")

	other := srv.Client(t, natsgw.WithOrg("other"))
	_, err = other.PauseConsumer(ctx, "TASKS", "worker-1", time.Now().Add(time.Hour))
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "another org pauses")
	testutil.ErrIs(t, other.ResumeConsumer(ctx, "TASKS", "worker-1"), natsgw.ErrNotFound, "another org resumes")
	ci, err = c.ConsumerInfo(ctx, "TASKS", "worker-1")
	testutil.NoErr(t, err, "info")
	testutil.Equal(t, ci.Paused, true, "still paused after the other org tried")

	testutil.NoErr(t, c.ResumeConsumer(ctx, "TASKS", "worker-1"), "resume")
	msgs, err = c.Pull(ctx, "TASKS", "worker-1", 1)
	testutil.NoErr(t, err, "pull after resume")
	testutil.Equal(t, len(msgs), 1, "the waiting message")
	testutil.Equal(t, string(msgs[0].Data), "hello", "its data")
	_, err = c.PauseConsumer(ctx, "TASKS", "worker-1", time.Now().Add(-time.Minute))
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "a pause that ended already")
}
