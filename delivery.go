package natsgw

import (
	"errors"
	"io"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// Deliveries (SubscribeResponse and ServeResponse, which have the same
// fields) are decoded straight into Msgs instead of into protobuf messages
// that are then copied into Msgs: decoding was the largest share of a
// subscriber's CPU time, and this saves two allocations per message (the
// protobuf Message and, while messages repeat it, the subject). The result
// is exactly what protobuf decoding followed by the conversion gives,
// errors included (see FuzzDeliveryDecode).

// deliveryCodec is the codec of Subscribe and Serve calls: a *delivery is
// decoded here, everything else (the requests) by gRPC's protobuf codec. Its
// name is the protobuf codec's, so the gateway sees an ordinary protobuf call.
type deliveryCodec struct{ encoding.CodecV2 }

var (
	theDeliveryCodec   = deliveryCodec{encoding.GetCodecV2(grpcproto.Name)}
	deliveryCallOption = grpc.ForceCodecV2(theDeliveryCodec)
)

func (c deliveryCodec) Unmarshal(data mem.BufferSlice, v any) error {
	d, ok := v.(*delivery)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	if len(data) == 1 {
		return d.decode(data[0].ReadOnlyData())
	}
	if d.decodeSplit(data) {
		return nil
	}
	// Malformed, or with fields decodeSplit leaves alone: decode it whole,
	// for protobuf's verdict.
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return d.decode(buf.ReadOnlyData())
}

// delivery is one decoded response of a Subscribe or Serve stream. Decoding
// replaces the previous content, except that the last subject is kept, so
// that messages on the same subject share one string.
type delivery struct {
	c *Client // set on every Msg

	ready      bool // the response has the ready field
	id         string
	maxPayload uint64
	msgs       []*Msg
	dropped    uint64

	subject string
	// split holds a field that arrived split between buffers.
	split []byte
}

// maxSplit is the largest split buffer a delivery keeps between responses.
const maxSplit = 64 << 10

// Field numbers and wire types, as in messaging.proto.
const (
	fieldReady      = 1 // SubscribeResponse/ServeResponse.ready: SubscriptionReady
	fieldMessages   = 2 // .messages: repeated Message
	fieldDropped    = 3 // .dropped: uint64
	fieldReadyID    = 1 // SubscriptionReady.subscription_id: string
	fieldReadyMax   = 2 // SubscriptionReady.max_payload: uint64
	fieldMsgSubject = 1 // Message.subject: string
	fieldMsgData    = 2 // Message.data: bytes
	fieldMsgHeaders = 3 // Message.headers: map<string, HeaderValues>
	fieldMsgReply   = 4 // Message.reply_token: string
	fieldMapKey     = 1 // map entry key
	fieldMapValue   = 2 // map entry value
	fieldHdrValues  = 1 // HeaderValues.values: repeated string
)

var (
	errDeliveryDecode = errors.New("natsgw: malformed delivery")
	errDeliveryUTF8   = errors.New("natsgw: delivery has a string field with invalid UTF-8")
)

// fields calls f for each field of the message in b, in order. f returns
// the length of the field's value it decoded, or 0 for a field it does not
// decode (unknown, or with another wire type than its declared one), which
// is skipped, as protobuf does. Tags follow protobuf's rules (a field number
// within range, no end of group outside a group).
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, b []byte) (int, error)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num > protowire.MaxValidNumber || typ == protowire.EndGroupType {
			return errDeliveryDecode
		}
		b = b[n:]
		n, err := f(num, typ, b)
		if err == nil && n == 0 {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				err = errDeliveryDecode
			}
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// bytesField reads a length-delimited value.
func bytesField(b []byte) ([]byte, int, error) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, errDeliveryDecode
	}
	return v, n, nil
}

// stringField reads a length-delimited value that must be valid UTF-8.
func stringField(b []byte) ([]byte, int, error) {
	v, n, err := bytesField(b)
	if err == nil && !utf8.Valid(v) {
		err = errDeliveryUTF8
	}
	return v, n, err
}

// varintField reads a varint value.
func varintField(b []byte) (uint64, int, error) {
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, errDeliveryDecode
	}
	return v, n, nil
}

func (d *delivery) reset() {
	d.ready, d.id, d.maxPayload, d.dropped = false, "", 0, 0
	clear(d.msgs)
	d.msgs = d.msgs[:0]
}

func (d *delivery) decode(b []byte) error {
	d.reset()
	return fields(b, d.decodeField)
}

// decodeField decodes one field of a SubscribeResponse or ServeResponse.
func (d *delivery) decodeField(num protowire.Number, typ protowire.Type, b []byte) (n int, err error) {
	var v []byte
	switch {
	case num == fieldReady && typ == protowire.BytesType:
		if v, n, err = bytesField(b); err == nil {
			// A repeated message field merges, as in protobuf.
			err = fields(v, d.decodeReady)
		}
		d.ready = true
	case num == fieldMessages && typ == protowire.BytesType:
		var m *Msg
		if v, n, err = bytesField(b); err == nil {
			m, err = d.decodeMsg(v)
			d.msgs = append(d.msgs, m)
		}
	case num == fieldDropped && typ == protowire.VarintType:
		d.dropped, n, err = varintField(b)
	}
	return n, err
}

