package config

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidate: every rule of Validate, each with the exact message a user
// sees (it names the flag and says what is wrong), and configurations that
// pass. The NATS credential rules (validateNATSAuth, validateClusterAuth)
// have their own table in TestValidateNATSCredentials.
func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"external NATS without a data directory", func(c *Config) { c.NATSURL, c.DataDir = "nats://127.0.0.1:4222", "" }, ""},
		{"cluster node", func(c *Config) {
			c.ClusterName, c.ClusterListen, c.Routes = "c1", "127.0.0.1:6222", []string{"nats://127.0.0.1:6223"}
		}, ""},
		{"everything optional set", func(c *Config) {
			c.NATSListen, c.NATSToken = "127.0.0.1:4222", "0123456789abcdef"
			c.ConsoleListen, c.OpsListen, c.Advertise = "127.0.0.1:8080", ":9090", "gw.example:50056"
			c.ConsulAddr, c.TLSCert, c.TLSKey = "127.0.0.1:8500", "cert.pem", "key.pem"
			c.OrgRate, c.OrgBurst, c.MaxStreamsPerOrg = 100.5, 10, 0
			c.LogFormat, c.LogLevel, c.MaxPayload = "json", "debug", MaxMaxPayload
		}, ""},
		{"smallest max payload", func(c *Config) { c.MaxPayload = 1024 }, ""},

		{"listen without a port", func(c *Config) { c.Listen = "localhost" },
			`listen: "localhost" is not host:port: address localhost: missing port in address`},
		{"no data directory with embedded NATS", func(c *Config) { c.DataDir = "" },
			"data: must not be empty when NATS is embedded"},
		{"nats-listen with nats-url", func(c *Config) { c.NATSURL, c.NATSListen = "nats://h:4222", "127.0.0.1:4222" },
			"nats-listen: only applies to the embedded NATS; it cannot be combined with nats-url"},
		{"cluster with nats-url", func(c *Config) { c.NATSURL, c.ClusterName = "nats://h:4222", "c1" },
			"cluster-name: clustering applies to the embedded NATS; it cannot be combined with nats-url"},
		{"routes without cluster-name", func(c *Config) { c.ClusterListen, c.Routes = "127.0.0.1:6222", []string{"nats://h:6222"} },
			"cluster-name: required with cluster-listen or routes"},
		{"cluster-listen without cluster-name", func(c *Config) { c.ClusterListen = "127.0.0.1:6222" },
			"cluster-name: required with cluster-listen or routes"},
		{"cluster-name without cluster-listen", func(c *Config) { c.ClusterName = "c1" },
			"cluster-listen: required with cluster-name"},
		{"cluster-listen without a port", func(c *Config) { c.ClusterName, c.ClusterListen = "c1", "h" },
			`cluster-listen: "h" is not host:port: address h: missing port in address`},
		{"route that is not a URL", func(c *Config) {
			c.ClusterName, c.ClusterListen, c.Routes = "c1", "127.0.0.1:6222", []string{"nats://a:1", "h:6222"}
		}, `routes[1]: "h:6222" is not a URL like nats://host:port`},
		{"route with a bad escape", func(c *Config) {
			c.ClusterName, c.ClusterListen, c.Routes = "c1", "127.0.0.1:6222", []string{"nats://%zz"}
		}, `routes[0]: "nats://%zz" is not a URL like nats://host:port`},
		{"cluster-name without routes", func(c *Config) { c.ClusterName, c.ClusterListen = "c1", "127.0.0.1:6222" },
			"routes: required with cluster-name: a JetStream cluster needs the route URLs of its other nodes (at least one); for a single node, leave out cluster-name and cluster-listen"},
		{"jetstream-sync neither always nor an interval", func(c *Config) { c.JetStreamSync = "sometimes" },
			`jetstream-sync: "sometimes" must be "always" or a positive interval such as 10s`},
		{"jetstream-sync with nats-url", func(c *Config) { c.NATSURL, c.JetStreamSync = "nats://h:4222", "always" },
			"jetstream-sync: applies to the embedded NATS; it cannot be combined with nats-url (set sync_interval in that server's configuration)"},
		{"nats-listen without a port", func(c *Config) { c.NATSListen = "h" },
			`nats-listen: "h" is not host:port: address h: missing port in address`},
		{"console-listen without a port", func(c *Config) { c.ConsoleListen = "h" },
			`console-listen: "h" is not host:port: address h: missing port in address`},
		{"ops-listen without a port", func(c *Config) { c.OpsListen = "h" },
			`ops-listen: "h" is not host:port: address h: missing port in address`},
		{"advertise without a port", func(c *Config) { c.Advertise = "h" },
			`advertise: "h" is not host:port: address h: missing port in address`},
		{"negative max streams per org", func(c *Config) { c.MaxStreamsPerOrg = -1 },
			"max-streams-per-org: must not be negative (0 means no limit)"},
		{"consul-addr without a service", func(c *Config) { c.ConsulAddr, c.ConsulService = "127.0.0.1:8500", "" },
			"consul-service: must not be empty with consul-addr"},
		{"max payload below 1 KiB", func(c *Config) { c.MaxPayload = 1023 },
			"max-payload: must be between 1 KiB and 64 MiB (got 1023)"},
		{"max payload above 64 MiB", func(c *Config) { c.MaxPayload = MaxMaxPayload + 1 },
			"max-payload: must be between 1 KiB and 64 MiB (got 67108865)"},
		{"unknown log format", func(c *Config) { c.LogFormat = "xml" },
			`log-format: must be text or json (got "xml")`},
		{"unknown log level", func(c *Config) { c.LogLevel = "trace" },
			`log-level: must be debug, info, warn or error (got "trace")`},
		{"empty tenant root", func(c *Config) { c.TenantRoot = "" },
			"tenant-root: tenant root must not be empty"},
		{"tenant root with a dot", func(c *Config) { c.TenantRoot = "a.b" },
			`tenant-root: tenant root "a.b" may contain only letters, digits and '-'`},
		{"tenant root too long", func(c *Config) { c.TenantRoot = strings.Repeat("t", 33) },
			"tenant-root: tenant root must be at most 32 characters"},
		{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 },
			"shutdown-timeout: must be positive"},
		{"negative shutdown timeout", func(c *Config) { c.ShutdownTimeout = Duration(-time.Second) },
			"shutdown-timeout: must be positive"},
		{"negative org rate", func(c *Config) { c.OrgRate = -1 },
			"org-rate: must be a number of operations per second, at least 0 (0 means no limit)"},
		{"NaN org rate", func(c *Config) { c.OrgRate = math.NaN() },
			"org-rate: must be a number of operations per second, at least 0 (0 means no limit)"},
		{"infinite org rate", func(c *Config) { c.OrgRate = math.Inf(1) },
			"org-rate: must be a number of operations per second, at least 0 (0 means no limit)"},
		{"negative org burst", func(c *Config) { c.OrgBurst = -1 },
			"org-burst: must not be negative (0 means one second's worth of org-rate)"},
		{"zero kv cache bucket keys", func(c *Config) { c.KVCacheBucketKeys = 0 },
			"kv-cache-bucket-keys: must be at least 1"},
		{"zero kv cache bucket bytes", func(c *Config) { c.KVCacheBucketBytes = 0 },
			"kv-cache-bucket-bytes: must be at least 1"},
		{"negative kv cache org bytes", func(c *Config) { c.KVCacheOrgBytes = -1 },
			"kv-cache-org-bytes: must be at least 1"},
		{"tls-cert without tls-key", func(c *Config) { c.TLSCert = "cert.pem" },
			"tls-cert, tls-key: give both (or neither, for plaintext)"},
		{"tls-key without tls-cert", func(c *Config) { c.TLSKey = "key.pem" },
			"tls-cert, tls-key: give both (or neither, for plaintext)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate: nil, want %q", tc.want)
			case tc.want != "" && err.Error() != tc.want:
				t.Fatalf("Validate:\n got  %q\n want %q", err, tc.want)
			}
		})
	}
}

// TestLoadFile: a file overlays only the fields it names; durations are
// strings; a bad file names itself.
func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"listen": "0.0.0.0:1", "shutdown_timeout": "3s", "routes": ["nats://a:1"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(good); err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if c.Listen != "0.0.0.0:1" || c.ShutdownTimeout != Duration(3*time.Second) || len(c.Routes) != 1 || c.LogLevel != "info" {
		t.Fatalf("loaded %+v", c)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"shutdown_timeout": 10}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadFile(bad); err == nil || !strings.Contains(err.Error(), "config file "+bad) || !strings.Contains(err.Error(), `duration must be a string like "10s"`) {
		t.Fatalf("LoadFile of a number duration: %v", err)
	}
	if err := c.LoadFile(filepath.Join(dir, "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "config file: ") {
		t.Fatalf("LoadFile of a missing file: %v", err)
	}
}
