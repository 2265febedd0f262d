package natsgw

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// deliverySeeds are responses as the gateway sends them.
func deliverySeeds() []*natsgwv1.SubscribeResponse {
	hv := func(v ...string) *natsgwv1.HeaderValues { return &natsgwv1.HeaderValues{Values: v} }
	return []*natsgwv1.SubscribeResponse{
		{Ready: &natsgwv1.SubscriptionReady{SubscriptionId: "Wv3nS5gqXkHbm2", MaxPayload: 8 << 20}},
		{Ready: &natsgwv1.SubscriptionReady{}},
		{Messages: []*natsgwv1.Message{
			{Subject: "events.user.login", Data: []byte("hi")},
			{Subject: "events.user.login", Data: []byte{0, 1, 2, 255}},
			{Subject: "events.user.logout"},
			{Subject: "api.echo", Data: []byte("ping"), ReplyToken: "_INBOX.abc.1",
				Headers: map[string]*natsgwv1.HeaderValues{"A": hv("1", "2"), "b": hv("x"), "Empty": hv()}},
		}, Dropped: 7},
		{Dropped: 1 << 40},
	}
}

// want is what the protobuf decoding of b followed by the conversion the
// SDK did before delivery.go gives.
func wantDelivery(c *Client, b []byte) (*delivery, error) {
	var r natsgwv1.SubscribeResponse
	if err := proto.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	d := &delivery{c: c, ready: r.GetReady() != nil, id: r.GetReady().GetSubscriptionId(),
		maxPayload: r.GetReady().GetMaxPayload(), dropped: r.GetDropped()}
	for _, pm := range r.GetMessages() {
		d.msgs = append(d.msgs, c.msgFromProto(pm))
	}
	return d, nil
}

// checkDelivery decodes b (after prev, into the same delivery) and checks
// the result against protobuf's: whole, and split into buffers of 1, 2, 3,
// 7 and 64 bytes as gRPC may receive it.
func checkDelivery(t *testing.T, c *Client, prev, b []byte) {
	t.Helper()
	want, werr := wantDelivery(c, b)
	decoders := map[string]func(d *delivery) error{
		"whole": func(d *delivery) error { return d.decode(b) },
	}
	for _, size := range []int{1, 2, 3, 7, 64} {
		var bufs mem.BufferSlice
		for rest := b; len(rest) > 0; rest = rest[min(size, len(rest)):] {
			bufs = append(bufs, mem.SliceBuffer(rest[:min(size, len(rest))]))
		}
		decoders[fmt.Sprintf("split by %d", size)] = func(d *delivery) error {
			return theDeliveryCodec.Unmarshal(bufs, d)
		}
		// What protobuf accepts is decoded in place, unless it has a group.
		if werr == nil && len(bufs) > 1 && !(&delivery{c: c}).decodeSplit(bufs) && !hasGroup(b) {
			t.Fatalf("decode(%x) split by %d: not decoded in place", b, size)
		}
	}
	for name, decode := range decoders {
		got := &delivery{c: c}
		if prev != nil { // decoding reuses the delivery: nothing may leak through
			if err := got.decode(prev); err != nil {
				t.Fatalf("decode seed: %v", err)
			}
		}
		gerr := decode(got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: decode(%x): error %v, protobuf says %v", name, b, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if got.ready != want.ready || got.id != want.id || got.maxPayload != want.maxPayload || got.dropped != want.dropped {
			t.Fatalf("%s: decode(%x): ready %v %q %d dropped %d, want %v %q %d dropped %d", name, b,
				got.ready, got.id, got.maxPayload, got.dropped, want.ready, want.id, want.maxPayload, want.dropped)
		}
		if len(got.msgs) != len(want.msgs) {
			t.Fatalf("%s: decode(%x): %d messages, want %d", name, b, len(got.msgs), len(want.msgs))
		}
		for i := range got.msgs {
			if !reflect.DeepEqual(got.msgs[i], want.msgs[i]) {
				t.Fatalf("%s: decode(%x): message %d is %+v, want %+v", name, b, i, got.msgs[i], want.msgs[i])
			}
		}
	}
}

// hasGroup reports whether a top-level field of the message b is a group.
func hasGroup(b []byte) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		if typ == protowire.StartGroupType {
			return true
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
	}
	return false
}

