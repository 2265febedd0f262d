package natsgw

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// TaskHandler runs one task. Its return decides the outcome: nil succeeds
// (result is kept as the task's result), an error from RetryAfter retries
// after that delay, an error wrapped by Fail kills the task at once, and
// any other error retries after the task's backoff (dead after its max
// retries, with the error recorded). ctx ends when the worker is stopped
// past its deadline or the client closes.
type TaskHandler func(ctx context.Context, t *Task) (result []byte, err error)

// TaskWorker runs a queue's tasks; see TaskQueue.Work. Stop it with Stop.
type TaskWorker struct {
	q           *TaskQueue
	handlers    map[string]TaskHandler
	types       []string
	concurrency int

	ctx    context.Context // the handlers' and streams' context
	cancel context.CancelFunc
	work   chan *Task
	done   chan struct{}
	err    error // set before done is closed

	mu       sync.Mutex
	stream   natsgwv1.TaskService_WorkClient // current session; nil between sessions
	stopping bool
}

// Work starts a worker on the queue: concurrency goroutines (at least 1)
// run the tasks of the types in handlers, never more tasks at once. A
// handler under the type "" takes every type (alone: on one queue,
// workers either all name their types or all take every type). It
// returns once the gateway has registered the worker; ctx bounds only
// that. A broken stream is opened again (after 100 ms, doubling up to 2 s)
// until Stop or Close; tasks it held run again after their timeout.
func (q *TaskQueue) Work(ctx context.Context, handlers map[string]TaskHandler, concurrency int) (*TaskWorker, error) {
	if err := q.c.errIfClosed(); err != nil {
		return nil, err
	}
	if len(handlers) == 0 {
		return nil, fmt.Errorf("%w: at least one task handler is required", ErrInvalidArgument)
	}
	concurrency = max(concurrency, 1)
	w := &TaskWorker{
		q: q, handlers: handlers, concurrency: concurrency,
		work: make(chan *Task, concurrency),
		done: make(chan struct{}),
	}
	for t, h := range handlers {
		if h == nil {
			return nil, fmt.Errorf("%w: the handler of %q is nil", ErrInvalidArgument, t)
		}
		w.types = append(w.types, t)
	}
	slices.Sort(w.types)
	if _, all := handlers[""]; all {
		if len(handlers) > 1 {
			return nil, fmt.Errorf("%w: a handler for every type (\"\") cannot be combined with handlers for named types", ErrInvalidArgument)
		}
		w.types = nil
	}
	w.ctx, w.cancel = context.WithCancel(q.c.ctx)
	var handlersWG sync.WaitGroup
	for range concurrency {
		handlersWG.Add(1)
		q.c.wg.Add(1)
		go func() {
			defer q.c.wg.Done()
			defer handlersWG.Done()
			w.handle()
		}()
	}
	first := make(chan error, 1)
	q.c.wg.Add(1)
	go w.run(first, &handlersWG)
	select {
	case err := <-first:
		if err != nil {
			w.cancel()
			<-w.done
			return nil, err
		}
		return w, nil
	case <-ctx.Done():
		w.cancel()
		<-w.done
		return nil, convertError(ctx.Err())
	}
}

// Done is closed when the worker has ended (Stop, Close, or a failure to
// open its stream again that Err reports).
func (w *TaskWorker) Done() <-chan struct{} { return w.done }

// Err is why the worker ended, after Done; nil after Stop.
func (w *TaskWorker) Err() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}

// Stop ends the worker gracefully: it takes no more tasks, lets running
// handlers finish and report, and returns when the gateway has every
// outcome, or by ctx's deadline (then handlers are canceled, and tasks
// without an outcome run again after their timeout).
func (w *TaskWorker) Stop(ctx context.Context) error {
	defer context.AfterFunc(ctx, w.cancel)()
	w.mu.Lock()
	first := !w.stopping
	w.stopping = true
	stream := w.stream
	w.mu.Unlock()
	if first && stream != nil {
		w.mu.Lock()
		_ = stream.Send(&natsgwv1.WorkRequest{Drain: true})
		w.mu.Unlock()
	} else if stream == nil {
		w.cancel()
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		// Handlers were canceled; the worker ends when they return (Close
		// waits for them).
		return convertError(ctx.Err())
	}
}

// run keeps a Work stream open, reporting the first one's outcome on
// first, until Stop or Close; then it waits for the handlers and closes
// done.
func (w *TaskWorker) run(first chan<- error, handlers *sync.WaitGroup) {
	defer w.q.c.wg.Done()
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := w.session(first, attempt == 0)
		if attempt == 0 && first != nil && err != nil {
			w.finish(handlers, err)
			return
		}
		w.mu.Lock()
		stopping := w.stopping
		w.mu.Unlock()
		if stopping || w.ctx.Err() != nil {
			w.finish(handlers, nil)
			return
		}
		select {
		case <-time.After(backoff):
		case <-w.ctx.Done():
			w.finish(handlers, nil)
			return
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (w *TaskWorker) finish(handlers *sync.WaitGroup, err error) {
	w.cancel()
	close(w.work)
	handlers.Wait()
	w.err = err
	close(w.done)
}

// session runs one Work stream until it ends; the first reports its
// opening on first.
func (w *TaskWorker) session(first chan<- error, isFirst bool) error {
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	stream, err := w.q.svc.Work(ctx)
	if err == nil {
		err = stream.Send(&natsgwv1.WorkRequest{Start: &natsgwv1.WorkStart{Queue: w.q.queue, TaskTypes: w.types, MaxInFlight: uint32(w.concurrency)}})
	}
	if err == nil {
		_, err = stream.Recv()
	}
	if isFirst {
		first <- convertError(err)
	}
	if err != nil {
		return convertError(err)
	}
	w.mu.Lock()
	w.stream = stream
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.stream = nil
		w.mu.Unlock()
	}()
	for {
		resp, err := stream.Recv()
		if err != nil {
			return convertError(err)
		}
		for _, t := range resp.GetTasks() {
			select {
			case w.work <- taskFromProto(t):
			case <-ctx.Done():
				return convertError(ctx.Err())
			}
		}
	}
}

// handle runs tasks and sends their outcomes on the current stream (an
// outcome that finds no stream is lost: the task runs again after its
// timeout).
func (w *TaskWorker) handle() {
	for t := range w.work {
		h := w.handlers[t.Type]
		if h == nil {
			h = w.handlers[""]
		}
		var result []byte
		var err error
		if h == nil {
			err = Fail(fmt.Errorf("no handler for task type %q", t.Type))
		} else {
			result, err = w.run1(h, t)
		}
		o := outcome(t.ID, result, err)
		w.mu.Lock()
		if w.stream != nil {
			_ = w.stream.Send(&natsgwv1.WorkRequest{Outcomes: []*natsgwv1.TaskOutcome{o}})
		}
		w.mu.Unlock()
	}
}

// run1 runs one handler, turning a panic into a retry.
func (w *TaskWorker) run1(h TaskHandler, t *Task) (result []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(w.ctx, t)
}
