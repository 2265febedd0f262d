// Package consul registers a gateway instance with a Consul agent, with a
// gRPC health check, through Consul's HTTP API (no Consul library: the two
// calls needed are simpler than the dependency; the official consul/api
// module would add about 60 modules).
package consul

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Service is what gets registered.
type Service struct {
	// ID is unique per instance on the agent.
	ID string
	// Name is the service name clients look up (for example "natsgw").
	Name string
	// Address and Port are where clients reach this instance.
	Address string
	Port    int
	// Tags are optional Consul tags.
	Tags []string
	// TLS: the instance serves gRPC over TLS, so the health check must
	// too. The check does not verify the certificate (it learns nothing
	// secret and may not know the CA).
	TLS bool
	// CheckInterval is how often the agent runs the health check.
	// Default 10 s.
	CheckInterval time.Duration
}

// Agent talks to one Consul agent. Close it when done: it keeps its own
// connections (not http.DefaultTransport's), and Close releases them.
type Agent struct {
	base      *url.URL
	transport *http.Transport
	client    *http.Client
}

// NewAgent returns a client for the agent at addr ("http://127.0.0.1:8500",
// or "host:port" meaning http).
func NewAgent(addr string) (*Agent, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("consul address %q is not a URL like http://127.0.0.1:8500", addr)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	return &Agent{base: u, transport: t, client: &http.Client{Transport: t, Timeout: 10 * time.Second}}, nil
}

// Close releases the agent's idle connections. The Agent may still be used
// afterwards (it dials again).
func (a *Agent) Close() { a.transport.CloseIdleConnections() }

type registration struct {
	ID      string   `json:"ID"`
	Name    string   `json:"Name"`
	Address string   `json:"Address"`
	Port    int      `json:"Port"`
	Tags    []string `json:"Tags,omitempty"`
	Check   check    `json:"Check"`
}

type check struct {
	GRPC                           string `json:"GRPC"`
	GRPCUseTLS                     bool   `json:"GRPCUseTLS,omitempty"`
	Status                         string `json:"Status"`
	TLSSkipVerify                  bool   `json:"TLSSkipVerify,omitempty"`
	Interval                       string `json:"Interval"`
	Timeout                        string `json:"Timeout"`
	DeregisterCriticalServiceAfter string `json:"DeregisterCriticalServiceAfter"`
}

// Register registers s with a gRPC health check (grpc.health.v1, which the
// gateway serves) every s.CheckInterval; Consul removes the instance after a
// minute of failing checks, so a crashed gateway does not linger.
//
// The check starts passing: Consul starts new checks critical and runs the
// first one up to an interval later, which would keep a gateway that is
// already serving out of discovery for that long. Register only a gateway
// that serves.
func (a *Agent) Register(ctx context.Context, s Service) error {
	interval := s.CheckInterval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	body, err := json.Marshal(registration{
		ID: s.ID, Name: s.Name, Address: s.Address, Port: s.Port, Tags: s.Tags,
		Check: check{
			GRPC:                           fmt.Sprintf("%s:%d", s.Address, s.Port),
			GRPCUseTLS:                     s.TLS,
			TLSSkipVerify:                  s.TLS,
			Status:                         "passing",
			Interval:                       interval.String(),
			Timeout:                        "5s",
			DeregisterCriticalServiceAfter: "1m",
		},
	})
	if err != nil {
		return err
	}
	return a.put(ctx, "/v1/agent/service/register", body)
}

// Deregister removes the instance id.
func (a *Agent) Deregister(ctx context.Context, id string) error {
	return a.put(ctx, "/v1/agent/service/deregister/"+url.PathEscape(id), nil)
}

// WaitListed waits until the agent's health endpoint lists the instance id
// of service as passing (what consul:// resolvers ask for) or ctx ends. The
// agent acknowledges a registration before it reaches the catalog, so a
// client dialing right after Register could otherwise find nothing.
func (a *Agent) WaitListed(ctx context.Context, service, id string) error {
	path := "/v1/health/service/" + url.PathEscape(service)
	var index uint64
	for {
		q := url.Values{"passing": {"1"}, "index": {strconv.FormatUint(index, 10)}, "wait": {"5s"}}
		body, header, err := a.do(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return err
		}
		var entries []struct{ Service struct{ ID string } }
		if err := json.Unmarshal(body, &entries); err != nil {
			return fmt.Errorf("consul %s: %w", path, err)
		}
		for _, e := range entries {
			if e.Service.ID == id {
				return nil
			}
		}
		next, _ := strconv.ParseUint(header.Get("X-Consul-Index"), 10, 64)
		if next < index {
			next = 0 // the index went backwards (agent restart): start over
		}
		index = next
	}
}

func (a *Agent) put(ctx context.Context, path string, body []byte) error {
	_, _, err := a.do(ctx, http.MethodPut, path, nil, body)
	return err
}

func (a *Agent) do(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, http.Header, error) {
	u := a.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("consul %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, nil, fmt.Errorf("consul %s: %s: %s", path, resp.Status, strings.TrimSpace(string(msg)))
	}
	out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("consul %s: %w", path, err)
	}
	return out, resp.Header, nil
}
