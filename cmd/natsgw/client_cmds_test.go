package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// cli runs natsgw commands against one gateway.
type cli struct {
	tb   testing.TB
	addr string
}

func newCLI(tb testing.TB) (*cli, *natsgwtest.Server) {
	srv := natsgwtest.NewServer(tb)
	return &cli{tb: tb, addr: srv.Addr()}, srv
}

// run runs a command to its end, with stdin.
func (c *cli) run(stdin string, args ...string) (stdout, stderr string, err error) {
	c.tb.Helper()
	var out, errOut bytes.Buffer
	err = Run(testutil.Context(c.tb), append([]string{"--server", c.addr}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.tb.Helper()
	out, errOut, err := c.run("", args...)
	if err != nil {
		c.tb.Fatalf("natsgw %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// proc is a command running in the background (sub, reply).
type proc struct {
	stdout, stderr *testutil.Buffer
	done           chan error
}

// start runs a command in the background and waits until its stderr says
// ready. It is stopped (as by Ctrl-C) when the test ends.
func (c *cli) start(ready string, args ...string) *proc {
	c.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{stdout: new(testutil.Buffer), stderr: new(testutil.Buffer), done: make(chan error, 1)}
	go func() {
		p.done <- Run(ctx, append([]string{"--server", c.addr}, args...), strings.NewReader(""), p.stdout, p.stderr)
	}()
	c.tb.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(testutil.Eventually):
			c.tb.Errorf("natsgw %s did not stop", strings.Join(args, " "))
		}
	})
	select {
	case err := <-p.done:
		c.tb.Fatalf("natsgw %s ended before it was ready: %v\nstderr: %s", strings.Join(args, " "), err, p.stderr)
	default:
	}
	p.stderr.WaitFor(c.tb, ready)
	return p
}

// wait waits for the command to end by itself and returns its error.
func (p *proc) wait(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(testutil.Eventually):
		tb.Fatalf("command did not end within %s; stdout:\n%s\nstderr:\n%s", testutil.Eventually, p.stdout, p.stderr)
		return nil
	}
}

func TestPubSub(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	sub := c.start(`Subscribed to "events.user.*"`, "sub", "events.user.*", "--count", "3")
	c.ok("pub", "events.user.login", "hi")
	c.ok("pub", "events.system.startup", "not for this subscriber")
	c.ok("pub", "events.user.logout", "bye\n") // no extra blank line
	_, _, err := c.run("from stdin", "pub", "events.user.signup")
	testutil.NoErr(t, err, "pub from stdin")
	testutil.NoErr(t, sub.wait(t), "sub --count 3")
	testutil.Equal(t, sub.stdout.String(), "events.user.login hi\nevents.user.logout bye\nevents.user.signup from stdin\n", "sub output")
	testutil.Equal(t, sub.stderr.String(), "Subscribed to \"events.user.*\"\n", "sub stderr")
}

func TestPubPrintsNothing(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	out, errOut, err := c.run("", "pub", "events.x", "hi")
	testutil.NoErr(t, err, "pub")
	testutil.Equal(t, out+errOut, "", "pub output")
}

func TestSubJSON(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	sub := c.start("Subscribed", "sub", "orders.>", "--json", "--count", "3")
	c.ok("pub", "orders.payment.completed", "-H", "source:web", "-H", "tag: a", "-H", "tag:b:c", `{"id":1}`)
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	_, _, err := c.run(string(binary), "pub", "orders.binary")
	testutil.NoErr(t, err, "pub binary from stdin")
	c.ok("pub", "orders.empty", "")
	testutil.NoErr(t, sub.wait(t), "sub")

	var got []map[string]any
	dec := json.NewDecoder(strings.NewReader(sub.stdout.String()))
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode %q: %v", sub.stdout, err)
		}
		got = append(got, m)
	}
	testutil.Equal(t, got, []map[string]any{
		{"subject": "orders.payment.completed", "data": `{"id":1}`, "headers": map[string]any{"source": []any{"web"}, "tag": []any{"a", "b:c"}}},
		{"subject": "orders.binary", "data_base64": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==", "headers": map[string]any{}},
		{"subject": "orders.empty", "data": "", "headers": map[string]any{}},
	}, "messages")
}

