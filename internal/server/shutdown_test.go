package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/server"
	"github.com/natsgw/natsgw/internal/testutil"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs a server whose graceful shutdown may take a minute, so a stream
// that holds it up shows as the "graceful stop timed out" fallback.
func start(t *testing.T) (*server.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.ShutdownTimeout = config.Duration(time.Minute)
	srv, err := server.New(cfg, server.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	testutil.NoErr(t, err, "new")
	testutil.NoErr(t, srv.Start(testutil.Context(t)), "start")
	return srv, logs
}

// TestShutdownWithOpenStreams: shutdown ends every kind of open stream and
// waiting call at once instead of waiting for clients, and clients learn
// that the gateway went away.
func TestShutdownWithOpenStreams(t *testing.T) {
	t.Parallel()
	srv, logs := start(t)
	ctx := testutil.Context(t)
	events := make(chan natsgw.Event, 8)
	c, err := natsgw.Dial(ctx, srv.Addr().String(), natsgw.WithOrg("acme"), natsgw.WithEventHandler(func(e natsgw.Event) { events <- e }))
	testutil.NoErr(t, err, "dial")
	defer c.Close()

	_, err = c.Subscribe(ctx, "events.>", func(*natsgw.Msg) {})
	testutil.NoErr(t, err, "subscribe")
	_, err = c.Handle(ctx, "api.echo", func(m *natsgw.Msg) { _ = m.Respond(ctx, m.Data) })
	testutil.NoErr(t, err, "handle")
	p, err := c.NewPublisher(ctx)
	testutil.NoErr(t, err, "publisher")
	testutil.NoErr(t, p.Publish("events.x", nil), "publish")
	testutil.NoErr(t, p.Flush(ctx), "flush")
	// A request waiting for a reply nobody sends.
	heard := make(chan struct{}, 1)
	_, err = c.Subscribe(ctx, "api.silent", func(*natsgw.Msg) { heard <- struct{}{} })
	testutil.NoErr(t, err, "subscribe")
	requested := make(chan error, 1)
	go func() {
		_, err := c.Request(context.Background(), "api.silent", nil)
		requested <- err
	}()
	testutil.Recv(t, heard, "request in flight")

	stopped := make(chan error, 1)
	go func() { stopped <- srv.Shutdown(context.Background()) }()
	testutil.NoErr(t, testutil.Recv(t, stopped, "shutdown"), "shutdown")
	if strings.Contains(logs.String(), "graceful stop timed out") {
		t.Errorf("shutdown waited for open streams until its timeout:\n%s", logs)
	}
	testutil.ErrIs(t, testutil.Recv(t, requested, "request"), natsgw.ErrUnavailable, "request in flight at shutdown")
	testutil.ErrIs(t, p.Flush(ctx), natsgw.ErrUnavailable, "publisher after shutdown")
	testutil.Equal(t, p.Published(), uint64(1), "published")
	for range 3 {
		if e := testutil.Recv(t, events, "subscription event"); e.Kind != natsgw.SubscriptionLost {
			t.Errorf("event %v, want SubscriptionLost", e)
		}
	}
}

// TestClientGoneIsNotAnError: a client ending its streams (here by closing)
// is the normal end of a subscription: the calls end Canceled and are not
// logged as failures.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	srv, logs := start(t)
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	ctx := testutil.Context(t)
	c, err := natsgw.Dial(ctx, srv.Addr().String(), natsgw.WithOrg("acme"))
	testutil.NoErr(t, err, "dial")
	_, err = c.Subscribe(ctx, "events.>", func(*natsgw.Msg) {})
	testutil.NoErr(t, err, "subscribe")
	_, err = c.Handle(ctx, "api.echo", func(*natsgw.Msg) {})
	testutil.NoErr(t, err, "handle")
	p, err := c.NewPublisher(ctx)
	testutil.NoErr(t, err, "publisher")
	testutil.NoErr(t, p.Flush(ctx), "flush")
	testutil.NoErr(t, c.Close(), "close")

	var calls []string
	testutil.Poll(t, "the three streams logged as ended", func() error {
		calls = calls[:0]
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "msg=call") && (strings.Contains(line, "/Subscribe") || strings.Contains(line, "/Serve") || strings.Contains(line, "/PublishStream")) {
				calls = append(calls, line)
			}
		}
		if len(calls) < 3 {
			return fmt.Errorf("%d of 3 logged", len(calls))
		}
		return nil
	})
	for _, line := range calls {
		if !strings.Contains(line, "code=Canceled") || !strings.Contains(line, "level=DEBUG") {
			t.Errorf("stream ended by the client logged as %q", line)
		}
	}
}

// TestOpsServeFailureIsReported: when the ops HTTP server stops serving on
// its own (its listener failed), Done reports it and the log says so,
// instead of /metrics and /healthz vanishing silently.
func TestOpsServeFailureIsReported(t *testing.T) {
	logs := &syncBuffer{}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.OpsListen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	srv, err := server.New(cfg, server.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	testutil.NoErr(t, err, "new")
	testutil.NoErr(t, srv.Start(testutil.Context(t)), "start")
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })

	testutil.NoErr(t, server.CloseOpsListener(srv), "close the ops listener")
	err = testutil.Recv(t, srv.Done(), "Done after the ops server failed")
	if err == nil || !strings.Contains(err.Error(), "ops HTTP server on "+srv.OpsAddr().String()) {
		t.Fatalf("Done yielded %v, want the ops server's failure naming its address", err)
	}
	if !strings.Contains(logs.String(), "ops HTTP server failed") {
		t.Fatalf("the log does not report the failure:\n%s", logs)
	}
}
