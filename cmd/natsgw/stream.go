package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newStreamCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stream",
		Short: "Manage persistent streams (JetStream) and the messages in them",
		Long: `Manage persistent streams of your organization: create, list, inspect,
purge and delete them, publish to them and read stored messages.

A stream stores every message published to its subjects ("tasks.>"). Read
it through consumers (natsgw consumer). The dead-letter stream of stream X is
"_dlq_X" (see "consumer add --dead-letter"); it appears here like any
stream, its subjects shown as "dead letters of stream X": it holds copies of
X's messages that a consumer gave up on, under their original subjects.`,
	}
	cmd.AddCommand(newStreamAddCmd(g), newStreamLsCmd(g), newStreamInfoCmd(g), newStreamRmCmd(g),
		newStreamPurgeCmd(g), newStreamPubCmd(g), newStreamGetCmd(g))
	return cmd
}

// choice is a flag whose value is one of a fixed set of names.
type choice[T any] struct {
	names map[string]T
	set   string
	v     *T
}

func newChoice[T any](v *T, def string, names map[string]T) *choice[T] {
	c := &choice[T]{names: names, v: v}
	_ = c.Set(def)
	return c
}

func (c *choice[T]) String() string { return c.set }
func (c *choice[T]) Type() string   { return "string" }
func (c *choice[T]) Set(s string) error {
	v, ok := c.names[s]
	if !ok {
		var all []string
		for n := range c.names {
			all = append(all, n)
		}
		slices.Sort(all)
		return fmt.Errorf("must be one of %s", strings.Join(all, ", "))
	}
	*c.v, c.set = v, s
	return nil
}

