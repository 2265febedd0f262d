package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// Every malformed request gets InvalidArgument with a BadRequest field
// violation naming the field; none of them reaches NATS or panics the
// gateway. The table goes through a plain gRPC client, as any language's
// client would.

func hv(vals ...string) *natsgwv1.HeaderValues { return &natsgwv1.HeaderValues{Values: vals} }

func msg(subject string) *natsgwv1.OutgoingMessage {
	return &natsgwv1.OutgoingMessage{Subject: subject, Data: []byte("x")}
}

func withHeaders(m *natsgwv1.OutgoingMessage, h map[string]*natsgwv1.HeaderValues) *natsgwv1.OutgoingMessage {
	m.Headers = h
	return m
}

func withReply(m *natsgwv1.OutgoingMessage, reply string) *natsgwv1.OutgoingMessage {
	m.ReplyTo = reply
	return m
}

// Inputs shared by several RPCs.
var (
	badSubjects = []string{
		"", ".", "a.", ".a", "a..b", "a b", "a\tb", "a\nb", "a\x00b", "a\x7fb",
		strings.Repeat("a", 1025),
		"$JS.API.STREAM.LIST", "$SYS.REQ.SERVER.PING", "$KV.b.k", "_INBOX.x", "_natsgw.unsub.x",
	}
	wildcardSubjects  = []string{"*", ">", "a.*", "a.>", "*.a", "a.*.b"}
	badPatterns       = []string{"a.>.b", ">.a", "$JS.>", "_INBOX.>", "_natsgw.>", "$>"}
	badHeaders        = map[string]map[string]*natsgwv1.HeaderValues{}
	badQueueGroups    = []string{"a b", "a*", "a>", "a/b", "q\x00", "ü", strings.Repeat("q", 65)}
	badSubscriptionID = []string{"", "a-b", "a.b", "a b", "../x", strings.Repeat("a", 65)}
)

func init() {
	for _, k := range []string{
		"", "a b", "a:b", "a\x01b", "a\x7f", "a\rb", "a\nb", strings.Repeat("k", 257),
		// Printable, but refused by NATS clients.
		"a/b", "a@b", "a(b)", `a"b`, "a=b", "a;b", "a,b", "a{b}", "a[b]", `a\b`, "a<b>", "a?b", "ü",
	} {
		badHeaders[fmt.Sprintf("key %q", k)] = map[string]*natsgwv1.HeaderValues{k: hv("v")}
	}
	for _, v := range []string{"a\rb", "a\nb", "\r\n"} {
		badHeaders[fmt.Sprintf("value %q", v)] = map[string]*natsgwv1.HeaderValues{"k": hv("ok", v)}
	}
	badHeaders["no values"] = map[string]*natsgwv1.HeaderValues{"k": hv()}
	badHeaders["nil values"] = map[string]*natsgwv1.HeaderValues{"k": nil}
}

type invalidCase struct {
	name  string
	field string
	call  func(ctx context.Context, c natsgwv1.MessagingServiceClient) error
}

func publishCase(name, field string, m *natsgwv1.OutgoingMessage) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		_, err := c.Publish(ctx, &natsgwv1.PublishRequest{Message: m})
		return err
	}}
}

func batchCase(name, field string, msgs ...*natsgwv1.OutgoingMessage) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		_, err := c.PublishBatch(ctx, &natsgwv1.PublishBatchRequest{Messages: msgs})
		return err
	}}
}

// streamCase sends frames on a PublishStream; the stream's end is the result.
func streamCase(name, field string, frames ...*natsgwv1.PublishStreamRequest) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		s, err := c.PublishStream(ctx)
		if err != nil {
			return err
		}
		for _, f := range frames {
			if err := s.Send(f); err != nil {
				break // the status comes from Recv
			}
		}
		_ = s.CloseSend()
		for {
			if _, err := s.Recv(); err != nil {
				return err
			}
		}
	}}
}

