// Package pythonclient_test runs the Python client's pytest suite
// (clients/python/tests) from `go test ./...`, against the natsgw binary
// built from this tree. It needs Debian's python3-grpcio, python3-protobuf
// and python3-pytest under /usr/bin/python3 (.ci/run installs them); without
// them the test skips locally and fails when CI=true.
package pythonclient_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/natsgw/natsgw/internal/testutil"
)

const python = "/usr/bin/python3"

func TestPythonClient(t *testing.T) {
	if testing.Short() {
		t.Skip("the Python client's suite takes about a minute; skipped in -short mode")
	}
	if out, err := exec.Command(python, "-c", "import grpc, google.protobuf, pytest").CombinedOutput(); err != nil {
		msg := "needs " + python + " with grpcio, protobuf and pytest (Debian: apt-get install python3-grpcio python3-protobuf python3-pytest; .ci/run installs them): " + string(out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// pytest reads the Python files in another process: make go test key
	// its cached result on them (and on the gateway's sources).
	testutil.DependOnSources(t)
	bin, cleanup, err := testutil.BuildNatsgw()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests")
	cmd.Env = append(os.Environ(), "NATSGW_BINARY="+bin, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	t.Logf("pytest:\n%s", out)
	if err != nil {
		t.Fatalf("pytest failed: %v", err)
	}
}
