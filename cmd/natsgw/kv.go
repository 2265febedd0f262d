package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newKVCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "Key-value store: buckets of keys with revisions",
		Long: `Key-value buckets of your organization, with revisions (NATS JetStream KV).

Writing to a bucket that does not exist (put, create, update) creates it with
the defaults: history 5, file storage, no limits, per-key TTL allowed. Use
'kv add' to choose other settings.

Bucket names: letters, digits, '_' and '-'. Keys: letters, digits and '-',
'/', '_', '=', '.', with no '.' at either end and no "..". Filters and watch
patterns may use '*' (one '.'-separated token) and '>' (the rest).`,
	}
	cmd.AddCommand(
		newKVAddCmd(g), newKVLsCmd(g), newKVInfoCmd(g), newKVRmCmd(g),
		newKVPutCmd(g), newKVGetCmd(g), newKVCreateCmd(g), newKVUpdateCmd(g),
		newKVDelCmd(g, false), newKVDelCmd(g, true),
		newKVKeysCmd(g), newKVHistoryCmd(g), newKVWatchCmd(g),
		newKVIncrCmd(g), newKVMgetCmd(g), newKVMputCmd(g), newKVExpireCmd(g),
	)
	return cmd
}

// kvCall runs f with the client and a context bounded by --timeout, and
// presents its error as a failed action.
func (g *globals) kvCall(cmd *cobra.Command, action string, f func(context.Context, *natsgw.Client) error) error {
	return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
		ctx, cancel := g.call(cmd.Context())
		defer cancel()
		return g.callError(action, f(ctx, c))
	})
}

// jsonBucket is the --json form of a bucket. Durations are Go durations
// ("1h0m0s"); "0s" means none.
type jsonBucket struct {
	Bucket         string    `json:"bucket"`
	Description    string    `json:"description,omitempty"`
	History        int       `json:"history"`
	TTL            string    `json:"ttl"`
	MaxBytes       int64     `json:"max_bytes"`
	MaxValueSize   int32     `json:"max_value_size"`
	Storage        string    `json:"storage"`
	Replicas       int       `json:"replicas"`
	LimitMarkerTTL string    `json:"limit_marker_ttl"`
	KeyTTLAllowed  bool      `json:"key_ttl_allowed"`
	Counter        bool      `json:"counter,omitempty"`
	Values         uint64    `json:"values"`
	Bytes          uint64    `json:"bytes"`
	Created        time.Time `json:"created"`
}

func bucketJSON(st *natsgw.KeyValueStatus) jsonBucket {
	return jsonBucket{
		Bucket: st.Bucket, Description: st.Config.Description, History: st.Config.History,
		TTL: st.Config.TTL.String(), MaxBytes: st.Config.MaxBytes, MaxValueSize: st.Config.MaxValueSize,
		Storage: storageName(st.Config.Memory), Replicas: st.Config.Replicas,
		LimitMarkerTTL: st.Config.LimitMarkerTTL.String(), KeyTTLAllowed: st.KeyTTLAllowed, Counter: st.Config.Counter,
		Values: st.Values, Bytes: st.Bytes, Created: st.Created,
	}
}

