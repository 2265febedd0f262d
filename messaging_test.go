package natsgw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// The brief's core messaging list, case by case, through the whole stack:
// SDK -> gRPC -> gateway -> embedded NATS and back.

func TestHealth(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	h, err := c.Health(testutil.Context(t))
	testutil.NoErr(t, err, "health")
	if !h.Healthy || !h.NATSConnected || !h.JetStream || !h.Embedded || h.Reason != "" {
		t.Fatalf("health = %+v, want healthy, connected, JetStream on, embedded, no reason", h)
	}
	if !strings.HasPrefix(h.NATSVersion, "2.") {
		t.Errorf("NATSVersion = %q, want a 2.x version", h.NATSVersion)
	}
	if h.GatewayVersion == "" {
		t.Error("GatewayVersion is empty")
	}
	if h.Connections < 1 {
		t.Errorf("Connections = %d, want at least this client", h.Connections)
	}
}

// TestDeepHealth: a deep check writes and reads JetStream, in a bucket no
// organization sees, and recreates that bucket when it is gone.
func TestDeepHealth(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	h, err := c.Health(ctx)
	testutil.NoErr(t, err, "health")
	testutil.Equal(t, [2]time.Duration{h.NATSRTT, h.JetStreamRTT}, [2]time.Duration{}, "round trips of a plain check")
	h, err = c.Health(ctx, natsgw.WithDeepHealth())
	testutil.NoErr(t, err, "deep health")
	if !h.Healthy || h.Reason != "" || h.NATSRTT <= 0 || h.JetStreamRTT <= 0 {
		t.Fatalf("deep health = %+v, want healthy with both round trips", h)
	}

	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	kv, err := js.KeyValue(ctx, "_natsgw_health")
	testutil.NoErr(t, err, "the health bucket")
	st, err := kv.Status(ctx)
	testutil.NoErr(t, err, "health bucket status")
	testutil.Equal(t, [2]any{st.Values(), st.BackingStore()}, [2]any{uint64(1), "JetStream"}, "one key")
	for _, org := range []string{"acme", "default", "natsgw"} {
		oc := srv.Client(t, natsgw.WithOrg(org))
		list, err := oc.KeyValues(ctx)
		testutil.NoErr(t, err, org+": list buckets")
		testutil.Equal(t, len(list), 0, org+": buckets")
		stats, err := oc.Statistics(ctx)
		testutil.NoErr(t, err, org+": statistics")
		testutil.Equal(t, stats.KeyValueBuckets, uint64(0), org+": key-value buckets in the statistics")
	}

	testutil.NoErr(t, js.DeleteKeyValue(ctx, "_natsgw_health"), "delete the health bucket")
	testutil.Poll(t, "deep health recreating its bucket", func() error {
		h, err := c.Health(ctx, natsgw.WithDeepHealth())
		if err != nil {
			return err
		}
		if !h.Healthy {
			return fmt.Errorf("unhealthy: %s", h.Reason)
		}
		_, err = js.KeyValue(ctx, "_natsgw_health")
		return err
	})
}

func TestPublishPayloads(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "payload.>")

	event, _ := json.Marshal(map[string]string{"user_id": "usr_123", "action": "login", "timestamp": "2025-10-24T10:00:00Z"})
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	large := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, the brief's large message
	cases := []struct {
		name string
		data []byte
	}{
		{"text", []byte("User logged in")},
		{"json", event},
		{"bytes", all},
		{"empty", nil},
		{"large", large},
	}
	for _, tc := range cases {
		testutil.NoErr(t, c.Publish(ctx, "payload."+tc.name, tc.data), "publish "+tc.name)
	}
	for _, tc := range cases {
		m := testutil.Recv(t, got, tc.name)
		testutil.Equal(t, m.Subject, "payload."+tc.name, "subject")
		if !bytes.Equal(m.Data, tc.data) {
			t.Fatalf("%s: got %d bytes, want %d (contents differ)", tc.name, len(m.Data), len(tc.data))
		}
		if tc.name == "json" {
			var decoded map[string]string
			testutil.NoErr(t, json.Unmarshal(m.Data, &decoded), "decode the delivered JSON")
			testutil.Equal(t, decoded["action"], "login", "decoded action")
		}
	}
}

