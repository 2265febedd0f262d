package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
	"github.com/natsgw/natsgw/natsgwtest"
)

// chromium is Debian's browser; the tests never download one.
const chromium = "/usr/bin/chromium"

// browserDir holds the browser tests' Node project (playwright-core).
var browserDir = filepath.Join("browser")

// needBrowser skips the test when Node.js, Chromium or playwright-core is
// missing, unless CI=true, where that fails it: CI installs them
// (.ci/run, `make browser-deps`).
func needBrowser(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: builds and runs the binary and a browser; skipped with -short")
	}
	node, err := exec.LookPath("node")
	var missing []string
	if err != nil {
		missing = append(missing, "node (Debian: nodejs)")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, chromium+" (Debian: chromium)")
	}
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "playwright-core (npm ci --prefix test/e2e/browser)")
	}
	if len(missing) > 0 {
		msg := "browser tests need " + strings.Join(missing, ", ") + "; `make browser-deps` installs them"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

var consoleAddr = regexp.MustCompile(`msg="web console" addr=(\S+)`)

// TestConsoleInBrowser drives the web console in headless Chromium
// (console.spec.mjs) against a real `natsgw serve` with token auth: the
// spec logs in, browses what this test created through the SDK, watches a
// KV change and a subject arrive live while this test writes them,
// uploads and downloads an object, replays a dead letter, and checks that
// another organization's token sees none of it. The spec asks this test
// for each write it must watch ("STEP name" on its stdout; "OK" or
// "FAIL reason" back on its stdin), and fails on any error in the page.
// Screenshots of every page go to the test's artifact directory (kept with
// `go test -artifacts`).
func TestConsoleInBrowser(t *testing.T) {
	node := needBrowser(t)
	auth, toks := natsgwtest.WriteAuthFile(t, [2]string{"acme", "ops"}, [2]string{"other", "ops"})
	serve := start(t, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--auth-file", auth, "--console-listen", "127.0.0.1:0")
	m := listening.FindStringSubmatch(serve.stdout.WaitFor(t, "listening on "))
	c := consoleAddr.FindStringSubmatch(serve.stderr.WaitFor(t, `msg="web console"`))
	if m == nil || c == nil {
		t.Fatalf("serve did not print its addresses:\n%s\n%s", serve.stdout, serve.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	acme, err := sdk.Dial(ctx, m[1], sdk.WithToken(toks[0]))
	testutil.NoErr(t, err, "dial")
	defer acme.Close()
	seed(t, ctx, acme)

	shots := t.ArtifactDir()
	cmd := exec.CommandContext(ctx, node, "console.spec.mjs")
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+c[1], "TOKEN_ACME="+toks[0], "TOKEN_OTHER="+toks[1], "SHOTS="+shots, "CHROMIUM="+chromium)
	stdin, err := cmd.StdinPipe()
	testutil.NoErr(t, err, "stdin")
	stdout, err := cmd.StdoutPipe()
	testutil.NoErr(t, err, "stdout")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	testutil.NoErr(t, cmd.Start(), "start node")
	steps := map[string]func() error{
		"kv-put": func() error {
			_, err := acme.KeyValue("cfg").Put(ctx, "db.port", []byte("5432"))
			return err
		},
		"publish": func() error {
			return acme.Publish(ctx, "events.user.login", []byte("hello-tail"), sdk.WithHeader(sdk.Header{"Source": {"web"}}))
		},
		"check-replay": func() error { return checkReplay(ctx, acme) },
		"check-task-retried": func() error {
			st, err := acme.Tasks("emails").Stats(ctx)
			if err != nil {
				return err
			}
			if st.Dead != 0 || st.Queued != 1 {
				return fmt.Errorf("after the retry: %d dead, %d queued", st.Dead, st.Queued)
			}
			return nil
		},
		"check-paused": func() error {
			ci, err := acme.ConsumerInfo(ctx, "ORDERS", "billing")
			if err != nil {
				return err
			}
			if !ci.Paused {
				return errors.New("consumer billing is not paused")
			}
			return nil
		},
	}
	sc := bufio.NewScanner(stdout)
	done := false
	for sc.Scan() {
		line := sc.Text()
		t.Log("spec:", line)
		name, ok := strings.CutPrefix(line, "STEP ")
		if !ok {
			if line == "DONE" {
				done = true
			}
			continue
		}
		answer := "OK"
		if f := steps[name]; f == nil {
			answer = "FAIL no such step " + name
		} else if err := f(); err != nil {
			answer = "FAIL " + err.Error()
		}
		_, _ = io.WriteString(stdin, answer+"\n")
	}
	err = cmd.Wait()
	if err != nil || !done {
		t.Fatalf("browser spec failed (%v):\n%s", err, stderr.String())
	}
	entries, _ := os.ReadDir(shots)
	if len(entries) < 7 {
		t.Errorf("expected a screenshot per page in %s, found %d", shots, len(entries))
	}
}

// seed creates what the browser must find: a stream with a message whose
// headers and JSON payload the page shows, a dead letter to replay, a KV
// bucket and an object bucket.
func seed(t *testing.T, ctx context.Context, c *sdk.Client) {
	t.Helper()
	_, err := c.CreateStream(ctx, sdk.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})
	testutil.NoErr(t, err, "create stream")
	_, err = c.PublishToStream(ctx, "ORDERS", "orders.new", []byte(`{"id":1,"item":"book"}`), sdk.WithMsgHeader(sdk.Header{"Source": {"web"}}))
	testutil.NoErr(t, err, "publish")
	_, err = c.CreateConsumer(ctx, "ORDERS", sdk.ConsumerConfig{Name: "billing", MaxDeliver: 3, DeadLetter: true})
	testutil.NoErr(t, err, "create consumer")
	msgs, err := c.Pull(ctx, "ORDERS", "billing", 1)
	testutil.NoErr(t, err, "pull")
	if len(msgs) != 1 {
		t.Fatalf("pulled %d messages", len(msgs))
	}
	testutil.NoErr(t, msgs[0].TermWithReason(ctx, "card declined"), "term")
	testutil.Poll(t, "dead letter copied", func() error {
		info, err := c.StreamInfo(ctx, "_dlq_ORDERS")
		if err != nil {
			return err
		}
		if info.State.Msgs != 1 {
			return fmt.Errorf("%d dead letters", info.State.Msgs)
		}
		return nil
	})
	_, err = c.KeyValue("cfg").Put(ctx, "db.host", []byte("localhost"))
	testutil.NoErr(t, err, "kv put")
	_, err = c.ObjectStore("docs").PutBytes(ctx, "readme.txt", []byte("hello objects"))
	testutil.NoErr(t, err, "object put")

	// A dead task: its worker fails it for good.
	q := c.Tasks("emails")
	_, err = q.Enqueue(ctx, "send_email", []byte(`{"to":"ann@example.com"}`))
	testutil.NoErr(t, err, "enqueue")
	w, err := q.Work(ctx, map[string]sdk.TaskHandler{
		"send_email": func(context.Context, *sdk.Task) ([]byte, error) {
			return nil, sdk.Fail(errors.New("smtp: 550 mailbox unavailable"))
		},
	}, 1)
	testutil.NoErr(t, err, "work")
	testutil.Poll(t, "the task is dead", func() error {
		st, err := q.Stats(ctx)
		if err != nil {
			return err
		}
		if st.Dead != 1 {
			return fmt.Errorf("%d dead", st.Dead)
		}
		return nil
	})
	testutil.NoErr(t, w.Stop(ctx), "stop the worker")
}

// checkReplay: the dead letter is gone from _dlq_ORDERS and back in ORDERS
// with its payload and headers, without the dead-letter headers.
func checkReplay(ctx context.Context, c *sdk.Client) error {
	dlq, err := c.StreamInfo(ctx, "_dlq_ORDERS")
	if err != nil {
		return err
	}
	if dlq.State.Msgs != 0 {
		return fmt.Errorf("_dlq_ORDERS still holds %d messages", dlq.State.Msgs)
	}
	m, err := c.GetLastStreamMsg(ctx, "ORDERS", "orders.new")
	if err != nil {
		return err
	}
	if m.Sequence != 2 || string(m.Data) != `{"id":1,"item":"book"}` || m.Header.Get("Source") != "web" {
		return fmt.Errorf("replayed message: seq %d data %q headers %v", m.Sequence, m.Data, m.Header)
	}
	for k := range m.Header {
		if strings.HasPrefix(strings.ToLower(k), "natsgw-dlq-") {
			return errors.New("replayed message kept header " + k)
		}
	}
	return nil
}
