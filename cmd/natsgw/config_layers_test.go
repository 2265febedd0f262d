package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

// TestServeConfigLayers checks defaults < file < env < flags, slices
// included. Not parallel: it sets environment variables.
func TestServeConfigLayers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "natsgw.json")
	testutil.NoErr(t, os.WriteFile(file, []byte(`{
		"listen": "127.0.0.1:1111",
		"data": "/from/file",
		"log_level": "debug",
		"cluster_name": "c1",
		"cluster_listen": "127.0.0.1:6222",
		"routes": ["nats://file:1"],
		"shutdown_timeout": "3s"
	}`), 0o600), "write config file")
	t.Setenv("NATSGW_DATA", "/from/env")
	t.Setenv("NATSGW_LOG_LEVEL", "warn")
	t.Setenv("NATSGW_ROUTES", "nats://env:1,nats://env:2")

	cmd := newServeCmd(os.Stdout, os.Stderr)
	testutil.NoErr(t, cmd.ParseFlags([]string{"--log-level", "error", "--routes", "nats://flag:1"}), "parse flags")
	cfg, err := resolveConfig(cmd.Flags(), file)
	testutil.NoErr(t, err, "resolve")

	testutil.Equal(t, cfg.Listen, "127.0.0.1:1111", "listen (file)")
	testutil.Equal(t, cfg.DataDir, "/from/env", "data (env over file)")
	testutil.Equal(t, cfg.LogLevel, "error", "log level (flag over env)")
	testutil.Equal(t, cfg.Routes, []string{"nats://flag:1"}, "routes (flag replaces env)")
	testutil.Equal(t, cfg.ClusterName, "c1", "cluster name (file)")
	testutil.Equal(t, cfg.MaxPayload, int64(8<<20), "max payload (default)")
	testutil.Equal(t, cfg.ShutdownTimeout.String(), "3s", "shutdown timeout (file)")

	t.Setenv("NATSGW_MAX_PAYLOAD", "lots")
	_, err = resolveConfig(newServeCmd(os.Stdout, os.Stderr).Flags(), "")
	if err == nil || !strings.Contains(err.Error(), "NATSGW_MAX_PAYLOAD") {
		t.Fatalf("bad env value: got %v, want an error naming NATSGW_MAX_PAYLOAD", err)
	}
}

// TestServeTLSConfig: --tls-cert and --tls-key come together; a gateway
// with a broken key pair does not start.
func TestServeTLSConfig(t *testing.T) {
	t.Parallel()
	cmd := newServeCmd(os.Stdout, os.Stderr)
	testutil.NoErr(t, cmd.ParseFlags([]string{"--tls-cert", "cert.pem"}), "parse flags")
	_, err := resolveConfig(cmd.Flags(), "")
	if err == nil || !strings.Contains(err.Error(), "tls-key") {
		t.Fatalf("tls-cert alone: %v, want an error naming tls-key", err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	testutil.NoErr(t, os.WriteFile(cert, []byte("not a certificate"), 0o600), "write")
	testutil.NoErr(t, os.WriteFile(key, []byte("not a key"), 0o600), "write")
	err = Run(testutil.Context(t), []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key}, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "tls-cert") {
		t.Fatalf("serve with a broken key pair: %v, want an error naming tls-cert", err)
	}
}

// TestServeClusterWithoutRoutes: a lone node with --cluster-name refuses to
// start and says why (nats-server would never make it ready).
func TestServeClusterWithoutRoutes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := Run(testutil.Context(t), []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--cluster-name", "c1", "--cluster-listen", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "routes: required with cluster-name") {
		t.Fatalf("serve --cluster-name without --routes: %v, want an error naming routes", err)
	}
}

