// Package natsgwtest runs a real natsgw gateway in-process for tests: an
// embedded NATS server with JetStream (data in a temporary directory) and the
// gateway on a loopback port, both stopped when the test ends.
//
//	func TestX(t *testing.T) {
//		srv := natsgwtest.NewServer(t)
//		c := srv.Client(t, natsgw.WithOrg("acme"))
//		...
//	}
package natsgwtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/server"
)

// startTimeout bounds starting or restarting a server.
const startTimeout = 30 * time.Second

// Option configures NewServer.
type Option func(*settings)

type settings struct {
	maxPayload int64
	dataDir    string
	natsURL    string
	natsListen bool
	logLevel   slog.Level
	authFile   string
	consulAddr string
	consulSvc  string
	maxStreams int
	tls        bool
	orgRate    float64
	orgBurst   int
	registry   *prometheus.Registry
	kvCache    *kvCacheSettings
	jsSync     string
	maxBuffer  int64
	console    bool
}

type kvCacheSettings struct {
	on                    bool
	bucketKeys            int
	bucketBytes, orgBytes int64
}

// WithMaxPayload sets the gateway's max payload (default 8 MiB).
func WithMaxPayload(n int64) Option { return func(s *settings) { s.maxPayload = n } }

// WithDataDir keeps JetStream data in dir instead of a fresh temporary
// directory (so two servers, or a restart, can share it).
func WithDataDir(dir string) Option { return func(s *settings) { s.dataDir = dir } }

// WithNATSURL fronts an external NATS instead of embedding one (for example
// another test server's NATSURL, to run several gateway instances over one
// NATS).
func WithNATSURL(url string) Option { return func(s *settings) { s.natsURL = url } }

// WithNATSListener gives the embedded NATS a loopback TCP listener; NATSURL
// reports it.
func WithNATSListener() Option { return func(s *settings) { s.natsListen = true } }

// WithAuthFile turns on token authentication with the given auth file (see
// `natsgw token create`).
func WithAuthFile(path string) Option { return func(s *settings) { s.authFile = path } }

// WithConsul registers the gateway with the Consul agent at addr under
// service (and deregisters it on stop).
func WithConsul(addr, service string) Option {
	return func(s *settings) { s.consulAddr, s.consulSvc = addr, service }
}

// WithMaxStreamsPerOrg sets the cap on one organization's open streaming
// calls (default 1000; 0 means no limit).
func WithMaxStreamsPerOrg(n int) Option { return func(s *settings) { s.maxStreams = n } }

// WithOrgRate limits each organization to rate operations per second, with
// burst saved up (see `natsgw serve --org-rate`). Default: no limit.
func WithOrgRate(rate float64, burst int) Option {
	return func(s *settings) { s.orgRate, s.orgBurst = rate, burst }
}

// WithRegistry has the gateway register its metrics in reg (default: a
// private registry), so a test can read them. Not for a server that
// Restarts (its metrics would be registered twice).
func WithRegistry(reg *prometheus.Registry) Option { return func(s *settings) { s.registry = reg } }

// WithoutKVCache turns the KV read cache off (`natsgw serve --kv-cache=false`).
func WithoutKVCache() Option {
	return func(s *settings) { s.kvCache = &kvCacheSettings{} }
}

// WithKVCacheBounds sets the KV read cache's bounds (`--kv-cache-bucket-keys`,
// `--kv-cache-bucket-bytes`, `--kv-cache-org-bytes`); zero keeps a default.
func WithKVCacheBounds(bucketKeys int, bucketBytes, orgBytes int64) Option {
	return func(s *settings) {
		s.kvCache = &kvCacheSettings{on: true, bucketKeys: bucketKeys, bucketBytes: bucketBytes, orgBytes: orgBytes}
	}
}

// WithJetStreamSync sets when the embedded NATS fsyncs JetStream files
// ("always" or an interval such as "10s"; see `natsgw serve
// --jetstream-sync`). Default: NATS's default, every 2 minutes.
func WithJetStreamSync(policy string) Option { return func(s *settings) { s.jsSync = policy } }

// WithMaxBufferedBytesPerOrg bounds the bytes one organization's
// subscriptions may hold (default 64 MiB; 0 means no bound).
func WithMaxBufferedBytesPerOrg(n int64) Option { return func(s *settings) { s.maxBuffer = n } }

// WithConsole serves the web console on a loopback port; ConsoleURL
// reports it.
func WithConsole() Option { return func(s *settings) { s.console = true } }

// WithLogLevel sets the level of gateway logs sent to t.Log (default warn).
func WithLogLevel(l slog.Level) Option { return func(s *settings) { s.logLevel = l } }

// Server is a running in-process gateway.
type Server struct {
	tb  testing.TB
	cfg config.Config
	log *slog.Logger
	reg *prometheus.Registry

	mu  sync.Mutex
	srv *server.Server
}

