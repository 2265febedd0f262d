// Package server is the composition root of `natsgw serve`: configuration ->
// NATS (embedded or external) -> one shared NATS connection -> gateway ->
// gRPC server, plus the optional ops HTTP listener (metrics, health).
//
// Lifecycle: New (no I/O) -> Start (returns once the gateway accepts calls and
// JetStream is ready) -> Shutdown (graceful, bounded). A Server is started at
// most once.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	natsgwv1 "github.com/natsgw/natsgw/api/gen/natsgw/v1"
	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/consul"
	"github.com/natsgw/natsgw/internal/gateway"
	"github.com/natsgw/natsgw/internal/kvcache"
	"github.com/natsgw/natsgw/internal/natsembed"
	"github.com/natsgw/natsgw/internal/tasks"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Options are the server's collaborators (as opposed to its configuration).
type Options struct {
	// Logger receives every log line. Nil discards them.
	Logger *slog.Logger
	// Version is reported by Health. Default Version().
	Version string
	// Registry receives the server's metrics. Nil makes a private one.
	Registry *prometheus.Registry
}

// Server is a running gateway.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	version string
	reg     *prometheus.Registry
	mapper  tenant.Mapper
	auth    *authenticator
	cert    *certificate // nil: plaintext

	embedded  *natsembed.Server
	nc        *nats.Conn
	gw        *gateway.Gateway
	tasks     *tasks.Service
	grpc      *grpc.Server
	health    *health.Server
	lis       net.Listener
	ops       *http.Server
	consul    *consul.Agent
	consulID  string
	advertise string
	opsLis    net.Listener
	// consoleSrv is the web console, nil without --console-listen.
	consoleSrv *consoleServer
	served     chan error // the first serving failure (capacity 2: gRPC's exit and the ops server's)
	conns      connCounter
}

