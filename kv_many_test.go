package natsgw_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// code fails the test unless err has code c.
func code(t *testing.T, err error, c codes.Code, what string) {
	t.Helper()
	if status.Code(err) != c {
		t.Fatalf("%s: got %v, want %s", what, err, c)
	}
}

// TestKVGetManyPutMany: PutMany stores every item (with per-item TTL) and
// returns revisions in order; GetMany returns each key's entry or its own
// NOT_FOUND, in the request's order, cached or consistent.
func TestKVGetManyPutMany(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	kv, ctx := rawKV(t, srv, "acme")
	items := []*natsgwv1.KeyValuePutItem{
		{Key: "a", Value: []byte("1")},
		{Key: "b", Value: []byte("2"), Ttl: durationpb.New(time.Hour)},
		{Key: "a", Value: []byte("3")}, // a repeated key: the later item wins
	}
	pr, err := kv.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "many", Items: items})
	testutil.NoErr(t, err, "put many")
	testutil.Equal(t, len(pr.GetResults()), 3, "put results")
	for i, r := range pr.GetResults() {
		if r.GetError() != nil || r.GetKey() != items[i].GetKey() || (i > 0 && r.GetRevision() <= pr.GetResults()[i-1].GetRevision()) {
			t.Fatalf("put result %d: %v", i, r)
		}
	}
	for _, consistent := range []bool{false, true} {
		gr, err := kv.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "many", Keys: []string{"b", "missing", "a"}, Consistent: consistent, MinRevision: pr.GetResults()[2].GetRevision()})
		testutil.NoErr(t, err, "get many")
		res := gr.GetResults()
		testutil.Equal(t, len(res), 3, "get results")
		testutil.Equal(t, [2]string{res[0].GetKey(), string(res[0].GetEntry().GetValue())}, [2]string{"b", "2"}, "b")
		testutil.Equal(t, res[1].GetError().GetCode(), int32(codes.NotFound), "missing key")
		testutil.Equal(t, [3]any{res[2].GetKey(), string(res[2].GetEntry().GetValue()), res[2].GetEntry().GetRevision()},
			[3]any{"a", "3", pr.GetResults()[2].GetRevision()}, "a")
	}
	_, err = kv.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "nope", Keys: []string{"a"}})
	code(t, err, codes.NotFound, "get many from a missing bucket")
}

// TestKVPutTTLAndExpire: Put with a TTL, and Expire, make NATS remove the
// key; Expire with no TTL keeps it.
func TestKVPutTTLAndExpire(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	kv, ctx := rawKV(t, srv, "acme")
	gone := func(key string) {
		t.Helper()
		testutil.Poll(t, key+" expires", func() error {
			_, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: "ttl", Key: key, Consistent: true})
			if status.Code(err) != codes.NotFound {
				return fmt.Errorf("get %s: %v", key, err)
			}
			return nil
		})
	}
	_, err := kv.Put(ctx, &natsgwv1.KeyValueServicePutRequest{Bucket: "ttl", Key: "brief", Value: []byte("v"), Ttl: durationpb.New(time.Second)})
	testutil.NoErr(t, err, "put with ttl")
	rev := kvPut(t, ctx, kv, "ttl", "later", "v")
	er, err := kv.Expire(ctx, &natsgwv1.KeyValueServiceExpireRequest{Bucket: "ttl", Key: "later", Ttl: durationpb.New(time.Second)})
	testutil.NoErr(t, err, "expire")
	if er.GetRevision() <= rev {
		t.Fatalf("expire revision %d, not after %d", er.GetRevision(), rev)
	}
	kvPut(t, ctx, kv, "ttl", "kept", "v")
	_, err = kv.Expire(ctx, &natsgwv1.KeyValueServiceExpireRequest{Bucket: "ttl", Key: "kept"})
	testutil.NoErr(t, err, "expire without ttl (persist)")
	gone("brief")
	gone("later")
	r, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: "ttl", Key: "kept", Consistent: true})
	testutil.NoErr(t, err, "persisted key")
	testutil.Equal(t, string(r.GetEntry().GetValue()), "v", "persisted value")
	_, err = kv.Expire(ctx, &natsgwv1.KeyValueServiceExpireRequest{Bucket: "ttl", Key: "brief", Ttl: durationpb.New(time.Second)})
	code(t, err, codes.NotFound, "expire of an expired key")
}

