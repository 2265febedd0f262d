package gateway

import (
	"sync"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protowire"
)

// Delivery frames (SubscribeResponse and ServeResponse, which have the same
// fields) are encoded here, straight from the NATS messages, instead of
// filling protobuf Messages for gRPC's reflection-based encoder, which was
// most of a subscription's CPU time in the gateway. The bytes are exactly
// what protobuf would produce for the same response (fields in number
// order, empty values omitted, map entries with key and value); they reach
// gRPC as the unknown fields of an otherwise empty response, which protobuf
// writes out as they are, so the call stays an ordinary protobuf call for
// every client (see frame_test.go).

// Field numbers and wire tags, as in messaging.proto.
const (
	tagMessages   = 2<<3 | uint64(protowire.BytesType)  // SubscribeResponse/ServeResponse.messages
	tagDropped    = 3<<3 | uint64(protowire.VarintType) // .dropped
	tagMsgSubject = 1<<3 | uint64(protowire.BytesType)  // Message.subject
	tagMsgData    = 2<<3 | uint64(protowire.BytesType)  // Message.data
	tagMsgHeaders = 3<<3 | uint64(protowire.BytesType)  // Message.headers (map entries)
	tagMsgReply   = 4<<3 | uint64(protowire.BytesType)  // Message.reply_token
	tagMapKey     = 1<<3 | uint64(protowire.BytesType)  // map entry key
	tagMapValue   = 2<<3 | uint64(protowire.BytesType)  // map entry value
	tagHdrValues  = 1<<3 | uint64(protowire.BytesType)  // HeaderValues.values
)

// frameBufs recycles frame encoding buffers among all streams (a frame is
// copied by gRPC before Send returns): a stream holds no buffer between
// frames.
var frameBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledFrame is the largest buffer kept for reuse; a frame carrying a
// single larger message gets a buffer of its own.
const maxPooledFrame = 2 * frameBytes

// sizeField is the encoded size of a length-delimited field of n bytes.
func sizeField(n int) int { return 1 + protowire.SizeBytes(n) }

// appendField appends a length-delimited field of one-byte tag t.
func appendField(b []byte, t uint64, v string) []byte {
	b = append(b, byte(t))
	b = protowire.AppendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendDelivered appends m, delivered to a client of org, as one element of
// a frame's messages field: the fields deliverable sets, encoded as
// protobuf encodes them. ok is false when a string field (subject, reply
// token, header) is not valid UTF-8, which protobuf refuses to encode; b is
// then unchanged.
func (g *Gateway) appendDelivered(b []byte, org string, m *nats.Msg) (_ []byte, ok bool) {
	subj, ok := g.m.ClientSubject(org, m.Subject)
	if !ok {
		subj = "" // as deliverable: never reveal a foreign subject
	}
	tok, _ := g.m.ClientReplyToken(org, m.Reply)
	if !utf8.ValidString(subj) || !utf8.ValidString(tok) {
		return b, false
	}
	size := 0
	if subj != "" {
		size += sizeField(len(subj))
	}
	if len(m.Data) > 0 {
		size += sizeField(len(m.Data))
	}
	for k, vs := range m.Header {
		if !utf8.ValidString(k) {
			return b, false
		}
		values := 0
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return b, false
			}
			values += sizeField(len(v))
		}
		size += sizeField(sizeField(len(k)) + sizeField(values))
	}
	if tok != "" {
		size += sizeField(len(tok))
	}

	b = append(b, byte(tagMessages))
	b = protowire.AppendVarint(b, uint64(size))
	if subj != "" {
		b = appendField(b, tagMsgSubject, subj)
	}
	if len(m.Data) > 0 {
		b = append(b, byte(tagMsgData))
		b = protowire.AppendVarint(b, uint64(len(m.Data)))
		b = append(b, m.Data...)
	}
	for k, vs := range m.Header {
		values := 0
		for _, v := range vs {
			values += sizeField(len(v))
		}
		b = append(b, byte(tagMsgHeaders))
		b = protowire.AppendVarint(b, uint64(sizeField(len(k))+sizeField(values)))
		b = appendField(b, tagMapKey, k)
		b = append(b, byte(tagMapValue))
		b = protowire.AppendVarint(b, uint64(values))
		for _, v := range vs {
			b = appendField(b, tagHdrValues, v)
		}
	}
	if tok != "" {
		b = appendField(b, tagMsgReply, tok)
	}
	return b, true
}

// appendDropped ends a frame with its dropped count.
func appendDropped(b []byte, dropped uint64) []byte {
	if dropped == 0 {
		return b
	}
	b = append(b, byte(tagDropped))
	return protowire.AppendVarint(b, dropped)
}
