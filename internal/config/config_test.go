package config_test

import (
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/config"
)

// TestValidateNATSCredentials: every NATS listener of the embedded server
// needs a credential, and Validate names the flag that is missing or wrong.
func TestValidateNATSCredentials(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef"
	cluster := func(listen string) func(*config.Config) {
		return func(c *config.Config) {
			c.ClusterName, c.ClusterListen, c.Routes = "c", listen, []string{"nats://10.0.0.2:6222"}
		}
	}
	tests := []struct {
		name    string
		change  func(*config.Config)
		wantErr string // "" means valid
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"cluster on loopback without a secret", cluster("127.0.0.1:6222"), ""},
		{"cluster on localhost without a secret", cluster("localhost:6222"), ""},
		{"cluster on an address without a secret", cluster("10.0.0.1:6222"), "cluster-secret: required when cluster-listen is not a loopback address"},
		{"cluster on every interface without a secret", cluster(":6222"), "cluster-secret: required"},
		{"cluster on 0.0.0.0 without a secret", cluster("0.0.0.0:6222"), "cluster-secret: required"},
		{"cluster with a secret", func(c *config.Config) { cluster("0.0.0.0:6222")(c); c.ClusterSecret = secret }, ""},
		{"cluster with a secret file", func(c *config.Config) { cluster("0.0.0.0:6222")(c); c.ClusterSecretFile = "/run/secret" }, ""},
		{"secret and secret file", func(c *config.Config) {
			cluster("0.0.0.0:6222")(c)
			c.ClusterSecret, c.ClusterSecretFile = secret, "/run/secret"
		}, "cluster-secret, cluster-secret-file: give one"},
		{"short cluster secret", func(c *config.Config) { cluster("0.0.0.0:6222")(c); c.ClusterSecret = "short" }, "cluster-secret: must be at least 16"},
		{"cluster secret without a cluster", func(c *config.Config) { c.ClusterSecret = secret }, "cluster-secret, cluster-tls-*: only apply with cluster-name"},
		{"cluster TLS cert without key", func(c *config.Config) {
			cluster("127.0.0.1:6222")(c)
			c.ClusterTLSCert = "c.pem"
		}, "cluster-tls-cert, cluster-tls-key: give both"},
		{"cluster TLS CA without cert", func(c *config.Config) {
			cluster("127.0.0.1:6222")(c)
			c.ClusterTLSCA = "ca.pem"
		}, "cluster-tls-ca: only applies with cluster-tls-cert"},
		{"cluster TLS", func(c *config.Config) {
			cluster("0.0.0.0:6222")(c)
			c.ClusterSecret, c.ClusterTLSCert, c.ClusterTLSKey, c.ClusterTLSCA = secret, "c.pem", "k.pem", "ca.pem"
		}, ""},
		{"nats-listen without a credential", func(c *config.Config) { c.NATSListen = "127.0.0.1:4222" }, "nats-listen: needs an operator credential"},
		{"nats-listen with user and password", func(c *config.Config) {
			c.NATSListen, c.NATSUser, c.NATSPassword = "0.0.0.0:4222", "ops", secret
		}, ""},
		{"nats-listen with user and password file", func(c *config.Config) {
			c.NATSListen, c.NATSUser, c.NATSPasswordFile = "0.0.0.0:4222", "ops", "/run/pw"
		}, ""},
		{"nats-listen with a token", func(c *config.Config) { c.NATSListen, c.NATSToken = "0.0.0.0:4222", secret }, ""},
		{"nats-listen with a token file", func(c *config.Config) { c.NATSListen, c.NATSTokenFile = "0.0.0.0:4222", "/run/token" }, ""},
		{"user without password", func(c *config.Config) { c.NATSListen, c.NATSUser = "127.0.0.1:4222", "ops" }, "nats-password: required with nats-user"},
		{"password without user", func(c *config.Config) { c.NATSListen, c.NATSPassword = "127.0.0.1:4222", secret }, "nats-user: required with nats-password"},
		{"short password", func(c *config.Config) {
			c.NATSListen, c.NATSUser, c.NATSPassword = "127.0.0.1:4222", "ops", "pw"
		}, "nats-password: must be at least 16"},
		{"short token", func(c *config.Config) { c.NATSListen, c.NATSToken = "127.0.0.1:4222", "tok" }, "nats-token: must be at least 16"},
		{"token and token file", func(c *config.Config) {
			c.NATSListen, c.NATSToken, c.NATSTokenFile = "127.0.0.1:4222", secret, "/run/token"
		}, "nats-token, nats-token-file: give one"},
		{"insecure on loopback", func(c *config.Config) { c.NATSListen, c.NATSListenInsecure = "127.0.0.1:4222", true }, ""},
		{"insecure on ::1", func(c *config.Config) { c.NATSListen, c.NATSListenInsecure = "[::1]:4222", true }, ""},
		{"insecure on every interface", func(c *config.Config) { c.NATSListen, c.NATSListenInsecure = ":4222", true }, "nats-listen-insecure: only allowed when nats-listen is a loopback address"},
		{"insecure on an address", func(c *config.Config) { c.NATSListen, c.NATSListenInsecure = "10.0.0.1:4222", true }, "nats-listen-insecure: only allowed"},
		{"insecure without nats-listen", func(c *config.Config) { c.NATSListenInsecure = true }, "nats-listen-insecure: only applies with nats-listen"},
		{"insecure with a credential", func(c *config.Config) {
			c.NATSListen, c.NATSListenInsecure, c.NATSToken = "127.0.0.1:4222", true, secret
		}, "nats-listen-insecure: drop it"},
		{"credential with nats-url", func(c *config.Config) { c.NATSURL, c.NATSToken = "nats://10.0.0.1:4222", secret }, "nats-user, nats-password, nats-token, nats-listen-insecure: only apply to the embedded NATS"},
		{"credential for the cluster client listener", func(c *config.Config) { cluster("127.0.0.1:6222")(c); c.NATSToken = secret }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v, want no error", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate: no error, want %q", tt.wantErr)
			case tt.wantErr != "" && !strings.HasPrefix(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %q, want it to start with %q", err, tt.wantErr)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "127.1.2.3:1": true, "[::1]:1": true, "localhost:1": true,
		":1": false, "0.0.0.0:1": false, "10.0.0.1:1": false, "example.com:1": false, "nonsense": false,
	} {
		if got := config.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestValidateMaxBufferedBytesPerOrg(t *testing.T) {
	t.Parallel()
	c := config.Default()
	if c.MaxBufferedBytesPerOrg != 64<<20 {
		t.Fatalf("default %d, want 64 MiB", c.MaxBufferedBytesPerOrg)
	}
	c.MaxBufferedBytesPerOrg = 0
	if err := c.Validate(); err != nil {
		t.Fatalf("0 (no bound): %v", err)
	}
	c.MaxBufferedBytesPerOrg = -1
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "max-buffered-bytes-per-org:") {
		t.Fatalf("negative: %v, want an error naming max-buffered-bytes-per-org", err)
	}
}
