package server

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
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

// authenticator derives the caller's identity from call metadata.
//
// Open mode (no tokens): the caller states its identity (x-natsgw-org /
// x-natsgw-user), defaulting to "default"/"anonymous"; a stated identity must
// be valid.
//
// Token mode: the caller presents "authorization: Bearer <token>" and the
// token decides the identity. A stated org or user must match it
// (PermissionDenied otherwise), so clients can keep sending WithOrg.
type authenticator struct {
	tokens  *tokens // nil in open mode
	streams openStreams
}

// reload re-reads the auth file and ends the open streams whose token it
// no longer grants their identity.
func (a *authenticator) reload() (revoked int, err error) {
	if err := a.tokens.reload(); err != nil {
		return 0, err
	}
	return a.streams.revokeStale(a.tokens.identity), nil
}

// publicMethods answer without credentials even in token mode: health checks
// (load balancers, Consul) and reflection (the API's shape is public).
func publicMethod(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(method, "/grpc.reflection.") ||
		method == "/natsgw.v1.AdminService/Health"
}

// authenticate returns ctx with the caller's identity and, in token mode,
// the digest of the caller's token ("" otherwise).
func (a *authenticator) authenticate(ctx context.Context, method string) (context.Context, string, error) {
	org, err := single(ctx, MDOrg)
	if err != nil {
		return nil, "", err
	}
	user, err := single(ctx, MDUser)
	if err != nil {
		return nil, "", err
	}
	if org != "" {
		if err := tenant.ValidateOrg(org); err != nil {
			return nil, "", gateway.InvalidMetadata(MDOrg, "organization %q %v", org, err)
		}
	}
	if user != "" {
		if err := tenant.ValidateUser(user); err != nil {
			return nil, "", gateway.InvalidMetadata(MDUser, "user %q %v", user, err)
		}
	}
	if a.tokens == nil {
		id := tenant.Identity{Org: tenant.DefaultOrg, User: tenant.DefaultUser}
		if org != "" {
			id.Org = org
		}
		if user != "" {
			id.User = user
		}
		return tenant.NewContext(ctx, id), "", nil
	}

	authz, err := single(ctx, "authorization")
	if err != nil {
		return nil, "", status.Error(codes.Unauthenticated, "authorization: must be given once")
	}
	if authz == "" {
		if publicMethod(method) {
			return ctx, "", nil
		}
		return nil, "", status.Error(codes.Unauthenticated, "authorization: a bearer token is required (metadata \"authorization: Bearer <token>\")")
	}
	scheme, token, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return nil, "", status.Error(codes.Unauthenticated, "authorization: must be \"Bearer <token>\"")
	}
	d := digest(token)
	id, ok := a.tokens.identity(d)
	if !ok {
		return nil, "", status.Error(codes.Unauthenticated, "authorization: invalid token")
	}
	if org != "" && org != id.Org {
		return nil, "", status.Errorf(codes.PermissionDenied, "%s: the token does not grant organization %q", MDOrg, org)
	}
	if user != "" && user != id.User {
		return nil, "", status.Errorf(codes.PermissionDenied, "%s: the token does not grant user %q", MDUser, user)
	}
	return tenant.NewContext(ctx, id), d, nil
}

// single returns the one value of key in the call's metadata, "" when
// absent. (It reads just that key: metadata.FromIncomingContext would copy
// all of them.)
func single(ctx context.Context, key string) (string, error) {
	v := metadata.ValueFromIncomingContext(ctx, key)
	switch len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	}
	return "", gateway.InvalidMetadata(key, "must be given once")
}

// ctxStream replaces a stream's context.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// RecvMsg answers InvalidArgument for a frame that is not valid protobuf
// (see codec.go).
func (s *ctxStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return malformed(m)
}

