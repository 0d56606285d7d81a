package relay

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/httpstatus"
)

// Route labels of the requests metric (thingspace_relay_http_requests_total).
const (
	RouteCallbacks = "callbacks" // POST /callbacks: ThingSpace delivering a callback
	RouteRequests  = "requests"  // GET /v1/requests/{requestId}: a reader (the provider)
)

// metrics live on a registry of their own, so several servers (tests, replicas in one process)
// never collide on the global one.
type metrics struct {
	registry       *prometheus.Registry
	stored         prometheus.Counter
	duplicates     prometheus.Counter
	authFailures   *prometheus.CounterVec
	waitingReaders prometheus.Gauge
	storeSeconds   *prometheus.HistogramVec
	storeErrors    *prometheus.CounterVec
	storeUp        prometheus.GaugeFunc
	requests       *prometheus.CounterVec
	purged         prometheus.Counter

	// callbacksRefused breaks refused callbacks down by reason; credential failures also count
	// in authFailures, whose meaning the alerting rules rely on.
	callbacksRefused *prometheus.CounterVec
}

// Store operations, the op label of the store metrics.
var storeOps = []string{"append", "list", "ping", "purge"}

// newMetrics builds the relay's metrics; store is pinged at each scrape for store_up.
func newMetrics(store Store) *metrics {
	const ns = "thingspace_relay"
	m := &metrics{
		registry: prometheus.NewRegistry(),
		stored: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns,
			Name: "callbacks_stored_total", Help: "Callbacks stored (first deliveries)."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns,
			Name: "callbacks_duplicate_total", Help: "Redelivered callbacks recognised as already stored."}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "auth_failures_total", Help: "Requests refused for wrong or missing credentials, by endpoint."}, []string{"endpoint"}),
		waitingReaders: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns,
			Name: "waiting_readers", Help: "Long-polls currently held open."}),
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns,
			Name: "store_duration_seconds", Help: "Store operation latency, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "store_errors_total", Help: "Store operations that failed, by operation."}, []string{"op"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "http_requests_total", Help: "HTTP requests answered, by route and status code."}, []string{"route", "code"}),
		purged: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns,
			Name: "callbacks_purged_total", Help: "Callbacks deleted by the retention purge."}),
	}
	m.callbacksRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
		Name: "callbacks_refused_total", Help: "Callbacks refused before being stored, by reason: credentials (401), source_not_allowed (403), throttled (429)."}, []string{"reason"})
	// Pinged at scrape time rather than by /healthz, so the value is fresh even where nothing
	// calls /healthz (a single relay without a load balancer).
	m.storeUp = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns,
		Name: "store_up", Help: "1 when the store answered a ping during this scrape, 0 when it did not."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
			defer cancel()
			if m.pingStore(ctx, store) != nil {
				return 0
			}
			return 1
		})
	m.registry.MustRegister(m.stored, m.duplicates, m.authFailures, m.waitingReaders, m.storeSeconds,
		m.storeErrors, m.storeUp, m.requests, m.purged, m.callbacksRefused, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, endpoint := range []string{endpointIngest, endpointRead} {
		m.authFailures.WithLabelValues(endpoint) // export zeros, so alerts can use rate() from the start
	}
	for _, reason := range []string{refusedCredentials, refusedSourceNotAllowed, refusedThrottled} {
		m.callbacksRefused.WithLabelValues(reason)
	}
	for _, op := range storeOps {
		m.storeErrors.WithLabelValues(op) // likewise: increase() misses a series that starts at 1
	}
	return m
}

// Endpoint labels of auth_failures_total.
const (
	endpointIngest = "callbacks"
	endpointRead   = "requests"
)

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// observeStore records how long a store operation took since start, and counts it as failed
// when err is the store's fault: a caller that went away (a closed connection, shutdown) is not.
func (m *metrics) observeStore(op string, start time.Time, err error) {
	m.storeSeconds.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, context.Canceled) {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

// pingStore asks the store whether it answers, recording the ping like any store operation.
func (m *metrics) pingStore(ctx context.Context, store Store) error {
	start := time.Now()
	err := store.Ping(ctx)
	m.observeStore("ping", start, err)
	return err
}

// countRequests wraps a route's handler to count its answers by status code.
func (m *metrics) countRequests(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &httpstatus.Recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.Hijacked() {
			return // answered later, and counted then
		}
		code := rec.Status()
		if code == 0 {
			code = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	})
}