func storageName(memory bool) string {
	if memory {
		return "memory"
	}
	return "file"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printBucket writes a bucket's settings and state, one per line.
func printBucket(w io.Writer, st *natsgw.KeyValueStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cfg := st.Config
	fmt.Fprintf(tw, "bucket:\t%s\n", st.Bucket)
	if cfg.Description != "" {
		fmt.Fprintf(tw, "description:\t%s\n", cfg.Description)
	}
	fmt.Fprintf(tw, "history:\t%d revisions per key\n", cfg.History)
	fmt.Fprintf(tw, "ttl:\t%s\n", orNone(cfg.TTL, "none (values live until deleted)"))
	fmt.Fprintf(tw, "max bytes:\t%s\n", limitText(cfg.MaxBytes, "unlimited"))
	fmt.Fprintf(tw, "max value size:\t%s\n", limitText(int64(cfg.MaxValueSize), "no bucket limit (the gateway's max payload applies)"))
	fmt.Fprintf(tw, "storage:\t%s\n", storageName(cfg.Memory))
	fmt.Fprintf(tw, "replicas:\t%d\n", cfg.Replicas)
	if st.KeyTTLAllowed {
		fmt.Fprintf(tw, "key TTL:\tallowed (limit marker TTL %s)\n", cfg.LimitMarkerTTL)
	} else {
		fmt.Fprintf(tw, "key TTL:\tnot allowed\n")
	}
	fmt.Fprintf(tw, "values:\t%d\n", st.Values)
	fmt.Fprintf(tw, "bytes:\t%d\n", st.Bytes)
	fmt.Fprintf(tw, "created:\t%s\n", st.Created.Local().Format(time.RFC3339))
	return tw.Flush()
}

func orNone(d time.Duration, none string) string {
	if d == 0 {
		return none
	}
	return d.String()
}

func limitText(n int64, none string) string {
	if n == 0 {
		return none
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// bucketOutput prints a bucket as text or JSON.
func (g *globals) bucketOutput(st *natsgw.KeyValueStatus, asJSON bool) error {
	if asJSON {
		return writeJSON(g.stdout, bucketJSON(st))
	}
	return printBucket(g.stdout, st)
}

func jsonFlag(cmd *cobra.Command, v *bool, what string) {
	cmd.Flags().BoolVar(v, "json", false, what)
}

func newKVAddCmd(g *globals) *cobra.Command {
	var (
		cfg     natsgw.KeyValueConfig
		storage string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "add BUCKET",
		Short: "Create a bucket",
		Long: `Create a bucket and print its settings. Creating a bucket that exists with
the same settings succeeds; with other settings it fails.

Unset flags take the defaults: history 5, no TTL, no size limits, file
storage, 1 replica, limit marker TTL 1s.`,
		Example: `  natsgw kv add sessions --history 1 --ttl 1h
  natsgw kv add cache --storage memory --max-bytes 104857600`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch storage {
			case "file":
			case "memory":
				cfg.Memory = true
			default:
				return usagef("--storage must be file or memory (got %q)", storage)
			}
			return g.kvCall(cmd, fmt.Sprintf("create bucket %q", args[0]), func(ctx context.Context, c *natsgw.Client) error {
				cfg.Bucket = args[0]
				st, err := c.CreateKeyValue(ctx, cfg)
				if err != nil {
					return err
				}
				return g.bucketOutput(st, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.History, "history", 0, "revisions kept per key, 1 to 64 (default 5)")
	f.DurationVar(&cfg.TTL, "ttl", 0, "how long each value lives, whole seconds (default: forever)")
	f.Int64Var(&cfg.MaxBytes, "max-bytes", 0, "the bucket's size limit in bytes (default: unlimited)")
	f.Int32Var(&cfg.MaxValueSize, "max-value-size", 0, "the largest value in bytes (default: the gateway's max payload)")
	f.StringVar(&storage, "storage", "file", "file or memory")
	f.IntVar(&cfg.Replicas, "replicas", 0, "copies in a NATS cluster, 1 to 5 (default 1)")
	f.DurationVar(&cfg.LimitMarkerTTL, "marker-ttl", 0, "how long the marker of an expired key lives, and the shortest key TTL (default 1s)")
	f.StringVar(&cfg.Description, "description", "", "free text describing the bucket")
	f.BoolVar(&cfg.Counter, "counter", false, "a counter bucket: keys are counters changed by 'kv incr' (no TTLs)")
	jsonFlag(cmd, &asJSON, "print the bucket as a JSON object")
	return cmd
}

func newKVLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List your buckets",
		Long: `List your organization's buckets, sorted by name: a table with each
bucket's values (revisions stored), bytes, history and TTL, or with --json a
JSON array of the objects 'kv info --json' prints.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.kvCall(cmd, "list buckets", func(ctx context.Context, c *natsgw.Client) error {
				list, err := c.KeyValues(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]jsonBucket, len(list))
					for i, st := range list {
						out[i] = bucketJSON(st)
					}
					return writeJSON(g.stdout, out)
				}
				if len(list) == 0 {
					fmt.Fprintln(g.stderr, "No buckets.")
					return nil
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "BUCKET\tVALUES\tBYTES\tHISTORY\tTTL")
				for _, st := range list {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", st.Bucket, st.Values, st.Bytes, st.Config.History, orNone(st.Config.TTL, "-"))
				}
				return tw.Flush()
			})
		},
	}
	jsonFlag(cmd, &asJSON, "print a JSON array")
	return cmd
}

func newKVInfoCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info BUCKET",
		Short: "Show a bucket's settings and size",
		Long: `Show a bucket's settings and size (--json: an object with bucket,
description, history, ttl, max_bytes, max_value_size, storage, replicas,
limit_marker_ttl, key_ttl_allowed, values, bytes and created; durations are
Go durations such as "1h0m0s", "0s" meaning none).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, fmt.Sprintf("bucket %q", args[0]), func(ctx context.Context, c *natsgw.Client) error {
				st, err := c.KeyValue(args[0]).Status(ctx)
				if err != nil {
					return err
				}
				return g.bucketOutput(st, asJSON)
			})
		},
	}
	jsonFlag(cmd, &asJSON, "print a JSON object")
	return cmd
}

func newKVRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm BUCKET",
		Short: "Delete a bucket and every key in it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, fmt.Sprintf("delete bucket %q", args[0]), func(ctx context.Context, c *natsgw.Client) error {
				return c.DeleteKeyValue(ctx, args[0])
			})
		},
	}
}

