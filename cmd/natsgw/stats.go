package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

// jsonStats is the --json form of natsgw stats.
type jsonStats struct {
	Streams       uint64    `json:"streams"`
	Consumers     uint64    `json:"consumers"`
	Messages      uint64    `json:"messages"`
	Bytes         uint64    `json:"bytes"`
	KVBuckets     uint64    `json:"kv_buckets"`
	KVBytes       uint64    `json:"kv_bytes"`
	ObjectBuckets uint64    `json:"object_buckets"`
	ObjectBytes   uint64    `json:"object_bytes"`
	Subscriptions uint64    `json:"subscriptions"`
	InMsgs        uint64    `json:"in_msgs"`
	InBytes       uint64    `json:"in_bytes"`
	OutMsgs       uint64    `json:"out_msgs"`
	OutBytes      uint64    `json:"out_bytes"`
	TrafficSince  time.Time `json:"traffic_since"`
	Connections   uint64    `json:"connections"`
}

func newStatsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Statistics of your organization: streams, consumers, messages, buckets, traffic",
		Long: `Print statistics of the organization you act in: streams, consumers and
the messages and bytes they hold, key-value and object buckets (from JetStream,
the same through every gateway instance), open subscriptions and the messages
in and out through the gateway instance answering (since it started), and
the clients connected to that instance.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var st *natsgw.Statistics
			err := g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				var err error
				st, err = c.Statistics(ctx)
				return g.callError("statistics", err)
			})
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(g.stdout).Encode(jsonStats{
					Streams: st.Streams, Consumers: st.Consumers, Messages: st.Msgs, Bytes: st.Bytes,
					KVBuckets: st.KeyValueBuckets, KVBytes: st.KeyValueBytes,
					ObjectBuckets: st.ObjectBuckets, ObjectBytes: st.ObjectBytes,
					Subscriptions: st.Subscriptions,
					InMsgs:        st.InMsgs, InBytes: st.InBytes, OutMsgs: st.OutMsgs, OutBytes: st.OutBytes,
					TrafficSince: st.Since.UTC(), Connections: st.Connections,
				})
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "Streams:\t%d (%d consumers, %d messages, %d bytes)\n", st.Streams, st.Consumers, st.Msgs, st.Bytes)
			fmt.Fprintf(tw, "Key-value buckets:\t%d (%d bytes)\n", st.KeyValueBuckets, st.KeyValueBytes)
			fmt.Fprintf(tw, "Object buckets:\t%d (%d bytes)\n", st.ObjectBuckets, st.ObjectBytes)
			fmt.Fprintf(tw, "Subscriptions:\t%d\n", st.Subscriptions)
			fmt.Fprintf(tw, "Messages in:\t%d (%d bytes)\n", st.InMsgs, st.InBytes)
			fmt.Fprintf(tw, "Messages out:\t%d (%d bytes)\n", st.OutMsgs, st.OutBytes)
			fmt.Fprintf(tw, "Traffic since:\t%s (this gateway instance)\n", st.Since.Local().Format(time.RFC3339))
			fmt.Fprintf(tw, "Connections:\t%d (clients connected to this gateway instance, every organization)\n", st.Connections)
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}