// NewServer starts an embedded NATS (JetStream on) and a gateway on
// 127.0.0.1 with a random port, waits until both are ready, and stops them
// when the test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	st := settings{maxPayload: config.DefaultMaxPayload, logLevel: slog.LevelWarn, maxStreams: config.DefaultMaxStreamsPerOrg, maxBuffer: config.DefaultMaxBufferedBytesPerOrg}
	for _, o := range opts {
		o(&st)
	}
	cfg := config.Default()
	cfg.MaxStreamsPerOrg = st.maxStreams
	cfg.MaxBufferedBytesPerOrg = st.maxBuffer
	cfg.Listen = "127.0.0.1:0"
	cfg.MaxPayload = st.maxPayload
	cfg.NATSURL = st.natsURL
	cfg.DataDir = st.dataDir
	if cfg.DataDir == "" && cfg.NATSURL == "" {
		cfg.DataDir = tb.TempDir()
	}
	if st.natsListen {
		cfg.NATSListen = "127.0.0.1:0"
		cfg.NATSUser, cfg.NATSPassword = OperatorUser, randomSecret(tb)
	}
	cfg.AuthFile = st.authFile
	cfg.OrgRate, cfg.OrgBurst = st.orgRate, st.orgBurst
	if k := st.kvCache; k != nil {
		cfg.KVCache = k.on
		if k.bucketKeys > 0 {
			cfg.KVCacheBucketKeys = k.bucketKeys
		}
		if k.bucketBytes > 0 {
			cfg.KVCacheBucketBytes = k.bucketBytes
		}
		if k.orgBytes > 0 {
			cfg.KVCacheOrgBytes = k.orgBytes
		}
	}
	cfg.JetStreamSync = st.jsSync
	if st.tls {
		cfg.TLSCert, cfg.TLSKey = newTLSFiles(tb)
	}
	if st.console {
		cfg.ConsoleListen = "127.0.0.1:0"
	}
	if st.consulAddr != "" {
		cfg.ConsulAddr, cfg.ConsulService = st.consulAddr, st.consulSvc
	}
	cfg.ShutdownTimeout = config.Duration(5 * time.Second)
	s := newServer(tb, cfg, st)
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
	return s
}

// newServer prepares a Server (stopped when the test ends) without starting
// it.
func newServer(tb testing.TB, cfg config.Config, st settings) *Server {
	s := &Server{tb: tb, cfg: cfg, log: slog.New(newTBHandler(tb, st.logLevel)), reg: st.registry}
	tb.Cleanup(s.stop)
	return s
}

// start starts the server; it may run on any goroutine.
func (s *Server) start() error {
	srv, err := server.New(s.cfg, server.Options{Logger: s.log, Registry: s.reg})
	if err != nil {
		return fmt.Errorf("natsgwtest: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("natsgwtest: start: %w", err)
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	return nil
}

// NewCluster starts n gateways, each with its own embedded NATS, the NATS
// servers forming one cluster with JetStream replicated across them (streams
// and buckets may use up to n replicas). It returns once every node is ready
// (the JetStream meta group has a leader). Every server is stopped when the
// test ends.
func NewCluster(tb testing.TB, n int, opts ...Option) []*Server {
	tb.Helper()
	st := settings{maxPayload: config.DefaultMaxPayload, logLevel: slog.LevelWarn}
	for _, o := range opts {
		o(&st)
	}
	ports := freePorts(tb, n)
	secret := randomSecret(tb)
	servers := make([]*Server, n)
	for i := range n {
		cfg := config.Default()
		cfg.Listen = "127.0.0.1:0"
		cfg.MaxPayload = st.maxPayload
		cfg.DataDir = tb.TempDir()
		cfg.AuthFile = st.authFile
		cfg.ShutdownTimeout = config.Duration(5 * time.Second)
		cfg.ServerName = fmt.Sprintf("n%d", i+1)
		cfg.ClusterName = "natsgwtest"
		cfg.ClusterListen = fmt.Sprintf("127.0.0.1:%d", ports[i])
		cfg.ClusterSecret = secret
		for j, p := range ports {
			if j != i {
				cfg.Routes = append(cfg.Routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
			}
		}
		servers[i] = newServer(tb, cfg, st)
	}
	// Nodes become ready only together (quorum), so start them at once.
	errs := make(chan error, n)
	for _, s := range servers {
		go func() { errs <- s.start() }()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
	return servers
}

// freePorts finds n free loopback TCP ports.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports := make([]int, n)
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("natsgwtest: free port: %v", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func (s *Server) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		s.tb.Errorf("natsgwtest: shutdown: %v", err)
	}
}

func (s *Server) current() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		s.tb.Fatal("natsgwtest: server is stopped")
	}
	return s.srv
}

// Addr is the gateway's "host:port".
func (s *Server) Addr() string { return s.current().Addr().String() }

// OperatorUser is the user name of the operator credential WithNATSListener
// gives the embedded NATS (its password is random).
const OperatorUser = "operator"

// NATSURL is the embedded NATS's TCP URL (WithNATSListener) with the
// operator credential in it (nats://operator:<password>@127.0.0.1:<port>),
// or "".
func (s *Server) NATSURL() string {
	raw := s.current().NATSClientURL()
	if raw == "" || s.cfg.NATSUser == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		s.tb.Fatalf("natsgwtest: NATS URL %q: %v", raw, err)
	}
	u.User = url.UserPassword(s.cfg.NATSUser, s.cfg.NATSPassword)
	return u.String()
}