// TestKVIncrement: Increment creates a counter bucket, adds atomically under
// concurrency, and refuses the other writes there; a plain bucket refuses
// Increment.
func TestKVIncrement(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	kv, ctx := rawKV(t, srv, "acme")
	incr := func(key string, d int64) (string, error) {
		r, err := kv.Increment(ctx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "counters", Key: key, Delta: d})
		return r.GetValue(), err
	}
	v, err := incr("hits", 5)
	testutil.NoErr(t, err, "first increment")
	testutil.Equal(t, v, "5", "first value")
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() { _, err := incr("hits", 1); errs <- err }()
	}
	for range n {
		testutil.NoErr(t, testutil.Recv(t, errs, "increment"), "concurrent increment")
	}
	v, err = incr("hits", -3)
	testutil.NoErr(t, err, "decrement")
	testutil.Equal(t, v, "22", "after 5 + 20 - 3")
	v, err = incr("hits", 0)
	testutil.NoErr(t, err, "read by adding zero")
	testutil.Equal(t, v, "22", "read")
	b, err := kv.GetBucket(ctx, &natsgwv1.KeyValueServiceGetBucketRequest{Bucket: "counters"})
	testutil.NoErr(t, err, "get bucket")
	testutil.Equal(t, b.GetInfo().GetConfig().GetCounter(), true, "a counter bucket")

	_, err = kv.Put(ctx, &natsgwv1.KeyValueServicePutRequest{Bucket: "counters", Key: "hits", Value: []byte("1")})
	code(t, err, codes.FailedPrecondition, "put in a counter bucket")
	kvPut(t, ctx, kv, "plain", "k", "1")
	_, err = kv.Increment(ctx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "plain", Key: "k", Delta: 1})
	code(t, err, codes.FailedPrecondition, "increment in a plain bucket")
	_, err = kv.CreateBucket(ctx, &natsgwv1.KeyValueServiceCreateBucketRequest{Bucket: "c2", Config: &natsgwv1.KeyValueBucketConfig{Counter: true, Ttl: durationpb.New(time.Hour)}})
	code(t, err, codes.InvalidArgument, "counter bucket with a TTL")
	_, err = kv.UpdateBucket(ctx, &natsgwv1.KeyValueServiceUpdateBucketRequest{Bucket: "plain", Config: &natsgwv1.KeyValueBucketConfig{Counter: true}})
	code(t, err, codes.InvalidArgument, "a plain bucket made a counter bucket")
}

// TestKVListKeys: pages are sorted, consecutive and complete, with a
// filter.
func TestKVListKeys(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	kv, ctx := rawKV(t, srv, "acme")
	var items []*natsgwv1.KeyValuePutItem
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("user.%02d", 24-i) // written in reverse order
		items = append(items, &natsgwv1.KeyValuePutItem{Key: k, Value: []byte("v")})
		want = append(want, k)
	}
	items = append(items, &natsgwv1.KeyValuePutItem{Key: "other", Value: []byte("v")})
	_, err := kv.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "list", Items: items})
	testutil.NoErr(t, err, "put many")
	_, err = kv.Delete(ctx, &natsgwv1.KeyValueServiceDeleteRequest{Bucket: "list", Key: "user.07"})
	testutil.NoErr(t, err, "delete")
	want = slices.DeleteFunc(want, func(k string) bool { return k == "user.07" })
	slices.Sort(want)
	var got []string
	token, pages := "", 0
	for {
		r, err := kv.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "list", Filter: "user.*", PageSize: 10, PageToken: token})
		testutil.NoErr(t, err, "list keys")
		pages++
		got = append(got, r.GetKeys()...)
		if token = r.GetNextPageToken(); token == "" {
			break
		}
	}
	testutil.Equal(t, got, want, "all pages")
	testutil.Equal(t, pages, 3, "pages of 10")
	r, err := kv.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "list"})
	testutil.NoErr(t, err, "list all")
	testutil.Equal(t, len(r.GetKeys()), 25, "every key, one page")
}

