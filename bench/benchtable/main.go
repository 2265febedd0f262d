// Command benchtable turns the output of the core messaging benchmarks
// (bench/messaging_test.go) into the Markdown table of docs/BENCHMARKS.md.
//
//	go test -c -o bench.test ./bench
//	for i in $(seq 10); do ./bench.test -test.run '^$' -test.bench '^Benchmark(Publish|Subscribe|Request)$' -test.benchtime 0.5s; done > core.txt
//	go run ./bench/benchtable < core.txt
//
// Rates and latencies are medians over the runs. Ratios are medians of the
// ratio within each run (gateway over direct, measured a few seconds apart),
// which holds up better than a ratio of medians when the machine's load
// changes between runs.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// key names one sub-benchmark: Publish/size=128B/path=gw-stream.
type key struct{ bench, size, path string }

// runs holds, per key, one map of unit -> value per run, in order.
type runs map[key][]map[string]float64

var nameRE = regexp.MustCompile(`^Benchmark(\w+)/size=(\w+)/path=([\w-]+?)(-\d+)?$`)

func parse(r io.Reader) (runs, error) {
	out := runs{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		m := nameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		k := key{m[1], m[2], m[3]}
		vals := map[string]float64{}
		// f[1] is the iteration count; then value/unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", f[0], f[i], err)
			}
			vals[f[i+1]] = v
		}
		out[k] = append(out[k], vals)
	}
	return out, sc.Err()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// value is the median of unit over k's runs.
func (r runs) value(k key, unit string) float64 {
	var xs []float64
	for _, v := range r[k] {
		if x, ok := v[unit]; ok {
			xs = append(xs, x)
		}
	}
	return median(xs)
}

// ratio is the median over runs i of a[i]/b[i] for unit.
func (r runs) ratio(a, b key, unit string) float64 {
	var xs []float64
	for i := 0; i < len(r[a]) && i < len(r[b]); i++ {
		x, y := r[a][i][unit], r[b][i][unit]
		if y != 0 {
			xs = append(xs, x/y)
		}
	}
	return median(xs)
}

type target struct {
	text  string
	check func(ratio float64) bool
}

var (
	sizes  = []string{"16B", "128B", "1KiB"}
	order  = []string{"gw-unary", "gw-batch100", "gw-stream", "gw-handler", "gw-next", "gw"}
	labels = map[string]string{
		"gw-unary":    "publish: unary Publish",
		"gw-batch100": "publish: PublishBatch of 100",
		"gw-stream":   "publish: SDK Publisher (PublishStream)",
		"gw-handler":  "subscribe: handler",
		"gw-next":     "subscribe: SubscribeSync + Next",
		"gw":          "request-reply: Handle + Request",
	}
)

func targetOf(k key) *target {
	switch {
	case k.bench == "Publish" && k.path == "gw-stream" && k.size == "128B":
		return &target{">= 0.8x", func(r float64) bool { return r >= 0.8 }}
	case k.bench == "Subscribe":
		return &target{">= 0.7x", func(r float64) bool { return r >= 0.7 }}
	case k.bench == "Request":
		return &target{"p50 <= 4x", func(r float64) bool { return r <= 4 }}
	}
	return nil
}

func rate(v float64) string {
	if v >= 1e6 {
		return fmt.Sprintf("%.2f M/s", v/1e6)
	}
	return fmt.Sprintf("%.1f k/s", v/1e3)
}

func write(w io.Writer, r runs) {
	fmt.Fprintln(w, "| case | size | gateway | direct (TCP) | ratio | target | met? | direct (in-process) | ratio | CPU/msg vs TCP |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, bench := range []string{"Publish", "Subscribe", "Request"} {
		for _, path := range order {
			for _, size := range sizes {
				k := key{bench, size, path}
				tcp, in := key{bench, size, "direct-tcp"}, key{bench, size, "direct-inproc"}
				if len(r[k]) == 0 || len(r[tcp]) == 0 {
					continue
				}
				unit, show := "msgs/s", rate
				if bench == "Request" {
					unit, show = "p50-µs", func(v float64) string { return fmt.Sprintf("%.0f µs", v) }
				}
				ratio := r.ratio(k, tcp, unit)
				tgt, met := "", ""
				if t := targetOf(k); t != nil {
					tgt, met = t.text, "no"
					if t.check(ratio) {
						met = "yes"
					}
				}
				label := labels[path]
				if bench == "Request" {
					label += ", p50"
				}
				cpu := "-"
				if c := r.ratio(k, tcp, "cpu-ns/msg"); c > 0 {
					cpu = fmt.Sprintf("%.2fx", c)
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %.2fx | %s | %s | %s | %.2fx | %s |\n",
					label, size, show(r.value(k, unit)), show(r.value(tcp, unit)), ratio, tgt, met,
					show(r.value(in, unit)), r.ratio(k, in, unit), cpu)
				if bench == "Request" {
					unit := "p99-µs"
					fmt.Fprintf(w, "| %s, p99 | %s | %s | %s | %.2fx | | | %s | %.2fx | |\n",
						labels[path], size, show(r.value(k, unit)), show(r.value(tcp, unit)), r.ratio(k, tcp, unit),
						show(r.value(in, unit)), r.ratio(k, in, unit))
				}
			}
		}
	}
	n := 0
	for _, v := range r {
		n = max(n, len(v))
	}
	fmt.Fprintf(w, "\nMedians of %d runs; ratios are medians of per-run ratios.\n", n)
}

func main() {
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(r) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no core messaging benchmark results on stdin")
		os.Exit(1)
	}
	write(os.Stdout, r)
}
