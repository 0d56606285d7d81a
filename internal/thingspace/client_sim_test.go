package thingspace_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestConcurrentCallsShareOneTokenAndOneLogin(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	ctx := context.Background()

	errs := runConcurrently(100, func(i int) error {
		if i%10 == 0 {
			_, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1))
			return err
		}
		_, err := c.CallbackListeners(ctx, simulator.DefaultAccount)
		return err
	})
	requireNoErrors(t, errs)
	if got := sim.Count(simulator.EndpointToken); got != 1 {
		t.Errorf("token requests = %d, want 1 for 100 concurrent calls", got)
	}
	if got := sim.Count(simulator.EndpointLogin); got != 1 {
		t.Errorf("logins = %d, want 1 for 100 concurrent calls", got)
	}
	if got := sim.AcceptedActions(thingspace.ActionEnable); got != 10 {
		t.Errorf("accepted enables = %d, want 10", got)
	}
}

func TestSessionExpiryCostsOneLogin(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	ctx := context.Background()
	if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
		t.Fatal(err)
	}

	sim.ExpireSessions()
	if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
		t.Fatalf("a call after the session expired: %v", err)
	}
	if got := sim.Count(simulator.EndpointLogin); got != 2 {
		t.Errorf("logins = %d after one expiry, want 2", got)
	}

	sim.ExpireSessions()
	errs := runConcurrently(50, func(int) error {
		_, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(2))
		return err
	})
	requireNoErrors(t, errs)
	if got := sim.Count(simulator.EndpointLogin); got != 3 {
		t.Errorf("logins = %d after a second expiry seen by 50 concurrent callers, want 3", got)
	}
	if got := sim.AcceptedActions(thingspace.ActionEnable); got != 50 {
		t.Errorf("accepted enables = %d, want each of the 50 exactly once", got)
	}
	if got := sim.Count(simulator.EndpointToken); got != 1 {
		t.Errorf("token requests = %d, want 1: a session expiry must not cost a bearer", got)
	}
}

func TestRevokedBearerCostsOneToken(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	ctx := context.Background()
	if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
		t.Fatal(err)
	}

	sim.RevokeBearers()
	errs := runConcurrently(50, func(int) error {
		_, err := c.CallbackListeners(ctx, simulator.DefaultAccount)
		return err
	})
	requireNoErrors(t, errs)
	if got := sim.Count(simulator.EndpointToken); got != 2 {
		t.Errorf("token requests = %d after one revocation seen by 50 callers, want 2", got)
	}
	if got := sim.Count(simulator.EndpointRevoke); got != 1 {
		t.Errorf("revocations = %d, want 1 (the refused bearer, revoked once)", got)
	}
	if got := sim.Count(simulator.EndpointLogin); got != 1 {
		t.Errorf("logins = %d, want 1: a new bearer does not need a new session", got)
	}
}

func TestTokenIsRenewedBeforeItExpires(t *testing.T) {
	var now atomic.Pointer[time.Time]
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now.Store(&start)
	clock := func() time.Time { return *now.Load() }
	sim := startSimulator(t, simulator.Options{Now: clock})
	c := newTestClient(t, simConfig(sim.URL()))
	thingspace.SetNow(c, clock)
	ctx := context.Background()
	if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
		t.Fatal(err)
	}
	// 59m30s into the bearer's hour: inside the last minute, so the client asks again before
	// setting out (the simulator still holds the old bearer, so that costs no revocation).
	later := start.Add(59*time.Minute + 30*time.Second)
	now.Store(&later)
	if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
		t.Fatal(err)
	}
	if got := sim.Count(simulator.EndpointToken); got != 2 {
		t.Errorf("token requests = %d, want 2: the bearer should be renewed ahead of its expiry", got)
	}
	if got := sim.Count(simulator.EndpointRevoke); got != 0 {
		t.Errorf("revocations = %d, want none for a timely renewal", got)
	}
}

func TestRefusedLoginIsSentOnce(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	cfg := simConfig(sim.URL())
	cfg.Password = "wrong-password-value"
	c := newTestClient(t, cfg)
	ctx := context.Background()

	errs := runConcurrently(20, func(int) error {
		_, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1))
		return err
	})
	_, later := c.CallbackListeners(ctx, simulator.DefaultAccount)
	errs = append(errs, later)

	if got := sim.Count(simulator.EndpointLogin); got != 1 {
		t.Fatalf("logins = %d, want exactly 1: failed logins lock the account", got)
	}
	if got := sim.Count(simulator.EndpointProfileAction); got != 0 {
		t.Errorf("profile actions sent without a session: %d", got)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("a call succeeded without a session")
		}
		msg := err.Error()
		for _, want := range []string{`"` + simulator.DefaultUsername + `"`, "not retried", "lock the account"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
		}
		if strings.Contains(msg, cfg.Password) {
			t.Errorf("error %q contains the password", msg)
		}
		if thingspace.ErrorCode(err) == "" {
			t.Errorf("error %q does not carry the server's code", msg)
		}
	}
}

