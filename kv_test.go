package natsgw_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/natsgw/natsgw"
	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// kvEnv starts a gateway and returns it with a client of org "acme" and a
// context bounded by testutil.Eventually.
func kvEnv(t *testing.T) (*natsgwtest.Server, *natsgw.Client, context.Context) {
	t.Helper()
	srv := natsgwtest.NewServer(t)
	return srv, srv.Client(t, natsgw.WithOrg("acme")), testutil.Context(t)
}

// kvField fails the test unless err is InvalidArgument naming field.
func kvField(t *testing.T, err error, field, what string) {
	t.Helper()
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, what)
	var e *natsgw.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Fatalf("%s: error %v names field %q, want %q", what, err, e.Field, field)
	}
}

// kvTransports runs test twice, each in a gateway of its own: with the
// SDK's default transport for single-key operations (KeyValueService/
// Session) and with the unary RPCs (what the SDK uses against a gateway
// without Session, and what other languages call). client returns a client
// of org using the transport.
func kvTransports(t *testing.T, test func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context)) {
	for _, unary := range []bool{false, true} {
		name := "session"
		if unary {
			name = "unary"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := natsgwtest.NewServer(t)
			test(t, func(org string) *natsgw.Client {
				c := srv.Client(t, natsgw.WithOrg(org))
				if unary {
					natsgw.UseUnaryKV(c)
				}
				return c
			}, testutil.Context(t))
		})
	}
}

// nextEntry reads one entry (or the nil init marker) from a watcher.
func nextEntry(t *testing.T, w *natsgw.KeyWatcher, what string) *natsgw.KeyValueEntry {
	t.Helper()
	select {
	case e, ok := <-w.Updates():
		if !ok {
			t.Fatalf("%s: watch ended: %v", what, w.Err())
		}
		return e
	case <-time.After(testutil.Eventually):
		t.Fatalf("%s: nothing arrived within %s", what, testutil.Eventually)
		return nil
	}
}

// initDone reads entries up to the init marker and returns them.
func initDone(t *testing.T, w *natsgw.KeyWatcher) []*natsgw.KeyValueEntry {
	t.Helper()
	var out []*natsgw.KeyValueEntry
	for {
		e := nextEntry(t, w, "initial values")
		if e == nil {
			return out
		}
		out = append(out, e)
	}
}

type opKey struct {
	Op  natsgw.KeyValueOp
	Key string
	Val string
}

func opKeys(es []*natsgw.KeyValueEntry) []opKey {
	out := make([]opKey, len(es))
	for i, e := range es {
		out[i] = opKey{e.Operation, e.Key, string(e.Value)}
	}
	return out
}

// TestKVBriefFlow is the brief's key-value example: no bucket is created
// beforehand.
func TestKVBriefFlow(t *testing.T) {
	t.Parallel()
	kvTransports(t, func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context) {
		c := client("acme")
		kv := c.KeyValue("app-config")

		_, err := kv.Get(ctx, "database.host")
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "get before any put (no bucket)")

		r1, err := kv.Put(ctx, "database.host", []byte("localhost"))
		testutil.NoErr(t, err, "put database.host")
		r2, err := kv.Put(ctx, "database.port", []byte("5432"))
		testutil.NoErr(t, err, "put database.port")
		_, err = kv.Put(ctx, "cache.ttl", []byte("300"))
		testutil.NoErr(t, err, "put cache.ttl")

		e, err := kv.Get(ctx, "database.host")
		testutil.NoErr(t, err, "get database.host")
		testutil.Equal(t, string(e.Value), "localhost", "value")
		testutil.Equal(t, e.Revision, r1, "revision")
		testutil.Equal(t, e.Operation, natsgw.KeyValuePut, "operation")
		testutil.Equal(t, e.Bucket, "app-config", "bucket")
		if time.Since(e.Created) > time.Minute || e.Created.After(time.Now().Add(time.Second)) {
			t.Fatalf("created %v is not about now", e.Created)
		}
		if r2 <= r1 {
			t.Fatalf("revisions %d then %d do not increase", r1, r2)
		}

		keys, err := kv.Keys(ctx)
		testutil.NoErr(t, err, "keys")
		testutil.Equal(t, keys, []string{"cache.ttl", "database.host", "database.port"}, "keys")

		testutil.NoErr(t, kv.Delete(ctx, "cache.ttl"), "delete cache.ttl")
		_, err = kv.Get(ctx, "cache.ttl")
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "get deleted key")
		keys, err = kv.Keys(ctx)
		testutil.NoErr(t, err, "keys after delete")
		testutil.Equal(t, keys, []string{"database.host", "database.port"}, "keys after delete")

		st, err := kv.Status(ctx)
		testutil.NoErr(t, err, "status of the auto-created bucket")
		testutil.Equal(t, st.Config, natsgw.KeyValueConfig{Bucket: "app-config", History: 5, Replicas: 1, LimitMarkerTTL: time.Second}, "default config")
		if !st.KeyTTLAllowed {
			t.Fatal("auto-created bucket does not allow per-key TTL")
		}
		testutil.Equal(t, st.Values, uint64(4), "values (3 puts and a tombstone)")
	})
}

func TestKVRevisionsIncreasePerBucket(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	a, b := c.KeyValue("a"), c.KeyValue("b")
	var revs []uint64
	for i, key := range []string{"x", "y", "x", "z"} {
		r, err := a.Put(ctx, key, []byte{byte(i)})
		testutil.NoErr(t, err, "put")
		revs = append(revs, r)
	}
	testutil.Equal(t, revs, []uint64{1, 2, 3, 4}, "revisions of bucket a (every key shares them)")
	r, err := b.Put(ctx, "x", nil)
	testutil.NoErr(t, err, "put in b")
	testutil.Equal(t, r, uint64(1), "first revision of bucket b")
	r, err = a.Create(ctx, "new", nil)
	testutil.NoErr(t, err, "create in a")
	testutil.Equal(t, r, uint64(5), "create continues bucket a's revisions")
}

