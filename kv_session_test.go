package natsgw_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestKVSessionConcurrent: many operations in flight on one client's
// session each get their own result.
func TestKVSessionConcurrent(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	kv := c.KeyValue("many")
	const n = 300
	revs := make([]uint64, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r, err := kv.Put(ctx, fmt.Sprintf("k.%d", i), fmt.Appendf(nil, "v%d", i))
			revs[i] = r
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		testutil.NoErr(t, err, "concurrent put")
	}
	seen := map[uint64]bool{}
	for _, r := range revs {
		if r == 0 || seen[r] {
			t.Fatalf("revisions %v: zero or repeated", revs)
		}
		seen[r] = true
	}
	got := make([]string, n)
	errs = make(chan error, n)
	for i := range n {
		wg.Go(func() {
			e, err := kv.Get(ctx, fmt.Sprintf("k.%d", i))
			if err == nil {
				got[i] = fmt.Sprintf("%s %s %d", e.Key, e.Value, e.Revision)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		testutil.NoErr(t, err, "concurrent get")
	}
	for i := range n {
		testutil.Equal(t, got[i], fmt.Sprintf("k.%d v%d %d", i, i, revs[i]), "entry of key "+fmt.Sprint(i))
	}
}

// sessionPeer is a raw KeyValueService/Session stream of one org.
type sessionPeer struct {
	t      *testing.T
	stream natsgwv1.KeyValueService_SessionClient
	got    map[uint64]*natsgwv1.KeyValueServiceSessionResponse
}

func openSession(t *testing.T, srv *natsgwtest.Server, org string) *sessionPeer {
	t.Helper()
	stream, err := natsgwv1.NewKeyValueServiceClient(rawConn(t, srv)).Session(asOrg(testutil.Context(t), org))
	testutil.NoErr(t, err, "open session")
	return &sessionPeer{t: t, stream: stream, got: map[uint64]*natsgwv1.KeyValueServiceSessionResponse{}}
}

func (p *sessionPeer) send(req *natsgwv1.KeyValueServiceSessionRequest) {
	p.t.Helper()
	testutil.NoErr(p.t, p.stream.Send(req), "send")
}

// result waits for the response to id (responses may come in any order).
func (p *sessionPeer) result(id uint64) *natsgwv1.KeyValueServiceSessionResponse {
	p.t.Helper()
	for p.got[id] == nil {
		r, err := p.stream.Recv()
		testutil.NoErr(p.t, err, fmt.Sprintf("receive (waiting for %d)", id))
		if p.got[r.GetId()] != nil {
			p.t.Fatalf("two responses to id %d", r.GetId())
		}
		p.got[r.GetId()] = r
	}
	return p.got[id]
}

// do sends op as id and returns its response.
func (p *sessionPeer) do(id uint64, op *natsgwv1.KeyValueServiceSessionRequest) *natsgwv1.KeyValueServiceSessionResponse {
	p.t.Helper()
	op.Id = id
	p.send(op)
	return p.result(id)
}

// sessionErr fails the test unless r is an error with code, naming field
// (in a BadRequest detail) when field is not empty.
func sessionErr(t *testing.T, r *natsgwv1.KeyValueServiceSessionResponse, code codes.Code, field, what string) {
	t.Helper()
	e := r.GetError()
	if e == nil {
		t.Fatalf("%s: response %v, want error %s", what, r, code)
	}
	testutil.Equal(t, codes.Code(e.GetCode()), code, what+": code ("+e.GetMessage()+")")
	if field == "" {
		return
	}
	var named string
	for _, d := range e.GetDetails() {
		var br errdetails.BadRequest
		if d.UnmarshalTo(&br) == nil && len(br.GetFieldViolations()) > 0 {
			named = br.GetFieldViolations()[0].GetField()
		}
	}
	testutil.Equal(t, named, field, what+": field named in "+e.GetMessage())
}

func sessGet(bucket, key string) *natsgwv1.KeyValueServiceSessionRequest {
	return &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Get{
		Get: &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: key},
	}}
}

func sessPut(bucket, key, value string) *natsgwv1.KeyValueServiceSessionRequest {
	return &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Put{
		Put: &natsgwv1.KeyValueServicePutRequest{Bucket: bucket, Key: key, Value: []byte(value)},
	}}
}