// TestServeJetStreamSyncConfig: --jetstream-sync is always or an interval,
// and only for the embedded NATS.
func TestServeJetStreamSyncConfig(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--jetstream-sync", "sometimes"},
		{"--jetstream-sync", "-1s"},
		{"--jetstream-sync", "always", "--nats-url", "nats://127.0.0.1:4222"},
	} {
		cmd := newServeCmd(os.Stdout, os.Stderr)
		testutil.NoErr(t, cmd.ParseFlags(args), "parse flags")
		_, err := resolveConfig(cmd.Flags(), "")
		if err == nil || !strings.Contains(err.Error(), "jetstream-sync") {
			t.Errorf("%v: %v, want an error naming jetstream-sync", args, err)
		}
	}
	for _, v := range []string{"always", "10s"} {
		cmd := newServeCmd(os.Stdout, os.Stderr)
		testutil.NoErr(t, cmd.ParseFlags([]string{"--jetstream-sync", v}), "parse flags")
		cfg, err := resolveConfig(cmd.Flags(), "")
		testutil.NoErr(t, err, "--jetstream-sync "+v)
		testutil.Equal(t, cfg.JetStreamSync, v, "jetstream sync")
	}
}

// TestServeOrgRateConfig: the rate limit flags are checked.
func TestServeOrgRateConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ args []string }{
		{[]string{"--org-rate", "-1"}},
		{[]string{"--org-rate", "NaN"}},
		{[]string{"--org-rate", "10", "--org-burst", "-5"}},
	} {
		cmd := newServeCmd(os.Stdout, os.Stderr)
		testutil.NoErr(t, cmd.ParseFlags(tc.args), "parse flags")
		_, err := resolveConfig(cmd.Flags(), "")
		if err == nil || !strings.Contains(err.Error(), "org-") {
			t.Errorf("%v: %v, want an error naming the flag", tc.args, err)
		}
	}
	cmd := newServeCmd(os.Stdout, os.Stderr)
	testutil.NoErr(t, cmd.ParseFlags([]string{"--org-rate", "2.5", "--org-burst", "10"}), "parse flags")
	cfg, err := resolveConfig(cmd.Flags(), "")
	testutil.NoErr(t, err, "valid rate")
	testutil.Equal(t, [2]any{cfg.OrgRate, cfg.OrgBurst}, [2]any{2.5, 10}, "rate and burst")
}

// TestServeNATSCredentials: the cluster secret comes from the environment
// too; a cluster listening beyond loopback needs one, and --nats-listen
// refuses to start without an operator credential. Not parallel: it sets
// environment variables.
func TestServeNATSCredentials(t *testing.T) {
	t.Setenv("NATSGW_CLUSTER_SECRET", "secret-from-env-0123")
	t.Setenv("NATSGW_NATS_TOKEN", "token-from-env-01234")
	cmd := newServeCmd(os.Stdout, os.Stderr)
	testutil.NoErr(t, cmd.ParseFlags([]string{"--cluster-name", "c", "--cluster-listen", "0.0.0.0:6222", "--routes", "nats://10.0.0.2:6222", "--nats-listen", "0.0.0.0:4222"}), "parse flags")
	cfg, err := resolveConfig(cmd.Flags(), "")
	testutil.NoErr(t, err, "resolve")
	testutil.Equal(t, cfg.ClusterSecret, "secret-from-env-0123", "cluster secret (env)")
	testutil.Equal(t, cfg.NATSToken, "token-from-env-01234", "NATS token (env)")

	os.Unsetenv("NATSGW_CLUSTER_SECRET")
	os.Unsetenv("NATSGW_NATS_TOKEN")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cluster-name", "c", "--cluster-listen", "0.0.0.0:6222", "--routes", "nats://10.0.0.2:6222"}, "cluster-secret: required"},
		{[]string{"--nats-listen", "127.0.0.1:0"}, "nats-listen: needs an operator credential"},
		{[]string{"--nats-listen", "0.0.0.0:0", "--nats-listen-insecure"}, "nats-listen-insecure: only allowed"},
	} {
		err := Run(testutil.Context(t), append([]string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, tc.args...), strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("serve %v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	short := filepath.Join(t.TempDir(), "secret")
	testutil.NoErr(t, os.WriteFile(short, []byte("short\n"), 0o600), "write")
	err = Run(testutil.Context(t), []string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--cluster-name", "c", "--cluster-listen", "127.0.0.1:0", "--routes", "nats://127.0.0.1:1", "--cluster-secret-file", short}, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cluster-secret-file") {
		t.Fatalf("serve with a short secret file: %v, want an error naming cluster-secret-file", err)
	}
}
