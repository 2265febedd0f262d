// Package memory holds the test that measures the heap of the whole
// process while a large object goes through the gateway and back. It has a
// package (a test binary) of its own so that nothing else runs in the
// process meanwhile, without holding up the root package's parallel tests:
// a serial test there runs before any of them starts.
package memory

import (
	"context"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestMain checks that the gateway, its NATS server and the client leave no
// goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestObjectLargeBoundedMemory: putting and getting a 100 MiB object grows
// the live heap of the whole process (gateway, NATS, gRPC, SDK) by less than
// 64 MiB: the object is streamed, never held.
func TestObjectLargeBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the 100 MiB round trip")
	}
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store := c.ObjectStore("big")
	const size = 100 << 20
	hin := sha256.New()
	w := testutil.WatchHeap()
	info, err := store.Put(ctx, "blob", io.TeeReader(testutil.RandomReader(1, size), hin))
	putHeap, putLive := w.Stop()
	testutil.NoErr(t, err, "put")
	testutil.Equal(t, info.Size, int64(size), "size")
	testutil.Equal(t, info.SHA256, hin.Sum(nil), "digest reported by put")

	w = testutil.WatchHeap()
	r, err := store.Get(ctx, "blob")
	testutil.NoErr(t, err, "get")
	hout := sha256.New()
	n, err := io.Copy(hout, r)
	getHeap, getLive := w.Stop()
	testutil.NoErr(t, err, "read")
	testutil.Equal(t, n, int64(size), "bytes read")
	testutil.Equal(t, hout.Sum(nil), hin.Sum(nil), "digest of the data read")

	const mib = 1 << 20
	t.Logf("growth over the level before each transfer (whole process: gateway, NATS, gRPC, SDK): "+
		"put live heap %.1f MiB (HeapInuse %.1f MiB), get live heap %.1f MiB (HeapInuse %.1f MiB)",
		float64(putLive)/mib, float64(putHeap)/mib, float64(getLive)/mib, float64(getHeap)/mib)
	// The bound is on the live heap (what the GC found reachable): HeapInuse
	// also counts garbage awaiting collection, up to GOGC times the live heap.
	const bound = 64 * mib
	if putLive > bound || getLive > bound {
		t.Fatalf("the live heap grew by %d bytes (put) and %d bytes (get) moving a %d-byte object; the bound is %d", putLive, getLive, size, bound)
	}
}