// TestKVManyInvalid: every malformed request to the new RPCs is
// INVALID_ARGUMENT naming the field.
func TestKVManyInvalid(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	kv, ctx := rawKV(t, srv, "acme")
	kvPut(t, ctx, kv, "b", "k", "v")
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprint("k", i)
	}
	manyItems := make([]*natsgwv1.KeyValuePutItem, 1001)
	for i := range manyItems {
		manyItems[i] = &natsgwv1.KeyValuePutItem{Key: many[i]}
	}
	for _, c := range []struct {
		name, field string
		call        func() error
	}{
		{"get many: bad bucket", "bucket", func() error {
			_, err := kv.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "a.b", Keys: []string{"k"}})
			return err
		}},
		{"get many: no keys", "keys", func() error {
			_, err := kv.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "b"})
			return err
		}},
		{"get many: too many keys", "keys", func() error {
			_, err := kv.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "b", Keys: many})
			return err
		}},
		{"get many: bad key", "keys[1]", func() error {
			_, err := kv.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "b", Keys: []string{"k", "a b"}})
			return err
		}},
		{"put many: no items", "items", func() error {
			_, err := kv.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "b"})
			return err
		}},
		{"put many: too many items", "items", func() error {
			_, err := kv.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "b", Items: manyItems})
			return err
		}},
		{"put many: bad key", "items[0]", func() error {
			_, err := kv.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "b", Items: []*natsgwv1.KeyValuePutItem{{Key: ".k"}}})
			return err
		}},
		{"put many: bad ttl", "items[1].ttl", func() error {
			_, err := kv.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "b", Items: []*natsgwv1.KeyValuePutItem{{Key: "k"}, {Key: "k", Ttl: durationpb.New(1500 * time.Millisecond)}}})
			return err
		}},
		{"put: bad ttl", "ttl", func() error {
			_, err := kv.Put(ctx, &natsgwv1.KeyValueServicePutRequest{Bucket: "b", Key: "k", Ttl: durationpb.New(time.Millisecond)})
			return err
		}},
		{"increment: bad key", "key", func() error {
			_, err := kv.Increment(ctx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "c", Key: "a>"})
			return err
		}},
		{"increment: bad bucket", "bucket", func() error {
			_, err := kv.Increment(ctx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "", Key: "k"})
			return err
		}},
		{"expire: bad ttl", "ttl", func() error {
			_, err := kv.Expire(ctx, &natsgwv1.KeyValueServiceExpireRequest{Bucket: "b", Key: "k", Ttl: durationpb.New(-time.Second)})
			return err
		}},
		{"expire: bad key", "key", func() error {
			_, err := kv.Expire(ctx, &natsgwv1.KeyValueServiceExpireRequest{Bucket: "b", Key: "", Ttl: durationpb.New(time.Second)})
			return err
		}},
		{"list keys: bad filter", "filter", func() error {
			_, err := kv.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "b", Filter: "a.>.b"})
			return err
		}},
		{"list keys: page too large", "page_size", func() error {
			_, err := kv.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "b", PageSize: 10001})
			return err
		}},
		{"list keys: bad token", "page_token", func() error {
			_, err := kv.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "b", PageToken: "no spaces"})
			return err
		}},
	} {
		err := c.call()
		code(t, err, codes.InvalidArgument, c.name)
		var fields []string
		for _, d := range status.Convert(err).Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
		}
		if !slices.Contains(fields, c.field) {
			t.Errorf("%s: %v names fields %v, want %q", c.name, err, fields, c.field)
		}
	}
}

// TestKVManyCrossOrg: org acme's keys, counters and TTLs are out of reach
// of other organizations (including the look-alike "acme-x") through every
// new RPC, while their own same-named buckets work.
func TestKVManyCrossOrg(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	acme, actx := rawKV(t, srv, "acme")
	kvPut(t, actx, acme, "x", "k", "acme")
	_, err := acme.Increment(actx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "cnt", Key: "k", Delta: 7})
	testutil.NoErr(t, err, "acme increments")
	check := func() {
		t.Helper()
		r, err := acme.GetMany(actx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "x", Keys: []string{"k"}, Consistent: true})
		testutil.NoErr(t, err, "acme get many")
		testutil.Equal(t, string(r.GetResults()[0].GetEntry().GetValue()), "acme", "acme's value")
		c, err := acme.Increment(actx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "cnt", Key: "k"})
		testutil.NoErr(t, err, "acme reads its counter")
		testutil.Equal(t, c.GetValue(), "7", "acme's counter")
		l, err := acme.ListKeys(actx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "x"})
		testutil.NoErr(t, err, "acme list keys")
		testutil.Equal(t, l.GetKeys(), []string{"k"}, "acme's keys")
	}
	for _, org := range []string{"bob", "acme-x", "x"} {
		other, ctx := rawKV(t, srv, org)
		_, err := other.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "x", Keys: []string{"k"}})
		code(t, err, codes.NotFound, org+": get many")
		_, err = other.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "x"})
		code(t, err, codes.NotFound, org+": list keys")
		_, err = other.Expire(ctx, &natsgwv1.KeyValueServiceExpireRequest{Bucket: "x", Key: "k", Ttl: durationpb.New(time.Second)})
		code(t, err, codes.NotFound, org+": expire")
		// Writes make the other org's own buckets.
		c, err := other.Increment(ctx, &natsgwv1.KeyValueServiceIncrementRequest{Bucket: "cnt", Key: "k", Delta: 1})
		testutil.NoErr(t, err, org+": increment")
		testutil.Equal(t, c.GetValue(), "1", org+": its own counter")
		_, err = other.PutMany(ctx, &natsgwv1.KeyValueServicePutManyRequest{Bucket: "x", Items: []*natsgwv1.KeyValuePutItem{{Key: "k", Value: []byte(org)}, {Key: "mine", Value: []byte(org)}}})
		testutil.NoErr(t, err, org+": put many")
		r, err := other.GetMany(ctx, &natsgwv1.KeyValueServiceGetManyRequest{Bucket: "x", Keys: []string{"k"}})
		testutil.NoErr(t, err, org+": get many of its own")
		testutil.Equal(t, string(r.GetResults()[0].GetEntry().GetValue()), org, org+": its own value")
		l, err := other.ListKeys(ctx, &natsgwv1.KeyValueServiceListKeysRequest{Bucket: "x"})
		testutil.NoErr(t, err, org+": list keys of its own")
		testutil.Equal(t, strings.Join(l.GetKeys(), ","), "k,mine", org+": its own keys")
		check()
	}
}
