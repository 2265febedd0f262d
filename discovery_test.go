package natsgw_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestConsulDiscovery: gateways register themselves with a real Consul
// agent; a client dialing consul:///<service> right after registration
// reaches them (their checks start passing) and follows changes when one
// goes away.
func TestConsulDiscovery(t *testing.T) {
	t.Parallel()
	agent := testutil.NewConsul(t)
	a := natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.Addr, "gw-test"), natsgwtest.WithNATSListener())
	b := natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.Addr, "gw-test"), natsgwtest.WithNATSURL(a.NATSURL()))

	// Dial first: nothing may wait for Consul's first health check.
	ctx := testutil.Context(t)
	c, err := natsgw.Dial(ctx, "consul://"+agent.Addr+"/gw-test", natsgw.WithOrg("acme"))
	testutil.NoErr(t, err, "dial through consul right after registration")
	defer c.Close()

	ports := map[string]bool{}
	for _, s := range agent.Services(t, "gw-test") {
		testutil.Equal(t, s.Status, "passing", "check status of "+s.ID)
		ch, _ := agent.Check(t, s.ID)
		testutil.Equal(t, ch.Type, "grpc", "health check of "+s.ID)
		ports[net.JoinHostPort(s.Address, strconv.Itoa(s.Port))] = true
	}
	testutil.Equal(t, ports, map[string]bool{a.Addr(): true, b.Addr(): true}, "registered instances")

	_, err = c.Handle(ctx, "api.ping", func(m *natsgw.Msg) { _ = m.Respond(ctx, []byte("pong")) })
	testutil.NoErr(t, err, "responder")
	for range 10 {
		r, err := c.Request(ctx, "api.ping", nil)
		testutil.NoErr(t, err, "request through either instance")
		testutil.Equal(t, string(r.Data), "pong", "reply")
	}

	// Stopping b deregisters it; the client keeps working through a.
	b.Stop()
	testutil.Poll(t, "b gone from the catalog", func() error {
		if n := len(agent.Services(t, "gw-test")); n != 1 {
			return fmt.Errorf("%d instances", n)
		}
		return nil
	})
	testutil.Poll(t, "calls after b left", func() error {
		return c.Publish(ctx, "events.x", nil)
	})
	for range 10 {
		testutil.NoErr(t, c.Publish(ctx, "events.x", nil), "publish after b left")
	}
}

// TestConsulResolverLeavesNoConnection: once the client is closed, nothing
// of its consul:// resolver runs while the agent is still up (with
// http.DefaultTransport its keep-alive connection stayed open). Not
// parallel, so that only its own goroutines count.
func TestConsulResolverLeavesNoConnection(t *testing.T) {
	agent := testutil.NewConsul(t)
	natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.Addr, "gw-leak"))
	before := goleak.IgnoreCurrent()
	ctx := testutil.Context(t)
	c, err := natsgw.Dial(ctx, "consul://"+agent.Addr+"/gw-leak")
	testutil.NoErr(t, err, "dial through consul")
	_, err = c.Health(ctx)
	testutil.NoErr(t, err, "health")
	testutil.NoErr(t, c.Close(), "close")
	goleak.VerifyNone(t, before)
}

func TestDialNoGateway(t *testing.T) {
	t.Parallel()
	agent := testutil.NewConsul(t)
	ctx := testutil.Context(t)
	_, err := natsgw.Dial(ctx, "consul://"+agent.Addr+"/nothing-here")
	testutil.ErrIs(t, err, natsgw.ErrUnavailable, "dial a service with no instances")
	_, err = natsgw.Dial(ctx, "127.0.0.1:1")
	testutil.ErrIs(t, err, natsgw.ErrUnavailable, "dial a closed port")
}

// TestConsulTLSCheck: a TLS gateway registers a health check that speaks
// TLS and passes when the agent runs it (within one 10 s interval; a
// plaintext check would fail against it, see internal/consul's
// TestRegisterTLSCheck), and the SDK reaches it through Consul.
func TestConsulTLSCheck(t *testing.T) {
	t.Parallel()
	agent := testutil.NewConsul(t)
	srv := natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.Addr, "gw-tls"), natsgwtest.WithTLS())
	services := agent.Services(t, "gw-tls")
	testutil.Equal(t, len(services), 1, "registered instances")
	testutil.Equal(t, services[0].Status, "passing", "check status")
	ch := agent.WaitCheck(t, services[0].ID, "passing", 2*testutil.Eventually)
	if !strings.Contains(ch.Output, "success") {
		t.Fatalf("TLS check output %q, want a successful gRPC health check", ch.Output)
	}
	target := "consul://" + agent.Addr + "/gw-tls"
	_, err := natsgw.Dial(testutil.Context(t), target, natsgw.WithTLS(srv.ClientTLSConfig()))
	if err == nil || !strings.Contains(err.Error(), "ServerName") {
		t.Fatalf("TLS through Consul without a server name: %v, want an error naming ServerName", err)
	}
	tc := srv.ClientTLSConfig()
	tc.ServerName = "localhost" // in the certificate
	c, err := natsgw.Dial(testutil.Context(t), target, natsgw.WithTLS(tc))
	testutil.NoErr(t, err, "dial through Consul over TLS")
	defer c.Close()
	_, err = c.Health(testutil.Context(t))
	testutil.NoErr(t, err, "health")
}

func TestDialDNS(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	_, port, _ := strings.Cut(srv.Addr(), ":")
	c, err := natsgw.Dial(ctx, "dns:///localhost:"+port)
	testutil.NoErr(t, err, "dial dns:///")
	defer c.Close()
	h, err := c.Health(ctx)
	testutil.NoErr(t, err, "health")
	testutil.Equal(t, h.Healthy, true, "healthy")
}
