package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/status"
)

// metrics counts calls by method and code and times unary calls (see
// interceptors).
type metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "natsgw_grpc_calls_total",
			Help: "gRPC calls handled, by method and status code; operations carried by KeyValueService/Session count under the method of their unary form.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "natsgw_grpc_unary_seconds",
			Help:    "Duration of unary gRPC calls, by method.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}, []string{"method"}),
	}
	reg.MustRegister(m.calls, m.duration)
	return m
}

// unaryDone records a unary call that began at start and returned err.
func (m *metrics) unaryDone(method string, start time.Time, err error) {
	m.duration.WithLabelValues(method).Observe(time.Since(start).Seconds())
	m.calls.WithLabelValues(method, status.Code(err).String()).Inc()
}

// streamDone records a stream that ended with err.
func (m *metrics) streamDone(method string, err error) {
	m.calls.WithLabelValues(method, status.Code(err).String()).Inc()
}
