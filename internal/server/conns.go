package server

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/stats"
)

// connCounter is a gRPC stats.Handler that counts the client connections
// open to this gateway instance: Health and GetStatistics report it. (The
// embedded NATS server's own client count means nothing to users: the
// gateway is its only client.)
type connCounter struct {
	open atomic.Int64
}

// count reports the connections open now.
func (c *connCounter) count() int { return int(c.open.Load()) }

func (c *connCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (c *connCounter) HandleConn(_ context.Context, s stats.ConnStats) {
	switch s.(type) {
	case *stats.ConnBegin:
		c.open.Add(1)
	case *stats.ConnEnd:
		c.open.Add(-1)
	}
}

func (c *connCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

func (c *connCounter) HandleRPC(context.Context, stats.RPCStats) {}