func TestKVBinaryAndEmptyValues(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	kv := c.KeyValue("bin")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := bytes.Repeat([]byte{0, 0xff, '\n', '\r'}, 256<<10) // 1 MiB, over NATS's default payload
	for name, v := range map[string][]byte{"bytes": all, "empty": {}, "nil": nil, "big": big} {
		_, err := kv.Put(ctx, name, v)
		testutil.NoErr(t, err, "put "+name)
		e, err := kv.Get(ctx, name)
		testutil.NoErr(t, err, "get "+name)
		if !bytes.Equal(e.Value, v) {
			t.Fatalf("%s: got %d bytes, want %d", name, len(e.Value), len(v))
		}
		testutil.Equal(t, e.Operation, natsgw.KeyValuePut, name+": an empty value is a put, not a delete")
	}
}

func TestKVCompareAndSwap(t *testing.T) {
	t.Parallel()
	kvTransports(t, func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context) {
		c := client("acme")
		kv := c.KeyValue("cas")

		_, err := kv.Update(ctx, "counter", []byte("1"), 1)
		testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "update of a key in a new bucket")
		r1, err := kv.Put(ctx, "counter", []byte("1"))
		testutil.NoErr(t, err, "put")
		r2, err := kv.Update(ctx, "counter", []byte("2"), r1)
		testutil.NoErr(t, err, "update at the latest revision")
		_, err = kv.Update(ctx, "counter", []byte("x"), r1)
		testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "update at a stale revision")
		e, err := kv.Get(ctx, "counter")
		testutil.NoErr(t, err, "get")
		testutil.Equal(t, string(e.Value), "2", "value after the conflict")

		// Two writers race from the same revision: exactly one wins.
		var wg sync.WaitGroup
		results := make(chan error, 2)
		for i := range 2 {
			wg.Go(func() {
				_, err := kv.Update(ctx, "counter", fmt.Appendf(nil, "w%d", i), r2)
				results <- err
			})
		}
		wg.Wait()
		close(results)
		var wins, conflicts int
		for err := range results {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, natsgw.ErrFailedPrecondition):
				conflicts++
			default:
				t.Fatalf("racing update: %v", err)
			}
		}
		testutil.Equal(t, [2]int{wins, conflicts}, [2]int{1, 1}, "wins and conflicts")

		e, err = kv.Get(ctx, "counter")
		testutil.NoErr(t, err, "get")
		testutil.ErrIs(t, kv.Delete(ctx, "counter", natsgw.WithExpectedRevision(r1)), natsgw.ErrFailedPrecondition, "delete at a stale revision")
		testutil.ErrIs(t, kv.Purge(ctx, "counter", natsgw.WithExpectedRevision(r1)), natsgw.ErrFailedPrecondition, "purge at a stale revision")
		testutil.NoErr(t, kv.Delete(ctx, "counter", natsgw.WithExpectedRevision(e.Revision)), "delete at the latest revision")
		_, err = kv.Get(ctx, "counter")
		testutil.ErrIs(t, err, natsgw.ErrNotFound, "get after delete")
	})
}

func TestKVCreateIfAbsent(t *testing.T) {
	t.Parallel()
	kvTransports(t, func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context) {
		c := client("acme")
		kv := c.KeyValue("locks")

		r, err := kv.Create(ctx, "job.1", []byte("worker-a"))
		testutil.NoErr(t, err, "create in a new bucket")
		_, err = kv.Create(ctx, "job.1", []byte("worker-b"))
		testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create of an existing key")
		e, err := kv.Get(ctx, "job.1")
		testutil.NoErr(t, err, "get")
		testutil.Equal(t, [2]any{string(e.Value), e.Revision}, [2]any{"worker-a", r}, "the first create stands")

		testutil.NoErr(t, kv.Delete(ctx, "job.1"), "delete")
		_, err = kv.Create(ctx, "job.1", []byte("worker-b"))
		testutil.NoErr(t, err, "create after delete")
		testutil.NoErr(t, kv.Purge(ctx, "job.1"), "purge")
		_, err = kv.Create(ctx, "job.1", []byte("worker-c"))
		testutil.NoErr(t, err, "create after purge")
		_, err = kv.Create(ctx, "job.1", nil)
		testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create again")
	})
}

