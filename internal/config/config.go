// Package config holds the gateway's configuration: one plain struct, filled
// from defaults, then an optional JSON file, then NATSGW_* environment
// variables, then command-line flags (each later source wins), and checked by
// Validate.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/natsgw/natsgw/internal/kvcache"
	"github.com/natsgw/natsgw/internal/tenant"
)

// Config is everything `natsgw serve` can be told.
type Config struct {
	// Listen is the gRPC address. Default "127.0.0.1:50056".
	Listen string `json:"listen"`
	// DataDir is where the embedded NATS keeps JetStream data. Default
	// "./natsgw-data".
	DataDir string `json:"data"`
	// NATSURL points at an external NATS server or cluster. Empty (default)
	// runs an embedded one.
	NATSURL string `json:"nats_url"`
	// NATSListen is an optional TCP listener for the embedded NATS, so the
	// `nats` CLI can look inside. Empty (default) means none. It needs an
	// operator credential (NATSUser and NATSPassword, or NATSToken) unless
	// it is on loopback and NATSListenInsecure is set.
	NATSListen string `json:"nats_listen"`
	// NATSUser and NATSPassword are the operator credential TCP clients of
	// the embedded NATS authenticate with (NATSPasswordFile: read the
	// password from this file instead).
	NATSUser         string `json:"nats_user"`
	NATSPassword     string `json:"nats_password"`
	NATSPasswordFile string `json:"nats_password_file"`
	// NATSToken is the alternative operator credential: a token
	// (NATSTokenFile: read it from this file instead).
	NATSToken     string `json:"nats_token"`
	NATSTokenFile string `json:"nats_token_file"`
	// NATSListenInsecure lets clients of a loopback NATSListen in without
	// credentials. Default false.
	NATSListenInsecure bool `json:"nats_listen_insecure"`
	// ServerName names the embedded NATS server; unique within a cluster.
	// Default "natsgw", or "<hostname>-<cluster port>" in a cluster.
	ServerName string `json:"server_name"`
	// ClusterName makes the embedded NATS a node of a NATS cluster (JetStream
	// replicated by RAFT). Empty (default): a single node.
	ClusterName string `json:"cluster_name"`
	// ClusterListen is "host:port" for routes from other nodes.
	ClusterListen string `json:"cluster_listen"`
	// Routes are the other nodes' route URLs ("nats://host:port").
	Routes []string `json:"routes"`
	// ClusterSecret is the password every node of the cluster presents on
	// its routes (the same on all nodes); ClusterSecretFile reads it from a
	// file instead. Required when ClusterListen is not a loopback address.
	ClusterSecret     string `json:"cluster_secret"`
	ClusterSecretFile string `json:"cluster_secret_file"`
	// ClusterTLSCert and ClusterTLSKey are PEM files of the certificate and
	// key routes use TLS with (both or neither). ClusterTLSCA, a PEM file of
	// the CA that signed the nodes' certificates, makes routes verify each
	// other's certificates both ways; without it, the system roots verify
	// the server side only.
	ClusterTLSCert string `json:"cluster_tls_cert"`
	ClusterTLSKey  string `json:"cluster_tls_key"`
	ClusterTLSCA   string `json:"cluster_tls_ca"`
	// MaxPayload is the largest message (data plus headers) in bytes. Default
	// 8 MiB.
	MaxPayload int64 `json:"max_payload"`
	// OpsListen is an optional HTTP address serving /metrics (Prometheus) and
	// /healthz. Empty (default) means none.
	OpsListen string `json:"ops_listen"`
	// ConsoleListen is an optional HTTP address serving the web console
	// (over TLS when TLSCert is set, since the console carries tokens).
	// Empty (default) means no console.
	ConsoleListen string `json:"console_listen"`
	// LogFormat is "text" (default) or "json".
	LogFormat string `json:"log_format"`
	// LogLevel is "debug", "info" (default), "warn" or "error".
	LogLevel string `json:"log_level"`
	// TenantRoot is the subject token and name prefix under which all
	// organizations live. Default "tenant".
	TenantRoot string `json:"tenant_root"`
	// ConsulAddr, when set, registers this instance with the Consul agent
	// there (with a gRPC health check) so that clients can find it with
	// consul:///<ConsulService>. Empty (default): no registration.
	ConsulAddr string `json:"consul_addr"`
	// ConsulService is the service name to register. Default "natsgw".
	ConsulService string `json:"consul_service"`
	// Advertise is the "host:port" clients (and Consul's health check) use
	// to reach this instance. Default: the listen address, with the host
	// name in place of an unspecified host.
	Advertise string `json:"advertise"`
	// MaxStreamsPerOrg caps the streaming calls (subscriptions, responders,
	// consumers, watches, transfers) one organization may have open on one
	// instance. 0 means no limit. Default 1000.
	MaxStreamsPerOrg int `json:"max_streams_per_org"`
	// MaxBufferedBytesPerOrg bounds the bytes one organization's
	// subscriptions may hold on one instance (messages waiting for slow
	// readers); beyond it messages are dropped and counted. 0 means no
	// bound. Default 64 MiB.
	MaxBufferedBytesPerOrg int64 `json:"max_buffered_bytes_per_org"`
	// AuthFile turns on token authentication: a JSON file mapping token
	// digests to identities (see `natsgw token`). Empty (default) is open
	// mode, where callers state their organization.
	AuthFile string `json:"auth_file"`
	// ShutdownTimeout bounds the graceful part of shutdown. Default 10s.
	ShutdownTimeout Duration `json:"shutdown_timeout"`
	// TLSCert and TLSKey are PEM files of the certificate (chain) and
	// private key the gRPC listener serves TLS with. Both empty (default):
	// plaintext.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// OrgRate caps each organization's operations per second on this
	// instance (unary calls, stream openings, messages published, KV
	// operations on a session). 0 (default): no limit.
	OrgRate float64 `json:"org_rate"`
	// OrgBurst is how many operations an organization may save up. 0:
	// one second's worth of OrgRate.
	OrgBurst int `json:"org_burst"`
	// KVCache turns the KV read cache on (default true): Get answers from a
	// copy of the bucket that a NATS watch keeps current, unless the caller
	// asks for a consistent read. See docs/ARCHITECTURE.md.
	KVCache bool `json:"kv_cache"`
	// KVCacheBucketKeys is the most keys a bucket may have to be cached.
	// Default 100,000.
	KVCacheBucketKeys int `json:"kv_cache_bucket_keys"`
	// KVCacheBucketBytes is the most bytes (keys, values, overhead) a bucket
	// may hold to be cached. Default 64 MiB.
	KVCacheBucketBytes int64 `json:"kv_cache_bucket_bytes"`
	// KVCacheOrgBytes is the most bytes the cached buckets of one
	// organization may hold on this instance. Default 256 MiB.
	KVCacheOrgBytes int64 `json:"kv_cache_org_bytes"`
	// JetStreamSync is when the embedded NATS flushes JetStream files to
	// the disk (fsync): "always" (every write, before it is acknowledged),
	// or an interval such as "10s". Empty (default): NATS's default, every
	// 2 minutes. Writes reach the operating system at once either way; this
	// decides what survives a power loss or kernel crash, not a process
	// crash (docs/ARCHITECTURE.md, Durability).
	JetStreamSync string `json:"jetstream_sync"`
}

