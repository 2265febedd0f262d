package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/server"
)

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var scratch config.Config // the command's own flag values; see resolveConfig
	var configFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway (with an embedded NATS server unless --nats-url is given)",
		Long: `Run the gateway.

Without --nats-url, an embedded NATS server runs in the same process, with
JetStream storing data under --data: one command gives a working system.

Every flag can also be set in the environment as NATSGW_<FLAG> (for example
NATSGW_LISTEN, NATSGW_NATS_URL) or in a JSON file given with --config (keys as
the flag names, with '_' for '-'). Precedence: flags > environment > file >
defaults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolveConfig(cmd.Flags(), configFile)
			if err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			return serve(cmd.Context(), cfg, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", os.Getenv("NATSGW_CONFIG"), "JSON config file (env NATSGW_CONFIG)")
	bindServeFlags(cmd.Flags(), &scratch)
	return cmd
}

// bindServeFlags defines the serve flags on fs, bound to cfg's fields, with
// the defaults as documented values.
func bindServeFlags(fs *pflag.FlagSet, cfg *config.Config) {
	d := config.Default()
	fs.StringVar(&cfg.Listen, "listen", d.Listen, "gRPC listen address")
	fs.StringVar(&cfg.DataDir, "data", d.DataDir, "data directory of the embedded NATS (JetStream files)")
	fs.StringVar(&cfg.NATSURL, "nats-url", d.NATSURL, "use this external NATS (comma-separated URLs) instead of the embedded one")
	fs.StringVar(&cfg.NATSListen, "nats-listen", d.NATSListen, "also serve NATS clients over TCP here (embedded mode), e.g. 127.0.0.1:4222; needs --nats-user/--nats-password or --nats-token")
	fs.StringVar(&cfg.NATSUser, "nats-user", d.NATSUser, "user name of the operator credential for TCP clients of the embedded NATS (with --nats-password)")
	fs.StringVar(&cfg.NATSPassword, "nats-password", d.NATSPassword, "password of --nats-user (at least 16 characters)")
	fs.StringVar(&cfg.NATSPasswordFile, "nats-password-file", d.NATSPasswordFile, "read the password of --nats-user from this file")
	fs.StringVar(&cfg.NATSToken, "nats-token", d.NATSToken, "token TCP clients of the embedded NATS may authenticate with instead (at least 16 characters)")
	fs.StringVar(&cfg.NATSTokenFile, "nats-token-file", d.NATSTokenFile, "read --nats-token from this file")
	fs.BoolVar(&cfg.NATSListenInsecure, "nats-listen-insecure", d.NATSListenInsecure, "let clients of a loopback --nats-listen in without credentials")
	fs.StringVar(&cfg.ServerName, "server-name", d.ServerName, "name of the embedded NATS server, unique in a cluster (default natsgw, or <hostname>-<cluster port>)")
	fs.StringVar(&cfg.ClusterName, "cluster-name", d.ClusterName, "make the embedded NATS a node of this NATS cluster (JetStream replicated)")
	fs.StringVar(&cfg.ClusterListen, "cluster-listen", d.ClusterListen, "host:port for routes from the other cluster nodes")
	fs.StringSliceVar(&cfg.Routes, "routes", d.Routes, "route URLs of the other cluster nodes (nats://host:port, comma separated)")
	fs.StringVar(&cfg.ClusterSecret, "cluster-secret", d.ClusterSecret, "password every cluster node presents on routes (the same on all nodes, at least 16 characters); required unless --cluster-listen is loopback")
	fs.StringVar(&cfg.ClusterSecretFile, "cluster-secret-file", d.ClusterSecretFile, "read --cluster-secret from this file")
	fs.StringVar(&cfg.ClusterTLSCert, "cluster-tls-cert", d.ClusterTLSCert, "PEM certificate routes use TLS with (with --cluster-tls-key)")
	fs.StringVar(&cfg.ClusterTLSKey, "cluster-tls-key", d.ClusterTLSKey, "PEM private key of --cluster-tls-cert")
	fs.StringVar(&cfg.ClusterTLSCA, "cluster-tls-ca", d.ClusterTLSCA, "PEM CA certificate; routes verify each other's certificates against it (both ways)")
	fs.Int64Var(&cfg.MaxPayload, "max-payload", d.MaxPayload, "largest message in bytes (data plus headers)")
	fs.StringVar(&cfg.OpsListen, "ops-listen", d.OpsListen, "HTTP address for /metrics and /healthz (off when empty)")
	fs.StringVar(&cfg.ConsoleListen, "console-listen", d.ConsoleListen, "HTTP address of the web console, HTTPS with --tls-cert (off when empty)")
	fs.StringVar(&cfg.LogFormat, "log-format", d.LogFormat, "log format: text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", d.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&cfg.ConsulAddr, "consul-addr", d.ConsulAddr, "register with the Consul agent at this address (e.g. 127.0.0.1:8500)")
	fs.StringVar(&cfg.ConsulService, "consul-service", d.ConsulService, "service name to register in Consul")
	fs.StringVar(&cfg.Advertise, "advertise", d.Advertise, "host:port clients use to reach this instance (default: the listen address)")
	fs.IntVar(&cfg.MaxStreamsPerOrg, "max-streams-per-org", d.MaxStreamsPerOrg, "open streaming calls (subscriptions, consumers, watches, transfers) one org may have on this instance; 0: no limit")
	fs.Int64Var(&cfg.MaxBufferedBytesPerOrg, "max-buffered-bytes-per-org", d.MaxBufferedBytesPerOrg, "bytes one org's subscriptions may hold on this instance for slow readers; beyond it messages are dropped and counted; 0: no bound")
	fs.StringVar(&cfg.AuthFile, "auth-file", d.AuthFile, "JSON file of token digests -> identities; turns on token authentication (reloaded on SIGHUP)")
	fs.StringVar(&cfg.TenantRoot, "tenant-root", d.TenantRoot, "subject token under which organizations live")
	fs.DurationVar((*time.Duration)(&cfg.ShutdownTimeout), "shutdown-timeout", time.Duration(d.ShutdownTimeout), "how long in-flight calls may take to finish on shutdown")
	fs.StringVar(&cfg.TLSCert, "tls-cert", d.TLSCert, "PEM certificate (chain) to serve gRPC over TLS with (with --tls-key; reloaded on SIGHUP)")
	fs.StringVar(&cfg.TLSKey, "tls-key", d.TLSKey, "PEM private key of --tls-cert")
	fs.Float64Var(&cfg.OrgRate, "org-rate", d.OrgRate, "operations per second each organization may make on this instance (calls, stream openings, published messages, KV operations); 0: no limit")
	fs.IntVar(&cfg.OrgBurst, "org-burst", d.OrgBurst, "operations an organization may save up (default: one second of --org-rate)")
	fs.BoolVar(&cfg.KVCache, "kv-cache", d.KVCache, "answer KV Get from a read cache kept current by a NATS watch (a Get with consistent=true reads NATS)")
	fs.IntVar(&cfg.KVCacheBucketKeys, "kv-cache-bucket-keys", d.KVCacheBucketKeys, "KV read cache: most keys a bucket may have to be cached")
	fs.Int64Var(&cfg.KVCacheBucketBytes, "kv-cache-bucket-bytes", d.KVCacheBucketBytes, "KV read cache: most bytes a bucket may take to be cached")
	fs.Int64Var(&cfg.KVCacheOrgBytes, "kv-cache-org-bytes", d.KVCacheOrgBytes, "KV read cache: most bytes one organization's cached buckets may take on this instance")
	fs.StringVar(&cfg.JetStreamSync, "jetstream-sync", d.JetStreamSync, "when the embedded NATS fsyncs JetStream files: always (every write, before its ack) or an interval such as 10s (default: NATS's, 2m)")
}

// resolveConfig layers defaults < file < environment < the flags the user
// set. Environment values go through the same flag parsers, so they are
// checked the same way.
func resolveConfig(cmdFlags *pflag.FlagSet, file string) (config.Config, error) {
	cfg := config.Default()
	if file != "" {
		if err := cfg.LoadFile(file); err != nil {
			return cfg, err
		}
	}
	layer := pflag.NewFlagSet("layer", pflag.ContinueOnError)
	bindServeFlags(layer, &cfg)
	// bindServeFlags reset cfg to the defaults; re-apply the file.
	if file != "" {
		if err := cfg.LoadFile(file); err != nil {
			return cfg, err
		}
	}
	// set applies one value; slices are replaced, not appended to.
	set := func(name string, value string, slice []string) error {
		f := layer.Lookup(name)
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			if slice == nil {
				slice = strings.Split(value, ",")
			}
			return sv.Replace(slice)
		}
		return layer.Set(name, value)
	}
	var err error
	layer.VisitAll(func(f *pflag.Flag) {
		key := "NATSGW_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok && err == nil {
			if e := set(f.Name, v, nil); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	})
	cmdFlags.Visit(func(f *pflag.Flag) {
		if layer.Lookup(f.Name) == nil || err != nil {
			return
		}
		var slice []string
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			slice = sv.GetSlice()
		}
		if e := set(f.Name, f.Value.String(), slice); e != nil {
			err = fmt.Errorf("--%s: %w", f.Name, e)
		}
	})
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// serve runs the gateway until ctx ends (SIGINT/SIGTERM), then shuts down
// gracefully.
func serve(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	srv, err := server.New(cfg, server.Options{Logger: log})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	nats := "embedded, data in " + cfg.DataDir
	if cfg.NATSURL != "" {
		nats = "external at " + cfg.NATSURL
	}
	fmt.Fprintf(stdout, "natsgw %s listening on %s (NATS %s)\n", server.Version(), srv.Addr(), nats)
	if u := srv.NATSClientURL(); u != "" {
		access := "operator credential required"
		if cfg.NATSListenInsecure {
			access = "no credentials required"
		}
		fmt.Fprintf(stdout, "embedded NATS also listening on %s (%s)\n", u, access)
	}
	if cfg.ConsulAddr != "" {
		fmt.Fprintf(stdout, "registered in Consul at %s as %q (%s)\n", cfg.ConsulAddr, cfg.ConsulService, srv.AdvertiseAddr())
	}
	if a := srv.OpsAddr(); a != nil {
		fmt.Fprintf(stdout, "metrics and health on http://%s/metrics, /healthz\n", a)
	}
	if cfg.AuthFile != "" {
		fmt.Fprintf(stdout, "token authentication on (tokens from %s; SIGHUP reloads)\n", cfg.AuthFile)
	}
	if cfg.TLSCert != "" {
		fmt.Fprintf(stdout, "TLS on (certificate %s; SIGHUP reloads)\n", cfg.TLSCert)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var failed error // a serving failure ends serve with an error
wait:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			break wait
		case err := <-srv.Done():
			if err != nil {
				log.Error("serving failed; shutting down", "err", err)
				failed = err
			}
			break wait
		case <-hup:
			if cfg.AuthFile != "" {
				if err := srv.ReloadAuth(); err != nil {
					log.Error("auth reload failed; previous tokens stay in force", "err", err)
				} else {
					log.Info("auth file reloaded", "file", cfg.AuthFile)
				}
			}
			if cfg.TLSCert != "" {
				if err := srv.ReloadTLS(); err != nil {
					log.Error("TLS certificate reload failed; the previous one stays in use", "err", err)
				} else {
					log.Info("TLS certificate reloaded", "file", cfg.TLSCert)
				}
			}
		}
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	log.Info("stopped")
	return failed
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
