package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// TestStreamCommands walks the brief's task queue through the command
// line: stream add/ls/info/pub/get/purge/rm and consumer add/ls/info/next/rm.
func TestStreamCommands(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	out := c.ok("stream", "add", "TASKS", "--subjects", "tasks.>", "--max-msgs", "10000", "--retention", "workqueue")
	for _, want := range []string{"stream:", "TASKS", "tasks.>", "workqueue", "messages 10000"} {
		if !strings.Contains(out, want) {
			t.Errorf("stream add output lacks %q:\n%s", want, out)
		}
	}
	c.ok("stream", "add", "TASKS", "--subjects", "tasks.>", "--max-msgs", "10000", "--retention", "workqueue") // idempotent
	_, _, err := c.run("", "stream", "add", "TASKS", "--subjects", "tasks.>")
	testutil.ErrIs(t, err, natsgw.ErrAlreadyExists, "add with another config")

	for i, data := range []string{`{"task_type":"send_email"}`, `{"task_type":"process_image"}`} {
		out := c.ok("stream", "pub", "TASKS", "tasks.processing", data, "-H", "priority:high")
		testutil.Equal(t, out, []string{"1\n", "2\n"}[i], "printed sequence")
	}
	stdout, stderr, err := c.run("from stdin", "stream", "pub", "TASKS", "tasks.processing", "--msg-id", "m1")
	testutil.NoErr(t, err, "pub from stdin")
	testutil.Equal(t, stdout, "3\n", "sequence")
	stdout, stderr, err = c.run("again", "stream", "pub", "TASKS", "tasks.processing", "--msg-id", "m1")
	testutil.NoErr(t, err, "duplicate pub")
	testutil.Equal(t, stdout, "3\n", "duplicate's sequence")
	if !strings.Contains(stderr, "Duplicate") {
		t.Errorf("duplicate not reported: %q", stderr)
	}
	_, _, err = c.run("", "stream", "pub", "TASKS", "tasks.processing", "x", "--expect-seq", "1")
	testutil.ErrIs(t, err, natsgw.ErrFailedPrecondition, "wrong --expect-seq")

	out = c.ok("stream", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	testutil.Equal(t, len(lines), 2, "ls lines")
	if f := strings.Fields(lines[1]); len(f) != 4 || f[0] != "TASKS" || f[1] != "3" || f[3] != "tasks.>" {
		t.Errorf("ls line %q", lines[1])
	}
	var list []map[string]any
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("stream", "ls", "--json")), &list), "ls --json")
	testutil.Equal(t, len(list), 1, "ls --json entries")
	testutil.Equal(t, list[0]["name"], any("TASKS"), "ls --json name")
	var info struct {
		Name      string   `json:"name"`
		Subjects  []string `json:"subjects"`
		Retention string   `json:"retention"`
		MaxMsgs   int64    `json:"max_msgs"`
		State     struct {
			Messages uint64 `json:"messages"`
			LastSeq  uint64 `json:"last_seq"`
		} `json:"state"`
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("stream", "info", "TASKS", "--json")), &info), "info --json")
	testutil.Equal(t, [5]any{info.Name, info.Subjects[0], info.Retention, info.MaxMsgs, info.State.Messages}, [5]any{"TASKS", "tasks.>", "workqueue", int64(10000), uint64(3)}, "info --json")
	if out := c.ok("stream", "info", "TASKS"); !strings.Contains(out, "messages:") || !strings.Contains(out, "3 (") {
		t.Errorf("info output:\n%s", out)
	}

	out = c.ok("stream", "get", "TASKS", "1")
	if !strings.Contains(out, "subject: tasks.processing") || !strings.Contains(out, "header: priority: high") || !strings.HasSuffix(out, "\n\n{\"task_type\":\"send_email\"}\n") {
		t.Errorf("get output:\n%s", out)
	}
	var got map[string]any
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("stream", "get", "TASKS", "2", "--json")), &got), "get --json")
	testutil.Equal(t, [2]any{got["sequence"], got["data"]}, [2]any{float64(2), `{"task_type":"process_image"}`}, "get --json")
	c.ok("stream", "get", "TASKS", "--last-for", "tasks.processing")
	_, _, err = c.run("", "stream", "get", "TASKS", "99")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "get a missing message")

	// Consumers.
	out = c.ok("consumer", "add", "TASKS", "worker-1", "--filter", "tasks.>", "--ack-wait", "30s", "--max-deliver", "3", "--dead-letter")
	for _, want := range []string{"worker-1", "tasks.>", "_dlq_TASKS", "max deliveries 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("consumer add output lacks %q:\n%s", want, out)
		}
	}
	out = c.ok("consumer", "ls", "TASKS")
	if !strings.Contains(out, "worker-1") {
		t.Errorf("consumer ls:\n%s", out)
	}
	var cl []map[string]any
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("consumer", "ls", "TASKS", "--json")), &cl), "consumer ls --json")
	testutil.Equal(t, len(cl), 1, "consumers")
	var ci struct {
		Name       string `json:"name"`
		DeadLetter bool   `json:"dead_letter"`
		NumPending uint64 `json:"num_pending"`
		MaxDeliver int    `json:"max_deliver"`
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("consumer", "info", "TASKS", "worker-1", "--json")), &ci), "consumer info --json")
	testutil.Equal(t, ci, struct {
		Name       string `json:"name"`
		DeadLetter bool   `json:"dead_letter"`
		NumPending uint64 `json:"num_pending"`
		MaxDeliver int    `json:"max_deliver"`
	}{"worker-1", true, 3, 3}, "consumer info --json")
	c.ok("consumer", "info", "TASKS", "worker-1")

	// next without ack: the message stays pending; with ack it is done.
	out = c.ok("consumer", "next", "TASKS", "worker-1", "--no-ack")
	testutil.Equal(t, out, "tasks.processing {\"task_type\":\"send_email\"}\n", "next --no-ack")
	var msgs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(c.ok("consumer", "next", "TASKS", "worker-1", "--count", "5", "--json")), "\n") {
		var m map[string]any
		testutil.NoErr(t, json.Unmarshal([]byte(line), &m), "next --json line")
		msgs = append(msgs, m)
	}
	testutil.Equal(t, len(msgs), 2, "next --count 5 got the rest")
	testutil.Equal(t, [4]any{msgs[0]["sequence"], msgs[0]["deliveries"], msgs[0]["stream"], msgs[0]["consumer"]}, [4]any{float64(2), float64(1), "TASKS", "worker-1"}, "next --json fields")
	_, stderr, err = c.run("", "consumer", "next", "TASKS", "worker-1", "--wait", "100ms")
	var ec exitCode
	if !errors.As(err, &ec) || !strings.Contains(stderr, "No message") {
		t.Errorf("next on an empty consumer: %v, stderr %q", err, stderr)
	}
	if out := c.ok("consumer", "info", "TASKS", "worker-1"); !strings.Contains(out, "1 awaiting ack") {
		t.Errorf("the --no-ack message should await its ack:\n%s", out)
	}

	testutil.Equal(t, c.ok("stream", "purge", "TASKS"), "1\n", "purged")
	testutil.Equal(t, c.ok("consumer", "rm", "TASKS", "worker-1"), "", "consumer rm")
	_, _, err = c.run("", "consumer", "info", "TASKS", "worker-1")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info after rm")
	testutil.Equal(t, c.ok("stream", "rm", "TASKS"), "", "stream rm")
	_, _, err = c.run("", "stream", "info", "TASKS")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "info after rm")
	// The dead-letter stream stays until deleted by name.
	out = c.ok("stream", "ls")
	if !strings.Contains(out, "_dlq_TASKS") {
		t.Errorf("dead-letter stream missing from ls:\n%s", out)
	}
}