func TestKVKeyTTL(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	kv := c.KeyValue("sessions")

	_, err := kv.Put(ctx, "keep", []byte("forever"))
	testutil.NoErr(t, err, "put")
	w, err := kv.Watch(ctx, "tok.*")
	testutil.NoErr(t, err, "watch")
	defer w.Stop(ctx)
	testutil.Equal(t, len(initDone(t, w)), 0, "initial values")

	start := time.Now()
	r, err := kv.Create(ctx, "tok.1", []byte("secret"), natsgw.WithKeyTTL(time.Second))
	testutil.NoErr(t, err, "create with TTL")
	e, err := kv.Get(ctx, "tok.1")
	testutil.NoErr(t, err, "get before expiry")
	testutil.Equal(t, e.Revision, r, "revision")
	// Expiry happens about 1 s later; poll with the bounded helper.
	testutil.Poll(t, "key expires", func() error {
		_, err := kv.Get(ctx, "tok.1")
		if errors.Is(err, natsgw.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
	if d := time.Since(start); d < time.Second {
		t.Fatalf("expired after %s, before its 1 s TTL", d)
	}
	got := opKeys([]*natsgw.KeyValueEntry{nextEntry(t, w, "create"), nextEntry(t, w, "expiry")})
	testutil.Equal(t, got, []opKey{{natsgw.KeyValuePut, "tok.1", "secret"}, {natsgw.KeyValuePurge, "tok.1", ""}}, "watched create then expiry")
	_, err = kv.Get(ctx, "keep")
	testutil.NoErr(t, err, "a key without TTL stays")
	_, err = kv.Create(ctx, "tok.1", []byte("again"), natsgw.WithKeyTTL(time.Hour))
	testutil.NoErr(t, err, "create again after expiry")

	for _, d := range []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, -time.Second} {
		_, err = kv.Create(ctx, "tok.2", nil, natsgw.WithKeyTTL(d))
		kvField(t, err, "ttl", fmt.Sprintf("TTL %s", d))
	}
}

func TestKVHistoryAndRevisions(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	kv := c.KeyValue("hist")

	var revs []uint64
	for _, v := range []string{"a", "b", "c"} {
		r, err := kv.Put(ctx, "k", []byte(v))
		testutil.NoErr(t, err, "put")
		revs = append(revs, r)
		_, err = kv.Put(ctx, "other", []byte(v))
		testutil.NoErr(t, err, "put other")
	}
	testutil.NoErr(t, kv.Delete(ctx, "k"), "delete")
	h, err := kv.History(ctx, "k")
	testutil.NoErr(t, err, "history")
	testutil.Equal(t, opKeys(h), []opKey{
		{natsgw.KeyValuePut, "k", "a"}, {natsgw.KeyValuePut, "k", "b"}, {natsgw.KeyValuePut, "k", "c"}, {natsgw.KeyValueDelete, "k", ""},
	}, "history, oldest first")
	for i := 1; i < len(h); i++ {
		if h[i].Revision <= h[i-1].Revision {
			t.Fatalf("history revisions not increasing: %d then %d", h[i-1].Revision, h[i].Revision)
		}
	}
	del := h[3].Revision

	e, err := kv.GetRevision(ctx, "k", revs[1])
	testutil.NoErr(t, err, "get an old revision")
	testutil.Equal(t, string(e.Value), "b", "old value")
	e, err = kv.GetRevision(ctx, "k", del)
	testutil.NoErr(t, err, "get the revision of the delete")
	testutil.Equal(t, [2]any{e.Operation, e.Revision}, [2]any{natsgw.KeyValueDelete, del}, "delete marker entry")
	_, err = kv.GetRevision(ctx, "other", revs[1])
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "a revision of another key")
	_, err = kv.GetRevision(ctx, "k", 999)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "a revision that does not exist")

	testutil.NoErr(t, kv.Purge(ctx, "k"), "purge")
	h, err = kv.History(ctx, "k")
	testutil.NoErr(t, err, "history after purge")
	testutil.Equal(t, opKeys(h), []opKey{{natsgw.KeyValuePurge, "k", ""}}, "purge leaves only its marker")
	_, err = kv.History(ctx, "never")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "history of a key without revisions")

	// History is bounded by the bucket's setting.
	_, err = c.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "short", History: 2})
	testutil.NoErr(t, err, "create bucket with history 2")
	short := c.KeyValue("short")
	for _, v := range []string{"1", "2", "3"} {
		_, err := short.Put(ctx, "k", []byte(v))
		testutil.NoErr(t, err, "put")
	}
	h, err = short.History(ctx, "k")
	testutil.NoErr(t, err, "history")
	testutil.Equal(t, opKeys(h), []opKey{{natsgw.KeyValuePut, "k", "2"}, {natsgw.KeyValuePut, "k", "3"}}, "bounded history")
	_, err = short.GetRevision(ctx, "k", 1)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "a revision no longer kept")
}

func TestKVWatch(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	kv := c.KeyValue("watched")

	_, err := kv.Put(ctx, "config.a", []byte("1"))
	testutil.NoErr(t, err, "put")
	_, err = kv.Put(ctx, "config.a", []byte("2"))
	testutil.NoErr(t, err, "put")
	_, err = kv.Put(ctx, "other.a", []byte("x"))
	testutil.NoErr(t, err, "put")

	w, err := kv.Watch(ctx, "config.>")
	testutil.NoErr(t, err, "watch")
	defer w.Stop(ctx)
	testutil.Equal(t, opKeys(initDone(t, w)), []opKey{{natsgw.KeyValuePut, "config.a", "2"}}, "initial values: the latest of each key")

	r1, err := kv.Put(ctx, "config.b", []byte("3"))
	testutil.NoErr(t, err, "put")
	_, err = kv.Put(ctx, "other.b", []byte("y"))
	testutil.NoErr(t, err, "put outside the pattern")
	testutil.NoErr(t, kv.Delete(ctx, "config.a"), "delete")
	got := []*natsgw.KeyValueEntry{nextEntry(t, w, "put"), nextEntry(t, w, "delete")}
	// Only now: a purge removes its key's earlier revisions from the
	// stream, including one the watch has not been sent yet.
	testutil.NoErr(t, kv.Purge(ctx, "config.b"), "purge")
	got = append(got, nextEntry(t, w, "purge"))
	want := []opKey{{natsgw.KeyValuePut, "config.b", "3"}, {natsgw.KeyValueDelete, "config.a", ""}, {natsgw.KeyValuePurge, "config.b", ""}}
	testutil.Equal(t, opKeys(got), want, "changes in order")
	testutil.Equal(t, got[0].Revision, r1, "revision of the watched put")
	testutil.NoRecv(t, w.Updates(), "changes outside the pattern")

	// Resume from a revision: every change from it on, then the marker.
	rw, err := kv.Watch(ctx, "config.>", natsgw.WithResumeFromRevision(r1))
	testutil.NoErr(t, err, "watch from a revision")
	defer rw.Stop(ctx)
	testutil.Equal(t, opKeys(initDone(t, rw)), []opKey{{natsgw.KeyValueDelete, "config.a", ""}, {natsgw.KeyValuePurge, "config.b", ""}},
		"resumed watch (the purge removed config.b's put)")

	// With history: every kept revision.
	hw, err := kv.Watch(ctx, "other.*", natsgw.WithIncludeHistory())
	testutil.NoErr(t, err, "watch with history")
	defer hw.Stop(ctx)
	testutil.Equal(t, opKeys(initDone(t, hw)), []opKey{{natsgw.KeyValuePut, "other.a", "x"}, {natsgw.KeyValuePut, "other.b", "y"}}, "history")

	// Updates only: the marker first, then changes.
	uw, err := kv.Watch(ctx, "", natsgw.WithUpdatesOnly())
	testutil.NoErr(t, err, "watch updates only")
	testutil.Equal(t, len(initDone(t, uw)), 0, "no initial values")
	_, err = kv.Put(ctx, "z", []byte("new"))
	testutil.NoErr(t, err, "put")
	testutil.Equal(t, opKeys([]*natsgw.KeyValueEntry{nextEntry(t, uw, "update")}), []opKey{{natsgw.KeyValuePut, "z", "new"}}, "update")

	// Stop ends the watch cleanly.
	testutil.NoErr(t, uw.Stop(ctx), "stop")
	for range uw.Updates() {
	}
	testutil.NoErr(t, uw.Err(), "err after Stop")

	// A canceled context ends it too.
	wctx, cancel := context.WithCancel(ctx)
	cw, err := kv.Watch(wctx, ">")
	testutil.NoErr(t, err, "watch")
	cancel()
	testutil.Poll(t, "watch ends on cancel", func() error {
		select {
		case _, ok := <-cw.Updates():
			if !ok {
				return nil
			}
			return errors.New("still delivering")
		default:
			return errors.New("still open")
		}
	})
	testutil.NoErr(t, cw.Err(), "err after cancel")

	_, err = c.KeyValue("nope").Watch(ctx, ">")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "watch of a missing bucket")
	_, err = kv.Watch(ctx, "a.*", natsgw.WithUpdatesOnly(), natsgw.WithIncludeHistory())
	kvField(t, err, "updates_only", "updates only with history")
}