func subscribeCase(name, field string, req *natsgwv1.SubscribeRequest) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		s, err := c.Subscribe(ctx, req)
		if err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}}
}

func requestCase(name, field string, req *natsgwv1.RequestRequest) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		_, err := c.Request(ctx, req)
		return err
	}}
}

// serveCase sends frames on a Serve stream and reads until it ends.
func serveCase(name, field string, frames ...*natsgwv1.ServeRequest) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		s, err := c.Serve(ctx)
		if err != nil {
			return err
		}
		for _, f := range frames {
			if err := s.Send(f); err != nil {
				break
			}
		}
		for {
			if _, err := s.Recv(); err != nil {
				return err
			}
		}
	}}
}

func start(subject, queue string, buf uint32) *natsgwv1.ServeRequest {
	return &natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Start{Start: &natsgwv1.ServeStart{Subject: subject, QueueGroup: queue, BufferSize: buf}}}
}

func serveReply(token string, h map[string]*natsgwv1.HeaderValues) *natsgwv1.ServeRequest {
	return &natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Reply{Reply: &natsgwv1.ServeReply{ReplyToken: token, Headers: h}}}
}

func replyCase(name, field string, req *natsgwv1.ReplyRequest) invalidCase {
	return invalidCase{name, field, func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
		_, err := c.Reply(ctx, req)
		return err
	}}
}

