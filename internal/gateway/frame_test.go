package gateway

import (
	"bytes"
	"testing"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

func frameGateway(tb testing.TB) *Gateway {
	m, err := tenant.NewMapper(tenant.DefaultRoot)
	if err != nil {
		tb.Fatal(err)
	}
	return &Gateway{m: m}
}

// checkFrame encodes msgs as a frame for org acme and checks it against
// protobuf's encoding of the same response built with deliverable: the same
// bytes (exactly, when no message has more than one header, whose order
// protobuf does not fix), and the same failure for what protobuf cannot
// encode.
func checkFrame(t *testing.T, g *Gateway, msgs []*nats.Msg, dropped uint64) {
	t.Helper()
	want := &natsgwv1.SubscribeResponse{Dropped: dropped}
	ordered := true
	for _, m := range msgs {
		want.Messages = append(want.Messages, g.deliverable("acme", m))
		ordered = ordered && len(m.Header) <= 1
	}
	wantBytes, werr := proto.MarshalOptions{Deterministic: true}.Marshal(want)

	var frame []byte
	for _, m := range msgs {
		var ok bool
		if frame, ok = g.appendDelivered(frame, "acme", m); !ok {
			if werr == nil {
				t.Fatalf("appendDelivered refused %+v, which protobuf encodes", m)
			}
			return
		}
	}
	if werr != nil {
		t.Fatalf("appendDelivered encoded what protobuf refuses (%v)", werr)
	}
	frame = appendDropped(frame, dropped)
	if ordered && !bytes.Equal(frame, wantBytes) {
		t.Fatalf("frame\n%x\nprotobuf\n%x", frame, wantBytes)
	}
	var got natsgwv1.SubscribeResponse
	if err := proto.Unmarshal(frame, &got); err != nil {
		t.Fatalf("frame does not decode: %v", err)
	}
	if !proto.Equal(&got, want) {
		t.Fatalf("frame decodes to %v, want %v", &got, want)
	}
	// As gRPC sends it: the unknown fields of an empty response.
	resp := &natsgwv1.SubscribeResponse{}
	resp.ProtoReflect().SetUnknown(frame)
	if sent, err := proto.Marshal(resp); err != nil || !bytes.Equal(sent, frame) {
		t.Fatalf("sent %x (%v), want %x", sent, err, frame)
	}
}

func TestFrameEncoding(t *testing.T) {
	t.Parallel()
	g := frameGateway(t)
	big := bytes.Repeat([]byte("x"), 300)
	msg := func(subj, reply string, data []byte, h nats.Header) *nats.Msg {
		return &nats.Msg{Subject: subj, Reply: reply, Data: data, Header: h}
	}
	cases := []struct {
		name    string
		msgs    []*nats.Msg
		dropped uint64
	}{
		{"empty", nil, 0},
		{"dropped only", nil, 1 << 40},
		{"plain", []*nats.Msg{
			msg("tenant.acme.events.user.login", "", []byte("hi"), nil),
			msg("tenant.acme.events.user.login", "", nil, nil),
			msg("tenant.acme.x", "", big, nil),
		}, 3},
		{"reply", []*nats.Msg{
			msg("tenant.acme.api.echo", "tenant.acme._INBOX.gw.1", []byte("ping"), nil),
			msg("tenant.acme.api.echo", "_INBOX.raw.1", []byte("ping"), nil), // outside the org: no token
		}, 0},
		{"foreign subject", []*nats.Msg{msg("tenant.bob.secret", "", []byte("x"), nil)}, 0},
		{"one header", []*nats.Msg{msg("tenant.acme.a", "", []byte("x"), nats.Header{"K": {"v1", "", "v3"}})}, 0},
		{"empty header values", []*nats.Msg{msg("tenant.acme.a", "", nil, nats.Header{"K": {}})}, 0},
		{"headers", []*nats.Msg{msg("tenant.acme.a", "", []byte("x"), nats.Header{"A": {"1"}, "B": {"2", "3"}, "C": {string(big)}})}, 9},
		{"bad UTF-8 subject", []*nats.Msg{msg("tenant.acme.a", "", nil, nil), msg("tenant.acme.\xff", "", nil, nil)}, 0},
		{"bad UTF-8 header key", []*nats.Msg{msg("tenant.acme.a", "", nil, nats.Header{"\xfe": {"v"}})}, 0},
		{"bad UTF-8 header value", []*nats.Msg{msg("tenant.acme.a", "", nil, nats.Header{"K": {"ok", "\xc0"}})}, 0},
		{"bad UTF-8 reply", []*nats.Msg{msg("tenant.acme.a", "tenant.acme.\xff", nil, nil)}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkFrame(t, g, tc.msgs, tc.dropped) })
	}
}

// FuzzFrameEncoding checks frames against protobuf for arbitrary messages.
func FuzzFrameEncoding(f *testing.F) {
	f.Add("tenant.acme.a.b", "tenant.acme._INBOX.x", []byte("data"), "Key", "value", "v2", uint64(0))
	f.Add("tenant.acme.\xff", "", []byte(nil), "", "", "", uint64(7))
	f.Add("tenant.bob.a", "_INBOX.1", []byte{0, 255}, "K", "\xc0", "", uint64(1<<63))
	g := frameGateway(f)
	f.Fuzz(func(t *testing.T, subj, reply string, data []byte, key, v1, v2 string, dropped uint64) {
		var h nats.Header
		if key != "" {
			h = nats.Header{key: {v1, v2}}
		}
		msgs := []*nats.Msg{
			{Subject: subj, Reply: reply, Data: data, Header: h},
			{Subject: "tenant.acme." + subj, Reply: "tenant.acme." + reply, Data: data},
		}
		checkFrame(t, g, msgs, dropped)
	})
}

// BenchmarkFrame compares a frame of 256 messages of 128 bytes encoded here
// (and copied by protobuf, as gRPC does) with the same frame encoded by
// protobuf from Messages (reused, as the delivery loop reused them before
// frame.go).
func BenchmarkFrame(b *testing.B) {
	g := frameGateway(b)
	msgs := make([]*nats.Msg, 256)
	for i := range msgs {
		msgs[i] = &nats.Msg{Subject: "tenant.acme.bench.sub.1", Data: bytes.Repeat([]byte("a"), 128)}
	}
	b.Run("encoder=protobuf", func(b *testing.B) {
		resp := &natsgwv1.SubscribeResponse{Messages: make([]*natsgwv1.Message, len(msgs))}
		for i := range resp.Messages {
			resp.Messages[i] = new(natsgwv1.Message)
		}
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			for i, m := range msgs {
				subj, _ := g.m.ClientSubject("acme", m.Subject)
				tok, _ := g.m.ClientReplyToken("acme", m.Reply)
				out := resp.Messages[i]
				out.Subject, out.Data, out.Headers, out.ReplyToken = subj, m.Data, fromNATSHeader(m.Header), tok
			}
			var err error
			if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], resp); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
	})
	b.Run("encoder=frame", func(b *testing.B) {
		var frame, buf []byte
		resp := &natsgwv1.SubscribeResponse{}
		b.ReportAllocs()
		for b.Loop() {
			frame = frame[:0]
			for _, m := range msgs {
				frame, _ = g.appendDelivered(frame, "acme", m)
			}
			resp.ProtoReflect().SetUnknown(frame)
			var err error
			if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], resp); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
	})
}
