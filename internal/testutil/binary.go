package testutil

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RunWithNatsgw is TestMain's body for packages that run the natsgw binary:
// it builds the command into *binary (not with -short, whose tests skip
// themselves), runs the tests and removes the binary.
func RunWithNatsgw(m *testing.M, binary *string) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	bin, cleanup, err := BuildNatsgw()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*binary = bin
	return m.Run()
}

// BuildNatsgw builds the natsgw command into a fresh temporary directory,
// for tests that run the binary as users do. cleanup removes it.
func BuildNatsgw() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "natsgw-bin-")
	if err != nil {
		return "", nil, err
	}
	// Others may run the binary (test/e2e runs it as an unprivileged user).
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	path = filepath.Join(dir, "natsgw")
	build := exec.Command("go", "build", "-o", path, "github.com/natsgw/natsgw/cmd/natsgw")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build natsgw: %w", err)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// EnvWithoutNATSGW is this process's environment without NATSGW_*
// variables, so that only its arguments configure a natsgw command.
func EnvWithoutNATSGW() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NATSGW_") {
			env = append(env, kv)
		}
	}
	return env
}