func TestLoginIsNeverRetriedEvenWhenUnavailable(t *testing.T) {
	for _, fault := range []simulator.Fault{
		{Endpoint: simulator.EndpointLogin, Status: http.StatusServiceUnavailable, RetryAfter: "1"},
		{Endpoint: simulator.EndpointLogin, Status: http.StatusTooManyRequests, RetryAfter: "1"},
		{Endpoint: simulator.EndpointLogin, Mode: simulator.FaultDropBeforeHandling},
	} {
		t.Run(string(fault.Mode)+http.StatusText(fault.Status), func(t *testing.T) {
			sim := startSimulator(t, simulator.Options{Faults: []simulator.Fault{fault}})
			c := newTestClient(t, simConfig(sim.URL()))
			sleeps := &sleepRecorder{}
			thingspace.SetSleep(c, sleeps.sleep)
			ctx := context.Background()
			_, err := c.CallbackListeners(ctx, simulator.DefaultAccount)
			if err == nil || !strings.Contains(err.Error(), "not retried") {
				t.Fatalf("error = %v, want a login failure saying it was not retried", err)
			}
			if got := sim.Count(simulator.EndpointLogin); got != 1 || len(sleeps.waits()) != 0 {
				t.Fatalf("logins = %d, waits = %v: a login must be sent once, with no wait", got, sleeps.waits())
			}
			// The server never judged the credentials, so a later call may log in.
			if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
				t.Fatalf("a later call: %v", err)
			}
			if got := sim.Count(simulator.EndpointLogin); got != 2 {
				t.Errorf("logins = %d, want 2", got)
			}
		})
	}
}

func TestGivenTokensThatExpireExplainWhatToConfigure(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	ctx := context.Background()

	cfg := simConfig(sim.URL())
	cfg.ClientID, cfg.ClientSecret, cfg.AccessToken = "", "", "not-a-valid-bearer"
	_, err := newTestClient(t, cfg).CallbackListeners(ctx, simulator.DefaultAccount)
	if thingspace.ErrorCode(err) != thingspace.FaultInvalidCredentials || !strings.Contains(err.Error(), "configure client_id and client_secret") {
		t.Errorf("refused access_token: %v", err)
	}
	if got := sim.Count(simulator.EndpointToken); got != 0 {
		t.Errorf("token requests = %d without client credentials", got)
	}

	// A real session, then expired: the client has no password to log in again with.
	warm := newTestClient(t, simConfig(sim.URL()))
	if _, err := warm.CallbackListeners(ctx, simulator.DefaultAccount); err != nil {
		t.Fatal(err)
	}
	bearer, session := knownTokens(t, warm)
	sim.ExpireSessions()
	cfg = simConfig(sim.URL())
	cfg.ClientID, cfg.ClientSecret, cfg.AccessToken = "", "", bearer
	cfg.Username, cfg.Password, cfg.SessionToken = "", "", session
	_, err = newTestClient(t, cfg).CallbackListeners(ctx, simulator.DefaultAccount)
	if thingspace.ErrorCode(err) != thingspace.CodeSessionExpired || !strings.Contains(err.Error(), "configure username and password") {
		t.Errorf("expired session_token: %v", err)
	}
	if strings.Contains(err.Error(), session) || strings.Contains(err.Error(), bearer) {
		t.Errorf("error %q contains a token", err)
	}
}

// knownTokens returns the bearer and session a client holds, as Secrets lists them after the
// configured secrets.
func knownTokens(t *testing.T, c *thingspace.Client) (bearer, session string) {
	t.Helper()
	secrets := c.Secrets()
	if len(secrets) != 4 {
		t.Fatalf("Secrets() has %d entries, want client secret, password, bearer and session", len(secrets))
	}
	return secrets[2], secrets[3]
}

