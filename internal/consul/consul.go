// Package consul registers a gateway instance with a Consul agent, with a
// gRPC health check, through Consul's HTTP API (no Consul library: the two
// calls needed are simpler than the dependency).
package consul

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
}

// Agent talks to one Consul agent.
type Agent struct {
	base   *url.URL
	client *http.Client
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
	return &Agent{base: u, client: &http.Client{Timeout: 10 * time.Second}}, nil
}

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
	TLSSkipVerify                  bool   `json:"TLSSkipVerify,omitempty"`
	Interval                       string `json:"Interval"`
	Timeout                        string `json:"Timeout"`
	DeregisterCriticalServiceAfter string `json:"DeregisterCriticalServiceAfter"`
}

// Register registers s with a gRPC health check (grpc.health.v1, which the
// gateway serves) every 10 s; Consul removes the instance after a minute of
// failing checks, so a crashed gateway does not linger.
func (a *Agent) Register(ctx context.Context, s Service) error {
	body, err := json.Marshal(registration{
		ID: s.ID, Name: s.Name, Address: s.Address, Port: s.Port, Tags: s.Tags,
		Check: check{
			GRPC:                           fmt.Sprintf("%s:%d", s.Address, s.Port),
			GRPCUseTLS:                     s.TLS,
			TLSSkipVerify:                  s.TLS,
			Interval:                       "10s",
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

func (a *Agent) put(ctx context.Context, path string, body []byte) error {
	u := a.base.JoinPath(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("consul %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("consul %s: %s: %s", path, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
