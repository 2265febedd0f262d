package gateway_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: streams, their
// reader goroutines and NATS subscriptions must all end with their calls.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