func TestPubCountAndReplyTo(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	const n = 2500 // several batches
	sub := c.start("Subscribed", "sub", "bulk", "--count", "2500")
	c.ok("pub", "bulk", "m", "--count", "2500")
	testutil.NoErr(t, sub.wait(t), "sub")
	testutil.Equal(t, sub.stdout.String(), strings.Repeat("bulk m\n", n), "messages")

	sub = c.start("Subscribed", "sub", "with.reply", "--json", "--count", "1")
	c.ok("pub", "with.reply", "x", "--reply-to", "answers.here")
	testutil.NoErr(t, sub.wait(t), "sub")
	var m struct{ Reply string }
	testutil.NoErr(t, json.Unmarshal([]byte(sub.stdout.String()), &m), "decode")
	if m.Reply == "" {
		t.Fatalf("no reply token in %s", sub.stdout)
	}
}

func TestQueueGroup(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	a := c.start("Subscribed", "sub", "tasks", "--queue", "workers")
	b := c.start("Subscribed", "sub", "tasks", "--queue", "workers")
	c.ok("pub", "tasks", "t", "--count", "20")
	testutil.Poll(t, "20 deliveries in all", func() error {
		if n := strings.Count(a.stdout.String(), "\n") + strings.Count(b.stdout.String(), "\n"); n != 20 {
			return errors.New("delivered: " + a.stdout.String() + b.stdout.String())
		}
		return nil
	})
}

func TestRequestReply(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	echo := c.start(`Listening for requests on "api.echo"`, "reply", "api.echo", "--echo", "--count", "2")
	testutil.Equal(t, c.ok("req", "api.echo", "hello"), "hello\n", "reply")
	out, _, err := c.run("from stdin", "req", "api.echo")
	testutil.NoErr(t, err, "req from stdin")
	testutil.Equal(t, out, "from stdin\n", "reply")
	testutil.NoErr(t, echo.wait(t), "reply --count 2")
	testutil.Equal(t, echo.stdout.String(), "api.echo hello\napi.echo from stdin\n", "requests seen by the responder")

	c.start("Listening", "reply", "api.users.*", "user u1", "-H", "cache:no", "--queue", "users")
	var got struct {
		Subject string
		Data    string
		Headers map[string][]string
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("req", "api.users.get", "id=1", "--json")), &got), "decode reply")
	testutil.Equal(t, got.Data, "user u1", "reply data")
	testutil.Equal(t, got.Headers["cache"], []string{"no"}, "reply headers")
}

func TestRequestErrors(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	out, _, err := c.run("", "req", "api.nobody", "x")
	testutil.ErrIs(t, err, natsgw.ErrNoResponders, "req with no responders")
	if !strings.Contains(err.Error(), "no responders") || strings.Contains(err.Error(), "natsgw:") {
		t.Errorf("error %q: want the gateway's message, without a second prefix", err)
	}
	testutil.Equal(t, out, "", "stdout")

	c.start("Subscribed", "sub", "api.silent") // listens but never answers
	_, _, err = c.run("", "--timeout", "200ms", "req", "api.silent", "x")
	testutil.ErrIs(t, err, natsgw.ErrTimeout, "req nobody answers")
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("error %q: want it to say it timed out", err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	for _, tc := range []struct {
		args []string
		want string // in the error
		is   error
	}{
		{[]string{"pub", "a..b", "x"}, "message.subject: ", natsgw.ErrInvalidArgument},
		{[]string{"pub", "events.*", "x"}, "message.subject: ", natsgw.ErrInvalidArgument},
		{[]string{"pub", "x", "y", "-H", "bad key:v"}, "message.headers: ", natsgw.ErrInvalidArgument},
		{[]string{"sub", "a b"}, "subject: ", natsgw.ErrInvalidArgument},
		{[]string{"sub", "x", "--queue", "a b"}, "queue_group: ", natsgw.ErrInvalidArgument},
		{[]string{"req", "$SYS.x", "y"}, "message.subject: ", natsgw.ErrInvalidArgument},
		{[]string{"reply", "a.>.b", "--echo"}, "subject: ", natsgw.ErrInvalidArgument},
		{[]string{"reply", "x"}, "--echo", nil},
		{[]string{"reply", "x", "y", "--echo"}, "not both", nil},
		{[]string{"pub", "x", "y", "--count", "0"}, "--count", nil},
		{[]string{"pub", "x", "y", "-H", "novalue"}, "KEY:VALUE", nil},
		{[]string{"sub"}, "accepts 1 arg", nil},
		{[]string{"kv", "put", "a.b", "k", "v"}, "bucket: ", natsgw.ErrInvalidArgument},
		{[]string{"kv", "put", "b", "a..b", "v"}, "key: ", natsgw.ErrInvalidArgument},
		{[]string{"kv", "get", "b", "*"}, "key: ", natsgw.ErrInvalidArgument},
		{[]string{"kv", "keys", "b", "a*"}, "filter: ", natsgw.ErrInvalidArgument},
		{[]string{"kv", "watch", "b", "a.>.c"}, "key: ", natsgw.ErrInvalidArgument},
		{[]string{"kv", "add", "b", "--history", "65"}, "config.history: ", natsgw.ErrInvalidArgument},
		{[]string{"kv", "add", "b", "--storage", "tape"}, "--storage", nil},
		{[]string{"kv", "watch", "b", "--count", "-1"}, "--count", nil},
		{[]string{"kv", "get", "b"}, "accepts 2 arg", nil},
		{[]string{"kv", "get", "nobucket", "k"}, "bucket not found", natsgw.ErrNotFound},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := c.run("", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if tc.is != nil {
				testutil.ErrIs(t, err, tc.is, "error")
			}
		})
	}
}

