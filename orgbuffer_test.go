package natsgw_test

import (
	"context"
	"fmt"
	"testing"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

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
	const weight = 32<<10 + 200 // a message as the bound counts it, at most

	hogCtx, stopHog := context.WithCancel(asOrg(ctx, "hog"))
	defer stopHog()
	hog, err := natsgwv1.NewMessagingServiceClient(rawConn(t, srv)).Subscribe(hogCtx, &natsgwv1.SubscribeRequest{Subject: "flood", BufferSize: 65536})
	testutil.NoErr(t, err, "hog subscribe")
	_, err = hog.Recv()
	testutil.NoErr(t, err, "hog ready") // and never reads again

	// Publish until the org holds as much as the bound allows (gRPC's flow
	// control windows take some first), never more.
	full := false
	for i := 0; i < 4096 && !full; i++ { // at most 128 MiB
		testutil.NoErr(t, nc.Publish("tenant.hog.flood", payload), "publish")
		if i%16 == 15 {
			testutil.NoErr(t, nc.Flush(), "flush")
			held := srv.BufferedBytes("hog")
			if held > bound {
				t.Fatalf("org hog holds %d bytes, above the bound %d", held, bound)
			}
			full = held > bound-weight
		}
	}
	if !full {
		t.Fatalf("org hog holds %d bytes after 128 MiB published; the bound (%d) was never reached", srv.BufferedBytes("hog"), bound)
	}

	// The same org's other subscription gets nothing buffered now...
	hog2, err := natsgwv1.NewMessagingServiceClient(rawConn(t, srv)).Subscribe(asOrg(ctx, "hog"), &natsgwv1.SubscribeRequest{Subject: "second"})
	testutil.NoErr(t, err, "second hog subscribe")
	_, err = hog2.Recv()
	testutil.NoErr(t, err, "second hog ready")
	for range 10 {
		testutil.NoErr(t, nc.Publish("tenant.hog.second", payload), "publish to the second")
	}

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
	// learns, with its next message, that ten were dropped.
	stopHog()
	testutil.Poll(t, "the hog's bytes are freed", func() error {
		if held := srv.BufferedBytes("hog"); held != 0 {
			return fmt.Errorf("org hog still holds %d bytes", held)
		}
		return nil
	})
	testutil.NoErr(t, nc.Publish("tenant.hog.second", []byte("after")), "publish after")
	r, err := hog2.Recv()
	testutil.NoErr(t, err, "second hog receives")
	testutil.Equal(t, r.GetDropped(), uint64(10), "dropped while the org was full")
	testutil.Equal(t, len(r.GetMessages()), 1, "messages")
	testutil.Equal(t, string(r.GetMessages()[0].GetData()), "after", "message")
}
