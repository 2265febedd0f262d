package natsgw_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

func TestPublisherInOrder(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "stream.>")
	p, err := c.NewPublisher(ctx, natsgw.WithBatchSize(100, 0))
	testutil.NoErr(t, err, "publisher")
	const n = 3000
	for i := range n {
		testutil.NoErr(t, p.Publish("stream.x", []byte(strconv.Itoa(i))), "publish")
	}
	testutil.NoErr(t, p.Flush(ctx), "flush")
	testutil.Equal(t, p.Published(), uint64(n), "published after flush")
	for i, m := range recvN(t, got, n, "streamed") {
		if string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("message %d is %q: out of order", i, m.Data)
		}
	}
	testutil.NoErr(t, p.Close(ctx), "close")
}

// TestPublisherFlush: when Flush returns, NATS has every message published
// before it; a raw subscriber has them all as soon as its own connection has
// caught up (its flush returns after the messages NATS queued for it).
func TestPublisherFlush(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	nc := srv.NATS(t)
	ctx := testutil.Context(t)
	raw := rawSub(t, nc, "tenant.acme.flush.>")
	// Nothing leaves by itself: no size limit reached, an hour of linger.
	p, err := c.NewPublisher(ctx, natsgw.WithBatchSize(10000, 64<<20), natsgw.WithLinger(time.Hour))
	testutil.NoErr(t, err, "publisher")
	for round, n := range []int{300, 1, 2000} {
		for i := range n {
			testutil.NoErr(t, p.Publish("flush.x", []byte(fmt.Sprint(i)), natsgw.WithHeader(natsgw.Header{"round": {fmt.Sprint(round)}})), "publish")
		}
		testutil.NoErr(t, p.Flush(ctx), "flush")
		testutil.NoErr(t, nc.Flush(), "raw flush")
		pending, _, err := raw.Pending()
		testutil.NoErr(t, err, "pending")
		testutil.Equal(t, pending, n, fmt.Sprintf("round %d: messages at the raw subscriber right after Flush", round))
		for i := range n {
			m := rawNext(t, raw, "raw message")
			if string(m.Data) != fmt.Sprint(i) || m.Header.Get("round") != fmt.Sprint(round) {
				t.Fatalf("round %d message %d: got %q (round %s)", round, i, m.Data, m.Header.Get("round"))
			}
		}
	}
	testutil.Equal(t, p.Published(), uint64(2301), "published")
	testutil.NoErr(t, p.Flush(ctx), "flush with nothing queued")
	testutil.NoErr(t, p.Close(ctx), "close")
}

