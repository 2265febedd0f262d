package server

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/tenant"
)

// ReasonRateLimited is the ErrorInfo reason of a call refused by the
// per-organization rate limit (its RetryInfo says when to retry).
const ReasonRateLimited = "RATE_LIMITED"

// rateLimiter caps each organization's operations per second on this
// gateway instance with a token bucket: rate tokens a second, at most burst
// saved up. An operation is a unary call, the opening of a stream, or a
// message a client sends on a stream that does work (a published message,
// a key-value operation, a reply); a batch costs one per message. Unary
// calls and stream openings beyond the limit are refused with
// RESOURCE_EXHAUSTED and a RetryInfo; messages on an open stream wait for
// their tokens instead (the client is held back by gRPC flow control).
// nil means no limit.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time

	mu   sync.Mutex
	orgs map[string]*orgBucket
}

type orgBucket struct {
	tokens float64 // may be negative: owed by waiting stream messages
	at     time.Time
}

// maxOrgBuckets bounds the map: past it, buckets that are full again (idle
// organizations) are dropped, as they would be created full anyway.
const maxOrgBuckets = 10000

func newRateLimiter(rate float64, burst int) *rateLimiter {
	if rate <= 0 {
		return nil
	}
	b := float64(burst)
	if burst <= 0 {
		b = math.Max(1, math.Ceil(rate))
	}
	return &rateLimiter{rate: rate, burst: b, now: time.Now, orgs: make(map[string]*orgBucket)}
}

// bucket returns org's bucket, refilled up to now; l.mu is held.
func (l *rateLimiter) bucket(org string, now time.Time) *orgBucket {
	b := l.orgs[org]
	if b == nil {
		if len(l.orgs) >= maxOrgBuckets {
			for k, o := range l.orgs {
				if o.tokens+now.Sub(o.at).Seconds()*l.rate >= l.burst {
					delete(l.orgs, k)
				}
			}
		}
		b = &orgBucket{tokens: l.burst, at: now}
		l.orgs[org] = b
		return b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	return b
}

// take takes n tokens for org if they are there; otherwise it takes none
// and returns how long until they would be.
func (l *rateLimiter) take(org string, n float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(org, l.now())
	if b.tokens >= n {
		b.tokens -= n
		return 0
	}
	return l.until(n - b.tokens)
}

// reserve takes n tokens for org, going into debt if need be, and returns
// how long the caller must wait before it may proceed.
func (l *rateLimiter) reserve(org string, n float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(org, l.now())
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	return l.until(-b.tokens)
}

func (l *rateLimiter) until(missing float64) time.Duration {
	return time.Duration(math.Ceil(missing / l.rate * float64(time.Second)))
}

// refuse is the error of a call over the limit.
func (l *rateLimiter) refuse(org string, n float64, wait time.Duration) error {
	msg := fmt.Sprintf("organization %q: rate limit of %g operations/s (burst %g) reached on this gateway; retry in %s (--org-rate)", org, l.rate, l.burst, wait.Round(time.Millisecond))
	if n > l.burst {
		msg = fmt.Sprintf("organization %q: a call of %g operations exceeds the rate limit's burst of %g (--org-burst); send smaller batches", org, n, l.burst)
	}
	st := status.New(codes.ResourceExhausted, msg)
	if d, err := st.WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonRateLimited, Domain: "natsgw"},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)},
	); err == nil {
		st = d
	}
	return st.Err()
}

// unary admits a unary call of the caller in ctx, or refuses it.
func (l *rateLimiter) unary(ctx context.Context, req any) error {
	id, ok := tenant.FromContext(ctx)
	if l == nil || !ok {
		return nil
	}
	n := float64(1)
	if b, ok := req.(*natsgwv1.PublishBatchRequest); ok {
		n = float64(max(1, len(b.GetMessages())))
	}
	if n > l.burst {
		return l.refuse(id.Org, n, 0)
	}
	if wait := l.take(id.Org, n); wait > 0 {
		return l.refuse(id.Org, n, wait)
	}
	return nil
}

// stream admits the opening of a stream and returns the stream to hand to
// the handler, whose messages wait for their tokens.
func (l *rateLimiter) stream(ss grpc.ServerStream) (grpc.ServerStream, error) {
	id, ok := tenant.FromContext(ss.Context())
	if l == nil || !ok {
		return ss, nil
	}
	if wait := l.take(id.Org, 1); wait > 0 {
		return nil, l.refuse(id.Org, 1, wait)
	}
	return &rateStream{ServerStream: ss, l: l, org: id.Org}, nil
}

// rateStream charges the messages a client sends on a stream.
type rateStream struct {
	grpc.ServerStream
	l   *rateLimiter
	org string
}

func (s *rateStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	n := streamCost(m)
	if n == 0 {
		return nil
	}
	wait := s.l.reserve(s.org, n)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.Context().Done():
		return status.FromContextError(s.Context().Err()).Err()
	}
}

// streamCost is the number of operations a client's stream message asks
// for: the messages it publishes, a key-value operation, a reply. Frames
// that start a stream (counted as its opening), acknowledgements, credit
// and object data cost nothing.
func streamCost(m any) float64 {
	switch m := m.(type) {
	case *natsgwv1.PublishStreamRequest:
		return float64(len(m.GetMessages()))
	case *natsgwv1.PipelinePublishRequest:
		return float64(len(m.GetMessages()))
	case *natsgwv1.KeyValueServiceSessionRequest:
		return 1
	case *natsgwv1.ServeRequest:
		if m.GetReply() != nil {
			return 1
		}
	}
	return 0
}