func invalidCases() []invalidCase {
	var cs []invalidCase
	many := make([]*natsgwv1.OutgoingMessage, 10001)
	for i := range many {
		many[i] = msg("a")
	}

	// Publish.
	cs = append(cs, publishCase("nil message", "message", nil))
	for _, s := range append(append([]string{}, badSubjects...), wildcardSubjects...) {
		cs = append(cs, publishCase(fmt.Sprintf("subject %q", s), "message.subject", msg(s)))
	}
	for _, r := range append(append([]string{}, badSubjects[1:]...), wildcardSubjects...) {
		if strings.HasPrefix(r, "_INBOX") {
			continue // a reply-to may name an inbox
		}
		cs = append(cs, publishCase(fmt.Sprintf("reply_to %q", r), "message.reply_to", withReply(msg("a"), r)))
	}
	for name, h := range badHeaders {
		cs = append(cs, publishCase("header "+name, "message.headers", withHeaders(msg("a"), h)))
	}

	// PublishBatch.
	cs = append(cs,
		batchCase("empty batch", "messages"),
		batchCase("10001 messages", "messages", many...),
		batchCase("nil message (sent as empty)", "messages[1].subject", msg("a"), nil),
		batchCase("bad subject", "messages[2].subject", msg("a"), msg("b"), msg("a..b")),
		batchCase("wildcard", "messages[0].subject", msg("a.>")),
		batchCase("reserved", "messages[0].subject", msg("$JS.API.INFO")),
		batchCase("bad reply_to", "messages[0].reply_to", withReply(msg("a"), "$JS.ACK.x")),
		batchCase("bad header", "messages[1].headers", msg("a"), withHeaders(msg("a"), badHeaders[`key "a:b"`])),
	)

	// PublishStream.
	cs = append(cs,
		streamCase("10001 messages in a frame", "messages", &natsgwv1.PublishStreamRequest{Messages: many}),
		streamCase("bad subject", "messages[1].subject", &natsgwv1.PublishStreamRequest{Messages: []*natsgwv1.OutgoingMessage{msg("a"), msg("a b")}}),
		streamCase("bad subject in a later frame", "messages[0].subject",
			&natsgwv1.PublishStreamRequest{Messages: []*natsgwv1.OutgoingMessage{msg("a")}, Flush: true},
			&natsgwv1.PublishStreamRequest{Messages: []*natsgwv1.OutgoingMessage{msg("_natsgw.x")}}),
		streamCase("nil message (sent as empty)", "messages[0].subject", &natsgwv1.PublishStreamRequest{Messages: []*natsgwv1.OutgoingMessage{nil}}),
		streamCase("bad header", "messages[0].headers", &natsgwv1.PublishStreamRequest{Messages: []*natsgwv1.OutgoingMessage{withHeaders(msg("a"), badHeaders["no values"])}}),
	)

	// Subscribe.
	for _, s := range append(append([]string{}, badSubjects...), badPatterns...) {
		cs = append(cs, subscribeCase(fmt.Sprintf("subject %q", s), "subject", &natsgwv1.SubscribeRequest{Subject: s}))
	}
	for _, q := range badQueueGroups {
		cs = append(cs, subscribeCase(fmt.Sprintf("queue group %q", q), "queue_group", &natsgwv1.SubscribeRequest{Subject: "a", QueueGroup: q}))
	}
	cs = append(cs, subscribeCase("buffer_size 65537", "buffer_size", &natsgwv1.SubscribeRequest{Subject: "a", BufferSize: 65537}))

	// Unsubscribe.
	for _, id := range badSubscriptionID {
		cs = append(cs, invalidCase{fmt.Sprintf("subscription id %q", id), "subscription_id", func(ctx context.Context, c natsgwv1.MessagingServiceClient) error {
			_, err := c.Unsubscribe(ctx, &natsgwv1.UnsubscribeRequest{SubscriptionId: id})
			return err
		}})
	}

	// Request.
	cs = append(cs,
		requestCase("nil message", "message", &natsgwv1.RequestRequest{}),
		requestCase("wildcard", "message.subject", &natsgwv1.RequestRequest{Message: msg("api.*")}),
		requestCase("reserved", "message.subject", &natsgwv1.RequestRequest{Message: msg("_INBOX.x")}),
		requestCase("reply_to set", "message.reply_to", &natsgwv1.RequestRequest{Message: withReply(msg("api"), "replies")}),
		requestCase("bad header", "message.headers", &natsgwv1.RequestRequest{Message: withHeaders(msg("api"), badHeaders[`key ""`])}),
		requestCase("negative timeout", "timeout", &natsgwv1.RequestRequest{Message: msg("api"), Timeout: durationpb.New(-time.Second)}),
		requestCase("zero timeout", "timeout", &natsgwv1.RequestRequest{Message: msg("api"), Timeout: durationpb.New(0)}),
		requestCase("timeout over 10 minutes", "timeout", &natsgwv1.RequestRequest{Message: msg("api"), Timeout: durationpb.New(11 * time.Minute)}),
		requestCase("malformed timeout", "timeout", &natsgwv1.RequestRequest{Message: msg("api"), Timeout: &durationpb.Duration{Seconds: 1, Nanos: -5}}),
	)

	// Serve.
	cs = append(cs,
		serveCase("first frame is a reply", "start", serveReply("a", nil)),
		serveCase("first frame is empty", "start", &natsgwv1.ServeRequest{}),
		serveCase("bad subject", "start.subject", start("a..b", "", 0)),
		serveCase("reserved subject", "start.subject", start("$JS.API.>", "", 0)),
		serveCase("bad queue group", "start.queue_group", start("a", "a b", 0)),
		serveCase("buffer_size 65537", "start.buffer_size", start("a", "", 65537)),
		serveCase("second start", "reply", start("a", "", 0), start("b", "", 0)),
		serveCase("empty frame after start", "reply", start("a", "", 0), &natsgwv1.ServeRequest{}),
		serveCase("bad reply token", "reply.reply_token", start("a", "", 0), serveReply("$JS.ACK.x", nil)),
		serveCase("wildcard reply token", "reply.reply_token", start("a", "", 0), serveReply("a.*", nil)),
		serveCase("bad reply header", "reply.headers", start("a", "", 0), serveReply("a", badHeaders[`value "a\nb"`])),
	)

	// Reply.
	for _, tok := range append(append([]string{""}, badSubjects[1:]...), wildcardSubjects...) {
		if strings.HasPrefix(tok, "_INBOX") {
			continue // inbox tokens are valid
		}
		cs = append(cs, replyCase(fmt.Sprintf("token %q", tok), "reply_token", &natsgwv1.ReplyRequest{ReplyToken: tok}))
	}
	for name, h := range badHeaders {
		cs = append(cs, replyCase("header "+name, "headers", &natsgwv1.ReplyRequest{ReplyToken: "a", Headers: h}))
	}
	return cs
}

