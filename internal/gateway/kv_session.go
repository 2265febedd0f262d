package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// sessionMaxInFlight bounds the operations of one Session running at once;
// past it the gateway stops reading the stream (gRPC flow control then
// holds the client back).
const sessionMaxInFlight = 256

// kvMethod prefixes the unary method names under which session operations
// are reported to Config.OpDone.
const kvMethod = "/natsgw.v1.KeyValueService/"

// Session runs each request as the unary RPC of its kind would, on one of
// the session's workers, and sends one response per request.
func (s *kvServer) Session(stream natsgwv1.KeyValueService_SessionServer) error {
	ctx := stream.Context()
	if _, err := identity(ctx); err != nil {
		return err
	}
	ss := &kvSession{s: s, stream: stream, sem: make(chan struct{}, sessionMaxInFlight), work: make(chan *natsgwv1.KeyValueServiceSessionRequest)}
	received := make(chan error, 1)
	go func() { received <- ss.receive(ctx) }()
	select {
	case err := <-received:
		ss.wg.Wait()
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	case <-s.g.closing:
		// Finish what runs, start nothing more: the client's pending
		// operations fail with UNAVAILABLE and it retries elsewhere.
		ss.mu.Lock()
		ss.stopped = true
		ss.mu.Unlock()
		ss.wg.Wait()
		return errShuttingDown
	}
}

// kvSession is the state of one Session stream.
type kvSession struct {
	s      *kvServer
	stream natsgwv1.KeyValueService_SessionServer
	sem    chan struct{} // one token per running operation
	sendMu sync.Mutex    // stream.Send is not safe for concurrent use
	// work hands operations to idle workers. Workers are started on demand
	// (at most sessionMaxInFlight) and live as long as the stream: a new
	// goroutine per operation cost 7% more CPU, growing its stack anew.
	work    chan *natsgwv1.KeyValueServiceSessionRequest
	workers int // started; only receive touches it

	mu      sync.Mutex
	stopped bool // the gateway is shutting down: start no operation
	wg      sync.WaitGroup
}

// receive reads requests until the stream ends and starts each one.
func (ss *kvSession) receive(ctx context.Context) error {
	for {
		req, err := ss.stream.Recv()
		if err != nil {
			return err
		}
		select {
		case ss.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		ss.mu.Lock()
		if ss.stopped {
			ss.mu.Unlock()
			<-ss.sem
			continue
		}
		ss.wg.Add(1)
		ss.mu.Unlock()
		if ss.workers == sessionMaxInFlight {
			// Every worker is started: one is about to be idle (it gave
			// back its token), unless the stream ends first.
			select {
			case ss.work <- req:
			case <-ctx.Done():
				<-ss.sem
				ss.wg.Done()
				return ctx.Err()
			}
			continue
		}
		select {
		case ss.work <- req:
		default:
			ss.workers++
			go ss.worker(ctx, req)
		}
	}
}

// worker runs operations until the stream ends.
func (ss *kvSession) worker(ctx context.Context, req *natsgwv1.KeyValueServiceSessionRequest) {
	for {
		ss.run(ctx, req)
		select {
		case req = <-ss.work:
		case <-ctx.Done():
			return
		}
	}
}

// run executes one operation and sends its response.
func (ss *kvSession) run(ctx context.Context, req *natsgwv1.KeyValueServiceSessionRequest) {
	defer func() {
		<-ss.sem
		ss.wg.Done()
	}()
	start := time.Now()
	resp, method, err := ss.do(ctx, req)
	if done := ss.s.g.cfg.OpDone; done != nil && method != "" {
		done(ctx, kvMethod+method, start, err)
	}
	if err != nil {
		resp = &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Error{Error: errorProto(err)}}
	}
	resp.Id = req.GetId()
	ss.sendMu.Lock()
	defer ss.sendMu.Unlock()
	// An error here means the stream is gone; the receiver sees it too.
	_ = ss.stream.Send(resp)
}

// do runs req like the unary RPC of its kind. method is that RPC's name
// ("" when the request names no operation).
func (ss *kvSession) do(ctx context.Context, req *natsgwv1.KeyValueServiceSessionRequest) (resp *natsgwv1.KeyValueServiceSessionResponse, method string, err error) {
	defer func() {
		if r := recover(); r != nil {
			ss.s.g.log.Error("panic in handler", "method", kvMethod+"Session", "panic", r, "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	if t := req.GetTimeout(); t != nil {
		if err := t.CheckValid(); err != nil {
			return nil, "", invalidArgumentf("timeout", "is not a valid duration")
		}
		d := t.AsDuration()
		if d <= 0 {
			return nil, "", invalidArgumentf("timeout", "must be positive (leave it unset for no limit)")
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	s := ss.s
	switch op := req.GetOperation().(type) {
	case *natsgwv1.KeyValueServiceSessionRequest_Get:
		r, err := s.Get(ctx, op.Get)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Get{Get: r}}, "Get", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Put:
		r, err := s.Put(ctx, op.Put)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Put{Put: r}}, "Put", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Create:
		r, err := s.Create(ctx, op.Create)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Create{Create: r}}, "Create", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Update:
		r, err := s.Update(ctx, op.Update)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Update{Update: r}}, "Update", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Delete:
		r, err := s.Delete(ctx, op.Delete)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Delete{Delete: r}}, "Delete", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Purge:
		r, err := s.Purge(ctx, op.Purge)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Purge{Purge: r}}, "Purge", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_GetMany:
		r, err := s.GetMany(ctx, op.GetMany)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_GetMany{GetMany: r}}, "GetMany", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_PutMany:
		r, err := s.PutMany(ctx, op.PutMany)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_PutMany{PutMany: r}}, "PutMany", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Increment:
		r, err := s.Increment(ctx, op.Increment)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Increment{Increment: r}}, "Increment", sessionErr(ctx, err)
	case *natsgwv1.KeyValueServiceSessionRequest_Expire:
		r, err := s.Expire(ctx, op.Expire)
		return &natsgwv1.KeyValueServiceSessionResponse{Result: &natsgwv1.KeyValueServiceSessionResponse_Expire{Expire: r}}, "Expire", sessionErr(ctx, err)
	}
	return nil, "", invalidArgumentf("operation", "is required (one of get, put, create, update, delete, purge, get_many, put_many, increment, expire)")
}

// sessionErr is err as a status. A gRPC server turns a handler's context
// errors into DEADLINE_EXCEEDED or CANCELED; a session does it itself.
func sessionErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, fmt.Sprintf("operation timed out: %v", err))
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return status.Error(codes.Canceled, "operation canceled: the session ended")
	}
	return status.Convert(err).Err()
}