func TestLargeMessageRequestReply(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	req := bytes.Repeat([]byte{'q'}, 1<<20)
	resp := bytes.Repeat([]byte{'r'}, 1<<20)
	_, err := c.Handle(ctx, "api.large", func(m *natsgw.Msg) {
		if !bytes.Equal(m.Data, req) {
			_ = m.Respond(ctx, []byte("corrupt request"))
			return
		}
		_ = m.Respond(ctx, resp)
	})
	testutil.NoErr(t, err, "handle")
	r, err := c.Request(ctx, "api.large", req)
	testutil.NoErr(t, err, "request")
	if !bytes.Equal(r.Data, resp) {
		t.Fatalf("reply: got %d bytes %.20q, want 1 MiB of 'r'", len(r.Data), r.Data)
	}
}

func TestMaxPayload(t *testing.T) {
	t.Parallel()
	const limit = 4096
	srv := natsgwtest.NewServer(t, natsgwtest.WithMaxPayload(limit))
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "big.>")

	exact := bytes.Repeat([]byte{'x'}, limit)
	testutil.NoErr(t, c.Publish(ctx, "big.exact", exact), "publish exactly the max payload")
	m := testutil.Recv(t, got, "exact")
	testutil.Equal(t, len(m.Data), limit, "delivered size")

	// Headers count: "NATS/1.0\r\n\r\n" + "k: v\r\n" is 12 + 6 bytes.
	hdr := natsgw.Header{"k": {"v"}}
	withHeader := exact[:limit-18]
	testutil.NoErr(t, c.Publish(ctx, "big.header", withHeader, natsgw.WithHeader(hdr)), "publish data plus headers at the max payload")
	m = testutil.Recv(t, got, "exact with header")
	testutil.Equal(t, m.Header.Get("k"), "v", "header")

	// NATS trims header values: the limit counts what is sent.
	padded := natsgw.Header{"k": {" \tv  "}}
	testutil.NoErr(t, c.Publish(ctx, "big.padded", withHeader, natsgw.WithHeader(padded)), "publish with a padded header value at the max payload")
	m = testutil.Recv(t, got, "exact with padded header")
	testutil.Equal(t, m.Header.Get("k"), "v", "trimmed header")

	over := func(what string, err error) {
		t.Helper()
		testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, what)
		if !strings.Contains(err.Error(), fmt.Sprint(limit)) {
			t.Errorf("%s: error %q does not name the limit %d", what, err, limit)
		}
	}
	over("publish one byte over", c.Publish(ctx, "big.over", append(exact, 'x')))
	over("publish with headers one byte over", c.Publish(ctx, "big.over", exact[:limit-17], natsgw.WithHeader(hdr)))
	_, err := c.PublishBatch(ctx, []*natsgw.Msg{{Subject: "big.ok", Data: []byte("fine")}, {Subject: "big.over", Data: append(exact, 'x')}})
	over("batch with one message over", err)
	_, err = c.Request(ctx, "big.over", append(exact, 'x'))
	over("request one byte over", err)

	// A reply one byte over fails the Respond, not the responder.
	replies := make(chan error, 2)
	_, err = c.Handle(ctx, "svc.big", func(m *natsgw.Msg) {
		replies <- m.Respond(ctx, append(exact, 'x'))
		replies <- m.Respond(ctx, exact)
	})
	testutil.NoErr(t, err, "handle")
	r, err := c.Request(ctx, "svc.big", nil)
	testutil.NoErr(t, err, "request to a responder")
	testutil.Equal(t, len(r.Data), limit, "reply size")
	over("respond one byte over", testutil.Recv(t, replies, "oversize respond"))
	testutil.NoErr(t, testutil.Recv(t, replies, "respond"), "respond exactly the max payload")

	// Nothing of the rejected batch was published.
	testutil.NoErr(t, c.Publish(ctx, "big.end", nil), "publish end marker")
	testutil.Equal(t, testutil.Recv(t, got, "after rejections").Subject, "big.end", "next delivered subject")
}

func TestPublishThousandInOrder(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "seq")
	const n = 1000
	for i := range n {
		testutil.NoErr(t, c.Publish(ctx, "seq", []byte(fmt.Sprint(i))), "publish")
	}
	for i, m := range recvN(t, got, n, "in order") {
		if string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q: out of order", i, m.Data)
		}
	}
}

