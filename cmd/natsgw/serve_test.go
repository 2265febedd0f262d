package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsgw/natsgw/internal/testutil"
)

// TestServeStartErrors: serve exits at once with an error naming the
// setting and the problem when it cannot start (the context is only the
// bound of the wait: a serve that hangs fails with a deadline error).
func TestServeStartErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	testutil.NoErr(t, os.WriteFile(file, []byte("x"), 0o600), "write file")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	testutil.NoErr(t, err, "listen")
	t.Cleanup(func() { _ = taken.Close() })

	for _, tc := range []struct {
		name    string
		args    []string
		want    []string
		notWant string
	}{
		{"data under a file", []string{"--data", filepath.Join(file, "data")},
			[]string{`data directory "` + filepath.Join(file, "data") + `"`, "not a directory"}, ""},
		{"data is a file", []string{"--data", file}, []string{`"` + file + `"`, "not a directory"}, ""},
		{"port in use", []string{"--listen", taken.Addr().String()},
			[]string{"--listen " + taken.Addr().String() + ": address already in use (is another natsgw serve running there? pick a free address)"}, "listen tcp"},
		{"ops port in use", []string{"--ops-listen", taken.Addr().String()},
			[]string{"--ops-listen " + taken.Addr().String() + ": address already in use"}, "listen tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", t.TempDir()}, tc.args...)
			var out, errOut bytes.Buffer
			err := Run(testutil.Context(t), args, nil, &out, &errOut)
			if err == nil {
				t.Fatalf("serve %v succeeded", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("error %q contains %q", err, tc.notWant)
			}
			if n := strings.Count(err.Error(), "listen"); n > 1 {
				t.Errorf("error %q says listen %d times", err, n)
			}
		})
	}
}
