package natsgw_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// objCtx bounds a whole object store test: each moves megabytes through a
// dozen calls, and with the package's parallel tests under -race on two
// cores that can outlast testutil.Context's 10 s, which bounds one step.
func objCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// chunk is the gateway's chunk size (128 KiB).
const chunk = 128 << 10

// prng is a deterministic pseudo-random stream of n bytes.
func prng(seed uint64, n int64) io.Reader { return testutil.RandomReader(seed, n) }

func prngBytes(seed uint64, n int) []byte {
	b, _ := io.ReadAll(prng(seed, int64(n)))
	return b
}

func sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// rawBucket looks at org's bucket with raw nats.go, as an operator would.
type rawBucket struct {
	t    *testing.T
	name string // NATS bucket name
	js   jetstream.JetStream
}

func newRawBucket(t *testing.T, srv *natsgwtest.Server, org, bucket string) *rawBucket {
	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	return &rawBucket{t: t, name: "tenant_" + org + "_" + bucket, js: js}
}

// chunkMsgs counts the chunk messages stored in the bucket (every object's).
func (r *rawBucket) chunkMsgs() (int, error) {
	st, err := r.js.Stream(context.Background(), "OBJ_"+r.name)
	if err != nil {
		return 0, err
	}
	si, err := st.Info(context.Background(), jetstream.WithSubjectFilter("$O."+r.name+".C.>"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range si.State.Subjects {
		n += int(c)
	}
	return n, nil
}

// wantChunks polls until the bucket holds exactly n chunk messages.
func (r *rawBucket) wantChunks(n int) {
	r.t.Helper()
	testutil.Poll(r.t, fmt.Sprintf("bucket %s holds %d chunk messages", r.name, n), func() error {
		got, err := r.chunkMsgs()
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%d chunk messages", got)
		}
		return nil
	})
}

func (r *rawBucket) store() jetstream.ObjectStore {
	obs, err := r.js.ObjectStore(context.Background(), r.name)
	testutil.NoErr(r.t, err, "raw object store")
	return obs
}

func TestObjectBriefFlow(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("documents")

	doc := bytes.Repeat([]byte("Document content"), 1000) // 16000 bytes
	md := map[string]string{"content-type": "application/pdf", "author": "ann"}
	info, err := store.PutBytes(ctx, "reports/q4.pdf", doc, natsgw.WithObjectMetadata(md), natsgw.WithObjectDescription("Q4 report"))
	testutil.NoErr(t, err, "put")
	testutil.Equal(t, info.Size, int64(16000), "size reported by put")
	testutil.Equal(t, info.SHA256, sum(doc), "digest reported by put")
	testutil.Equal(t, info.Chunks, 1, "chunks")
	if info.ID == "" || info.Modified.IsZero() {
		t.Fatalf("put returned no id or time: %+v", info)
	}

	var listed []*natsgw.ObjectInfo
	for o, err := range store.List(ctx) {
		testutil.NoErr(t, err, "list")
		listed = append(listed, o)
	}
	if len(listed) != 1 || listed[0].Name != "reports/q4.pdf" || listed[0].Size != 16000 {
		t.Fatalf("list: got %+v, want reports/q4.pdf of 16000 bytes", listed)
	}

	got, ginfo, err := store.GetBytes(ctx, "reports/q4.pdf")
	testutil.NoErr(t, err, "get")
	testutil.Equal(t, got, doc, "data")
	testutil.Equal(t, ginfo.Metadata, md, "metadata")
	testutil.Equal(t, ginfo.Description, "Q4 report", "description")

	testutil.NoErr(t, store.Delete(ctx, "reports/q4.pdf"), "delete")
	_, _, err = store.GetBytes(ctx, "reports/q4.pdf")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get after delete")
	_, err = store.Info(ctx, "reports/q4.pdf")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info after delete")
	err = store.Delete(ctx, "reports/q4.pdf")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "delete twice")
	newRawBucket(t, srv, "acme", "documents").wantChunks(0)
}

