package server

import (
	"bytes"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/natsgw/natsgw/internal/gateway"
)

// A request message that does not unmarshal (garbage bytes, invalid UTF-8
// in a string field) is the client's fault, but gRPC reports every codec
// error as Internal ("grpc: failed to unmarshal the received message"),
// which the API documents as a gateway bug. gRPC decodes a unary request
// before any interceptor runs and wraps whatever the codec returns, so the
// codec cannot return the right status itself. Instead the server's codec
// (gRPC's own proto codec, wrapped) turns a failed unmarshal into an empty
// message whose only content is a mark in its unknown fields, and the
// interceptors answer InvalidArgument for a marked message before the
// handler sees it. Messages that unmarshal cost nothing more than one
// look at their unknown fields.

// malformedField is the field number of the mark: the largest protobuf
// allows, which no natsgw message uses.
const malformedField = protowire.Number(1<<29 - 1)

// malformedTag starts a marked message's unknown fields.
var malformedTag = protowire.AppendTag(nil, malformedField, protowire.BytesType)

// codec is gRPC's proto codec with failed unmarshals marked (see above).
type codec struct{ encoding.CodecV2 }

func newCodec() codec { return codec{encoding.GetCodecV2(proto.Name)} }

func (c codec) serverOption() grpc.ServerOption { return grpc.ForceServerCodecV2(c) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(protov2.Message)
	if !ok {
		return err
	}
	protov2.Reset(m)
	m.ProtoReflect().SetUnknown(protowire.AppendString(bytes.Clone(malformedTag), err.Error()))
	return nil
}

// malformed returns InvalidArgument for a message the codec marked, nil
// for any other.
func malformed(v any) error {
	m, ok := v.(protov2.Message)
	if !ok {
		return nil
	}
	u := m.ProtoReflect().GetUnknown()
	if !bytes.HasPrefix(u, malformedTag) {
		return nil
	}
	why, _ := protowire.ConsumeString(u[len(malformedTag):])
	return gateway.MalformedRequest("is not a valid %s message: %s", m.ProtoReflect().Descriptor().FullName(), why)
}
