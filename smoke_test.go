package natsgw_test

import (
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

func TestSmoke(t *testing.T) {
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got := make(chan *natsgw.Msg, 10)
	_, err := c.Subscribe(ctx, "events.user.*", func(m *natsgw.Msg) { got <- m })
	testutil.NoErr(t, err, "subscribe")
	testutil.NoErr(t, c.Publish(ctx, "events.user.login", []byte("hi")), "publish")
	m := testutil.Recv(t, got, "message")
	testutil.Equal(t, m.Subject, "events.user.login", "subject")
	h, err := c.Health(ctx)
	testutil.NoErr(t, err, "health")
	t.Logf("%+v", h)
	_, err = c.Handle(ctx, "api.echo", func(m *natsgw.Msg) { _ = m.Respond(ctx, m.Data) })
	testutil.NoErr(t, err, "handle")
	r, err := c.Request(ctx, "api.echo", []byte("hello"))
	testutil.NoErr(t, err, "request")
	testutil.Equal(t, string(r.Data), "hello", "reply")
	_, err = c.Request(ctx, "api.nobody", nil)
	testutil.ErrIs(t, err, natsgw.ErrNoResponders, "no responders")
}
