package natsgw_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// TestKVSDKManyOps: the SDK's GetMany, PutMany, Increment, Expire,
// KeysPage, Put with WithKeyTTL and Get with WithConsistentRead, over the
// session and unary transports.
func TestKVSDKManyOps(t *testing.T) {
	t.Parallel()
	kvTransports(t, func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context) {
		c := client("acme")
		kv := c.KeyValue("many")
		res, err := kv.PutMany(ctx, []natsgw.KVPutItem{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2"), TTL: time.Hour}, {Key: "bad key"}})
		if err == nil || !errors.Is(err, natsgw.ErrInvalidArgument) || res != nil {
			t.Fatalf("put many with a bad key: %v %v", res, err)
		}
		res, err = kv.PutMany(ctx, []natsgw.KVPutItem{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2"), TTL: time.Hour}})
		testutil.NoErr(t, err, "put many")
		testutil.Equal(t, [2]string{res[0].Key, res[1].Key}, [2]string{"a", "b"}, "put results")
		if res[0].Err != nil || res[1].Err != nil || res[1].Revision <= res[0].Revision {
			t.Fatalf("put results %+v", res)
		}
		testutil.Equal(t, natsgw.SeenRevision(c, "many"), res[1].Revision, "the client tracks the revisions it saw")
		got, err := kv.GetMany(ctx, []string{"b", "nope", "a"})
		testutil.NoErr(t, err, "get many")
		testutil.Equal(t, string(got[0].Entry.Value), "2", "b")
		testutil.ErrIs(t, got[1].Err, natsgw.ErrNotFound, "missing key")
		testutil.Equal(t, string(got[2].Entry.Value), "1", "a")
		_, err = kv.GetMany(ctx, []string{"a"}, natsgw.WithConsistentRead())
		testutil.NoErr(t, err, "consistent get many")

		rev, err := kv.Put(ctx, "t", []byte("v"), natsgw.WithKeyTTL(time.Hour))
		testutil.NoErr(t, err, "put with ttl")
		e, err := kv.Get(ctx, "t", natsgw.WithConsistentRead())
		testutil.NoErr(t, err, "consistent get")
		testutil.Equal(t, e.Revision, rev, "revision")
		exp, err := kv.Expire(ctx, "t", 0)
		testutil.NoErr(t, err, "expire 0")
		if exp <= rev {
			t.Fatalf("expire revision %d after %d", exp, rev)
		}
		e, err = kv.Get(ctx, "t")
		testutil.NoErr(t, err, "cached get after expire")
		testutil.Equal(t, e.Revision, exp, "read your write")
		_, err = kv.Expire(ctx, "nope", time.Minute)
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "expire a missing key")

		n, err := c.KeyValue("counters").Increment(ctx, "hits", 41)
		testutil.NoErr(t, err, "increment")
		testutil.Equal(t, n, int64(41), "counter")
		n, err = c.KeyValue("counters").Increment(ctx, "hits", 1)
		testutil.NoErr(t, err, "increment")
		testutil.Equal(t, n, int64(42), "counter")
		_, err = kv.Increment(ctx, "a", 1)
		testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "increment in a plain bucket")
		st, err := c.KeyValue("counters").Status(ctx)
		testutil.NoErr(t, err, "status")
		testutil.Equal(t, st.Config.Counter, true, "a counter bucket")

		p, err := kv.KeysPage(ctx, natsgw.WithKeysPageSize(2))
		testutil.NoErr(t, err, "keys page")
		testutil.Equal(t, *p, natsgw.KVKeysPage{Keys: []string{"a", "b"}, Next: "b"}, "first page")
		p, err = kv.KeysPage(ctx, natsgw.WithKeysPageSize(2), natsgw.WithKeysPageToken(p.Next))
		testutil.NoErr(t, err, "keys page 2")
		testutil.Equal(t, *p, natsgw.KVKeysPage{Keys: []string{"t"}}, "last page")
		p, err = kv.KeysPage(ctx, natsgw.WithKeysMatching("a"))
		testutil.NoErr(t, err, "keys matching")
		testutil.Equal(t, p.Keys, []string{"a"}, "matching")
		_, err = kv.KeysPage(ctx, natsgw.WithKeysPageSize(20000))
		testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "page too large")
		testutil.NoErr(t, c.DeleteKeyValue(ctx, "many"), "delete bucket")
		testutil.Equal(t, natsgw.SeenRevision(c, "many"), uint64(0), "a deleted bucket's revision is forgotten")
	})
}
