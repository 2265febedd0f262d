package natsgw_test

import (
	"testing"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// orgWorld is one gateway with three organizations: acme acts; bob and the
// look-alike acme-2 watch everything they can (">" and patterns that look
// like acme's NATS subjects) and must see nothing of acme's.
type orgWorld struct {
	srv             *natsgwtest.Server
	acme, bob, look *natsgw.Client
	// acmeAll is acme's own ">" (the positive control).
	acmeAll <-chan *natsgw.Msg
	// watchers of the other organizations, by org.
	watchers map[string][]<-chan *natsgw.Msg
}

const marker = "tenant.acme.marker"

func newOrgWorld(t *testing.T) *orgWorld {
	t.Helper()
	srv := natsgwtest.NewServer(t)
	w := &orgWorld{
		srv:      srv,
		acme:     srv.Client(t, natsgw.WithOrg("acme")),
		bob:      srv.Client(t, natsgw.WithOrg("bob")),
		look:     srv.Client(t, natsgw.WithOrg("acme-2")),
		watchers: map[string][]<-chan *natsgw.Msg{},
	}
	w.acmeAll, _ = sink(t, w.acme, ">")
	for org, c := range map[string]*natsgw.Client{"bob": w.bob, "acme-2": w.look} {
		for _, pattern := range []string{">", "*.>", "tenant.acme.>"} {
			ch, _ := sink(t, c, pattern)
			w.watchers[org] = append(w.watchers[org], ch)
		}
		// A responder for everything: requests reach it like messages.
		served := make(chan *natsgw.Msg, 64)
		_, err := c.Handle(testutil.Context(t), ">", func(m *natsgw.Msg) { served <- m })
		testutil.NoErr(t, err, "handle >")
		w.watchers[org] = append(w.watchers[org], served)
	}
	return w
}

// clean proves that the watchers saw nothing of what acme did so far: each
// other organization publishes a marker, and each of its watchers must reach
// the marker having seen only its own organization's messages (whose data is
// the organization's name). Everything goes through the gateway's one NATS
// connection in call order, so anything of acme's that had leaked would
// arrive before the marker.
func (w *orgWorld) clean(t *testing.T) {
	t.Helper()
	ctx := testutil.Context(t)
	for org, c := range map[string]*natsgw.Client{"bob": w.bob, "acme-2": w.look} {
		testutil.NoErr(t, c.Publish(ctx, marker, []byte(org)), "marker")
		for _, ch := range w.watchers[org] {
			for {
				m := testutil.Recv(t, ch, org+" watcher")
				if string(m.Data) != org {
					t.Fatalf("%s saw %s %q of another organization", org, m.Subject, m.Data)
				}
				if m.Subject == marker {
					break
				}
			}
		}
	}
}

// acmeGot checks what acme's own ">" received.
func (w *orgWorld) acmeGot(t *testing.T, subjects ...string) {
	t.Helper()
	for _, s := range subjects {
		testutil.Equal(t, testutil.Recv(t, w.acmeAll, "acme's own delivery").Subject, s, "acme's delivery")
	}
}

func TestCrossOrg(t *testing.T) {
	t.Parallel()
	t.Run("Publish", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		ctx := testutil.Context(t)
		for _, s := range []string{"events.x", "tenant.bob.events.x", "acme-2.x"} {
			testutil.NoErr(t, w.acme.Publish(ctx, s, []byte("acme"), natsgw.WithReplyTo("replies.x")), "publish "+s)
		}
		w.acmeGot(t, "events.x", "tenant.bob.events.x", "acme-2.x")
		w.clean(t)
	})
	t.Run("PublishBatch", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		_, err := w.acme.PublishBatch(testutil.Context(t), []*natsgw.Msg{{Subject: "events.x"}, {Subject: "tenant.bob.x"}})
		testutil.NoErr(t, err, "publish batch")
		w.acmeGot(t, "events.x", "tenant.bob.x")
		w.clean(t)
	})
	t.Run("PublishStream", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		ctx := testutil.Context(t)
		p, err := w.acme.NewPublisher(ctx)
		testutil.NoErr(t, err, "publisher")
		testutil.NoErr(t, p.Publish("events.x", nil), "publish")
		testutil.NoErr(t, p.Publish("tenant.bob.x", nil), "publish")
		testutil.NoErr(t, p.Close(ctx), "close publisher")
		w.acmeGot(t, "events.x", "tenant.bob.x")
		w.clean(t)
	})
	t.Run("Subscribe", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		ctx := testutil.Context(t)
		// bob publishes on the subject that would be acme's if mapping leaked;
		// acme's ">" sees nothing of it: acme's own message comes next.
		testutil.NoErr(t, w.bob.Publish(ctx, "tenant.acme.events.x", []byte("bob")), "bob publishes")
		testutil.NoErr(t, w.acme.Publish(ctx, "mine", nil), "acme publishes")
		w.acmeGot(t, "mine")
		for _, ch := range w.watchers["bob"] {
			testutil.Equal(t, string(testutil.Recv(t, ch, "bob's own message").Data), "bob", "bob's delivery")
		}
		w.clean(t)
	})
	t.Run("Unsubscribe", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		ctx := testutil.Context(t)
		got, sub := sink(t, w.acme, "events.x")
		for _, org := range []string{"bob", "acme-2"} {
			raw, orgCtx := rawMessaging(t, w.srv, org)
			_, err := raw.Unsubscribe(orgCtx, unsubscribeReq(sub.ID()))
			testutil.Equal(t, codeOf(err), "NotFound", org+" unsubscribing acme's subscription")
		}
		testutil.NoErr(t, w.acme.Publish(ctx, "events.x", nil), "publish")
		testutil.Recv(t, got, "acme's subscription still delivers")
		w.acmeGot(t, "events.x")
		w.clean(t)
	})
	t.Run("Request", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		// bob and acme-2 serve ">" and would answer; acme's request reaches
		// only acme's own ">" subscriber, which does not answer.
		_, err := w.acme.Request(within(t, testutil.Never), "api.x", []byte("acme"))
		testutil.ErrIs(t, err, natsgw.ErrTimeout, "acme's request with only other organizations' responders")
		w.acmeGot(t, "api.x")
		w.clean(t)
	})
	t.Run("RequestNoResponders", func(t *testing.T) {
		t.Parallel()
		srv := natsgwtest.NewServer(t)
		ctx := testutil.Context(t)
		for _, org := range []string{"bob", "acme-2"} {
			c := srv.Client(t, natsgw.WithOrg(org))
			for _, subject := range []string{">", "api.x", "tenant.acme.api.x"} {
				_, err := c.Handle(ctx, subject, func(m *natsgw.Msg) { _ = m.Respond(ctx, []byte(org)) })
				testutil.NoErr(t, err, "handle")
			}
		}
		acme := srv.Client(t, natsgw.WithOrg("acme"))
		_, err := acme.Request(ctx, "api.x", []byte("acme"))
		testutil.ErrIs(t, err, natsgw.ErrNoResponders, "acme's request with only other organizations' responders")
	})
	t.Run("Serve", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		ctx := testutil.Context(t)
		served := make(chan *natsgw.Msg, 4)
		_, err := w.acme.Handle(ctx, "api.y", func(m *natsgw.Msg) {
			served <- m
			_ = m.Respond(ctx, []byte("acme"))
		})
		testutil.NoErr(t, err, "handle")
		r, err := w.acme.Request(ctx, "api.y", []byte("acme"))
		testutil.NoErr(t, err, "acme's own request")
		testutil.Equal(t, string(r.Data), "acme", "reply")
		testutil.Recv(t, served, "acme's request")
		w.acmeGot(t, "api.y")
		// Only acme-2's own ">" responder hears acme-2's request: acme's
		// responder never sees it.
		_, err = w.look.Request(within(t, testutil.Never), "api.y", []byte("acme-2"))
		testutil.ErrIs(t, err, natsgw.ErrTimeout, "acme-2's request (served by its own silent responder)")
		w.clean(t)
		// acme's responder saw nothing of acme-2's: acme's own request,
		// made after it, is the next one it serves.
		_, err = w.acme.Request(ctx, "api.y", []byte("marker"))
		testutil.NoErr(t, err, "acme's marker request")
		testutil.Equal(t, string(testutil.Recv(t, served, "acme's marker request").Data), "marker", "the next request at acme's responder")
	})
	t.Run("Reply", func(t *testing.T) {
		t.Parallel()
		w := newOrgWorld(t)
		raw, ctx := rawMessaging(t, w.srv, "acme")
		for _, token := range []string{"events.x", "_INBOX.x.y", "tenant.bob.events.x"} {
			_, err := raw.Reply(ctx, &natsgwv1.ReplyRequest{ReplyToken: token, Data: []byte("acme")})
			testutil.NoErr(t, err, "reply to "+token)
		}
		w.acmeGot(t, "events.x", "_INBOX.x.y", "tenant.bob.events.x")
		w.clean(t)
	})
}
