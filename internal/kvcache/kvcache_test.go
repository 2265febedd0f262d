package kvcache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsgw/natsgw/internal/kvcache"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// newCache returns a cache of string values over a fresh NATS, and the
// JetStream context to make buckets with.
func newCache(t *testing.T, cfg kvcache.Config) (*kvcache.Cache[string], jetstream.JetStream) {
	t.Helper()
	nc := natsgwtest.NewServer(t).NATS(t)
	js, err := jetstream.New(nc)
	testutil.NoErr(t, err, "jetstream")
	c := kvcache.New(cfg, kvcache.Source[string]{
		Open:    js.KeyValue,
		Live:    nc.IsConnected,
		Convert: func(e jetstream.KeyValueEntry) string { return string(e.Value()) },
	})
	t.Cleanup(c.Close)
	return c, js
}

// fill makes bucket with n keys of size-byte values and returns its last
// revision.
func fill(t *testing.T, js jetstream.JetStream, bucket string, n, size int) uint64 {
	t.Helper()
	ctx := testutil.Context(t)
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket})
	testutil.NoErr(t, err, "create bucket")
	var rev uint64
	for i := range n {
		rev, err = kv.Put(ctx, fmt.Sprint("k", i), make([]byte, size))
		testutil.NoErr(t, err, "put")
	}
	return rev
}

// cached polls until the cache answers key of bucket at rev or later.
func cached(t *testing.T, c *kvcache.Cache[string], org, bucket, key string, rev uint64) kvcache.Result {
	t.Helper()
	var res kvcache.Result
	testutil.Poll(t, "cached "+bucket, func() error {
		if _, res = c.Get(context.Background(), org, bucket, key, rev); res == kvcache.Miss {
			return fmt.Errorf("%s/%s: miss", bucket, key)
		}
		return nil
	})
	return res
}

// uncached polls until bucket has left the cache (it broke a bound) and
// checks that its reads miss.
func uncached(t *testing.T, c *kvcache.Cache[string], org, bucket string) {
	t.Helper()
	testutil.Poll(t, "dropped "+bucket, func() error {
		if _, res := c.Get(context.Background(), org, bucket, "k0", 0); res != kvcache.Miss {
			return fmt.Errorf("%s still answered from the cache", bucket)
		}
		return nil
	})
}

// TestBucketKeysBound: a bucket with more keys than the bound is not
// cached, and one that grows past it leaves the cache and gives its memory
// back.
func TestBucketKeysBound(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, js := newCache(t, kvcache.Config{BucketKeys: 10, Registerer: reg})
	rev := fill(t, js, "big", 11, 1)
	// Loading the big bucket overflows: it never answers.
	c.Get(context.Background(), "o", "big", "k0", 0)
	uncached(t, c, "o", "big")

	rev = fill(t, js, "grows", 10, 1)
	testutil.Equal(t, cached(t, c, "o", "grows", "k9", rev), kvcache.Hit, "ten keys")
	if c.OrgBytes("o") == 0 {
		t.Fatal("no bytes counted for a cached bucket")
	}
	kv, err := js.KeyValue(testutil.Context(t), "grows")
	testutil.NoErr(t, err, "bucket")
	_, err = kv.Put(testutil.Context(t), "k10", []byte("x"))
	testutil.NoErr(t, err, "eleventh key")
	uncached(t, c, "o", "grows")
	testutil.Poll(t, "memory given back", func() error {
		if b := c.OrgBytes("o"); b != 0 {
			return fmt.Errorf("%d bytes still counted", b)
		}
		return nil
	})
}

// TestBytesBounds: a bucket larger than BucketBytes is not cached; two
// buckets of one organization that together pass OrgBytes are not both
// cached, while another organization's bucket is unaffected.
func TestBytesBounds(t *testing.T) {
	c, js := newCache(t, kvcache.Config{BucketBytes: 64 << 10, OrgBytes: 100 << 10})
	fill(t, js, "fat", 10, 8<<10) // 80 KiB
	c.Get(context.Background(), "o", "fat", "k0", 0)
	uncached(t, c, "o", "fat")

	r1 := fill(t, js, "one", 6, 8<<10) // ~48 KiB each
	r2 := fill(t, js, "two", 6, 8<<10)
	r3 := fill(t, js, "three", 6, 8<<10)
	testutil.Equal(t, cached(t, c, "o", "one", "k0", r1), kvcache.Hit, "first bucket of o")
	c.Get(context.Background(), "o", "two", "k0", r2)
	uncached(t, c, "o", "two") // would pass o's 100 KiB
	testutil.Equal(t, cached(t, c, "p", "three", "k0", r3), kvcache.Hit, "bucket of another org")
	if b := c.OrgBytes("o"); b > 100<<10 {
		t.Fatalf("org o holds %d bytes, over its bound", b)
	}
	// The first bucket still answers.
	testutil.Equal(t, cached(t, c, "o", "one", "k5", r1), kvcache.Hit, "first bucket after the overflow")
}

// TestFollowsChanges: the cache applies puts, deletes and purges in order,
// and a read with a min revision waits for it.
func TestFollowsChanges(t *testing.T) {
	c, js := newCache(t, kvcache.Config{})
	ctx := testutil.Context(t)
	rev := fill(t, js, "b", 2, 1)
	testutil.Equal(t, cached(t, c, "o", "b", "k0", rev), kvcache.Hit, "initial")
	kv, err := js.KeyValue(ctx, "b")
	testutil.NoErr(t, err, "bucket")
	rev, err = kv.Put(ctx, "k0", []byte("new"))
	testutil.NoErr(t, err, "put")
	v, res := c.Get(ctx, "o", "b", "k0", rev)
	testutil.Equal(t, [2]any{v, res}, [2]any{"new", kvcache.Hit}, "after put")
	testutil.NoErr(t, kv.Delete(ctx, "k0"), "delete")
	rev, err = kv.Put(ctx, "other", nil) // a revision after the delete
	testutil.NoErr(t, err, "put other")
	_, res = c.Get(ctx, "o", "b", "k0", rev)
	testutil.Equal(t, res, kvcache.Absent, "after delete")
	testutil.NoErr(t, kv.Purge(ctx, "k1"), "purge")
	rev, err = kv.Put(ctx, "other", nil)
	testutil.NoErr(t, err, "put other")
	_, res = c.Get(ctx, "o", "b", "k1", rev)
	testutil.Equal(t, res, kvcache.Absent, "after purge")
	// Seen: a revision seen elsewhere is waited for even without a min
	// revision.
	rev, err = kv.Put(ctx, "k1", []byte("back"))
	testutil.NoErr(t, err, "put k1")
	c.Seen("b", rev)
	v, res = c.Get(ctx, "o", "b", "k1", 0)
	testutil.Equal(t, [2]any{v, res}, [2]any{"back", kvcache.Hit}, "after Seen")
	// A revision the bucket never reaches: the read gives up (Miss).
	_, res = c.Get(ctx, "o", "b", "k1", rev+1000)
	testutil.Equal(t, res, kvcache.Miss, "revision from the future")
	c.Drop("b")
	_, res = c.Get(ctx, "o", "b", "k1", 0)
	testutil.Equal(t, res, kvcache.Miss, "after Drop")
}