// New validates cfg and builds the server; it does no I/O.
func New(cfg config.Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mapper, err := tenant.NewMapper(cfg.TenantRoot)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     opts.Logger,
		version: opts.Version,
		reg:     opts.Registry,
		mapper:  mapper,
		served:  make(chan error, 2),
		auth:    &authenticator{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.AuthFile != "" {
		// Read at New so a bad file fails before anything starts.
		if s.auth.tokens, err = loadTokens(cfg.AuthFile); err != nil {
			return nil, err
		}
	}
	if cfg.TLSCert != "" {
		if s.cert, err = loadCertificate(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, err
		}
	}
	if s.version == "" {
		s.version = Version()
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if cfg.NATSURL == "" {
		name := cfg.ServerName
		if name == "" && cfg.ClusterName != "" {
			host, _ := os.Hostname()
			_, port, _ := net.SplitHostPort(cfg.ClusterListen)
			name = host + "-" + port
		}
		syncAlways, syncInterval, err := cfg.JetStreamSyncPolicy()
		if err != nil {
			return nil, err
		}
		ec := natsembed.Config{
			SyncAlways:    syncAlways,
			SyncInterval:  syncInterval,
			DataDir:       cfg.DataDir,
			Listen:        cfg.NATSListen,
			MaxPayload:    int32(cfg.MaxPayload),
			ServerName:    name,
			ClusterName:   cfg.ClusterName,
			ClusterListen: cfg.ClusterListen,
			Routes:        cfg.Routes,
			Logger:        s.log,
		}
		if err := embeddedAuth(cfg, &ec); err != nil {
			return nil, err
		}
		if cfg.ClusterName != "" && ec.ClusterSecret == "" {
			s.log.Warn("routes need no credentials: any process on this host can join the cluster; set cluster-secret", "cluster_listen", cfg.ClusterListen)
		}
		if s.embedded, err = natsembed.New(ec); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Start brings everything up in order and returns once the gRPC listener
// accepts calls. On error everything started so far is stopped again.
func (s *Server) Start(ctx context.Context) (err error) {
	// On error, stop whatever started: the listeners, the gRPC server (its
	// workers run from NewServer on) and NATS.
	defer func() {
		if err != nil {
			if s.consoleSrv != nil {
				s.consoleSrv.shutdown(context.Background())
			}
			if s.ops != nil {
				_ = s.ops.Close()
			}
			if s.lis != nil {
				_ = s.lis.Close()
			}
			if s.grpc != nil {
				s.grpc.Stop()
			}
			s.stopNATS()
		}
	}()
	if s.embedded != nil {
		if err := s.embedded.Start(ctx); err != nil {
			return err
		}
	}
	// nats.go runs these callbacks one at a time, in order, on one goroutine.
	failedReconnects := 0
	if s.nc, err = s.ConnectNATS(
		nats.Name("natsgw"),
		nats.MaxReconnects(-1),
		nats.ReconnectBufSize(64<<20),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			s.setServing(false)
			if err == nil {
				return // our own close
			}
			s.log.Warn("NATS disconnected", append(s.natsTransport(nc), "err", err)...)
		}),
		nats.ReconnectErrHandler(func(nc *nats.Conn, err error) {
			// The first failure of an outage is a warning; the retries
			// after it (every second or more) are detail.
			level := slog.LevelDebug
			if failedReconnects == 0 {
				level = slog.LevelWarn
			}
			failedReconnects++
			s.log.Log(context.Background(), level, "NATS reconnect failed", append(s.natsTransport(nc), "attempts", failedReconnects, "err", err)...)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.log.Info("NATS reconnected", append(s.natsTransport(nc), "failed_attempts", failedReconnects)...)
			failedReconnects = 0
			s.setServing(true)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			attrs := []any{"err", err}
			if sub != nil {
				attrs = append(attrs, "subject", sub.Subject)
			}
			s.log.Warn("NATS async error", attrs...)
		}),
	); err != nil {
		return err
	}
	maxPayload := int(s.cfg.MaxPayload)
	if np := int(s.nc.MaxPayload()); np < maxPayload {
		s.log.Warn("NATS max payload is below the configured max payload; using NATS's", "nats", np, "configured", maxPayload)
		maxPayload = np
	}
	mode := natsgwv1.NatsMode_NATS_MODE_EXTERNAL
	if s.embedded != nil {
		mode = natsgwv1.NatsMode_NATS_MODE_EMBEDDED
	}
	in := &interceptors{log: s.log, m: newMetrics(s.reg), auth: s.auth, limit: newStreamLimiter(s.cfg.MaxStreamsPerOrg), rate: newRateLimiter(s.cfg.OrgRate, s.cfg.OrgBurst)}
	if s.gw, err = gateway.New(gateway.Config{
		Conn:        s.nc,
		Mapper:      s.mapper,
		MaxPayload:  maxPayload,
		Mode:        mode,
		Version:     s.version,
		Connections: s.conns.count,
		Logger:      s.log,
		OpDone:      in.opDone,
		KVCache:     s.kvCacheConfig(),

		MaxBufferedBytesPerOrg: s.cfg.MaxBufferedBytesPerOrg,
	}); err != nil {
		return err
	}
	if err := s.gw.Start(); err != nil {
		return err
	}
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "natsgw_subscription_buffered_bytes",
		Help: "Bytes the subscriptions of all organizations hold for slow readers (each org bounded by max-buffered-bytes-per-org).",
	}, func() float64 { return float64(s.gw.TotalBufferedBytes()) }))

	s.grpc = grpc.NewServer(s.grpcOptions(maxPayload, in)...)
	if s.tasks, err = tasks.New(tasks.Config{
		Conn:       s.nc,
		Mapper:     s.mapper,
		MaxPayload: maxPayload,
		Errors:     s.gw.NATSError,
		Logger:     s.log,
	}); err != nil {
		return err
	}
	s.registerServices(s.grpc)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)

	if s.lis, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return listenError("--listen", s.cfg.Listen, err)
	}
	if s.cfg.OpsListen != "" {
		if err := s.startOps(); err != nil {
			return err
		}
	}
	if s.cfg.ConsoleListen != "" {
		if err := s.startConsole(in, maxPayload); err != nil {
			return err
		}
	}
	s.setServing(true)
	go func() { s.served <- s.grpc.Serve(s.lis) }()
	return s.register(ctx)
}