func TestObjectSizesAndBinary(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("bin")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := map[string][]byte{
		"empty":        {},
		"one byte":     {0},
		"bytes 0..255": bytes.Repeat(all, 100),
		"chunk-1":      prngBytes(1, chunk-1),
		"chunk":        prngBytes(2, chunk),
		"chunk+1":      prngBytes(3, chunk+1),
		"3 chunks":     prngBytes(4, 3*chunk),
		"frame+1":      prngBytes(5, 256<<10+1), // the SDK sends 256 KiB frames
	}
	for name, data := range cases {
		info, err := store.PutBytes(ctx, name, data)
		testutil.NoErr(t, err, "put "+name)
		testutil.Equal(t, info.Size, int64(len(data)), "size of "+name)
		testutil.Equal(t, info.SHA256, sum(data), "digest of "+name)
		testutil.Equal(t, info.Chunks, (len(data)+chunk-1)/chunk, "chunks of "+name)
		got, _, err := store.GetBytes(ctx, name)
		testutil.NoErr(t, err, "get "+name)
		if !bytes.Equal(got, data) {
			t.Fatalf("%s: got %d bytes back, want %d equal bytes", name, len(got), len(data))
		}
	}
	// Chunks of every object but the last are full: range reads rely on it.
	raw := newRawBucket(t, srv, "acme", "bin")
	ri, err := raw.store().GetInfo(ctx, "frame+1")
	testutil.NoErr(t, err, "raw info")
	testutil.Equal(t, ri.Opts.ChunkSize, uint32(chunk), "chunk size recorded")
}

// gatedReader yields n bytes, then blocks until release is closed, then fails.
type gatedReader struct {
	r       io.Reader
	release chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if n > 0 || !errors.Is(err, io.EOF) {
		return n, err
	}
	<-g.release
	return 0, errors.New("source gone")
}

func TestObjectCanceledUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("up")
	old := prngBytes(9, 2*chunk)
	_, err := store.PutBytes(ctx, "doc", old)
	testutil.NoErr(t, err, "put the old version")
	raw := newRawBucket(t, srv, "acme", "up")

	for _, tc := range []struct{ how, name string }{
		{"context canceled", "doc"}, {"reader failed", "doc"},
		{"context canceled", "new-doc"}, {"reader failed", "new-doc"},
	} {
		t.Run(tc.how+"/"+tc.name, func(t *testing.T) {
			pctx, cancel := context.WithCancel(ctx)
			defer cancel()
			src := &gatedReader{r: prng(10, 4<<20), release: make(chan struct{})}
			errc := make(chan error, 1)
			go func() {
				_, err := store.Put(pctx, tc.name, src)
				errc <- err
			}()
			// Wait until the new version's chunks are being stored.
			testutil.Poll(t, "upload in progress", func() error {
				if n, err := raw.chunkMsgs(); err != nil || n < 2+16 {
					return fmt.Errorf("%d chunk messages (%v)", n, err)
				}
				return nil
			})
			if tc.how == "context canceled" {
				// The gateway cleans up on the cancellation alone, while
				// the client's reader is still blocked.
				cancel()
				raw.wantChunks(2)
			}
			close(src.release)
			err := testutil.Recv(t, errc, "put result")
			if err == nil {
				t.Fatal("abandoned put succeeded")
			}
			// Only the old version's chunks remain, it still reads back, and
			// the abandoned name has no object.
			raw.wantChunks(2)
			got, _, err := store.GetBytes(ctx, "doc")
			testutil.NoErr(t, err, "get the old version")
			testutil.Equal(t, got, old, "old version intact")
			if tc.name == "new-doc" {
				_, err := store.Info(ctx, "new-doc")
				testutil.ErrIs(t, err, natsgw.ErrNotFound, "abandoned new object")
			}
		})
	}
}

func TestObjectExpectedSizeAndDigest(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("check")
	data := prngBytes(11, 3*chunk+5)
	old := []byte("old version")
	_, err := store.PutBytes(ctx, "doc", old)
	testutil.NoErr(t, err, "put old")
	raw := newRawBucket(t, srv, "acme", "check")

	bad := sum([]byte("something else"))
	cases := []struct {
		name  string
		opts  []natsgw.PutObjectOption
		field string
	}{
		{"wrong digest", []natsgw.PutObjectOption{natsgw.WithExpectedSHA256(bad)}, "expected_sha256"},
		{"longer than expected", []natsgw.PutObjectOption{natsgw.WithExpectedSize(int64(len(data) - 1))}, "expected_size"},
		{"shorter than expected", []natsgw.PutObjectOption{natsgw.WithExpectedSize(int64(len(data) + 1))}, "expected_size"},
	}
	for _, tc := range cases {
		_, err := store.PutBytes(ctx, "doc", data, tc.opts...)
		testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, tc.name)
		if !strings.Contains(err.Error(), tc.field) {
			t.Fatalf("%s: error %q does not name %s", tc.name, err, tc.field)
		}
		raw.wantChunks(1) // the old version's only
		got, _, err := store.GetBytes(ctx, "doc")
		testutil.NoErr(t, err, "get after "+tc.name)
		testutil.Equal(t, got, old, "old version after "+tc.name)
	}
	info, err := store.PutBytes(ctx, "doc", data, natsgw.WithExpectedSHA256(sum(data)), natsgw.WithExpectedSize(int64(len(data))))
	testutil.NoErr(t, err, "put with the right size and digest")
	testutil.Equal(t, info.SHA256, sum(data), "digest")
	raw.wantChunks(4) // the old version's chunk is purged
}

