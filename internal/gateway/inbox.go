package gateway

import (
	"context"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/natsgw/natsgw/internal/tenant"
)

// inbox multiplexes the replies to every Request this instance makes over one
// NATS subscription. Each request's reply subject lies inside the requester's
// organization ("<root>.<org>._INBOX.<instance>.<id>"), so responders only
// ever see reply tokens of their own organization; a reply is delivered only
// when the organization it arrived in is the requester's.
type inbox struct {
	m   tenant.Mapper
	id  string
	sub *nats.Subscription

	mu      sync.Mutex
	pending map[string]pendingRequest
	ids     *nuid.NUID // guarded by mu
}

type pendingRequest struct {
	org string
	ch  chan *nats.Msg // capacity 1: the first reply wins
}

func newInbox(m tenant.Mapper, instanceID string) *inbox {
	return &inbox{m: m, id: instanceID, pending: make(map[string]pendingRequest), ids: nuid.New()}
}

func (in *inbox) start(nc *nats.Conn) error {
	sub, err := nc.Subscribe(in.m.InboxPattern(in.id), in.deliver)
	if err != nil {
		return err
	}
	// Replies are tiny and handled instantly; a backlog means something is
	// badly wrong, not that requests should queue without bound.
	_ = sub.SetPendingLimits(1<<16, 64<<20)
	in.sub = sub
	return nil
}

func (in *inbox) stop() {
	if in.sub != nil {
		_ = in.sub.Unsubscribe()
	}
}

func (in *inbox) deliver(m *nats.Msg) {
	i := strings.LastIndexByte(m.Subject, '.')
	if i < 0 {
		return
	}
	key := m.Subject[i+1:]
	org, ok := in.m.OrgOf(m.Subject)
	if !ok {
		return
	}
	in.mu.Lock()
	p, ok := in.pending[key]
	if ok && p.org == org {
		delete(in.pending, key)
	}
	in.mu.Unlock()
	if ok && p.org == org {
		p.ch <- m // never blocks: capacity 1 and the entry is gone
	}
}

// request publishes o with a reply subject in org's inbox space and waits for
// the first reply or ctx. A no-responders status becomes
// nats.ErrNoResponders.
func (in *inbox) request(ctx context.Context, g *Gateway, org string, o outgoing) (*nats.Msg, error) {
	prefix, err := in.m.InboxPrefix(org, in.id)
	if err != nil {
		return nil, err
	}
	ch := make(chan *nats.Msg, 1)
	in.mu.Lock()
	key := in.ids.Next()
	in.pending[key] = pendingRequest{org: org, ch: ch}
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		delete(in.pending, key)
		in.mu.Unlock()
	}()

	o.reply = prefix + key
	if err := g.publish(o); err != nil {
		return nil, err
	}
	g.traffic.in(org, 1, len(o.data))
	select {
	case m := <-ch:
		if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
			return nil, nats.ErrNoResponders
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-g.closing:
		// The inbox subscription is ending: no reply can arrive any more.
		return nil, errShuttingDown
	}
}
