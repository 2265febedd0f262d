package natsgw_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/natsgw/natsgw/internal/config"
	"github.com/natsgw/natsgw/internal/server"
)

// TestMain runs the package's tests and examples, then checks that no
// goroutine outlived them (subscriptions, responders, publishers and servers
// must all clean up after themselves).
//
// The examples need a gateway but get no testing.TB, so TestMain starts one
// for them (gatewayAddr) and stops it before the leak check.
func TestMain(m *testing.M) {
	stop, err := startExampleGateway()
	if err != nil {
		fmt.Fprintln(os.Stderr, "example gateway:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// startExampleGateway starts the gateway the examples talk to, in open mode
// with an embedded NATS in a temporary directory, and sets gatewayAddr.
func startExampleGateway() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "natsgw-example-")
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.ShutdownTimeout = config.Duration(5 * time.Second)
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	gatewayAddr = srv.Addr().String()
	return func() {
		_ = srv.Shutdown(context.Background())
		os.RemoveAll(dir)
	}, nil
}
