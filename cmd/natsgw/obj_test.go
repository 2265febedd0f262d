package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

func TestObjFlow(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	dir := t.TempDir()
	doc := bytes.Repeat([]byte("Document content"), 1000)
	src := filepath.Join(dir, "q4.pdf")
	testutil.NoErr(t, os.WriteFile(src, doc, 0o644), "write file")
	digest := sha256.Sum256(doc)

	out := c.ok("obj", "add", "documents", "--description", "team docs")
	if !strings.Contains(out, "documents") || !strings.Contains(out, "team docs") {
		t.Fatalf("obj add printed %q", out)
	}
	out, errOut, err := c.run("", "obj", "put", "documents", src, "--name", "reports/q4.pdf", "--meta", "author=ann", "--meta", "kind=report")
	testutil.NoErr(t, err, "obj put")
	testutil.Equal(t, out, "documents/reports/q4.pdf: 16000 bytes, sha256 "+hex.EncodeToString(digest[:])+"\n", "put output")
	testutil.Equal(t, errOut, "", "put stderr (no progress bar off a terminal)")

	out = c.ok("obj", "ls", "documents")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "reports/q4.pdf  16000  ") {
		t.Fatalf("obj ls documents:\n%s", out)
	}
	var info jsonObject
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("obj", "info", "documents", "reports/q4.pdf", "--json")), &info), "info --json")
	testutil.Equal(t, info.Metadata, map[string]string{"author": "ann", "kind": "report"}, "metadata")
	testutil.Equal(t, [2]any{info.Size, info.SHA256}, [2]any{int64(16000), hex.EncodeToString(digest[:])}, "size and digest")
	out = c.ok("obj", "info", "documents", "reports/q4.pdf")
	for _, want := range []string{"size:         16000 bytes", "meta author:  ann", "sha256:       " + hex.EncodeToString(digest[:])} {
		if !strings.Contains(out, want) {
			t.Fatalf("obj info lacks %q:\n%s", want, out)
		}
	}

	dst := filepath.Join(dir, "out.pdf")
	out, errOut, err = c.run("", "obj", "get", "documents", "reports/q4.pdf", "-o", dst)
	testutil.NoErr(t, err, "obj get -o")
	testutil.Equal(t, out+errOut, "", "get -o output")
	got, err := os.ReadFile(dst)
	testutil.NoErr(t, err, "read output")
	testutil.Equal(t, got, doc, "file fetched")
	testutil.Equal(t, []byte(c.ok("obj", "get", "documents", "reports/q4.pdf", "--no-progress")), doc, "fetched to stdout")

	c.ok("obj", "rm", "documents", "reports/q4.pdf")
	_, _, err = c.run("", "obj", "get", "documents", "reports/q4.pdf", "-o", filepath.Join(dir, "gone"))
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get after rm")
	if !strings.Contains(err.Error(), `"reports/q4.pdf" not found`) {
		t.Fatalf("error %q does not say what is missing", err)
	}
	entries, _ := os.ReadDir(dir)
	testutil.Equal(t, len(entries), 2, "files in the directory (no partial download left)")

	out = c.ok("obj", "ls")
	if !strings.Contains(out, "documents") {
		t.Fatalf("obj ls:\n%s", out)
	}
	c.ok("obj", "rm", "documents")
	testutil.Equal(t, c.ok("obj", "ls", "--json"), "", "no buckets left")
	_, _, err = c.run("", "obj", "rm", "documents")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "rm a missing bucket")
}

func TestObjStdinAndJSON(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	_, _, err := c.run(string(data), "obj", "put", "b", "-")
	if err == nil || !strings.Contains(err.Error(), "--name") {
		t.Fatalf("put from stdin without --name: %v", err)
	}
	out, _, err := c.run(string(data), "obj", "put", "b", "-", "--name", "blob", "--json")
	testutil.NoErr(t, err, "put from stdin")
	var o jsonObject
	testutil.NoErr(t, json.Unmarshal([]byte(out), &o), "put --json")
	testutil.Equal(t, [3]any{o.Name, o.Size, o.Chunks}, [3]any{"blob", int64(len(data)), 3}, "stored object")
	testutil.Equal(t, []byte(c.ok("obj", "get", "b", "blob")), data, "round trip")

	c.ok("obj", "put", "b", "-", "--name", "logs/a")
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(c.ok("obj", "ls", "b", "--json", "--prefix", "logs/")), "\n") {
		var o jsonObject
		testutil.NoErr(t, json.Unmarshal([]byte(line), &o), "ls --json line")
		names = append(names, o.Name)
	}
	testutil.Equal(t, names, []string{"logs/a"}, "ls --prefix")

	var b jsonObjBucket
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("obj", "add", "limited", "--max-bytes", "1000000", "--ttl", "1h", "--json")), &b), "add --json")
	testutil.Equal(t, [3]any{b.MaxBytes, b.TTL, b.Storage}, [3]any{int64(1000000), "1h0m0s", "file"}, "bucket settings")

	// Another organization sees none of it.
	testutil.Equal(t, c.ok("--org", "other", "obj", "ls", "--json"), "", "other org's buckets")
	_, _, err = c.run("", "--org", "other", "obj", "get", "b", "blob")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "other org's get")

	_, _, err = c.run("", "obj", "put", "b", "-", "--name", "x", "--meta", "novalue")
	if err == nil || !strings.Contains(err.Error(), "KEY=VALUE") {
		t.Fatalf("bad --meta: %v", err)
	}
	_, _, err = c.run("", "obj", "put", "b", "-", "--name", "x", "--meta", "bad key=v")
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "invalid metadata key")
}

func TestObjProgress(t *testing.T) {
	t.Parallel()
	// Off a terminal (a pipe, a file) or with --no-progress: no bar.
	r, w, err := os.Pipe()
	testutil.NoErr(t, err, "pipe")
	defer r.Close()
	defer w.Close()
	if p := newProgress(w, true, "x", 10); p != nil {
		t.Fatal("progress bar on a pipe")
	}
	if p := newProgress(new(bytes.Buffer), true, "x", 10); p != nil {
		t.Fatal("progress bar on a buffer")
	}
	var nilBar *progress
	nilBar.add(5) // a nil bar draws nothing and does not panic
	nilBar.finish()

	// The bar itself, on a fake terminal with a fake clock.
	now := time.Unix(0, 0)
	var out bytes.Buffer
	p := startProgress(&out, "q4.pdf", 10<<20, 100, func() time.Time { return now })
	now = now.Add(time.Second)
	p.add(5 << 20)
	testutil.Equal(t, out.String(), "\rq4.pdf  50% [####################                    ]  5.0 MiB / 10.0 MiB  5.0 MiB/s  ETA 0:00:01\x1b[K", "half way")
	out.Reset()
	now = now.Add(10 * time.Millisecond)
	p.add(1) // too soon to redraw
	testutil.Equal(t, out.String(), "", "redraws are throttled")
	now = now.Add(time.Second)
	p.add(5<<20 - 1)
	p.finish()
	if !strings.Contains(out.String(), "100%") || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("finished bar: %q", out.String())
	}
	out.Reset()
	p = startProgress(&out, "stdin", -1, 100, func() time.Time { return now })
	now = now.Add(2 * time.Second)
	p.add(3 << 20)
	testutil.Equal(t, out.String(), "\rstdin  3.0 MiB  1.5 MiB/s\x1b[K", "unknown total")
}
