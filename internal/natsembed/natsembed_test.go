package natsembed

import (
	"context"
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