// printRevision prints a write's revision on its own line.
func (g *globals) printRevision(rev uint64) error {
	_, err := fmt.Fprintln(g.stdout, rev)
	return err
}

func newKVPutCmd(g *globals) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "put BUCKET KEY [VALUE]",
		Short: "Store a value and print its revision (value from stdin when omitted)",
		Long: `Store VALUE under KEY, whatever the key holds, and print the new revision.
Without VALUE the value is all of stdin (until end of file); pass '' for an
empty value. Creates the bucket with the defaults if it does not exist.`,
		Example: `  natsgw kv put app-config database.host localhost
  natsgw kv put certs site.pem < site.pem`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			value, err := g.dataArg(args, 2)
			if err != nil {
				return err
			}
			return g.kvCall(cmd, fmt.Sprintf("put %q in bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				var opts []natsgw.KVPutOption
				if ttl != 0 {
					opts = append(opts, natsgw.WithKeyTTL(ttl))
				}
				rev, err := c.KeyValue(args[0]).Put(ctx, args[1], value, opts...)
				if err != nil {
					return err
				}
				return g.printRevision(rev)
			})
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "time to live of the value (whole seconds, at least 1s; replaces the key's history)")
	return cmd
}

func newKVCreateCmd(g *globals) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "create BUCKET KEY [VALUE]",
		Short: "Store a value only if the key has none; print its revision",
		Long: `Store VALUE under KEY only if the key has no value (never set, deleted or
purged), and print the new revision; fails if the key has a value. Without
VALUE the value is all of stdin. --ttl makes the key expire (whole seconds,
at least 1s).`,
		Example: `  natsgw kv create locks job.42 worker-1 --ttl 30s`,
		Args:    cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			value, err := g.dataArg(args, 2)
			if err != nil {
				return err
			}
			var opts []natsgw.KVCreateOption
			if ttl != 0 {
				opts = append(opts, natsgw.WithKeyTTL(ttl))
			}
			return g.kvCall(cmd, fmt.Sprintf("create %q in bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				rev, err := c.KeyValue(args[0]).Create(ctx, args[1], value, opts...)
				if err != nil {
					return err
				}
				return g.printRevision(rev)
			})
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "time to live of the key (default: none)")
	return cmd
}

