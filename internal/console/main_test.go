package console_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: live streams and
// their gRPC calls must end when the browser goes away or the console stops.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
