package gateway

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

type adminServer struct {
	natsgwv1.UnimplementedAdminServiceServer
	g *Gateway
}

// healthTimeout bounds the JetStream probe so Health answers promptly even
// when NATS does not.
const healthTimeout = 2 * time.Second

func (s *adminServer) Health(ctx context.Context, _ *natsgwv1.HealthRequest) (*natsgwv1.HealthResponse, error) {
	g := s.g
	resp := &natsgwv1.HealthResponse{
		GatewayVersion: g.cfg.Version,
		Mode:           g.cfg.Mode,
		NatsConnected:  g.nc.Status() == nats.CONNECTED,
	}
	if resp.NatsConnected {
		resp.NatsServerVersion = g.nc.ConnectedServerVersion()
		ctx, cancel := context.WithTimeout(ctx, healthTimeout)
		defer cancel()
		if _, err := g.js.AccountInfo(ctx); err == nil {
			resp.JetstreamEnabled = true
		} else {
			resp.Reason = "JetStream is not answering: " + err.Error()
		}
	} else {
		resp.Reason = "NATS connection is " + g.nc.Status().String()
	}
	if g.cfg.Connections != nil {
		resp.Connections = uint64(g.cfg.Connections())
	}
	resp.Healthy = resp.NatsConnected && resp.JetstreamEnabled
	return resp, nil
}
