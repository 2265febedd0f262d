package gateway

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/durationpb"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
)

type adminServer struct {
	natsgwv1.UnimplementedAdminServiceServer
	g *Gateway

	deepMu   sync.Mutex // one deep check at a time; guards the fields below
	deepKV   jetstream.KeyValue
	deepAt   time.Time // when the last deep check ran
	deepLast deepResult
}

// deepResult is the outcome of a deep health check.
type deepResult struct {
	natsRTT, jsRTT time.Duration
	err            error
}

// Deep health checks write to healthBucket: a name no organization's can be
// (roots and organizations start with a letter or digit), in memory, one
// key per gateway instance, entries expiring after a minute.
const (
	healthBucket   = "_natsgw_health"
	deepReuseLimit = time.Second
)

// healthTimeout bounds the JetStream probe so Health answers promptly even
// when NATS does not.
const healthTimeout = 2 * time.Second

func (s *adminServer) Health(ctx context.Context, req *natsgwv1.HealthRequest) (*natsgwv1.HealthResponse, error) {
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
	if req.GetDeep() && resp.Healthy {
		d := s.deep(ctx)
		resp.NatsRtt, resp.JetstreamRtt = durationpb.New(d.natsRTT), durationpb.New(d.jsRTT)
		if d.err != nil {
			resp.Healthy, resp.Reason = false, d.err.Error()
		}
	}
	return resp, nil
}

// deep runs a deep check, or returns the last one if it is recent: Health
// needs no credentials, so callers must not be able to make it write at
// will.
func (s *adminServer) deep(ctx context.Context) deepResult {
	s.deepMu.Lock()
	defer s.deepMu.Unlock()
	if time.Since(s.deepAt) < deepReuseLimit {
		return s.deepLast
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	var d deepResult
	d.natsRTT, d.err = s.g.nc.RTT()
	if d.err != nil {
		d.err = fmt.Errorf("NATS round trip failed: %w", d.err)
	} else if d.jsRTT, d.err = s.storageCheck(ctx); d.err != nil {
		d.err = fmt.Errorf("JetStream storage check failed: %w", d.err)
	}
	s.deepAt, s.deepLast = time.Now(), d
	return d
}

// storageCheck writes this instance's key of healthBucket and reads it
// back; it returns how long that took. A failure with the bucket handle of
// an earlier check is retried once on a new handle (the bucket may have been
// deleted).
func (s *adminServer) storageCheck(ctx context.Context) (time.Duration, error) {
	cached := s.deepKV != nil
	d, err := s.writeRead(ctx)
	if err != nil && cached {
		s.deepKV = nil
		d, err = s.writeRead(ctx)
	}
	return d, err
}

func (s *adminServer) writeRead(ctx context.Context) (time.Duration, error) {
	if s.deepKV == nil {
		kv, err := s.g.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      healthBucket,
			Description: "natsgw deep health checks",
			History:     1,
			TTL:         time.Minute,
			MaxBytes:    1 << 20,
			Storage:     jetstream.MemoryStorage,
		})
		if err != nil {
			return 0, err
		}
		s.deepKV = kv
	}
	start := time.Now()
	value := strconv.FormatInt(start.UnixNano(), 10)
	rev, err := s.deepKV.Put(ctx, s.g.id, []byte(value))
	if err != nil {
		return 0, err
	}
	e, err := s.deepKV.Get(ctx, s.g.id)
	if err != nil {
		return 0, err
	}
	if e.Revision() != rev || string(e.Value()) != value {
		return 0, fmt.Errorf("read back revision %d %q, wrote revision %d %q", e.Revision(), e.Value(), rev, value)
	}
	return time.Since(start), nil
}