// kvCacheConfig is the KV read cache's configuration, nil when it is off.
func (s *Server) kvCacheConfig() *kvcache.Config {
	if !s.cfg.KVCache {
		return nil
	}
	return &kvcache.Config{
		BucketKeys:  s.cfg.KVCacheBucketKeys,
		BucketBytes: s.cfg.KVCacheBucketBytes,
		OrgBytes:    s.cfg.KVCacheOrgBytes,
		Registerer:  s.reg,
		Logger:      s.log,
	}
}

// listenError says which setting's address could not be listened on and
// why, without net's "listen tcp <addr>:" that would repeat it.
// maxMsgSize is the largest gRPC message: room for a max-size message plus
// its headers and framing.
func maxMsgSize(maxPayload int) int { return 2*maxPayload + 1<<20 }

func listenError(flag, addr string, err error) error {
	cause := err
	var op *net.OpError
	if errors.As(err, &op) {
		cause = op.Err
	}
	var sys *os.SyscallError
	if errors.As(cause, &sys) {
		cause = sys.Err
	}
	if errors.Is(cause, syscall.EADDRINUSE) {
		return fmt.Errorf("%s %s: %w (is another natsgw serve running there? pick a free address)", flag, addr, cause)
	}
	return fmt.Errorf("%s %s: %w", flag, addr, cause)
}

// registerServices registers the natsgw.v1 services on g: the public gRPC
// server and the console's in-memory one serve the same set.
func (s *Server) registerServices(g *grpc.Server) {
	s.gw.Register(g)
	s.tasks.Register(g)
}

// register announces this instance to Consul (when configured). The gRPC
// server is already serving, so the agent's first health check passes.
func (s *Server) register(ctx context.Context) error {
	s.advertise = s.cfg.Advertise
	if s.advertise == "" {
		host, port, _ := net.SplitHostPort(s.lis.Addr().String())
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			if host, _ = os.Hostname(); host == "" {
				host = "localhost"
			}
		}
		s.advertise = net.JoinHostPort(host, port)
	}
	if s.cfg.ConsulAddr == "" {
		return nil
	}
	agent, err := consul.NewAgent(s.cfg.ConsulAddr)
	if err != nil {
		return fmt.Errorf("consul-addr: %w", err)
	}
	host, portStr, _ := net.SplitHostPort(s.advertise)
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("advertise: port %q: %w", portStr, err)
	}
	id := s.cfg.ConsulService + "-" + strings.NewReplacer(":", "-", ".", "-", "[", "", "]", "").Replace(s.advertise)
	if err := agent.Register(ctx, consul.Service{ID: id, Name: s.cfg.ConsulService, Address: host, Port: port, TLS: s.cert != nil}); err != nil {
		agent.Close()
		return fmt.Errorf("register with Consul: %w", err)
	}
	// Return once clients can find this instance (the catalog lags the
	// agent); an agent cut off from its servers is worth a warning, not a
	// failed start.
	wctx, cancel := context.WithTimeout(ctx, consulListWait)
	defer cancel()
	if err := agent.WaitListed(wctx, s.cfg.ConsulService, id); err != nil {
		s.log.Warn("registered in Consul, but the agent does not list this instance yet", "agent", s.cfg.ConsulAddr, "id", id, "err", err)
	}
	s.consul, s.consulID = agent, id
	s.log.Info("registered in Consul", "agent", s.cfg.ConsulAddr, "service", s.cfg.ConsulService, "id", id)
	return nil
}

// consulListWait bounds how long Start waits for Consul to list this
// instance after registering it.
const consulListWait = 10 * time.Second

// BufferedBytes reports the bytes org's subscriptions hold on this
// instance now (bounded by max-buffered-bytes-per-org).
func (s *Server) BufferedBytes(org string) int64 { return s.gw.BufferedBytes(org) }

