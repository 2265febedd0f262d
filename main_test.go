package natsgw_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the package's tests (watchers,
// subscriptions and servers must all clean up after themselves).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
