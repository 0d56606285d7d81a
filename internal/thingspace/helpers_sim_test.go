package thingspace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const testSmsrOid = "1.3.6.1.4.1.31746.1.500.200.101.5"

// startSimulator starts a simulator on loopback, closed when the test ends.
func startSimulator(t *testing.T, opts simulator.Options) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.Start(opts)
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

// simConfig is a client configuration for the simulator's default credentials, with backoff
// delays in milliseconds so that retries cost no real time.
func simConfig(baseURL string) thingspace.Config {
	return thingspace.Config{
		BaseURL:  baseURL,
		ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
		Username: simulator.DefaultUsername, Password: simulator.DefaultPassword,
		MaxRetries:     3,
		RetryMinDelay:  time.Millisecond,
		RetryMaxDelay:  4 * time.Millisecond,
		RequestTimeout: 30 * time.Second,
		UserAgent:      "thingspace-client-test/1.0",
	}
}

func newTestClient(t *testing.T, cfg thingspace.Config) *thingspace.Client {
	t.Helper()
	c, err := thingspace.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// sleepRecorder stands in for the wait between attempts: it records each wait and returns at
// once (or with the context's error), so tests assert on waits without spending them.
type sleepRecorder struct {
	mu     sync.Mutex
	waited []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waited = append(r.waited, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *sleepRecorder) waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waited...)
}

// testEID returns a distinct 32-digit EID for device n.
func testEID(n int) string { return fmt.Sprintf("890490320000010000000000%08d", n) }

// enableRequest names devices 1..n of the default account.
func enableRequest(n int) thingspace.ProfileRequest {
	req := thingspace.ProfileRequest{AccountName: simulator.DefaultAccount, SmsrOid: testSmsrOid}
	for i := 1; i <= n; i++ {
		req.Devices = append(req.Devices, thingspace.ProfileDevice{DeviceIDs: thingspace.DeviceIDs{
			{Kind: thingspace.KindEID, ID: testEID(i)},
			{Kind: thingspace.KindICCID, ID: fmt.Sprintf("891480000008%08d", i)},
		}})
	}
	return req
}

// observedServer serves a simulator's API through a wrapper that records the credentials and
// User-Agent of every request and can hold token requests, for tests that need to see or stall
// what reaches the server.
type observedServer struct {
	*httptest.Server
	sim *simulator.Simulator

	mu         sync.Mutex
	tokens     map[string]bool // every bearer and session token sent
	userAgents map[string]bool

	holdTokens   chan struct{} // when not nil, token requests wait until it is closed
	tokenArrived chan struct{} // receives once per token request that is held
}

func startObservedServer(t *testing.T) *observedServer {
	t.Helper()
	o := &observedServer{sim: simulator.New(simulator.Options{}), tokens: map[string]bool{}, userAgents: map[string]bool{}}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(func() {
		o.Close()
		_ = o.sim.Close()
	})
	return o
}

func (o *observedServer) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	if _, bearer, ok := strings.Cut(r.Header.Get("Authorization"), "Bearer "); ok {
		o.tokens[bearer] = true
	}
	if s := r.Header.Get(thingspace.HeaderSessionToken); s != "" {
		o.tokens[s] = true
	}
	o.userAgents[r.Header.Get("User-Agent")] = true
	hold, arrived := o.holdTokens, o.tokenArrived
	o.mu.Unlock()
	if r.URL.Path == thingspace.PathOAuthToken && hold != nil {
		arrived <- struct{}{}
		<-hold
	}
	o.sim.Handler().ServeHTTP(w, r)
}

// learnedTokens returns every token the client sent.
func (o *observedServer) learnedTokens() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for tok := range o.tokens {
		out = append(out, tok)
	}
	return out
}

// runConcurrently runs call n times at once and returns the errors.
func runConcurrently(n int, call func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func requireNoErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

// awaitResult waits for a call that must end promptly, failing instead of hanging the suite.
func awaitResult(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not return after its context was cancelled")
		return nil
	}
}
