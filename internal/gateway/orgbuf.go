package gateway

import (
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// msgOverhead is what a buffered message costs beyond its subject, reply,
// data and headers: the nats.Msg (104 bytes with nats.go 1.55) and its slot
// in a queue, rounded up.
const msgOverhead = 128

// msgWeight is what a message counts against its organization's buffer
// bound.
func msgWeight(m *nats.Msg, size int) int64 {
	return int64(size + len(m.Subject) + len(m.Reply) + msgOverhead)
}

// orgBuffers bounds the bytes one organization's subscriptions (Subscribe
// and Serve streams) hold on this instance: messages queued for a client
// and those taken from the queue until the gRPC send of their frame
// returns. A message that would go beyond the bound is dropped and counted
// like one that overflows its subscription's own buffer, so one org's slow
// readers cannot make the gateway hold more than the bound for it (times
// nothing: the bound is the org's, however many streams it opens), and
// other orgs are not affected.
type orgBuffers struct {
	max int64 // 0: no bound

	mu    sync.Mutex
	byOrg map[string]*orgBuffer
}

// orgBuffer is one organization's account; subscriptions hold it while
// they are open (refs), and it goes when the last one closes.
type orgBuffer struct {
	max  int64
	held atomic.Int64
	refs int // guarded by orgBuffers.mu
}

// acquire returns org's account, for a subscription opening.
func (b *orgBuffers) acquire(org string) *orgBuffer {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byOrg == nil {
		b.byOrg = make(map[string]*orgBuffer)
	}
	ob := b.byOrg[org]
	if ob == nil {
		ob = &orgBuffer{max: b.max}
		b.byOrg[org] = ob
	}
	ob.refs++
	return ob
}

// release gives back a closed subscription's reference to org's account.
func (b *orgBuffers) release(org string, ob *orgBuffer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ob.refs--; ob.refs == 0 && b.byOrg[org] == ob {
		delete(b.byOrg, org)
	}
}

// held reports the bytes org's subscriptions hold now.
func (b *orgBuffers) held(org string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ob := b.byOrg[org]; ob != nil {
		return ob.held.Load()
	}
	return 0
}

// total reports the bytes all subscriptions hold now.
func (b *orgBuffers) total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n int64
	for _, ob := range b.byOrg {
		n += ob.held.Load()
	}
	return n
}

// reserve charges n bytes if they fit under the bound.
func (ob *orgBuffer) reserve(n int64) bool {
	for {
		cur := ob.held.Load()
		if ob.max > 0 && cur+n > ob.max {
			return false
		}
		if ob.held.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// free gives back n reserved bytes.
func (ob *orgBuffer) free(n int64) {
	if n != 0 {
		ob.held.Add(-n)
	}
}
