package natsgw

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// kvSessions carries the key operations (Get, Put, Create, Update, Delete,
// Purge, GetMany, PutMany, Increment, Expire) of every KeyValue of a Client over one
// KeyValueService/Session stream, opened on first use and again after it
// breaks. A unary gRPC call costs about as much CPU as the key-value
// operation itself (see docs/BENCHMARKS.md); a message on an open stream
// costs a fraction of it. Against a gateway without Session the operations
// fall back to the unary RPCs.
type kvSessions struct {
	c   *Client
	svc natsgwv1.KeyValueServiceClient

	mu    sync.Mutex
	cur   *kvSession
	unary bool // the gateway has no Session

	// seen holds, per bucket name, the highest revision this Client has
	// written or read (*atomic.Uint64): Get sends it as min_revision, so the
	// gateway's read cache never answers with an older state.
	seen sync.Map
}

// saw records revision rev of bucket.
func (ks *kvSessions) saw(bucket string, rev uint64) {
	if rev == 0 {
		return
	}
	v, ok := ks.seen.Load(bucket)
	if !ok {
		v, _ = ks.seen.LoadOrStore(bucket, new(atomic.Uint64))
	}
	seen := v.(*atomic.Uint64)
	for {
		cur := seen.Load()
		if cur >= rev || seen.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// minRevision is the highest revision of bucket seen.
func (ks *kvSessions) minRevision(bucket string) uint64 {
	if v, ok := ks.seen.Load(bucket); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

// errNoSession: use the unary RPC.
var errNoSession = errors.New("natsgw: no key-value session")

// kvCall runs one operation: on the session when the gateway has one, else
// with unary. result picks the operation's result from a response.
func kvCall[R any](ctx context.Context, ks *kvSessions, req *natsgwv1.KeyValueServiceSessionRequest,
	result func(*natsgwv1.KeyValueServiceSessionResponse) R, unary func(context.Context) (R, error),
) (R, error) {
	resp, err := ks.do(ctx, req)
	if errors.Is(err, errNoSession) {
		r, err := unary(ctx)
		return r, convertError(err)
	}
	if err != nil {
		var zero R
		return zero, err
	}
	return result(resp), nil
}

// do sends req on the current session and waits for its response. Errors
// are converted (errNoSession is returned as is).
func (ks *kvSessions) do(ctx context.Context, req *natsgwv1.KeyValueServiceSessionRequest) (*natsgwv1.KeyValueServiceSessionResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, convertError(status.FromContextError(err).Err())
	}
	if dl, ok := ctx.Deadline(); ok {
		req.Timeout = durationpb.New(time.Until(dl))
	}
	s, err := ks.session()
	if err != nil {
		return nil, err
	}
	ch, err := s.send(req)
	if err != nil {
		return nil, ks.ended(s, err)
	}
	select {
	case resp := <-ch:
		return resultOf(resp)
	case <-s.done:
		select {
		case resp := <-ch: // answered before the stream ended
			return resultOf(resp)
		default:
		}
		return nil, ks.ended(s, s.err)
	case <-ctx.Done():
		s.forget(req.GetId())
		return nil, convertError(status.FromContextError(ctx.Err()).Err())
	}
}

// resultOf returns resp, or its error.
func resultOf(resp *natsgwv1.KeyValueServiceSessionResponse) (*natsgwv1.KeyValueServiceSessionResponse, error) {
	if e := resp.GetError(); e != nil {
		return nil, keyError(e)
	}
	return resp, nil
}

// ended returns the error of an operation that s ended under: errNoSession
// when the gateway has no Session (remembered: nothing was done, the unary
// RPC follows), ErrClosed after Close.
func (ks *kvSessions) ended(s *kvSession, err error) error {
	if status.Code(err) == codes.Unimplemented {
		ks.mu.Lock()
		ks.unary = true
		ks.mu.Unlock()
		return errNoSession
	}
	if ks.c.closed() {
		return ErrClosed
	}
	return convertError(err)
}

// session returns the open session, opening one if there is none.
func (ks *kvSessions) session() (*kvSession, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.unary {
		return nil, errNoSession
	}
	if ks.cur != nil {
		select {
		case <-ks.cur.done:
		default:
			return ks.cur, nil
		}
	}
	if ks.c.closed() {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ks.c.ctx)
	stream, err := ks.svc.Session(ctx)
	if err != nil {
		cancel()
		if status.Code(err) == codes.Unimplemented {
			ks.unary = true
			return nil, errNoSession
		}
		return nil, convertError(err)
	}
	s := &kvSession{stream: stream, cancel: cancel, pending: make(map[uint64]chan *natsgwv1.KeyValueServiceSessionResponse), done: make(chan struct{})}
	ks.cur = s
	ks.c.wg.Add(1)
	go func() {
		defer ks.c.wg.Done()
		s.receive()
	}()
	return s, nil
}

// kvSession is one open Session stream.
type kvSession struct {
	stream natsgwv1.KeyValueService_SessionClient
	cancel context.CancelFunc
	sendMu sync.Mutex // stream.Send is not safe for concurrent use

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan *natsgwv1.KeyValueServiceSessionResponse

	done chan struct{} // closed when the stream ended
	err  error         // why; set before done is closed
}

// send registers req under a new id and sends it.
func (s *kvSession) send(req *natsgwv1.KeyValueServiceSessionRequest) (<-chan *natsgwv1.KeyValueServiceSessionResponse, error) {
	ch := make(chan *natsgwv1.KeyValueServiceSessionResponse, 1)
	s.mu.Lock()
	s.nextID++
	req.Id = s.nextID
	s.pending[req.Id] = ch
	s.mu.Unlock()
	s.sendMu.Lock()
	err := s.stream.Send(req)
	s.sendMu.Unlock()
	if err != nil {
		// The stream broke; its status comes from the receiver.
		<-s.done
		return nil, s.err
	}
	return ch, nil
}

// forget drops the waiter of id (its caller gave up).
func (s *kvSession) forget(id uint64) {
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
}

// receive hands each response to its waiter until the stream ends. A
// stream that stays idle is kept: it costs the gateway one goroutine.
func (s *kvSession) receive() {
	for {
		resp, err := s.stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				// The gateway ended the stream without a status.
				err = status.Error(codes.Unavailable, "key-value session ended by the gateway")
			}
			s.cancel()
			s.err = err
			close(s.done)
			return
		}
		s.mu.Lock()
		ch, ok := s.pending[resp.GetId()]
		delete(s.pending, resp.GetId())
		s.mu.Unlock()
		if ok {
			ch <- resp // buffered: never blocks
		}
	}
}