func TestObjectRangeReads(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("ranges")
	size := 5*chunk + 1000
	data := prngBytes(12, size)
	_, err := store.PutBytes(ctx, "obj", data)
	testutil.NoErr(t, err, "put")
	// Another object written in between, so chunks of the two interleave
	// in the stream below (raw writes, chunk by chunk).
	raw := newRawBucket(t, srv, "acme", "ranges")
	writeInterleaved(t, raw, map[string][]byte{"a": prngBytes(13, size), "b": prngBytes(14, 2*size)}, chunk)
	// And one with short, uneven chunks (a client that stored them so).
	uneven := prngBytes(15, 4*chunk)
	writeRaw(t, raw, "uneven", uneven, []int{1000, chunk, 5, chunk, chunk, chunk})

	type rng struct{ off, n int }
	ranges := []rng{
		{0, 10}, {0, 0}, {chunk - 5, 10}, {chunk, chunk}, {2*chunk + 7, 2*chunk + 100},
		{size - 10, 0}, {size - 10, 100}, {size, 0}, {size - 1, 1}, {4*chunk - 1, 2},
	}
	want := map[string][]byte{"obj": data, "a": prngBytes(13, size), "b": prngBytes(14, 2*size), "uneven": uneven}
	for name, full := range want {
		for _, r := range ranges {
			if r.off > len(full) {
				continue
			}
			end := len(full)
			if r.n > 0 {
				end = min(r.off+r.n, len(full))
			}
			got, _, err := store.GetBytes(ctx, name, natsgw.WithRange(int64(r.off), int64(r.n)))
			testutil.NoErr(t, err, fmt.Sprintf("%s range %+v", name, r))
			if !bytes.Equal(got, full[r.off:end]) {
				t.Fatalf("%s range %+v: got %d bytes, want %d equal bytes", name, r, len(got), end-r.off)
			}
		}
	}
	rd, err := store.Get(ctx, "obj", natsgw.WithRange(chunk, 5))
	testutil.NoErr(t, err, "get range")
	off, n := rd.Range()
	testutil.Equal(t, [2]int64{off, n}, [2]int64{chunk, 5}, "range served")
	rd.Close()

	_, err = store.Get(ctx, "obj", natsgw.WithRange(int64(size+1), 0))
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "offset past the end")
	var ge *natsgw.Error
	if !errors.As(err, &ge) || ge.Code != codes.OutOfRange || ge.Field != "offset" {
		t.Fatalf("offset past the end: got %v, want OutOfRange naming offset", err)
	}
}

// writeRaw stores an object with raw NATS in the object store format, with
// the given chunk sizes (the last one is cut to the data), like a client
// whose reader returns short reads.
func writeRaw(t *testing.T, raw *rawBucket, name string, data []byte, sizes []int) {
	t.Helper()
	ctx := objCtx(t)
	id := nats.NewInbox()[len("_INBOX."):]
	chunks := 0
	for i, rest := 0, data; len(rest) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(rest))
		_, err := raw.js.Publish(ctx, "$O."+raw.name+".C."+id, rest[:n])
		testutil.NoErr(t, err, "publish chunk")
		rest = rest[n:]
		chunks++
	}
	publishRawMeta(t, raw, name, id, data, chunks)
}

func publishRawMeta(t *testing.T, raw *rawBucket, name, id string, data []byte, chunks int) {
	t.Helper()
	h := sha256.New()
	h.Write(data)
	info := jetstream.ObjectInfo{
		ObjectMeta: jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunk}},
		Bucket:     raw.name, NUID: id, Size: uint64(len(data)), Chunks: uint32(chunks),
		Digest: jetstream.GetObjectDigestValue(h),
	}
	b, err := json.Marshal(info)
	testutil.NoErr(t, err, "marshal info")
	m := nats.NewMsg("$O." + raw.name + ".M." + base64.URLEncoding.EncodeToString([]byte(name)))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = b
	_, err = raw.js.PublishMsg(testutil.Context(t), m)
	testutil.NoErr(t, err, "publish info")
}

