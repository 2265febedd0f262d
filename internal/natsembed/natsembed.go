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
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	cfg   Config
	ns    *server.Server
	fatal chan string // the server's first fatal log line: it gave up starting
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
	// Always install the adapter (discarding when there is no Logger): a
	// fatal line is how nats-server says it gave up starting (it then never
	// becomes ready), and Start turns it into an error.
	s := &Server{cfg: cfg, ns: ns, fatal: make(chan string, 1)}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ns.SetLoggerV2(slogAdapter{l: logger, fatal: s.fatal}, false, false, false)
	return s, nil
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
	if err := checkDataDir(s.cfg.DataDir); err != nil {
		return err
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
		case msg := <-s.fatal:
			s.Shutdown()
			if strings.Contains(msg, "JetStream") {
				msg += fmt.Sprintf(" (data directory %q)", s.cfg.DataDir)
			}
			return fmt.Errorf("natsembed: NATS server did not start: %s", msg)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkDataDir creates dir if needed and makes sure JetStream can write
// there: dir and, when it exists, dir/jetstream must be directories that
// accept a new file. Checked up front because nats-server, failing to
// write, gives up JetStream without ever becoming ready.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("natsembed: cannot create data directory %q: %w", dir, unwrapPath(err))
	}
	for _, d := range []string{dir, filepath.Join(dir, "jetstream")} {
		fi, err := os.Stat(d)
		switch {
		case d != dir && errors.Is(err, fs.ErrNotExist):
			continue // JetStream creates it
		case err != nil:
			return fmt.Errorf("natsembed: data directory %q: %w", dir, unwrapPath(err))
		case !fi.IsDir():
			return fmt.Errorf("natsembed: data directory %q: %s is not a directory", dir, d)
		}
		f, err := os.CreateTemp(d, ".natsgw-write-check-*")
		if err != nil {
			return fmt.Errorf("natsembed: data directory %q is not writable: %w", d, unwrapPath(err))
		}
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	return nil
}

// unwrapPath drops the *fs.PathError around err ("mkdir /a/b: not a
// directory" -> "not a directory"); the callers name the path themselves.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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

// NumClients reports the server's client connections.
func (s *Server) NumClients() int { return s.ns.NumClients() }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// slogAdapter feeds nats-server's printf-style logger into slog, and its
// first fatal line into fatal.
type slogAdapter struct {
	l     *slog.Logger
	fatal chan<- string
}

func (a slogAdapter) Noticef(format string, v ...any) { a.log(slog.LevelDebug, format, v) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.log(slog.LevelWarn, format, v) }

func (a slogAdapter) Fatalf(format string, v ...any) {
	a.log(slog.LevelError, format, v)
	select {
	case a.fatal <- fmt.Sprintf(format, v...):
	default: // one is enough
	}
}

func (a slogAdapter) Errorf(format string, v ...any) { a.log(slog.LevelError, format, v) }
func (a slogAdapter) Debugf(format string, v ...any) { a.log(slog.LevelDebug, format, v) }
func (a slogAdapter) Tracef(format string, v ...any) { a.log(slog.LevelDebug-4, format, v) }

func (a slogAdapter) log(level slog.Level, format string, v []any) {
	a.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats-server")
}
