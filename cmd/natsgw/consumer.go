package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newConsumerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consumer",
		Short: "Manage stream consumers and read messages through them",
		Long: `Manage the consumers of a stream and read messages through them.

A consumer remembers, in NATS, which messages of its stream were delivered
and acknowledged: workers sharing a consumer share its messages, and an
unacknowledged message is delivered again after the ack wait.`,
	}
	cmd.AddCommand(newConsumerAddCmd(g), newConsumerLsCmd(g), newConsumerInfoCmd(g), newConsumerRmCmd(g), newConsumerNextCmd(g))
	return cmd
}

var (
	deliverNames = map[natsgw.DeliverPolicy]string{
		natsgw.DeliverAll: "all", natsgw.DeliverLast: "last", natsgw.DeliverNew: "new",
		natsgw.DeliverByStartSequence: "by-start-sequence", natsgw.DeliverByStartTime: "by-start-time",
		natsgw.DeliverLastPerSubject: "last-per-subject",
	}
	ackNames    = map[natsgw.AckPolicy]string{natsgw.AckExplicit: "explicit", natsgw.AckAll: "all", natsgw.AckNone: "none"}
	replayNames = map[natsgw.ReplayPolicy]string{natsgw.ReplayInstant: "instant", natsgw.ReplayOriginal: "original"}
)

func newConsumerAddCmd(g *globals) *cobra.Command {
	var (
		cfg    natsgw.ConsumerConfig
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "add STREAM NAME",
		Short: "Create a durable consumer (a no-op if it exists with the same configuration)",
		Long: `Create the durable consumer NAME on STREAM and print it as "consumer info"
does. Creating one that exists with the same configuration succeeds; with a
different one it fails ("already exists").

With --dead-letter, messages that reach --max-deliver deliveries or are
terminated are copied to the stream "_dlq_STREAM", with headers naming where
they came from.`,
		Example: `  natsgw consumer add TASKS worker-1 --filter 'tasks.>'
  natsgw consumer add TASKS worker --ack-wait 30s --max-deliver 5 --dead-letter
  natsgw consumer add EVENTS audit --deliver new --ack none`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Name = args[1]
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				info, err := c.CreateConsumer(ctx, args[0], cfg)
				if err != nil {
					return g.callError(fmt.Sprintf("create consumer %q of stream %q", args[1], args[0]), err)
				}
				return printConsumer(g.stdout, info, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.FilterSubjects, "filter", nil, "only messages on these subjects or patterns (comma-separated or repeated)")
	f.StringVar(&cfg.Description, "description", "", "free text")
	f.Var(newChoice(&cfg.DeliverPolicy, "all", invert(deliverNames)), "deliver", "where to start: all, new, last, last-per-subject, by-start-sequence (--start-seq)")
	f.Uint64Var(&cfg.OptStartSeq, "start-seq", 0, "first sequence, with --deliver by-start-sequence")
	f.Var(newChoice(&cfg.AckPolicy, "explicit", invert(ackNames)), "ack", "acknowledgements: explicit, all or none")
	f.DurationVar(&cfg.AckWait, "ack-wait", 0, "wait this long for an ack before delivering again (0: 30s)")
	f.IntVar(&cfg.MaxDeliver, "max-deliver", 0, "most deliveries of one message (0: unlimited)")
	f.DurationSliceVar(&cfg.BackOff, "backoff", nil, "redelivery delays by delivery count, e.g. 1s,10s,1m (needs --max-deliver above their number)")
	f.IntVar(&cfg.MaxAckPending, "max-ack-pending", 0, "most unacknowledged messages at once (0: 1000)")
	f.Var(newChoice(&cfg.ReplayPolicy, "instant", invert(replayNames)), "replay", "instant or original (the pace they were stored at)")
	f.BoolVar(&cfg.DeadLetter, "dead-letter", false, "copy messages past --max-deliver or terminated to the stream _dlq_STREAM")
	f.BoolVar(&asJSON, "json", false, "print the consumer as a JSON object")
	return cmd
}

func invert[T comparable](m map[T]string) map[string]T {
	out := make(map[string]T, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

func newConsumerLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls STREAM",
		Aliases: []string{"list"},
		Short:   "List a stream's consumers",
		Long: `List the consumers of STREAM, one per line: name, messages not yet
delivered, delivered but unacknowledged, redelivered, and filters. --json
prints a JSON array of the objects "consumer info --json" prints.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				list, err := c.Consumers(ctx, args[0])
				if err != nil {
					return g.callError(fmt.Sprintf("list consumers of stream %q", args[0]), err)
				}
				if asJSON {
					out := make([]jsonConsumer, len(list))
					for i, ci := range list {
						out[i] = consumerJSON(ci)
					}
					return writeJSON(g.stdout, out)
				}
				if len(list) == 0 {
					fmt.Fprintf(g.stderr, "No consumers on stream %q\n", args[0])
					return nil
				}
				w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tPENDING\tACK PENDING\tREDELIVERED\tFILTER")
				for _, ci := range list {
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\n", ci.Name, ci.NumPending, ci.NumAckPending, ci.NumRedelivered, strings.Join(ci.Config.FilterSubjects, ","))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newConsumerInfoCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info STREAM NAME",
		Short: "Show a consumer's configuration and state",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				info, err := c.ConsumerInfo(ctx, args[0], args[1])
				if err != nil {
					return g.callError(fmt.Sprintf("consumer %q of stream %q", args[1], args[0]), err)
				}
				return printConsumer(g.stdout, info, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func newConsumerRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm STREAM NAME",
		Short: "Delete a consumer",
		Long:  `Delete consumer NAME of STREAM (the stream's messages stay). Prints nothing on success.`,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				return g.callError(fmt.Sprintf("delete consumer %q of stream %q", args[1], args[0]), c.DeleteConsumer(ctx, args[0], args[1]))
			})
		},
	}
}

