// Package natsembed runs a nats-server inside the gateway process: JetStream
// on, file storage under a data directory, in-process client connections (no
// TCP unless a listener is asked for).
//
// Lifecycle: New (no I/O) -> Start (returns once JetStream answers) ->
// Shutdown. A Server is started at most once.
package natsembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config configures an embedded server.
type Config struct {
	// DataDir holds JetStream's files (in DataDir/jetstream). Required.
	DataDir string
	// Listen is an optional "host:port" for NATS clients over TCP (port 0
	// picks one). Empty means in-process connections only.
	Listen string
	// MaxPayload is the largest message NATS accepts (payload plus headers).
	MaxPayload int32
	// ServerName names the server (in logs and JetStream metadata); unique
	// within a cluster. Default "natsgw".
	ServerName string
	// ClusterName, when set, makes the server a node of a NATS cluster with
	// JetStream replicated by RAFT: every node needs the same ClusterName, its
	// own ServerName and DataDir, a ClusterListen address and Routes to the
	// others.
	ClusterName string
	// ClusterListen is "host:port" for routes from the other nodes.
	ClusterListen string
	// Routes are the other nodes' cluster URLs ("nats://host:port").
	Routes []string
	// Logger receives the server's log lines. Nil discards them.
	Logger *slog.Logger
}

// Server is an embedded nats-server.
type Server struct {
	cfg Config
	ns  *server.Server
}

// New checks cfg and builds the server; it does no I/O.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("natsembed: DataDir is required")
	}
	if cfg.MaxPayload <= 0 {
		return nil, errors.New("natsembed: MaxPayload must be positive")
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "natsgw"
	}
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		JetStream:          true,
		StoreDir:           cfg.DataDir, // JetStream adds its own "jetstream" folder
		MaxPayload:         cfg.MaxPayload,
		DontListen:         cfg.Listen == "",
		NoSigs:             true,
		NoLog:              cfg.Logger == nil,
		JetStreamMaxMemory: -1,
		JetStreamMaxStore:  -1,
		// The gateway's one connection carries every subscription, so give it
		// room before the server calls it a slow consumer.
		MaxPending: 256 << 20,
	}
	if cfg.ClusterName != "" && cfg.Listen == "" {
		// A clustered server must listen for clients (nats-server #5174);
		// keep it private.
		cfg.Listen = "127.0.0.1:0"
		opts.DontListen = false
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort("listen", cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.ClusterName != "" {
		if cfg.ClusterListen == "" {
			return nil, errors.New("natsembed: ClusterListen is required with ClusterName")
		}
		host, port, err := splitHostPort("cluster listen", cfg.ClusterListen)
		if err != nil {
			return nil, err
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("natsembed: route %q is not a URL like nats://host:port", r)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	if cfg.Logger != nil {
		ns.SetLoggerV2(slogAdapter{cfg.Logger}, false, false, false)
	}
	return &Server{cfg: cfg, ns: ns}, nil
}

func splitHostPort(what, addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("natsembed: %s address %q: %w", what, addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("natsembed: %s port %q is not a port number", what, port)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	return host, p, nil
}

// Start starts the server and waits until it accepts connections and
// JetStream is ready, or ctx ends.
func (s *Server) Start(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("natsembed: data directory: %w", err)
	}
	go s.ns.Start()
	for {
		// ReadyForConnections does not cover JetStream; Healthz does. A
		// cluster node is ready once the JetStream meta group has a leader
		// (before that, stream operations get no answer).
		hz := &server.HealthzOptions{JSEnabledOnly: true}
		if s.cfg.ClusterName != "" {
			hz = &server.HealthzOptions{JSMetaOnly: true}
		}
		if s.ns.ReadyForConnections(10*time.Millisecond) && s.ns.Healthz(hz).Status == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			s.Shutdown()
			return fmt.Errorf("natsembed: waiting for JetStream: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// ConnectOption makes nats.Connect use an in-process connection to this
// server (pass "" as the URL).
func (s *Server) ConnectOption() nats.Option {
	return nats.InProcessServer(s.ns)
}

// ClientURL is the TCP URL clients can use, or "" without a listener.
func (s *Server) ClientURL() string {
	if s.cfg.Listen == "" {
		return ""
	}
	return s.ns.ClientURL()
}

// StoreDir is where JetStream keeps its files.
func (s *Server) StoreDir() string { return s.ns.StoreDir() }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// slogAdapter feeds nats-server's printf-style logger into slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(format string, v ...any) { a.log(slog.LevelDebug, format, v) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.log(slog.LevelWarn, format, v) }
func (a slogAdapter) Fatalf(format string, v ...any)  { a.log(slog.LevelError, format, v) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.log(slog.LevelError, format, v) }
func (a slogAdapter) Debugf(format string, v ...any)  { a.log(slog.LevelDebug, format, v) }
func (a slogAdapter) Tracef(format string, v ...any)  { a.log(slog.LevelDebug-4, format, v) }

func (a slogAdapter) log(level slog.Level, format string, v []any) {
	a.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats-server")
}
