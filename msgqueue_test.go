package natsgw

import (
	"sync"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

// numbered returns n messages numbered from..from+n-1 (in Data).
func numbered(from, n int) []*Msg {
	out := make([]*Msg, n)
	for i := range out {
		out[i] = &Msg{Data: []byte{byte(from + i), byte((from + i) >> 8)}}
	}
	return out
}

func number(m *Msg) int { return int(m.Data[0]) | int(m.Data[1])<<8 }

// next pops a message, waiting for one as Next does.
func next(t *testing.T, q *msgQueue) *Msg {
	t.Helper()
	for {
		if m, ok := q.pop(); ok {
			return m
		}
		testutil.Recv(t, q.avail, "a message")
	}
}

// A msgQueue keeps order and holds at most its size: push waits for room,
// and gives up when done closes.
func TestMsgQueue(t *testing.T) {
	t.Parallel()
	q := newMsgQueue(4)
	if _, ok := q.pop(); ok {
		t.Fatal("pop from an empty queue")
	}
	done := make(chan struct{})
	testutil.Equal(t, q.push(numbered(0, 3), done), true, "push into room")
	pushed := make(chan bool, 1)
	go func() { pushed <- q.push(numbered(3, 3), done) }() // one fits, two wait
	for i := range 6 {
		testutil.Equal(t, number(next(t, q)), i, "message")
	}
	testutil.Equal(t, testutil.Recv(t, pushed, "the waiting push"), true, "push")

	testutil.Equal(t, q.push(numbered(0, 4), done), true, "push into room")
	go func() { pushed <- q.push(numbered(4, 1), done) }()
	testutil.NoRecv(t, pushed, "push into a full queue")
	close(done)
	testutil.Equal(t, testutil.Recv(t, pushed, "push after done"), false, "push into a full queue after done")
}

// Concurrent readers get every message exactly once.
func TestMsgQueueReaders(t *testing.T) {
	t.Parallel()
	const total = 2000
	q := newMsgQueue(16)
	var mu sync.Mutex
	seen := make([]int, total)
	got := 0
	all := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				if m, ok := q.pop(); ok {
					mu.Lock()
					seen[number(m)]++
					if got++; got == total {
						close(all)
					}
					mu.Unlock()
					continue
				}
				select {
				case <-q.avail:
				case <-stop:
					return
				}
			}
		})
	}
	for i := 0; i < total; i += 50 {
		q.push(numbered(i, 50), nil)
	}
	testutil.Recv(t, all, "every message")
	close(stop)
	wg.Wait()
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("message %d delivered %d times", i, n)
		}
	}
	if _, ok := q.pop(); ok {
		t.Fatal("a message left over")
	}
}