// AdvertiseAddr is the address this instance tells others to use.
func (s *Server) AdvertiseAddr() string { return s.advertise }

// Flow-control windows: per stream and per connection. A client may have
// this much unread data in the gateway's buffers; gRPC's estimator, which
// these replace, grows windows up to 16 MiB.
const (
	streamWindow = 4 << 20
	connWindow   = 16 << 20
)

// streamWorkers is how many goroutines wait for calls. Streams keep theirs
// while they last.
const streamWorkers = 64

func (s *Server) grpcOptions(maxPayload int, in *interceptors) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		// Room for a max-size message plus its headers and framing; batches
		// beyond this are refused by gRPC with ResourceExhausted.
		grpc.MaxRecvMsgSize(maxMsgSize(maxPayload)),
		// Fixed flow-control windows (as the SDK sets them) turn off gRPC's
		// bandwidth-delay estimation and its PING frames on every burst of
		// data: request-reply p50 was 30% lower without them.
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		// Calls run on long-lived goroutines (a new one when all are busy)
		// instead of one new goroutine each, whose stack grew anew through
		// gRPC's and the handler's frames on every call.
		grpc.NumStreamWorkers(streamWorkers),
		grpc.UnaryInterceptor(in.unary),
		grpc.StreamInterceptor(in.stream),
		grpc.StatsHandler(&s.conns),
		newCodec().serverOption(),
	}
	if s.cert != nil {
		opts = append(opts, s.cert.serverOption())
	}
	return opts
}

