package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/server"
)

// jsonHealth is the --json form of natsgw health.
type jsonHealth struct {
	Healthy          bool   `json:"healthy"`
	NATSConnected    bool   `json:"nats_connected"`
	JetStreamEnabled bool   `json:"jetstream_enabled"`
	NATSVersion      string `json:"nats_server_version"`
	GatewayVersion   string `json:"gateway_version"`
	Mode             string `json:"mode"`
	Connections      uint64 `json:"connections"`
	Reason           string `json:"reason,omitempty"`
	// Deep checks only, in seconds.
	NATSRTT      float64 `json:"nats_rtt_seconds,omitempty"`
	JetStreamRTT float64 `json:"jetstream_rtt_seconds,omitempty"`
}

func newHealthCmd(g *globals) *cobra.Command {
	var asJSON, deep bool
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Ask the gateway how it is (exit status 0 only when healthy)",
		Long: `Ask the gateway how it is and print a summary (--json: a JSON object with
healthy, nats_connected, jetstream_enabled, nats_server_version,
gateway_version, mode, connections and, when unhealthy, reason).

--deep also has the gateway measure a NATS round trip and write and read back
a JetStream message (JSON: nats_rtt_seconds, jetstream_rtt_seconds), so that
healthy means storage works too.

Exit status: 0 when healthy, 1 when unhealthy or not reachable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var h *natsgw.Health
			err := g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				var opts []natsgw.HealthOption
				if deep {
					opts = append(opts, natsgw.WithDeepHealth())
				}
				var err error
				h, err = c.Health(ctx, opts...)
				return g.callError("health", err)
			})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				err = enc.Encode(jsonHealth{
					Healthy: h.Healthy, NATSConnected: h.NATSConnected, JetStreamEnabled: h.JetStream,
					NATSVersion: h.NATSVersion, GatewayVersion: h.GatewayVersion, Mode: mode(h),
					Connections: h.Connections, Reason: h.Reason,
					NATSRTT: h.NATSRTT.Seconds(), JetStreamRTT: h.JetStreamRTT.Seconds(),
				})
			} else {
				err = printHealth(g, h)
			}
			if err != nil {
				return err
			}
			if !h.Healthy {
				return exitCode(1) // the summary says why
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	cmd.Flags().BoolVar(&deep, "deep", false, "also check a NATS round trip and a JetStream write and read")
	return cmd
}

func mode(h *natsgw.Health) string {
	if h.Embedded {
		return "embedded"
	}
	return "external"
}

func printHealth(g *globals, h *natsgw.Health) error {
	yes := map[bool]string{true: "yes", false: "no"}
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "healthy:\t%s\n", yes[h.Healthy])
	if h.Reason != "" {
		fmt.Fprintf(w, "reason:\t%s\n", h.Reason)
	}
	fmt.Fprintf(w, "gateway:\t%s at %s\n", h.GatewayVersion, g.server)
	fmt.Fprintf(w, "NATS:\t%s, %s, connected: %s\n", orUnknown(h.NATSVersion), mode(h), yes[h.NATSConnected])
	fmt.Fprintf(w, "JetStream:\t%s\n", map[bool]string{true: "enabled", false: "not available"}[h.JetStream])
	fmt.Fprintf(w, "connections:\t%d (clients connected to this gateway instance)\n", h.Connections)
	if h.NATSRTT > 0 || h.JetStreamRTT > 0 {
		fmt.Fprintf(w, "NATS RTT:\t%s\n", h.NATSRTT.Round(time.Microsecond))
		fmt.Fprintf(w, "JetStream write+read:\t%s\n", h.JetStreamRTT.Round(time.Microsecond))
	}
	return w.Flush()
}

func orUnknown(s string) string {
	if s == "" {
		return "version unknown"
	}
	return "v" + s
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the client's version and, when reachable, the gateway's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			fmt.Fprintf(g.stdout, "client:  %s (%s %s/%s)\n", server.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			c, err := g.dial(ctx)
			if err != nil {
				fmt.Fprintf(g.stdout, "gateway: not reachable at %s\n", g.server)
				return nil
			}
			defer c.Close()
			hctx, cancel := g.call(ctx)
			defer cancel()
			h, err := c.Health(hctx)
			if err != nil {
				fmt.Fprintf(g.stdout, "gateway: at %s, version unknown (%v)\n", g.server, g.callError("health", err))
				return nil
			}
			fmt.Fprintf(g.stdout, "gateway: %s at %s (NATS %s, %s)\n", h.GatewayVersion, g.server, orUnknown(h.NATSVersion), mode(h))
			return nil
		},
	}
}
