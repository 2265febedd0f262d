package natsgw_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestConsulDiscovery: gateways register themselves in Consul; a client
// dialing consul:///<service> reaches them and follows changes when one
// goes away.
func TestConsulDiscovery(t *testing.T) {
	t.Parallel()
	agent := testutil.NewFakeConsul(t)
	a := natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.URL, "gw-test"), natsgwtest.WithNATSListener())
	b := natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.URL, "gw-test"), natsgwtest.WithNATSURL(a.NATSURL()))

	ports := map[string]bool{}
	for _, s := range agent.Services() {
		testutil.Equal(t, s.Name, "gw-test", "service name")
		testutil.Equal(t, s.Check.GRPC != "", true, "gRPC health check registered")
		ports[net.JoinHostPort(s.Address, strconv.Itoa(s.Port))] = true
	}
	testutil.Equal(t, ports, map[string]bool{a.Addr(): true, b.Addr(): true}, "registered instances")

	ctx := testutil.Context(t)
	target := "consul://" + strings.TrimPrefix(agent.URL, "http://") + "/gw-test"
	c, err := natsgw.Dial(ctx, target, natsgw.WithOrg("acme"))
	testutil.NoErr(t, err, "dial through consul")
	defer c.Close()

	_, err = c.Handle(ctx, "api.ping", func(m *natsgw.Msg) { _ = m.Respond(ctx, []byte("pong")) })
	testutil.NoErr(t, err, "responder")
	for range 10 {
		r, err := c.Request(ctx, "api.ping", nil)
		testutil.NoErr(t, err, "request through either instance")
		testutil.Equal(t, string(r.Data), "pong", "reply")
	}

	// Stopping b deregisters it; the client keeps working through a.
	b.Stop()
	testutil.Equal(t, len(agent.Services()), 1, "instances after b stopped")
	testutil.Poll(t, "calls after b left", func() error {
		return c.Publish(ctx, "events.x", nil)
	})
	for range 10 {
		testutil.NoErr(t, c.Publish(ctx, "events.x", nil), "publish after b left")
	}
}

func TestDialNoGateway(t *testing.T) {
	t.Parallel()
	agent := testutil.NewFakeConsul(t)
	ctx := testutil.Context(t)
	_, err := natsgw.Dial(ctx, "consul://"+strings.TrimPrefix(agent.URL, "http://")+"/nothing-here")
	testutil.ErrIs(t, err, natsgw.ErrUnavailable, "dial a service with no instances")
	_, err = natsgw.Dial(ctx, "127.0.0.1:1")
	testutil.ErrIs(t, err, natsgw.ErrUnavailable, "dial a closed port")
}

// TestConsulTLSCheck: a TLS gateway registers a health check that speaks
// TLS, and the SDK reaches it through Consul.
func TestConsulTLSCheck(t *testing.T) {
	t.Parallel()
	agent := testutil.NewFakeConsul(t)
	srv := natsgwtest.NewServer(t, natsgwtest.WithConsul(agent.URL, "gw-tls"), natsgwtest.WithTLS())
	services := agent.Services()
	testutil.Equal(t, len(services), 1, "registered instances")
	testutil.Equal(t, [2]bool{services[0].Check.GRPCUseTLS, services[0].Check.TLSSkipVerify}, [2]bool{true, true}, "TLS health check")
	target := "consul://" + strings.TrimPrefix(agent.URL, "http://") + "/gw-tls"
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
