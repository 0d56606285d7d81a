// Package simulator is a stand-in for the parts of Verizon ThingSpace's M2M API that the provider
// uses: OAuth and session authentication, the five eUICC profile actions and the callbacks they
// produce, callback listeners, the device list and the v2 request status.
//
// It re-implements the documented API on its own (it shares only the wire types and facts of
// package thingspace, never the client), so that a client bug shows up as a test failure instead
// of being mirrored. Tests choose per device what happens (success, failure, warnings, silence,
// duplicates, callbacks before the response) and inject faults (throttling, 5xx, dropped
// connections, expired sessions, revoked bearers); a request log lets them count what was sent.
//
// Controls for the standalone binary live under /_simulator/ and are never part of the real API.
package simulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Credentials and accounts the simulator knows when Options leaves them empty.
const (
	DefaultClientID     = "sim-client-id"
	DefaultClientSecret = "sim-client-secret"
	DefaultUsername     = "sim-user"
	DefaultPassword     = "sim-password"
	DefaultAccount      = "0000123456-00001"
	// SourceDocumentAccount is the account of Verizon's enable example (enable-local-profile.txt).
	SourceDocumentAccount = "1223334444-00001"
	// TestAccount has the shape of Verizon's test accounts, which break any numeric pattern.
	TestAccount = "TestAccount-2"
)

// Defaults for the settings whose zero value would be useless.
const (
	// DefaultCallbackDelay is how long an in-process device takes to answer: short, so tests are
	// fast, but not zero, so the callback really arrives after the action's response.
	DefaultCallbackDelay = 10 * time.Millisecond
	// DefaultMaxConcurrentDeliveries bounds the callbacks being sent at one time.
	DefaultMaxConcurrentDeliveries = 16
	// DefaultDeliveryTimeout bounds one callback send, so a stuck listener cannot hold a worker.
	DefaultDeliveryTimeout = 10 * time.Second
)

// DefaultAccounts returns the accounts known when Options.Accounts is empty.
func DefaultAccounts() []string { return []string{DefaultAccount, SourceDocumentAccount, TestAccount} }

// Options configures a Simulator. The zero value is a working simulator with the defaults above.
type Options struct {
	ClientID, ClientSecret string // OAuth client; "" = DefaultClientID / DefaultClientSecret
	Username, Password     string // M2M user; "" = DefaultUsername / DefaultPassword
	// Accounts are the billing accounts that exist; empty = DefaultAccounts().
	Accounts []string

	// BearerLifetime is how long a bearer lives from its first issue; 0 = thingspace.BearerLifetime.
	BearerLifetime time.Duration
	// SessionIdleTimeout ends a session unused this long; 0 = thingspace.SessionIdleTimeout.
	SessionIdleTimeout time.Duration

	// MaxDevicesPerRequest bounds one profile action; 0 = thingspace.DefaultMaxDevicesPerRequest.
	MaxDevicesPerRequest int
	// DeviceListPageSize bounds one device-list answer; 0 = thingspace.DeviceListPageSize.
	DeviceListPageSize int

	// MaxCallbackThreshold is how many times one callback is sent at most while the listener
	// does not acknowledge it; 0 = thingspace.DefaultMaxCallbackThreshold.
	MaxCallbackThreshold int
	// CallbackRetryInterval spaces those sends; 0 = thingspace.DefaultCallbackRetryInterval.
	CallbackRetryInterval time.Duration
	// MaxConcurrentDeliveries bounds callbacks in flight; 0 = DefaultMaxConcurrentDeliveries.
	MaxConcurrentDeliveries int
	// DeliveryTimeout bounds one callback send; 0 = DefaultDeliveryTimeout.
	DeliveryTimeout time.Duration

	// DefaultBehavior is how devices without their own behaviour answer; the zero value means
	// success after DefaultCallbackDelay.
	DefaultBehavior DeviceBehavior
	// Devices sets behaviours per EID from the start (and again after Reset).
	Devices map[string]DeviceBehavior
	// Faults are injected from the start (and again after Reset).
	Faults []Fault
	// Listeners are registered from the start (and again after Reset).
	Listeners []Listener
	// Fleets are generated devices that exist from the start (and again after Reset), listed
	// after the source document's device, in order.
	Fleets []Fleet

	// Logger receives structured logs, never secrets; nil discards them.
	Logger *slog.Logger
	// Now is the clock for token lifetimes, so tests can expire tokens without sleeping;
	// nil = time.Now. Callback delays always use real timers.
	Now func() time.Time
}

// Listener is a callback listener registered for an account.
type Listener struct {
	Account string `json:"account"`
	thingspace.CallbackListener
}