// onlyMarker proves that sub, a `sub >` of org, printed nothing after
// before: org publishes a marker, which must be the next and last line. The
// gateway's one NATS connection keeps the order of calls, so a message of
// another organization that had leaked would be printed before the marker
// (a wait for nothing to arrive would let a late one slip past).
func (c *cli) onlyMarker(t *testing.T, sub *proc, org, before string) {
	t.Helper()
	c.ok("--org", org, "pub", "marker", org)
	want := before + "marker " + org + "\n"
	testutil.Equal(t, sub.stdout.WaitFor(t, want), want, org+"'s sub: only its own messages")
}

func TestOrgIsolation(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	acme := c.start("Subscribed", "--org", "acme", "sub", ">", "--count", "1")
	bob := c.start("Subscribed", "--org", "bob", "sub", ">")
	acmeCo := c.start("Subscribed", "--org", "acme-co", "sub", ">")
	c.ok("--org", "acme", "pub", "events.user.login", "hi")
	testutil.NoErr(t, acme.wait(t), "acme's sub")
	testutil.Equal(t, acme.stdout.String(), "events.user.login hi\n", "acme's messages")
	c.onlyMarker(t, bob, "bob", "")
	c.onlyMarker(t, acmeCo, "acme-co", "")

	// Nor can bob reach acme by spelling out acme's NATS subject.
	acme = c.start("Subscribed", "--org", "acme", "sub", ">")
	c.ok("--org", "bob", "pub", "tenant.acme.events.user.login", "x")
	c.onlyMarker(t, bob, "bob", "marker bob\ntenant.acme.events.user.login x\n")
	c.onlyMarker(t, acme, "acme", "")

	// acme's responder answers only acme.
	c.start("Listening", "--org", "acme", "reply", "api.echo", "--echo")
	testutil.Equal(t, c.ok("--org", "acme", "req", "api.echo", "x"), "x\n", "acme's request")
	_, _, err := c.run("", "--org", "carol", "req", "api.echo", "x")
	testutil.ErrIs(t, err, natsgw.ErrNoResponders, "carol's request")
}

