package natsgw_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// TestOrgRateLimit: with --org-rate, an organization's calls beyond its
// burst are refused with a retry delay, other organizations are not
// affected, and a publishing stream is slowed to the rate, not refused.
func TestOrgRateLimit(t *testing.T) {
	t.Parallel()
	// A rate low enough that a client publishing as fast as it can
	// outruns it even on a loaded machine (a refill every 100 ms).
	const rate, burst = 10, 5
	srv := natsgwtest.NewServer(t, natsgwtest.WithOrgRate(rate, burst))
	ctx := testutil.Context(t)
	acme := srv.Client(t, natsgw.WithOrg("acme"))
	bob := srv.Client(t, natsgw.WithOrg("bob"))

	// A batch of the burst empties the bucket; publishes right after it
	// are refused once one comes within a refill (the loop ends by the
	// test's context if none ever is).
	full := make([]*natsgw.Msg, burst)
	for i := range full {
		full[i] = &natsgw.Msg{Subject: "events.a"}
	}
	_, err := acme.PublishBatch(ctx, full)
	testutil.NoErr(t, err, "a batch of the burst")
	var refused error
	for refused == nil && ctx.Err() == nil {
		refused = acme.Publish(ctx, "events.a", nil)
	}
	testutil.ErrIs(t, refused, natsgw.ErrResourceExhausted, "a burst of publishes")
	var e *natsgw.Error
	if !errors.As(refused, &e) || e.Reason != natsgw.ReasonRateLimited || e.RetryAfter <= 0 || e.RetryAfter > time.Second/rate*2 {
		t.Fatalf("refusal %v: want reason %s and a retry delay of at most %s", refused, natsgw.ReasonRateLimited, time.Second/rate*2)
	}
	for i := range burst {
		testutil.NoErr(t, bob.Publish(ctx, "events.a", nil), fmt.Sprintf("bob's publish %d while acme is limited", i))
	}
	batch := make([]*natsgw.Msg, burst+1)
	for i := range batch {
		batch[i] = &natsgw.Msg{Subject: "events.b"}
	}
	_, err = bob.PublishBatch(ctx, batch)
	testutil.ErrIs(t, err, natsgw.ErrResourceExhausted, "a batch larger than the burst")

	// A stream of n messages takes at least (n - burst) / rate.
	const n = 15
	carol := srv.Client(t, natsgw.WithOrg("carol"))
	got, _ := sink(t, carol, "events.>")
	start := time.Now()
	p, err := carol.NewPublisher(ctx)
	testutil.NoErr(t, err, "publisher")
	for i := range n {
		testutil.NoErr(t, p.Publish("events.s", []byte(fmt.Sprint(i))), "stream publish")
	}
	testutil.NoErr(t, p.Flush(ctx), "flush")
	if took, least := time.Since(start), time.Second*(n-burst-1)/rate; took < least {
		t.Fatalf("%d messages took %s through a limit of %d/s; at least %s expected", n, took, rate, least)
	}
	testutil.NoErr(t, p.Close(ctx), "close publisher")
	for i := range n {
		testutil.Equal(t, string(testutil.Recv(t, got, "message").Data), fmt.Sprint(i), "message in order")
	}
}