func TestThrottledCallsWaitAsTold(t *testing.T) {
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	sleeps := &sleepRecorder{}
	thingspace.SetSleep(c, sleeps.sleep)
	thingspace.SetNow(c, func() time.Time { return fixed })
	ctx := context.Background()

	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: http.StatusTooManyRequests, RetryAfter: "7", Times: 2})
	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: http.StatusServiceUnavailable,
		RetryAfter: fixed.Add(90 * time.Second).Format(http.TimeFormat)})
	if _, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1)); err != nil {
		t.Fatalf("enable after throttling: %v", err)
	}
	want := []time.Duration{7 * time.Second, 7 * time.Second, 90 * time.Second}
	if got := sleeps.waits(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v (Retry-After in seconds, then as an HTTP date)", got, want)
	}
	if got := sim.Count(simulator.EndpointProfileAction); got != 4 {
		t.Errorf("enable requests = %d, want 4", got)
	}
	if got := sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("accepted enables = %d, want 1", got)
	}
}

func TestBackoffGrowsWithoutRetryAfter(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	cfg := simConfig(sim.URL())
	cfg.MaxRetries, cfg.RetryMinDelay, cfg.RetryMaxDelay = 5, time.Second, 5*time.Second
	c := newTestClient(t, cfg)
	sleeps := &sleepRecorder{}
	thingspace.SetSleep(c, sleeps.sleep)
	thingspace.SetJitter(c, func(ceiling time.Duration) time.Duration { return ceiling })
	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Status: http.StatusInternalServerError, Times: 10})

	_, err := c.CallbackListeners(context.Background(), simulator.DefaultAccount)
	var apiErr *thingspace.Error
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 500 || apiErr.Attempts != 6 {
		t.Fatalf("error = %v, want HTTP 500 after 6 attempts", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if got := sleeps.waits(); !slices.Equal(got, want) {
		t.Errorf("jitter ceilings = %v, want %v", got, want)
	}
	if got := sim.Count(simulator.EndpointCallbacks); got != 6 {
		t.Errorf("list requests = %d, want 6 (MaxRetries 5)", got)
	}
}

func TestActionIsNotRepeatedWhenThingSpaceMayHaveActed(t *testing.T) {
	cases := []struct {
		name     string
		fault    simulator.Fault
		accepted int
	}{
		{"500", simulator.Fault{Status: 500}, 0},
		{"502", simulator.Fault{Status: 502}, 0},
		{"504", simulator.Fault{Status: 504}, 0},
		{"dropped before handling", simulator.Fault{Mode: simulator.FaultDropBeforeHandling}, 0},
		{"dropped after handling", simulator.Fault{Mode: simulator.FaultDropAfterHandling}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := startSimulator(t, simulator.Options{})
			c := newTestClient(t, simConfig(sim.URL()))
			tc.fault.Endpoint = simulator.EndpointProfileAction
			sim.InjectFault(tc.fault)
			_, err := c.ProfileAction(context.Background(), thingspace.ActionEnable, enableRequest(1))
			if err == nil || !strings.Contains(err.Error(), "not repeated") {
				t.Fatalf("error = %v, want a failure saying the request was not repeated", err)
			}
			if got := sim.Count(simulator.EndpointProfileAction); got != 1 {
				t.Errorf("enable requests = %d, want 1", got)
			}
			if got := sim.AcceptedActions(thingspace.ActionEnable); got != tc.accepted {
				t.Errorf("accepted enables = %d, want %d", got, tc.accepted)
			}
		})
	}
}

func TestActionIsRepeatedWhereNothingWasDone(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			sim := startSimulator(t, simulator.Options{})
			c := newTestClient(t, simConfig(sim.URL()))
			sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: status, Times: 2})
			if _, err := c.ProfileAction(context.Background(), thingspace.ActionEnable, enableRequest(1)); err != nil {
				t.Fatal(err)
			}
			if got, accepted := sim.Count(simulator.EndpointProfileAction), sim.AcceptedActions(thingspace.ActionEnable); got != 3 || accepted != 1 {
				t.Errorf("enable requests = %d, accepted = %d; want 3 and 1", got, accepted)
			}
		})
	}
}