// withDefaults returns o with every zero setting replaced by its default.
func (o Options) withDefaults() Options {
	orDefault(&o.ClientID, DefaultClientID)
	orDefault(&o.ClientSecret, DefaultClientSecret)
	orDefault(&o.Username, DefaultUsername)
	orDefault(&o.Password, DefaultPassword)
	if len(o.Accounts) == 0 {
		o.Accounts = DefaultAccounts()
	}
	// Reset applies these again: copies keep the caller's later changes out.
	o.Accounts, o.Devices = slices.Clone(o.Accounts), maps.Clone(o.Devices)
	o.Faults, o.Listeners, o.Fleets = slices.Clone(o.Faults), slices.Clone(o.Listeners), slices.Clone(o.Fleets)
	orDefault(&o.BearerLifetime, thingspace.BearerLifetime)
	orDefault(&o.SessionIdleTimeout, thingspace.SessionIdleTimeout)
	orDefault(&o.MaxDevicesPerRequest, thingspace.DefaultMaxDevicesPerRequest)
	orDefault(&o.DeviceListPageSize, thingspace.DeviceListPageSize)
	orDefault(&o.MaxCallbackThreshold, thingspace.DefaultMaxCallbackThreshold)
	orDefault(&o.CallbackRetryInterval, thingspace.DefaultCallbackRetryInterval)
	orDefault(&o.MaxConcurrentDeliveries, DefaultMaxConcurrentDeliveries)
	orDefault(&o.DeliveryTimeout, DefaultDeliveryTimeout)
	if o.DefaultBehavior == (DeviceBehavior{}) {
		o.DefaultBehavior = DeviceBehavior{Outcome: OutcomeSuccess, Delay: Duration(DefaultCallbackDelay)}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Simulator is a running ThingSpace stand-in. All methods are safe for concurrent use.
type Simulator struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler
	sched   *scheduler
	client  *http.Client // sends callbacks; one for all, so connections are reused
	ctx     context.Context
	cancel  context.CancelFunc

	mu    sync.Mutex
	state *state // everything Reset clears, guarded by mu
	gen   uint64 // incremented by Reset, so callbacks scheduled before it are dropped

	// closed and inflight let Close wait for every handler it may have to stop, without a
	// WaitGroup.Add racing with Wait.
	closed   bool
	inflight sync.WaitGroup

	server    *http.Server
	url       string
	closeOnce sync.Once
	closeErr  error
}

// New returns a simulator that is not listening: serve Handler() yourself (httptest) or use
// Start. Call Close when done, since scheduled callbacks run on goroutines.
func New(opts Options) *Simulator {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	// Every worker keeps its connection to the listener between callbacks.
	transport := &http.Transport{MaxIdleConnsPerHost: opts.MaxConcurrentDeliveries, IdleConnTimeout: time.Minute}
	s := &Simulator{
		opts:   opts,
		log:    opts.Logger,
		client: &http.Client{Transport: transport, Timeout: opts.DeliveryTimeout},
		ctx:    ctx,
		cancel: cancel,
	}
	s.sched = newScheduler(ctx, opts.MaxConcurrentDeliveries, s.send)
	s.handler = s.routes()
	s.Reset()
	return s
}

// Start returns a simulator serving on a free loopback port (see URL).
func Start(opts Options) (*Simulator, error) { return Listen("127.0.0.1:0", opts) }

// Listen returns a simulator serving on addr (host:port; port 0 picks a free one).
func Listen(addr string, opts Options) (*Simulator, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	s := New(opts)
	s.server = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.url = "http://" + l.Addr().String()
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		if err := s.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("simulator server stopped", "error", err)
		}
	}()
	s.log.Info("simulator listening", "url", s.url)
	return s, nil
}

// Handler serves the API and the /_simulator/ controls.
func (s *Simulator) Handler() http.Handler { return s.handler }

// URL is the base URL when started with Start or Listen, "" otherwise.
func (s *Simulator) URL() string { return s.url }

// Shutdown stops accepting requests, lets those in progress finish until ctx ends, then closes.
func (s *Simulator) Shutdown(ctx context.Context) error {
	var err error
	if s.server != nil {
		err = s.server.Shutdown(ctx)
	}
	return errors.Join(err, s.Close())
}

// Close stops the listener, drops pending callbacks, aborts those in flight and waits for every
// goroutine the simulator started. It is safe to call more than once.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		if s.server != nil {
			s.closeErr = s.server.Close()
		}
		s.sched.close()
		s.inflight.Wait()
		s.client.CloseIdleConnections()
	})
	return s.closeErr
}

// Reset returns the simulator to the state it had when created: tokens, sessions, login
// failures (and so lockouts), listeners, devices, requests, faults, both logs and pending
// callbacks are forgotten; Options (including its Devices, Faults and Listeners) apply again.
func (s *Simulator) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.state = newState(s.opts)
	s.sched.clear()
}

// enter registers a request in progress, or reports false once Close has begun.
func (s *Simulator) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.inflight.Add(1)
	return true
}
