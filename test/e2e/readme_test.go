package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

// quickStart returns the shell commands of README.md's "Quick start"
// section (the sh code blocks up to the next "## " heading), one per line,
// comments included (the shell ignores them), continuation lines joined.
func quickStart(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	testutil.NoErr(t, err, "read README.md")
	_, section, ok := strings.Cut(string(readme), "\n## Quick start\n")
	if !ok {
		t.Fatal(`README.md has no "## Quick start" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var cmds []string
	inSh := false
	cont := ""
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "```"):
			inSh = line == "```sh"
		case !inSh || line == "" || strings.HasPrefix(line, "#"):
		case strings.HasSuffix(line, `\`):
			cont += strings.TrimSuffix(line, `\`) + " "
		default:
			cmds = append(cmds, cont+line)
			cont = ""
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands in the quick start: %q", len(cmds), cmds)
	}
	return cmds
}

var (
	// longRunning matches the commands that run until interrupted, and
	// what each says on stderr once it is ready.
	longRunning = regexp.MustCompile(`^natsgw (--org \S+ )?(sub|reply|kv watch) `)
	readyLine   = map[string]string{"sub": "Subscribed to ", "reply": "Listening for requests on ", "kv watch": "Watching "}
	// prints is a comment stating a command's whole output.
	prints = regexp.MustCompile(`# prints "([^"]*)"`)
)

// TestReadmeQuickStart runs the README's quick start as written, each
// command in /bin/sh with the built natsgw first on PATH, in a directory
// holding a copy of README.md (the quick start stores it). `natsgw serve`
// gets --listen 127.0.0.1:0 added and the clients NATSGW_SERVER; `go
// install ./cmd/natsgw` is what TestMain's build does. Every command must
// exit with status 0; one whose comment says `prints "X"` must print
// exactly X. Commands that run until Ctrl-C (sub, reply, kv watch) run in
// the background from their line on, and end with SIGINT (status 0) after
// the last command; each must have printed something by then, except the
// one whose comment says it sees none. So must serve. Lines run with sh -e,
// so in "a; b" both must succeed.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	readme, err := os.ReadFile("../../README.md")
	testutil.NoErr(t, err, "read README.md")
	testutil.NoErr(t, os.WriteFile(filepath.Join(dir, "README.md"), readme, 0o600), "copy README.md")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NATSGW_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	sh := func(line string) *exec.Cmd {
		cmd := exec.Command("/bin/sh", "-ec", line)
		cmd.Dir, cmd.Env = dir, env
		return cmd
	}

	type background struct {
		line string
		p    *process
	}
	var bg []background
	var serve *process
	for _, line := range quickStart(t) {
		t.Logf("$ %s", line)
		switch {
		case strings.HasPrefix(line, "go install ./cmd/natsgw"):
			continue // TestMain built the binary the same way
		case strings.HasPrefix(line, "natsgw serve"):
			cmd, _, _ := strings.Cut(line, "#")
			serve = startCmd(t, sh("exec "+cmd+" --listen 127.0.0.1:0"))
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("serve's stderr:\n%s", serve.stderr)
				}
			})
			m := listening.FindStringSubmatch(serve.stdout.WaitFor(t, "listening on "))
			if m == nil {
				t.Fatalf("serve did not print its address:\n%s", serve.stdout)
			}
			env = append(env, "NATSGW_SERVER="+m[1])
			continue
		case serve == nil:
			t.Fatalf("%q comes before `natsgw serve`", line)
		}
		if m := longRunning.FindStringSubmatch(line); m != nil {
			p := startCmd(t, sh("exec "+line))
			p.stderr.WaitFor(t, readyLine[m[2]])
			bg = append(bg, background{line, p})
			continue
		}
		p := startCmd(t, sh(line))
		if err := p.exitedWithin(t); err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", line, err, p.stdout, p.stderr)
		}
		if m := prints.FindStringSubmatch(line); m != nil {
			testutil.Equal(t, p.stdout.String(), m[1]+"\n", line)
		}
	}
	for _, b := range bg {
		if strings.Contains(b.line, "sees none") {
			b.p.stdout.StaysEmpty(t, b.line)
		} else {
			testutil.Poll(t, "output of "+b.line, func() error {
				if b.p.stdout.String() == "" {
					return errors.New("nothing printed")
				}
				return nil
			})
		}
		testutil.NoErr(t, b.p.cmd.Process.Signal(os.Interrupt), "interrupt "+b.line)
		if err := b.p.exitedWithin(t); err != nil {
			t.Errorf("%s after Ctrl-C: %v\nstderr:\n%s", b.line, err, b.p.stderr)
		}
		t.Logf("%s printed:\n%s", b.line, b.p.stdout)
	}
	testutil.NoErr(t, serve.cmd.Process.Signal(os.Interrupt), "interrupt serve")
	serve.wait(t)
}
