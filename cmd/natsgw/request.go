package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newReqCmd(g *globals) *cobra.Command {
	var (
		hdr    headerFlag
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "req SUBJECT [DATA]",
		Short: "Send a request and print the reply's data",
		Long: `Send a request to SUBJECT and print the first reply's data on stdout,
followed by a newline unless it ends with one (--json: the whole reply as a
JSON object, as 'natsgw sub --json' prints messages).

Without DATA, the data is all of stdin (until end of file); pass '' for an
empty request. Waits at most --timeout. Fails (exit status 1) when nobody
listens on SUBJECT ("no responders") or nobody answered in time.`,
		Example: `  natsgw req api.echo hello
  natsgw req api.users.get -H trace:abc 'user_id=123' --timeout 2s`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := g.dataArg(args, 1)
			if err != nil {
				return err
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				reply, err := c.RequestMsg(ctx, &natsgw.Msg{Subject: args[0], Data: data, Header: hdr.h})
				if err != nil {
					return g.callError(fmt.Sprintf("request to %q", args[0]), err)
				}
				if asJSON {
					return writeMsg(g.stdout, reply, true)
				}
				var buf bytes.Buffer
				writeLine(&buf, reply.Data)
				_, err = g.stdout.Write(buf.Bytes())
				return err
			})
		},
	}
	addHeaderFlag(cmd, &hdr, "request")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the reply as a JSON object with its headers")
	return cmd
}

func newReplyCmd(g *globals) *cobra.Command {
	var (
		hdr    headerFlag
		echo   bool
		queue  string
		count  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "reply SUBJECT [RESPONSE]",
		Short: "Answer requests with RESPONSE, or echo them back (--echo)",
		Long: `Answer every request on SUBJECT (wildcards allowed) with RESPONSE, or with
the request's own data (--echo). Each request answered is printed on stdout
like 'natsgw sub' prints messages.

Once the responder is active, stderr says 'Listening for requests on
"SUBJECT"'. Runs until interrupted (Ctrl-C), or until --count requests were
answered. Use --queue so that several responders share the requests.`,
		Example: `  natsgw reply api.echo --echo
  natsgw reply api.time "$(date)" --queue timekeepers`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case echo && len(args) == 2:
				return usagef("give either RESPONSE or --echo, not both")
			case !echo && len(args) == 1:
				return usagef("give a RESPONSE, or --echo to answer with each request's data")
			case count < 0:
				return usagef("--count must not be negative (got %d)", count)
			}
			var response []byte
			if !echo {
				response = []byte(args[1])
			}
			return respond(cmd.Context(), g, args[0], queue, count, asJSON, func(m *natsgw.Msg) []byte {
				if echo {
					return m.Data
				}
				return response
			}, hdr.h)
		},
	}
	addHeaderFlag(cmd, &hdr, "response")
	cmd.Flags().BoolVar(&echo, "echo", false, "answer each request with its own data")
	cmd.Flags().StringVarP(&queue, "queue", "q", "", "join this queue group: each request goes to one member")
	countFlag(cmd, &count, "exit after answering this many requests (0: run until interrupted)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each request as a JSON object")
	return cmd
}

func respond(ctx context.Context, g *globals, subject, queue string, count int, asJSON bool, answer func(*natsgw.Msg) []byte, h natsgw.Header) error {
	c, err := g.dial(ctx, g.eventPrinter())
	if err != nil {
		return err
	}
	defer c.Close()
	action := fmt.Sprintf("reply on %q", subject)
	var opts []natsgw.SubOption
	if queue != "" {
		opts = append(opts, natsgw.WithQueue(queue))
	}
	// The handler runs on the subscription's goroutine, one request at a
	// time, so n needs no lock; done is closed after the count-th answer.
	done := make(chan struct{})
	n := 0
	handler := func(m *natsgw.Msg) {
		if count > 0 && n >= count {
			return // answered enough; leave it to other responders
		}
		n++
		if err := writeMsg(g.stdout, m, asJSON); err != nil {
			fmt.Fprintf(g.stderr, "Warning: %v\n", err)
		}
		rctx, cancel := g.call(ctx)
		err := m.RespondWithHeader(rctx, answer(m), h)
		cancel()
		if err != nil {
			fmt.Fprintf(g.stderr, "Warning: %v\n", g.callError("answer request on "+m.Subject, err))
		}
		if count > 0 && n == count {
			close(done)
		}
	}
	setup, cancel := g.call(ctx)
	sub, err := c.Handle(setup, subject, handler, opts...)
	cancel()
	if err != nil {
		return g.callError(action, err)
	}
	fmt.Fprintf(g.stderr, "Listening for requests on %q%s\n", subject, inQueue(queue))
	select {
	case <-done:
	case <-sub.Done():
		if err := sub.Err(); err != nil {
			return g.callError(action, err)
		}
		return nil
	case <-ctx.Done():
		return nil // interrupted: the normal end
	}
	uctx, cancel := g.call(ctx)
	defer cancel()
	if err := sub.Unsubscribe(uctx); err != nil {
		return g.callError("unsubscribe", err)
	}
	return nil
}