func TestStreamCommandErrors(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	for _, args := range [][]string{
		{"stream", "add", "S"}, // no --subjects
		{"stream", "add", "S", "--subjects", "s", "--storage", "tape"}, // bad choice
		{"stream", "get", "S"},      // no SEQ
		{"stream", "get", "S", "x"}, // bad SEQ
		{"consumer", "next", "S", "c", "--count", "0"},
		{"consumer", "add", "S", "c", "--deliver", "sometimes"},
	} {
		if _, _, err := c.run("", args...); err == nil {
			t.Errorf("natsgw %s succeeded", strings.Join(args, " "))
		}
	}
	_, _, err := c.run("", "stream", "add", "_dlq_X", "--subjects", "x")
	testutil.ErrIs(t, err, natsgw.ErrInvalidArgument, "reserved name")
	_, _, err = c.run("", "stream", "info", "NOPE")
	testutil.ErrIs(t, err, natsgw.ErrNotFound, "missing stream")
	_, stderr, err := c.run("", "stream", "ls")
	testutil.NoErr(t, err, "empty ls")
	testutil.Equal(t, stderr, "No streams\n", "empty ls")
	testutil.Equal(t, c.ok("stream", "ls", "--json"), "[]\n", "empty ls --json")
}

// TestDeadLetterCommands: consumer next --term sends a message to the
// dead-letter stream at once (with the reason), --nak has it delivered
// again, and stream ls/info say what the dead-letter stream holds.
func TestDeadLetterCommands(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	c.ok("stream", "add", "JOBS", "--subjects", "jobs.>", "--retention", "workqueue")
	c.ok("consumer", "add", "JOBS", "w", "--max-deliver", "5", "--dead-letter")
	c.ok("stream", "pub", "JOBS", "jobs.a", "bad")
	testutil.Equal(t, c.ok("consumer", "next", "JOBS", "w", "--term", "--reason", "bad input"), "jobs.a bad\n", "next --term")
	var dead struct {
		Subject string              `json:"subject"`
		Data    string              `json:"data"`
		Headers map[string][]string `json:"headers"`
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("stream", "get", "_dlq_JOBS", "1", "--json")), &dead), "dead letter")
	testutil.Equal(t, [3]any{dead.Subject, dead.Data, dead.Headers["Natsgw-Dlq-Term-Reason"]}, [3]any{"jobs.a", "bad", []string{"bad input"}}, "dead letter")

	c.ok("stream", "pub", "JOBS", "jobs.b", "retry me")
	testutil.Equal(t, c.ok("consumer", "next", "JOBS", "w", "--nak"), "jobs.b retry me\n", "next --nak")
	var again struct {
		Data       string `json:"data"`
		Deliveries int    `json:"deliveries"`
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("consumer", "next", "JOBS", "w", "--json")), &again), "next after nak")
	testutil.Equal(t, again, struct {
		Data       string `json:"data"`
		Deliveries int    `json:"deliveries"`
	}{"retry me", 2}, "redelivered after --nak")
	_, _, err := c.run("", "consumer", "next", "JOBS", "w", "--nak", "--term")
	if err == nil || !strings.Contains(err.Error(), "nak") {
		t.Errorf("--nak with --term: %v", err)
	}

	var dlqLine string
	for _, line := range strings.Split(c.ok("stream", "ls"), "\n") {
		if strings.HasPrefix(line, "_dlq_JOBS ") {
			dlqLine = line
		}
	}
	if !strings.HasSuffix(dlqLine, "dead letters of stream JOBS (under their original subjects)") || strings.Contains(dlqLine, ">") {
		t.Errorf("stream ls shows the dead-letter stream as %q", dlqLine)
	}
	if out := c.ok("stream", "info", "_dlq_JOBS"); !strings.Contains(out, "subjects:          dead letters of stream JOBS") {
		t.Errorf("stream info of the dead-letter stream:\n%s", out)
	}
}