// writeInterleaved stores objects with raw NATS, their chunks interleaved
// one by one in the stream.
func writeInterleaved(t *testing.T, raw *rawBucket, objs map[string][]byte, cs int) {
	t.Helper()
	ctx := objCtx(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range objs {
			if !yield(n) {
				return
			}
		}
	})
	ids := map[string]string{}
	rest := map[string][]byte{}
	for _, n := range names {
		ids[n] = nats.NewInbox()[len("_INBOX."):]
		rest[n] = objs[n]
	}
	for more := true; more; {
		more = false
		for _, n := range names {
			if len(rest[n]) == 0 {
				continue
			}
			k := min(cs, len(rest[n]))
			_, err := raw.js.Publish(ctx, "$O."+raw.name+".C."+ids[n], rest[n][:k])
			testutil.NoErr(t, err, "publish chunk")
			rest[n] = rest[n][k:]
			more = true
		}
	}
	for _, n := range names {
		publishRawMeta(t, raw, n, ids[n], objs[n], (len(objs[n])+cs-1)/cs)
	}
}

func TestObjectReplaceIsAtomic(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("atomic")
	versions := [][]byte{
		bytes.Repeat([]byte{'a'}, 3*chunk+10),
		bytes.Repeat([]byte{'b'}, 5*chunk),
		bytes.Repeat([]byte{'c'}, chunk/2),
	}
	_, err := store.PutBytes(ctx, "doc", versions[0])
	testutil.NoErr(t, err, "put first version")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, aborted atomic.Int64
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				// A streaming read: old or new in full, or Aborted; never a mix.
				r, err := store.Get(ctx, "doc")
				if err != nil {
					t.Errorf("get: %v", err)
					return
				}
				got, err := io.ReadAll(r)
				r.Close()
				var ge *natsgw.Error
				if errors.As(err, &ge) && ge.Code == codes.Aborted {
					aborted.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
					t.Errorf("read %d bytes that are no version (first %q)", len(got), got[:min(len(got), 1)])
					return
				}
				// GetBytes starts over instead of failing.
				got, _, err = store.GetBytes(ctx, "doc")
				if err != nil || !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
					t.Errorf("GetBytes: %d bytes, %v", len(got), err)
					return
				}
				reads.Add(1)
			}
		})
	}
	for i := range 30 {
		_, err := store.PutBytes(ctx, "doc", versions[(i+1)%len(versions)])
		testutil.NoErr(t, err, "replace")
	}
	close(stop)
	wg.Wait()
	t.Logf("%d reads during 30 replaces, %d aborted and retried", reads.Load(), aborted.Load())
	newRawBucket(t, srv, "acme", "atomic").wantChunks((len(versions[30%len(versions)]) + chunk - 1) / chunk)
}

func TestObjectConcurrentPutsLeaveNoOrphans(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("race")
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			_, err := store.PutBytes(ctx, "same", prngBytes(uint64(i), 3*chunk))
			if err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	// One version won; only its three chunks remain.
	newRawBucket(t, srv, "acme", "race").wantChunks(3)
	info, err := store.Info(ctx, "same")
	testutil.NoErr(t, err, "info")
	got, _, err := store.GetBytes(ctx, "same")
	testutil.NoErr(t, err, "get")
	testutil.Equal(t, sum(got), info.SHA256, "the winner reads back whole")
}