func TestPublishBatchWithHeaders(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "events.batch.*")
	msgs := make([]*natsgw.Msg, 5)
	for i := range msgs {
		msgs[i] = &natsgw.Msg{Subject: fmt.Sprintf("events.batch.%d", i+1), Data: []byte(fmt.Sprintf("Message %d", i+1))}
	}
	msgs[2].Header = natsgw.Header{"priority": {"high"}, "trace": {"a", "b", "c"}}
	n, err := c.PublishBatch(ctx, msgs)
	testutil.NoErr(t, err, "publish batch")
	testutil.Equal(t, n, 5, "published count")
	for i, m := range recvN(t, got, 5, "batch") {
		testutil.Equal(t, m.Subject, msgs[i].Subject, "subject")
		testutil.Equal(t, string(m.Data), string(msgs[i].Data), "data")
		testutil.Equal(t, m.Header, msgs[i].Header, "headers of "+m.Subject)
	}
}

func TestSubscribeCallbackReceivesThree(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	var (
		mu   sync.Mutex
		seen []string
		done = make(chan struct{})
	)
	_, err := c.Subscribe(ctx, "events.order.created", func(m *natsgw.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(m.Data))
		if len(seen) == 3 {
			close(done)
		}
	})
	testutil.NoErr(t, err, "subscribe")
	for i := range 3 {
		testutil.NoErr(t, c.Publish(ctx, "events.order.created", []byte(fmt.Sprintf("Order #%d created", i))), "publish")
	}
	testutil.Recv(t, done, "three callbacks")
	mu.Lock()
	defer mu.Unlock()
	testutil.Equal(t, seen, []string{"Order #0 created", "Order #1 created", "Order #2 created"}, "callbacks")
}

func TestWildcardOneToken(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "events.user.*")
	// Deliveries keep publish order, so if the non-matching message (sent
	// first) were delivered it would come first.
	for _, s := range []string{"events.system.startup", "events.user.login", "events.user.logout", "events.user.signup", "events.user.x.deep"} {
		testutil.NoErr(t, c.Publish(ctx, s, []byte(s)), "publish "+s)
	}
	testutil.Equal(t, subjects(recvN(t, got, 3, "events.user.*")), []string{"events.user.login", "events.user.logout", "events.user.signup"}, "subjects")
	testutil.NoErr(t, c.Publish(ctx, "events.user.end", nil), "publish end")
	testutil.Equal(t, testutil.Recv(t, got, "end").Subject, "events.user.end", "after a deeper subject")
}

func TestWildcardRest(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	rest, _ := sink(t, c, "orders.>")
	one, _ := sink(t, c, "orders.*")
	for _, s := range []string{"orders.payment.completed", "orders.created", "orders.updated", "orders.cancelled"} {
		testutil.NoErr(t, c.Publish(ctx, s, nil), "publish "+s)
	}
	testutil.Equal(t, subjects(recvN(t, rest, 4, "orders.>")), []string{"orders.payment.completed", "orders.created", "orders.updated", "orders.cancelled"}, "orders.>")
	testutil.Equal(t, subjects(recvN(t, one, 3, "orders.*")), []string{"orders.created", "orders.updated", "orders.cancelled"}, "orders.*")
}

