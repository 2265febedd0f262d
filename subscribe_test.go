package natsgw_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// flood publishes n messages of 4 KiB to subject in batches and returns once
// the gateway accepted them all.
func flood(t *testing.T, c *natsgw.Client, subject string, n int) {
	t.Helper()
	data := bytes.Repeat([]byte{'f'}, 4<<10)
	for i := 0; i < n; {
		batch := make([]*natsgw.Msg, 0, 200)
		for ; i < n && len(batch) < cap(batch); i++ {
			batch = append(batch, &natsgw.Msg{Subject: subject, Data: data})
		}
		_, err := c.PublishBatch(testutil.Context(t), batch)
		testutil.NoErr(t, err, "publish flood")
	}
}

// TestSlowConsumer: a subscriber that stops reading gets a bounded buffer in
// the gateway; what does not fit is dropped and counted, every message is
// either delivered or counted, and the subscription keeps working.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	const n = 2000 // 8 MiB: far more than a 16-message buffer plus what gRPC holds
	srv := natsgwtest.NewServer(t)

	t.Run("handler", func(t *testing.T) {
		t.Parallel()
		c := srv.Client(t, natsgw.WithOrg("slow-handler"))
		pub := srv.Client(t, natsgw.WithOrg("slow-handler"))
		ctx := testutil.Context(t)
		release := make(chan struct{})
		var data atomic.Int64
		markers := make(chan struct{}, 1)
		sub, err := c.Subscribe(ctx, "flood.>", func(m *natsgw.Msg) {
			<-release
			if m.Subject == "flood.marker" {
				markers <- struct{}{}
				return
			}
			data.Add(1)
		}, natsgw.WithBufferSize(16))
		testutil.NoErr(t, err, "subscribe")
		fast, _ := sink(t, pub, "flood.data")

		flood(t, pub, "flood.data", n)
		// A fast subscriber on the same subject has everything: the slow one's
		// buffer has long overflowed.
		recvN(t, fast, n, "fast subscriber")
		close(release)

		testutil.Poll(t, "every message delivered or counted as dropped", func() error {
			if got, dropped := data.Load(), sub.Dropped(); got+int64(dropped) != n {
				return fmt.Errorf("delivered %d + dropped %d != published %d", got, dropped, n)
			}
			return nil
		})
		if sub.Dropped() == 0 {
			t.Fatalf("nothing dropped: the gateway buffered all %d messages for a blocked subscriber", n)
		}
		t.Logf("delivered %d, dropped %d", data.Load(), sub.Dropped())
		testutil.NoErr(t, pub.Publish(ctx, "flood.marker", nil), "publish marker")
		testutil.Recv(t, markers, "a message after the drops")
	})

	t.Run("sync", func(t *testing.T) {
		t.Parallel()
		c := srv.Client(t, natsgw.WithOrg("slow-sync"))
		pub := srv.Client(t, natsgw.WithOrg("slow-sync"))
		ctx := testutil.Context(t)
		sub, err := c.SubscribeSync(ctx, "flood.>", natsgw.WithBufferSize(16))
		testutil.NoErr(t, err, "subscribe")
		fast, _ := sink(t, pub, "flood.data")
		flood(t, pub, "flood.data", n)
		recvN(t, fast, n, "fast subscriber")

		got := 0
		for uint64(got)+sub.Dropped() < n {
			m, err := sub.Next(ctx)
			testutil.NoErr(t, err, fmt.Sprintf("Next after %d delivered, %d dropped", got, sub.Dropped()))
			testutil.Equal(t, m.Subject, "flood.data", "subject")
			got++
		}
		testutil.Equal(t, uint64(got)+sub.Dropped(), uint64(n), "delivered + dropped")
		if sub.Dropped() == 0 {
			t.Fatal("nothing dropped")
		}
		testutil.NoErr(t, pub.Publish(ctx, "flood.marker", nil), "publish marker")
		m, err := sub.Next(ctx)
		testutil.NoErr(t, err, "Next after the drops")
		testutil.Equal(t, m.Subject, "flood.marker", "subject after the drops")
	})
}

