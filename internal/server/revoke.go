package server

import (
	"context"
	"errors"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw/internal/tenant"
)

// errRevoked is the cause a stream's context is cancelled with when the
// token that opened it no longer grants its identity.
var errRevoked = errors.New("natsgw: token revoked")

// revokedStatus is what a revoked stream ends with.
var revokedStatus = status.Error(codes.Unauthenticated, "authorization: the token was revoked")

// openStreams tracks the streams opened with a token, by the token's
// digest, so that an auth file reload ends those whose token it removed.
//
// No stream escapes: register adds a stream before the interceptor checks
// its token once more, and revokeStale swaps in the new tokens before it
// scans (under mu), so a stream registered during a reload is either seen
// by the scan or sees the new tokens in its check.
type openStreams struct {
	mu       sync.Mutex
	byDigest map[string]map[*revocable]struct{}
}

// revocable is one open stream: its identity and how to end it.
type revocable struct {
	id      tenant.Identity
	cancel  context.CancelCauseFunc
	once    sync.Once
	revoked chan struct{} // closed on revocation
}

func (r *revocable) revoke() {
	r.once.Do(func() {
		close(r.revoked)
		r.cancel(errRevoked)
	})
}

func (r *revocable) isRevoked() bool {
	select {
	case <-r.revoked:
		return true
	default:
		return false
	}
}

func (o *openStreams) register(digest string, r *revocable) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byDigest == nil {
		o.byDigest = make(map[string]map[*revocable]struct{})
	}
	set := o.byDigest[digest]
	if set == nil {
		set = make(map[*revocable]struct{})
		o.byDigest[digest] = set
	}
	set[r] = struct{}{}
}

func (o *openStreams) unregister(digest string, r *revocable) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if set := o.byDigest[digest]; set != nil {
		delete(set, r)
		if len(set) == 0 {
			delete(o.byDigest, digest)
		}
	}
}

// revokeStale ends every stream whose token grant no longer gives its
// identity (token removed, or given another org or user), and reports how
// many it ended.
func (o *openStreams) revokeStale(grant func(digest string) (tenant.Identity, bool)) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for digest, set := range o.byDigest {
		id, ok := grant(digest)
		for r := range set {
			if !ok || id != r.id {
				r.revoke()
				n++
			}
		}
	}
	return n
}

// revocableStream is a stream that a revocation ends: its context is
// cancelled (with cause errRevoked) and a RecvMsg waiting for the client
// returns revokedStatus at once. gRPC offers no way to interrupt a blocked
// RecvMsg, so one reader goroutine per stream makes the calls; it ends when
// the stream does.
type revocableStream struct {
	grpc.ServerStream
	ctx  context.Context
	r    *revocable
	once sync.Once
	msgs chan any   // RecvMsg -> reader
	errs chan error // reader -> RecvMsg
	done chan struct{}
}

func newRevocableStream(ss grpc.ServerStream, ctx context.Context, r *revocable) *revocableStream {
	return &revocableStream{ServerStream: ss, ctx: ctx, r: r, msgs: make(chan any), errs: make(chan error, 1), done: make(chan struct{})}
}

func (s *revocableStream) Context() context.Context { return s.ctx }

func (s *revocableStream) RecvMsg(m any) error {
	if s.r.isRevoked() {
		return revokedStatus
	}
	s.once.Do(func() { go s.read() })
	select {
	case s.msgs <- m:
	case <-s.r.revoked:
		return revokedStatus
	case <-s.done:
		return status.Error(codes.Canceled, "stream ended")
	}
	select {
	case err := <-s.errs:
		return err
	case <-s.r.revoked:
		return revokedStatus
	}
}

// read makes the RecvMsg calls until the stream ends (the call it is in
// returns once gRPC has finished the stream).
func (s *revocableStream) read() {
	for {
		select {
		case m := <-s.msgs:
			s.errs <- s.ServerStream.RecvMsg(m)
		case <-s.done:
			return
		}
	}
}

// end stops the reader (after the handler has returned).
func (s *revocableStream) end() { close(s.done) }
