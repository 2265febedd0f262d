// Package natsembed runs a nats-server inside the gateway process: JetStream
// on, file storage under a data directory, in-process client connections (no
// TCP unless a listener is asked for).
//
// Every listener requires credentials. The gateway's own connections are
// in-process and authenticate as an internal user whose password is random,
// made at New, held only in memory and accepted only over in-process
// connections. TCP clients need the operator credential (Config.User and
// Password, or Token); routes need the cluster secret. The one exception is
// Config.Insecure, which lets TCP clients in without credentials (the caller
// allows it only on loopback).
//
// Lifecycle: New (no I/O) -> Start (returns once JetStream answers) ->
// Shutdown. A Server is started at most once.
package natsembed

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
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
	// SyncAlways makes JetStream fsync every write before acknowledging it;
	// SyncInterval, when positive, is how often it fsyncs otherwise (0:
	// NATS's default, 2 minutes). Writes reach the operating system at once
	// either way.
	SyncAlways   bool
	SyncInterval time.Duration
	// User and Password are the operator credential TCP clients (the
	// `nats` CLI) authenticate with; Token is the alternative. Either or
	// both may be set. Without any, TCP clients are refused unless Insecure.
	User     string
	Password string
	Token    string
	// Insecure lets TCP clients connect without credentials. In-process
	// connections still need the internal user's password.
	Insecure bool
	// ClusterSecret is the password routes authenticate with: every node of
	// a cluster needs the same one. Empty: routes need no credentials.
	ClusterSecret string
	// ClusterTLS, when set, makes routes use TLS with this configuration
	// (for both the connections a node accepts and those it opens).
	ClusterTLS *tls.Config
	// Logger receives the server's log lines. Nil discards them.
	Logger *slog.Logger
}

// RouteUser is the user name routes authenticate as, with the cluster
// secret as password. A plain nats-server joins a natsgw cluster with routes
// like nats://natsgw-route:<secret>@host:port.
const RouteUser = "natsgw-route"

// Reserved user names: the gateway's own in-process user and the user of
// insecure TCP clients.
const (
	internalUser = "natsgw-internal"
	insecureUser = "natsgw-insecure"
)

// inProcessOnly is nats-server's connection type of in-process clients
// (jwt.ConnectionTypeInProcess).
const inProcessOnly = "IN_PROCESS"

// Server is an embedded nats-server.
type Server struct {
	cfg    Config
	ns     *server.Server
	secret string      // the internal user's password; never logged or stored
	fatal  chan string // the server's first fatal log line: it gave up starting
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
	switch cfg.User {
	case internalUser, RouteUser, insecureUser:
		return nil, fmt.Errorf("natsembed: user name %q is reserved", cfg.User)
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return nil, errors.New("natsembed: User and Password go together")
	}
	secret, err := randomSecret()
	if err != nil {
		return nil, err
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
		MaxPending:   256 << 20,
		SyncAlways:   cfg.SyncAlways,
		SyncInterval: cfg.SyncInterval,
		Users: []*server.User{{
			Username:               internalUser,
			Password:               secret,
			AllowedConnectionTypes: map[string]struct{}{inProcessOnly: {}},
		}},
		Authorization: cfg.Token,
	}
	if cfg.User != "" {
		opts.Users = append(opts.Users, &server.User{Username: cfg.User, Password: cfg.Password})
	}
	if cfg.Insecure {
		opts.Users = append(opts.Users, &server.User{Username: insecureUser})
		opts.NoAuthUser = insecureUser
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
		if cfg.ClusterSecret != "" {
			opts.Cluster.Username, opts.Cluster.Password = RouteUser, cfg.ClusterSecret
		}
		if cfg.ClusterTLS != nil {
			opts.Cluster.TLSConfig = cfg.ClusterTLS
			opts.Cluster.TLSTimeout = 2
		}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("natsembed: route %q is not a URL like nats://host:port", r)
			}
			// Routes this node opens present the secret (nats-server takes
			// a configured route's credentials from its URL).
			u.User = nil
			if cfg.ClusterSecret != "" {
				u.User = url.UserPassword(RouteUser, cfg.ClusterSecret)
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
	s := &Server{cfg: cfg, ns: ns, secret: secret, fatal: make(chan string, 1)}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ns.SetLoggerV2(slogAdapter{l: logger, fatal: s.fatal}, false, false, false)
	return s, nil
}

// randomSecret makes the internal user's password: 256 random bits.
func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("natsembed: internal secret: %w", err)
	}
	return hex.EncodeToString(b), nil
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
// server (pass "" as the URL), authenticated as the internal user.
func (s *Server) ConnectOption() nats.Option {
	inProcess, user := nats.InProcessServer(s.ns), nats.UserInfo(internalUser, s.secret)
	return func(o *nats.Options) error {
		if err := inProcess(o); err != nil {
			return err
		}
		return user(o)
	}
}

// ClusterURL is the address routes reach this node at ("nats://host:port",
// without credentials), or "" outside a cluster.
func (s *Server) ClusterURL() string {
	if s.cfg.ClusterName == "" {
		return ""
	}
	a := s.ns.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats://" + a.String()
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

// DisconnectClients closes the open client connections named name from the
// server's side, as the server does with a stale or slow client; it returns
// how many it closed. Clients reconnect if they are set to.
func (s *Server) DisconnectClients(name string) (int, error) {
	cz, err := s.ns.Connz(&server.ConnzOptions{Limit: 1 << 20})
	if err != nil {
		return 0, fmt.Errorf("natsembed: list connections: %w", err)
	}
	n := 0
	for _, c := range cz.Conns {
		if c.Name == name && s.ns.DisconnectClientByID(c.Cid) == nil {
			n++
		}
	}
	return n, nil
}

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
func (a slogAdapter) Warnf(format string, v ...any) {
	level := slog.LevelWarn
	if format == plaintextWarning {
		// The passwords are the random internal one and the operator's,
		// which exist in memory anyway: nothing for an operator to act on.
		level = slog.LevelDebug
	}
	a.log(level, format, v)
}

// plaintextWarning is what nats-server says about users configured with
// plaintext passwords.
const plaintextWarning = "Plaintext passwords detected, use nkeys or bcrypt"

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
