package natsgw_test

import (
	"context"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestClusterMessaging runs three gateways whose embedded NATS servers form
// one cluster: a message published through one gateway reaches subscribers
// on the others, a request crosses nodes, and orgs stay apart.
func TestClusterMessaging(t *testing.T) {
	t.Parallel()
	nodes := natsgwtest.NewCluster(t, 3)
	ctx := testutil.Context(t)
	pub := nodes[0].Client(t, natsgw.WithOrg("acme"))
	sub := nodes[2].Client(t, natsgw.WithOrg("acme"))
	other := nodes[1].Client(t, natsgw.WithOrg("bob"))

	got, err := sub.SubscribeSync(ctx, "events.>")
	testutil.NoErr(t, err, "subscribe on node 3")
	spy, err := other.SubscribeSync(ctx, ">")
	testutil.NoErr(t, err, "bob subscribes to everything on node 2")
	_, err = nodes[1].Client(t, natsgw.WithOrg("acme")).Handle(ctx, "api.where", func(m *natsgw.Msg) {
		_ = m.Respond(ctx, []byte("node 2"))
	})
	testutil.NoErr(t, err, "responder on node 2")

	// Route interest propagates asynchronously: poll with a request until
	// the responder on node 2 is visible from node 1.
	testutil.Poll(t, "request across nodes", func() error {
		r, err := pub.Request(ctx, "api.where", nil)
		if err == nil && string(r.Data) != "node 2" {
			t.Fatalf("reply %q", r.Data)
		}
		return err
	})
	testutil.Poll(t, "publish across nodes", func() error {
		if err := pub.Publish(ctx, "events.ping", []byte("x")); err != nil {
			return err
		}
		short, cancel := context.WithTimeout(ctx, testutil.Never)
		defer cancel()
		m, err := got.Next(short)
		if err == nil && m.Subject != "events.ping" {
			t.Fatalf("subject %q", m.Subject)
		}
		return err
	})
	short, cancel := context.WithTimeout(ctx, testutil.Never)
	defer cancel()
	if m, err := spy.Next(short); err == nil {
		t.Fatalf("bob saw acme's message %q", m.Subject)
	}
	for i, n := range nodes {
		h, err := n.Client(t).Health(ctx)
		testutil.NoErr(t, err, "health")
		if !h.Healthy {
			t.Fatalf("node %d unhealthy: %s", i+1, h.Reason)
		}
	}
}
