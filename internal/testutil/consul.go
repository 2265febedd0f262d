package testutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ConsulVersion is the Consul agent the discovery tests run against.
// tools/consul/go.mod pins the same version, and `make consul` builds it into
// ConsulBinary.
const ConsulVersion = "v1.22.3"

// ConsulBinary is where the agent is: $NATSGW_CONSUL if set, else where
// `make consul` caches it (the user cache dir, natsgw-tools/consul-<version>).
func ConsulBinary() string {
	if p := os.Getenv("NATSGW_CONSUL"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "natsgw-tools", "consul-"+ConsulVersion)
}

// Consul is a real Consul agent (`consul agent -dev`) on loopback, for one
// test.
type Consul struct {
	// Addr is the HTTP API's "127.0.0.1:port" (for --consul-addr and
	// consul://Addr/<service>).
	Addr string
	// Log is the agent's output.
	Log *Buffer

	client *http.Client
}

// consulStart bounds the agent's start (a leader elected); it is generous
// because the machine running the tests may be busy.
const consulStart = 30 * time.Second

// NewConsul starts a Consul agent in dev mode on free loopback ports and
// stops it when the test ends. Without the binary the test skips, naming
// the make target that builds it, but fails when CI=true: CI must run these
// tests.
func NewConsul(tb testing.TB) *Consul {
	tb.Helper()
	bin := ConsulBinary()
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("no Consul agent at %q (%v): `make consul` builds it", bin, err)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	// A port picked free may be taken again before the agent binds it; try
	// again with other ports then.
	var errs []error
	for range 3 {
		c, err := startConsul(tb, bin)
		if err == nil {
			return c
		}
		errs = append(errs, err)
	}
	tb.Fatalf("start consul: %v", errors.Join(errs...))
	return nil
}

func startConsul(tb testing.TB, bin string) (*Consul, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	httpPort, serfLAN, server := ports[0], ports[1], ports[2]
	// DNS, gRPC, HTTPS and the WAN gossip are off: natsgw uses none of them.
	hcl := fmt.Sprintf(`disable_update_check = true
ports {
  http = %d
  serf_lan = %d
  server = %d
  serf_wan = -1
  dns = -1
  grpc = -1
  grpc_tls = -1
  https = -1
}`, httpPort, serfLAN, server)
	log := &Buffer{}
	cmd := exec.Command(bin, "agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1",
		"-node", "natsgw-test", "-log-level", "warn", "-hcl", hcl)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	// Its own transport: closing http.DefaultTransport's idle connections
	// would hide the code under test leaving its own there.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	c := &Consul{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)), Log: log, client: &http.Client{Transport: transport, Timeout: 5 * time.Second}}
	deadline := time.Now().Add(consulStart)
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("consul agent exited: %s", log.String())
		default:
		}
		if leader, err := c.get("/v1/status/leader"); err == nil && len(leader) > 2 { // `""` until elected
			break
		}
		if time.Now().After(deadline) {
			transport.CloseIdleConnections()
			stop()
			return nil, fmt.Errorf("consul agent elected no leader within %s: %s", consulStart, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Cleanup(func() {
		transport.CloseIdleConnections()
		stop()
	})
	return c, nil
}

// freePorts returns n distinct loopback ports that were free for TCP and UDP
// (Serf gossips over both).
func freePorts(n int) ([]int, error) {
	var ports []int
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		closers = append(closers, l)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken for UDP: keep the TCP one held and pick another
		}
		closers = append(closers, u)
		ports = append(ports, port)
	}
	return ports, nil
}

func (c *Consul) get(path string) ([]byte, error) {
	resp, err := c.client.Get("http://" + c.Addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// ConsulService is a registered instance as the catalog reports it (what
// consul:// resolvers see).
type ConsulService struct {
	ID, Service, Address string
	Port                 int
	// Status is the status of the instance's health check in the catalog.
	Status string
}

// Services lists the instances of service in the catalog, whatever their
// health.
func (c *Consul) Services(tb testing.TB, service string) []ConsulService {
	tb.Helper()
	body, err := c.get("/v1/health/service/" + service)
	NoErr(tb, err, "consul health query")
	var entries []struct {
		Service ConsulService
		Checks  []struct{ CheckID, Status string }
	}
	NoErr(tb, json.Unmarshal(body, &entries), "consul health answer")
	out := make([]ConsulService, 0, len(entries))
	for _, e := range entries {
		s := e.Service
		for _, ch := range e.Checks {
			if ch.CheckID != "serfHealth" { // the node's own check
				s.Status = ch.Status
			}
		}
		out = append(out, s)
	}
	return out
}

// ConsulCheck is an instance's health check as the agent runs it. (The
// catalog syncs a check's output only when its status changes, or every few
// minutes.)
type ConsulCheck struct {
	// Type is "grpc" for natsgw's checks.
	Type, Status, Output, Interval string
}

// Check is the agent's current view of the health check of instance id.
func (c *Consul) Check(tb testing.TB, id string) (ConsulCheck, bool) {
	tb.Helper()
	body, err := c.get("/v1/agent/checks")
	NoErr(tb, err, "consul agent checks")
	var checks map[string]ConsulCheck
	NoErr(tb, json.Unmarshal(body, &checks), "consul agent checks answer")
	ch, ok := checks["service:"+id]
	return ch, ok
}

// WaitCheck waits until the health check of instance id has run (it has
// output) and has status, or fails after within.
func (c *Consul) WaitCheck(tb testing.TB, id, status string, within time.Duration) ConsulCheck {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		ch, ok := c.Check(tb, id)
		if ok && ch.Output != "" && ch.Status == status {
			return ch
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("consul check of %s: not %s after %s; last seen %+v (found %v)", id, status, within, ch, ok)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