func TestDeliveryDecode(t *testing.T) {
	t.Parallel()
	c := &Client{}
	var prev []byte
	for _, r := range deliverySeeds() {
		b, err := proto.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		checkDelivery(t, c, prev, b)
		prev = b
	}
	// Unknown fields, fields with another wire type, repeated scalars and
	// messages, and malformed input: as protobuf.
	tag := func(b []byte, n protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(b, n, typ) }
	msg := protowire.AppendString(tag(nil, 1, protowire.BytesType), "a.b")
	msg = protowire.AppendVarint(tag(msg, 1, protowire.VarintType), 5)     // subject as varint: unknown
	msg = protowire.AppendString(tag(msg, 1, protowire.BytesType), "c.d")  // last one wins
	msg = protowire.AppendString(tag(msg, 99, protowire.BytesType), "x")   // unknown
	msg = protowire.AppendFixed32(tag(msg, 100, protowire.Fixed32Type), 1) // unknown
	entry := protowire.AppendString(tag(nil, 1, protowire.BytesType), "k")
	entry = protowire.AppendBytes(tag(entry, 2, protowire.BytesType), protowire.AppendString(tag(nil, 1, protowire.BytesType), "v1"))
	entry = protowire.AppendBytes(tag(entry, 2, protowire.BytesType), protowire.AppendString(tag(nil, 1, protowire.BytesType), "v2"))
	msg = protowire.AppendBytes(tag(msg, 3, protowire.BytesType), entry)
	msg = protowire.AppendBytes(tag(msg, 3, protowire.BytesType), protowire.AppendString(tag(nil, 1, protowire.BytesType), "novalue"))
	ready := protowire.AppendString(tag(nil, 1, protowire.BytesType), "id1")
	resp := protowire.AppendBytes(tag(nil, 1, protowire.BytesType), ready)
	resp = protowire.AppendBytes(tag(resp, 1, protowire.BytesType), protowire.AppendVarint(tag(nil, 2, protowire.VarintType), 9)) // merges
	resp = protowire.AppendBytes(tag(resp, 2, protowire.BytesType), msg)
	resp = protowire.AppendBytes(tag(resp, 3, protowire.BytesType), nil) // dropped, wrong type
	cases := [][]byte{
		resp,
		nil,
		{0x00},       // field number 0
		{0x0c},       // end group
		{0x12, 0x05}, // truncated
		protowire.AppendString(tag(nil, 2, protowire.BytesType), string(protowire.AppendString(tag(nil, 1, protowire.BytesType), "\xff"))), // bad UTF-8
		protowire.AppendVarint(tag(nil, protowire.MaxValidNumber+1, protowire.VarintType), 1),                                              // number out of range
	}
	for _, b := range cases {
		checkDelivery(t, c, prev, b)
	}
}

// FuzzDeliveryDecode checks that decode accepts exactly what protobuf
// accepts and gives the same messages.
func FuzzDeliveryDecode(f *testing.F) {
	var prev []byte
	for _, r := range deliverySeeds() {
		b, err := proto.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		prev = b
	}
	c := &Client{}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDelivery(t, c, prev, b)
	})
}

// The codec decodes a response split over several buffers, and leaves other
// types to protobuf.
func TestDeliveryCodec(t *testing.T) {
	t.Parallel()
	r := deliverySeeds()[2]
	b, err := proto.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	codec := theDeliveryCodec
	split := mem.BufferSlice{mem.SliceBuffer(b[:3]), mem.SliceBuffer(b[3:])}
	d := &delivery{}
	if err := codec.Unmarshal(split, d); err != nil {
		t.Fatal(err)
	}
	if len(d.msgs) != len(r.GetMessages()) || d.dropped != r.GetDropped() || string(d.msgs[3].Data) != "ping" {
		t.Fatalf("decoded %d messages, dropped %d", len(d.msgs), d.dropped)
	}
	// Without joining the buffers (no fallback), whatever the split.
	for i := 1; i < len(b); i++ {
		if !d.decodeSplit(mem.BufferSlice{mem.SliceBuffer(b[:i]), mem.SliceBuffer(b[i:])}) {
			t.Fatalf("a well-formed response split at %d was not decoded in place", i)
		}
	}
	var pr natsgwv1.SubscribeResponse
	if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &pr); err != nil || !proto.Equal(&pr, r) {
		t.Fatalf("protobuf decoding through the codec: %v", err)
	}
}
