package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newPubCmd(g *globals) *cobra.Command {
	var (
		hdr     headerFlag
		count   int
		replyTo string
	)
	cmd := &cobra.Command{
		Use:   "pub SUBJECT [DATA]",
		Short: "Publish a message (data from stdin when DATA is omitted)",
		Long: `Publish a message to SUBJECT in your organization.

Without DATA, the data is all of stdin (until end of file). Pass '' for an
empty message. Prints nothing on success.`,
		Example: `  natsgw pub events.user.login hi
  natsgw pub events.user.login -H source:web -H tag:a -H tag:b '{"user":"u1"}'
  natsgw pub uploads.raw < photo.jpg
  natsgw pub --count 1000 test.bulk x`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 1 {
				return usagef("--count must be at least 1 (got %d)", count)
			}
			data, err := g.dataArg(args, 1)
			if err != nil {
				return err
			}
			m := &natsgw.Msg{Subject: args[0], Data: data, Header: hdr.h, Reply: replyTo}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				return g.callError(fmt.Sprintf("publish to %q", args[0]), publishN(cmd.Context(), g, c, m, count))
			})
		},
	}
	addHeaderFlag(cmd, &hdr, "message")
	cmd.Flags().IntVarP(&count, "count", "c", 1, "publish the message this many times")
	cmd.Flags().StringVar(&replyTo, "reply-to", "", "subject receivers should reply to")
	return cmd
}

// publishN publishes m n times, in order: one call for a single message,
// batches of up to batchMsgs messages (and about batchBytes) otherwise. Each
// call is bounded by --timeout.
func publishN(ctx context.Context, g *globals, c *natsgw.Client, m *natsgw.Msg, n int) error {
	if n == 1 {
		ctx, cancel := g.call(ctx)
		defer cancel()
		return c.PublishMsg(ctx, m)
	}
	const batchMsgs, batchBytes = 1000, 1 << 20
	size := len(m.Data) + 64
	for k, vs := range m.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	per := max(1, min(batchMsgs, batchBytes/size))
	batch := make([]*natsgw.Msg, per)
	for i := range batch {
		batch[i] = m
	}
	for sent := 0; sent < n; {
		k := min(per, n-sent)
		cctx, cancel := g.call(ctx)
		_, err := c.PublishBatch(cctx, batch[:k])
		cancel()
		if err != nil {
			if sent > 0 {
				return fmt.Errorf("after %d of %d messages: %w", sent, n, err)
			}
			return err
		}
		sent += k
	}
	return nil
}

func newSubCmd(g *globals) *cobra.Command {
	var (
		queue  string
		count  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "sub SUBJECT",
		Short: "Subscribe and print messages, one per line",
		Long: `Subscribe to SUBJECT (wildcards: '*' matches one token, '>' the rest; '>'
alone is everything in your organization) and print each message on stdout
as one line "SUBJECT DATA" (DATA that would not print on one line, with a
newline, another control character or invalid UTF-8, is shown as a
double-quoted string with Go escapes: "line1\nline2"), or with --json as a
JSON object:

  {"subject":"events.user.login","data":"hi","headers":{"source":["web"]},"reply":"..."}

"data" holds the payload when it is valid UTF-8; otherwise "data_base64"
holds it, base64-encoded (standard alphabet), so binary payloads stay exact.
"headers" maps each key to all its values; "reply" (the token a reply goes
to) is present only when the publisher expects a reply.

Stdout carries only messages. Once the subscription is active, stderr says
'Subscribed to "SUBJECT"': anything published after that is delivered.
Runs until interrupted (Ctrl-C), or until --count messages arrived. If the
gateway restarts, the subscription re-establishes itself and says so on
stderr.`,
		Example: `  natsgw sub 'events.user.*'
  natsgw sub 'orders.>' --json
  natsgw sub tasks --queue workers --count 10`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return usagef("--count must not be negative (got %d)", count)
			}
			return subscribe(cmd.Context(), g, args[0], queue, count, asJSON)
		},
	}
	cmd.Flags().StringVarP(&queue, "queue", "q", "", "join this queue group: each message goes to one member")
	countFlag(cmd, &count, "exit after this many messages (0: run until interrupted)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each message as a JSON object")
	return cmd
}

func subscribe(ctx context.Context, g *globals, subject, queue string, count int, asJSON bool) error {
	c, err := g.dial(ctx, g.eventPrinter())
	if err != nil {
		return err
	}
	defer c.Close()
	action := fmt.Sprintf("subscribe to %q", subject)
	var opts []natsgw.SubOption
	if queue != "" {
		opts = append(opts, natsgw.WithQueue(queue))
	}
	setup, cancel := g.call(ctx)
	sub, err := c.SubscribeSync(setup, subject, opts...)
	cancel()
	if err != nil {
		return g.callError(action, err)
	}
	fmt.Fprintf(g.stderr, "Subscribed to %q%s\n", subject, inQueue(queue))
	var dropped uint64
	for n := 0; count == 0 || n < count; n++ {
		m, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: the normal end
			}
			return g.callError(action, err)
		}
		if err := writeMsg(g.stdout, m, asJSON); err != nil {
			return err
		}
		if d := sub.Dropped(); d > dropped {
			fmt.Fprintf(g.stderr, "Warning: the gateway dropped %d messages so far because this subscriber was too slow\n", d)
			dropped = d
		}
	}
	uctx, cancel := g.call(ctx)
	defer cancel()
	if err := sub.Unsubscribe(uctx); err != nil && !errors.Is(err, context.Canceled) {
		return g.callError("unsubscribe", err)
	}
	return nil
}

func inQueue(q string) string {
	if q == "" {
		return ""
	}
	return fmt.Sprintf(" in queue group %q", q)
}