func newKVUpdateCmd(g *globals) *cobra.Command {
	var rev uint64
	cmd := &cobra.Command{
		Use:   "update BUCKET KEY [VALUE] --revision N",
		Short: "Store a value only if the key is at a revision; print the new one",
		Long: `Store VALUE under KEY only if the key's latest revision is N
(compare-and-swap), and print the new revision; fails if another write came
first. Without VALUE the value is all of stdin.`,
		Example: `  natsgw kv update app-config database.port 5433 --revision 7`,
		Args:    cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rev == 0 {
				return usagef("--revision is required (the key's latest revision, at least 1)")
			}
			value, err := g.dataArg(args, 2)
			if err != nil {
				return err
			}
			return g.kvCall(cmd, fmt.Sprintf("update %q in bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				n, err := c.KeyValue(args[0]).Update(ctx, args[1], value, rev)
				if err != nil {
					return err
				}
				return g.printRevision(n)
			})
		},
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "the revision the key must be at")
	return cmd
}

// jsonEntry is the --json form of a KV entry.
type jsonEntry struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	Revision  uint64    `json:"revision"`
	Operation string    `json:"operation"`
	Created   time.Time `json:"created"`
	// Value is the value when it is valid UTF-8 ...
	Value *string `json:"value,omitempty"`
	// ... and ValueBase64 the value otherwise.
	ValueBase64 string `json:"value_base64,omitempty"`
}

func entryJSON(e *natsgw.KeyValueEntry) jsonEntry {
	j := jsonEntry{Bucket: e.Bucket, Key: e.Key, Revision: e.Revision, Operation: e.Operation.String(), Created: e.Created}
	if utf8.Valid(e.Value) {
		s := string(e.Value)
		j.Value = &s
	} else {
		j.ValueBase64 = base64.StdEncoding.EncodeToString(e.Value)
	}
	return j
}

const entryJSONDoc = `{"bucket":"app-config","key":"database.host","revision":1,"operation":"PUT","created":"...","value":"localhost"}

"value" holds the value when it is valid UTF-8; otherwise "value_base64"
holds it, base64-encoded, so binary values stay exact. "operation" is PUT,
DELETE or PURGE.`

func newKVGetCmd(g *globals) *cobra.Command {
	var (
		rev        uint64
		asJSON     bool
		raw        bool
		consistent bool
	)
	cmd := &cobra.Command{
		Use:   "get BUCKET KEY",
		Short: "Print a key's value",
		Long: `Print KEY's latest value (or the one at --revision) on stdout, followed by a
newline unless it ends with one (--raw: exactly the value). Fails if the key
has no value. With --json, print the entry as a JSON object:

  ` + entryJSONDoc,
		Example: `  natsgw kv get app-config database.host
  natsgw kv get app-config database.host --revision 3 --json
  natsgw kv get certs site.pem --raw > site.pem`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, fmt.Sprintf("get %q from bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				kv := c.KeyValue(args[0])
				var e *natsgw.KeyValueEntry
				var err error
				if rev == 0 && consistent {
					e, err = kv.Get(ctx, args[1], natsgw.WithConsistentRead())
				} else {
					e, err = kv.GetRevision(ctx, args[1], rev)
				}
				if err != nil {
					return err
				}
				switch {
				case asJSON:
					return writeJSON(g.stdout, entryJSON(e))
				case raw:
					_, err = g.stdout.Write(e.Value)
					return err
				}
				var buf bytes.Buffer
				writeLine(&buf, e.Value)
				_, err = g.stdout.Write(buf.Bytes())
				return err
			})
		},
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "read this revision instead of the latest")
	cmd.Flags().BoolVar(&consistent, "consistent", false, "read from NATS, bypassing the gateway's read cache")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the value exactly, without a newline")
	jsonFlag(cmd, &asJSON, "print the entry as a JSON object")
	return cmd
}

