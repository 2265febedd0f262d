package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

func TestStats(t *testing.T) {
	t.Parallel()
	c, _ := newCLI(t)
	c.ok("--org", "acme", "pub", "events.x", "hello")
	c.ok("--org", "acme", "pub", "events.y", "hi")
	c.ok("--org", "bob", "pub", "events.x", "bob")

	var st jsonStats
	testutil.NoErr(t, json.Unmarshal([]byte(c.ok("--org", "acme", "stats", "--json")), &st), "decode --json")
	testutil.Equal(t, [2]uint64{st.InMsgs, st.InBytes}, [2]uint64{2, 7}, "acme's messages in")
	testutil.Equal(t, st.Streams, uint64(0), "streams")
	if st.Connections < 1 {
		t.Errorf("stats --json: connections %d, want at least the CLI's own", st.Connections)
	}

	out := c.ok("--org", "acme", "stats")
	for _, want := range []string{"Streams:", "Messages in:", "2 (7 bytes)", "Traffic since:", "Connections:"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
}