func TestObjectListPaging(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("many")
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("logs/%02d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("img/%02d", i)
		}
		_, err := store.PutBytes(ctx, name, []byte(name))
		testutil.NoErr(t, err, "put")
		want = append(want, name)
	}
	testutil.NoErr(t, store.Delete(ctx, "logs/01"), "delete")
	want = slices.DeleteFunc(want, func(n string) bool { return n == "logs/01" })

	list := func(opts ...natsgw.ListObjectsOption) []string {
		var names []string
		for o, err := range store.List(ctx, opts...) {
			testutil.NoErr(t, err, "list")
			names = append(names, o.Name)
		}
		return names
	}
	testutil.Equal(t, list(), want, "all, in write order")
	testutil.Equal(t, list(natsgw.WithPageSize(7)), want, "pages of 7")
	testutil.Equal(t, list(natsgw.WithPageSize(1)), want, "pages of 1")
	testutil.Equal(t, list(natsgw.WithNamePrefix("img/"), natsgw.WithPageSize(2)), []string{"img/00", "img/05", "img/10", "img/15", "img/20"}, "prefix")
	testutil.Equal(t, list(natsgw.WithNamePrefix("nothing")), []string(nil), "prefix matching none")
	// A rewritten object moves to the end.
	_, err := store.PutBytes(ctx, "img/00", []byte("again"))
	testutil.NoErr(t, err, "rewrite")
	testutil.Equal(t, list(natsgw.WithPageSize(4)), append(want[1:], "img/00"), "after a rewrite")
	testutil.Equal(t, c.ObjectStore("empty-list").List(ctx) != nil, true, "iterator")
	for _, err := range c.ObjectStore("missing").List(ctx) {
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "list of a missing bucket")
	}
}

func TestObjectUpdateMeta(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("meta")
	data := prngBytes(20, 2*chunk+3)
	orig, err := store.PutBytes(ctx, "a.txt", data, natsgw.WithObjectMetadata(map[string]string{"k": "v"}), natsgw.WithObjectDescription("first"))
	testutil.NoErr(t, err, "put")
	_, err = store.PutBytes(ctx, "taken", []byte("x"))
	testutil.NoErr(t, err, "put taken")

	info, err := store.UpdateMeta(ctx, "a.txt", natsgw.SetObjectDescription("second"))
	testutil.NoErr(t, err, "description")
	testutil.Equal(t, [2]string{info.Description, info.Metadata["k"]}, [2]string{"second", "v"}, "description set, metadata kept")
	info, err = store.UpdateMeta(ctx, "a.txt", natsgw.SetObjectMetadata(map[string]string{"x": "1"}))
	testutil.NoErr(t, err, "metadata")
	testutil.Equal(t, info.Metadata, map[string]string{"x": "1"}, "metadata replaced")
	testutil.Equal(t, info.Description, "second", "description kept")
	testutil.Equal(t, info.ID, orig.ID, "same data")

	_, err = store.UpdateMeta(ctx, "a.txt", natsgw.RenameObject("taken"))
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "rename onto an existing object")
	info, err = store.UpdateMeta(ctx, "a.txt", natsgw.RenameObject("b.txt"), natsgw.SetObjectMetadata(map[string]string{}))
	testutil.NoErr(t, err, "rename")
	testutil.Equal(t, info.Name, "b.txt", "new name")
	testutil.Equal(t, len(info.Metadata), 0, "metadata cleared")
	_, err = store.Info(ctx, "a.txt")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "old name")
	got, _, err := store.GetBytes(ctx, "b.txt")
	testutil.NoErr(t, err, "get renamed")
	testutil.Equal(t, got, data, "data after rename")
	// The old name can be reused, and deleting it never touches b.txt.
	_, err = store.PutBytes(ctx, "a.txt", []byte("new a"))
	testutil.NoErr(t, err, "reuse the old name")
	testutil.NoErr(t, store.Delete(ctx, "a.txt"), "delete the new a.txt")
	got, _, err = store.GetBytes(ctx, "b.txt")
	testutil.NoErr(t, err, "get renamed after the old name's delete")
	testutil.Equal(t, got, data, "renamed data intact")
	// Renaming back onto a deleted name works.
	_, err = store.UpdateMeta(ctx, "b.txt", natsgw.RenameObject("a.txt"))
	testutil.NoErr(t, err, "rename onto a deleted name")

	_, err = store.UpdateMeta(ctx, "nope", natsgw.SetObjectDescription("x"))
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "update a missing object")
	newRawBucket(t, srv, "acme", "meta").wantChunks(3 + 1)
}

