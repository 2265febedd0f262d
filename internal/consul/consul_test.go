package consul_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/natsgw/natsgw/internal/consul"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestMain fails the package if a goroutine outlives its tests: an Agent
// keeps its own connections, and Close must release them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newAgent(t *testing.T, c *testutil.Consul) *consul.Agent {
	t.Helper()
	a, err := consul.NewAgent(c.Addr)
	testutil.NoErr(t, err, "agent")
	t.Cleanup(a.Close)
	return a
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	testutil.NoErr(t, err, "split "+addr)
	port, err := strconv.Atoi(p)
	testutil.NoErr(t, err, "port")
	return host, port
}

// TestRegisterStartsPassing: a real agent lists a newly registered
// instance as passing from the start (Consul starts checks critical unless
// told otherwise and runs the first one up to an interval, 10 s, later,
// which kept a new gateway out of consul:// dials that long); WaitListed
// sees it; Deregister removes it.
func TestRegisterStartsPassing(t *testing.T) {
	t.Parallel()
	c := testutil.NewConsul(t)
	srv := natsgwtest.NewServer(t)
	host, port := hostPort(t, srv.Addr())
	a := newAgent(t, c)
	ctx := testutil.Context(t)
	testutil.NoErr(t, a.Register(ctx, consul.Service{ID: "gw-1", Name: "gw", Address: host, Port: port}), "register")

	// The catalog lags the agent: look at the instance as soon as it appears.
	var first testutil.ConsulService
	testutil.Poll(t, "instance in the catalog", func() error {
		services := c.Services(t, "gw")
		if len(services) != 1 {
			return fmt.Errorf("%d instances", len(services))
		}
		first = services[0]
		return nil
	})
	testutil.Equal(t, first.Status, "passing", "status when first listed")
	testutil.NoErr(t, a.WaitListed(ctx, "gw", "gw-1"), "wait until listed as passing")
	ch, ok := c.Check(t, "gw-1")
	testutil.Equal(t, [3]any{ok, ch.Type, ch.Interval}, [3]any{true, "grpc", "10s"}, "check type and default interval")

	testutil.NoErr(t, a.Deregister(ctx, "gw-1"), "deregister")
	testutil.Poll(t, "instance gone from the catalog", func() error {
		if n := len(c.Services(t, "gw")); n != 0 {
			return fmt.Errorf("%d instances", n)
		}
		return nil
	})
}

// TestRegisterTLSCheck: the health check of a TLS gateway speaks TLS and
// passes on a real agent; the same check without TLS fails against it (so
// the flag is what makes it pass).
func TestRegisterTLSCheck(t *testing.T) {
	t.Parallel()
	c := testutil.NewConsul(t)
	srv := natsgwtest.NewServer(t, natsgwtest.WithTLS())
	host, port := hostPort(t, srv.Addr())
	a := newAgent(t, c)
	ctx := testutil.Context(t)
	testutil.NoErr(t, a.Register(ctx, consul.Service{ID: "tls", Name: "gw", Address: host, Port: port, TLS: true, CheckInterval: time.Second}), "register TLS")
	testutil.NoErr(t, a.Register(ctx, consul.Service{ID: "plain", Name: "gw", Address: host, Port: port, CheckInterval: time.Second}), "register without TLS")

	ch := c.WaitCheck(t, "tls", "passing", testutil.Eventually)
	if !strings.Contains(ch.Output, "success") {
		t.Fatalf("TLS check output %q, want a successful gRPC health check", ch.Output)
	}
	c.WaitCheck(t, "plain", "critical", testutil.Eventually)
	ch, _ = c.Check(t, "tls")
	testutil.Equal(t, ch.Interval, "1s", "check interval")
}

// TestAgentCloseLeavesNoConnection: after Close, nothing of the Agent runs
// while the agent it talked to is still up (http.DefaultTransport would keep
// keep-alive connections, and their goroutines, open). Not parallel, so that
// only its own goroutines count.
func TestAgentCloseLeavesNoConnection(t *testing.T) {
	c := testutil.NewConsul(t)
	srv := natsgwtest.NewServer(t)
	host, port := hostPort(t, srv.Addr())
	before := goleak.IgnoreCurrent()
	a, err := consul.NewAgent(c.Addr)
	testutil.NoErr(t, err, "agent")
	ctx := testutil.Context(t)
	testutil.NoErr(t, a.Register(ctx, consul.Service{ID: "gw-1", Name: "gw", Address: host, Port: port}), "register")
	testutil.NoErr(t, a.WaitListed(ctx, "gw", "gw-1"), "wait until listed")
	testutil.NoErr(t, a.Deregister(ctx, "gw-1"), "deregister")
	a.Close()
	goleak.VerifyNone(t, before)
}

// TestWaitListedBounded: WaitListed for an instance nobody registered ends
// with its context.
func TestWaitListedBounded(t *testing.T) {
	t.Parallel()
	c := testutil.NewConsul(t)
	a := newAgent(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := a.WaitListed(ctx, "gw", "nobody")
	testutil.ErrIs(t, err, context.DeadlineExceeded, "wait for an instance never registered")
}

// TestRegisterUnreachableAgent: Register names the endpoint and the cause.
func TestRegisterUnreachableAgent(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testutil.NoErr(t, err, "listen")
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	a, err := consul.NewAgent(addr)
	testutil.NoErr(t, err, "agent")
	defer a.Close()
	err = a.Register(testutil.Context(t), consul.Service{ID: "x", Name: "gw", Address: "127.0.0.1", Port: 1})
	if err == nil || !strings.Contains(err.Error(), "/v1/agent/service/register") {
		t.Fatalf("register with no agent: %v, want an error naming the endpoint", err)
	}
}

func TestNewAgentBadAddress(t *testing.T) {
	t.Parallel()
	_, err := consul.NewAgent("http://")
	if err == nil || !strings.Contains(err.Error(), "not a URL") {
		t.Fatalf("NewAgent(%q): %v, want an error saying it is not a URL", "http://", err)
	}
}
