package natsgw_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// Interop: the gateway's messages are plain NATS messages at the mapped
// subjects "tenant.<org>.<subject>", so raw nats.go clients on the same NATS
// and gateway clients talk to each other.

func TestInteropGatewayToNATS(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	nc := srv.NATS(t)
	raw := rawSub(t, nc, "tenant.acme.x")
	err := c.Publish(testutil.Context(t), "x", []byte("from gateway"),
		natsgw.WithHeader(natsgw.Header{"multi": {"1", "2"}}), natsgw.WithReplyTo("replies.x"))
	testutil.NoErr(t, err, "publish")
	m := rawNext(t, raw, "raw delivery")
	testutil.Equal(t, m.Subject, "tenant.acme.x", "mapped subject")
	testutil.Equal(t, string(m.Data), "from gateway", "data")
	testutil.Equal(t, m.Header.Values("multi"), []string{"1", "2"}, "headers")
	testutil.Equal(t, m.Reply, "tenant.acme.replies.x", "mapped reply subject")
}

func TestInteropNATSToGateway(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	nc := srv.NATS(t)
	got, _ := sink(t, c, "x.>")

	msg := nats.NewMsg("tenant.acme.x.raw")
	msg.Data = []byte("from NATS")
	msg.Header.Add("multi", "1")
	msg.Header.Add("multi", "2")
	msg.Reply = "tenant.acme.replies.1"
	testutil.NoErr(t, nc.PublishMsg(msg), "raw publish")
	// A reply subject outside the organization (nats.go's default inbox)
	// is not handed out: replying to it would leave the namespace.
	testutil.NoErr(t, nc.PublishRequest("tenant.acme.x.foreign", "_INBOX.abc", []byte("foreign reply")), "raw publish")
	testutil.NoErr(t, nc.PublishRequest("tenant.acme.x.foreign", "tenant.bob.replies", []byte("foreign reply")), "raw publish")
	// Other organizations' subjects do not reach acme.
	testutil.NoErr(t, nc.Publish("tenant.bob.x.raw", []byte("bob")), "raw publish")
	testutil.NoErr(t, nc.Publish("tenant.acme.x.end", nil), "raw publish")

	m := testutil.Recv(t, got, "delivery")
	testutil.Equal(t, m.Subject, "x.raw", "subject in acme's view")
	testutil.Equal(t, string(m.Data), "from NATS", "data")
	testutil.Equal(t, m.Header.Values("multi"), []string{"1", "2"}, "headers")
	testutil.Equal(t, m.Reply, "replies.1", "reply token")
	for range 2 {
		m = testutil.Recv(t, got, "delivery with a foreign reply subject")
		testutil.Equal(t, m.Subject, "x.foreign", "subject")
		testutil.Equal(t, m.Reply, "", "reply token for a reply subject outside the organization")
	}
	testutil.Equal(t, testutil.Recv(t, got, "end").Subject, "x.end", "next subject (bob's message not delivered)")
}

func TestInteropRequestReply(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)

	// A raw requester whose inboxes lie in acme's namespace calls a gateway
	// responder.
	_, err := c.Handle(ctx, "api.echo", func(m *natsgw.Msg) { _ = m.Respond(ctx, append([]byte("echo: "), m.Data...)) })
	testutil.NoErr(t, err, "handle")
	requester := srv.NATS(t, nats.CustomInboxPrefix("tenant.acme._INBOX"))
	r, err := requester.Request("tenant.acme.api.echo", []byte("raw"), testutil.Eventually)
	testutil.NoErr(t, err, "raw request to a gateway responder")
	testutil.Equal(t, string(r.Data), "echo: raw", "reply")

	// A raw responder answers a gateway request.
	nc := srv.NATS(t)
	_, err = nc.Subscribe("tenant.acme.api.raw", func(m *nats.Msg) { _ = m.Respond(append([]byte("raw: "), m.Data...)) })
	testutil.NoErr(t, err, "raw responder")
	testutil.NoErr(t, nc.Flush(), "flush")
	reply, err := c.Request(ctx, "api.raw", []byte("gateway"))
	testutil.NoErr(t, err, "gateway request to a raw responder")
	testutil.Equal(t, string(reply.Data), "raw: gateway", "reply")
}

// TestInteropUnrepresentableMessage: a raw NATS client can publish a subject
// or header that is not UTF-8, which the API's strings cannot carry. The
// gateway drops such a message, counted in Dropped, and the subscription
// carries on.
func TestInteropUnrepresentableMessage(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	sub, err := c.SubscribeSync(ctx, "x.>")
	testutil.NoErr(t, err, "subscribe")
	nc := srv.NATS(t)

	bad := nats.NewMsg("tenant.acme.x.ok")
	bad.Header.Set("k", "\xff")
	testutil.NoErr(t, nc.PublishMsg(bad), "raw publish with a non-UTF-8 header")
	testutil.NoErr(t, nc.Publish("tenant.acme.x.\xfe", []byte("bad subject")), "raw publish with a non-UTF-8 subject")
	testutil.NoErr(t, nc.Publish("tenant.acme.x.good", []byte("fine")), "raw publish")

	m, err := sub.Next(ctx)
	testutil.NoErr(t, err, "the subscription lives on")
	testutil.Equal(t, m.Subject, "x.good", "next deliverable message")
	testutil.Equal(t, sub.Dropped(), uint64(2), "dropped and counted")
	testutil.Equal(t, sub.Err(), error(nil), "no error")
}