func TestQueueGroupSplits(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c1 := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithUser("worker-1"))
	c2 := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithUser("worker-2"))
	ctx := testutil.Context(t)
	all := make(chan string, 200)
	var counts [2]int
	var mu sync.Mutex
	for i, c := range []*natsgw.Client{c1, c2} {
		sub, err := c.Subscribe(ctx, "tasks.work", func(m *natsgw.Msg) {
			mu.Lock()
			counts[i]++
			mu.Unlock()
			all <- string(m.Data)
		}, natsgw.WithQueue("workers"))
		testutil.NoErr(t, err, "queue subscribe")
		testutil.Equal(t, sub.Queue(), "workers", "queue")
	}
	const n = 100
	for i := range n {
		testutil.NoErr(t, c1.Publish(ctx, "tasks.work", []byte(fmt.Sprint(i))), "publish")
	}
	seen := map[string]int{}
	for range n {
		seen[testutil.Recv(t, all, "queue delivery")]++
	}
	testutil.NoRecv(t, all, "a delivery beyond the 100 messages")
	for i := range n {
		if seen[fmt.Sprint(i)] != 1 {
			t.Errorf("message %d delivered %d times, want exactly once", i, seen[fmt.Sprint(i)])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if counts[0] == 0 || counts[1] == 0 {
		t.Errorf("split %v: both members should get some", counts)
	}
}

func TestRequestReply(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	svc := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithUser("user-service"))
	c := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithUser("web"))
	ctx := testutil.Context(t)

	// Several requests wait in the handler at once: only a concurrent
	// responder can answer them all.
	const n = 4
	arrived := make(chan struct{}, n)
	release := make(chan struct{})
	_, err := svc.Handle(ctx, "api.users.get", func(m *natsgw.Msg) {
		arrived <- struct{}{}
		<-release
		h := natsgw.Header{"served-by": {"user-service"}, "echo": m.Header.Values("trace")}
		_ = m.RespondWithHeader(ctx, append([]byte("user for "), m.Data...), h)
	}, natsgw.WithConcurrency(n))
	testutil.NoErr(t, err, "handle")

	type result struct {
		m   *natsgw.Msg
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			m, err := c.Request(ctx, "api.users.get", []byte(fmt.Sprintf("user_id=%d", i)),
				natsgw.WithHeader(natsgw.Header{"trace": {"t1", fmt.Sprint(i)}}))
			results <- result{m, err}
		}()
	}
	for range n {
		testutil.Recv(t, arrived, "concurrent request in the handler")
	}
	close(release)
	got := map[string]bool{}
	for range n {
		r := testutil.Recv(t, results, "reply")
		testutil.NoErr(t, r.err, "request")
		got[string(r.m.Data)] = true
		testutil.Equal(t, r.m.Header.Get("served-by"), "user-service", "reply header")
		id := strings.TrimPrefix(string(r.m.Data), "user for user_id=")
		testutil.Equal(t, r.m.Header.Values("echo"), []string{"t1", id}, "request headers seen by the responder (multi-valued)")
	}
	testutil.Equal(t, len(got), n, "distinct replies")
}