func newConsumerNextCmd(g *globals) *cobra.Command {
	var (
		count  int
		noAck  bool
		nak    bool
		term   bool
		reason string
		asJSON bool
		wait   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "next STREAM NAME",
		Short: "Read the next messages through a consumer, print and acknowledge them",
		Long: `Pull up to --count messages (default 1) through consumer NAME of STREAM,
print each, and acknowledge it once printed. Instead of acknowledging:
--no-ack leaves it (delivered again after the consumer's ack wait), --nak
asks for it again now, --term gives up on it (it is not delivered again).
A message given up on, or past the consumer's --max-deliver, goes to the
stream "_dlq_STREAM" when the consumer was made with --dead-letter.

Each message prints as one line "SUBJECT DATA" (quoted with Go escapes when
it would not print on one line, as in "sub"), or with --json as a JSON
object: subject, data (UTF-8) or data_base64, headers, and stream,
consumer, sequence, consumer_sequence, deliveries, time.

Waits up to --wait for the first message. Exit status 1 when none came.`,
		Example: `  natsgw consumer next TASKS worker-1
  natsgw consumer next TASKS worker-1 --count 10 --json
  natsgw consumer next TASKS worker-1 --term --reason "bad input"   # to _dlq_TASKS with --dead-letter
  natsgw consumer next _dlq_TASKS inspect --no-ack --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case count < 1 || count > 10000:
				return usagef("--count must be between 1 and 10000 (got %d)", count)
			case btoi(noAck)+btoi(nak)+btoi(term) > 1:
				return usagef("give at most one of --no-ack, --nak, --term")
			case reason != "" && !term:
				return usagef("--reason goes with --term")
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				action := fmt.Sprintf("read from consumer %q of stream %q", args[1], args[0])
				msgs, err := c.Pull(ctx, args[0], args[1], count, natsgw.WithMaxWait(wait))
				if err != nil {
					return g.callError(action, err)
				}
				if len(msgs) == 0 {
					fmt.Fprintf(g.stderr, "No message within %s\n", wait)
					return exitCode(1)
				}
				for _, m := range msgs {
					if err := writeStreamMsg(g.stdout, m, asJSON); err != nil {
						return err
					}
				}
				actx, cancel := g.call(cmd.Context())
				defer cancel()
				switch {
				case noAck:
					return nil
				case nak, term:
					for _, m := range msgs {
						if nak {
							err = g.callError("nak", m.Nak(actx))
						} else {
							err = g.callError("terminate", m.TermWithReason(actx, reason))
						}
						if err != nil {
							return err
						}
					}
					return nil
				}
				return g.callError("acknowledge", c.AckMsgs(actx, msgs...))
			})
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 1, "read up to this many messages")
	cmd.Flags().BoolVar(&noAck, "no-ack", false, "do not acknowledge (the messages come back after the ack wait)")
	cmd.Flags().BoolVar(&nak, "nak", false, "instead of acknowledging, ask for the messages again now (counts toward --max-deliver)")
	cmd.Flags().BoolVar(&term, "term", false, "instead of acknowledging, give up on the messages (dead letters with --dead-letter)")
	cmd.Flags().StringVar(&reason, "reason", "", "with --term: why (kept in the dead letter's Natsgw-Dlq-Term-Reason header)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each message as a JSON object")
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Second, "how long to wait for the first message (at most --timeout)")
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonStreamMsg is the --json form of a message read through a consumer.
type jsonStreamMsg struct {
	Subject          string              `json:"subject"`
	Data             *string             `json:"data,omitempty"`
	DataBase64       string              `json:"data_base64,omitempty"`
	Headers          map[string][]string `json:"headers"`
	Stream           string              `json:"stream"`
	Consumer         string              `json:"consumer"`
	Sequence         uint64              `json:"sequence"`
	ConsumerSequence uint64              `json:"consumer_sequence"`
	Deliveries       uint64              `json:"deliveries"`
	Time             time.Time           `json:"time"`
}

func writeStreamMsg(w io.Writer, m *natsgw.StreamMsg, asJSON bool) error {
	if asJSON {
		j := jsonStreamMsg{
			Subject: m.Subject, Headers: headersOrEmpty(m.Header), Stream: m.Stream, Consumer: m.Consumer,
			Sequence: m.Sequence, ConsumerSequence: m.ConsumerSequence, Deliveries: m.Deliveries, Time: m.Time,
		}
		j.Data, j.DataBase64 = jsonPayload(m.Data)
		return writeJSON(w, j)
	}
	var buf bytes.Buffer
	buf.WriteString(m.Subject)
	buf.WriteByte(' ')
	writeOneLine(&buf, m.Data)
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonConsumer is the --json form of a consumer.
type jsonConsumer struct {
	Stream            string      `json:"stream"`
	Name              string      `json:"name"`
	Description       string      `json:"description,omitempty"`
	FilterSubjects    []string    `json:"filter_subjects"`
	DeliverPolicy     string      `json:"deliver_policy"`
	OptStartSeq       uint64      `json:"opt_start_seq,omitempty"`
	AckPolicy         string      `json:"ack_policy"`
	AckWait           string      `json:"ack_wait"`
	MaxDeliver        int         `json:"max_deliver"`
	BackOff           []string    `json:"backoff,omitempty"`
	MaxAckPending     int         `json:"max_ack_pending"`
	ReplayPolicy      string      `json:"replay_policy"`
	InactiveThreshold string      `json:"inactive_threshold,omitempty"`
	DeadLetter        bool        `json:"dead_letter"`
	DeadLetterStream  string      `json:"dead_letter_stream,omitempty"`
	Created           time.Time   `json:"created"`
	Delivered         jsonSeqPair `json:"delivered"`
	AckFloor          jsonSeqPair `json:"ack_floor"`
	NumAckPending     uint64      `json:"num_ack_pending"`
	NumRedelivered    uint64      `json:"num_redelivered"`
	NumWaiting        uint64      `json:"num_waiting"`
	NumPending        uint64      `json:"num_pending"`
}

type jsonSeqPair struct {
	ConsumerSeq uint64     `json:"consumer_seq"`
	StreamSeq   uint64     `json:"stream_seq"`
	Last        *time.Time `json:"last_active,omitempty"`
}

func consumerJSON(ci *natsgw.ConsumerInfo) jsonConsumer {
	c := ci.Config
	j := jsonConsumer{
		Stream: ci.Stream, Name: ci.Name, Description: c.Description, FilterSubjects: c.FilterSubjects,
		DeliverPolicy: deliverNames[c.DeliverPolicy], OptStartSeq: c.OptStartSeq, AckPolicy: ackNames[c.AckPolicy],
		AckWait: c.AckWait.String(), MaxDeliver: c.MaxDeliver, MaxAckPending: c.MaxAckPending,
		ReplayPolicy: replayNames[c.ReplayPolicy], DeadLetter: c.DeadLetter, DeadLetterStream: ci.DeadLetterStream,
		Created:       ci.Created,
		Delivered:     jsonSeqPair{ci.Delivered.Consumer, ci.Delivered.Stream, optTime(ci.Delivered.Last)},
		AckFloor:      jsonSeqPair{ci.AckFloor.Consumer, ci.AckFloor.Stream, optTime(ci.AckFloor.Last)},
		NumAckPending: ci.NumAckPending, NumRedelivered: ci.NumRedelivered, NumWaiting: ci.NumWaiting, NumPending: ci.NumPending,
	}
	if j.FilterSubjects == nil {
		j.FilterSubjects = []string{}
	}
	if c.InactiveThreshold > 0 {
		j.InactiveThreshold = c.InactiveThreshold.String()
	}
	for _, d := range c.BackOff {
		j.BackOff = append(j.BackOff, d.String())
	}
	return j
}

func printConsumer(w io.Writer, ci *natsgw.ConsumerInfo, asJSON bool) error {
	if asJSON {
		return writeJSON(w, consumerJSON(ci))
	}
	c := ci.Config
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "consumer:\t%s (stream %s)\n", ci.Name, ci.Stream)
	if c.Description != "" {
		fmt.Fprintf(tw, "description:\t%s\n", c.Description)
	}
	filter := "all of the stream"
	if len(c.FilterSubjects) > 0 {
		filter = strings.Join(c.FilterSubjects, ", ")
	}
	fmt.Fprintf(tw, "filter:\t%s\n", filter)
	fmt.Fprintf(tw, "deliver:\t%s, replay %s\n", deliverNames[c.DeliverPolicy], replayNames[c.ReplayPolicy])
	maxDeliver := "unlimited"
	if c.MaxDeliver > 0 {
		maxDeliver = fmt.Sprint(c.MaxDeliver)
	}
	fmt.Fprintf(tw, "acks:\t%s, wait %s, max deliveries %s, max pending %d\n", ackNames[c.AckPolicy], c.AckWait, maxDeliver, c.MaxAckPending)
	if len(c.BackOff) > 0 {
		var bs []string
		for _, d := range c.BackOff {
			bs = append(bs, d.String())
		}
		fmt.Fprintf(tw, "backoff:\t%s\n", strings.Join(bs, ", "))
	}
	if c.DeadLetter {
		fmt.Fprintf(tw, "dead letters:\tto stream %s\n", ci.DeadLetterStream)
	}
	fmt.Fprintf(tw, "created:\t%s\n", ci.Created.Format(time.RFC3339))
	fmt.Fprintf(tw, "delivered:\tstream sequence %d (consumer sequence %d)\n", ci.Delivered.Stream, ci.Delivered.Consumer)
	fmt.Fprintf(tw, "acknowledged:\tup to stream sequence %d\n", ci.AckFloor.Stream)
	fmt.Fprintf(tw, "pending:\t%d not yet delivered, %d awaiting ack, %d redelivered\n", ci.NumPending, ci.NumAckPending, ci.NumRedelivered)
	return tw.Flush()
}
