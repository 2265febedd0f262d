package natsgw_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// rawKV is a plain gRPC KV client of srv acting as org.
func rawKV(t *testing.T, srv *natsgwtest.Server, org string) (natsgwv1.KeyValueServiceClient, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	testutil.NoErr(t, err, "grpc client")
	t.Cleanup(func() { conn.Close() })
	ctx := metadata.AppendToOutgoingContext(testutil.Context(t), "x-natsgw-org", org)
	return natsgwv1.NewKeyValueServiceClient(conn), ctx
}

// metricSum adds up the values of the metric name in reg (all labels).
func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	testutil.NoErr(t, err, "gather metrics")
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// kvPut puts and returns the revision.
func kvPut(t *testing.T, ctx context.Context, kv natsgwv1.KeyValueServiceClient, bucket, key, value string) uint64 {
	t.Helper()
	r, err := kv.Put(ctx, &natsgwv1.KeyValueServicePutRequest{Bucket: bucket, Key: key, Value: []byte(value)})
	testutil.NoErr(t, err, "put "+key)
	return r.GetRevision()
}

// warmCache reads key until the gateway answers it from its cache (the hit
// counter of reg moves), proving the bucket is cached.
func warmCache(t *testing.T, ctx context.Context, kv natsgwv1.KeyValueServiceClient, reg *prometheus.Registry, bucket, key string) {
	t.Helper()
	testutil.Poll(t, "cache warm", func() error {
		before := metricSum(t, reg, "natsgw_kv_cache_hits_total")
		_, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: key})
		if err != nil && status.Code(err) != codes.NotFound {
			return err
		}
		if metricSum(t, reg, "natsgw_kv_cache_hits_total") == before {
			return fmt.Errorf("get %q was not a cache hit", key)
		}
		return nil
	})
}

// twoGateways starts two gateway instances over one NATS and returns a KV
// client of org "acme" and the metrics of each.
func twoGateways(t *testing.T) (kv1, kv2 natsgwv1.KeyValueServiceClient, reg1, reg2 *prometheus.Registry, ctx context.Context) {
	t.Helper()
	reg1, reg2 = prometheus.NewRegistry(), prometheus.NewRegistry()
	srv1 := natsgwtest.NewServer(t, natsgwtest.WithNATSListener(), natsgwtest.WithRegistry(reg1))
	srv2 := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(srv1.NATSURL()), natsgwtest.WithRegistry(reg2))
	kv1, ctx = rawKV(t, srv1, "acme")
	kv2, _ = rawKV(t, srv2, "acme")
	return kv1, kv2, reg1, reg2, ctx
}

