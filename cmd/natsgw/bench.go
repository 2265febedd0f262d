package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure this deployment (like redis-benchmark)",
	}
	cmd.AddCommand(newBenchKVCmd(g))
	return cmd
}

// benchKV is the setting of one `bench kv` run.
type benchKV struct {
	clients    int
	duration   time.Duration
	mix        string
	size       int
	keys       int
	bucket     string
	consistent bool
}

func newBenchKVCmd(g *globals) *cobra.Command {
	b := benchKV{}
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "Key-value throughput and latency: N clients running a mix of Get and Put",
		Long: `Runs --clients clients, each with its own connection to the gateway and one
operation at a time, for --duration, on --keys keys of --bucket (filled with
--size-byte values first), choosing each operation from --mix. Prints the
operations per second and the p50/p99 latency of each kind.

Get reads through the gateway's read cache unless --consistent is given.
The bucket is created if needed and left in place.`,
		Example: `  natsgw bench kv --clients 16 --duration 10s --mix get=90,put=10 --size 128`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.benchKV(cmd.Context(), b)
		},
	}
	f := cmd.Flags()
	f.IntVar(&b.clients, "clients", 16, "concurrent clients, each with its own connection")
	f.DurationVar(&b.duration, "duration", 10*time.Second, "how long to run")
	f.StringVar(&b.mix, "mix", "get=100", "operation mix: get=N,put=M (weights)")
	f.IntVar(&b.size, "size", 128, "value size in bytes")
	f.IntVar(&b.keys, "keys", 1000, "distinct keys")
	f.StringVar(&b.bucket, "bucket", "natsgw-bench", "bucket to use (created if missing)")
	f.BoolVar(&b.consistent, "consistent", false, "read from NATS, bypassing the gateway's read cache")
	return cmd
}

// parseMix reads "get=90,put=10" into the share of gets in percent.
func parseMix(mix string) (getPct int, err error) {
	var get, put int
	for part := range strings.SplitSeq(mix, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil || n < 0 {
			return 0, usagef("--mix %q: want get=N,put=M with whole numbers", mix)
		}
		switch name {
		case "get":
			get = n
		case "put":
			put = n
		default:
			return 0, usagef("--mix %q: unknown operation %q (get, put)", mix, name)
		}
	}
	if get+put == 0 {
		return 0, usagef("--mix %q: no operation has a weight", mix)
	}
	return get * 100 / (get + put), nil
}

func (g *globals) benchKV(ctx context.Context, b benchKV) error {
	getPct, err := parseMix(b.mix)
	if err != nil {
		return err
	}
	switch {
	case b.clients < 1:
		return usagef("--clients must be at least 1")
	case b.duration <= 0:
		return usagef("--duration must be positive")
	case b.size < 0:
		return usagef("--size must not be negative")
	case b.keys < 1:
		return usagef("--keys must be at least 1")
	}
	clients := make([]*natsgw.Client, b.clients)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range clients {
		if clients[i], err = g.dial(ctx); err != nil {
			return err
		}
	}
	value := make([]byte, b.size)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	keys := make([]string, b.keys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key.%d", i)
	}
	// Fill the bucket, a batch at a time.
	kv := clients[0].KeyValue(b.bucket)
	for start := 0; start < len(keys); start += 1000 {
		items := make([]natsgw.KVPutItem, 0, 1000)
		for _, k := range keys[start:min(start+1000, len(keys))] {
			items = append(items, natsgw.KVPutItem{Key: k, Value: value})
		}
		cctx, cancel := g.call(ctx)
		res, err := kv.PutMany(cctx, items)
		cancel()
		if err == nil {
			for _, r := range res {
				if r.Err != nil {
					err = r.Err
					break
				}
			}
		}
		if err != nil {
			return g.callError("fill bucket "+b.bucket, err)
		}
	}
	var getOpts []natsgw.KVGetOption
	if b.consistent {
		getOpts = append(getOpts, natsgw.WithConsistentRead())
	}

	type result struct {
		get, put []time.Duration
		err      error
	}
	results := make([]result, b.clients)
	runCtx, cancel := context.WithTimeout(ctx, b.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			kv := clients[c].KeyValue(b.bucket)
			rng := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			r := &results[c]
			for runCtx.Err() == nil {
				key := keys[rng.IntN(len(keys))]
				t0 := time.Now()
				var err error
				if rng.IntN(100) < getPct {
					_, err = kv.Get(ctx, key, getOpts...)
					r.get = append(r.get, time.Since(t0))
				} else {
					_, err = kv.Put(ctx, key, value)
					r.put = append(r.put, time.Since(t0))
				}
				if err != nil {
					r.err = err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var gets, puts []time.Duration
	for _, r := range results {
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			return g.callError("bench kv", r.err)
		}
		gets, puts = append(gets, r.get...), append(puts, r.put...)
	}
	read := "cached"
	if b.consistent {
		read = "consistent"
	}
	fmt.Fprintf(g.stdout, "kv bench: %d clients, %s, %d-byte values, %d keys, get reads %s\n", b.clients, elapsed.Round(time.Millisecond), b.size, b.keys, read)
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "op\tops\tops/s\tp50\tp99")
	for _, row := range []struct {
		name string
		lats []time.Duration
	}{{"get", gets}, {"put", puts}, {"all", append(gets, puts...)}} {
		if len(row.lats) == 0 {
			continue
		}
		slices.Sort(row.lats)
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%s\t%s\n", row.name, len(row.lats), float64(len(row.lats))/elapsed.Seconds(),
			quantile(row.lats, 50), quantile(row.lats, 99))
	}
	return w.Flush()
}

// quantile is the q-th percentile of sorted durations, rounded for reading.
func quantile(sorted []time.Duration, q int) time.Duration {
	d := sorted[min(len(sorted)*q/100, len(sorted)-1)]
	return d.Round(time.Microsecond)
}
