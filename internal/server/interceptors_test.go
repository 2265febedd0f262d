package server

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw/internal/tenant"
)

// fakeStream is a server stream with a context, enough for the interceptors.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *fakeStream) Context() context.Context { return s.ctx }

// series returns the series of metric name in reg with their values
// (counters) or sample counts (histograms), keyed by their label values in
// the order of the label names.
func series(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var key string
			for _, l := range m.GetLabel() {
				key += l.GetValue() + " "
			}
			out[key] = m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

func TestInterceptors(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	in := &interceptors{log: slog.New(slog.DiscardHandler), m: newMetrics(reg), auth: &authenticator{}, limit: newStreamLimiter(0)}
	const method = "/natsgw.v1.Test/Call"
	calls := func(code codes.Code) float64 {
		return series(t, reg, "natsgw_grpc_calls_total")[code.String()+" "+method+" "] // labels by name
	}
	info := &grpc.UnaryServerInfo{FullMethod: method}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(MDOrg, "acme"))

	// The handler sees the caller's identity; the call is counted.
	resp, err := in.unary(ctx, "req", info, func(ctx context.Context, req any) (any, error) {
		if id, ok := tenant.FromContext(ctx); !ok || id.Org != "acme" || id.User != tenant.DefaultUser {
			t.Errorf("identity %+v, %v", id, ok)
		}
		return "resp", nil
	})
	if resp != "resp" || err != nil || calls(codes.OK) != 1 {
		t.Fatalf("unary = %v, %v; OK calls %v", resp, err, calls(codes.OK))
	}
	// Refused identities never reach the handler, and are counted.
	bad := metadata.NewIncomingContext(context.Background(), metadata.Pairs(MDOrg, "Not An Org"))
	_, err = in.unary(bad, "req", info, func(context.Context, any) (any, error) {
		t.Error("handler called")
		return nil, nil
	})
	if status.Code(err) != codes.InvalidArgument || calls(codes.InvalidArgument) != 1 {
		t.Fatalf("bad org: %v; InvalidArgument calls %v", err, calls(codes.InvalidArgument))
	}
	// A panic becomes Internal.
	resp, err = in.unary(ctx, "req", info, func(context.Context, any) (any, error) { panic("boom") })
	if resp != nil || status.Code(err) != codes.Internal {
		t.Fatalf("panic: %v, %v", resp, err)
	}
	// Timed: the two calls that returned.
	if d := series(t, reg, "natsgw_grpc_unary_seconds"); len(d) != 1 || d[method+" "] != 2 {
		t.Fatalf("durations %v, want 2 of %s", d, method)
	}

	// Streams: the same for the handler's stream context.
	sinfo := &grpc.StreamServerInfo{FullMethod: method}
	err = in.stream(nil, &fakeStream{ctx: ctx}, sinfo, func(_ any, ss grpc.ServerStream) error {
		if id, ok := tenant.FromContext(ss.Context()); !ok || id.Org != "acme" {
			t.Errorf("stream identity %+v, %v", id, ok)
		}
		return status.Error(codes.NotFound, "x")
	})
	if status.Code(err) != codes.NotFound || calls(codes.NotFound) != 1 {
		t.Fatalf("stream = %v; NotFound calls %v", err, calls(codes.NotFound))
	}
	err = in.stream(nil, &fakeStream{ctx: ctx}, sinfo, func(any, grpc.ServerStream) error { panic("boom") })
	if status.Code(err) != codes.Internal {
		t.Fatalf("stream panic: %v", err)
	}

	// Operations carried by a stream count as calls of their method.
	in.opDone(ctx, method, time.Now(), status.Error(codes.AlreadyExists, "x"))
	if calls(codes.AlreadyExists) != 1 {
		t.Fatalf("operation: AlreadyExists calls %v", calls(codes.AlreadyExists))
	}
	if d := series(t, reg, "natsgw_grpc_unary_seconds"); d[method+" "] != 3 {
		t.Fatalf("durations %v, want 3 of %s", d, method)
	}
}