// TestKVSessionRaw: the Session protocol as another language's client sees
// it: ids echoed, one response each, errors as statuses naming the field,
// every operation kind, the stream ending cleanly after the last response.
func TestKVSessionRaw(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	p := openSession(t, srv, "acme")

	put := p.do(7, sessPut("cfg", "db.host", "localhost")).GetPut()
	if put.GetRevision() == 0 {
		t.Fatalf("put: response %v has no revision", put)
	}
	e := p.do(8, sessGet("cfg", "db.host")).GetGet().GetEntry()
	testutil.Equal(t, [2]any{string(e.GetValue()), e.GetRevision()}, [2]any{"localhost", put.GetRevision()}, "get after put")
	sessionErr(t, p.do(9, sessGet("cfg", "missing")), codes.NotFound, "", "get of a missing key")
	sessionErr(t, p.do(10, &natsgwv1.KeyValueServiceSessionRequest{}), codes.InvalidArgument, "operation", "no operation")
	neg := sessGet("cfg", "db.host")
	neg.Timeout = durationpb.New(-time.Second)
	sessionErr(t, p.do(11, neg), codes.InvalidArgument, "timeout", "negative timeout")
	sessionErr(t, p.do(12, sessGet("a.b", "k")), codes.InvalidArgument, "bucket", "bad bucket name")
	sessionErr(t, p.do(13, sessPut("cfg", "a..b", "x")), codes.InvalidArgument, "key", "bad key")

	cr := p.do(14, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Create{
		Create: &natsgwv1.KeyValueServiceCreateRequest{Bucket: "cfg", Key: "db.host", Value: []byte("x")},
	}})
	sessionErr(t, cr, codes.AlreadyExists, "", "create of an existing key")
	up := p.do(15, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Update{
		Update: &natsgwv1.KeyValueServiceUpdateRequest{Bucket: "cfg", Key: "db.host", Value: []byte("db1"), Revision: put.GetRevision()},
	}})
	if up.GetUpdate().GetRevision() <= put.GetRevision() {
		t.Fatalf("update: response %v, want a revision after %d", up, put.GetRevision())
	}
	del := p.do(16, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Delete{
		Delete: &natsgwv1.KeyValueServiceDeleteRequest{Bucket: "cfg", Key: "db.host", ExpectedRevision: put.GetRevision()},
	}})
	sessionErr(t, del, codes.FailedPrecondition, "", "delete at a stale revision")
	purge := p.do(17, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Purge{
		Purge: &natsgwv1.KeyValueServicePurgeRequest{Bucket: "cfg", Key: "db.host"},
	}})
	if purge.GetPurge() == nil {
		t.Fatalf("purge: response %v", purge)
	}
	sessionErr(t, p.do(18, sessGet("cfg", "db.host")), codes.NotFound, "", "get after purge")

	// Several in flight, then the client closes its side: every response
	// arrives, then the stream ends without error.
	for id := uint64(100); id < 110; id++ {
		p.send(func() *natsgwv1.KeyValueServiceSessionRequest {
			r := sessPut("cfg", fmt.Sprintf("k%d", id), "v")
			r.Id = id
			return r
		}())
	}
	testutil.NoErr(t, p.stream.CloseSend(), "close send")
	for id := uint64(100); id < 110; id++ {
		if p.result(id).GetPut().GetRevision() == 0 {
			t.Fatalf("put %d: %v", id, p.got[id])
		}
	}
	_, err := p.stream.Recv()
	testutil.ErrIs(t, err, io.EOF, "end of the stream after the last response")
}

// TestKVSessionCrossOrg: a session reaches only its own org's buckets.
func TestKVSessionCrossOrg(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	acme := openSession(t, srv, "acme")
	r := acme.do(1, sessPut("shared", "k", "acme")).GetPut().GetRevision()
	for i, org := range []string{"bob", "acme-x", "shared"} {
		other := openSession(t, srv, org)
		sessionErr(t, other.do(1, sessGet("shared", "k")), codes.NotFound, "", org+": get of acme's key")
		del := other.do(2, &natsgwv1.KeyValueServiceSessionRequest{Operation: &natsgwv1.KeyValueServiceSessionRequest_Delete{
			Delete: &natsgwv1.KeyValueServiceDeleteRequest{Bucket: "shared", Key: "k"},
		}})
		sessionErr(t, del, codes.NotFound, "", org+": delete in acme's bucket")
		if other.do(3, sessPut("shared", "k", org)).GetPut().GetRevision() == 0 {
			t.Fatalf("%s: put in its own bucket failed: %v", org, other.got[3])
		}
		e := acme.do(uint64(10+i), sessGet("shared", "k")).GetGet().GetEntry()
		testutil.Equal(t, [2]any{string(e.GetValue()), e.GetRevision()}, [2]any{"acme", r}, org+": acme's key is untouched")
	}
}

