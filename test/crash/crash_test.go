// Package crash drives the natsgw binary the way an outage does: kill -9 of
// the gateway process (and its embedded NATS) in the middle of work, then a
// restart on the same data, and counts what was lost and what came back.
// The guarantees it holds the code to are those of the Durability section
// of docs/ARCHITECTURE.md:
//
//   - a stream message whose publish was acknowledged is never lost;
//   - a task acknowledged with a confirmed ack (AckSync) on a work-queue
//     stream, or through a replicated consumer in a cluster, is never
//     delivered again, even when every node crashes; on a limits-retention
//     stream with an unreplicated consumer it may be, if its ack was
//     confirmed just before the crash (that consumer state is written
//     asynchronously); no task is ever lost;
//   - in a 3-node cluster, an R3 stream loses no acknowledged message when
//     a node is killed mid-publish, and the node catches up after a restart.
//
// The tests build the binary once and skip under -short.
package crash

import (
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// binary is the natsgw command built once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithNatsgw(m, &binary)) }

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("crash suite: builds the binary and kills it (about a minute); skipped with -short")
	}
}

// gateway is one `natsgw serve` process.
type gateway struct {
	args           []string
	cmd            *exec.Cmd
	stdout, stderr *testutil.Buffer
	exited         chan struct{}
	addr           string // gRPC address, once ready
}

var listening = regexp.MustCompile(`listening on (\S+) `)

// serve starts `natsgw serve args...` and waits (bounded) until it listens.
// The process is killed at the end of the test if still running. The
// environment holds no NATSGW_* variables, so only args count.
func serve(t *testing.T, args ...string) *gateway {
	t.Helper()
	g := startGateway(t, args)
	g.waitReady(t)
	return g
}

func startGateway(t *testing.T, args []string) *gateway {
	t.Helper()
	testutil.DependOnSources(t)
	g := &gateway{
		args:   args,
		cmd:    exec.Command(binary, append([]string{"serve"}, args...)...),
		stdout: new(testutil.Buffer),
		stderr: new(testutil.Buffer),
		exited: make(chan struct{}),
	}
	g.cmd.Stdout, g.cmd.Stderr = g.stdout, g.stderr
	g.cmd.Env = testutil.EnvWithoutNATSGW()
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("start natsgw serve %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		_ = g.cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-g.exited:
		default:
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
		if t.Failed() {
			t.Logf("natsgw serve %s; stderr:\n%s", strings.Join(args, " "), g.stderr)
		}
	})
	return g
}

func (g *gateway) waitReady(t *testing.T) {
	t.Helper()
	// A cluster node is ready once the cluster has a JetStream meta leader,
	// which takes all nodes starting up: allow for a loaded machine.
	m := listening.FindStringSubmatch(g.stdout.WaitForWithin(t, "listening on ", 45*time.Second))
	if m == nil || strings.HasSuffix(m[1], ":0") {
		t.Fatalf("serve did not print its address:\n%s", g.stdout)
	}
	g.addr = m[1]
}

// kill9 kills the process with SIGKILL (no shutdown of any kind) and waits
// until it is gone.
func (g *gateway) kill9(t *testing.T) {
	t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	select {
	case <-g.exited:
	case <-time.After(testutil.Eventually):
		t.Fatal("the killed gateway did not exit")
	}
}

// restart starts the gateway again with the same arguments (same data).
func (g *gateway) restart(t *testing.T) *gateway {
	t.Helper()
	return serve(t, g.args...)
}

// dial connects an SDK client of org "crash", closed with the test.
func dial(t *testing.T, addr string) *natsgw.Client {
	t.Helper()
	c, err := natsgw.Dial(testutil.Context(t), addr, natsgw.WithOrg("crash"))
	testutil.NoErr(t, err, "dial "+addr)
	t.Cleanup(func() { c.Close() })
	return c
}

// within returns a context that ends after d or with the test.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		testutil.NoErr(t, err, "pick a free port")
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