func TestRequestNoResponders(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	_, err := c.Request(testutil.Context(t), "api.nobody", []byte("hello"))
	testutil.ErrIs(t, err, natsgw.ErrNoResponders, "request without responders")
	if errors.Is(err, natsgw.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no-responders error %v also matches a timeout", err)
	}
	var e *natsgw.Error
	if !errors.As(err, &e) || e.Reason != natsgw.ReasonNoResponders {
		t.Errorf("error %#v lacks reason %s", err, natsgw.ReasonNoResponders)
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	// A subscriber that never answers: the request has a listener but gets
	// no reply.
	sink(t, c, "api.slow")
	_, err := c.Request(within(t, 200*time.Millisecond), "api.slow", nil)
	testutil.ErrIs(t, err, natsgw.ErrTimeout, "request without a reply")
	testutil.ErrIs(t, err, context.DeadlineExceeded, "request without a reply")
	if errors.Is(err, natsgw.ErrNoResponders) {
		t.Errorf("timeout %v matches ErrNoResponders", err)
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	nc := srv.NATS(t)
	ctx := testutil.Context(t)
	got, sub := sink(t, c, "events.unsub")
	testutil.NoErr(t, c.Publish(ctx, "events.unsub", []byte("before")), "publish")
	testutil.Equal(t, string(testutil.Recv(t, got, "before").Data), "before", "data")

	testutil.NoErr(t, sub.Unsubscribe(ctx), "unsubscribe")
	noInterest(t, nc, "tenant.acme.events.unsub", "right after Unsubscribe")
	testutil.NoErr(t, c.Publish(ctx, "events.unsub", []byte("after")), "publish")
	testutil.NoRecv(t, got, "delivery after Unsubscribe")
	testutil.Recv(t, sub.Done(), "subscription done")
	testutil.NoErr(t, sub.Err(), "Err after Unsubscribe")
	testutil.NoErr(t, sub.Unsubscribe(ctx), "second Unsubscribe")
}

func TestUnsubscribeSyncEndsNext(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	sub, err := c.SubscribeSync(ctx, "q")
	testutil.NoErr(t, err, "subscribe")
	testutil.NoErr(t, sub.Unsubscribe(ctx), "unsubscribe")
	_, err = sub.Next(ctx)
	testutil.ErrIs(t, err, natsgw.ErrClosed, "Next after Unsubscribe")
}

func TestUnsubscribeFromAnotherInstance(t *testing.T) {
	t.Parallel()
	first := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	second := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(first.NATSURL()))
	nc := first.NATS(t)
	ctx := testutil.Context(t)
	c1 := first.Client(t, natsgw.WithOrg("acme"))
	c2 := second.Client(t, natsgw.WithOrg("acme"))

	got, sub := sink(t, c1, "events.x")
	// Both instances share NATS: a publish through the second reaches the
	// subscriber on the first.
	testutil.NoErr(t, c2.Publish(ctx, "events.x", []byte("via second")), "publish via second")
	testutil.Equal(t, string(testutil.Recv(t, got, "via second").Data), "via second", "data")

	// Another organization cannot end it, even knowing the id.
	raw, bobCtx := rawMessaging(t, second, "bob")
	_, err := raw.Unsubscribe(bobCtx, unsubscribeReq(sub.ID()))
	testutil.Equal(t, codeOf(err), "NotFound", "bob unsubscribing acme's id on the second instance")
	testutil.NoErr(t, c2.Publish(ctx, "events.x", []byte("still")), "publish")
	testutil.Equal(t, string(testutil.Recv(t, got, "after bob's attempt").Data), "still", "data")

	rawAcme, acmeCtx := rawMessaging(t, second, "acme")
	_, err = rawAcme.Unsubscribe(acmeCtx, unsubscribeReq(sub.ID()))
	testutil.NoErr(t, err, "unsubscribe through the second instance")
	noInterest(t, nc, "tenant.acme.events.x", "right after a remote Unsubscribe")
	testutil.Recv(t, sub.Done(), "subscription ended by the remote Unsubscribe")
	testutil.NoErr(t, sub.Err(), "Err")
	_, err = rawAcme.Unsubscribe(acmeCtx, unsubscribeReq(sub.ID()))
	testutil.Equal(t, codeOf(err), "NotFound", "unsubscribing again")
}

func TestUnsubscribeOtherOrgLocal(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	got, sub := sink(t, acme, "events.x")
	for _, org := range []string{"bob", "acme-2"} {
		raw, orgCtx := rawMessaging(t, srv, org)
		_, err := raw.Unsubscribe(orgCtx, unsubscribeReq(sub.ID()))
		testutil.Equal(t, codeOf(err), "NotFound", org+" unsubscribing acme's id")
	}
	testutil.NoErr(t, acme.Publish(ctx, "events.x", []byte("alive")), "publish")
	testutil.Equal(t, string(testutil.Recv(t, got, "still subscribed").Data), "alive", "data")
}

func TestStreamEndEndsNATSSubscription(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	nc := srv.NATS(t)

	t.Run("client close", func(t *testing.T) {
		t.Parallel()
		c := srv.Client(t, natsgw.WithOrg("acme"))
		ctx := testutil.Context(t)
		sink(t, c, "close.sub")
		_, err := c.Handle(ctx, "close.svc", func(*natsgw.Msg) {})
		testutil.NoErr(t, err, "handle")
		if !interest(nc, "tenant.acme.close.sub") || !interest(nc, "tenant.acme.close.svc") {
			t.Fatal("no NATS subscriptions while subscribed")
		}
		testutil.NoErr(t, c.Close(), "close")
		eventuallyNoInterest(t, nc, "tenant.acme.close.sub", "subscription after Close")
		eventuallyNoInterest(t, nc, "tenant.acme.close.svc", "responder after Close")
	})
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		raw, ctx := rawMessaging(t, srv, "acme")
		ctx, cancel := context.WithCancel(ctx)
		stream, err := raw.Subscribe(ctx, subscribeReq("cancel.sub"))
		testutil.NoErr(t, err, "subscribe")
		_, err = stream.Recv()
		testutil.NoErr(t, err, "ready")
		if !interest(nc, "tenant.acme.cancel.sub") {
			t.Fatal("no NATS subscription while subscribed")
		}
		cancel()
		eventuallyNoInterest(t, nc, "tenant.acme.cancel.sub", "subscription after cancel")
	})
}

