package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newKVIncrCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "incr BUCKET KEY [DELTA]",
		Short: "Add to a counter and print its new value",
		Long: `Add DELTA (default 1; negative subtracts, 0 reads) to the counter KEY,
atomically, and print the counter's new value. Counters live in counter
buckets ('kv add --counter'); incr creates one when BUCKET does not exist.`,
		Example: `  natsgw kv incr stats page.views
  natsgw kv incr stats page.views -- -5`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			delta := int64(1)
			if len(args) == 3 {
				var err error
				if delta, err = strconv.ParseInt(args[2], 10, 64); err != nil {
					return usagef("DELTA %q: not a whole number", args[2])
				}
			}
			return g.kvCall(cmd, fmt.Sprintf("increment %q in bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				v, err := c.KeyValue(args[0]).Increment(ctx, args[1], delta)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(g.stdout, v)
				return err
			})
		},
	}
}

func newKVMgetCmd(g *globals) *cobra.Command {
	var asJSON, consistent bool
	cmd := &cobra.Command{
		Use:   "mget BUCKET KEY...",
		Short: "Print the values of several keys (one call)",
		Long: `Print the latest value of each KEY (up to 1000) on a line of its own, in
order: "KEY VALUE", or "KEY (not found)" for a key without a value. With
--json, print an array of entries (null for a key without a value).`,
		Example: `  natsgw kv mget app-config database.host database.port`,
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []natsgw.KVGetOption
			if consistent {
				opts = append(opts, natsgw.WithConsistentRead())
			}
			return g.kvCall(cmd, fmt.Sprintf("get many from bucket %q", args[0]), func(ctx context.Context, c *natsgw.Client) error {
				res, err := c.KeyValue(args[0]).GetMany(ctx, args[1:], opts...)
				if err != nil {
					return err
				}
				entries := make([]*jsonEntry, len(res))
				var buf bytes.Buffer
				for i, r := range res {
					switch {
					case errors.Is(r.Err, natsgw.ErrNotFound):
						fmt.Fprintf(&buf, "%s (not found)\n", r.Key)
					case r.Err != nil:
						return g.callError(fmt.Sprintf("get %q", r.Key), r.Err)
					default:
						e := entryJSON(r.Entry)
						entries[i] = &e
						buf.WriteString(r.Key + " ")
						writeLine(&buf, r.Entry.Value)
					}
				}
				if asJSON {
					return writeJSON(g.stdout, entries)
				}
				_, err = g.stdout.Write(buf.Bytes())
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&consistent, "consistent", false, "read from NATS, bypassing the gateway's read cache")
	jsonFlag(cmd, &asJSON, "print a JSON array of entries")
	return cmd
}

func newKVMputCmd(g *globals) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "mput BUCKET KEY=VALUE...",
		Short: "Store several values (one call) and print their revisions",
		Long: `Store each VALUE under its KEY (up to 1000 pairs) in one call, and print
"KEY REVISION" per pair, in order. Pairs are written independently: the
command fails, after printing the others, if any pair failed. Creates the
bucket with the defaults if it does not exist.`,
		Example: `  natsgw kv mput app-config database.host=localhost database.port=5432
  natsgw kv mput sessions s1=alice s2=bob --ttl 30m`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			items := make([]natsgw.KVPutItem, len(args)-1)
			for i, pair := range args[1:] {
				k, v, ok := strings.Cut(pair, "=")
				if !ok {
					return usagef("%q: want KEY=VALUE", pair)
				}
				items[i] = natsgw.KVPutItem{Key: k, Value: []byte(v), TTL: ttl}
			}
			return g.kvCall(cmd, fmt.Sprintf("put many in bucket %q", args[0]), func(ctx context.Context, c *natsgw.Client) error {
				res, err := c.KeyValue(args[0]).PutMany(ctx, items)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				var failed error
				for _, r := range res {
					if r.Err != nil {
						failed = cmp.Or(failed, g.callError(fmt.Sprintf("put %q", r.Key), r.Err))
						continue
					}
					fmt.Fprintf(&buf, "%s %d\n", r.Key, r.Revision)
				}
				if _, err := g.stdout.Write(buf.Bytes()); err != nil {
					return err
				}
				return failed
			})
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "time to live of every value (whole seconds, at least 1s)")
	return cmd
}

func newKVExpireCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "expire BUCKET KEY TTL",
		Short: "Give a key's value a time to live from now (0: keep it)",
		Long: `Give KEY's current value a time to live of TTL from now (a Go duration,
whole seconds, at least 1s), like Redis's EXPIRE; TTL 0 takes its TTL away
(PERSIST). The value is written again as a new revision, whose number is
printed; it replaces the key's kept history.`,
		Example: `  natsgw kv expire sessions s1 30m
  natsgw kv expire sessions s1 0`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ttl, err := time.ParseDuration(args[2])
			if err != nil {
				return usagef("TTL %q: %v", args[2], err)
			}
			return g.kvCall(cmd, fmt.Sprintf("expire %q in bucket %q", args[1], args[0]), func(ctx context.Context, c *natsgw.Client) error {
				rev, err := c.KeyValue(args[0]).Expire(ctx, args[1], ttl)
				if err != nil {
					return err
				}
				return g.printRevision(rev)
			})
		},
	}
}

// keysPage lists one page of keys (kv keys --limit), printing the keys and,
// when more follow, a hint on stderr (or "next" in JSON).
func (g *globals) keysPage(ctx context.Context, c *natsgw.Client, bucket, match string, limit int, after string, asJSON bool) error {
	p, err := c.KeyValue(bucket).KeysPage(ctx, natsgw.WithKeysMatching(match), natsgw.WithKeysPageSize(limit), natsgw.WithKeysPageToken(after))
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(g.stdout, struct {
			Keys []string `json:"keys"`
			Next string   `json:"next,omitempty"`
		}{p.Keys, p.Next})
	}
	var buf bytes.Buffer
	for _, k := range p.Keys {
		buf.WriteString(k)
		buf.WriteByte('\n')
	}
	if _, err := g.stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if p.Next != "" {
		fmt.Fprintf(g.stderr, "more keys follow: --after %s\n", p.Next)
	}
	return nil
}
