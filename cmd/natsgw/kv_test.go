package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// TestKVBriefFlow is the brief's key-value example through the CLI.
func TestKVBriefFlow(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	testutil.Equal(t, c.ok("kv", "put", "app-config", "database.host", "localhost"), "1\n", "put prints the revision")
	testutil.Equal(t, c.ok("kv", "put", "app-config", "database.port", "5432"), "2\n", "put")
	out, _, err := c.run("300", "kv", "put", "app-config", "cache.ttl")
	testutil.NoErr(t, err, "put from stdin")
	testutil.Equal(t, out, "3\n", "put from stdin")

	testutil.Equal(t, c.ok("kv", "get", "app-config", "database.host"), "localhost\n", "get")
	testutil.Equal(t, c.ok("kv", "get", "app-config", "cache.ttl", "--raw"), "300", "get --raw")
	var e struct {
		Bucket, Key, Operation string
		Revision               uint64
		Value                  *string
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("kv", "get", "app-config", "database.host", "--json")), &e), "get --json")
	testutil.Equal(t, [4]any{e.Key, e.Revision, e.Operation, *e.Value}, [4]any{"database.host", uint64(1), "PUT", "localhost"}, "entry")

	testutil.Equal(t, c.ok("kv", "keys", "app-config"), "cache.ttl\ndatabase.host\ndatabase.port\n", "keys")
	testutil.Equal(t, c.ok("kv", "keys", "app-config", "database.*", "--json"), `["database.host","database.port"]`+"\n", "keys --json with a filter")
	testutil.Equal(t, c.ok("kv", "del", "app-config", "cache.ttl"), "", "del prints nothing")
	_, _, err = c.run("", "kv", "get", "app-config", "cache.ttl")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get a deleted key")
	if !strings.Contains(err.Error(), "key not found") {
		t.Fatalf("error %q", err)
	}
	testutil.Equal(t, c.ok("kv", "keys", "app-config"), "database.host\ndatabase.port\n", "keys after del")
	testutil.Equal(t, c.ok("kv", "history", "app-config", "cache.ttl"), "3 PUT cache.ttl 300\n4 DELETE cache.ttl\n", "history")
	testutil.Equal(t, c.ok("kv", "get", "app-config", "cache.ttl", "--revision", "3"), "300\n", "get --revision")
}

func TestKVCreateUpdate(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	testutil.Equal(t, c.ok("kv", "create", "locks", "job.1", "a", "--ttl", "1h"), "1\n", "create")
	_, _, err := c.run("", "kv", "create", "locks", "job.1", "b")
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "create again")
	testutil.Equal(t, c.ok("kv", "update", "locks", "job.1", "b", "--revision", "1"), "2\n", "update")
	_, _, err = c.run("", "kv", "update", "locks", "job.1", "c", "--revision", "1")
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "update at a stale revision")
	_, _, err = c.run("", "kv", "update", "locks", "job.1", "c")
	if err == nil || !strings.Contains(err.Error(), "--revision is required") {
		t.Fatalf("update without --revision: %v", err)
	}
	_, _, err = c.run("", "kv", "del", "locks", "job.1", "--revision", "1")
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "del at a stale revision")
	testutil.Equal(t, c.ok("kv", "purge", "locks", "job.1", "--revision", "2"), "", "purge")
	testutil.Equal(t, c.ok("kv", "history", "locks", "job.1"), "3 PURGE job.1\n", "history after purge")
	_, _, err = c.run("", "kv", "create", "locks", "job.2", "x", "--ttl", "500ms")
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "create with a sub-second TTL")
	if !strings.Contains(err.Error(), "ttl: ") {
		t.Fatalf("error %q does not name the field", err)
	}
}

