package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/usher-sdk/usher/authrequest/outbox"
)

// metrics are the server's Prometheus metrics, in a registry of the app's
// own (no global state): request counts and latencies by route, admin
// sign-ins by outcome, sync changes by outcome, onboardings and devices
// by event, and internal errors (the store's, mostly).
type metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	logins         *prometheus.CounterVec
	syncChanges    *prometheus.CounterVec
	onboardings    *prometheus.CounterVec
	devices        *prometheus.CounterVec
	authRequests   *prometheus.CounterVec
	internalErrors prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "usher_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_admin_logins_total", Help: "Admin sign-ins by outcome (ok, refused, throttled, error).",
		}, []string{"outcome"}),
		syncChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_sync_changes_total", Help: "Changes pushed through the sync API by outcome (applied, bad_signature, refused).",
		}, []string{"outcome"}),
		onboardings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_onboardings_total", Help: "Device onboardings by event (started, approved, rejected, refused, completed).",
		}, []string{"event"}),
		devices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_devices_total", Help: "Devices by event (enrolled, destroyed).",
		}, []string{"event"}),
		authRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usher_auth_requests_total", Help: "Push authentication requests by outcome (created, approved, denied, expired, refused answers).",
		}, []string{"outcome"}),
		internalErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "usher_internal_errors_total", Help: "Requests answered 500: an infrastructure fault (the database, mostly); the log has each.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.logins, m.syncChanges, m.onboardings, m.devices, m.authRequests, m.internalErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchOutbox exports the callback outbox's counters of this process
// (deliveries queued, delivered, retried, failed) and the deliveries
// waiting in the database (every process's).
func (m *metrics) watchOutbox(o *outbox.Outbox) {
	for _, c := range []struct {
		event string
		get   func(outbox.Stats) uint64
	}{
		{"queued", func(s outbox.Stats) uint64 { return s.Inserted }},
		{"delivered", func(s outbox.Stats) uint64 { return s.Delivered }},
		{"retried", func(s outbox.Stats) uint64 { return s.Retried }},
		{"failed", func(s outbox.Stats) uint64 { return s.Failed }},
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "usher_callback_deliveries_total", Help: "Callback deliveries of authentication profiles by this process, by event (queued, delivered, retried, failed).",
			ConstLabels: prometheus.Labels{"event": c.event},
		}, func() float64 { return float64(c.get(o.Stats())) }))
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "usher_callback_deliveries_pending", Help: "Callback deliveries waiting to be made, by every process sharing the database (-1 when the database did not answer).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := o.Pending(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// watchSyslog exports the syslog forwarder's state: events this process
// sent, whether it is the one process forwarding, and the events waiting
// in the audit trail for the receiver.
func (m *metrics) watchSyslog(s *syslogSink) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "usher_syslog_events_sent_total", Help: "Audit events this process sent to the syslog receiver (over TCP and TLS: acknowledged by the receiver's TCP).",
		}, func() float64 { return float64(s.sent.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "usher_syslog_forwarding", Help: "1 when this process is the one forwarding the audit trail to syslog (it holds the lease), else 0.",
		}, func() float64 {
			if s.leading.Load() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "usher_syslog_events_waiting", Help: "Audit events not yet sent to the syslog receiver, by every process sharing the database (-1 when the database did not answer).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := s.waiting(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}),
	)
}

// handler serves the metrics in Prometheus's text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statusRecorder notes the status a handler writes.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// instrument counts and times every request by the pattern of the route
// that served it (never by the raw path, whose values an outsider picks).
func (m *metrics) instrument(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		_, pattern := mux.Handler(r)
		mux.ServeHTTP(rec, r)
		if pattern == "" {
			pattern = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.status == http.StatusInternalServerError {
			m.internalErrors.Inc()
		}
		m.requests.WithLabelValues(pattern, methodLabel(r.Method), strconv.Itoa(rec.status)).Inc()
		m.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
	})
}

// methodLabel keeps the method label's values few: an outsider may send
// any method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