// TestKVCacheCoherenceTwoInstances: clients write and read through two
// gateway instances over one NATS at once. A client that passes the highest
// revision it has seen as min_revision never reads a revision of a key older
// than one it saw (written or read) through either instance; a client that
// stays on one instance and passes nothing still reads its own writes. The
// caches must serve most of the reads.
func TestKVCacheCoherenceTwoInstances(t *testing.T) {
	t.Parallel()
	kv1, kv2, reg1, reg2, ctx := twoGateways(t)
	kvs := []natsgwv1.KeyValueServiceClient{kv1, kv2}
	const bucket, keys, clients, ops = "coherent", 4, 6, 300
	for k := range keys {
		kvPut(t, ctx, kv1, bucket, fmt.Sprint("k", k), "init")
	}
	warmCache(t, ctx, kv1, reg1, bucket, "k0")
	warmCache(t, ctx, kv2, reg2, bucket, "k0")

	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			// Even clients pass min_revision and use both instances;
			// odd ones stay on one instance and pass nothing.
			tracking := c%2 == 0
			seen := map[string]uint64{}
			var maxSeen uint64
			for i := range ops {
				kv := kvs[c/2%2]
				if tracking {
					kv = kvs[rng.IntN(2)]
				}
				key := fmt.Sprint("k", rng.IntN(keys))
				if rng.IntN(3) == 0 {
					r, err := kv.Put(ctx, &natsgwv1.KeyValueServicePutRequest{Bucket: bucket, Key: key, Value: fmt.Appendf(nil, "c%d-%d", c, i)})
					if err != nil {
						errs <- err
						return
					}
					seen[key], maxSeen = r.GetRevision(), max(maxSeen, r.GetRevision())
					continue
				}
				req := &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: key}
				if tracking {
					req.MinRevision = maxSeen
				}
				r, err := kv.Get(ctx, req)
				if err != nil {
					errs <- err
					return
				}
				if got := r.GetEntry().GetRevision(); got < seen[key] {
					errs <- fmt.Errorf("client %d (tracking %v) read %q at revision %d after seeing revision %d", c, tracking, key, got, seen[key])
					return
				}
				if tracking {
					seen[key], maxSeen = r.GetEntry().GetRevision(), max(maxSeen, r.GetEntry().GetRevision())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, reg := range []*prometheus.Registry{reg1, reg2} {
		hits := metricSum(t, reg, "natsgw_kv_cache_hits_total")
		misses := metricSum(t, reg, "natsgw_kv_cache_misses_total")
		t.Logf("instance %d: %v cache hits, %v misses", i+1, hits, misses)
		if hits == 0 {
			t.Errorf("instance %d answered no read from its cache", i+1)
		}
	}
}

// TestKVCacheDeletesNotStale: a deleted or purged key reads as absent at
// once through the instance that removed it and, with min_revision, through
// another; a deleted bucket is not served from the cache of either.
func TestKVCacheDeletesNotStale(t *testing.T) {
	t.Parallel()
	kv1, kv2, reg1, reg2, ctx := twoGateways(t)
	const bucket = "stale"
	kvPut(t, ctx, kv1, bucket, "del", "v")
	kvPut(t, ctx, kv1, bucket, "purge", "v")
	warmCache(t, ctx, kv1, reg1, bucket, "del")
	warmCache(t, ctx, kv2, reg2, bucket, "del")

	notFound := func(kv natsgwv1.KeyValueServiceClient, key string, minRev uint64, what string) {
		t.Helper()
		_, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: key, MinRevision: minRev})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("%s: got %v, want NOT_FOUND", what, err)
		}
	}
	d, err := kv1.Delete(ctx, &natsgwv1.KeyValueServiceDeleteRequest{Bucket: bucket, Key: "del"})
	testutil.NoErr(t, err, "delete")
	notFound(kv1, "del", 0, "deleted key, same instance")
	notFound(kv2, "del", d.GetRevision(), "deleted key, other instance")
	p, err := kv2.Purge(ctx, &natsgwv1.KeyValueServicePurgeRequest{Bucket: bucket, Key: "purge"})
	testutil.NoErr(t, err, "purge")
	if p.GetRevision() <= d.GetRevision() {
		t.Fatalf("purge revision %d after delete revision %d", p.GetRevision(), d.GetRevision())
	}
	notFound(kv2, "purge", 0, "purged key, same instance")
	notFound(kv1, "purge", p.GetRevision(), "purged key, other instance")

	kvPut(t, ctx, kv1, bucket, "k", "v")
	warmCache(t, ctx, kv1, reg1, bucket, "k")
	warmCache(t, ctx, kv2, reg2, bucket, "k")
	_, err = kv1.DeleteBucket(ctx, &natsgwv1.KeyValueServiceDeleteBucketRequest{Bucket: bucket})
	testutil.NoErr(t, err, "delete bucket")
	_, err = kv1.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "k"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("get from a deleted bucket, same instance: got %v, want NOT_FOUND", err)
	}
	// The other instance learns of the deletion from NATS's advisory.
	testutil.Poll(t, "deleted bucket, other instance", func() error {
		_, err := kv2.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "k"})
		if status.Code(err) != codes.NotFound {
			return fmt.Errorf("got %v, want NOT_FOUND", err)
		}
		return nil
	})
	// A new bucket of the same name starts with its own contents.
	kvPut(t, ctx, kv2, bucket, "k", "new")
	r, err := kv1.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "k", MinRevision: 1})
	testutil.NoErr(t, err, "get from the new bucket")
	testutil.Equal(t, string(r.GetEntry().GetValue()), "new", "value in the new bucket")
}

// TestKVCacheKeyTTL: a key whose TTL ran out is not served from the cache.
func TestKVCacheKeyTTL(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	srv := natsgwtest.NewServer(t, natsgwtest.WithRegistry(reg))
	kv, ctx := rawKV(t, srv, "acme")
	const bucket = "ttl"
	kvPut(t, ctx, kv, bucket, "stay", "v")
	warmCache(t, ctx, kv, reg, bucket, "stay")
	_, err := kv.Create(ctx, &natsgwv1.KeyValueServiceCreateRequest{Bucket: bucket, Key: "brief", Value: []byte("v"), Ttl: durationpb.New(time.Second)})
	testutil.NoErr(t, err, "create with ttl")
	_, err = kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "brief"})
	testutil.NoErr(t, err, "get before expiry")
	testutil.Poll(t, "expired in NATS", func() error {
		_, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "brief", Consistent: true})
		if status.Code(err) != codes.NotFound {
			return fmt.Errorf("consistent get: %v", err)
		}
		return nil
	})
	testutil.Poll(t, "expired in the cache", func() error {
		_, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "brief"})
		if status.Code(err) != codes.NotFound {
			return fmt.Errorf("cached get: %v", err)
		}
		return nil
	})
}