// TestKVWatchLargeValues checks that a watch frames large values without
// losing order.
func TestKVWatchLargeValues(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	kv := c.KeyValue("large")
	val := bytes.Repeat([]byte("v"), 700<<10)
	for i := range 5 {
		_, err := kv.Put(ctx, fmt.Sprintf("k%d", i), val)
		testutil.NoErr(t, err, "put")
	}
	w, err := kv.Watch(ctx, ">")
	testutil.NoErr(t, err, "watch")
	defer w.Stop(ctx)
	got := initDone(t, w)
	testutil.Equal(t, len(got), 5, "entries")
	for i, e := range got {
		if e.Key != fmt.Sprintf("k%d", i) || !bytes.Equal(e.Value, val) {
			t.Fatalf("entry %d: key %q, %d bytes", i, e.Key, len(e.Value))
		}
	}
}

// seedKeys writes n keys ("k.<i>") into org's bucket directly through NATS
// (async publishes), which is much faster than n gateway calls and also
// shows that values written by plain nats.go are visible through the
// gateway.
func seedKeys(t testing.TB, srv *natsgwtest.Server, org, bucket string, n int) {
	t.Helper()
	ctx := manyKeysContext(t, n)
	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	natsBucket := "tenant_" + org + "_" + bucket
	_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: natsBucket, History: 5, LimitMarkerTTL: time.Second})
	testutil.NoErr(t, err, "create bucket")
	for i := range n {
		// A generous stall wait: the machine may be busy (and -race is slow).
		if _, err := js.PublishAsync(fmt.Sprintf("$KV.%s.k.%d", natsBucket, i), []byte("v"), jetstream.WithStallWait(testutil.Eventually)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("seeding keys: publishes not acknowledged")
	}
}

// manyKeysContext bounds seeding or listing n keys: Eventually plus 1 ms a
// key, since a busy machine (or -race) makes 100k keys take longer than
// Eventually.
func manyKeysContext(t testing.TB, n int) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Eventually+time.Duration(n)*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// keysFrames lists keys through a raw gRPC client whose receive limit is
// 64 KiB: it proves that no frame grows with the bucket.
func keysFrames(t testing.TB, srv *natsgwtest.Server, org, bucket string, n int) (keys int, frames int) {
	t.Helper()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<10)))
	testutil.NoErr(t, err, "grpc client")
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(manyKeysContext(t, n), "x-natsgw-org", org)
	stream, err := natsgwv1.NewKeyValueServiceClient(conn).Keys(ctx, &natsgwv1.KeyValueServiceKeysRequest{Bucket: bucket})
	testutil.NoErr(t, err, "keys")
	for {
		r, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				testutil.NoErr(t, err, "keys frame")
			}
			return keys, frames
		}
		if len(r.GetKeys()) > 1000 {
			t.Fatalf("frame of %d keys", len(r.GetKeys()))
		}
		keys += len(r.GetKeys())
		frames++
	}
}

func TestKVKeysManyKeys(t *testing.T) {
	t.Parallel()
	const n = 20000
	srv := natsgwtest.NewServer(t)
	seedKeys(t, srv, "acme", "big", n)
	keys, frames := keysFrames(t, srv, "acme", "big", n)
	testutil.Equal(t, keys, n, "keys listed")
	if frames < n/1000 {
		t.Fatalf("%d keys came in %d frames", keys, frames)
	}

	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := manyKeysContext(t, n)
	all, err := c.KeyValue("big").Keys(ctx)
	testutil.NoErr(t, err, "keys through the SDK")
	testutil.Equal(t, len(all), n, "distinct keys")
	some, err := c.KeyValue("big").Keys(ctx, natsgw.WithKeyFilter("k.1999*"))
	kvField(t, err, "filter", "partial-token wildcard")
	some, err = c.KeyValue("big").Keys(ctx, natsgw.WithKeyFilter("k.19999"))
	testutil.NoErr(t, err, "filtered keys")
	testutil.Equal(t, some, []string{"k.19999"}, "filtered keys")

	// Stopping early ends the listing without waiting for the rest.
	count := 0
	for _, err := range c.KeyValue("big").ListKeys(ctx) {
		testutil.NoErr(t, err, "list keys")
		if count++; count == 10 {
			break
		}
	}
}

