package natsembed

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsgw/natsgw/internal/testutil"
)

// TestSyncPolicy: the fsync policy reaches the embedded server's JetStream.
func TestSyncPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		always   bool
		interval time.Duration
		want     time.Duration // JetStream's interval
	}{
		{"default", false, 0, 2 * time.Minute},
		{"always", true, 0, 2 * time.Minute},
		{"interval", false, 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(Config{DataDir: t.TempDir(), MaxPayload: 1 << 20, SyncAlways: tc.always, SyncInterval: tc.interval})
			testutil.NoErr(t, err, "new")
			ctx, cancel := context.WithTimeout(context.Background(), testutil.Eventually)
			defer cancel()
			testutil.NoErr(t, s.Start(ctx), "start")
			defer s.Shutdown()
			js := s.ns.JetStreamConfig()
			testutil.Equal(t, [2]any{js.SyncAlways, js.SyncInterval}, [2]any{tc.always, tc.want}, "sync always, interval")
		})
	}
}

// TestStartFailsAtOnce: a data directory JetStream cannot use, or a NATS
// port that is taken, makes Start return an error naming the problem
// instead of waiting forever for a server that gave up. The cases fail for
// root too (test/e2e covers a read-only directory as an unprivileged user).
func TestStartFailsAtOnce(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	testutil.NoErr(t, os.WriteFile(file, []byte("x"), 0o600), "write file")
	jsFile := t.TempDir()
	testutil.NoErr(t, os.WriteFile(filepath.Join(jsFile, "jetstream"), []byte("x"), 0o600), "write jetstream file")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	testutil.NoErr(t, err, "listen")
	t.Cleanup(func() { _ = taken.Close() })

	type tc struct {
		name string
		cfg  Config
		want []string // in the error
	}
	cases := []tc{
		{"parent is a file", Config{DataDir: filepath.Join(file, "data")}, []string{`cannot create data directory "` + filepath.Join(file, "data") + `"`, "not a directory"}},
		{"data is a file", Config{DataDir: file}, []string{`"` + file + `"`, "not a directory"}},
		{"jetstream is a file", Config{DataDir: jsFile}, []string{filepath.Join(jsFile, "jetstream") + " is not a directory"}},
		{"nats port taken", Config{DataDir: t.TempDir(), Listen: taken.Addr().String()}, []string{"NATS server did not start", "listening", taken.Addr().String()}},
	}
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		testutil.NoErr(t, os.Chmod(ro, 0o500), "chmod")
		t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
		cases = append(cases, tc{"read-only", Config{DataDir: ro}, []string{`data directory "` + ro + `" is not writable`, "permission denied"}})
	} else {
		t.Log("running as root, which writes to read-only directories: test/e2e TestServeUnwritableDataDir covers that case as an unprivileged user")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.cfg.MaxPayload = 1 << 20
			s, err := New(c.cfg)
			testutil.NoErr(t, err, "New")
			err = s.Start(testutil.Context(t))
			if err == nil {
				s.Shutdown()
				t.Fatal("Start succeeded")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestStartWritableDataDir: the write check leaves nothing behind.
func TestStartWritableDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := New(Config{DataDir: dir, MaxPayload: 1 << 20})
	testutil.NoErr(t, err, "New")
	testutil.NoErr(t, s.Start(testutil.Context(t)), "Start")
	s.Shutdown()
	entries, err := os.ReadDir(dir)
	testutil.NoErr(t, err, "read data dir")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	testutil.Equal(t, names, []string{"jetstream"}, "data directory entries")
}