func TestObjectBuckets(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)

	smallCfg := natsgw.ObjectStoreConfig{Bucket: "small", MaxBytes: 600 << 10, Description: "tiny", TTL: time.Hour}
	b, err := c.CreateObjectStore(ctx, smallCfg)
	testutil.NoErr(t, err, "create")
	testutil.Equal(t, [3]any{b.Bucket, b.MaxBytes, b.TTL}, [3]any{"small", int64(600 << 10), time.Hour}, "settings")
	_, err = c.CreateObjectStore(ctx, smallCfg)
	testutil.NoErr(t, err, "create again with the same settings")
	_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "small", MaxBytes: 1 << 20})
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create again with other settings")
	_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "mem", Memory: true})
	testutil.NoErr(t, err, "create in memory")

	// A put into a missing bucket creates it with the defaults.
	_, err = c.ObjectStore("auto").PutBytes(ctx, "x", []byte("y"))
	testutil.NoErr(t, err, "put into a missing bucket")
	list, err := c.ObjectStores(ctx)
	testutil.NoErr(t, err, "list buckets")
	var names []string
	for _, b := range list {
		names = append(names, b.Bucket)
		if b.Bucket == "auto" && (b.MaxBytes != 0 || b.TTL != 0 || b.Memory || b.Replicas != 1 || b.Size == 0) {
			t.Fatalf("auto-created bucket: %+v, want the defaults", b)
		}
		if b.Bucket == "mem" && !b.Memory {
			t.Fatalf("memory bucket: %+v", b)
		}
	}
	testutil.Equal(t, names, []string{"auto", "mem", "small"}, "buckets")

	// The max_bytes limit: the put fails, naming the limit, and leaves nothing.
	small := c.ObjectStore("small")
	_, err = small.PutBytes(ctx, "fits", prngBytes(30, 200<<10))
	testutil.NoErr(t, err, "put that fits")
	_, err = small.PutBytes(ctx, "too big", prngBytes(31, 1<<20))
	testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, "put over max_bytes")
	if !strings.Contains(err.Error(), "max_bytes") || !strings.Contains(err.Error(), fmt.Sprint(600<<10)) {
		t.Fatalf("error %q does not name the limit", err)
	}
	newRawBucket(t, srv, "acme", "small").wantChunks(2)
	_, err = small.Info(ctx, "too big")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "failed object")

	// Reading from a missing bucket is NotFound, and so is deleting one.
	_, err = c.ObjectStore("missing").Info(ctx, "x")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info in a missing bucket")
	_, err = c.ObjectStore("missing").Get(ctx, "x")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get from a missing bucket")
	err = c.ObjectStore("missing").Delete(ctx, "x")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "delete in a missing bucket")
	testutil.NoErr(t, c.DeleteObjectStore(ctx, "small"), "delete bucket")
	testutil.ErrIs(t, c.DeleteObjectStore(ctx, "small"), natsgw.ErrNotFound, "delete it again")
	_, err = small.Info(ctx, "fits")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "object of a deleted bucket")
}