// TestUnsubscribeIsImmediate: when Unsubscribe returns, NATS no longer
// routes the subject to the gateway, whichever instance holds the stream.
func TestUnsubscribeIsImmediate(t *testing.T) {
	t.Parallel()
	first := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	second := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(first.NATSURL()))
	nc := first.NATS(t)
	c := first.Client(t, natsgw.WithOrg("acme"))
	remote, remoteCtx := rawMessaging(t, second, "acme")
	ctx := testutil.Context(t)
	for i := range 20 {
		subject := fmt.Sprintf("unsub.%d", i)
		_, sub := sink(t, c, subject)
		if i%2 == 0 {
			testutil.NoErr(t, sub.Unsubscribe(ctx), "unsubscribe")
		} else {
			_, err := remote.Unsubscribe(remoteCtx, unsubscribeReq(sub.ID()))
			testutil.NoErr(t, err, "unsubscribe through the second instance")
		}
		noInterest(t, nc, "tenant.acme."+subject, fmt.Sprintf("round %d, right after Unsubscribe", i))
	}
}

// TestRequestTimeouts: the wait ends at the earlier of the call's deadline
// and the timeout field, a deadline beyond the gateway's 10-minute limit is
// no error, and the gateway's message names the real wait.
func TestRequestTimeouts(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	_, err := c.Handle(ctx, "api.echo", func(m *natsgw.Msg) { _ = m.Respond(ctx, m.Data) })
	testutil.NoErr(t, err, "handle")
	sink(t, c, "api.silent")

	long, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	r, err := c.Request(long, "api.echo", []byte("patient"))
	testutil.NoErr(t, err, "request with an hour's deadline")
	testutil.Equal(t, string(r.Data), "patient", "reply")

	raw, rawCtx := rawMessaging(t, srv, "acme")
	req := func(ctx context.Context, timeout time.Duration) error {
		rr := &natsgwv1.RequestRequest{Message: &natsgwv1.OutgoingMessage{Subject: "api.silent"}}
		if timeout > 0 {
			rr.Timeout = durationpb.New(timeout)
		}
		_, err := raw.Request(ctx, rr)
		return err
	}
	short, cancel := context.WithTimeout(rawCtx, 150*time.Millisecond)
	defer cancel()
	testutil.Equal(t, codeOf(req(short, 10*time.Second)), "DeadlineExceeded", "deadline before the field")
	err = req(rawCtx, 150*time.Millisecond)
	testutil.Equal(t, codeOf(err), "DeadlineExceeded", "field before the deadline")
	if !strings.Contains(err.Error(), "after 150ms") {
		t.Errorf("timeout message %q does not name the 150ms wait", err)
	}
	short, cancel = context.WithTimeout(rawCtx, 150*time.Millisecond)
	defer cancel()
	testutil.Equal(t, codeOf(req(short, 0)), "DeadlineExceeded", "deadline only")
}

// TestResponderQueueGroup: responders in a queue group share the requests,
// each answered once; unsubscribing them leaves no responders at once.
func TestResponderQueueGroup(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	var counts [2]atomic.Int64
	subs := make([]*natsgw.Subscription, 2)
	for i := range subs {
		var err error
		subs[i], err = c.Handle(ctx, "api.work", func(m *natsgw.Msg) {
			counts[i].Add(1)
			_ = m.Respond(ctx, []byte(fmt.Sprint(i)))
		}, natsgw.WithQueue("workers"))
		testutil.NoErr(t, err, "handle")
	}
	const n = 40
	for range n {
		_, err := c.Request(ctx, "api.work", nil)
		testutil.NoErr(t, err, "request")
	}
	if a, b := counts[0].Load(), counts[1].Load(); a+b != n || a == 0 || b == 0 {
		t.Errorf("responders handled %d and %d of %d requests: want all, shared", a, b, n)
	}
	for _, s := range subs {
		testutil.NoErr(t, s.Unsubscribe(ctx), "unsubscribe responder")
	}
	_, err := c.Request(ctx, "api.work", nil)
	testutil.ErrIs(t, err, natsgw.ErrNoResponders, "request right after the responders unsubscribed")
}
