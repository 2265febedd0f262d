// Package testutil holds the small assertion and waiting helpers shared by
// natsgw's tests: one style for the whole repository.
package testutil

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The two timeouts of the test suite: how long to wait for something that
// should happen, and how long to watch for something that must not.
const (
	Eventually = 10 * time.Second
	Never      = 100 * time.Millisecond
)

// Context returns a context that ends after Eventually or with the test.
func Context(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Eventually)
	tb.Cleanup(cancel)
	return ctx
}

// NoErr fails the test now if err is not nil.
func NoErr(tb testing.TB, err error, what string) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// ErrIs fails the test now unless errors.Is(err, target).
func ErrIs(tb testing.TB, err, target error, what string) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// Equal fails the test now if got and want differ, showing the diff.
func Equal[T any](tb testing.TB, got, want T, what string, opts ...cmp.Option) {
	tb.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		tb.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// Recv reads one value from ch within Eventually.
func Recv[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Eventually):
		tb.Fatalf("%s: nothing arrived within %s", what, Eventually)
		var zero T
		return zero
	}
}

// NoRecv fails if anything arrives on ch within Never.
func NoRecv[T any](tb testing.TB, ch <-chan T, what string) {
	tb.Helper()
	select {
	case v := <-ch:
		tb.Fatalf("%s: unexpected %v", what, v)
	case <-time.After(Never):
	}
}

// Poll calls f until it returns nil or Eventually passes, then fails with
// f's last error.
func Poll(tb testing.TB, what string, f func() error) {
	tb.Helper()
	PollWithin(tb, what, Eventually, f)
}

// PollWithin is Poll for at most d.
func PollWithin(tb testing.TB, what string, d time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still failing after %s: %v", what, d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
