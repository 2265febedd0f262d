package bench_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
)

// The Python client (clients/python) beside the Go SDK and direct nats.go,
// on the same gateway in the same run. Each Python run is one process of
// clients/python/bench/bench.py that connects first, says READY, and starts
// when told "GO <subject> <n> [consumer]", so its start-up is not timed.

const python = "/usr/bin/python3"

var pyBench = filepath.Join("..", "clients", "python", "bench", "bench.py")

// pyProc is one running bench.py.
type pyProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startPy(b *testing.B, mode, target, orgName string, args ...string) *pyProc {
	b.Helper()
	if _, err := exec.Command(python, "-c", "import grpc, google.protobuf").CombinedOutput(); err != nil {
		b.Skipf("needs %s with grpcio and protobuf (Debian: python3-grpcio python3-protobuf)", python)
	}
	cmd := exec.Command(python, append([]string{pyBench, mode, "--go", "--target", target, "--org", orgName}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	checkErr(b, err, "stdin")
	stdout, err := cmd.StdoutPipe()
	checkErr(b, err, "stdout")
	checkErr(b, cmd.Start(), "start "+pyBench)
	p := &pyProc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	b.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	p.expect(b, "READY")
	return p
}

// line returns the next line the process printed.
func (p *pyProc) line(b *testing.B) string {
	if !p.out.Scan() {
		b.Fatalf("bench.py ended early: %v", p.out.Err())
	}
	return p.out.Text()
}

func (p *pyProc) expect(b *testing.B, want string) {
	if got := p.line(b); got != want {
		b.Fatalf("bench.py said %q, want %q", got, want)
	}
}

func (p *pyProc) goCmd(b *testing.B, args ...any) {
	_, err := fmt.Fprintln(p.stdin, append([]any{"GO"}, args...)...)
	checkErr(b, err, "tell bench.py to go")
}

// result reads the JSON result line.
func (p *pyProc) result(b *testing.B) map[string]float64 {
	res := map[string]float64{}
	checkErr(b, json.Unmarshal([]byte(p.line(b)), &res), "bench.py result")
	return res
}

func BenchmarkPython(b *testing.B) {
	e := newEnv(b)
	target := e.srv.Addr()
	ctx := context.Background()
	data := payload(128)

	b.Run("case=publish/size=128B", func(b *testing.B) {
		sink := e.inproc(b)
		b.Run("path=direct-tcp", func(b *testing.B) { e.runPublish(b, sink, 128, publishDirect(e.tcp(b), data)) })
		b.Run("path=gw-go-stream", func(b *testing.B) { e.runPublish(b, sink, 128, publishStream(e.client(b), data)) })
		b.Run("path=py", func(b *testing.B) {
			p := startPy(b, "publish", target, org)
			e.runPublish(b, sink, 128, func(subj, _ string, n int) error {
				p.goCmd(b, subj, n)
				p.result(b)
				return nil
			})
		})
	})

	b.Run("case=subscribe/size=128B", func(b *testing.B) {
		pub := e.inproc(b)
		b.Run("path=direct-tcp", func(b *testing.B) {
			nc := e.tcp(b)
			e.runSubscribe(b, pub, data, func(_, mapped string, cnt *counter) func() {
				sub, err := nc.Subscribe(mapped, func(m *nats.Msg) { cnt.add(len(m.Data)) })
				checkErr(b, err, "subscribe")
				checkErr(b, nc.Flush(), "flush")
				return func() { _ = sub.Unsubscribe() }
			})
		})
		b.Run("path=gw-go-handler", func(b *testing.B) {
			c := e.client(b)
			e.runSubscribe(b, pub, data, func(subj, _ string, cnt *counter) func() {
				sub, err := c.Subscribe(ctx, subj, func(m *natsgw.Msg) { cnt.add(len(m.Data)) })
				checkErr(b, err, "subscribe")
				return func() { _ = sub.Unsubscribe(ctx) }
			})
		})
		b.Run("path=py", func(b *testing.B) {
			p := startPy(b, "subscribe", target, org)
			e.runSubscribe(b, pub, data, func(subj, _ string, cnt *counter) func() {
				p.goCmd(b, subj, cnt.want)
				p.expect(b, "SUBSCRIBED")
				go func() { // "C <k>": k more messages arrived
					for p.out.Scan() {
						k, err := strconv.Atoi(strings.TrimPrefix(p.out.Text(), "C "))
						if err != nil {
							return // the result line
						}
						for range k {
							cnt.add(len(data))
						}
					}
				}()
				return func() {}
			})
		})
	})

	b.Run("case=request/size=128B", func(b *testing.B) {
		b.Run("path=direct-tcp", func(b *testing.B) { e.requestDirect(b, e.tcp, data) })
		b.Run("path=gw-go", func(b *testing.B) { e.requestGateway(b, data) })
		b.Run("path=py", func(b *testing.B) {
			subj, _ := e.subjects(b, "req")
			responder := startPy(b, "serve", target, org)
			responder.goCmd(b, subj, 0)
			responder.expect(b, "SERVING")
			requester := startPy(b, "request", target, org)
			b.ResetTimer()
			requester.goCmd(b, subj, b.N)
			res := requester.result(b)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(res["p50_us"], "p50-µs")
			b.ReportMetric(res["p99_us"], "p99-µs")
		})
	})

	// JetStream on the same gateway (newJSBench would start another).
	jb := &jsBench{c: e.srv.Client(b, natsgw.WithOrg(jsOrg)), data: make([]byte, jsMsgSize)}
	var err error
	if jb.tcp, err = jetstream.New(e.tcp(b), jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
		b.Fatal(err)
	}
	if jb.inproc, err = jetstream.New(e.inproc(b), jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
		b.Fatal(err)
	}
	jb.fillJS = jb.inproc
	// fill stores b.N messages in a fresh stream and makes consumer "w".
	fill := func(b *testing.B) (name, natsName string) {
		name, natsName, subj := jb.stream(b)
		for range b.N {
			publishAsync(b, jb.fillJS, subj, jb.data)
		}
		waitAsync(b, jb.fillJS)
		_, err := jb.c.CreateConsumer(ctx, name, natsgw.ConsumerConfig{Name: "w", MaxAckPending: 100000})
		checkErr(b, err, "consumer")
		return name, natsName
	}
	b.Run("case=pull-ack/batch=100", func(b *testing.B) {
		b.Run("path=direct-tcp", func(b *testing.B) {
			_, natsName := fill(b)
			cons, err := jb.tcp.Consumer(ctx, natsName, "w")
			checkErr(b, err, "consumer")
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for n := 0; n < b.N; {
				batch, err := cons.Fetch(100, jetstream.FetchMaxWait(5*time.Second))
				checkErr(b, err, "fetch")
				for m := range batch.Messages() {
					checkErr(b, m.Ack(), "ack") // sent, not confirmed, as the brief's loop does
					n++
				}
			}
			b.StopTimer()
			report(b, start, cpu0)
		})
		b.Run("path=py", func(b *testing.B) {
			name, _ := fill(b)
			p := startPy(b, "pull_ack", target, jsOrg)
			b.ResetTimer()
			start := time.Now()
			p.goCmd(b, name, b.N, "w")
			if got := p.result(b)["msgs"]; int(got) != b.N {
				b.Fatalf("pulled and acked %v messages, want %d", got, b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	})
	b.Run("case=consume-ack/inflight=64", func(b *testing.B) {
		b.Run("path=direct-tcp", func(b *testing.B) {
			_, natsName := fill(b)
			cons, err := jb.tcp.Consumer(ctx, natsName, "w")
			checkErr(b, err, "consumer")
			done := make(chan struct{})
			var n atomic.Int64
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			cc, err := cons.Consume(func(m jetstream.Msg) {
				_ = m.Ack()
				if n.Add(1) == int64(b.N) {
					close(done)
				}
			}, jetstream.PullMaxMessages(64))
			checkErr(b, err, "consume")
			<-done
			b.StopTimer()
			report(b, start, cpu0)
			cc.Stop()
			<-cc.Closed()
		})
		b.Run("path=gw-go", func(b *testing.B) {
			name, _ := fill(b)
			done := make(chan struct{})
			var n atomic.Int64
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			cc, err := jb.c.Consume(ctx, name, "w", func(m *natsgw.StreamMsg) {
				_ = m.Ack(ctx)
				if n.Add(1) == int64(b.N) {
					close(done)
				}
			}, natsgw.WithMaxInFlight(64))
			checkErr(b, err, "consume")
			<-done
			b.StopTimer()
			report(b, start, cpu0)
			checkErr(b, cc.Stop(ctx), "stop")
		})
		b.Run("path=py", func(b *testing.B) {
			name, _ := fill(b)
			p := startPy(b, "consume_ack", target, jsOrg, "--batch", "64")
			b.ResetTimer()
			start := time.Now()
			p.goCmd(b, name, b.N, "w")
			if got := p.result(b)["msgs"]; int(got) != b.N {
				b.Fatalf("consumed %v messages, want %d", got, b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	})
}