// TestKVKeys100k is the 100k-key case of the issue.
func TestKVKeys100k(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: seeding and listing 100k keys takes a few seconds; TestKVKeysManyKeys covers paging with 20k")
	}
	t.Parallel()
	const n = 100000
	srv := natsgwtest.NewServer(t)
	seedKeys(t, srv, "acme", "huge", n)
	keys, frames := keysFrames(t, srv, "acme", "huge", n)
	testutil.Equal(t, keys, n, "keys listed")
	t.Logf("%d keys in %d frames", keys, frames)
}

func TestKVFilteredKeysAndEmptyBucket(t *testing.T) {
	t.Parallel()
	_, c, ctx := kvEnv(t)
	_, err := c.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "empty"})
	testutil.NoErr(t, err, "create bucket")
	keys, err := c.KeyValue("empty").Keys(ctx)
	testutil.NoErr(t, err, "keys of an empty bucket")
	testutil.Equal(t, keys, []string{}, "keys of an empty bucket")
	_, err = c.KeyValue("missing").Keys(ctx)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "keys of a missing bucket")

	kv := c.KeyValue("app")
	for _, k := range []string{"database.host", "database.port", "database.replica.host", "cache.ttl"} {
		_, err := kv.Put(ctx, k, []byte("v"))
		testutil.NoErr(t, err, "put")
	}
	for filter, want := range map[string][]string{
		"database.*":  {"database.host", "database.port"},
		"database.>":  {"database.host", "database.port", "database.replica.host"},
		"*.*.host":    {"database.replica.host"},
		"cache.ttl":   {"cache.ttl"},
		"nothing.>":   {},
		"*.host":      {"database.host"},
		">":           {"cache.ttl", "database.host", "database.port", "database.replica.host"},
		"database.*.": nil, // invalid
	} {
		keys, err := kv.Keys(ctx, natsgw.WithKeyFilter(filter))
		if want == nil {
			kvField(t, err, "filter", filter)
			continue
		}
		testutil.NoErr(t, err, filter)
		testutil.Equal(t, keys, want, "keys matching "+filter)
	}
}

func TestKVSameBucketTwoOrgs(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme")).KeyValue("config")
	bob := srv.Client(t, natsgw.WithOrg("bob")).KeyValue("config")
	ra, err := acme.Put(ctx, "db.host", []byte("acme-db"))
	testutil.NoErr(t, err, "acme put")
	rb, err := bob.Put(ctx, "db.host", []byte("bob-db"))
	testutil.NoErr(t, err, "bob put")
	testutil.Equal(t, [2]uint64{ra, rb}, [2]uint64{1, 1}, "each bucket starts its own revisions")
	testutil.NoErr(t, bob.Delete(ctx, "db.host"), "bob delete")
	e, err := acme.Get(ctx, "db.host")
	testutil.NoErr(t, err, "acme get after bob's delete")
	testutil.Equal(t, string(e.Value), "acme-db", "acme's value")

	// Underneath: two NATS buckets, named by the tenant mapping.
	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	for _, name := range []string{"tenant_acme_config", "tenant_bob_config"} {
		_, err := js.KeyValue(ctx, name)
		testutil.NoErr(t, err, "NATS bucket "+name)
	}
}

// TestKVCrossOrg: for every RPC, org "acme" acts on its bucket "x" and the
// other orgs (including the look-alike "acme-x") see nothing of it.
func TestKVCrossOrg(t *testing.T) {
	t.Parallel()
	kvTransports(t, func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context) {
		acme := client("acme")
		ax := acme.KeyValue("x")
		_, err := acme.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "x", History: 10, Description: "acme's"})
		testutil.NoErr(t, err, "acme creates x")
		r, err := ax.Put(ctx, "k", []byte("acme"))
		testutil.NoErr(t, err, "acme put")
		_, err = acme.KeyValue("y-z").Put(ctx, "k", []byte("acme"))
		testutil.NoErr(t, err, "acme put in y-z")

		check := func() {
			t.Helper()
			e, err := ax.Get(ctx, "k")
			testutil.NoErr(t, err, "acme get")
			testutil.Equal(t, [2]any{string(e.Value), e.Revision}, [2]any{"acme", r}, "acme's key is untouched")
			st, err := ax.Status(ctx)
			testutil.NoErr(t, err, "acme status")
			testutil.Equal(t, [2]any{st.Config.History, st.Config.Description}, [2]any{10, "acme's"}, "acme's config is untouched")
		}

		for _, org := range []string{"bob", "acme-x", "acme-y", "x"} {
			other := client(org)
			for _, bucket := range []string{"x", "y-z", "z"} {
				kv := other.KeyValue(bucket)
				what := func(rpc string) string { return fmt.Sprintf("org %s bucket %s: %s", org, bucket, rpc) }
				_, err := kv.Status(ctx)
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("GetBucket"))
				_, err = other.UpdateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: bucket, History: 1})
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("UpdateBucket"))
				testutil.ErrIs(t, other.DeleteKeyValue(ctx, bucket), natsgw.ErrNotFound, what("DeleteBucket"))
				_, err = kv.Get(ctx, "k")
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("Get"))
				_, err = kv.GetRevision(ctx, "k", r)
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("Get at a revision"))
				testutil.ErrIs(t, kv.Delete(ctx, "k"), natsgw.ErrNotFound, what("Delete"))
				testutil.ErrIs(t, kv.Purge(ctx, "k"), natsgw.ErrNotFound, what("Purge"))
				_, err = kv.Keys(ctx)
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("Keys"))
				_, err = kv.History(ctx, "k")
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("History"))
				_, err = kv.Watch(ctx, ">")
				testutil.ErrIs(t, err, natsgw.ErrNotFound, what("Watch"))
				list, err := other.KeyValues(ctx)
				testutil.NoErr(t, err, what("ListBuckets"))
				testutil.Equal(t, len(list), 0, what("ListBuckets"))
			}
			check()

			// Writes create the other org's own bucket, never touch acme's.
			kv := other.KeyValue("x")
			_, err := kv.Update(ctx, "k", []byte(org), r)
			testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, org+": Update at acme's revision")
			_, err = kv.Create(ctx, "k", []byte(org))
			testutil.NoErr(t, err, org+": Create")
			_, err = kv.Put(ctx, "k", []byte(org))
			testutil.NoErr(t, err, org+": Put")
			_, err = other.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "y-z", History: 3})
			testutil.NoErr(t, err, org+": CreateBucket of a name acme has")
			_, err = other.UpdateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "x", History: 2})
			testutil.NoErr(t, err, org+": UpdateBucket of its own x")
			check()
			list, err := other.KeyValues(ctx)
			testutil.NoErr(t, err, org+": ListBuckets")
			testutil.Equal(t, len(list), 2, org+": its own buckets")
			testutil.Equal(t, [2]string{list[0].Bucket, list[1].Bucket}, [2]string{"x", "y-z"}, org+": its own buckets")
			w, err := kv.Watch(ctx, ">")
			testutil.NoErr(t, err, org+": Watch its own x")
			testutil.Equal(t, opKeys(initDone(t, w)), []opKey{{natsgw.KeyValuePut, "k", org}}, org+": its own values")
			testutil.NoErr(t, w.Stop(ctx), "stop the watch")
			h, err := kv.History(ctx, "k")
			testutil.NoErr(t, err, org+": History")
			testutil.Equal(t, len(h), 2, org+": its own history")
			keys, err := kv.Keys(ctx)
			testutil.NoErr(t, err, org+": Keys")
			testutil.Equal(t, keys, []string{"k"}, org+": its own keys")
			testutil.NoErr(t, kv.Purge(ctx, "k"), org+": Purge")
			testutil.NoErr(t, kv.Delete(ctx, "k"), org+": Delete")
			testutil.NoErr(t, other.DeleteKeyValue(ctx, "x"), org+": DeleteBucket")
			check()
		}
		list, err := acme.KeyValues(ctx)
		testutil.NoErr(t, err, "acme ListBuckets")
		testutil.Equal(t, len(list), 2, "acme's buckets")
		testutil.Equal(t, [2]string{list[0].Bucket, list[1].Bucket}, [2]string{"x", "y-z"}, "acme's buckets")
	})
}

