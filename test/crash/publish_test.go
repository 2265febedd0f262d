package crash

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// ackedPublishes runs publishers goroutines that call PublishToStream on
// stream (subject events.x, payload = a unique number) until stop is
// closed, and records every acknowledged message.
type ackedPublishes struct {
	mu     sync.Mutex
	acked  map[uint64][]byte // stream sequence -> payload
	n      atomic.Int64      // len(acked)
	failed atomic.Int64      // calls that returned an error
	wg     sync.WaitGroup
}

func publishUntil(t *testing.T, c *natsgw.Client, stream string, publishers int, stop <-chan struct{}) *ackedPublishes {
	t.Helper()
	p := &ackedPublishes{acked: map[uint64][]byte{}}
	var next atomic.Int64
	for range publishers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				data := []byte(fmt.Sprint(next.Add(1)))
				ctx := within(t, 5*time.Second)
				ack, err := c.PublishToStream(ctx, stream, "events.x", data)
				if err != nil {
					if p.failed.Add(1) <= 5 {
						t.Logf("%s publish (not acknowledged, no promise to keep): %v", time.Now().Format("15:04:05.000"), err)
					}
					continue
				}
				p.mu.Lock()
				p.acked[ack.Sequence] = data
				p.mu.Unlock()
				p.n.Add(1)
			}
		}()
	}
	return p
}

// waitAcked waits until at least n messages are acknowledged, for at most
// a minute (a cluster that lost its stream leader takes a NATS election,
// 4-9 s, plus the publish timeout to recover).
func (p *ackedPublishes) waitAcked(t *testing.T, n int64) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for p.n.Load() < n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("only %d of %d publishes acknowledged within a minute", p.n.Load(), n)
		}
	}
}

// missing reads every acknowledged message back through c and returns the
// sequences that are absent or hold another payload.
func (p *ackedPublishes) missing(t *testing.T, c *natsgw.Client, stream string) []uint64 {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var missing []uint64
	for seq, data := range p.acked {
		m, err := c.GetStreamMsg(within(t, 10*time.Second), stream, seq)
		if err != nil || !bytes.Equal(m.Data, data) {
			missing = append(missing, seq)
		}
	}
	return missing
}

// TestKillDuringPublishToStream: four publishers call PublishToStream while
// the gateway is killed with SIGKILL; after a restart on the same data every
// acknowledged message is in the stream with its payload.
func TestKillDuringPublishToStream(t *testing.T) {
	skipShort(t)
	gw := serve(t, "--listen", "127.0.0.1:0", "--data", t.TempDir())
	c := dial(t, gw.addr)
	_, err := c.CreateStream(within(t, 10*time.Second), natsgw.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	testutil.NoErr(t, err, "create stream")

	stop := make(chan struct{})
	pubs := publishUntil(t, c, "EVENTS", 4, stop)
	pubs.waitAcked(t, 2000)
	gw.kill9(t) // publishes in flight fail or never return an ack
	close(stop)
	pubs.wg.Wait()

	gw = gw.restart(t)
	c = dial(t, gw.addr)
	info, err := c.StreamInfo(within(t, 10*time.Second), "EVENTS")
	testutil.NoErr(t, err, "stream info")
	missing := pubs.missing(t, c, "EVENTS")
	t.Logf("acknowledged %d, stored after the restart %d, acknowledged but missing %d", len(pubs.acked), info.State.Msgs, len(missing))
	if len(missing) > 0 {
		t.Errorf("acknowledged but missing after kill -9: %v", head(missing))
	}
}
