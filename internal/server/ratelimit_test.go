package server

import (
	"context"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	if newRateLimiter(0, 10) != nil {
		t.Fatal("rate 0 made a limiter")
	}
	now := time.Unix(1000, 0)
	l := newRateLimiter(10, 5) // 10/s, burst 5
	l.now = func() time.Time { return now }

	for i := range 5 {
		if w := l.take("acme", 1); w != 0 {
			t.Fatalf("take %d of the burst: wait %s", i, w)
		}
	}
	if w := l.take("acme", 1); w != 100*time.Millisecond {
		t.Fatalf("take past the burst: wait %s, want 100ms", w)
	}
	if w := l.take("bob", 5); w != 0 {
		t.Fatalf("another org: wait %s", w)
	}
	now = now.Add(250 * time.Millisecond) // 2.5 tokens back
	if w := l.take("acme", 2); w != 0 {
		t.Fatalf("after 250ms: wait %s", w)
	}
	if w := l.take("acme", 1); w != 50*time.Millisecond {
		t.Fatalf("0.5 tokens left: wait %s, want 50ms", w)
	}
	now = now.Add(time.Hour)
	if w := l.take("acme", 6); w == 0 {
		t.Fatal("took more than the burst after an hour idle")
	}
	// Streams go into debt and wait it off.
	if w := l.reserve("acme", 25); w != 2*time.Second {
		t.Fatalf("reserve 25 of a full burst of 5: wait %s, want 2s", w)
	}
	if w := l.take("acme", 1); w != 2100*time.Millisecond {
		t.Fatalf("take behind the debt: wait %s, want 2.1s", w)
	}
}

func TestRateLimiterCalls(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(1, 2)
	acme := tenant.NewContext(context.Background(), tenant.Identity{Org: "acme", User: "u"})
	for range 2 {
		if err := l.unary(acme, &natsgwv1.PublishRequest{}); err != nil {
			t.Fatalf("call within the burst: %v", err)
		}
	}
	err := l.unary(acme, &natsgwv1.PublishRequest{})
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("call past the burst: %v", err)
	}
	var reason string
	var retry time.Duration
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			reason = d.GetReason()
		case *errdetails.RetryInfo:
			retry = d.GetRetryDelay().AsDuration()
		}
	}
	if reason != ReasonRateLimited || retry <= 0 || retry > time.Second {
		t.Fatalf("details: reason %q, retry %s", reason, retry)
	}
	big := &natsgwv1.PublishBatchRequest{Messages: make([]*natsgwv1.OutgoingMessage, 3)}
	if err := l.unary(tenant.NewContext(context.Background(), tenant.Identity{Org: "bob"}), big); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a batch over the burst: %v", err)
	}
	if err := l.unary(context.Background(), &natsgwv1.HealthRequest{}); err != nil {
		t.Fatalf("a public call without identity: %v", err)
	}
	var none *rateLimiter
	if err := none.unary(acme, &natsgwv1.PublishRequest{}); err != nil {
		t.Fatalf("no limiter: %v", err)
	}
}