func TestKVInvalidNames(t *testing.T) {
	t.Parallel()
	kvTransports(t, func(t *testing.T, client func(org string) *natsgw.Client, ctx context.Context) {
		c := client("acme")
		for _, b := range []string{"", "a.b", "a b", "a*", ">", "a/b", "KV_x$", strings.Repeat("b", 129)} {
			kv := c.KeyValue(b)
			_, err := kv.Put(ctx, "k", nil)
			kvField(t, err, "bucket", fmt.Sprintf("put to bucket %q", b))
			_, err = kv.Get(ctx, "k")
			kvField(t, err, "bucket", fmt.Sprintf("get from bucket %q", b))
			_, err = kv.Watch(ctx, ">")
			kvField(t, err, "bucket", fmt.Sprintf("watch bucket %q", b))
			_, err = c.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: b})
			kvField(t, err, "bucket", fmt.Sprintf("create bucket %q", b))
			kvField(t, c.DeleteKeyValue(ctx, b), "bucket", fmt.Sprintf("delete bucket %q", b))
		}
		kv := c.KeyValue("ok")
		for _, k := range []string{"", ".a", "a.", "a..b", "a b", "a*", "*", ">", "a.>", "ä", "a\x00", "a:b", strings.Repeat("k", 1025)} {
			_, err := kv.Put(ctx, k, nil)
			kvField(t, err, "key", fmt.Sprintf("put key %q", k))
			_, err = kv.Create(ctx, k, nil)
			kvField(t, err, "key", fmt.Sprintf("create key %q", k))
			_, err = kv.Update(ctx, k, nil, 1)
			kvField(t, err, "key", fmt.Sprintf("update key %q", k))
			_, err = kv.Get(ctx, k)
			kvField(t, err, "key", fmt.Sprintf("get key %q", k))
			kvField(t, kv.Delete(ctx, k), "key", fmt.Sprintf("delete key %q", k))
			kvField(t, kv.Purge(ctx, k), "key", fmt.Sprintf("purge key %q", k))
			_, err = kv.History(ctx, k)
			kvField(t, err, "key", fmt.Sprintf("history of key %q", k))
		}
		// Good keys, including every allowed character.
		for _, k := range []string{"a", "A-Z_a=z/0.9", "/", "=.-._"} {
			_, err := kv.Put(ctx, k, []byte(k))
			testutil.NoErr(t, err, fmt.Sprintf("put key %q", k))
		}
		for _, p := range []string{"a*", "a.>.b", "a..b", ".", "a.**", "a b"} {
			_, err := kv.Watch(ctx, p)
			kvField(t, err, "key", fmt.Sprintf("watch pattern %q", p))
		}
		_, err := kv.Update(ctx, "k", nil, 0)
		kvField(t, err, "revision", "update at revision 0")

		for _, tc := range []struct {
			cfg   natsgw.KeyValueConfig
			field string
		}{
			{natsgw.KeyValueConfig{History: 65}, "config.history"},
			{natsgw.KeyValueConfig{TTL: 1500 * time.Millisecond}, "config.ttl"},
			{natsgw.KeyValueConfig{TTL: time.Millisecond}, "config.ttl"},
			{natsgw.KeyValueConfig{LimitMarkerTTL: 500 * time.Millisecond}, "config.limit_marker_ttl"},
			{natsgw.KeyValueConfig{MaxBytes: -1}, "config.max_bytes"},
			{natsgw.KeyValueConfig{MaxValueSize: -1}, "config.max_value_size"},
			{natsgw.KeyValueConfig{Replicas: 6}, "config.replicas"},
			{natsgw.KeyValueConfig{Description: strings.Repeat("d", 4097)}, "config.description"},
			{natsgw.KeyValueConfig{Replicas: 3}, "config"}, // JetStream: not clustered
		} {
			tc.cfg.Bucket = "cfg"
			_, err := c.CreateKeyValue(ctx, tc.cfg)
			kvField(t, err, tc.field, fmt.Sprintf("create with %+v", tc.cfg))
		}
	})
}

