package natsgw

import (
	"context"
	"errors"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// Header is a message's headers. Like NATS (and unlike HTTP), keys are case
// sensitive; a key may have several values.
type Header map[string][]string

// Get returns the first value of key, or "".
func (h Header) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of key.
func (h Header) Values(key string) []string { return h[key] }

// Set replaces the values of key with value.
func (h Header) Set(key, value string) { h[key] = []string{value} }

// Add appends value to the values of key.
func (h Header) Add(key, value string) { h[key] = append(h[key], value) }

// Del removes key.
func (h Header) Del(key string) { delete(h, key) }

// Msg is a message, published or received.
type Msg struct {
	// Subject, in the caller's view (without any organization prefix).
	Subject string
	// Data is the payload.
	Data []byte
	// Header holds the headers, multi-valued. May be nil.
	Header Header
	// Reply is, when publishing, the subject receivers should reply to; on a
	// received message, the reply token to answer it (empty when the
	// publisher expects no reply). Respond uses it.
	Reply string

	// responder answers this message; nil for messages that cannot be
	// answered through a stream (Respond then uses the Reply call).
	c       *Client
	respond func(ctx context.Context, token string, data []byte, h Header) error
}

// ErrNoReply is returned by Respond for a message that expects no reply.
var ErrNoReply = errors.New("natsgw: message has no reply token")

// Respond answers a request received through Subscribe or Handle.
func (m *Msg) Respond(ctx context.Context, data []byte) error {
	return m.RespondWithHeader(ctx, data, nil)
}

// RespondWithHeader answers a request with headers.
func (m *Msg) RespondWithHeader(ctx context.Context, data []byte, h Header) error {
	if m.Reply == "" {
		return ErrNoReply
	}
	if m.respond != nil {
		return m.respond(ctx, m.Reply, data, h)
	}
	if m.c == nil {
		return errors.New("natsgw: message was not received by a client")
	}
	_, err := m.c.messaging.Reply(ctx, &natsgwv1.ReplyRequest{ReplyToken: m.Reply, Data: data, Headers: headerToProto(h)})
	return convertError(err)
}

func headerToProto(h Header) map[string]*natsgwv1.HeaderValues {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*natsgwv1.HeaderValues, len(h))
	for k, v := range h {
		out[k] = &natsgwv1.HeaderValues{Values: v}
	}
	return out
}

func headerFromProto(in map[string]*natsgwv1.HeaderValues) Header {
	if len(in) == 0 {
		return nil
	}
	h := make(Header, len(in))
	for k, v := range in {
		h[k] = v.GetValues()
	}
	return h
}

func (c *Client) msgFromProto(p *natsgwv1.Message) *Msg {
	return &Msg{Subject: p.GetSubject(), Data: p.GetData(), Header: headerFromProto(p.GetHeaders()), Reply: p.GetReplyToken(), c: c}
}

func (m *Msg) toProto() *natsgwv1.OutgoingMessage {
	return &natsgwv1.OutgoingMessage{Subject: m.Subject, Data: m.Data, Headers: headerToProto(m.Header), ReplyTo: m.Reply}
}