// TestObjectOrgs: the same names in two organizations are independent, and
// no RPC of one reaches the other's buckets, whatever name it uses.
func TestObjectOrgs(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	bob := srv.Client(t, natsgw.WithOrg("bob"))
	ctx := objCtx(t)

	_, err := acme.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "docs", Description: "acme's"})
	testutil.NoErr(t, err, "acme creates docs")
	_, err = acme.ObjectStore("docs").PutBytes(ctx, "plan.txt", []byte("acme plan"))
	testutil.NoErr(t, err, "acme puts")

	// Every RPC from bob, on bob's own "docs" (absent) and on look-alikes of
	// acme's bucket: nothing of acme's is seen or touched.
	lookAlikes := []string{"docs", "acme_docs", "tenant_acme_docs", "OBJ_tenant_acme_docs"}
	for _, name := range lookAlikes {
		s := bob.ObjectStore(name)
		_, err := s.Info(ctx, "plan.txt")
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "GetObjectInfo "+name)
		_, err = s.Get(ctx, "plan.txt")
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "GetObject "+name)
		for _, err := range s.List(ctx) {
			testutil.ErrIs(t, err, natsgw.ErrNotFound, "ListObjects "+name)
		}
		testutil.ErrIs(t, s.Delete(ctx, "plan.txt"), natsgw.ErrNotFound, "DeleteObject "+name)
		_, err = s.UpdateMeta(ctx, "plan.txt", natsgw.RenameObject("stolen"))
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "UpdateObjectMeta "+name)
		testutil.ErrIs(t, bob.DeleteObjectStore(ctx, name), natsgw.ErrNotFound, "DeleteObjectBucket "+name)
	}
	for _, name := range []string{"acme.docs", "../docs", "docs.>", "*", "$O"} {
		_, err := bob.ObjectStore(name).Info(ctx, "plan.txt")
		testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "bucket name "+name)
	}
	list, err := bob.ObjectStores(ctx)
	testutil.NoErr(t, err, "ListObjectBuckets")
	testutil.Equal(t, len(list), 0, "bob's buckets")

	// Bob's own "docs" and "acme_docs" are new buckets, independent of acme's.
	for _, name := range []string{"docs", "acme_docs"} {
		b, err := bob.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: name})
		testutil.NoErr(t, err, "CreateObjectBucket "+name)
		testutil.Equal(t, b.Description, "", "bob's "+name+" is new")
		_, err = bob.ObjectStore(name).PutBytes(ctx, "plan.txt", []byte("bob plan"))
		testutil.NoErr(t, err, "PutObject "+name)
	}
	_, err = bob.ObjectStore("docs").UpdateMeta(ctx, "plan.txt", natsgw.SetObjectDescription("bob's"))
	testutil.NoErr(t, err, "bob updates his")
	testutil.NoErr(t, bob.ObjectStore("docs").Delete(ctx, "plan.txt"), "bob deletes his")
	testutil.NoErr(t, bob.DeleteObjectStore(ctx, "docs"), "bob deletes his bucket")

	got, info, err := acme.ObjectStore("docs").GetBytes(ctx, "plan.txt")
	testutil.NoErr(t, err, "acme's object")
	testutil.Equal(t, string(got), "acme plan", "acme's data")
	testutil.Equal(t, info.Description, "", "acme's description")
	alist, err := acme.ObjectStores(ctx)
	testutil.NoErr(t, err, "acme's buckets")
	if len(alist) != 1 || alist[0].Bucket != "docs" || alist[0].Description != "acme's" {
		t.Fatalf("acme's buckets: %+v", alist)
	}
	var names []string
	for o, err := range acme.ObjectStore("docs").List(ctx) {
		testutil.NoErr(t, err, "acme lists")
		names = append(names, o.Name)
	}
	testutil.Equal(t, names, []string{"plan.txt"}, "acme's objects")
}

func TestObjectInvalidArguments(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("ok")
	_, err := store.PutBytes(ctx, "exists", []byte("x"))
	testutil.NoErr(t, err, "put")

	wantField := func(what, field string, err error) {
		t.Helper()
		var ge *natsgw.Error
		if !errors.As(err, &ge) || !errors.Is(err, natsgw.ErrInvalidArgument) || ge.Field != field {
			t.Fatalf("%s: got %v, want InvalidArgument naming %s", what, err, field)
		}
	}
	badNames := map[string]string{
		"empty":       "",
		"NUL":         "a\x00b",
		"newline":     "a\nb",
		"DEL":         "a\x7f",
		"C1 control":  "a\u0085b",
		"1025 bytes":  strings.Repeat("x", 1025),
		"invalid UTF": "a\xffb",
	}
	for what, name := range badNames {
		_, err := store.PutBytes(ctx, name, []byte("x"))
		wantField("put "+what, "header.name", err)
		_, err = store.Info(ctx, name)
		wantField("info "+what, "name", err)
		_, err = store.Get(ctx, name)
		wantField("get "+what, "name", err)
		wantField("delete "+what, "name", store.Delete(ctx, name))
		_, err = store.UpdateMeta(ctx, "exists", natsgw.RenameObject(name))
		wantField("rename to "+what, "new_name", err)
	}
	_, err = store.PutBytes(ctx, strings.Repeat("é", 512), []byte("x")) // 1024 bytes
	testutil.NoErr(t, err, "a 1024-byte name")

	for _, bucket := range []string{"", "a.b", "a b", "a/b", strings.Repeat("b", 129)} {
		_, err := c.ObjectStore(bucket).PutBytes(ctx, "x", []byte("x"))
		wantField(fmt.Sprintf("put into bucket %q", bucket), "header.bucket", err)
		_, err = c.ObjectStore(bucket).Info(ctx, "x")
		wantField(fmt.Sprintf("info in bucket %q", bucket), "bucket", err)
		_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: bucket})
		wantField(fmt.Sprintf("create bucket %q", bucket), "bucket", err)
	}
	_, err = store.PutBytes(ctx, "x", nil, natsgw.WithObjectMetadata(map[string]string{"bad key": "v"}))
	wantField("metadata key", "header.metadata", err)
	_, err = store.PutBytes(ctx, "x", nil, natsgw.WithObjectMetadata(map[string]string{"k": strings.Repeat("v", 1025)}))
	wantField("metadata value", "header.metadata[k]", err)
	_, err = store.PutBytes(ctx, "x", nil, natsgw.WithExpectedSHA256([]byte("short")))
	wantField("digest length", "header.expected_sha256", err)
	_, err = store.PutBytes(ctx, "x", nil, natsgw.WithObjectDescription(strings.Repeat("d", 4097)))
	wantField("description", "header.description", err)
	for _, err := range store.List(ctx, natsgw.WithPageSize(1001)) {
		wantField("page size", "page_size", err)
	}
	_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "b", Replicas: 6})
	wantField("replicas", "replicas", err)
	_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "b", Replicas: 3})
	wantField("replicas without a cluster", "replicas", err)
	_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "b", TTL: time.Millisecond})
	wantField("ttl", "ttl", err)
	_, err = c.CreateObjectStore(ctx, natsgw.ObjectStoreConfig{Bucket: "b", MaxBytes: -1})
	wantField("max bytes", "max_bytes", err)
}