// decodeSplit decodes a response that gRPC received in several buffers
// (one per HTTP/2 frame) without joining them: only a field split between
// buffers is copied. Fields are decoded in order exactly as decode does.
// It reports false, having decoded part of the response or none, when the
// response is malformed or has a field it does not handle (a group).
func (d *delivery) decodeSplit(data mem.BufferSlice) bool {
	d.reset()
	split := d.split[:0]
	defer func() {
		if cap(split) <= maxSplit {
			d.split = split[:0]
		} else {
			d.split = nil
		}
	}()
	for _, buf := range data {
		b := buf.ReadOnlyData()
		// First complete a field begun in the previous buffers.
		for len(split) > 0 {
			size, ok := fieldSize(split)
			switch {
			case !ok:
				return false
			case size > 0 && len(split) == size:
				if fields(split, d.decodeField) != nil {
					return false
				}
				split = split[:0]
			case len(b) == 0:
				// Continues in the next buffer.
			case size == 0: // its tag or length is still incomplete
				split, b = append(split, b[0]), b[1:]
				continue
			default:
				n := min(size-len(split), len(b))
				split, b = append(split, b[:n]...), b[n:]
				continue
			}
			break
		}
		for len(b) > 0 {
			size, ok := fieldSize(b)
			if !ok {
				return false
			}
			if size == 0 || size > len(b) {
				break // continues in the next buffer
			}
			if fields(b[:size], d.decodeField) != nil {
				return false
			}
			b = b[size:]
		}
		split = append(split, b...)
	}
	return len(split) == 0
}

// fieldSize returns the size of the field at the start of b: 0 when its tag
// or length is not complete yet, ok false when it is malformed or a group.
func fieldSize(b []byte) (size int, ok bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, truncated(n)
	}
	if num > protowire.MaxValidNumber {
		return 0, false
	}
	switch typ {
	case protowire.VarintType:
		_, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return 0, truncated(m)
		}
		return n + m, true
	case protowire.Fixed32Type:
		return n + 4, true
	case protowire.Fixed64Type:
		return n + 8, true
	case protowire.BytesType:
		l, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return 0, truncated(m)
		}
		if l > maxDeliverySize {
			return 0, false
		}
		return n + m + int(l), true
	}
	return 0, false
}

// maxDeliverySize bounds a field's length in decodeSplit (gRPC bounds whole
// messages by MaxCallRecvMsgSize, math.MaxInt32 for the SDK).
const maxDeliverySize = 1<<31 - 1

// truncated reports whether a protowire error code means "input ended".
func truncated(code int) bool {
	return errors.Is(protowire.ParseError(code), io.ErrUnexpectedEOF)
}

// decodeReady decodes one field of a SubscriptionReady into d.
func (d *delivery) decodeReady(num protowire.Number, typ protowire.Type, b []byte) (n int, err error) {
	switch {
	case num == fieldReadyID && typ == protowire.BytesType:
		var v []byte
		if v, n, err = stringField(b); err == nil {
			d.id = string(v)
		}
	case num == fieldReadyMax && typ == protowire.VarintType:
		d.maxPayload, n, err = varintField(b)
	}
	return n, err
}

func (d *delivery) decodeMsg(b []byte) (*Msg, error) {
	m := &Msg{c: d.c}
	err := fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (n int, err error) {
		if typ != protowire.BytesType {
			return 0, nil
		}
		var v []byte
		switch num {
		case fieldMsgSubject:
			if v, n, err = stringField(b); err == nil {
				if string(v) != d.subject {
					d.subject = string(v)
				}
				m.Subject = d.subject
			}
		case fieldMsgData:
			if v, n, err = bytesField(b); err == nil {
				m.Data = append([]byte(nil), v...)
			}
		case fieldMsgHeaders:
			if v, n, err = bytesField(b); err == nil {
				if m.Header == nil {
					m.Header = make(Header, 1)
				}
				err = decodeHeader(m.Header, v)
			}
		case fieldMsgReply:
			if v, n, err = stringField(b); err == nil {
				m.Reply = string(v)
			}
		}
		return n, err
	})
	return m, err
}

// decodeHeader adds one map entry (key, HeaderValues) to h; a later entry
// with the same key replaces an earlier one, and a repeated value merges
// (its values add up), as in protobuf.
func decodeHeader(h Header, b []byte) error {
	var key string
	var vals []string
	err := fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (n int, err error) {
		if typ != protowire.BytesType {
			return 0, nil
		}
		var v []byte
		switch num {
		case fieldMapKey:
			if v, n, err = stringField(b); err == nil {
				key = string(v)
			}
		case fieldMapValue:
			if v, n, err = bytesField(b); err == nil {
				err = fields(v, func(num protowire.Number, typ protowire.Type, b []byte) (n int, err error) {
					if num == fieldHdrValues && typ == protowire.BytesType {
						if v, n, err = stringField(b); err == nil {
							vals = append(vals, string(v))
						}
					}
					return n, err
				})
			}
		}
		return n, err
	})
	if err == nil {
		h[key] = vals
	}
	return err
}