func TestActionIsRepeatedAfterConnectionRefused(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	closedAddr := closedPort(t)
	var refusedDials atomic.Int32
	dialer := &net.Dialer{}
	transport := &http.Transport{
		DisableKeepAlives: true, // every request dials, so every request can be refused
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if refusedDials.Add(1) <= 2 {
				return dialer.DialContext(ctx, network, closedAddr) // a real "connection refused"
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(transport.CloseIdleConnections)
	cfg := simConfig(sim.URL())
	cfg.HTTPClient = &http.Client{Transport: transport}
	c := newTestClient(t, cfg)
	ctx := context.Background()
	if _, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil { // authenticates first
		t.Fatal(err)
	}
	refusedDials.Store(0)
	if _, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1)); err != nil {
		t.Fatalf("enable after two refused connections: %v", err)
	}
	if got := sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("accepted enables = %d, want 1", got)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestReadsAreRetriedOnServerErrorsAndDrops(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Status: 502})
	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Mode: simulator.FaultDropAfterHandling})
	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointCallbacks, Status: 504})
	if _, err := c.CallbackListeners(context.Background(), simulator.DefaultAccount); err != nil {
		t.Fatal(err)
	}
	if got := sim.Count(simulator.EndpointCallbacks); got != 4 {
		t.Errorf("list requests = %d, want 4", got)
	}
}

func TestSimulatorErrorEnvelopesDecode(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	ctx := context.Background()

	_, err := newTestClient(t, simConfig(sim.URL())).CallbackListeners(ctx, "9999999999-99999")
	assertAPIError(t, err, thingspace.EnvelopeM2M, thingspace.CodeAccountNotFound)

	cfg := simConfig(sim.URL())
	cfg.ClientSecret = "wrong-client-secret"
	_, err = newTestClient(t, cfg).CallbackListeners(ctx, simulator.DefaultAccount)
	assertAPIError(t, err, thingspace.EnvelopeOAuth, "invalid_client")
	if strings.Contains(err.Error(), cfg.ClientSecret) || !strings.Contains(err.Error(), "client_secret") {
		t.Errorf("refused client credentials: %q should name client_secret and not contain it", err)
	}

	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointDeviceList, Status: 429, Body: `{"message":"Too Many Requests"}`, Times: 10})
	cfg = simConfig(sim.URL())
	cfg.MaxRetries = 1
	_, err = newTestClient(t, cfg).ListDevices(ctx, thingspace.DeviceListRequest{AccountName: simulator.DefaultAccount})
	var apiErr *thingspace.Error
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 429 || apiErr.Message != "Too Many Requests" || apiErr.Attempts != 2 {
		t.Errorf("throttled device list: %#v", err)
	}
}

func assertAPIError(t *testing.T, err error, envelope, shortCode string) {
	t.Helper()
	var apiErr *thingspace.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not a *thingspace.Error", err)
	}
	if apiErr.Envelope != envelope || apiErr.ShortCode != shortCode || apiErr.Message == "" {
		t.Errorf("error %#v: want envelope %q, short code %q and a message", apiErr, envelope, shortCode)
	}
}

func TestCancellingStopsABackoffWait(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	waiting := make(chan time.Duration, 1)
	thingspace.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		waiting <- d
		<-ctx.Done() // a real wait of d would end here first: the hour never passes
		return ctx.Err()
	})
	sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: 429, RetryAfter: "3600"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1))
		done <- err
	}()
	if d := <-waiting; d != time.Hour {
		t.Errorf("wait = %v, want the hour Retry-After asked for", d)
	}
	cancel()
	if err := awaitResult(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if got := sim.AcceptedActions(thingspace.ActionEnable); got != 0 {
		t.Errorf("accepted enables = %d after cancelling", got)
	}
}

func TestCancellingStopsATokenWaitBehindAnotherCaller(t *testing.T) {
	srv := startObservedServer(t)
	srv.holdTokens, srv.tokenArrived = make(chan struct{}), make(chan struct{})
	c := newTestClient(t, simConfig(srv.URL))

	first := make(chan error, 1)
	go func() {
		_, err := c.CallbackListeners(context.Background(), simulator.DefaultAccount)
		first <- err
	}()
	<-srv.tokenArrived // the first caller's token request is now held by the server

	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := c.CallbackListeners(ctx, simulator.DefaultAccount)
		second <- err
	}()
	cancel()
	if err := awaitResult(t, second); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting caller: error = %v, want context.Canceled", err)
	}
	close(srv.holdTokens)
	if err := awaitResult(t, first); err != nil {
		t.Errorf("the caller that kept waiting: %v", err)
	}
	if got := srv.sim.Count(simulator.EndpointToken); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestCancellingStopsAnAttemptInFlight(t *testing.T) {
	srv := startObservedServer(t)
	srv.holdTokens, srv.tokenArrived = make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(srv.holdTokens) })
	c := newTestClient(t, simConfig(srv.URL))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.CallbackListeners(ctx, simulator.DefaultAccount)
		done <- err
	}()
	<-srv.tokenArrived
	cancel()
	if err := awaitResult(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}
