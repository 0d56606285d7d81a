package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// Timeouts against slow or idle clients. A long-poll holds a response for up to relaywire.MaxWait, so the
// write timeout must stay above it.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = relaywire.MaxWait + 15*time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 32 << 10
	healthTimeout     = 2 * time.Second
)

// Server is the relay's HTTP side: ingest, long-poll reads, health and metrics.
type Server struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	metrics *metrics
	http    *http.Server
	handler http.Handler

	// Secrets are kept only as digests so comparisons are constant-time whatever their length.
	callbackUser, callbackPass, readToken [32]byte
	checkCallbackAuth, checkReadAuth      bool

	fence    sourceFence      // who may send callbacks (see fence.go)
	throttle *failureThrottle // who sent too many wrong credentials

	closing     chan struct{} // closed by Shutdown: long-polls answer at once
	closingOnce sync.Once
	purgeOnce   sync.Once
	purgeDone   chan struct{}

	// Long-polls held off their handler's code path (see hold.go); parkWG counts those whose
	// connection was taken over, which http.Server.Shutdown no longer waits for.
	heldMu sync.Mutex
	held   map[*heldPoll]struct{}
	parkWG sync.WaitGroup
	checks checkQueue
}

// NewServer checks cfg and builds a server on store. The caller keeps ownership of store.
func NewServer(cfg Config, store Store) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("relay: NewServer needs a store (see OpenStore)")
	}
	var keys *keyring
	if cfg.EncryptionKeyFile != "" {
		if keys, err = loadKeyring(cfg.EncryptionKeyFile); err != nil {
			return nil, err
		}
	}
	store = sealingStore{Store: store, keys: keys}
	fence, err := newSourceFence(cfg.CallbackAllowCIDRs, cfg.TrustedProxyCIDRs)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:               cfg,
		store:             store,
		log:               cfg.Logger,
		metrics:           newMetrics(store),
		callbackUser:      sha256.Sum256([]byte(cfg.CallbackUsername)),
		callbackPass:      sha256.Sum256([]byte(cfg.CallbackPassword)),
		readToken:         sha256.Sum256([]byte(cfg.ReadToken)),
		checkCallbackAuth: cfg.CallbackUsername != "",
		checkReadAuth:     cfg.ReadToken != "",
		fence:             fence,
		throttle:          newFailureThrottle(cfg.CallbackFailureLimit, cfg.CallbackFailureWindow),
		closing:           make(chan struct{}),
		purgeDone:         make(chan struct{}),
		held:              make(map[*heldPoll]struct{}),
	}
	s.handler = s.routes()
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading TLS certificate %s and key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		s.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, name string, h http.HandlerFunc) {
		mux.Handle(pattern, s.metrics.countRequests(name, h))
	}
	route("POST /callbacks", RouteCallbacks, s.handleIngest)
	route("GET /v1/requests/{requestId}", RouteRequests, s.handleRead)
	route("GET /healthz", "healthz", s.handleHealth)
	mux.Handle("GET /metrics", s.metrics.countRequests("metrics", s.metrics.handler()))
	route("/", "other", func(w http.ResponseWriter, r *http.Request) { notFoundOrWrongMethod(mux, w, r) })
	return securityHeaders(mux)
}

// notFoundOrWrongMethod answers what no route took, in JSON: 405 with Allow when the path exists
// for another method, 404 otherwise.
func notFoundOrWrongMethod(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here; use "+strings.Join(allowed, " or "))
		return
	}
	writeError(w, http.StatusNotFound, "no such endpoint: the relay serves POST /callbacks, GET /v1/requests/{requestId}, GET /healthz and GET /metrics")
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Handler is the relay's HTTP handler, for embedding in another server or httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers connections from ln (with TLS when configured) until Shutdown. It also runs the
// retention purge. Like http.Server.Serve it returns http.ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.purgeOnce.Do(func() { go s.purgeLoop() })
	if s.http.TLSConfig != nil {
		return s.http.ServeTLS(ln, "", "")
	}
	return s.http.Serve(ln)
}

// Shutdown stops accepting connections, answers held long-polls at once with what they have,
// lets in-flight requests finish (until ctx ends) and stops the purge. It does not close the
// store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closingOnce.Do(func() { close(s.closing) })
	s.expireHeld()                                // polls held from now on expire as they register
	s.purgeOnce.Do(func() { close(s.purgeDone) }) // never started: nothing to wait for
	err := s.http.Shutdown(ctx)
	err = errors.Join(err, s.waitParked(ctx))
	select {
	case <-s.purgeDone:
	case <-ctx.Done():
	}
	return err
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	if err := s.metrics.pingStore(ctx, s.store); err != nil {
		s.log.Warn("health check: store does not answer", "error", err)
		writeError(w, http.StatusServiceUnavailable, "the store does not answer")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// purgeLoop deletes callbacks past retention at start and then every PurgeInterval.
func (s *Server) purgeLoop() {
	defer close(s.purgeDone)
	ticker := time.NewTicker(s.cfg.PurgeInterval)
	defer ticker.Stop()
	for {
		s.purge()
		select {
		case <-ticker.C:
		case <-s.closing:
			return
		}
	}
}

func (s *Server) purge() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	n, err := s.store.Purge(ctx, start.Add(-s.cfg.Retention))
	s.metrics.observeStore("purge", start, err)
	s.metrics.purged.Add(float64(n))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Error("retention purge failed; it will be retried", "error", err, "deleted", n)
	case n > 0:
		s.log.Info("retention purge", "deleted", n, "retention", s.cfg.Retention.String())
	}
}

// equalSecret compares a presented secret with a stored digest in constant time.
func equalSecret(presented string, want [32]byte) bool {
	got := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, relaywire.ErrorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, encodeJSON(v))
}

// writeRaw answers with an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing useful to do
}

// encodeJSON encodes what the relay answers. Its values always encode.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return buf.Bytes()
}