// TestRestart: subscriptions and responders re-establish themselves after
// the gateway restarts, say so, and work again.
func TestRestart(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	events := make(chan natsgw.Event, 16)
	c := srv.Client(t, natsgw.WithOrg("acme"), natsgw.WithEventHandler(func(e natsgw.Event) { events <- e }))
	ctx := testutil.Context(t)
	got, sub := sink(t, c, "events.>")
	svc, err := c.Handle(ctx, "api.echo", func(m *natsgw.Msg) { _ = m.Respond(ctx, m.Data) })
	testutil.NoErr(t, err, "handle")
	oldID := sub.ID()

	srv.Restart()

	kinds := map[string][]natsgw.EventKind{}
	for range 4 {
		e := testutil.Recv(t, events, "subscription event")
		kinds[e.Subject] = append(kinds[e.Subject], e.Kind)
		if e.Kind == natsgw.SubscriptionLost && e.Err == nil {
			t.Errorf("%s: SubscriptionLost without a reason", e.Subject)
		}
	}
	want := []natsgw.EventKind{natsgw.SubscriptionLost, natsgw.SubscriptionRestored}
	testutil.Equal(t, kinds, map[string][]natsgw.EventKind{"events.>": want, "api.echo": want}, "events per subject")
	if sub.ID() == oldID || sub.ID() == "" {
		t.Errorf("subscription id %q after restore, was %q: want a new one", sub.ID(), oldID)
	}
	testutil.NoErr(t, sub.Err(), "subscription Err")
	testutil.NoErr(t, svc.Err(), "responder Err")

	testutil.NoErr(t, c.Publish(ctx, "events.after", []byte("restored")), "publish after restore")
	testutil.Equal(t, string(testutil.Recv(t, got, "delivery after restore").Data), "restored", "data")
	r, err := c.Request(ctx, "api.echo", []byte("ping"))
	testutil.NoErr(t, err, "request after restore")
	testutil.Equal(t, string(r.Data), "ping", "reply")
}

// TestRespondToPlainSubscriber: a message received through Subscribe is
// answered with the Reply call (Msg.Respond), whatever the reply subject.
func TestRespondToPlainSubscriber(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	nc := srv.NATS(t)
	ctx := testutil.Context(t)
	noReply := make(chan error, 1)
	_, err := c.Subscribe(ctx, "svc.plain", func(m *natsgw.Msg) {
		if m.Reply == "" {
			noReply <- m.Respond(ctx, nil)
			return
		}
		_ = m.RespondWithHeader(ctx, append([]byte("re: "), m.Data...), natsgw.Header{"from": {"plain"}})
	})
	testutil.NoErr(t, err, "subscribe")

	r, err := c.Request(ctx, "svc.plain", []byte("ping"))
	testutil.NoErr(t, err, "request")
	testutil.Equal(t, string(r.Data), "re: ping", "reply")
	testutil.Equal(t, r.Header.Get("from"), "plain", "reply header")

	// A reply-to in the caller's namespace, and one in its _INBOX space.
	replies, _ := sink(t, c, "svc.replies")
	testutil.NoErr(t, c.Publish(ctx, "svc.plain", []byte("a"), natsgw.WithReplyTo("svc.replies")), "publish with reply-to")
	m := testutil.Recv(t, replies, "reply to svc.replies")
	testutil.Equal(t, string(m.Data), "re: a", "reply data")

	inbox := rawSub(t, nc, "tenant.acme._INBOX.custom.1")
	testutil.NoErr(t, c.Publish(ctx, "svc.plain", []byte("b"), natsgw.WithReplyTo("_INBOX.custom.1")), "publish with an _INBOX reply-to")
	testutil.Equal(t, string(rawNext(t, inbox, "reply to _INBOX.custom.1").Data), "re: b", "reply data")

	testutil.NoErr(t, c.Publish(ctx, "svc.plain", []byte("c")), "publish without reply-to")
	testutil.ErrIs(t, testutil.Recv(t, noReply, "respond without a token"), natsgw.ErrNoReply, "Respond to a message without reply")
}

