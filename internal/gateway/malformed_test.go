package gateway_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// rawCodec sends and receives message bytes as they are, so a test can put
// anything on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*(v.(*[]byte)) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

var allServices = []grpc.ServiceDesc{
	natsgwv1.MessagingService_ServiceDesc, natsgwv1.StreamService_ServiceDesc,
	natsgwv1.ConsumerService_ServiceDesc, natsgwv1.KeyValueService_ServiceDesc,
	natsgwv1.ObjectStoreService_ServiceDesc, natsgwv1.AdminService_ServiceDesc,
}

// rawCall sends one message (nil: none) to method and returns the call's
// status once it ends.
func rawCall(ctx context.Context, conn *grpc.ClientConn, method string, desc grpc.StreamDesc, frame []byte) error {
	opt := grpc.ForceCodecV2(rawCodec{})
	if !desc.ClientStreams && !desc.ServerStreams {
		var out []byte
		return conn.Invoke(ctx, method, frame, &out, opt)
	}
	s, err := conn.NewStream(ctx, &desc, method, opt)
	if err != nil {
		return err
	}
	if frame != nil {
		if err := s.SendMsg(frame); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	for {
		var out []byte
		if err := s.RecvMsg(&out); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func rawConn(t *testing.T, srv *natsgwtest.Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "grpc client")
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestMalformedFrames: a request or frame that is not valid protobuf for
// its type is InvalidArgument on the field "request" on every RPC, never
// Internal (which the API reserves for gateway bugs).
func TestMalformedFrames(t *testing.T) {
	t.Parallel()
	t.Run("open mode", func(t *testing.T) {
		t.Parallel()
		testMalformedFrames(t, rawConn(t, natsgwtest.NewServer(t)), testutil.Context)
	})
	// With tokens, streams run behind the revocation wrapper: the same
	// answer there.
	t.Run("token mode", func(t *testing.T) {
		t.Parallel()
		auth, toks := natsgwtest.WriteAuthFile(t, [2]string{"acme", "svc"})
		conn := rawConn(t, natsgwtest.NewServer(t, natsgwtest.WithAuthFile(auth)))
		testMalformedFrames(t, conn, func(tb testing.TB) context.Context {
			return metadata.AppendToOutgoingContext(testutil.Context(tb), "authorization", "Bearer "+toks[0])
		})
	})
}

func testMalformedFrames(t *testing.T, conn *grpc.ClientConn, ctxOf func(testing.TB) context.Context) {

	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	// Field 1 (a string in most requests, a message in some) holding a
	// message whose field 1 is a string with invalid UTF-8.
	badUTF8 := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType),
		protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "a\xffb"))
	for _, sd := range allServices {
		for _, m := range sd.Methods {
			method := "/" + sd.ServiceName + "/" + m.MethodName
			t.Run(method, func(t *testing.T) {
				wantInvalid(t, rawCall(ctxOf(t), conn, method, grpc.StreamDesc{}, garbage), "request")
			})
		}
		for _, s := range sd.Streams {
			method := "/" + sd.ServiceName + "/" + s.StreamName
			t.Run(method, func(t *testing.T) {
				wantInvalid(t, rawCall(ctxOf(t), conn, method, s, garbage), "request")
			})
		}
	}
	// A string field with invalid UTF-8 inside a nested message.
	wantInvalid(t, rawCall(ctxOf(t), conn, "/natsgw.v1.MessagingService/Publish", grpc.StreamDesc{}, badUTF8), "request")
}

// TestStreamsClosedBeforeFirstFrame: a client stream closed before its
// first frame ends OK or InvalidArgument, never UNKNOWN "EOF".
func TestStreamsClosedBeforeFirstFrame(t *testing.T) {
	t.Parallel()
	conn := rawConn(t, natsgwtest.NewServer(t))
	for _, sd := range allServices {
		for _, s := range sd.Streams {
			if !s.ClientStreams {
				continue
			}
			method := "/" + sd.ServiceName + "/" + s.StreamName
			t.Run(method, func(t *testing.T) {
				err := rawCall(testutil.Context(t), conn, method, s, nil)
				if c := status.Code(err); c != codes.OK && c != codes.InvalidArgument {
					t.Fatalf("got %v, want OK or InvalidArgument", err)
				}
			})
		}
	}
}
