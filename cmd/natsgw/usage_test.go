package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// TestUsageErrors: a command line natsgw cannot run is answered with what
// is wrong and the --help to read, before any connection is made (the
// --server here has no gateway).
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		want    string // in the error
		help    string // the command whose --help it points to
		notWant string
	}{
		{[]string{"--bogus", "pub", "a", "b"}, "unknown flag: --bogus", "natsgw", "unknown command"},
		{[]string{"--timeout", "1s", "-x", "pub", "a", "b"}, "unknown flag: -x", "natsgw", "unknown command"},
		{[]string{"pub", "--bogus", "a"}, "unknown flag: --bogus", "natsgw pub", ""},
		{[]string{"pub", "a", "b", "c"}, "accepts between 1 and 2 arg(s), received 3", "natsgw pub", ""},
		{[]string{"pubb", "a"}, `unknown command "pubb" for "natsgw"`, "natsgw", ""},
		{[]string{"stream", "bogus"}, `unknown command "bogus" for "natsgw stream"`, "natsgw stream", ""},
		{[]string{"stream", "lss"}, "unknown command \"lss\" for \"natsgw stream\"\n\nDid you mean this?\n\tls\n", "natsgw stream", ""},
		{[]string{"--server"}, "flag needs an argument: --server", "natsgw", ""},
		{[]string{"pub", "x", "y", "--count", "0"}, "--count must be at least 1", "natsgw pub", ""},
		{[]string{"consumer", "next", "S", "c", "--nak", "--term"}, "at most one of --no-ack, --nak, --term", "natsgw consumer next", ""},
		{[]string{"consumer", "next", "S", "c", "--reason", "r"}, "--reason goes with --term", "natsgw consumer next", ""},
		{[]string{"--org", "", "pub", "a", "b"}, "--org must not be empty", "natsgw pub", ""},
		{[]string{"--org", "a.b", "pub", "a", "b"}, `--org "a.b": may contain only lowercase letters, digits and '-'`, "natsgw pub", "x-natsgw-org"},
		{[]string{"serve", "--log-level", "loud"}, "log-level: must be debug, info, warn or error", "natsgw serve", ""},
		{[]string{"serve", "--max-payload", "x"}, `invalid argument "x" for "--max-payload"`, "natsgw serve", ""},
		{[]string{"--user", "a b", "sub", "x"}, `--user "a b": may contain only letters`, "natsgw sub", "x-natsgw-user"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := Run(testutil.Context(t), append([]string{"--server", "127.0.0.1:1"}, tc.args...), nil, &out, &errOut)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a usage error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q lacks %q", msg, tc.want)
			}
			if tc.notWant != "" && strings.Contains(msg, tc.notWant) {
				t.Errorf("error %q contains %q", msg, tc.notWant)
			}
			if want := "\nRun '" + tc.help + " --help' for usage."; !strings.HasSuffix(msg, want) {
				t.Errorf("error %q does not end with %q", msg, want)
			}
			testutil.Equal(t, out.String()+errOut.String(), "", "output")
		})
	}
}

// TestVersionAndHelp: --version prints the client's version without a
// gateway; the root help starts newcomers at "natsgw serve" and shows
// examples.
func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	testutil.NoErr(t, Run(context.Background(), []string{"--server", "127.0.0.1:1", "--version"}, nil, &out, &out), "--version")
	if !strings.HasPrefix(out.String(), "natsgw devel (go") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("--version printed %q", out.String())
	}
	out.Reset()
	testutil.NoErr(t, Run(context.Background(), []string{"--help"}, nil, &out, &out), "--help")
	for _, want := range []string{`Getting started: run "natsgw serve"`, "Examples:\n  natsgw serve ", "natsgw pub events.user.login hi"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

// TestNotFoundSaysWhat: reading through a missing stream or consumer says
// which one is missing.
func TestNotFoundSaysWhat(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	c.ok("stream", "add", "S", "--subjects", "s.>")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"consumer", "next", "NOPE", "w"}, `stream "NOPE": stream not found`},
		{[]string{"consumer", "next", "S", "nope"}, `stream "S": consumer not found`},
		{[]string{"consumer", "info", "NOPE", "w"}, "stream not found"},
		{[]string{"stream", "get", "NOPE", "1"}, "stream not found"},
	} {
		_, _, err := c.run("", tc.args...)
		testutil.ErrIs(t, err, natsgw.ErrNotFound, strings.Join(tc.args, " "))
		if !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not end with %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestSubOneLinePerMessage: plain sub output keeps every message on its
// own line; payloads that would not print on one line are quoted with
// escapes, the rest stay as they are.
func TestSubOneLinePerMessage(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	payloads := []string{"plain text", "two\nlines", "\x1b[2Jclear screen", "tab\there", "bad utf8 \xff", "ünïcode ✓", "trailing newline\n", ""}
	sub := c.start("Subscribed", "sub", "p", "--count", "8")
	for _, p := range payloads {
		_, _, err := c.run(p, "pub", "p")
		testutil.NoErr(t, err, "pub "+p)
	}
	testutil.NoErr(t, sub.wait(t), "sub")
	testutil.Equal(t, strings.Split(sub.stdout.String(), "\n"), []string{
		"p plain text",
		`p "two\nlines"`,
		`p "\x1b[2Jclear screen"`,
		`p "tab\there"`,
		`p "bad utf8 \xff"`,
		"p ünïcode ✓",
		"p trailing newline",
		"p ",
		"",
	}, "sub output lines")
}