// TestReplyTokens: reply tokens are subjects of the caller's organization, so
// a token cannot reach outside it, whoever uses it.
func TestReplyTokens(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	nc := srv.NATS(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	bob := srv.Client(t, natsgw.WithOrg("bob"))
	ctx := testutil.Context(t)
	bobAll, _ := sink(t, bob, ">")
	acmeRaw, acmeCtx := rawMessaging(t, srv, "acme")
	bobRaw, bobCtx := rawMessaging(t, srv, "bob")

	// acme's responder hands its token to the test and answers once told.
	tokens := make(chan string, 1)
	answer := make(chan *natsgw.Msg, 1)
	_, err := acme.Subscribe(ctx, "svc.confined", func(m *natsgw.Msg) {
		tokens <- m.Reply
		answer <- m
	})
	testutil.NoErr(t, err, "subscribe")
	replies := make(chan *natsgw.Msg, 1)
	go func() {
		r, err := acme.Request(ctx, "svc.confined", []byte("q"))
		if err != nil {
			t.Errorf("request: %v", err)
		}
		replies <- r
	}()
	token := testutil.Recv(t, tokens, "reply token")
	if token == "" {
		t.Fatal("request delivered without a reply token")
	}

	// bob uses acme's token, by Reply and on a Serve stream: both land in
	// bob's own namespace.
	_, err = bobRaw.Reply(bobCtx, &natsgwv1.ReplyRequest{ReplyToken: token, Data: []byte("forged by Reply")})
	testutil.NoErr(t, err, "bob's Reply (lands in bob)")
	m := testutil.Recv(t, bobAll, "bob's forged reply")
	testutil.Equal(t, m.Subject, token, "subject of bob's reply, inside bob")
	testutil.Equal(t, string(m.Data), "forged by Reply", "data")

	serve, err := bobRaw.Serve(bobCtx)
	testutil.NoErr(t, err, "serve")
	testutil.NoErr(t, serve.Send(&natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Start{Start: &natsgwv1.ServeStart{Subject: "bob.svc"}}}), "start")
	_, err = serve.Recv()
	testutil.NoErr(t, err, "ready")
	testutil.NoErr(t, serve.Send(&natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Reply{Reply: &natsgwv1.ServeReply{ReplyToken: token, Data: []byte("forged by Serve")}}}), "send reply")
	m = testutil.Recv(t, bobAll, "bob's forged Serve reply")
	testutil.Equal(t, m.Subject, token, "subject of bob's Serve reply, inside bob")
	testutil.Equal(t, string(m.Data), "forged by Serve", "data")

	// acme's requester got neither: Request returns the first reply, and it
	// is acme's own, sent after both forgeries through the gateway's one NATS
	// connection (so a leaked forgery would have come first).
	testutil.NoErr(t, testutil.Recv(t, answer, "message").Respond(ctx, []byte("genuine")), "respond")
	testutil.Equal(t, string(testutil.Recv(t, replies, "reply").Data), "genuine", "the requester's reply")

	// _INBOX tokens work; reserved and malformed ones are rejected.
	inbox := rawSub(t, nc, "tenant.acme._INBOX.abc.def")
	_, err = acmeRaw.Reply(acmeCtx, &natsgwv1.ReplyRequest{ReplyToken: "_INBOX.abc.def", Data: []byte("to inbox")})
	testutil.NoErr(t, err, "reply to an _INBOX token")
	testutil.Equal(t, string(rawNext(t, inbox, "inbox reply").Data), "to inbox", "data")
	for _, bad := range []string{"", "$JS.ACK.s.c.1.1.1.1.0", "$SYS.REQ.SERVER.PING", "_natsgw.unsub.x", "a.*", "a.>", "a..b", "a b", "tenant.bob.x\r\n"} {
		_, err := acmeRaw.Reply(acmeCtx, &natsgwv1.ReplyRequest{ReplyToken: bad})
		testutil.Equal(t, codeOf(err), "InvalidArgument", fmt.Sprintf("Reply with token %q", bad))
	}
	// A token naming another organization's subject is just a subject
	// inside acme.
	_, err = acmeRaw.Reply(acmeCtx, &natsgwv1.ReplyRequest{ReplyToken: "tenant.bob.svc", Data: []byte("escape?")})
	testutil.NoErr(t, err, "reply to a look-alike token")
	// Nothing else reached bob: bob's marker, published after acme's reply,
	// is the next message bob's ">" receives.
	testutil.NoErr(t, bob.Publish(ctx, "marker", []byte("bob")), "bob's marker")
	testutil.Equal(t, testutil.Recv(t, bobAll, "bob's marker").Subject, "marker", "the next message in bob")
}

