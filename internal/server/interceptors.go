package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Metadata keys of open (development) mode identity.
const (
	MDOrg  = "x-natsgw-org"
	MDUser = "x-natsgw-user"
)

// authenticate derives the caller's identity from call metadata. In open mode
// the caller states it (x-natsgw-org / x-natsgw-user), defaulting to
// "default"/"anonymous"; a stated identity must be valid.
func authenticate(ctx context.Context) (context.Context, error) {
	id := tenant.Identity{Org: tenant.DefaultOrg, User: tenant.DefaultUser}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(MDOrg); len(v) > 0 {
		if len(v) > 1 {
			return nil, gateway.InvalidMetadata(MDOrg, "must be given once")
		}
		if err := tenant.ValidateOrg(v[0]); err != nil {
			return nil, gateway.InvalidMetadata(MDOrg, "organization %q %v", v[0], err)
		}
		id.Org = v[0]
	}
	if v := md.Get(MDUser); len(v) > 0 {
		if len(v) > 1 {
			return nil, gateway.InvalidMetadata(MDUser, "must be given once")
		}
		if err := tenant.ValidateUser(v[0]); err != nil {
			return nil, gateway.InvalidMetadata(MDUser, "user %q %v", v[0], err)
		}
		id.User = v[0]
	}
	return tenant.NewContext(ctx, id), nil
}

func authUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, err := authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func authStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, err := authenticate(ss.Context())
	if err != nil {
		return err
	}
	return h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
}

// ctxStream replaces a stream's context.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// recoverUnary turns a handler panic into Internal so that no client input
// can take the gateway down; the stack goes to the log only.
func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return h(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return h(srv, ss)
	}
}

func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := h(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		start := time.Now()
		err := h(srv, ss)
		logCall(ss.Context(), log, info.FullMethod, start, err)
		return err
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	level := slog.LevelDebug
	if code := status.Code(err); code == codes.Internal || code == codes.Unknown {
		level = slog.LevelWarn
	}
	if !log.Enabled(ctx, level) {
		return
	}
	id, _ := tenant.FromContext(ctx)
	log.LogAttrs(ctx, level, "call",
		slog.String("method", method),
		slog.String("org", id.Org),
		slog.String("user", id.User),
		slog.String("code", status.Code(err).String()),
		slog.Duration("took", time.Since(start)),
	)
}