func TestKVLimits(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithMaxPayload(64<<10))
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)

	_, err := c.KeyValue("any").Put(ctx, "k", make([]byte, 64<<10+1))
	testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, "value over the gateway's max payload")
	if !strings.Contains(err.Error(), "max payload is 65536 bytes") {
		t.Fatalf("error %q does not name the limit", err)
	}
	_, err = c.KeyValue("any").Put(ctx, "k", make([]byte, 64<<10))
	testutil.NoErr(t, err, "value at the max payload")

	_, err = c.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "small", MaxValueSize: 100, MaxBytes: 4096})
	testutil.NoErr(t, err, "create bucket with limits")
	small := c.KeyValue("small")
	_, err = small.Put(ctx, "k", make([]byte, 101))
	testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, "value over the bucket's max value size")
	if !strings.Contains(err.Error(), "max_value_size of 100 bytes") {
		t.Fatalf("error %q does not name the limit", err)
	}
	_, err = small.Put(ctx, "k", make([]byte, 100))
	testutil.NoErr(t, err, "value at the max value size")
	var full error
	for i := range 100 {
		if _, full = small.Put(ctx, fmt.Sprintf("k%d", i), make([]byte, 100)); full != nil {
			break
		}
	}
	testutil.ErrIs(t, full, natsgw.ErrResourceExhausted, "bucket over its max bytes")
	if !strings.Contains(full.Error(), "max_bytes of 4096 bytes") {
		t.Fatalf("error %q does not name the limit", full)
	}
}

func TestKVBucketManagement(t *testing.T) {
	t.Parallel()
	srv, c, ctx := kvEnv(t)

	cfg := natsgw.KeyValueConfig{
		Bucket: "sessions", Description: "sessions", History: 10, TTL: time.Hour, MaxBytes: 1 << 20, MaxValueSize: 1024,
		Memory: true, Replicas: 1, LimitMarkerTTL: 5 * time.Second,
	}
	st, err := c.CreateKeyValue(ctx, cfg)
	testutil.NoErr(t, err, "create")
	testutil.Equal(t, st.Config, cfg, "config")
	testutil.Equal(t, [3]any{st.Bucket, st.Values, st.KeyTTLAllowed}, [3]any{"sessions", uint64(0), true}, "status")
	if time.Since(st.Created) > time.Minute {
		t.Fatalf("created %v", st.Created)
	}
	_, err = c.CreateKeyValue(ctx, cfg)
	testutil.NoErr(t, err, "create again with the same config")
	_, err = c.CreateKeyValue(ctx, natsgw.KeyValueConfig{Bucket: "sessions", History: 3})
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create again with another config")

	cfg.History, cfg.TTL = 20, 0
	st, err = c.UpdateKeyValue(ctx, cfg)
	testutil.NoErr(t, err, "update")
	testutil.Equal(t, st.Config, cfg, "updated config")
	cfg.Memory = false
	_, err = c.UpdateKeyValue(ctx, cfg)
	kvField(t, err, "config.storage", "update of the storage")
	missing := cfg
	missing.Bucket = "nope"
	_, err = c.UpdateKeyValue(ctx, missing)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "update of a missing bucket")

	_, err = c.KeyValue("auto").Put(ctx, "k", []byte("v"))
	testutil.NoErr(t, err, "auto-create")
	list, err := c.KeyValues(ctx)
	testutil.NoErr(t, err, "list")
	testutil.Equal(t, len(list), 2, "buckets")
	testutil.Equal(t, [2]string{list[0].Bucket, list[1].Bucket}, [2]string{"auto", "sessions"}, "sorted buckets")
	testutil.Equal(t, list[0].Values, uint64(1), "values of auto")

	testutil.NoErr(t, c.DeleteKeyValue(ctx, "auto"), "delete")
	testutil.ErrIs(t, c.DeleteKeyValue(ctx, "auto"), natsgw.ErrNotFound, "delete again")
	_, err = c.KeyValue("auto").Get(ctx, "k")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get from a deleted bucket")
	_, err = c.KeyValue("auto").Status(ctx)
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "status of a deleted bucket")
	r, err := c.KeyValue("auto").Put(ctx, "k", []byte("v"))
	testutil.NoErr(t, err, "put re-creates")
	testutil.Equal(t, r, uint64(1), "a new bucket")

	// KV buckets are not plain streams: the NATS streams are KV_-prefixed.
	js, err := jetstream.New(srv.NATS(t))
	testutil.NoErr(t, err, "jetstream")
	names := js.StreamNames(ctx)
	var got []string
	for n := range names.Name() {
		got = append(got, n)
	}
	testutil.NoErr(t, names.Err(), "stream names")
	for _, n := range got {
		if !strings.HasPrefix(n, "KV_tenant_acme_") && n != "_natsgw_advisories" { // the gateway's own
			t.Fatalf("stream %q", n)
		}
	}
}

