package natsgw

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/resolver"
)

// Service discovery: besides "host:port", Dial accepts
//
//	dns:///host:port              every address the name resolves to
//	consul://agent:8500/natsgw    the healthy instances of a Consul service
//	consul:///natsgw              the same, agent at 127.0.0.1:8500
//
// and spreads calls across all instances (round robin), following changes.

// roundRobin balances calls across every resolved instance.
const roundRobin = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// consulBuilder resolves consul:// targets through the agent's HTTP API,
// with blocking queries so that changes arrive as they happen.
type consulBuilder struct{}

func (consulBuilder) Scheme() string { return "consul" }

func (consulBuilder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	agent := target.URL.Host
	if agent == "" {
		agent = "127.0.0.1:8500"
	}
	service := strings.Trim(target.URL.Path, "/")
	if service == "" || strings.Contains(service, "/") {
		return nil, fmt.Errorf("natsgw: consul target %q must be consul://[agent]/<service>", target.URL.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Its own transport, so that Close can release its connections
	// (http.DefaultTransport would keep them open after the ClientConn).
	t := http.DefaultTransport.(*http.Transport).Clone()
	r := &consulResolver{
		url:       (&url.URL{Scheme: "http", Host: agent, Path: "/v1/health/service/" + url.PathEscape(service)}).String(),
		name:      service,
		cc:        cc,
		cancel:    cancel,
		transport: t,
		http:      &http.Client{Transport: t},
	}
	r.wg.Add(1)
	go r.watch(ctx)
	return r, nil
}

type consulResolver struct {
	url, name string
	cc        resolver.ClientConn
	transport *http.Transport
	http      *http.Client
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// consulWait is how long one blocking query may wait for a change.
const consulWait = 30 * time.Second

func (r *consulResolver) watch(ctx context.Context) {
	defer r.wg.Done()
	var index uint64
	failures := 0
	for ctx.Err() == nil {
		addrs, next, err := r.query(ctx, index)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.cc.ReportError(err)
			failures++
			select {
			case <-time.After(backoffDelay(failures)):
			case <-ctx.Done():
				return
			}
			continue
		}
		failures = 0
		if next < index {
			next = 0 // the index went backwards (agent restart): start over
		}
		index = next
		if len(addrs) == 0 {
			r.cc.ReportError(fmt.Errorf("natsgw: consul has no healthy instance of %q", r.name))
			continue
		}
		_ = r.cc.UpdateState(resolver.State{Addresses: addrs})
	}
}

func (r *consulResolver) query(ctx context.Context, index uint64) ([]resolver.Address, uint64, error) {
	u := fmt.Sprintf("%s?passing=1&index=%d&wait=%s", r.url, index, consulWait)
	ctx, cancel := context.WithTimeout(ctx, consulWait+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("natsgw: consul query: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		return nil, 0, fmt.Errorf("natsgw: consul query: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var entries []struct {
		Node    struct{ Address string }
		Service struct {
			Address string
			Port    int
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&entries); err != nil {
		return nil, 0, fmt.Errorf("natsgw: consul answer: %w", err)
	}
	next, _ := strconv.ParseUint(resp.Header.Get("X-Consul-Index"), 10, 64)
	addrs := make([]resolver.Address, 0, len(entries))
	for _, e := range entries {
		host := e.Service.Address
		if host == "" {
			host = e.Node.Address
		}
		addrs = append(addrs, resolver.Address{Addr: net.JoinHostPort(host, strconv.Itoa(e.Service.Port))})
	}
	return addrs, next, nil
}

func (r *consulResolver) ResolveNow(resolver.ResolveNowOptions) {}

func (r *consulResolver) Close() {
	r.cancel()
	r.wg.Wait()
	r.transport.CloseIdleConnections()
}