func rawClient(t *testing.T, srv *natsgwtest.Server) natsgwv1.MessagingServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "grpc client")
	t.Cleanup(func() { conn.Close() })
	return natsgwv1.NewMessagingServiceClient(conn)
}

// wantInvalid checks that err is InvalidArgument with a field violation for
// field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument for %s", err, field)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field && v.GetDescription() != "" {
					return
				}
			}
			t.Fatalf("field violations %v do not name %q (message %q)", br.GetFieldViolations(), field, st.Message())
		}
	}
	t.Fatalf("InvalidArgument %q has no BadRequest detail (want field %q)", st.Message(), field)
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := rawClient(t, srv)
	nc := srv.NATS(t)
	// Nothing malformed may reach NATS.
	leak, err := nc.SubscribeSync(">")
	testutil.NoErr(t, err, "watch all of NATS")
	testutil.NoErr(t, nc.Flush(), "flush")

	for _, tc := range invalidCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.AppendToOutgoingContext(testutil.Context(t), "x-natsgw-org", "acme")
			wantInvalid(t, tc.call(ctx, c), tc.field)
		})
	}
	t.Cleanup(func() {
		for {
			m, err := leak.NextMsg(0)
			if err != nil {
				return
			}
			if !strings.HasPrefix(m.Subject, "$JS.") && !strings.HasPrefix(m.Subject, "_INBOX.") {
				// PublishStream's valid messages before the bad one are
				// published by design: "tenant.acme.a".
				if m.Subject != "tenant.acme.a" {
					t.Errorf("malformed input reached NATS: %s %q", m.Subject, m.Data)
				}
			}
		}
	})
}

func TestInvalidMetadata(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := rawClient(t, srv)
	cases := []struct {
		name  string
		md    []string
		field string
	}{
		{"uppercase org", []string{"x-natsgw-org", "ACME"}, "x-natsgw-org"},
		{"org with a dot", []string{"x-natsgw-org", "acme.bob"}, "x-natsgw-org"},
		{"org with a wildcard", []string{"x-natsgw-org", "*"}, "x-natsgw-org"},
		{"org with >", []string{"x-natsgw-org", ">"}, "x-natsgw-org"},
		{"org with _", []string{"x-natsgw-org", "acme_x"}, "x-natsgw-org"},
		{"long org", []string{"x-natsgw-org", strings.Repeat("a", 33)}, "x-natsgw-org"},
		{"org twice", []string{"x-natsgw-org", "acme", "x-natsgw-org", "bob"}, "x-natsgw-org"},
		{"user with a slash", []string{"x-natsgw-user", "a/b"}, "x-natsgw-user"},
		{"user with a space", []string{"x-natsgw-user", "a b"}, "x-natsgw-user"},
		{"long user", []string{"x-natsgw-user", strings.Repeat("u", 65)}, "x-natsgw-user"},
		{"user twice", []string{"x-natsgw-user", "a", "x-natsgw-user", "b"}, "x-natsgw-user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.AppendToOutgoingContext(testutil.Context(t), tc.md...)
			_, err := c.Publish(ctx, &natsgwv1.PublishRequest{Message: msg("a")})
			wantInvalid(t, err, tc.field)
			s, err := c.Subscribe(ctx, &natsgwv1.SubscribeRequest{Subject: "a"})
			testutil.NoErr(t, err, "open subscribe")
			_, err = s.Recv()
			wantInvalid(t, err, tc.field)
		})
	}
}
