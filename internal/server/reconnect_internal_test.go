package server

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/natsembed"
	"github.com/natsgw/natsgw/internal/testutil"
)

// inProcessRecovery bounds how long the gateway may take to get its
// in-process NATS connection back after the server closed it. nats.go's
// default (2 s between attempts on a one-server pool) never makes it; the
// gateway's in-process delay does with room to spare on a busy machine.
const inProcessRecovery = 1500 * time.Millisecond

// TestInProcessReconnect: when the embedded server closes the gateway's
// in-process connection (as it does with a connection it deems stale or
// slow, which a paused host can provoke), the gateway reconnects within
// seconds, says so naming the real transport, and serves again.
func TestInProcessReconnect(t *testing.T) {
	t.Parallel()
	logs := &testutil.Buffer{}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	srv, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	testutil.NoErr(t, err, "new")
	ctx := testutil.Context(t)
	testutil.NoErr(t, srv.Start(ctx), "start")
	t.Cleanup(func() { _ = srv.Shutdown(ctx) })
	c, err := natsgw.Dial(ctx, srv.Addr().String(), natsgw.WithOrg("acme"))
	testutil.NoErr(t, err, "dial")
	defer c.Close()

	for round := range 2 { // the second disconnect must recover as fast
		n, err := srv.embedded.DisconnectClients("natsgw")
		testutil.NoErr(t, err, "disconnect the gateway's connection")
		testutil.Equal(t, n, 1, "connections closed")
		kicked := time.Now()
		for strings.Count(logs.String(), "NATS reconnected") < round+1 {
			if time.Since(kicked) > inProcessRecovery {
				t.Fatalf("round %d: not reconnected within %s; logs:\n%s", round, inProcessRecovery, logs)
			}
			time.Sleep(5 * time.Millisecond) // polling a log, bounded above
		}
		t.Logf("round %d: reconnected after %s", round, time.Since(kicked))
	}
	out := logs.String()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "NATS reconnected") && (!strings.Contains(line, "transport=in-process") || strings.Contains(line, "4222")) {
			t.Errorf("reconnect log line %q: want transport=in-process and no URL", line)
		}
	}

	// Serving again: a request through the gateway gets its reply.
	_, err = c.Handle(ctx, "api.ping", func(m *natsgw.Msg) { _ = m.Respond(ctx, []byte("pong")) })
	testutil.NoErr(t, err, "responder after reconnect")
	r, err := c.Request(ctx, "api.ping", nil)
	testutil.NoErr(t, err, "request after reconnect")
	testutil.Equal(t, string(r.Data), "pong", "reply")
}

// TestExternalReconnectLogged: with an external NATS, the logs name its URL,
// and a failed reconnect attempt is a warning (the first of an outage; the
// retries after it are debug detail), so an outage is visible while it
// lasts, not only when it ends.
func TestExternalReconnectLogged(t *testing.T) {
	t.Parallel()
	ext, err := natsembed.New(natsembed.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Insecure: true, MaxPayload: 1 << 20})
	testutil.NoErr(t, err, "external NATS")
	ctx := testutil.Context(t)
	testutil.NoErr(t, ext.Start(ctx), "start external NATS")
	url := ext.ClientURL()

	logs := &testutil.Buffer{}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = ""
	cfg.NATSURL = url
	cfg.ShutdownTimeout = config.Duration(time.Second)
	srv, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	testutil.NoErr(t, err, "new")
	testutil.NoErr(t, srv.Start(ctx), "start")
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })

	ext.Shutdown()
	out := logs.WaitFor(t, "NATS reconnect failed")
	for _, want := range []string{
		`level=WARN msg="NATS disconnected" url=` + url,
		`level=WARN msg="NATS reconnect failed" url=` + url + ` attempts=1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
}
