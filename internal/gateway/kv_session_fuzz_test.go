package gateway

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// FuzzKVSession feeds arbitrary Session requests to a real gateway: each
// gets a result of its kind or a status error the client can act on, never
// a panic (which the session turns into INTERNAL) or an unmapped error.
func FuzzKVSession(f *testing.F) {
	for _, r := range []*natsgwv1.KeyValueServiceSessionRequest{
		{Id: 1, Operation: &natsgwv1.KeyValueServiceSessionRequest_Put{Put: &natsgwv1.KeyValueServicePutRequest{Bucket: "b", Key: "a.b", Value: []byte("v")}}},
		{Id: 2, Operation: &natsgwv1.KeyValueServiceSessionRequest_Get{Get: &natsgwv1.KeyValueServiceGetRequest{Bucket: "b", Key: "a.b", Revision: 1}}},
		{Id: 3, Timeout: durationpb.New(-time.Second), Operation: &natsgwv1.KeyValueServiceSessionRequest_Get{Get: &natsgwv1.KeyValueServiceGetRequest{Bucket: "b", Key: "k"}}},
		{Id: 4, Timeout: &durationpb.Duration{Seconds: 1, Nanos: -5}},
		{Id: 5, Operation: &natsgwv1.KeyValueServiceSessionRequest_Create{Create: &natsgwv1.KeyValueServiceCreateRequest{Bucket: "b", Key: "k", Ttl: durationpb.New(time.Millisecond)}}},
		{Id: 6, Operation: &natsgwv1.KeyValueServiceSessionRequest_Update{Update: &natsgwv1.KeyValueServiceUpdateRequest{Bucket: "b", Key: "k", Revision: 99}}},
		{Id: 7, Operation: &natsgwv1.KeyValueServiceSessionRequest_Delete{Delete: &natsgwv1.KeyValueServiceDeleteRequest{Bucket: "b", Key: ">", ExpectedRevision: 3}}},
		{Id: 8, Operation: &natsgwv1.KeyValueServiceSessionRequest_Purge{Purge: &natsgwv1.KeyValueServicePurgeRequest{Bucket: "KV_b", Key: "a..b"}}},
		{Id: 9, Operation: &natsgwv1.KeyValueServiceSessionRequest_Get{}},
	} {
		b, err := proto.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := fuzzGateway(f)
	g, err := New(Config{Conn: base.nc, Mapper: base.m, MaxPayload: fuzzMaxPayload})
	if err != nil {
		f.Fatal(err)
	}
	ss := &kvSession{s: newKVServer(g)}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req natsgwv1.KeyValueServiceSessionRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), tenant.Identity{Org: "acme", User: "fuzz"}), 10*time.Second)
		defer cancel()
		resp, method, err := ss.do(ctx, &req)
		if err != nil {
			if code := status.Code(err); code == codes.Internal || code == codes.Unknown {
				t.Fatalf("request %v: %v", &req, err)
			}
			return
		}
		var kind string
		switch resp.GetResult().(type) {
		case *natsgwv1.KeyValueServiceSessionResponse_Get:
			kind = "Get"
		case *natsgwv1.KeyValueServiceSessionResponse_Put:
			kind = "Put"
		case *natsgwv1.KeyValueServiceSessionResponse_Create:
			kind = "Create"
		case *natsgwv1.KeyValueServiceSessionResponse_Update:
			kind = "Update"
		case *natsgwv1.KeyValueServiceSessionResponse_Delete:
			kind = "Delete"
		case *natsgwv1.KeyValueServiceSessionResponse_Purge:
			kind = "Purge"
		}
		if kind != method {
			t.Fatalf("request %v: result %v of kind %q for method %q", &req, resp, kind, method)
		}
	})
}