// Defaults.
const (
	DefaultListen          = "127.0.0.1:50056"
	DefaultDataDir         = "./natsgw-data"
	DefaultMaxPayload      = 8 << 20
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultMaxStreamsPerOrg is the default of MaxStreamsPerOrg.
	DefaultMaxStreamsPerOrg = 1000
	// DefaultMaxBufferedBytesPerOrg is the default of
	// MaxBufferedBytesPerOrg.
	DefaultMaxBufferedBytesPerOrg = 64 << 20
	// MaxMaxPayload is the largest max payload NATS can carry (64 MiB).
	MaxMaxPayload = 64 << 20
)

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Listen:             DefaultListen,
		DataDir:            DefaultDataDir,
		MaxPayload:         DefaultMaxPayload,
		LogFormat:          "text",
		LogLevel:           "info",
		TenantRoot:         tenant.DefaultRoot,
		ShutdownTimeout:    Duration(DefaultShutdownTimeout),
		ConsulService:      "natsgw",
		MaxStreamsPerOrg:   DefaultMaxStreamsPerOrg,
		KVCache:            true,
		KVCacheBucketKeys:  kvcache.DefaultBucketKeys,
		KVCacheBucketBytes: kvcache.DefaultBucketBytes,
		KVCacheOrgBytes:    kvcache.DefaultOrgBytes,

		MaxBufferedBytesPerOrg: DefaultMaxBufferedBytesPerOrg,
	}
}