// TestObjectInterop: raw nats.go reads what the gateway writes, the gateway
// reads what raw nats.go writes, and a corrupt object is reported, not
// served as good.
func TestObjectInterop(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := objCtx(t)
	store := c.ObjectStore("interop")
	data := prngBytes(40, 3*chunk+17)
	_, err := store.PutBytes(ctx, "from-gateway", data, natsgw.WithObjectMetadata(map[string]string{"a": "b"}))
	testutil.NoErr(t, err, "gateway put")
	raw := newRawBucket(t, srv, "acme", "interop")
	obs := raw.store()
	got, err := obs.GetBytes(ctx, "from-gateway")
	testutil.NoErr(t, err, "raw get (nats.go verifies the digest)")
	testutil.Equal(t, got, data, "raw read")
	ri, err := obs.GetInfo(ctx, "from-gateway")
	testutil.NoErr(t, err, "raw info")
	testutil.Equal(t, ri.Metadata, map[string]string{"a": "b"}, "raw metadata")

	other := prngBytes(41, 2*chunk+1)
	_, err = obs.PutBytes(ctx, "from-nats", other)
	testutil.NoErr(t, err, "raw put")
	got, _, err = store.GetBytes(ctx, "from-nats")
	testutil.NoErr(t, err, "gateway get")
	testutil.Equal(t, got, other, "gateway read")
	testutil.NoErr(t, obs.Delete(ctx, "from-gateway"), "raw delete")
	_, err = store.Info(ctx, "from-gateway")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "deleted by raw nats.go")

	// An info whose digest does not match its chunks.
	rinfo, err := obs.GetInfo(ctx, "from-nats")
	testutil.NoErr(t, err, "raw info")
	rinfo.Digest = jetstream.GetObjectDigestValue(sha256.New())
	b, _ := json.Marshal(rinfo)
	m := nats.NewMsg("$O." + raw.name + ".M." + base64.URLEncoding.EncodeToString([]byte("from-nats")))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = b
	_, err = raw.js.PublishMsg(ctx, m)
	testutil.NoErr(t, err, "corrupt the info")
	_, _, err = store.GetBytes(ctx, "from-nats")
	testutil.ErrIs(t, err, natsgw.ErrDataLoss, "corrupt object")

	// An empty object has no chunks to hash: its digest is still checked.
	_, err = obs.PutBytes(ctx, "empty", nil)
	testutil.NoErr(t, err, "raw put of an empty object")
	got, _, err = store.GetBytes(ctx, "empty")
	testutil.NoErr(t, err, "gateway get of an empty object")
	testutil.Equal(t, len(got), 0, "empty read")
	einfo, err := obs.GetInfo(ctx, "empty")
	testutil.NoErr(t, err, "raw info of the empty object")
	notEmpty := sha256.New()
	notEmpty.Write([]byte("x"))
	einfo.Digest = jetstream.GetObjectDigestValue(notEmpty)
	b, _ = json.Marshal(einfo)
	m = nats.NewMsg("$O." + raw.name + ".M." + base64.URLEncoding.EncodeToString([]byte("empty")))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = b
	_, err = raw.js.PublishMsg(ctx, m)
	testutil.NoErr(t, err, "corrupt the empty object's info")
	_, _, err = store.GetBytes(ctx, "empty")
	testutil.ErrIs(t, err, natsgw.ErrDataLoss, "empty object with the digest of other data")
}
