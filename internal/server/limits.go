package server

import (
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw/internal/tenant"
)

// streamLimiter caps the streaming calls (subscriptions, responders,
// consumers, watches, publish streams, transfers) one organization may have
// open on this instance at once. Each open stream may hold a bounded buffer,
// so the cap bounds what one org can make the gateway hold. Zero means no
// limit.
type streamLimiter struct {
	max int

	mu   sync.Mutex
	open map[string]int
}

func newStreamLimiter(max int) *streamLimiter {
	return &streamLimiter{max: max, open: make(map[string]int)}
}

// stream runs after authentication, so the identity is in the context.
func (l *streamLimiter) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	id, ok := tenant.FromContext(ss.Context())
	if l.max <= 0 || !ok {
		return h(srv, ss) // public methods (reflection) carry no identity
	}
	l.mu.Lock()
	if l.open[id.Org] >= l.max {
		l.mu.Unlock()
		return status.Errorf(codes.ResourceExhausted, "organization %q has %d streams open on this gateway; the limit is %d (--max-streams-per-org)", id.Org, l.max, l.max)
	}
	l.open[id.Org]++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if l.open[id.Org]--; l.open[id.Org] == 0 {
			delete(l.open, id.Org)
		}
		l.mu.Unlock()
	}()
	return h(srv, ss)
}