// TestKVCacheCrossOrg: two organizations with the same bucket and key
// names read only their own values from the cache, and a key only one of
// them has is absent for the other.
func TestKVCacheCrossOrg(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	srv := natsgwtest.NewServer(t, natsgwtest.WithRegistry(reg))
	a, actx := rawKV(t, srv, "org-a")
	b, bctx := rawKV(t, srv, "org-b")
	const bucket = "shared-name"
	kvPut(t, actx, a, bucket, "k", "a's")
	kvPut(t, actx, a, bucket, "only-a", "secret")
	kvPut(t, bctx, b, bucket, "k", "b's")
	warmCache(t, actx, a, reg, bucket, "k")
	warmCache(t, bctx, b, reg, bucket, "k")
	for _, c := range []struct {
		kv   natsgwv1.KeyValueServiceClient
		ctx  context.Context
		want string
	}{{a, actx, "a's"}, {b, bctx, "b's"}} {
		r, err := c.kv.Get(c.ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "k"})
		testutil.NoErr(t, err, "get k")
		testutil.Equal(t, string(r.GetEntry().GetValue()), c.want, "cached value")
	}
	before := metricSum(t, reg, "natsgw_kv_cache_hits_total")
	_, err := b.Get(bctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "only-a"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("org-b reading org-a's key: got %v, want NOT_FOUND", err)
	}
	if metricSum(t, reg, "natsgw_kv_cache_hits_total") == before {
		t.Fatal("org-b's read of a key it lacks did not come from its cache")
	}
}

// TestKVCacheConsistentBypasses: a consistent Get (unary and on a Session)
// reads NATS, not the cache.
func TestKVCacheConsistentBypasses(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	srv := natsgwtest.NewServer(t, natsgwtest.WithRegistry(reg))
	kv, ctx := rawKV(t, srv, "acme")
	const bucket = "consistent"
	rev := kvPut(t, ctx, kv, bucket, "k", "v")
	warmCache(t, ctx, kv, reg, bucket, "k")
	before := metricSum(t, reg, "natsgw_kv_cache_hits_total")
	r, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "k", Consistent: true})
	testutil.NoErr(t, err, "consistent get")
	testutil.Equal(t, r.GetEntry().GetRevision(), rev, "revision")
	sess, err := kv.Session(ctx)
	testutil.NoErr(t, err, "session")
	testutil.NoErr(t, sess.Send(&natsgwv1.KeyValueServiceSessionRequest{Id: 7, Operation: &natsgwv1.KeyValueServiceSessionRequest_Get{
		Get: &natsgwv1.KeyValueServiceGetRequest{Bucket: bucket, Key: "k", Consistent: true},
	}}), "session send")
	sr, err := sess.Recv()
	testutil.NoErr(t, err, "session recv")
	testutil.Equal(t, sr.GetGet().GetEntry().GetRevision(), rev, "session revision")
	testutil.NoErr(t, sess.CloseSend(), "close session")
	if after := metricSum(t, reg, "natsgw_kv_cache_hits_total"); after != before {
		t.Fatalf("consistent reads hit the cache (%v -> %v hits)", before, after)
	}
}

// TestKVCacheOff: with the cache off, reads still work and nothing is
// cached.
func TestKVCacheOff(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	srv := natsgwtest.NewServer(t, natsgwtest.WithRegistry(reg), natsgwtest.WithoutKVCache())
	kv, ctx := rawKV(t, srv, "acme")
	kvPut(t, ctx, kv, "off", "k", "v")
	for range 3 {
		_, err := kv.Get(ctx, &natsgwv1.KeyValueServiceGetRequest{Bucket: "off", Key: "k"})
		testutil.NoErr(t, err, "get")
	}
	if n := metricSum(t, reg, "natsgw_kv_cache_hits_total") + metricSum(t, reg, "natsgw_kv_cache_misses_total"); n != 0 {
		t.Fatalf("cache metrics moved with the cache off: %v", n)
	}
}
