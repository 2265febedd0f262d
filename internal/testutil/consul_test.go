package testutil_test

import (
	"os"
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

// TestConsulVersionPinned: the version the tests look for is the one
// tools/consul pins and `make consul` builds.
func TestConsulVersionPinned(t *testing.T) {
	for file, want := range map[string]string{
		"../../tools/consul/go.mod": "require github.com/hashicorp/consul " + testutil.ConsulVersion + "\n",
		"../../Makefile":            "CONSUL_VERSION := " + testutil.ConsulVersion + "\n",
	} {
		b, err := os.ReadFile(file)
		testutil.NoErr(t, err, "read "+file)
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not contain %q", file, strings.TrimSpace(want))
		}
	}
}
