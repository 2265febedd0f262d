package natsgw_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// countingConn counts the bytes a client reads from its connection.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// stuckConn dials srv with static 64 KiB flow-control windows (no BDP
// estimation, which would grow the windows later, at its own pace) and
// counts the bytes read, so that a test can tell when data reached the
// client.
func stuckConn(t *testing.T, srv *natsgwtest.Server) (*grpc.ClientConn, *atomic.Int64) {
	t.Helper()
	read := new(atomic.Int64)
	conn, err := grpc.NewClient(srv.Addr(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStaticStreamWindowSize(64<<10),
		grpc.WithStaticConnWindowSize(64<<10),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, read: read}, nil
		}))
	testutil.NoErr(t, err, "dial")
	t.Cleanup(func() { _ = conn.Close() })
	return conn, read
}

// TestBufferedBytesPerOrg: a subscriber that never reads, with the largest
// buffer_size, cannot make the gateway hold more than the org's bound;
// beyond it messages are dropped and counted (here seen by a second
// subscription of the same org), and another org's subscriber receives
// everything meanwhile.
func TestBufferedBytesPerOrg(t *testing.T) {
	t.Parallel()
	const bound = 2 << 20
	srv := natsgwtest.NewServer(t, natsgwtest.WithMaxBufferedBytesPerOrg(bound))
	ctx := testutil.Context(t)
	nc := srv.NATS(t)
	payload := make([]byte, 32<<10)

	hogCtx, stopHog := context.WithCancel(asOrg(ctx, "hog"))
	defer stopHog()
	hogConn, hogRead := stuckConn(t, srv)
	hog, err := natsgwv1.NewMessagingServiceClient(hogConn).Subscribe(hogCtx, &natsgwv1.SubscribeRequest{Subject: "flood", BufferSize: 65536})
	testutil.NoErr(t, err, "hog subscribe")
	_, err = hog.Recv()
	testutil.NoErr(t, err, "hog ready") // and never reads again

	// Wedge the hog's stream first, so that the org's account only grows
	// from here on. gRPC takes a frame of any size while the stream's
	// 64 KiB write quota is not used up, and gives quota back only as the
	// client's 64 KiB window lets bytes out: once it took this 512 KiB
	// message, no later send returns while the hog does not read. (Without
	// the wedge, a send still under way when the org looks full would free
	// its frame's bytes later, and the other subscription's messages below
	// would fit.)
	before := hogRead.Load()
	testutil.NoErr(t, nc.Publish("tenant.hog.flood", make([]byte, 512<<10)), "publish the wedge")
	testutil.NoErr(t, nc.Flush(), "flush")
	testutil.Poll(t, "the wedge handed to gRPC", func() error {
		got, held := hogRead.Load()-before, srv.BufferedBytes("hog")
		if got < 32<<10 || held != 0 {
			return fmt.Errorf("hog's connection read %d bytes of it, org hog holds %d bytes", got, held)
		}
		return nil
	})

	// Publish until the org has less room than one payload, never more
	// than the bound.
	full := false
	for i := 0; i < 4096 && !full; i++ { // at most 128 MiB
		testutil.NoErr(t, nc.Publish("tenant.hog.flood", payload), "publish")
		if i%16 == 15 {
			testutil.NoErr(t, nc.Flush(), "flush")
			held := srv.BufferedBytes("hog")
			if held > bound {
				t.Fatalf("org hog holds %d bytes, above the bound %d", held, bound)
			}
			full = bound-held < int64(len(payload))
		}
	}
	if !full {
		t.Fatalf("org hog holds %d bytes after 128 MiB published; the bound (%d) was never reached", srv.BufferedBytes("hog"), bound)
	}

	// The same org's other subscription gets nothing of that size buffered
	// now: its ten payloads are dropped, and it learns so with the next
	// message that fits. (Its messages are handled in order, so the count
	// comes with the small one whatever the timing.)
	hog2, err := natsgwv1.NewMessagingServiceClient(rawConn(t, srv)).Subscribe(asOrg(ctx, "hog"), &natsgwv1.SubscribeRequest{Subject: "second"})
	testutil.NoErr(t, err, "second hog subscribe")
	_, err = hog2.Recv()
	testutil.NoErr(t, err, "second hog ready")
	for range 10 {
		testutil.NoErr(t, nc.Publish("tenant.hog.second", payload), "publish to the second")
	}
	testutil.NoErr(t, nc.Publish("tenant.hog.second", []byte("small")), "publish a small message")
	r, err := hog2.Recv()
	testutil.NoErr(t, err, "second hog receives")
	testutil.Equal(t, r.GetDropped(), uint64(10), "dropped while the org was full")
	testutil.Equal(t, len(r.GetMessages()), 1, "messages")
	testutil.Equal(t, string(r.GetMessages()[0].GetData()), "small", "message")

	// ...while another org receives everything.
	calm, err := natsgwv1.NewMessagingServiceClient(rawConn(t, srv)).Subscribe(asOrg(ctx, "calm"), &natsgwv1.SubscribeRequest{Subject: "flood"})
	testutil.NoErr(t, err, "calm subscribe")
	_, err = calm.Recv()
	testutil.NoErr(t, err, "calm ready")
	const calmMsgs = 60 // 1.9 MiB: its own org bound would hold them all
	go func() {
		for range calmMsgs {
			_ = nc.Publish("tenant.calm.flood", payload)
		}
		_ = nc.Flush()
	}()
	got := 0
	for got < calmMsgs {
		r, err := calm.Recv()
		testutil.NoErr(t, err, fmt.Sprintf("calm receives (%d so far)", got))
		if r.GetDropped() != 0 {
			t.Fatalf("calm: %d messages dropped", r.GetDropped())
		}
		got += len(r.GetMessages())
	}
	if held := srv.BufferedBytes("hog"); held > bound {
		t.Fatalf("org hog holds %d bytes, above the bound %d", held, bound)
	}

	// When the hog goes, its bytes are freed and the second subscription
	// gets a payload through again.
	stopHog()
	testutil.Poll(t, "the hog's bytes are freed", func() error {
		if held := srv.BufferedBytes("hog"); held != 0 {
			return fmt.Errorf("org hog still holds %d bytes", held)
		}
		return nil
	})
	testutil.NoErr(t, nc.Publish("tenant.hog.second", payload), "publish after")
	r, err = hog2.Recv()
	testutil.NoErr(t, err, "second hog receives")
	testutil.Equal(t, r.GetDropped(), uint64(0), "dropped after the hog went")
	testutil.Equal(t, len(r.GetMessages()), 1, "messages")
	testutil.Equal(t, len(r.GetMessages()[0].GetData()), len(payload), "payload size")
}
