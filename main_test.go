package natsgw_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind (subscriptions,
// consume streams, publishers and servers all end with their tests).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
