package natsgw_test

import (
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestStatistics: an org's statistics count its own streams, buckets,
// subscriptions and traffic, and nothing of another org's.
func TestStatistics(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)

	// Storage made directly in JetStream under the mapped names: two acme
	// streams with 3 messages, one consumer, a KV bucket and an object
	// bucket; one bob stream that acme must not count.
	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	for _, sc := range []jetstream.StreamConfig{
		{Name: "tenant_acme_ORDERS", Subjects: []string{"tenant.acme.orders.>"}},
		{Name: "tenant_acme_TASKS", Subjects: []string{"tenant.acme.tasks.>"}},
		{Name: "tenant_bob_ORDERS", Subjects: []string{"tenant.bob.orders.>"}},
	} {
		_, err := js.CreateStream(ctx, sc)
		testutil.NoErr(t, err, "create stream "+sc.Name)
	}
	_, err = js.CreateOrUpdateConsumer(ctx, "tenant_acme_TASKS", jetstream.ConsumerConfig{Durable: "w"})
	testutil.NoErr(t, err, "consumer")
	_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "tenant_acme_cfg"})
	testutil.NoErr(t, err, "kv bucket")
	_, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "tenant_acme_docs"})
	testutil.NoErr(t, err, "object bucket")
	_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "tenant_bob_cfg"})
	testutil.NoErr(t, err, "bob kv bucket")

	acme := srv.Client(t, natsgw.WithOrg("acme"))
	bob := srv.Client(t, natsgw.WithOrg("bob"))
	sub, err := acme.SubscribeSync(ctx, "orders.>")
	testutil.NoErr(t, err, "subscribe")
	for _, d := range []string{"a", "bb", "ccc"} {
		testutil.NoErr(t, acme.Publish(ctx, "orders.new", []byte(d)), "publish")
	}
	for range 3 {
		_, err := sub.Next(ctx)
		testutil.NoErr(t, err, "receive")
	}
	testutil.NoErr(t, bob.Publish(ctx, "orders.new", []byte("bob's")), "bob publishes")

	// A stream stores a published message after Publish returns (a core
	// NATS publish), so each org's statistics are read once its stream
	// holds what was published to it.
	stored := func(c *natsgw.Client, who string, msgs uint64) *natsgw.Statistics {
		t.Helper()
		var st *natsgw.Statistics
		testutil.Poll(t, who+" statistics", func() error {
			var err error
			st, err = c.Statistics(ctx)
			if err == nil && st.Msgs != msgs {
				return fmt.Errorf("messages %d, want %d", st.Msgs, msgs)
			}
			return err
		})
		return st
	}
	st := stored(acme, "acme", 3)
	testutil.Equal(t, [4]uint64{st.Streams, st.Consumers, st.KeyValueBuckets, st.ObjectBuckets}, [4]uint64{2, 1, 1, 1}, "acme streams, consumers, kv buckets, object buckets")
	testutil.Equal(t, st.Subscriptions, uint64(1), "acme subscriptions")
	testutil.Equal(t, [4]uint64{st.InMsgs, st.InBytes, st.OutMsgs, st.OutBytes}, [4]uint64{3, 6, 3, 6}, "acme traffic")
	if st.Bytes == 0 || st.KeyValueBytes != 0 || st.Since.IsZero() {
		t.Fatalf("bytes %d, kv bytes %d, since %v", st.Bytes, st.KeyValueBytes, st.Since)
	}

	bst := stored(bob, "bob", 1)
	testutil.Equal(t, [6]uint64{bst.Streams, bst.Msgs, bst.KeyValueBuckets, bst.ObjectBuckets, bst.Subscriptions, bst.OutMsgs}, [6]uint64{1, 1, 1, 0, 0, 0}, "bob sees only his own")
	testutil.Equal(t, bst.InMsgs, uint64(1), "bob's traffic")

	empty, err := srv.Client(t, natsgw.WithOrg("nobody")).Statistics(ctx)
	testutil.NoErr(t, err, "statistics of an org with nothing")
	testutil.Equal(t, empty.Streams+empty.InMsgs+empty.KeyValueBuckets, uint64(0), "empty org")
}

// TestStatisticsStreamTraffic: messages published through a stream pipeline
// and delivered by Consume are counted by the time the client has their
// results, so statistics read right after include them.
func TestStatisticsStreamTraffic(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	mustCreateStream(t, c, natsgw.StreamConfig{Name: "JOBS", Subjects: []string{"jobs.>"}})
	mustCreateConsumer(t, c, "JOBS", natsgw.ConsumerConfig{Name: "w"})

	p, err := c.NewStreamPublisher(ctx, "JOBS")
	testutil.NoErr(t, err, "stream publisher")
	var futs []*natsgw.PubAckFuture
	for _, d := range []string{"a", "bb", "ccc"} {
		f, err := p.Publish("jobs.x", []byte(d))
		testutil.NoErr(t, err, "pipeline publish")
		futs = append(futs, f)
	}
	testutil.NoErr(t, p.Flush(ctx), "flush")
	for _, f := range futs {
		_, err := f.Wait(ctx)
		testutil.NoErr(t, err, "publish result")
	}
	st, err := c.Statistics(ctx)
	testutil.NoErr(t, err, "statistics after the pipeline")
	testutil.Equal(t, [2]uint64{st.InMsgs, st.InBytes}, [2]uint64{3, 6}, "messages in through the pipeline")
	testutil.NoErr(t, p.Close(ctx), "close publisher")

	got := make(chan *natsgw.StreamMsg, 3)
	cc, err := c.Consume(ctx, "JOBS", "w", func(m *natsgw.StreamMsg) { got <- m })
	testutil.NoErr(t, err, "consume")
	for range 3 {
		testutil.Recv(t, got, "consumed message")
	}
	st, err = c.Statistics(ctx)
	testutil.NoErr(t, err, "statistics after Consume")
	testutil.Equal(t, [2]uint64{st.OutMsgs, st.OutBytes}, [2]uint64{3, 6}, "messages out through Consume")
	testutil.NoErr(t, cc.Stop(ctx), "stop consuming")
}

// TestConnections: Health and Statistics count the gRPC client connections
// open to the gateway instance, and the count drops when one closes.
func TestConnections(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)

	watcher := srv.Client(t, natsgw.WithOrg("acme"))
	other, err := natsgw.Dial(ctx, srv.Addr(), natsgw.WithOrg("bob"))
	testutil.NoErr(t, err, "dial a second client")
	defer other.Close()
	// gRPC connects on the first call.
	_, err = other.Health(ctx)
	testutil.NoErr(t, err, "second client's health")

	h, err := watcher.Health(ctx)
	testutil.NoErr(t, err, "health")
	if h.Connections < 2 {
		t.Fatalf("health: connections %d with two clients connected, want >= 2", h.Connections)
	}
	st, err := watcher.Statistics(ctx)
	testutil.NoErr(t, err, "statistics")
	if st.Connections != h.Connections {
		t.Fatalf("statistics: connections %d, health said %d", st.Connections, h.Connections)
	}

	testutil.NoErr(t, other.Close(), "close the second client")
	testutil.Poll(t, "connection count drops after close", func() error {
		after, err := watcher.Health(ctx)
		if err == nil && after.Connections != h.Connections-1 {
			return fmt.Errorf("connections %d, want %d", after.Connections, h.Connections-1)
		}
		return err
	})
}