func newKVDelCmd(g *globals, purge bool) *cobra.Command {
	var rev uint64
	cmd := &cobra.Command{
		Use:   "del BUCKET KEY",
		Short: "Delete a key (its history stays)",
		Long: `Delete KEY: it has no value from now on, but its earlier revisions stay
(see 'kv history'). With --revision, only if the key is at that revision.`,
		Args: cobra.ExactArgs(2),
	}
	verb := "delete"
	if purge {
		verb = "purge"
		cmd.Use = "purge BUCKET KEY"
		cmd.Short = "Delete a key and its history"
		cmd.Long = `Purge KEY: delete it and remove its earlier revisions. With --revision,
only if the key is at that revision.`
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var opts []natsgw.KVDeleteOption
		if rev != 0 {
			opts = append(opts, natsgw.WithExpectedRevision(rev))
		}
		return g.kvCall(cmd, fmt.Sprintf("%s %q from bucket %q", verb, args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
			if purge {
				return c.KeyValue(args[0]).Purge(ctx, args[1], opts...)
			}
			return c.KeyValue(args[0]).Delete(ctx, args[1], opts...)
		})
	}
	cmd.Flags().Uint64Var(&rev, "revision", 0, "only if the key's latest revision is this one")
	return cmd
}

func newKVKeysCmd(g *globals) *cobra.Command {
	var (
		asJSON       bool
		match, after string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "keys BUCKET [FILTER]",
		Short: "List a bucket's keys, sorted",
		Long: `List the keys of BUCKET that have a value, sorted, one per line (--json: a
JSON array). FILTER selects keys by pattern: '*' matches one token, '>' the
rest (--match is the same as FILTER).

With --limit, list at most that many keys (a page, up to 10000), starting
after --after; when more keys follow, stderr says which --after gives the
next page (--json: {"keys": [...], "next": "..."}).`,
		Example: `  natsgw kv keys app-config
  natsgw kv keys app-config 'database.*'
  natsgw kv keys sessions --match 'user.>' --limit 100`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				if match != "" && match != args[1] {
					return usagef("give the pattern as FILTER or --match, not both")
				}
				match = args[1]
			}
			if after != "" && limit == 0 {
				return usagef("--after needs --limit")
			}
			var opts []natsgw.KVKeysOption
			if match != "" {
				opts = append(opts, natsgw.WithKeyFilter(match))
			}
			return g.kvCall(cmd, fmt.Sprintf("keys of bucket %q", args[0]), func(ctx context.Context, c *natsgw.Client) error {
				if limit != 0 {
					return g.keysPage(ctx, c, args[0], match, limit, after, asJSON)
				}
				keys, err := c.KeyValue(args[0]).Keys(ctx, opts...)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, keys)
				}
				var buf bytes.Buffer
				for _, k := range keys {
					buf.WriteString(k)
					buf.WriteByte('\n')
				}
				_, err = g.stdout.Write(buf.Bytes())
				return err
			})
		},
	}
	jsonFlag(cmd, &asJSON, "print a JSON array")
	cmd.Flags().StringVar(&match, "match", "", "only keys matching this pattern ('*' one token, '>' the rest)")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many keys (a page; 0: all)")
	cmd.Flags().StringVar(&after, "after", "", "with --limit: start after this key (the hint of the previous page)")
	return cmd
}