func TestKVBuckets(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	_, errOut, err := c.run("", "kv", "ls")
	testutil.NoErr(t, err, "ls")
	testutil.Equal(t, errOut, "No buckets.\n", "ls of nothing")
	out := c.ok("kv", "add", "sessions", "--history", "10", "--ttl", "1h", "--max-bytes", "1048576", "--storage", "memory", "--description", "web sessions")
	for _, want := range []string{"bucket:          sessions", "history:         10 revisions per key", "ttl:             1h0m0s", "storage:         memory", "max bytes:       1048576 bytes", "key TTL:         allowed (limit marker TTL 1s)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("kv add output lacks %q:\n%s", want, out)
		}
	}
	var b map[string]any
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("kv", "info", "sessions", "--json")), &b), "info --json")
	for k, want := range map[string]any{"bucket": "sessions", "ttl": "1h0m0s", "storage": "memory", "limit_marker_ttl": "1s", "history": 10.0, "values": 0.0, "key_ttl_allowed": true} {
		testutil.Equal(t, b[k], want, "info --json: "+k)
	}

	c.ok("kv", "put", "auto", "k", "v")
	out = c.ok("kv", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "BUCKET") || !strings.HasPrefix(lines[1], "auto ") || !strings.HasPrefix(lines[2], "sessions ") {
		t.Fatalf("kv ls:\n%s", out)
	}
	var list []map[string]any
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("kv", "ls", "--json")), &list), "ls --json")
	testutil.Equal(t, len(list), 2, "buckets")
	testutil.Equal(t, list[0]["history"], any(float64(5)), "default history")

	_, _, err = c.run("", "kv", "add", "sessions", "--history", "3")
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "add with other settings")
	testutil.Equal(t, c.ok("kv", "rm", "auto"), "", "rm")
	_, _, err = c.run("", "kv", "info", "auto")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info of a removed bucket")
	_, _, err = c.run("", "kv", "rm", "auto")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "rm again")
}

func TestKVWatchCLI(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	c.ok("kv", "put", "cfg", "a", "1")
	w := c.start(`Watching ">" in bucket "cfg"`, "kv", "watch", "cfg", "--count", "3")
	testutil.Equal(t, w.stdout.String(), "1 PUT a 1\n", "initial values")
	c.ok("kv", "put", "cfg", "b", "2")
	c.ok("kv", "del", "cfg", "a")
	testutil.NoErr(t, w.wait(t), "watch --count 3")
	testutil.Equal(t, w.stdout.String(), "1 PUT a 1\n2 PUT b 2\n3 DELETE a\n", "watch output")

	j := c.start(`Watching "b" in bucket "cfg"`, "kv", "watch", "cfg", "b", "--json", "--updates-only", "--count", "1")
	j.stdout.StaysEmpty(t, "updates only")
	c.ok("kv", "put", "cfg", "b", string([]byte{0xff, 0}))
	testutil.NoErr(t, j.wait(t), "watch --json")
	var e map[string]any
	testutil.NoErr(t, json.Unmarshal([]byte(j.stdout.String()), &e), "watch --json output")
	testutil.Equal(t, [3]any{e["key"], e["operation"], e["value_base64"]}, [3]any{"b", "PUT", "/wA="}, "binary value as base64")

	r := c.start(`Watching ">" in bucket "cfg"`, "kv", "watch", "cfg", "--from-revision", "3")
	testutil.Equal(t, r.stdout.String(), "3 DELETE a\n4 PUT b \xff\x00\n", "resumed watch")

	_, _, err := c.run("", "kv", "watch", "missing")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "watch a missing bucket")
}

func TestKVOrgs(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	c.ok("--org", "acme", "kv", "put", "x", "k", "acme")
	c.ok("--org", "acme-x", "kv", "put", "x", "k", "acme-x")
	testutil.Equal(t, c.ok("--org", "acme", "kv", "get", "x", "k"), "acme\n", "acme's value")
	testutil.Equal(t, c.ok("--org", "acme-x", "kv", "get", "x", "k"), "acme-x\n", "acme-x's value")
	_, _, err := c.run("", "--org", "bob", "kv", "get", "x", "k")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "bob sees no bucket x")
	testutil.Equal(t, c.ok("--org", "bob", "kv", "ls", "--json"), "[]\n", "bob's buckets")
}