// interceptors wrap every call, from the outside in: panic recovery,
// metrics, authentication, the per-org stream limit (streams only),
// logging. They are one function per kind of call rather than a chain of
// interceptors, whose every link gRPC allocates for every call.
type interceptors struct {
	log   *slog.Logger
	m     *metrics
	auth  *authenticator
	limit *streamLimiter
	rate  *rateLimiter // nil: no rate limit
}

// recover turns a panic into Internal so that no client input can take the
// gateway down; the stack goes to the log only. It is deferred directly.
func (in *interceptors) recover(method string, err *error) {
	if r := recover(); r != nil {
		in.log.Error("panic in handler", "method", method, "panic", r, "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}

// unary: metrics count every call that returns (refused ones included), the
// log has the authenticated calls.
func (in *interceptors) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer in.recover(info.FullMethod, &err)
	start := time.Now()
	if idCtx, _, authErr := in.auth.authenticate(ctx, info.FullMethod); authErr != nil {
		err = authErr
	} else if err = malformed(req); err != nil {
		logCall(idCtx, in.log, info.FullMethod, start, err)
	} else if err = in.rate.unary(idCtx, req); err == nil {
		resp, err = h(idCtx, req)
		logCall(idCtx, in.log, info.FullMethod, start, err)
	}
	in.m.unaryDone(info.FullMethod, start, err)
	return resp, err
}

// stream is unary's counterpart for streams; the handler sees the
// authenticated context. Streams over the org's limit are refused (counted,
// not logged).
func (in *interceptors) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer in.recover(info.FullMethod, &err)
	start := time.Now()
	if idCtx, digest, authErr := in.auth.authenticate(ss.Context(), info.FullMethod); authErr != nil {
		err = authErr
	} else if digest == "" {
		err = in.serveStream(srv, &ctxStream{ServerStream: ss, ctx: idCtx}, info, h, start)
	} else {
		err = in.serveRevocable(srv, ss, idCtx, digest, info, h, start)
	}
	in.m.streamDone(info.FullMethod, err)
	return err
}

// serveStream applies the per-org limits to an authenticated stream and
// runs its handler.
func (in *interceptors) serveStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler, start time.Time) error {
	rs, err := in.rate.stream(ss)
	if err != nil {
		return err
	}
	return in.limit.stream(srv, rs, info, func(srv any, ss grpc.ServerStream) error {
		err := h(srv, ss)
		if errors.Is(context.Cause(ss.Context()), errRevoked) {
			err = revokedStatus // whatever the handler made of it
		}
		logCall(ss.Context(), in.log, info.FullMethod, start, err)
		return err
	})
}

// serveRevocable serves a stream opened with a token, registered so that
// revoking the token ends it (see openStreams).
func (in *interceptors) serveRevocable(srv any, ss grpc.ServerStream, idCtx context.Context, digest string, info *grpc.StreamServerInfo, h grpc.StreamHandler, start time.Time) error {
	id, _ := tenant.FromContext(idCtx)
	ctx, cancel := context.WithCancelCause(idCtx)
	defer cancel(nil)
	r := &revocable{id: id, cancel: cancel, revoked: make(chan struct{})}
	in.auth.streams.register(digest, r)
	defer in.auth.streams.unregister(digest, r)
	if now, ok := in.auth.tokens.identity(digest); !ok || now != id {
		return revokedStatus // revoked while the stream was registering
	}
	// Inside a ctxStream, so that a malformed frame is InvalidArgument here
	// too (ctxStream.RecvMsg).
	rs := newRevocableStream(&ctxStream{ServerStream: ss, ctx: ctx}, ctx, r)
	defer rs.end()
	return in.serveStream(srv, rs, info, h, start)
}

// opDone records an operation carried inside a stream (see
// gateway.Config.OpDone) as unary records a call.
func (in *interceptors) opDone(ctx context.Context, method string, start time.Time, err error) {
	logCall(ctx, in.log, method, start, err)
	in.m.unaryDone(method, start, err)
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
