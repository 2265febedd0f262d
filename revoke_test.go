package natsgw_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/server"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// revocationCase opens one kind of stream with the token in ctx, waits
// until the gateway serves it (a round trip where the RPC has one) and
// returns a function that receives until the stream ends.
type revocationCase struct {
	name string
	open func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) (recvUntilEnd func() error)
}

// drain receives until the stream ends and returns its error.
func drain[T any](recv func() (T, error)) func() error {
	return func() error {
		for {
			if _, err := recv(); err != nil {
				return err
			}
		}
	}
}

// revocationCases cover every long-lived streaming RPC. (Keys and History
// send a listing and end by themselves.)
func revocationCases() []revocationCase {
	return []revocationCase{
		{"Subscribe", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewMessagingServiceClient(conn).Subscribe(ctx, &natsgwv1.SubscribeRequest{Subject: "revoke.>"})
			testutil.NoErr(t, err, "subscribe")
			first, err := s.Recv()
			testutil.NoErr(t, err, "ready")
			if first.GetReady() == nil {
				t.Fatalf("first frame %v, want ready", first)
			}
			return drain(s.Recv)
		}},
		{"Serve", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewMessagingServiceClient(conn).Serve(ctx)
			testutil.NoErr(t, err, "serve")
			testutil.NoErr(t, s.Send(&natsgwv1.ServeRequest{Kind: &natsgwv1.ServeRequest_Start{Start: &natsgwv1.ServeStart{Subject: "revoke.svc"}}}), "start")
			first, err := s.Recv()
			testutil.NoErr(t, err, "ready")
			if first.GetReady() == nil {
				t.Fatalf("first frame %v, want ready", first)
			}
			return drain(s.Recv)
		}},
		{"PublishStream", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewMessagingServiceClient(conn).PublishStream(ctx)
			testutil.NoErr(t, err, "publish stream")
			testutil.NoErr(t, s.Send(&natsgwv1.PublishStreamRequest{Messages: []*natsgwv1.OutgoingMessage{{Subject: "revoke.x"}}, Flush: true}), "send")
			r, err := s.Recv()
			testutil.NoErr(t, err, "flush answer")
			testutil.Equal(t, r.GetPublishedCount(), uint64(1), "published")
			return drain(s.Recv)
		}},
		{"PipelinePublish", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewStreamServiceClient(conn).PipelinePublish(ctx)
			testutil.NoErr(t, err, "pipeline publish")
			testutil.NoErr(t, s.Send(&natsgwv1.PipelinePublishRequest{Stream: "REVOKE", Messages: []*natsgwv1.StreamPublish{{Subject: "stored.x"}}}), "send")
			r, err := s.Recv()
			testutil.NoErr(t, err, "result")
			testutil.Equal(t, len(r.GetSequences()), 1, "sequences")
			return drain(s.Recv)
		}},
		{"Consume", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewConsumerServiceClient(conn).Consume(ctx)
			testutil.NoErr(t, err, "consume")
			testutil.NoErr(t, s.Send(&natsgwv1.ConsumeRequest{Start: &natsgwv1.ConsumeStart{Stream: "REVOKE", Consumer: "worker"}}), "start")
			first, err := s.Recv()
			testutil.NoErr(t, err, "ready")
			if first.GetReady() == nil {
				t.Fatalf("first frame %v, want ready", first)
			}
			return drain(s.Recv)
		}},
		{"KV Session", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewKeyValueServiceClient(conn).Session(ctx)
			testutil.NoErr(t, err, "session")
			testutil.NoErr(t, s.Send(&natsgwv1.KeyValueServiceSessionRequest{Id: 1, Operation: &natsgwv1.KeyValueServiceSessionRequest_Put{
				Put: &natsgwv1.KeyValueServicePutRequest{Bucket: "revoke", Key: "k", Value: []byte("v")},
			}}), "put")
			r, err := s.Recv()
			testutil.NoErr(t, err, "put answer")
			if r.GetPut() == nil {
				t.Fatalf("answer %v, want put", r)
			}
			return drain(s.Recv)
		}},
		{"KV Watch", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewKeyValueServiceClient(conn).Watch(ctx, &natsgwv1.KeyValueServiceWatchRequest{Bucket: "revoke"})
			testutil.NoErr(t, err, "watch")
			for {
				r, err := s.Recv()
				testutil.NoErr(t, err, "initial values")
				if r.GetInitDone() {
					break
				}
			}
			return drain(s.Recv)
		}},
		{"PutObject", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewObjectStoreServiceClient(conn).PutObject(ctx)
			testutil.NoErr(t, err, "put object")
			testutil.NoErr(t, s.Send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Header{Header: &natsgwv1.PutObjectHeader{Bucket: "revoke", Name: "half"}}}), "header")
			testutil.NoErr(t, s.Send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Data{Data: make([]byte, 64<<10)}}), "data")
			// The upload stays unfinished: wait for the answer without
			// closing the send side.
			return func() error { return s.RecvMsg(new(natsgwv1.PutObjectResponse)) }
		}},
		{"GetObject", func(t *testing.T, ctx context.Context, conn *grpc.ClientConn) func() error {
			s, err := natsgwv1.NewObjectStoreServiceClient(conn).GetObject(ctx, &natsgwv1.GetObjectRequest{Bucket: "revoke", Name: "big"})
			testutil.NoErr(t, err, "get object")
			first, err := s.Recv()
			testutil.NoErr(t, err, "header")
			if first.GetHeader() == nil {
				t.Fatalf("first frame %v, want header", first)
			}
			return drain(s.Recv)
		}},
	}
}