// TestKVTwoGateways: gateways sharing one NATS race to auto-create a bucket,
// and a gateway whose cached bucket handle went stale (the bucket was
// deleted through the other) recovers.
func TestKVTwoGateways(t *testing.T) {
	t.Parallel()
	srv1 := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	srv2 := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(srv1.NATSURL()))
	ctx := testutil.Context(t)
	c1 := srv1.Client(t, natsgw.WithOrg("acme"))
	c2 := srv2.Client(t, natsgw.WithOrg("acme"))

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		wg.Go(func() {
			_, err := c.KeyValue("race").Put(ctx, fmt.Sprintf("k%d", i), []byte("v"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		testutil.NoErr(t, err, "concurrent first puts")
	}
	keys, err := c1.KeyValue("race").Keys(ctx)
	testutil.NoErr(t, err, "keys")
	testutil.Equal(t, len(keys), 16, "keys")

	// Gateway 2 has the bucket cached; gateway 1 deletes it.
	_, err = c2.KeyValue("race").Get(ctx, "k1")
	testutil.NoErr(t, err, "get through gateway 2")
	testutil.NoErr(t, c1.DeleteKeyValue(ctx, "race"), "delete through gateway 1")
	_, err = c2.KeyValue("race").Get(ctx, "k1", natsgw.WithConsistentRead())
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "consistent get through gateway 2 after the delete")
	// Gateway 2's read cache drops the bucket when NATS's stream-deleted
	// advisory reaches it, a moment after the delete returns.
	testutil.Poll(t, "cached get through gateway 2 after the delete", func() error {
		if _, err := c2.KeyValue("race").Get(ctx, "k1"); !errors.Is(err, natsgw.ErrNotFound) {
			return fmt.Errorf("got %v, want not found", err)
		}
		return nil
	})
	w, err := c2.KeyValue("race").Watch(ctx, ">")
	if err == nil {
		testutil.NoErr(t, w.Stop(ctx), "stop the watch")
	}
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "watch through gateway 2 after the delete")
	r, err := c2.KeyValue("race").Put(ctx, "k1", []byte("again"))
	testutil.NoErr(t, err, "put through gateway 2 re-creates the bucket")
	testutil.Equal(t, r, uint64(1), "first revision of the new bucket")
	e, err := c1.KeyValue("race").Get(ctx, "k1")
	testutil.NoErr(t, err, "get through gateway 1")
	testutil.Equal(t, string(e.Value), "again", "value")
}

// TestKVWatchGatewayRestart: watches survive the restart of their gateway
// (stateless, in front of a NATS that stays up): each resumes after the last
// revision it delivered, so changes made while the gateway was down arrive,
// once, in order, with no second init marker; a watch that had delivered
// nothing resumes after the revision the bucket had when it started (so
// not with b's earlier value).
func TestKVWatchGatewayRestart(t *testing.T) {
	t.Parallel()
	core := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	gw := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(core.NATSURL()))
	events := make(chan natsgw.Event, 16)
	c := gw.Client(t, natsgw.WithOrg("acme"), natsgw.WithEventHandler(func(e natsgw.Event) { events <- e }))
	ctx := testutil.Context(t)
	writer := core.Client(t, natsgw.WithOrg("acme")).KeyValue("w")
	_, err := writer.Put(ctx, "a", []byte("1"))
	testutil.NoErr(t, err, "put a")
	_, err = writer.Put(ctx, "b", []byte("0"))
	testutil.NoErr(t, err, "put b")

	kv := c.KeyValue("w")
	all, err := kv.Watch(ctx, ">")
	testutil.NoErr(t, err, "watch")
	defer all.Stop(ctx)
	fresh, err := kv.Watch(ctx, "b", natsgw.WithUpdatesOnly())
	testutil.NoErr(t, err, "watch updates only")
	defer fresh.Stop(ctx)
	testutil.Equal(t, opKeys(initDone(t, all)), []opKey{{natsgw.KeyValuePut, "a", "1"}, {natsgw.KeyValuePut, "b", "0"}}, "initial values")
	testutil.Equal(t, len(initDone(t, fresh)), 0, "updates only: no initial values")

	gw.Restart(func() {
		_, err := writer.Put(ctx, "b", []byte("2"))
		testutil.NoErr(t, err, "put b while the gateway is down")
		testutil.NoErr(t, writer.Delete(ctx, "a"), "delete a while the gateway is down")
	})
	_, err = writer.Put(ctx, "b", []byte("3"))
	testutil.NoErr(t, err, "put b after the restart")

	want := []opKey{{natsgw.KeyValuePut, "b", "2"}, {natsgw.KeyValueDelete, "a", ""}, {natsgw.KeyValuePut, "b", "3"}}
	var got []opKey
	for range want {
		got = append(got, opKeys([]*natsgw.KeyValueEntry{nextEntry(t, all, "change after the restart")})...)
	}
	testutil.Equal(t, got, want, "changes across the restart")
	got = nil
	for range 2 {
		got = append(got, opKeys([]*natsgw.KeyValueEntry{nextEntry(t, fresh, "change of b after the restart")})...)
	}
	testutil.Equal(t, got, []opKey{want[0], want[2]}, "updates only: the changes of b across the restart")

	lost := map[string]int{}
	for range 4 {
		e := testutil.Recv(t, events, "watch events")
		if e.Bucket != "w" || (e.Subject != ">" && e.Subject != "b") {
			t.Fatalf("event %+v names another watch", e)
		}
		lost[e.Subject+" "+e.Kind.String()]++
	}
	testutil.Equal(t, lost, map[string]int{
		"> key watch lost": 1, "> key watch restored": 1, "b key watch lost": 1, "b key watch restored": 1,
	}, "events")
	testutil.NoRecv(t, all.Updates(), "a duplicate or a second init marker")
}

// TestKVWatchBucketDeleted: deleting a watched bucket ends the watch with
// ErrNotFound at once (the gateway hears NATS's stream-deleted advisory),
// also when the bucket is deleted through another gateway.
func TestKVWatchBucketDeleted(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t, natsgwtest.WithNATSListener())
	other := natsgwtest.NewServer(t, natsgwtest.WithNATSURL(srv.NATSURL()))
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	kv := c.KeyValue("doomed")
	_, err := kv.Put(ctx, "a", []byte("1"))
	testutil.NoErr(t, err, "put")
	w, err := kv.Watch(ctx, ">")
	testutil.NoErr(t, err, "watch")
	defer w.Stop(ctx)
	initDone(t, w)
	testutil.NoErr(t, other.Client(t, natsgw.WithOrg("acme")).DeleteKeyValue(ctx, "doomed"), "delete the bucket through another gateway")
	select {
	case e, ok := <-w.Updates():
		if ok {
			t.Fatalf("entry %+v after the bucket was deleted", e)
		}
	case <-ctx.Done():
		t.Fatal("the watch did not end after the bucket's deletion")
	}
	testutil.ErrIs(t, w.Err(), natsgw.ErrNotFound, "watch error")
}
