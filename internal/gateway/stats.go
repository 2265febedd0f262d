package gateway

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

// traffic counts one organization's messages through this instance. The
// counters are updated once per call or frame on the hot paths (per
// message only in a stream pipeline, whose results go out while a frame is
// still being published), and always before the client can learn of the
// messages (the call's answer, the frame's send, the pipeline's result): a
// client that has its answer finds the messages in its statistics.
type traffic struct {
	inMsgs, inBytes, outMsgs, outBytes atomic.Uint64
}

// countIn counts n messages of the given total payload published.
func (c *traffic) countIn(n, bytes int) {
	c.inMsgs.Add(uint64(n))
	c.inBytes.Add(uint64(bytes))
}

// trafficByOrg holds a *traffic per organization, created on first use.
type trafficByOrg struct {
	m     sync.Map
	since time.Time
}

func (t *trafficByOrg) of(org string) *traffic {
	if v, ok := t.m.Load(org); ok {
		return v.(*traffic)
	}
	v, _ := t.m.LoadOrStore(org, &traffic{})
	return v.(*traffic)
}

// in counts n messages of the given total payload published by org.
func (t *trafficByOrg) in(org string, n, bytes int) {
	t.of(org).countIn(n, bytes)
}

// out counts n messages of the given total payload delivered to org.
func (t *trafficByOrg) out(org string, n, bytes int) {
	c := t.of(org)
	c.outMsgs.Add(uint64(n))
	c.outBytes.Add(uint64(bytes))
}

// count returns how many of this instance's subscriptions belong to org.
func (r *registry) count(org string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.byID {
		if s.org == org {
			n++
		}
	}
	return n
}

const statsTimeout = 10 * time.Second

func (s *adminServer) GetStatistics(ctx context.Context, _ *natsgwv1.GetStatisticsRequest) (*natsgwv1.GetStatisticsResponse, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	g := s.g
	prefix, err := g.m.NamePrefix(id.Org)
	if err != nil {
		return nil, g.natsError(ctx, "statistics", err)
	}
	resp := &natsgwv1.GetStatisticsResponse{Since: timestamppb.New(g.traffic.since)}
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	// One listing of the account's streams, sorted by name prefix: the
	// org's plain streams, KV_ and OBJ_ buckets. Other orgs never match.
	streams := g.js.ListStreams(ctx)
	for info := range streams.Info() {
		name, st := info.Config.Name, info.State
		switch {
		case strings.HasPrefix(name, prefix):
			resp.Streams++
			resp.Consumers += uint64(st.Consumers)
			resp.Messages += st.Msgs
			resp.Bytes += st.Bytes
		case strings.HasPrefix(name, "KV_"+prefix):
			resp.KvBuckets++
			resp.KvBytes += st.Bytes
		case strings.HasPrefix(name, "OBJ_"+prefix):
			resp.ObjectBuckets++
			resp.ObjectBytes += st.Bytes
		}
	}
	if err := streams.Err(); err != nil {
		return nil, g.natsError(ctx, "list streams", err)
	}
	resp.Subscriptions = uint64(g.subs.count(id.Org))
	if g.cfg.Connections != nil {
		resp.Connections = uint64(g.cfg.Connections())
	}
	t := g.traffic.of(id.Org)
	resp.InMsgs, resp.InBytes = t.inMsgs.Load(), t.inBytes.Load()
	resp.OutMsgs, resp.OutBytes = t.outMsgs.Load(), t.outBytes.Load()
	return resp, nil
}
