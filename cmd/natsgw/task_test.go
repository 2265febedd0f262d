package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

// The task commands end to end: add, a shell command as the worker (exit
// status decides), ls, info, retry, schedule, purge, with JSON output.
func TestTaskCommands(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	var added struct{ ID string }
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("task", "add", "emails", "send", `{"to":"a@b.c"}`, "--priority", "high", "--json")), &added), "add --json")
	bad := strings.TrimSpace(c.ok("task", "add", "emails", "broken", "x", "--max-retries", "0"))

	// The worker: "send" succeeds echoing its payload, "broken" fails for good.
	w := c.start(`Working on queue "emails"`, "task", "work", "emails", "--count", "2", "--",
		"sh", "-c", `if [ "$NATSGW_TASK_TYPE" = send ]; then echo "sent $(cat)"; else echo "smtp down" >&2; exit 100; fi`)
	testutil.NoErr(t, w.wait(t), "task work --count 2")

	var info struct {
		State, Result, Priority string
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("task", "info", "emails", added.ID, "--json")), &info), "info --json")
	testutil.Equal(t, info, struct{ State, Result, Priority string }{"succeeded", "sent {\"to\":\"a@b.c\"}\n", "high"}, "succeeded task")
	var dead []struct{ ID, Error string }
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("task", "ls", "emails", "--state", "dead", "--json")), &dead), "ls --json")
	if len(dead) != 1 || dead[0].ID != bad || dead[0].Error != "smtp down" {
		t.Fatalf("dead tasks = %+v", dead)
	}
	var queues []struct {
		Queue           string
		Succeeded, Dead int
	}
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("task", "ls", "--json")), &queues), "ls queues --json")
	if len(queues) != 1 || queues[0].Queue != "emails" || queues[0].Succeeded != 1 || queues[0].Dead != 1 {
		t.Fatalf("queues = %+v", queues)
	}
	c.ok("task", "retry", "emails", bad)
	testutil.Equal(t, c.ok("task", "ls", "emails", "--state", "dead", "--json"), "[]\n", "dead after retry")

	c.ok("task", "schedule", "add", "emails", "nightly", "report", "--cron", "0 0 2 * * *", "--tz", "Europe/Paris")
	testutil.Equal(t, c.ok("task", "schedule", "ls", "emails", "--json"), `[{"name":"nightly","cron":"0 0 2 * * *","time_zone":"Europe/Paris","type":"report"}]`+"\n", "schedules")
	c.ok("task", "schedule", "rm", "emails", "nightly")
	testutil.Equal(t, c.ok("task", "purge", "emails", "--json"), `{"purged":2}`+"\n", "purge")

	_, _, err := c.run("", "task", "schedule", "add", "emails", "x", "report", "--cron", "not a cron")
	if err == nil || !strings.Contains(err.Error(), "schedule.cron") {
		t.Fatalf("bad cron: %v", err)
	}
}
