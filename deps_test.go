package natsgw_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSDKDependencies keeps the SDK light: a program importing package
// natsgw must not pull in a NATS server, the NATS client (the gateway speaks
// NATS, the SDK speaks gRPC), the CLI framework or the metrics library.
func TestSDKDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/natsgw/natsgw").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/nats-io/",
			"github.com/spf13/",
			"github.com/prometheus/",
			"github.com/stretchr/testify",
			"github.com/natsgw/natsgw/internal/",
		} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("the SDK depends on %s", pkg)
			}
		}
	}
}

// TestBinaryDependencies keeps what only tests need out of the natsgw
// binary (a first `go run ./cmd/natsgw serve` compiles everything listed).
func TestBinaryDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/natsgw/natsgw/cmd/natsgw").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == "testing", pkg == "net/http/httptest",
			strings.HasPrefix(pkg, "go.uber.org/goleak"),
			strings.HasPrefix(pkg, "github.com/google/go-cmp"),
			pkg == "github.com/natsgw/natsgw/internal/testutil",
			pkg == "github.com/natsgw/natsgw/natsgwtest":
			t.Errorf("the natsgw binary depends on %s, which only tests need", pkg)
		}
	}
}