func TestHealth(t *testing.T) {
	t.Parallel()
	c, srv := newCLI(t)
	out := c.ok("health")
	for _, want := range []string{"healthy:      yes", "JetStream:    enabled", "embedded", "(clients connected to this gateway instance)"} {
		if !strings.Contains(out, want) {
			t.Errorf("health output lacks %q:\n%s", want, out)
		}
	}
	var h jsonHealth
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("health", "--json")), &h), "decode health")
	testutil.Equal(t, h.Healthy && h.NATSConnected && h.JetStreamEnabled && h.Mode == "embedded", true, "healthy")
	if h.NATSRTT != 0 || h.JetStreamRTT != 0 {
		t.Errorf("plain health reports round trips: %+v", h)
	}
	if out := c.ok("health", "--deep"); !strings.Contains(out, "NATS RTT:") || !strings.Contains(out, "JetStream write+read:") {
		t.Errorf("health --deep output lacks the round trips:\n%s", out)
	}
	h = jsonHealth{}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("health", "--deep", "--json")), &h), "decode deep health")
	if !h.Healthy || h.NATSRTT <= 0 || h.JetStreamRTT <= 0 {
		t.Errorf("health --deep --json = %+v, want healthy with round trips", h)
	}

	out = c.ok("version")
	if !strings.HasPrefix(out, "client:  ") || !strings.Contains(out, "gateway: devel at "+c.addr) {
		t.Errorf("version output:\n%s", out)
	}

	srv.Stop()
	_, _, err := c.run("", "health")
	testutil.ErrIs(t, err, natsgw.ErrUnavailable, "health of a stopped gateway")
	out = c.ok("version")
	if !strings.Contains(out, "gateway: not reachable") {
		t.Errorf("version output without a gateway:\n%s", out)
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), []string{"completion", shell}, nil, &out, &errOut)
		testutil.NoErr(t, err, shell)
		if !strings.Contains(out.String(), "natsgw") || errOut.Len() != 0 {
			t.Errorf("completion %s: stdout %d bytes, stderr %q", shell, out.Len(), errOut.String())
		}
	}
	var out bytes.Buffer
	testutil.NoErr(t, Run(context.Background(), []string{"__complete", "su"}, nil, &out, io.Discard), "__complete")
	if !strings.Contains(out.String(), "sub") {
		t.Errorf("completing 'su': %q", out.String())
	}
}

func TestLargeMessage(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	sub := c.start("Subscribed", "sub", "data.large", "--count", "1")
	big := strings.Repeat("X", 1<<20)
	_, _, err := c.run(big, "pub", "data.large")
	testutil.NoErr(t, err, "pub 1 MiB")
	testutil.NoErr(t, sub.wait(t), "sub")
	testutil.Equal(t, sub.stdout.String(), "data.large "+big+"\n", "1 MiB message")

	_, _, err = c.run(strings.Repeat("X", 8<<20+1), "pub", "data.large")
	testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, "pub over the max payload")
	for _, want := range []string{"max payload is 8388608 bytes", "--max-payload", "natsgw obj put"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestEnvironment is not parallel: it sets NATSGW_* variables.
func TestEnvironment(t *testing.T) {
	srv := natsgwtest.NewServer(t)
	t.Setenv("NATSGW_SERVER", srv.Addr())
	t.Setenv("NATSGW_ORG", "acme")
	t.Setenv("NATSGW_USER", "svc")
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		err := Run(testutil.Context(t), args, nil, &out, &errOut)
		testutil.NoErr(t, err, strings.Join(args, " ")+": "+errOut.String())
		return out.String()
	}
	c := srv.Client(t, natsgw.WithOrg("acme"))
	sub, err := c.SubscribeSync(testutil.Context(t), "env.test")
	testutil.NoErr(t, err, "subscribe as acme")
	run("pub", "env.test", "hi")
	m, err := sub.Next(testutil.Context(t))
	testutil.NoErr(t, err, "receive")
	testutil.Equal(t, string(m.Data), "hi", "data published with NATSGW_ORG=acme")
	if out := run("health"); !strings.Contains(out, srv.Addr()) {
		t.Errorf("health did not use NATSGW_SERVER:\n%s", out)
	}
}

// TestTLSFlags: --tls-ca connects to a TLS gateway; without it the CLI
// cannot; a bad CA file is named.
func TestTLSFlags(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithTLS())
	c := &cli{tb: t, addr: srv.Addr()}
	ca, _ := srv.TLSFiles()
	if out := c.ok("--tls-ca", ca, "pub", "events.a", "hi"); out != "" {
		t.Errorf("pub over TLS printed %q", out)
	}
	if out := c.ok("--tls-ca", ca, "kv", "put", "b", "k", "v"); strings.TrimSpace(out) != "1" {
		t.Errorf("kv put over TLS printed %q, want revision 1", out)
	}
	_, _, err := c.run("", "--timeout", "2s", "health")
	if err == nil {
		t.Fatal("plaintext health of a TLS gateway succeeded")
	}
	_, _, err = c.run("", "--tls-ca", filepath.Join(t.TempDir(), "missing.pem"), "health")
	if err == nil || !strings.Contains(err.Error(), "--tls-ca") {
		t.Fatalf("missing CA file: %v, want an error naming --tls-ca", err)
	}
}