func newStreamAddCmd(g *globals) *cobra.Command {
	var (
		cfg      natsgw.StreamConfig
		subjects []string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --subjects SUBJECT[,SUBJECT...]",
		Short: "Create a stream (a no-op if it exists with the same configuration)",
		Long: `Create stream NAME storing the messages published to --subjects (subjects or
patterns such as "tasks.>") and print it as "stream info" does.

Creating a stream that exists with the same configuration succeeds; with a
different one it fails ("already exists"). Limits of 0 mean unlimited.`,
		Example: `  natsgw stream add TASKS --subjects 'tasks.>' --max-msgs 10000
  natsgw stream add JOBS --subjects 'jobs.>' --retention workqueue
  natsgw stream add EVENTS --subjects 'events.>' --max-age 24h --storage memory`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Name, cfg.Subjects = args[0], subjects
			if len(subjects) == 0 {
				return usagef("--subjects is required: the subjects the stream stores, e.g. --subjects 'tasks.>'")
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				info, err := c.CreateStream(ctx, cfg)
				if err != nil {
					return g.callError(fmt.Sprintf("create stream %q", cfg.Name), err)
				}
				return printStream(g.stdout, info, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&subjects, "subjects", nil, "subjects or patterns the stream stores (comma-separated or repeated)")
	f.StringVar(&cfg.Description, "description", "", "free text")
	f.Var(newChoice(&cfg.Storage, "file", map[string]natsgw.StorageType{"file": natsgw.FileStorage, "memory": natsgw.MemoryStorage}), "storage", "file or memory")
	f.Var(newChoice(&cfg.Retention, "limits", map[string]natsgw.RetentionPolicy{
		"limits": natsgw.LimitsRetention, "interest": natsgw.InterestRetention, "workqueue": natsgw.WorkQueueRetention,
	}), "retention", "limits, interest or workqueue (a task queue: acknowledged messages are removed)")
	f.Int64Var(&cfg.MaxMsgs, "max-msgs", 0, "most messages kept (0: unlimited)")
	f.Int64Var(&cfg.MaxBytes, "max-bytes", 0, "most bytes kept (0: unlimited)")
	f.DurationVar(&cfg.MaxAge, "max-age", 0, "oldest message kept, e.g. 24h (0: unlimited)")
	f.Int32Var(&cfg.MaxMsgSize, "max-msg-size", 0, "largest message in bytes (0: the gateway's max payload)")
	f.Int64Var(&cfg.MaxMsgsPerSubject, "max-msgs-per-subject", 0, "most messages kept per subject (0: unlimited)")
	f.Var(newChoice(&cfg.Discard, "old", map[string]natsgw.DiscardPolicy{"old": natsgw.DiscardOld, "new": natsgw.DiscardNew}), "discard", "when full: old (drop the oldest) or new (refuse new messages)")
	f.IntVar(&cfg.Replicas, "replicas", 1, "copies in a NATS cluster (1-5)")
	f.DurationVar(&cfg.DuplicateWindow, "dupe-window", 0, "how long message ids are remembered for deduplication (0: 2m)")
	f.BoolVar(&cfg.AllowMsgTTL, "allow-msg-ttl", false, "allow per-message TTLs (stream pub --ttl)")
	f.BoolVar(&asJSON, "json", false, "print the stream as a JSON object")
	return cmd
}

func newStreamLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List your streams",
		Long: `List your organization's streams, one per line: name, messages, bytes,
subjects. --json prints a JSON array of the objects "stream info --json"
prints.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				streams, err := c.Streams(ctx)
				if err != nil {
					return g.callError("list streams", err)
				}
				if asJSON {
					out := make([]jsonStream, len(streams))
					for i, s := range streams {
						out[i] = streamJSON(s)
					}
					return writeJSON(g.stdout, out)
				}
				if len(streams) == 0 {
					fmt.Fprintln(g.stderr, "No streams")
					return nil
				}
				w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tMESSAGES\tBYTES\tSUBJECTS")
				for _, s := range streams {
					fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", s.Config.Name, s.State.Msgs, s.State.Bytes, streamSubjects(s, ","))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newStreamInfoCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info NAME",
		Short: "Show a stream's configuration and state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				info, err := c.StreamInfo(ctx, args[0])
				if err != nil {
					return g.callError(fmt.Sprintf("stream %q", args[0]), err)
				}
				return printStream(g.stdout, info, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func newStreamRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a stream with its messages and consumers",
		Long: `Delete stream NAME, its messages and its consumers, at once and for good.
Its dead-letter stream, if any, stays (delete "_dlq_NAME" to remove it).
Prints nothing on success.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				return g.callError(fmt.Sprintf("delete stream %q", args[0]), c.DeleteStream(ctx, args[0]))
			})
		},
	}
}

