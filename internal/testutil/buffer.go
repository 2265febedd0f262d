package testutil

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is an io.Writer that a command or process writes to while the test
// reads it (a command's stdout or stderr). Safe for concurrent use.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed (and replaced) on every write
}

// Write appends p and wakes up WaitFor.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
	}
	b.written = make(chan struct{})
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// state returns the contents and a channel closed by the next write.
func (b *Buffer) state() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written == nil {
		b.written = make(chan struct{})
	}
	return b.buf.String(), b.written
}

// WaitFor waits until the buffer contains s, for at most Eventually, and
// returns the contents.
func (b *Buffer) WaitFor(tb testing.TB, s string) string {
	tb.Helper()
	return b.WaitForWithin(tb, s, Eventually)
}

// WaitForWithin is WaitFor for at most d, for what takes longer than most
// things (a cluster electing its first leaders on a loaded machine).
func (b *Buffer) WaitForWithin(tb testing.TB, s string, d time.Duration) string {
	tb.Helper()
	deadline := time.After(d)
	for {
		got, written := b.state()
		if strings.Contains(got, s) {
			return got
		}
		select {
		case <-written:
		case <-deadline:
			tb.Fatalf("waiting for %q: not written within %s; got:\n%s", s, d, b)
			return ""
		}
	}
}

// StaysEmpty fails if anything is in the buffer or written to it within
// Never.
func (b *Buffer) StaysEmpty(tb testing.TB, what string) {
	tb.Helper()
	got, written := b.state()
	if got == "" {
		select {
		case <-written:
		case <-time.After(Never):
			return
		}
	}
	tb.Fatalf("%s: unexpected output %q", what, b)
}
