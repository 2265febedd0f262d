package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/natsgw/natsgw/internal/console"
	"github.com/natsgw/natsgw/internal/tenant"
)

// consoleServer is the web console (--console-listen): an HTTP server for
// the console's pages and JSON API, and the in-memory gRPC server its API
// calls. That gRPC server has the same gateway services and the same
// interceptors as the public one (authentication, limits, metrics, logs),
// so a console request obeys exactly the rules of a gRPC call.
type consoleServer struct {
	lis     net.Listener
	http    *http.Server
	grpc    *grpc.Server
	mem     *memListener
	conn    *grpc.ClientConn
	console *console.Console
}

func (s *Server) startConsole(in *interceptors, maxPayload int) error {
	lis, err := net.Listen("tcp", s.cfg.ConsoleListen)
	if err != nil {
		return listenError("--console-listen", s.cfg.ConsoleListen, err)
	}
	cs := &consoleServer{lis: lis, mem: newMemListener()}
	cs.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMsgSize(maxPayload)),
		grpc.UnaryInterceptor(in.unary),
		grpc.StreamInterceptor(in.stream),
	)
	s.registerServices(cs.grpc)
	go func() { _ = cs.grpc.Serve(cs.mem) }()
	cs.conn, err = grpc.NewClient("passthrough:///natsgw-console",
		grpc.WithContextDialer(cs.mem.dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize(maxPayload)), grpc.MaxCallSendMsgSize(maxMsgSize(maxPayload))),
	)
	if err != nil {
		_ = lis.Close()
		cs.grpc.Stop()
		return fmt.Errorf("console: %w", err)
	}
	cs.console = console.New(console.Config{
		Conn:         cs.conn,
		Identify:     s.identify,
		TokenMode:    s.auth.tokens != nil,
		SecureCookie: s.cert != nil,
		Logger:       s.log.With("component", "console"),
	})
	cs.http = &http.Server{Handler: cs.console, ReadHeaderTimeout: 5 * time.Second}
	if s.cert != nil {
		cs.http.TLSConfig = s.cert.tlsConfig()
	}
	s.consoleSrv = cs
	go func() {
		var err error
		if s.cert != nil {
			err = cs.http.ServeTLS(lis, "", "")
		} else {
			err = cs.http.Serve(lis)
		}
		if err != nil && err != http.ErrServerClosed {
			s.log.Error("console server failed", "err", err)
		}
	}()
	scheme := "http"
	if s.cert != nil {
		scheme = "https"
	}
	s.log.Info("web console", "addr", scheme+"://"+lis.Addr().String())
	return nil
}

// identify checks console login credentials with the gateway's
// authenticator, as if they came with a gRPC call.
func (s *Server) identify(ctx context.Context, md metadata.MD) (string, string, error) {
	ctx, _, err := s.auth.authenticate(metadata.NewIncomingContext(ctx, md), "/natsgw.v1.AdminService/GetStatistics")
	if err != nil {
		return "", "", err
	}
	id, ok := tenant.FromContext(ctx)
	if !ok {
		return "", "", status.Error(codes.Internal, "internal error")
	}
	return id.Org, id.User, nil
}

func (cs *consoleServer) shutdown(ctx context.Context) {
	cs.console.Close()
	_ = cs.http.Shutdown(ctx)
	_ = cs.conn.Close()
	cs.grpc.Stop()
}

// ConsoleAddr is the console's HTTP address, or nil without one.
func (s *Server) ConsoleAddr() net.Addr {
	if s.consoleSrv == nil {
		return nil
	}
	return s.consoleSrv.lis.Addr()
}

// memListener is a net.Listener whose connections are in-memory pipes
// (net.Pipe), for the console's gRPC client.
type memListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr{} }

func (l *memListener) dial(ctx context.Context, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "console" }