// LoadFile overlays the JSON file at path onto c. Fields absent from the file
// keep their values.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Validate reports the first invalid field, by its flag name.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen: %q is not host:port: %w", c.Listen, err)
	}
	if c.NATSURL == "" && c.DataDir == "" {
		return errors.New("data: must not be empty when NATS is embedded")
	}
	if c.NATSURL != "" && c.NATSListen != "" {
		return errors.New("nats-listen: only applies to the embedded NATS; it cannot be combined with nats-url")
	}
	if c.ClusterName != "" || c.ClusterListen != "" || len(c.Routes) > 0 {
		switch {
		case c.NATSURL != "":
			return errors.New("cluster-name: clustering applies to the embedded NATS; it cannot be combined with nats-url")
		case c.ClusterName == "":
			return errors.New("cluster-name: required with cluster-listen or routes")
		case c.ClusterListen == "":
			return errors.New("cluster-listen: required with cluster-name")
		}
		if _, _, err := net.SplitHostPort(c.ClusterListen); err != nil {
			return fmt.Errorf("cluster-listen: %q is not host:port: %w", c.ClusterListen, err)
		}
		if len(c.Routes) == 0 {
			// nats-server refuses a JetStream cluster without configured
			// routes, and its meta group expects at least two peers, so a
			// lone clustered node would never become ready.
			return errors.New("routes: required with cluster-name: a JetStream cluster needs the route URLs of its other nodes (at least one); for a single node, leave out cluster-name and cluster-listen")
		}
		for i, r := range c.Routes {
			if u, err := url.Parse(r); err != nil || u.Host == "" {
				return fmt.Errorf("routes[%d]: %q is not a URL like nats://host:port", i, r)
			}
		}
		if err := c.validateClusterAuth(); err != nil {
			return err
		}
	} else if c.ClusterSecret != "" || c.ClusterSecretFile != "" || c.ClusterTLSCert != "" || c.ClusterTLSKey != "" || c.ClusterTLSCA != "" {
		return errors.New("cluster-secret, cluster-tls-*: only apply with cluster-name")
	}
	if c.NATSListen != "" {
		if _, _, err := net.SplitHostPort(c.NATSListen); err != nil {
			return fmt.Errorf("nats-listen: %q is not host:port: %w", c.NATSListen, err)
		}
	}
	if err := c.validateNATSAuth(); err != nil {
		return err
	}
	if c.ConsoleListen != "" {
		if _, _, err := net.SplitHostPort(c.ConsoleListen); err != nil {
			return fmt.Errorf("console-listen: %q is not host:port: %w", c.ConsoleListen, err)
		}
	}
	if c.OpsListen != "" {
		if _, _, err := net.SplitHostPort(c.OpsListen); err != nil {
			return fmt.Errorf("ops-listen: %q is not host:port: %w", c.OpsListen, err)
		}
	}
	if c.Advertise != "" {
		if _, _, err := net.SplitHostPort(c.Advertise); err != nil {
			return fmt.Errorf("advertise: %q is not host:port: %w", c.Advertise, err)
		}
	}
	if c.MaxStreamsPerOrg < 0 {
		return errors.New("max-streams-per-org: must not be negative (0 means no limit)")
	}
	if c.MaxBufferedBytesPerOrg < 0 {
		return errors.New("max-buffered-bytes-per-org: must not be negative (0 means no bound)")
	}
	if c.ConsulAddr != "" && c.ConsulService == "" {
		return errors.New("consul-service: must not be empty with consul-addr")
	}
	if c.MaxPayload < 1024 || c.MaxPayload > MaxMaxPayload {
		return fmt.Errorf("max-payload: must be between 1 KiB and 64 MiB (got %d)", c.MaxPayload)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format: must be text or json (got %q)", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level: must be debug, info, warn or error (got %q)", c.LogLevel)
	}
	if _, err := tenant.NewMapper(c.TenantRoot); err != nil {
		return fmt.Errorf("tenant-root: %w", err)
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("shutdown-timeout: must be positive")
	}
	if _, _, err := c.JetStreamSyncPolicy(); err != nil {
		return err
	}
	if c.JetStreamSync != "" && c.NATSURL != "" {
		return errors.New("jetstream-sync: applies to the embedded NATS; it cannot be combined with nats-url (set sync_interval in that server's configuration)")
	}
	if c.OrgRate < 0 || math.IsNaN(c.OrgRate) || math.IsInf(c.OrgRate, 0) {
		return errors.New("org-rate: must be a number of operations per second, at least 0 (0 means no limit)")
	}
	if c.OrgBurst < 0 {
		return errors.New("org-burst: must not be negative (0 means one second's worth of org-rate)")
	}
	if c.KVCacheBucketKeys < 1 {
		return errors.New("kv-cache-bucket-keys: must be at least 1")
	}
	if c.KVCacheBucketBytes < 1 {
		return errors.New("kv-cache-bucket-bytes: must be at least 1")
	}
	if c.KVCacheOrgBytes < 1 {
		return errors.New("kv-cache-org-bytes: must be at least 1")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("tls-cert, tls-key: give both (or neither, for plaintext)")
	}
	return nil
}

