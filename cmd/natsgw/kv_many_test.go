package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// TestKVManyCommands: incr, mget, mput, expire, put --ttl, get
// --consistent and keys --match --limit --after.
func TestKVManyCommands(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	testutil.Equal(t, c.ok("kv", "incr", "stats", "views"), "1\n", "incr")
	testutil.Equal(t, c.ok("kv", "incr", "stats", "views", "10"), "11\n", "incr by 10")
	testutil.Equal(t, c.ok("kv", "incr", "stats", "views", "--", "-4"), "7\n", "decrement")
	_, _, err := c.run("", "kv", "incr", "stats", "views", "x")
	if err == nil || !strings.Contains(err.Error(), "DELTA") {
		t.Fatalf("incr with a bad delta: %v", err)
	}
	_, _, err = c.run("", "kv", "put", "stats", "views", "1")
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "put in a counter bucket")

	testutil.Equal(t, c.ok("kv", "mput", "cfg", "b=2", "a=1", "c=3"), "b 1\na 2\nc 3\n", "mput")
	_, _, err = c.run("", "kv", "mput", "cfg", "novalue")
	if err == nil || !strings.Contains(err.Error(), "KEY=VALUE") {
		t.Fatalf("mput without '=': %v", err)
	}
	testutil.Equal(t, c.ok("kv", "mget", "cfg", "a", "zz", "c"), "a 1\nzz (not found)\nc 3\n", "mget")
	var entries []*struct{ Key, Value string }
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("kv", "mget", "cfg", "a", "zz", "--json", "--consistent")), &entries), "mget --json")
	testutil.Equal(t, len(entries), 2, "mget --json entries")
	if entries[0] == nil || entries[0].Key != "a" || entries[1] != nil {
		t.Fatalf("mget --json: %+v", entries)
	}
	testutil.Equal(t, c.ok("kv", "get", "cfg", "a", "--consistent"), "1\n", "get --consistent")

	testutil.Equal(t, c.ok("kv", "put", "cfg", "temp", "x", "--ttl", "1h"), "4\n", "put --ttl")
	testutil.Equal(t, c.ok("kv", "expire", "cfg", "temp", "0"), "5\n", "expire 0 (persist)")
	testutil.Equal(t, c.ok("kv", "expire", "cfg", "a", "30m"), "6\n", "expire")
	_, _, err = c.run("", "kv", "expire", "cfg", "missing", "1m")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "expire of a missing key")

	out, errOut, err := c.run("", "kv", "keys", "cfg", "--limit", "2")
	testutil.NoErr(t, err, "keys --limit")
	testutil.Equal(t, out, "a\nb\n", "first page")
	testutil.Equal(t, errOut, "more keys follow: --after b\n", "next-page hint")
	testutil.Equal(t, c.ok("kv", "keys", "cfg", "--limit", "2", "--after", "b"), "c\ntemp\n", "second page")
	testutil.Equal(t, c.ok("kv", "keys", "cfg", "--match", "temp", "--limit", "5", "--json"), `{"keys":["temp"]}`+"\n", "--match --json")
	testutil.Equal(t, c.ok("kv", "keys", "cfg", "--match", "temp"), "temp\n", "--match without --limit")
	_, _, err = c.run("", "kv", "keys", "cfg", "--after", "b")
	if err == nil || !strings.Contains(err.Error(), "--after needs --limit") {
		t.Fatalf("--after without --limit: %v", err)
	}
}

// TestBenchKV: a short `bench kv` run prints its table.
func TestBenchKV(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	out := c.ok("bench", "kv", "--clients", "2", "--duration", "300ms", "--mix", "get=3,put=1", "--keys", "10", "--size", "16")
	for _, want := range []string{"kv bench: 2 clients", "get reads cached", "op", "get", "put", "all", "p50", "p99"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	out = c.ok("bench", "kv", "--clients", "1", "--duration", "100ms", "--consistent", "--keys", "5")
	if !strings.Contains(out, "get reads consistent") || strings.Contains(out, "\nput") {
		t.Fatalf("consistent get-only run:\n%s", out)
	}
	for _, bad := range [][]string{{"--mix", "get=x"}, {"--mix", "del=1"}, {"--mix", "get=0"}, {"--clients", "0"}, {"--keys", "0"}} {
		_, _, err := c.run("", append([]string{"bench", "kv", "--duration", "10ms"}, bad...)...)
		if err == nil {
			t.Fatalf("bench kv %v: no error", bad)
		}
	}
}
