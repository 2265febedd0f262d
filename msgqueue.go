package natsgw

import "sync"

// msgQueue holds a SubscribeSync subscription's messages between its stream
// and Next: a bounded FIFO that the stream fills a whole delivery at a time
// (one lock per delivery rather than a channel send per message) and any
// number of Next callers empty.
type msgQueue struct {
	mu    sync.Mutex
	ring  []*Msg // capacity: the subscription's buffer size
	head  int
	count int

	// Capacity 1 each: avail says there may be messages (to one waiting
	// reader, which passes it on if more remain), space that there may be
	// room (to the stream).
	avail chan struct{}
	space chan struct{}
}

func newMsgQueue(size int) *msgQueue {
	return &msgQueue{ring: make([]*Msg, size), avail: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push appends msgs in order, waiting for room while the queue is full. It
// returns false, having appended only some, when done is closed first.
func (q *msgQueue) push(msgs []*Msg, done <-chan struct{}) bool {
	for len(msgs) > 0 {
		q.mu.Lock()
		n := min(len(q.ring)-q.count, len(msgs))
		for _, m := range msgs[:n] {
			q.ring[(q.head+q.count)%len(q.ring)] = m
			q.count++
		}
		q.mu.Unlock()
		if n > 0 {
			msgs = msgs[n:]
			signal(q.avail)
			continue
		}
		select {
		case <-q.space:
		case <-done:
			return false
		}
	}
	return true
}

// pop removes the first message; ok is false when the queue is empty.
func (q *msgQueue) pop() (m *Msg, ok bool) {
	q.mu.Lock()
	if q.count == 0 {
		q.mu.Unlock()
		return nil, false
	}
	m = q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.count--
	wasFull, more := q.count == len(q.ring)-1, q.count > 0
	q.mu.Unlock()
	if wasFull {
		signal(q.space)
	}
	if more {
		signal(q.avail) // for another waiting reader
	}
	return m, true
}
