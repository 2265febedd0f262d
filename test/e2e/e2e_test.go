// Package e2e holds black-box tests: they build the natsgw binary and run it
// as users do (`natsgw serve`, then client commands in other processes).
package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/natsgw/natsgw/internal/testutil"
)

// binary is the natsgw command built once for the package.
var binary string

func TestMain(m *testing.M) { os.Exit(testutil.RunWithNatsgw(m, &binary)) }

// process is a natsgw process whose output the test reads as it comes.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *testutil.Buffer
	exited         chan struct{}
	err            error // set before exited is closed
}

// start runs natsgw with args, killed at the end of the test if still
// running. The environment holds no NATSGW_* variables, so only the
// arguments count.
func start(t *testing.T, args ...string) *process {
	t.Helper()
	return startCmd(t, exec.Command(binary, args...))
}

// startCmd is start with a prepared command (its Stdout and Stderr are set
// here, and its Env unless already set).
func startCmd(t *testing.T, cmd *exec.Cmd) *process {
	testutil.DependOnSources(t)
	t.Helper()
	args := cmd.Args[1:]
	p := &process{
		cmd:    cmd,
		stdout: new(testutil.Buffer),
		stderr: new(testutil.Buffer),
		exited: make(chan struct{}),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if p.cmd.Env == nil {
		p.cmd.Env = testutil.EnvWithoutNATSGW()
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start natsgw %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Logf("killed natsgw %s; stderr:\n%s", strings.Join(args, " "), p.stderr)
	})
	return p
}

// exitedWithin waits (at most testutil.Eventually) for the process to exit
// by itself and returns its error.
func (p *process) exitedWithin(t *testing.T) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(testutil.Eventually):
		t.Fatalf("%s did not exit within %s; stdout:\n%s\nstderr:\n%s", p.cmd, testutil.Eventually, p.stdout, p.stderr)
		return nil
	}
}

// wait waits (at most testutil.Eventually) for the process to exit by
// itself and fails the test unless it exited with status 0.
func (p *process) wait(t *testing.T) {
	t.Helper()
	if p.exitedWithin(t) != nil {
		t.Fatalf("%s: %v; stdout:\n%s\nstderr:\n%s", p.cmd, p.err, p.stdout, p.stderr)
	}
}

// natsgw runs a client command to its end and returns its stdout.
func natsgw(t *testing.T, args ...string) string {
	t.Helper()
	p := start(t, args...)
	p.wait(t)
	return p.stdout.String()
}

var listening = regexp.MustCompile(`listening on (\S+) `)

// TestServePubSubRequest starts `natsgw serve` on a random port and drives it
// with the client commands, each its own process, as in the README's quick
// start; then stops it with SIGTERM.
func TestServePubSubRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: builds and runs the binary; skipped with -short")
	}
	serve := start(t, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	m := listening.FindStringSubmatch(serve.stdout.WaitFor(t, "listening on "))
	if m == nil || strings.HasSuffix(m[1], ":0") {
		t.Fatalf("serve did not print its real address:\n%s", serve.stdout)
	}
	server := []string{"--server", m[1]}
	client := func(args ...string) []string { return append(server, args...) }

	health := natsgw(t, client("health")...)
	if !strings.Contains(health, "healthy:      yes") {
		t.Fatalf("health:\n%s", health)
	}

	sub := start(t, client("sub", "events.user.*", "--count", "2")...)
	other := start(t, client("--org", "acme", "sub", ">")...)
	sub.stderr.WaitFor(t, `Subscribed to "events.user.*"`)
	other.stderr.WaitFor(t, `Subscribed to ">"`)
	natsgw(t, client("pub", "events.user.login", "hi")...)
	natsgw(t, client("pub", "events.system.startup", "not for this subscriber")...)
	natsgw(t, client("pub", "events.user.login", "-H", "source:web", `{"user":"u1"}`)...)
	sub.wait(t)
	testutil.Equal(t, sub.stdout.String(), "events.user.login hi\nevents.user.login {\"user\":\"u1\"}\n", "sub's output")
	// acme's ">" saw none of the default organization's messages: its own
	// marker, published after them through the gateway's one NATS
	// connection, is the first thing it prints.
	natsgw(t, client("--org", "acme", "pub", "marker", "acme")...)
	testutil.Equal(t, other.stdout.WaitFor(t, "marker acme\n"), "marker acme\n", "another organization's sub")

	reply := start(t, client("reply", "api.echo", "--echo", "--count", "1")...)
	reply.stderr.WaitFor(t, `Listening for requests on "api.echo"`)
	testutil.Equal(t, natsgw(t, client("req", "api.echo", "hello")...), "hello\n", "req's output")
	reply.wait(t)

	// Ctrl-C is how a subscriber normally ends: exit status 0.
	if err := other.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	other.wait(t)

	if err := serve.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	serve.wait(t)
}

// TestServeUnwritableDataDir: serve with a data directory it may not write
// exits at once with status 1, naming the directory and the problem (it
// used to hang without listening). Root writes anywhere, so as root the
// binary runs as the unprivileged uid 65534.
func TestServeUnwritableDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: builds and runs the binary; skipped with -short")
	}
	base, err := os.MkdirTemp("", "natsgw-ro-")
	testutil.NoErr(t, err, "temp dir")
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	testutil.NoErr(t, os.Chmod(base, 0o755), "chmod base")
	data := filepath.Join(base, "data")
	testutil.NoErr(t, os.Mkdir(data, 0o555), "mkdir data")
	t.Cleanup(func() { _ = os.Chmod(data, 0o755) })

	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data", data)
	cmd.Dir = base
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	p := startCmd(t, cmd)
	err = p.exitedWithin(t)
	if err == nil {
		t.Fatalf("serve succeeded; stdout:\n%s", p.stdout)
	}
	testutil.Equal(t, p.cmd.ProcessState.ExitCode(), 1, "exit status")
	stderr := p.stderr.String()
	for _, want := range []string{`natsgw: `, `data directory "` + data + `" is not writable`, "permission denied"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(p.stdout.String(), "listening") {
		t.Errorf("serve said it was listening:\n%s", p.stdout)
	}
}