// writeEntry writes e on one line: "REVISION OPERATION KEY VALUE" (deletes
// and purges without a value), or a JSON object. One Write per entry.
func writeEntry(w io.Writer, e *natsgw.KeyValueEntry, asJSON bool) error {
	var buf bytes.Buffer
	if asJSON {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(entryJSON(e)); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(&buf, "%d %s %s", e.Revision, e.Operation, e.Key)
		if e.Operation == natsgw.KeyValuePut {
			buf.WriteByte(' ')
			writeLine(&buf, e.Value)
		} else {
			buf.WriteByte('\n')
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func newKVHistoryCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history BUCKET KEY",
		Short: "List every revision kept for a key, oldest first",
		Long: `List every revision the bucket keeps for KEY, oldest first, one per line:
"REVISION OPERATION KEY VALUE" (deletes and purges have no value). With
--json, a JSON array of entries:

  ` + entryJSONDoc,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, fmt.Sprintf("history of %q in bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				h, err := c.KeyValue(args[0]).History(ctx, args[1])
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]jsonEntry, len(h))
					for i, e := range h {
						out[i] = entryJSON(e)
					}
					return writeJSON(g.stdout, out)
				}
				for _, e := range h {
					if err := writeEntry(g.stdout, e, false); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	jsonFlag(cmd, &asJSON, "print a JSON array")
	return cmd
}

func newKVWatchCmd(g *globals) *cobra.Command {
	var (
		asJSON, history, updatesOnly bool
		from                         uint64
		count                        int
	)
	cmd := &cobra.Command{
		Use:   "watch BUCKET [PATTERN]",
		Short: "Print a bucket's values, then every change, one per line",
		Long: `Watch the keys of BUCKET matching PATTERN (default: every key): print the
latest entry of each key, then every change as it happens, one per line
"REVISION OPERATION KEY VALUE" (deletes and purges have no value), or with
--json one JSON object per line:

  ` + entryJSONDoc + `

Stdout carries only entries. Once the current entries are printed, stderr
says 'Watching "PATTERN" in bucket "BUCKET"': every change after that is
printed. Runs until interrupted (Ctrl-C) or until --count entries were
printed. If the gateway goes away the watch fails; run it again with
--from-revision (the last revision seen plus one) to continue.`,
		Example: `  natsgw kv watch app-config
  natsgw kv watch app-config 'database.>' --json
  natsgw kv watch app-config --updates-only
  natsgw kv watch app-config --from-revision 42`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return usagef("--count must not be negative (got %d)", count)
			}
			pattern := ">"
			if len(args) == 2 {
				pattern = args[1]
			}
			var opts []natsgw.KVWatchOption
			if history {
				opts = append(opts, natsgw.WithIncludeHistory())
			}
			if updatesOnly {
				opts = append(opts, natsgw.WithUpdatesOnly())
			}
			if from != 0 {
				opts = append(opts, natsgw.WithResumeFromRevision(from))
			}
			return g.kvWatch(cmd.Context(), args[0], pattern, count, asJSON, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&history, "history", false, "start with every revision kept, not just the latest of each key")
	f.BoolVar(&updatesOnly, "updates-only", false, "print only changes from now on")
	f.Uint64Var(&from, "from-revision", 0, "start at this revision: every change from it on")
	countFlag(cmd, &count, "exit after this many entries (0: run until interrupted)")
	jsonFlag(cmd, &asJSON, "print each entry as a JSON object")
	return cmd
}

func (g *globals) kvWatch(ctx context.Context, bucket, pattern string, count int, asJSON bool, opts []natsgw.KVWatchOption) error {
	c, err := g.dial(ctx, g.eventPrinter())
	if err != nil {
		return err
	}
	defer c.Close()
	action := fmt.Sprintf("watch %q in bucket %q", pattern, bucket)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The watch lives until interrupted; only its start is bounded.
	started := time.AfterFunc(g.timeout, cancel)
	w, err := c.KeyValue(bucket).Watch(wctx, pattern, opts...)
	if !started.Stop() && err != nil {
		err = fmt.Errorf("%w: %w", natsgw.ErrTimeout, err)
	}
	if err != nil {
		return g.callError(action, err)
	}
	// Close (deferred above) waits for the watch in any case.
	defer func() { _ = w.Stop(ctx) }()
	n := 0
	for e := range w.Updates() {
		if e == nil {
			fmt.Fprintf(g.stderr, "Watching %q in bucket %q\n", pattern, bucket)
			continue
		}
		if err := writeEntry(g.stdout, e, asJSON); err != nil {
			return err
		}
		if n++; count > 0 && n >= count {
			return nil
		}
	}
	if ctx.Err() != nil {
		return nil // interrupted: the normal end
	}
	return g.callError(action, w.Err())
}