// TestNoDeliveryAfterUnsubscribe: once Unsubscribe returns no handler starts
// (with WithConcurrency too, whose workers may have messages queued) and Next
// reports the end rather than messages that were waiting.
func TestNoDeliveryAfterUnsubscribe(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	batch := make([]*natsgw.Msg, 10)
	for i := range batch {
		batch[i] = &natsgw.Msg{Subject: "busy", Data: []byte(fmt.Sprint(i))}
	}

	t.Run("handler", func(t *testing.T) {
		t.Parallel()
		// Each subtest's own context: a parallel subtest may wait for a
		// free slot longer than a context made before it would last.
		ctx := testutil.Context(t)
		c := srv.Client(t, natsgw.WithOrg("handler"))
		running := make(chan struct{}, len(batch))
		release := make(chan struct{})
		var unsubscribed atomic.Bool
		var late atomic.Int64
		sub, err := c.Subscribe(ctx, "busy", func(*natsgw.Msg) {
			if unsubscribed.Load() {
				late.Add(1)
			}
			running <- struct{}{}
			<-release
		}, natsgw.WithConcurrency(2))
		testutil.NoErr(t, err, "subscribe")
		_, err = c.PublishBatch(ctx, batch)
		testutil.NoErr(t, err, "publish")
		testutil.Recv(t, running, "first handler")
		testutil.Recv(t, running, "second handler")
		testutil.NoErr(t, sub.Unsubscribe(ctx), "unsubscribe")
		unsubscribed.Store(true)
		close(release)
		testutil.NoErr(t, c.Close(), "close (waits for the workers)")
		testutil.Equal(t, late.Load(), int64(0), "handlers started after Unsubscribe returned")
	})
	t.Run("sync", func(t *testing.T) {
		t.Parallel()
		ctx := testutil.Context(t)
		c := srv.Client(t, natsgw.WithOrg("sync"))
		sub, err := c.SubscribeSync(ctx, "busy")
		testutil.NoErr(t, err, "subscribe")
		_, err = c.PublishBatch(ctx, batch)
		testutil.NoErr(t, err, "publish")
		_, err = sub.Next(ctx)
		testutil.NoErr(t, err, "first message")
		testutil.NoErr(t, sub.Unsubscribe(ctx), "unsubscribe")
		m, err := sub.Next(ctx)
		if err == nil {
			t.Fatalf("Next after Unsubscribe returned message %q", m.Data)
		}
		testutil.ErrIs(t, err, natsgw.ErrClosed, "Next after Unsubscribe")
	})
}

// TestUnsubscribeFromHandler: a handler may end its own subscription (the
// brief's "receive N then stop"); nothing is delivered after it.
func TestUnsubscribeFromHandler(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	subCh := make(chan *natsgw.Subscription, 1)
	got := make(chan string, 10)
	unsubscribed := make(chan error, 1)
	sub, err := c.Subscribe(ctx, "three", func(m *natsgw.Msg) {
		got <- string(m.Data)
		if string(m.Data) == "2" {
			unsubscribed <- (<-subCh).Unsubscribe(ctx)
		}
	})
	testutil.NoErr(t, err, "subscribe")
	subCh <- sub
	batch := make([]*natsgw.Msg, 6)
	for i := range batch {
		batch[i] = &natsgw.Msg{Subject: "three", Data: []byte(fmt.Sprint(i))}
	}
	_, err = c.PublishBatch(ctx, batch)
	testutil.NoErr(t, err, "publish")
	testutil.NoErr(t, testutil.Recv(t, unsubscribed, "unsubscribe from the handler"), "unsubscribe")
	testutil.Recv(t, sub.Done(), "subscription done")
	for _, want := range []string{"0", "1", "2"} {
		testutil.Equal(t, testutil.Recv(t, got, "message"), want, "message")
	}
	testutil.NoRecv(t, got, "a message after the handler unsubscribed")
}

// TestFramesFitDefaultClients: the gateway splits deliveries into frames of
// about 1 MiB, headers included, so a plain gRPC client with the default
// 4 MiB receive limit gets header-heavy messages too.
func TestFramesFitDefaultClients(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	raw, _ := rawMessaging(t, srv, "acme")
	// This test checks frame sizes, not speed: about 14 MiB cross the
	// gateway twice, which under -race on a busy 2-core machine took longer
	// than testutil.Eventually once. The wait stays bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 6*testutil.Eventually)
	defer cancel()
	stream, err := raw.Subscribe(metadata.AppendToOutgoingContext(ctx, "x-natsgw-org", "acme"), subscribeReq("heavy"))
	testutil.NoErr(t, err, "subscribe")
	_, err = stream.Recv()
	testutil.NoErr(t, err, "ready")
	const n = 16
	hdr := natsgw.Header{"blob": {string(bytes.Repeat([]byte{'h'}, 900<<10))}}
	for range n / 4 {
		batch := make([]*natsgw.Msg, 4)
		for i := range batch {
			batch[i] = &natsgw.Msg{Subject: "heavy", Header: hdr}
		}
		_, err = c.PublishBatch(ctx, batch)
		testutil.NoErr(t, err, "publish")
	}
	for got := 0; got < n; {
		resp, err := stream.Recv()
		testutil.NoErr(t, err, fmt.Sprintf("receive after %d of %d messages", got, n))
		got += len(resp.GetMessages())
	}
}