func (s *Server) startOps() error {
	lis, err := net.Listen("tcp", s.cfg.OpsListen)
	if err != nil {
		return listenError("--ops-listen", s.cfg.OpsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.nc.Status() != nats.CONNECTED {
			http.Error(w, "NATS "+s.nc.Status().String(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	s.opsLis = lis
	s.ops = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		// Serve returns ErrServerClosed after Shutdown; anything else means
		// /metrics and /healthz are gone, which Done reports.
		if err := s.ops.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("ops HTTP server failed", "addr", lis.Addr().String(), "err", err)
			s.served <- fmt.Errorf("ops HTTP server on %s: %w", lis.Addr(), err)
		}
	}()
	return nil
}

func (s *Server) setServing(ok bool) {
	if s.health == nil {
		return
	}
	st := healthpb.HealthCheckResponse_SERVING
	if !ok {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", st)
}

// ReloadTLS re-reads the TLS certificate and key; new connections get
// them, open ones keep theirs. On error the current certificate stays.
func (s *Server) ReloadTLS() error {
	if s.cert == nil {
		return errors.New("TLS is off (no tls-cert)")
	}
	return s.cert.reload()
}

// ReloadAuth re-reads the auth file (token mode only) and ends, with
// Unauthenticated, every open stream whose token it no longer grants the
// stream's identity. On error the tokens in force stay unchanged.
func (s *Server) ReloadAuth() error {
	if s.auth.tokens == nil {
		return errors.New("authentication is off (no auth file)")
	}
	n, err := s.auth.reload()
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("streams of revoked tokens ended", "streams", n)
	}
	return nil
}

// ConnectNATS opens a new connection to the server's NATS: in-process when
// embedded, the configured URL otherwise. Tests use it to act on NATS
// directly; the caller closes the connection.
func (s *Server) ConnectNATS(opts ...nats.Option) (*nats.Conn, error) {
	if s.embedded != nil {
		opts = append([]nats.Option{nats.CustomReconnectDelay(inProcessReconnectDelay)}, opts...)
		nc, err := nats.Connect("", append(opts, s.embedded.ConnectOption())...)
		if err != nil {
			return nil, fmt.Errorf("connect to embedded NATS: %w", err)
		}
		return nc, nil
	}
	nc, err := nats.Connect(s.cfg.NATSURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", s.cfg.NATSURL, err)
	}
	return nc, nil
}

// inProcessReconnectDelay paces reconnecting to the embedded server. An
// in-process connection is only closed by the server (a connection it deems
// stale or slow, as a paused host can make it look) and a new one is
// available at once, so nats.go's default (2 s between attempts, meant for
// a server restarting elsewhere) only prolongs the outage: retry after 10 ms,
// doubling up to 1 s while the server is really gone.
func inProcessReconnectDelay(attempts int) time.Duration {
	d := 10 * time.Millisecond
	for range min(attempts-1, 7) {
		d *= 2
	}
	return min(d, time.Second)
}

// natsTransport names the NATS connection's transport for logs: the
// in-process pipe to the embedded server, or the server URL (nats.go reports
// its default URL for an in-process connection, where nothing listens).
func (s *Server) natsTransport(nc *nats.Conn) []any {
	if s.embedded != nil {
		return []any{"transport", "in-process"}
	}
	if u := nc.ConnectedUrlRedacted(); u != "" {
		return []any{"url", u}
	}
	// Disconnected: the configured servers, passwords masked.
	urls := strings.Split(s.cfg.NATSURL, ",")
	for i, raw := range urls {
		if u, err := url.Parse(strings.TrimSpace(raw)); err == nil {
			urls[i] = u.Redacted()
		}
	}
	return []any{"url", strings.Join(urls, ",")}
}

// Addr is the gRPC listener's address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.lis.Addr() }

// OpsAddr is the ops HTTP listener's address, or nil without one.
func (s *Server) OpsAddr() net.Addr {
	if s.opsLis == nil {
		return nil
	}
	return s.opsLis.Addr()
}

// NATSClusterURL is the embedded NATS's route address ("nats://host:port",
// no credentials), or "" outside a cluster.
func (s *Server) NATSClusterURL() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.ClusterURL()
}

// NATSClientURL is the embedded NATS's TCP URL (without credentials), or ""
// (external NATS, or neither --nats-listen nor a cluster).
func (s *Server) NATSClientURL() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.ClientURL()
}

// StoreDir is where embedded JetStream keeps data, or "" with external NATS.
func (s *Server) StoreDir() string {
	if s.embedded == nil {
		return ""
	}
	return s.embedded.StoreDir()
}

// Done yields the end of serving: nil when the gRPC server exits after
// Shutdown, an error if the gRPC server or the ops HTTP server (OpsListen)
// failed. The caller should then Shutdown.
func (s *Server) Done() <-chan error { return s.served }

// Shutdown stops the gateway gracefully: open streams end (clients see
// Unavailable and reconnect), in-flight calls finish until ctx or the
// configured shutdown timeout runs out (then they are cut), the NATS
// connection is drained and the embedded NATS stops.
func (s *Server) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.ShutdownTimeout))
	defer cancel()
	s.setServing(false)
	if s.consul != nil {
		// First, so that clients stop picking this instance.
		if err := s.consul.Deregister(ctx, s.consulID); err != nil {
			s.log.Warn("deregister from Consul failed", "err", err)
		}
		s.consul.Close()
	}
	if s.ops != nil {
		_ = s.ops.Shutdown(ctx)
	}
	if s.consoleSrv != nil {
		s.consoleSrv.shutdown(ctx)
	}
	if s.grpc != nil {
		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		s.gw.Close()
		s.tasks.Close()
		select {
		case <-stopped:
		case <-ctx.Done():
			s.log.Warn("graceful stop timed out; cutting remaining calls")
			s.grpc.Stop()
			<-stopped
		}
	}
	s.stopNATS()
	return nil
}

// stopNATS drains the shared connection (bounded) and stops embedded NATS.
func (s *Server) stopNATS() {
	if s.gw != nil {
		s.gw.Close()
	}
	if s.tasks != nil {
		s.tasks.Close()
	}
	if s.nc != nil && !s.nc.IsClosed() {
		closed := make(chan struct{})
		s.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
		if err := s.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			s.nc.Close()
		}
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			s.nc.Close()
		}
	}
	if s.embedded != nil {
		s.embedded.Shutdown()
	}
}
