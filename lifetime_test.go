package natsgw_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// freezeProxy forwards TCP connections to a gateway and can freeze them:
// the connections stay open but no byte passes, as with a gateway that hangs
// (a paused host, a stuck network) rather than one that refuses.
type freezeProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	thawed chan struct{} // closed while traffic flows
	conns  []net.Conn

	acceptDone chan struct{}
	pipes      sync.WaitGroup
}

func newFreezeProxy(t *testing.T, target string) *freezeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testutil.NoErr(t, err, "proxy listen")
	p := &freezeProxy{ln: ln, target: target, thawed: make(chan struct{}), acceptDone: make(chan struct{})}
	close(p.thawed)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *freezeProxy) Addr() string { return p.ln.Addr().String() }

// Freeze stops all traffic until the proxy is closed.
func (p *freezeProxy) Freeze() {
	p.mu.Lock()
	p.thawed = make(chan struct{})
	p.mu.Unlock()
}

func (p *freezeProxy) accept() {
	defer close(p.acceptDone)
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		p.pipes.Add(2)
		go p.pipe(up, down)
		go p.pipe(down, up)
	}
}

func (p *freezeProxy) pipe(dst, src net.Conn) {
	defer p.pipes.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			thawed := p.thawed
			p.mu.Unlock()
			<-thawed
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *freezeProxy) close() {
	p.ln.Close()
	<-p.acceptDone
	p.mu.Lock()
	select {
	case <-p.thawed:
	default:
		close(p.thawed)
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.pipes.Wait()
}

// TestConsumeStopBoundedByCtx: when Stop's ctx ends, Stop returns its error
// and the Consume's own remaining work (giving back the messages it received
// but never handled) ends with it, even against a gateway that does not
// answer: the SDK keeps no clock of its own that outlives the caller's.
func TestConsumeStopBoundedByCtx(t *testing.T) {
	t.Parallel()
	srv, admin, ctx := jsSetup(t)
	tasksStream(t, admin, natsgw.LimitsRetention)
	mustCreateConsumer(t, admin, "TASKS", natsgw.ConsumerConfig{Name: "w", AckWait: time.Minute})
	publishN(t, admin, "TASKS", "tasks.a", 5)

	proxy := newFreezeProxy(t, srv.Addr())
	c, err := natsgw.Dial(ctx, proxy.Addr(), natsgw.WithOrg("acme"))
	testutil.NoErr(t, err, "dial through the proxy")
	t.Cleanup(func() { c.Close() })

	started := make(chan struct{}, 5)
	release := make(chan struct{})
	cc, err := c.Consume(ctx, "TASKS", "w", func(*natsgw.StreamMsg) {
		started <- struct{}{}
		<-release
	}, natsgw.WithMaxInFlight(5))
	testutil.NoErr(t, err, "consume")
	testutil.Recv(t, started, "the first message is being handled")
	testutil.Poll(t, "the other four wait for the handler", func() error {
		if n := natsgw.ConsumeQueued(cc); n != 4 {
			return fmt.Errorf("%d waiting", n)
		}
		return nil
	})

	proxy.Freeze()
	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = cc.Stop(stopCtx)
	testutil.ErrIs(t, err, context.DeadlineExceeded, "stop with the handler busy past ctx's deadline")
	close(release)
	// The four unhandled messages cannot be given back to a silent gateway;
	// trying must end with Stop's ctx (an own timeout took 10 s).
	select {
	case <-cc.Done():
	case <-time.After(testutil.Eventually / 2):
		t.Fatalf("Consume still running %s after Stop's ctx ended", testutil.Eventually/2)
	}
}