// randomSecret is a fresh random password.
func randomSecret(tb testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("natsgwtest: %v", err)
	}
	return hex.EncodeToString(b)
}

// WriteAuthFile writes an auth file (for WithAuthFile) granting one new
// token per grant, a grant being {org, user}, and returns the file's path
// and the tokens in order.
func WriteAuthFile(tb testing.TB, grants ...[2]string) (string, []string) {
	tb.Helper()
	var f server.AuthFile
	var toks []string
	for _, g := range grants {
		tok, e, err := server.NewToken(g[0], g[1])
		if err != nil {
			tb.Fatalf("natsgwtest: new token: %v", err)
		}
		f.Tokens = append(f.Tokens, e)
		toks = append(toks, tok)
	}
	b, err := json.Marshal(f)
	if err != nil {
		tb.Fatalf("natsgwtest: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "auth.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatalf("natsgwtest: write auth file: %v", err)
	}
	return path, toks
}

// ConsoleURL is the web console's base URL ("http://127.0.0.1:port", https
// with TLS), or "" without WithConsole.
func (s *Server) ConsoleURL() string {
	a := s.current().ConsoleAddr()
	if a == nil {
		return ""
	}
	if s.cfg.TLSCert != "" {
		return "https://" + a.String()
	}
	return "http://" + a.String()
}

// Restart stops the gateway (and its embedded NATS) and starts it again on
// the same address and data directory, as an operator restart would. Open
// streams see the shutdown; SDK subscriptions re-establish themselves.
// whileDown runs after the stop and before the start.
func (s *Server) Restart(whileDown ...func()) {
	s.tb.Helper()
	addr := s.Addr()
	s.stop()
	for _, f := range whileDown {
		f()
	}
	s.cfg.Listen = addr
	if s.cfg.DataDir == "" && s.cfg.NATSURL == "" {
		s.tb.Fatal("natsgwtest: no data dir to restart with")
	}
	if s.cfg.NATSListen != "" {
		s.cfg.NATSListen = "127.0.0.1:0"
	}
	if err := s.start(); err != nil {
		s.tb.Fatal(err)
	}
}

// BufferedBytes reports the bytes org's subscriptions hold in the gateway
// now: messages waiting for slow readers.
func (s *Server) BufferedBytes(org string) int64 { return s.current().BufferedBytes(org) }

// ReloadAuth re-reads the auth file, as SIGHUP does for `natsgw serve`.
func (s *Server) ReloadAuth() error { return s.current().ReloadAuth() }

// Stop stops the server before the test ends (for tests of what clients do
// when the gateway is gone). Cleanup after Stop is a no-op.
func (s *Server) Stop() { s.stop() }

// Client dials the gateway with opts (over TLS trusting the gateway's
// certificate, with WithTLS) and closes the client when the test ends.
func (s *Server) Client(tb testing.TB, opts ...natsgw.Option) *natsgw.Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if tc := s.ClientTLSConfig(); tc != nil {
		opts = append([]natsgw.Option{natsgw.WithTLS(tc)}, opts...)
	}
	c, err := natsgw.Dial(ctx, s.Addr(), opts...)
	if err != nil {
		tb.Fatalf("natsgwtest: dial: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// NATS opens a raw NATS connection to the gateway's NATS (in-process when
// embedded), closed when the test ends. Subjects there are the mapped ones:
// "<root>.<org>.<subject>", root "tenant" by default.
func (s *Server) NATS(tb testing.TB, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	nc, err := s.current().ConnectNATS(opts...)
	if err != nil {
		tb.Fatalf("natsgwtest: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// tbHandler writes log records to tb.Log until the test ends (logging after
// that would panic).
type tbHandler struct {
	slog.Handler
	state *tbState
}

type tbState struct {
	mu   sync.Mutex
	tb   testing.TB
	done bool
}

func (st *tbState) Write(p []byte) (int, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.done {
		st.tb.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

func newTBHandler(tb testing.TB, level slog.Level) slog.Handler {
	st := &tbState{tb: tb}
	// Registered first, so it runs last: after the server has stopped.
	tb.Cleanup(func() {
		st.mu.Lock()
		st.done = true
		st.mu.Unlock()
	})
	return slog.NewTextHandler(st, &slog.HandlerOptions{Level: level})
}
