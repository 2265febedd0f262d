package natsgw_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// sink subscribes handler-style and hands every message to the returned
// channel (buffered, so the handler never blocks the subscription).
func sink(t *testing.T, c *natsgw.Client, subject string, opts ...natsgw.SubOption) (<-chan *natsgw.Msg, *natsgw.Subscription) {
	t.Helper()
	ch := make(chan *natsgw.Msg, 4096)
	sub, err := c.Subscribe(testutil.Context(t), subject, func(m *natsgw.Msg) { ch <- m }, opts...)
	testutil.NoErr(t, err, "subscribe "+subject)
	return ch, sub
}

// recvN reads n messages from ch.
func recvN(t *testing.T, ch <-chan *natsgw.Msg, n int, what string) []*natsgw.Msg {
	t.Helper()
	out := make([]*natsgw.Msg, n)
	for i := range out {
		out[i] = testutil.Recv(t, ch, fmt.Sprintf("%s: message %d of %d", what, i+1, n))
	}
	return out
}

// subjects lists the messages' subjects.
func subjects(msgs []*natsgw.Msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Subject
	}
	return out
}

// interest reports whether some NATS subscription receives natsSubject: a
// raw request to it gets "no responders" only when nobody is subscribed.
func interest(nc *nats.Conn, natsSubject string) bool {
	_, err := nc.Request(natsSubject, nil, testutil.Never)
	return !errors.Is(err, nats.ErrNoResponders)
}

// noInterest fails unless nobody is subscribed to natsSubject right now.
func noInterest(t *testing.T, nc *nats.Conn, natsSubject, what string) {
	t.Helper()
	if interest(nc, natsSubject) {
		t.Fatalf("%s: NATS still has a subscription on %s", what, natsSubject)
	}
}

// eventuallyNoInterest waits until nobody is subscribed to natsSubject.
func eventuallyNoInterest(t *testing.T, nc *nats.Conn, natsSubject, what string) {
	t.Helper()
	testutil.Poll(t, what, func() error {
		if interest(nc, natsSubject) {
			return fmt.Errorf("NATS still has a subscription on %s", natsSubject)
		}
		return nil
	})
}

// rawMessaging is a plain gRPC client of srv acting as org, for what the SDK
// does not expose (raw streams, foreign reply tokens).
func rawMessaging(t *testing.T, srv *natsgwtest.Server, org string) (natsgwv1.MessagingServiceClient, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "grpc client")
	t.Cleanup(func() { conn.Close() })
	ctx := metadata.AppendToOutgoingContext(testutil.Context(t), "x-natsgw-org", org)
	return natsgwv1.NewMessagingServiceClient(conn), ctx
}

// rawSub subscribes on the raw NATS connection and returns its messages.
func rawSub(t *testing.T, nc *nats.Conn, natsSubject string) *nats.Subscription {
	t.Helper()
	sub, err := nc.SubscribeSync(natsSubject)
	testutil.NoErr(t, err, "raw subscribe "+natsSubject)
	testutil.NoErr(t, nc.Flush(), "raw flush")
	return sub
}

// rawNext reads the next raw message.
func rawNext(t *testing.T, sub *nats.Subscription, what string) *nats.Msg {
	t.Helper()
	m, err := sub.NextMsg(testutil.Eventually)
	testutil.NoErr(t, err, what)
	return m
}

// rawNone checks that no raw message arrives within testutil.Never.
func rawNone(t *testing.T, sub *nats.Subscription, what string) {
	t.Helper()
	if m, err := sub.NextMsg(testutil.Never); err == nil {
		t.Fatalf("%s: unexpected message on %s: %q", what, m.Subject, m.Data)
	}
}

// within returns a context that ends after d (or with the test).
func within(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func subscribeReq(subject string) *natsgwv1.SubscribeRequest {
	return &natsgwv1.SubscribeRequest{Subject: subject}
}

func unsubscribeReq(id string) *natsgwv1.UnsubscribeRequest {
	return &natsgwv1.UnsubscribeRequest{SubscriptionId: id}
}

// codeOf is err's gRPC status code, by name ("OK" for nil).
func codeOf(err error) string { return status.Code(err).String() }