func newStreamPurgeCmd(g *globals) *cobra.Command {
	var (
		subject string
		keep    uint64
		upTo    uint64
	)
	cmd := &cobra.Command{
		Use:   "purge NAME",
		Short: "Remove messages from a stream and print how many were removed",
		Long: `Remove stream NAME's messages: all of them, or only those on --subject, or
all but the newest --keep, or those below sequence --seq. Prints the
number of messages removed.`,
		Example: `  natsgw stream purge TASKS
  natsgw stream purge EVENTS --subject 'events.debug.>'
  natsgw stream purge EVENTS --keep 1000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []natsgw.PurgeOption
			if subject != "" {
				opts = append(opts, natsgw.WithPurgeSubject(subject))
			}
			if keep > 0 {
				opts = append(opts, natsgw.WithPurgeKeep(keep))
			}
			if upTo > 0 {
				opts = append(opts, natsgw.WithPurgeUpTo(upTo))
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				n, err := c.PurgeStream(ctx, args[0], opts...)
				if err != nil {
					return g.callError(fmt.Sprintf("purge stream %q", args[0]), err)
				}
				fmt.Fprintln(g.stdout, n)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&subject, "subject", "", "only messages on this subject or pattern")
	cmd.Flags().Uint64Var(&keep, "keep", 0, "keep this many of the newest messages")
	cmd.Flags().Uint64Var(&upTo, "seq", 0, "remove messages with a sequence below this one")
	return cmd
}

func newStreamPubCmd(g *globals) *cobra.Command {
	var (
		hdr        headerFlag
		msgID      string
		expect     int64
		expectSubj int64
		ttl        time.Duration
	)
	cmd := &cobra.Command{
		Use:   "pub NAME SUBJECT [DATA]",
		Short: "Store a message in a stream and print its sequence",
		Long: `Publish a message to SUBJECT, to be stored by stream NAME, and print the
sequence it was stored at once the stream has persisted it.

Without DATA, the data is all of stdin. With --msg-id, a message whose id
was seen within the stream's duplicate window is not stored again: the
sequence of the first one is printed, and stderr says it was a duplicate.`,
		Example: `  natsgw stream pub TASKS tasks.processing '{"task_type":"send_email"}'
  natsgw stream pub TASKS tasks.processing --msg-id order-17 < task.json
  natsgw stream pub EVENTS events.x --expect-seq 41 data`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := g.dataArg(args, 2)
			if err != nil {
				return err
			}
			var opts []natsgw.StreamPublishOption
			if hdr.h != nil {
				opts = append(opts, natsgw.WithMsgHeader(hdr.h))
			}
			if msgID != "" {
				opts = append(opts, natsgw.WithMsgID(msgID))
			}
			if expect >= 0 {
				opts = append(opts, natsgw.WithExpectLastSequence(uint64(expect)))
			}
			if expectSubj >= 0 {
				opts = append(opts, natsgw.WithExpectLastSubjectSequence(uint64(expectSubj)))
			}
			if ttl != 0 {
				opts = append(opts, natsgw.WithTTL(ttl))
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				ack, err := c.PublishToStream(ctx, args[0], args[1], data, opts...)
				if err != nil {
					return g.callError(fmt.Sprintf("publish to stream %q", args[0]), err)
				}
				fmt.Fprintln(g.stdout, ack.Sequence)
				if ack.Duplicate {
					fmt.Fprintf(g.stderr, "Duplicate: message id %q was already stored at sequence %d\n", msgID, ack.Sequence)
				}
				return nil
			})
		},
	}
	addHeaderFlag(cmd, &hdr, "message")
	cmd.Flags().StringVar(&msgID, "msg-id", "", "deduplication id")
	cmd.Flags().Int64Var(&expect, "expect-seq", -1, "store only if the stream's last sequence is this (0: empty)")
	cmd.Flags().Int64Var(&expectSubj, "expect-subject-seq", -1, "store only if the subject's last sequence is this (0: none yet)")
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "per-message time to live, at least 1s (needs a stream made with --allow-msg-ttl)")
	return cmd
}

func newStreamGetCmd(g *globals) *cobra.Command {
	var (
		asJSON  bool
		lastFor string
	)
	cmd := &cobra.Command{
		Use:   "get NAME [SEQ]",
		Short: "Print a stored message by sequence (or the last on a subject)",
		Long: `Print the message stored at sequence SEQ of stream NAME, or with --last-for
the last message on a subject: a few "key: value" lines (sequence,
subject, time, one line per header), an empty line, then the data.
--json prints one JSON object: sequence, subject, time, headers, and data
(UTF-8) or data_base64.`,
		Example: `  natsgw stream get TASKS 3
  natsgw stream get _dlq_TASKS 1 --json
  natsgw stream get CONFIG --last-for config.db.host`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seq uint64
			switch {
			case len(args) == 2 && lastFor != "":
				return usagef("give either SEQ or --last-for, not both")
			case len(args) == 2:
				var err error
				if seq, err = strconv.ParseUint(args[1], 10, 64); err != nil || seq == 0 {
					return usagef("SEQ %q: want a sequence number (from 1)", args[1])
				}
			case lastFor == "":
				return usagef("give SEQ or --last-for SUBJECT")
			}
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				var m *natsgw.StoredMsg
				var err error
				if lastFor != "" {
					m, err = c.GetLastStreamMsg(ctx, args[0], lastFor)
				} else {
					m, err = c.GetStreamMsg(ctx, args[0], seq)
				}
				if err != nil {
					return g.callError(fmt.Sprintf("get from stream %q", args[0]), err)
				}
				if asJSON {
					j := jsonStoredMsg{Sequence: m.Sequence, Subject: m.Subject, Time: m.Time, Headers: headersOrEmpty(m.Header)}
					j.Data, j.DataBase64 = jsonPayload(m.Data)
					return writeJSON(g.stdout, j)
				}
				var buf bytes.Buffer
				fmt.Fprintf(&buf, "sequence: %d\nsubject: %s\ntime: %s\n", m.Sequence, m.Subject, m.Time.Format(time.RFC3339Nano))
				writeHeaders(&buf, m.Header)
				buf.WriteByte('\n')
				writeLine(&buf, m.Data)
				_, err = g.stdout.Write(buf.Bytes())
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	cmd.Flags().StringVar(&lastFor, "last-for", "", "the last message on this subject")
	return cmd
}

// jsonStream is the --json form of a stream.
type jsonStream struct {
	Name              string          `json:"name"`
	Description       string          `json:"description,omitempty"`
	Subjects          []string        `json:"subjects"`
	Storage           string          `json:"storage"`
	Retention         string          `json:"retention"`
	MaxMsgs           int64           `json:"max_msgs"`
	MaxBytes          int64           `json:"max_bytes"`
	MaxAge            string          `json:"max_age"`
	MaxMsgSize        int32           `json:"max_msg_size"`
	MaxMsgsPerSubject int64           `json:"max_msgs_per_subject"`
	Discard           string          `json:"discard"`
	Replicas          int             `json:"replicas"`
	DuplicateWindow   string          `json:"duplicate_window"`
	AllowMsgTTL       bool            `json:"allow_msg_ttl"`
	DeadLetterFor     string          `json:"dead_letter_for,omitempty"`
	Created           time.Time       `json:"created"`
	State             jsonStreamState `json:"state"`
}

type jsonStreamState struct {
	Messages    uint64     `json:"messages"`
	Bytes       uint64     `json:"bytes"`
	FirstSeq    uint64     `json:"first_seq"`
	FirstTime   *time.Time `json:"first_time,omitempty"`
	LastSeq     uint64     `json:"last_seq"`
	LastTime    *time.Time `json:"last_time,omitempty"`
	NumSubjects uint64     `json:"num_subjects"`
	NumDeleted  uint64     `json:"num_deleted"`
	Consumers   int        `json:"consumers"`
}

var (
	storageNames   = map[natsgw.StorageType]string{natsgw.FileStorage: "file", natsgw.MemoryStorage: "memory"}
	retentionNames = map[natsgw.RetentionPolicy]string{natsgw.LimitsRetention: "limits", natsgw.InterestRetention: "interest", natsgw.WorkQueueRetention: "workqueue"}
	discardNames   = map[natsgw.DiscardPolicy]string{natsgw.DiscardOld: "old", natsgw.DiscardNew: "new"}
)

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func streamJSON(s *natsgw.StreamInfo) jsonStream {
	c, st := s.Config, s.State
	subjects := c.Subjects
	if subjects == nil {
		subjects = []string{}
	}
	return jsonStream{
		Name: c.Name, Description: c.Description, Subjects: subjects,
		Storage: storageNames[c.Storage], Retention: retentionNames[c.Retention],
		MaxMsgs: c.MaxMsgs, MaxBytes: c.MaxBytes, MaxAge: c.MaxAge.String(), MaxMsgSize: c.MaxMsgSize,
		MaxMsgsPerSubject: c.MaxMsgsPerSubject, Discard: discardNames[c.Discard], Replicas: c.Replicas,
		DuplicateWindow: c.DuplicateWindow.String(), AllowMsgTTL: c.AllowMsgTTL, DeadLetterFor: s.DeadLetterFor,
		Created: s.Created,
		State: jsonStreamState{
			Messages: st.Msgs, Bytes: st.Bytes, FirstSeq: st.FirstSeq, FirstTime: optTime(st.FirstTime),
			LastSeq: st.LastSeq, LastTime: optTime(st.LastTime), NumSubjects: st.NumSubjects,
			NumDeleted: st.NumDeleted, Consumers: st.Consumers,
		},
	}
}

// streamSubjects is what a stream stores, for humans: its subjects, or for
// a dead-letter stream (whose own subjects are the gateway's business) whose
// dead letters it holds.
func streamSubjects(s *natsgw.StreamInfo, sep string) string {
	if s.DeadLetterFor != "" {
		return fmt.Sprintf("dead letters of stream %s (under their original subjects)", s.DeadLetterFor)
	}
	return strings.Join(s.Config.Subjects, sep)
}

// printStream prints a stream for humans (aligned "key: value" lines) or as
// JSON.
func printStream(w io.Writer, s *natsgw.StreamInfo, asJSON bool) error {
	if asJSON {
		return writeJSON(w, streamJSON(s))
	}
	c, st := s.Config, s.State
	limit := func(n int64) string {
		if n <= 0 {
			return "unlimited"
		}
		return strconv.FormatInt(n, 10)
	}
	age := "unlimited"
	if c.MaxAge > 0 {
		age = c.MaxAge.String()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "stream:\t%s\n", c.Name)
	if c.Description != "" {
		fmt.Fprintf(tw, "description:\t%s\n", c.Description)
	}
	fmt.Fprintf(tw, "subjects:\t%s\n", streamSubjects(s, ", "))
	fmt.Fprintf(tw, "storage:\t%s, %d replica(s)\n", storageNames[c.Storage], c.Replicas)
	fmt.Fprintf(tw, "retention:\t%s, discard %s when full\n", retentionNames[c.Retention], discardNames[c.Discard])
	fmt.Fprintf(tw, "limits:\tmessages %s, bytes %s, age %s, per subject %s\n", limit(c.MaxMsgs), limit(c.MaxBytes), age, limit(c.MaxMsgsPerSubject))
	fmt.Fprintf(tw, "duplicate window:\t%s\n", c.DuplicateWindow)
	if c.AllowMsgTTL {
		fmt.Fprintf(tw, "per-message TTL:\tallowed\n")
	}
	fmt.Fprintf(tw, "created:\t%s\n", s.Created.Format(time.RFC3339))
	fmt.Fprintf(tw, "messages:\t%d (%d bytes, %d subjects)\n", st.Msgs, st.Bytes, st.NumSubjects)
	if st.Msgs > 0 {
		fmt.Fprintf(tw, "sequences:\t%d (%s) to %d (%s)\n", st.FirstSeq, st.FirstTime.Format(time.RFC3339), st.LastSeq, st.LastTime.Format(time.RFC3339))
	}
	fmt.Fprintf(tw, "consumers:\t%d\n", st.Consumers)
	return tw.Flush()
}

// jsonStoredMsg is the --json form of a stored message.
type jsonStoredMsg struct {
	Sequence   uint64              `json:"sequence"`
	Subject    string              `json:"subject"`
	Time       time.Time           `json:"time"`
	Headers    map[string][]string `json:"headers"`
	Data       *string             `json:"data,omitempty"`
	DataBase64 string              `json:"data_base64,omitempty"`
}

// jsonPayload splits a payload the way natsgw sub --json does: "data" when
// it is UTF-8, "data_base64" otherwise.
func jsonPayload(data []byte) (*string, string) {
	if utf8.Valid(data) {
		s := string(data)
		return &s, ""
	}
	return nil, base64.StdEncoding.EncodeToString(data)
}

func headersOrEmpty(h natsgw.Header) map[string][]string {
	if h == nil {
		return map[string][]string{}
	}
	return h
}

// writeHeaders writes one "header: KEY: VALUE" line per value, keys sorted.
func writeHeaders(buf *bytes.Buffer, h natsgw.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(buf, "header: %s: %s\n", k, v)
		}
	}
}
