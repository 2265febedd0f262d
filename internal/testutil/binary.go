package testutil

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
// Tests that run it call DependOnSources too.
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

// sourceExts are the files whose changes must invalidate a cached result of
// a test that runs the binary or another program over this tree.
var sourceExts = map[string]bool{
	".go": true, ".proto": true, ".py": true, ".mjs": true, ".js": true,
	".html": true, ".css": true, ".mod": true, ".sum": true, ".json": true, ".sh": true,
}

var dependOnce struct {
	sync.Once
	err error
}

// DependOnSources opens (and closes) every source file below the module
// root, once per test process, so that `go test` keys its cached result on
// them: cmd/go records the files a test opens and reruns the test when one
// changes. Tests that run the natsgw binary, pytest or the browser spec need
// it, because the test process itself imports little of what they exercise,
// and a cached "ok" must not stand in for a run against changed code. It
// must be called from a test (TestMain's own file accesses are not
// recorded).
func DependOnSources(tb testing.TB) {
	tb.Helper()
	dependOnce.Do(func() { dependOnce.err = dependOnSources() })
	if dependOnce.err != nil {
		tb.Fatalf("testutil: %v", dependOnce.err)
	}
}

func dependOnSources() error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return errors.New("dependOnSources: no go.mod above the working directory")
		}
		root = parent
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", ".bin", "__pycache__", "natsgw-data":
				return filepath.SkipDir
			}
			return nil
		}
		if !sourceExts[filepath.Ext(path)] {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		return f.Close()
	})
}