// MinSecretLen is the shortest cluster secret, operator password or token
// accepted.
const MinSecretLen = 16

// validateNATSAuth checks the operator credential of the embedded NATS.
func (c Config) validateNATSAuth() error {
	credential := c.NATSUser != "" || c.NATSToken != "" || c.NATSTokenFile != ""
	if c.NATSURL != "" && (credential || c.NATSPassword != "" || c.NATSPasswordFile != "" || c.NATSListenInsecure) {
		return errors.New("nats-user, nats-password, nats-token, nats-listen-insecure: only apply to the embedded NATS; they cannot be combined with nats-url")
	}
	switch {
	case c.NATSPassword != "" && c.NATSPasswordFile != "":
		return errors.New("nats-password, nats-password-file: give one, not both")
	case c.NATSToken != "" && c.NATSTokenFile != "":
		return errors.New("nats-token, nats-token-file: give one, not both")
	case c.NATSUser != "" && c.NATSPassword == "" && c.NATSPasswordFile == "":
		return errors.New("nats-password: required with nats-user (or nats-password-file)")
	case c.NATSUser == "" && (c.NATSPassword != "" || c.NATSPasswordFile != ""):
		return errors.New("nats-user: required with nats-password")
	case c.NATSPassword != "" && len(c.NATSPassword) < MinSecretLen:
		return fmt.Errorf("nats-password: must be at least %d characters", MinSecretLen)
	case c.NATSToken != "" && len(c.NATSToken) < MinSecretLen:
		return fmt.Errorf("nats-token: must be at least %d characters", MinSecretLen)
	}
	if c.NATSListenInsecure {
		switch {
		case c.NATSListen == "":
			return errors.New("nats-listen-insecure: only applies with nats-listen")
		case credential:
			return errors.New("nats-listen-insecure: drop it when an operator credential (nats-user or nats-token) is given")
		case !IsLoopback(c.NATSListen):
			return fmt.Errorf("nats-listen-insecure: only allowed when nats-listen is a loopback address (got %q)", c.NATSListen)
		}
		return nil
	}
	if c.NATSListen != "" && !credential {
		return errors.New("nats-listen: needs an operator credential (nats-user and nats-password, or nats-token), or nats-listen-insecure on a loopback address")
	}
	return nil
}

// validateClusterAuth checks the route secret and TLS of a cluster node.
func (c Config) validateClusterAuth() error {
	switch {
	case c.ClusterSecret != "" && c.ClusterSecretFile != "":
		return errors.New("cluster-secret, cluster-secret-file: give one, not both")
	case c.ClusterSecret != "" && len(c.ClusterSecret) < MinSecretLen:
		return fmt.Errorf("cluster-secret: must be at least %d characters", MinSecretLen)
	case c.ClusterSecret == "" && c.ClusterSecretFile == "" && !IsLoopback(c.ClusterListen):
		return fmt.Errorf("cluster-secret: required when cluster-listen is not a loopback address (got %q); or give cluster-secret-file", c.ClusterListen)
	case (c.ClusterTLSCert == "") != (c.ClusterTLSKey == ""):
		return errors.New("cluster-tls-cert, cluster-tls-key: give both (or neither, for plaintext routes)")
	case c.ClusterTLSCA != "" && c.ClusterTLSCert == "":
		return errors.New("cluster-tls-ca: only applies with cluster-tls-cert and cluster-tls-key")
	}
	return nil
}

// IsLoopback reports whether the host of hostPort is a loopback address
// ("localhost", 127.0.0.0/8, ::1). An empty host (every interface) is not.
func IsLoopback(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Duration is a time.Duration that reads and writes as a string ("10s") in
// JSON.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"10s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// JetStreamSync values.
const syncAlways = "always"

// JetStreamSyncPolicy parses JetStreamSync: always, or the interval (0:
// NATS's default).
func (c Config) JetStreamSyncPolicy() (always bool, interval time.Duration, err error) {
	switch c.JetStreamSync {
	case "":
		return false, 0, nil
	case syncAlways:
		return true, 0, nil
	}
	d, err := time.ParseDuration(c.JetStreamSync)
	if err != nil || d <= 0 {
		return false, 0, fmt.Errorf("jetstream-sync: %q must be \"always\" or a positive interval such as 10s", c.JetStreamSync)
	}
	return false, d, nil
}