// TestRevocationEndsOpenStreams: once SIGHUP's reload removes a token,
// every open stream it authenticated ends with Unauthenticated, while a
// stream of a token that stays keeps working.
func TestRevocationEndsOpenStreams(t *testing.T) {
	t.Parallel()
	path, toks := writeAuthFile(t, [2]string{"acme", "app"}, [2]string{"acme", "keeper"})
	srv := natsgwtest.NewServer(t, natsgwtest.WithAuthFile(path))
	conn := rawConn(t, srv)
	base := testutil.Context(t)
	revokedCtx := metadata.AppendToOutgoingContext(base, "authorization", "Bearer "+toks[0])
	keptCtx := metadata.AppendToOutgoingContext(base, "authorization", "Bearer "+toks[1])
	setUpRevocation(t, keptCtx, conn)

	cases := revocationCases()
	ends := make([]func() error, len(cases))
	for i, c := range cases {
		ends[i] = c.open(t, revokedCtx, conn)
	}
	// The control: a subscription of the token that stays.
	kept, err := natsgwv1.NewMessagingServiceClient(conn).Subscribe(keptCtx, &natsgwv1.SubscribeRequest{Subject: "kept"})
	testutil.NoErr(t, err, "kept subscribe")
	_, err = kept.Recv()
	testutil.NoErr(t, err, "kept ready")

	keepOnly(t, path, "keeper")
	revokedAt := time.Now()
	testutil.NoErr(t, srv.ReloadAuth(), "reload")

	type result struct {
		i   int
		err error
		at  time.Time
	}
	results := make(chan result, len(cases))
	for i, end := range ends {
		go func() {
			err := end()
			results <- result{i, err, time.Now()}
		}()
	}
	for range cases {
		r := testutil.Recv(t, results, "a revoked stream ends")
		name := cases[r.i].name
		if status.Code(r.err) != codes.Unauthenticated {
			t.Errorf("%s ended with %v, want Unauthenticated", name, r.err)
		}
		t.Logf("%s ended %v after the reload: %v", name, r.at.Sub(revokedAt).Round(time.Millisecond), r.err)
	}

	_, err = natsgwv1.NewMessagingServiceClient(conn).Publish(keptCtx, &natsgwv1.PublishRequest{Message: &natsgwv1.OutgoingMessage{Subject: "kept", Data: []byte("still here")}})
	testutil.NoErr(t, err, "publish with the kept token")
	m, err := kept.Recv()
	testutil.NoErr(t, err, "the kept token's subscription still receives")
	testutil.Equal(t, string(m.GetMessages()[0].GetData()), "still here", "kept message")
	_, err = natsgwv1.NewMessagingServiceClient(conn).Publish(revokedCtx, &natsgwv1.PublishRequest{Message: &natsgwv1.OutgoingMessage{Subject: "x"}})
	testutil.Equal(t, status.Code(err), codes.Unauthenticated, "unary call with the revoked token")
}

// setUpRevocation makes what the streams use: stream REVOKE with consumer
// worker, KV bucket revoke, object bucket revoke with a 12 MiB object big
// (more than gRPC's windows, so that its download is still going on).
func setUpRevocation(t *testing.T, ctx context.Context, conn *grpc.ClientConn) {
	t.Helper()
	_, err := natsgwv1.NewStreamServiceClient(conn).CreateStream(ctx, &natsgwv1.CreateStreamRequest{Config: &natsgwv1.StreamConfig{Name: "REVOKE", Subjects: []string{"stored.>"}}})
	testutil.NoErr(t, err, "create stream")
	_, err = natsgwv1.NewConsumerServiceClient(conn).CreateConsumer(ctx, &natsgwv1.CreateConsumerRequest{Stream: "REVOKE", Config: &natsgwv1.ConsumerConfig{Name: "worker", AckPolicy: natsgwv1.AckPolicy_ACK_POLICY_EXPLICIT}})
	testutil.NoErr(t, err, "create consumer")
	_, err = natsgwv1.NewKeyValueServiceClient(conn).CreateBucket(ctx, &natsgwv1.KeyValueServiceCreateBucketRequest{Bucket: "revoke"})
	testutil.NoErr(t, err, "create bucket")
	objs := natsgwv1.NewObjectStoreServiceClient(conn)
	_, err = objs.CreateObjectBucket(ctx, &natsgwv1.CreateObjectBucketRequest{Bucket: "revoke"})
	testutil.NoErr(t, err, "create object bucket")
	put, err := objs.PutObject(ctx)
	testutil.NoErr(t, err, "put object")
	testutil.NoErr(t, put.Send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Header{Header: &natsgwv1.PutObjectHeader{Bucket: "revoke", Name: "big"}}}), "header")
	chunk := make([]byte, 1<<20)
	for range 12 {
		testutil.NoErr(t, put.Send(&natsgwv1.PutObjectRequest{Part: &natsgwv1.PutObjectRequest_Data{Data: chunk}}), "data")
	}
	_, err = put.CloseAndRecv()
	testutil.NoErr(t, err, "finish the object")
}

// keepOnly rewrites the auth file at path to hold only the token of user.
func keepOnly(t *testing.T, path, user string) {
	t.Helper()
	b, err := os.ReadFile(path)
	testutil.NoErr(t, err, "read auth file")
	var f server.AuthFile
	testutil.NoErr(t, json.Unmarshal(b, &f), "parse auth file")
	var kept []server.TokenEntry
	for _, e := range f.Tokens {
		if e.User == user {
			kept = append(kept, e)
		}
	}
	if len(kept) != 1 {
		t.Fatalf("auth file: %d entries for the kept token", len(kept))
	}
	f.Tokens = kept
	b, err = json.Marshal(f)
	testutil.NoErr(t, err, "marshal")
	testutil.NoErr(t, os.WriteFile(path, b, 0o600), "write auth file")
}