func TestPublisherConcurrent(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "conc.>")
	p, err := c.NewPublisher(ctx, natsgw.WithBatchSize(64, 0))
	testutil.NoErr(t, err, "publisher")
	const producers, each = 8, 300
	var wg sync.WaitGroup
	for g := range producers {
		wg.Go(func() {
			for i := range each {
				if err := p.Publish(fmt.Sprintf("conc.%d", g), []byte(strconv.Itoa(i))); err != nil {
					t.Errorf("producer %d: %v", g, err)
					return
				}
				if i%100 == 99 {
					if err := p.Flush(ctx); err != nil {
						t.Errorf("producer %d flush: %v", g, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	testutil.NoErr(t, p.Flush(ctx), "flush")
	next := map[string]int{}
	for _, m := range recvN(t, got, producers*each, "concurrent") {
		if string(m.Data) != strconv.Itoa(next[m.Subject]) {
			t.Fatalf("%s: got %q, want %d: a producer's messages out of order", m.Subject, m.Data, next[m.Subject])
		}
		next[m.Subject]++
	}
	testutil.Equal(t, p.Published(), uint64(producers*each), "published")
	testutil.NoErr(t, p.Close(ctx), "close")
}

func TestPublisherClose(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	ctx := testutil.Context(t)
	got, _ := sink(t, c, "close.>")
	p, err := c.NewPublisher(ctx, natsgw.WithLinger(time.Hour))
	testutil.NoErr(t, err, "publisher")
	for i := range 10 {
		testutil.NoErr(t, p.Publish("close.x", []byte(strconv.Itoa(i))), "publish")
	}
	// Close flushes what is queued.
	testutil.NoErr(t, p.Close(ctx), "close")
	recvN(t, got, 10, "flushed by Close")
	testutil.Equal(t, p.Published(), uint64(10), "published")
	testutil.ErrIs(t, p.Publish("close.x", nil), natsgw.ErrClosed, "publish after Close")
	testutil.ErrIs(t, p.Flush(ctx), natsgw.ErrClosed, "flush after Close")
	testutil.NoErr(t, p.Close(ctx), "second Close")

	// Closing the client ends its publishers.
	p2, err := c.NewPublisher(ctx)
	testutil.NoErr(t, err, "publisher")
	testutil.NoErr(t, c.Close(), "client close")
	if err := p2.Flush(ctx); err == nil {
		t.Fatal("flush after the client closed succeeded")
	}
	_, err = c.NewPublisher(ctx)
	testutil.ErrIs(t, err, natsgw.ErrClosed, "NewPublisher after the client closed")
}

// TestPublisherInvalidMidStream: a rejected message ends the stream with
// InvalidArgument naming it; every message before it, in earlier frames and
// earlier in the same frame, was published, and Published says how many.
func TestPublisherInvalidMidStream(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	nc := srv.NATS(t)
	ctx := testutil.Context(t)
	raw := rawSub(t, nc, "tenant.acme.mid.>")

	check := func(p *natsgw.Publisher, published int, field string) {
		t.Helper()
		err := p.Flush(ctx)
		testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "flush over an invalid message")
		var e *natsgw.Error
		if !errors.As(err, &e) || e.Field != field || !strings.Contains(e.Message, fmt.Sprintf("after %d published messages", published)) {
			t.Fatalf("error %v: want field %s and the published count %d", err, field, published)
		}
		testutil.Equal(t, p.Published(), uint64(published), "Published after the failure")
		testutil.ErrIs(t, p.Publish("mid.ok", nil), natsgw.ErrInvalidArgument, "publish after the failure")
		testutil.NoErr(t, nc.Flush(), "raw flush")
		for i := range published {
			testutil.Equal(t, string(rawNext(t, raw, "published before the invalid one").Data), strconv.Itoa(i), "data")
		}
		rawNone(t, raw, "anything from the invalid message on")
		testutil.ErrIs(t, p.Close(ctx), natsgw.ErrInvalidArgument, "close after the failure")
	}

	t.Run("same frame", func(t *testing.T) {
		p, err := c.NewPublisher(ctx, natsgw.WithLinger(time.Hour))
		testutil.NoErr(t, err, "publisher")
		for i := range 10 {
			testutil.NoErr(t, p.Publish("mid.ok", []byte(strconv.Itoa(i))), "publish")
		}
		testutil.NoErr(t, p.Publish("mid bad", nil), "queue an invalid message")
		testutil.NoErr(t, p.Publish("mid.after", nil), "queue a message after it")
		check(p, 10, "messages[10].subject")
	})
	t.Run("later frame", func(t *testing.T) {
		p, err := c.NewPublisher(ctx, natsgw.WithLinger(time.Hour))
		testutil.NoErr(t, err, "publisher")
		for i := range 5 {
			testutil.NoErr(t, p.Publish("mid.ok", []byte(strconv.Itoa(i))), "publish")
		}
		testutil.NoErr(t, p.Flush(ctx), "flush")
		testutil.NoErr(t, p.Publish("mid.>", nil), "queue a wildcard")
		check(p, 5, "messages[0].subject")
	})
}

// TestPublisherCloseWhilePublishing: Close races with producers; every
// Publish that returned nil is delivered, and the others got ErrClosed.
func TestPublisherCloseWhilePublishing(t *testing.T) {
	t.Parallel()
	srv := natsgwtest.NewServer(t)
	c := srv.Client(t, natsgw.WithOrg("acme"))
	// Producers run freely until Close: room for however many they get
	// through (the default sync queue of 65536 overflowed once the
	// Publisher got faster).
	nc := srv.NATS(t, nats.SyncQueueLen(1<<22))
	ctx := testutil.Context(t)
	raw := rawSub(t, nc, "tenant.acme.race.>")
	testutil.NoErr(t, raw.SetPendingLimits(-1, -1), "pending limits")
	for round := range 5 {
		p, err := c.NewPublisher(ctx, natsgw.WithBatchSize(16, 0))
		testutil.NoErr(t, err, "publisher")
		var ok atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					if err := p.Publish("race.x", nil); err != nil {
						if !errors.Is(err, natsgw.ErrClosed) {
							t.Errorf("publish during Close: %v", err)
						}
						return
					}
					ok.Add(1)
				}
			})
		}
		testutil.Poll(t, "producers under way", func() error {
			if ok.Load() < 500 {
				return errors.New("fewer than 500 published")
			}
			return nil
		})
		testutil.NoErr(t, p.Close(ctx), "close")
		wg.Wait()
		testutil.NoErr(t, nc.Flush(), "raw flush")
		pending, _, err := raw.Pending()
		testutil.NoErr(t, err, "pending")
		testutil.Equal(t, int64(pending), ok.Load(), fmt.Sprintf("round %d: delivered vs accepted by Publish", round))
		testutil.Equal(t, p.Published(), uint64(ok.Load()), "Published")
		for range pending {
			rawNext(t, raw, "drain")
		}
	}
}