// TestKVSessionTimeout: an operation's timeout bounds it on the gateway; a
// caller whose deadline has passed gets ErrTimeout without a round trip.
func TestKVSessionTimeout(t *testing.T) {
	t.Parallel()
	srv, c, ctx := kvEnv(t)
	p := openSession(t, srv, "acme")
	p.do(1, sessPut("t", "k", "v"))
	req := sessGet("t", "k")
	req.Timeout = durationpb.New(time.Nanosecond)
	sessionErr(t, p.do(2, req), codes.DeadlineExceeded, "", "get with a 1 ns timeout")

	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, err := c.KeyValue("t").Get(expired, "k")
	testutil.ErrIs(t, err, natsgw.ErrTimeout, "get with an expired deadline")
	testutil.ErrIs(t, err, context.DeadlineExceeded, "get with an expired deadline")
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.KeyValue("t").Put(canceled, "k", nil)
	testutil.ErrIs(t, err, natsgw.ErrCanceled, "put with a canceled context")
	e, err := c.KeyValue("t").Get(ctx, "k")
	testutil.NoErr(t, err, "get after the canceled put")
	testutil.Equal(t, string(e.Value), "v", "the canceled put was not sent")
}

// TestKVSessionGatewayStops: a gateway shutting down ends its sessions
// with UNAVAILABLE (it does not wait for idle ones); the SDK opens a new
// session on the next gateway.
func TestKVSessionGatewayStops(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithDataDir(t.TempDir()))
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	kv := c.KeyValue("s")
	_, err := kv.Put(ctx, "a", []byte("1"))
	testutil.NoErr(t, err, "put")
	p := openSession(t, srv, "acme")
	p.do(1, sessGet("s", "a"))

	srv.Restart()
	_, err = p.stream.Recv()
	if st := status.Convert(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "shutting down") {
		t.Fatalf("idle session after the restart: %v, want UNAVAILABLE from the gateway shutting down", err)
	}
	testutil.Poll(t, "get after the restart", func() error {
		e, err := kv.Get(ctx, "a")
		if err == nil && string(e.Value) != "1" {
			return fmt.Errorf("value %q", e.Value)
		}
		return err
	})
}

// unaryOnlyKV is a KeyValueService of an older gateway: no Session.
type unaryOnlyKV struct {
	natsgwv1.UnimplementedKeyValueServiceServer
	calls chan string
}

func (s *unaryOnlyKV) Put(_ context.Context, r *natsgwv1.KeyValueServicePutRequest) (*natsgwv1.KeyValueServicePutResponse, error) {
	s.calls <- "put " + r.GetKey()
	return &natsgwv1.KeyValueServicePutResponse{Revision: 41}, nil
}

func (s *unaryOnlyKV) Get(_ context.Context, r *natsgwv1.KeyValueServiceGetRequest) (*natsgwv1.KeyValueServiceGetResponse, error) {
	s.calls <- "get " + r.GetKey()
	if r.GetKey() == "missing" {
		return nil, status.Error(codes.NotFound, "no such key")
	}
	return &natsgwv1.KeyValueServiceGetResponse{Entry: &natsgwv1.KeyValueEntry{Key: r.GetKey(), Value: []byte("unary"), Revision: 42}}, nil
}

// TestKVSessionFallback: against a gateway without Session the SDK sends
// single-key operations as unary RPCs, and remembers to.
func TestKVSessionFallback(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	testutil.NoErr(t, err, "listen")
	gs := grpc.NewServer()
	old := &unaryOnlyKV{calls: make(chan string, 10)}
	natsgwv1.RegisterKeyValueServiceServer(gs, old)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	ctx := testutil.Context(t)
	c, err := natsgw.Dial(ctx, lis.Addr().String())
	testutil.NoErr(t, err, "dial")
	t.Cleanup(func() { _ = c.Close() })
	kv := c.KeyValue("b")

	e, err := kv.Get(ctx, "k")
	testutil.NoErr(t, err, "get")
	testutil.Equal(t, [2]any{string(e.Value), e.Revision}, [2]any{"unary", uint64(42)}, "entry")
	r, err := kv.Put(ctx, "k2", nil)
	testutil.NoErr(t, err, "put")
	testutil.Equal(t, r, uint64(41), "revision")
	_, err = kv.Get(ctx, "missing")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get of a missing key")
	for _, want := range []string{"get k", "put k2", "get missing"} {
		testutil.Equal(t, testutil.Recv(t, old.calls, want), want, "unary call")
	}
}
