package testutil

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeConsul is an in-process stand-in for the three Consul agent endpoints
// natsgw uses: service register and deregister, and the health query with
// blocking (index/wait) semantics. Every registered instance counts as
// passing.
type FakeConsul struct {
	URL string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	index    uint64
	services map[string]FakeService // by ID
}

// FakeService is one registered instance.
type FakeService struct {
	ID, Name, Address string
	Port              int
	Check             struct {
		GRPC                      string
		GRPCUseTLS, TLSSkipVerify bool
	}
}

// NewFakeConsul starts a fake agent, stopped when the test ends.
func NewFakeConsul(tb testing.TB) *FakeConsul {
	f := &FakeConsul{changed: make(chan struct{}), index: 1, services: map[string]FakeService{}}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/agent/service/register", func(w http.ResponseWriter, r *http.Request) {
		var s FakeService
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil || s.ID == "" || s.Name == "" {
			http.Error(w, "bad registration", http.StatusBadRequest)
			return
		}
		f.Set(s)
	})
	mux.HandleFunc("PUT /v1/agent/service/deregister/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.Remove(r.PathValue("id"))
	})
	mux.HandleFunc("GET /v1/health/service/{name}", f.health)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Set registers or replaces an instance.
func (f *FakeConsul) Set(s FakeService) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.services[s.ID] = s
	f.bump()
}

// Remove deregisters an instance.
func (f *FakeConsul) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.services, id)
	f.bump()
}

// Services returns the registered instances.
func (f *FakeConsul) Services() []FakeService {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []FakeService
	for _, s := range f.services {
		out = append(out, s)
	}
	return out
}

func (f *FakeConsul) bump() {
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *FakeConsul) health(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	idx, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	wait, err := time.ParseDuration(r.URL.Query().Get("wait"))
	if err != nil || wait <= 0 {
		wait = 5 * time.Minute
	}
	f.mu.Lock()
	if idx >= f.index {
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
	}
	type entry struct {
		Node    struct{ Address string }
		Service struct {
			ID, Service, Address string
			Port                 int
		}
	}
	out := []entry{}
	for _, s := range f.services {
		if !strings.EqualFold(s.Name, name) {
			continue
		}
		var e entry
		e.Node.Address = "127.0.0.1"
		e.Service.ID, e.Service.Service, e.Service.Address, e.Service.Port = s.ID, s.Name, s.Address, s.Port
		out = append(out, e)
	}
	index := f.index
	f.mu.Unlock()
	w.Header().Set("X-Consul-Index", strconv.FormatUint(index, 10))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
