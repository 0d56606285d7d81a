package thingspace_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestCallbackListenerLifecycle(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	ctx := context.Background()
	l := thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: "https://relay.example.com/callbacks",
		Username: "cb-user", Password: "cb-password"}
	if err := c.RegisterCallbackListener(ctx, simulator.DefaultAccount, l); err != nil {
		t.Fatalf("register: %v", err)
	}
	got, err := c.CallbackListeners(ctx, simulator.DefaultAccount)
	want := []thingspace.RegisteredListener{{AccountName: simulator.DefaultAccount, ServiceName: l.Name, URL: l.URL,
		Username: l.Username, Password: l.Password}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("listeners = %v, %v; want %v", got, err, want)
	}
	if err := c.DeleteCallbackListener(ctx, simulator.DefaultAccount, l.Name); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got, err := c.CallbackListeners(ctx, simulator.DefaultAccount); err != nil || len(got) != 0 {
		t.Fatalf("listeners after delete = %v, %v; want none", got, err)
	}
}

func TestListDevicesFollowsPages(t *testing.T) {
	sim := startSimulator(t, simulator.Options{DeviceListPageSize: 2})
	c := newTestClient(t, simConfig(sim.URL()))
	ctx := context.Background()
	if _, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(5)); err != nil {
		t.Fatal(err)
	}
	devices, err := c.ListDevices(ctx, thingspace.DeviceListRequest{AccountName: simulator.DefaultAccount})
	if err != nil {
		t.Fatal(err)
	}
	var eids []string
	for _, d := range devices {
		eids = append(eids, d.DeviceIDs.Get(thingspace.KindEID))
	}
	want := []string{testEID(1), testEID(2), testEID(3), testEID(4), testEID(5)}
	if !slices.Equal(eids, want) {
		t.Errorf("listed EIDs = %v, want %v", eids, want)
	}
	// ThingSpace answers 202 to every page but the last: a success, not a reason to stop.
	var statuses []int
	for _, r := range sim.Requests() {
		if r.Endpoint == simulator.EndpointDeviceList {
			statuses = append(statuses, r.Status)
		}
	}
	if want := []int{http.StatusAccepted, http.StatusAccepted, http.StatusOK}; !slices.Equal(statuses, want) {
		t.Errorf("device-list pages answered %v, want %v", statuses, want)
	}
	suspended, err := c.ListDevices(ctx, thingspace.DeviceListRequest{AccountName: simulator.DefaultAccount,
		CurrentState: thingspace.DeviceStateSuspend})
	if err != nil || len(suspended) != 0 {
		t.Errorf("suspended devices = %v, %v; want none", suspended, err)
	}
}

func TestRequestStatusAndLogout(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	c := newTestClient(t, simConfig(sim.URL()))
	ctx := context.Background()
	id, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.RequestStatus(ctx, simulator.DefaultAccount, id)
	if err != nil || st.RequestID != id || st.Status == "" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if err := c.Logout(ctx); err != nil || sim.Count(simulator.EndpointLogout) != 1 {
		t.Fatalf("a second logout: %v, logouts sent %d; want nothing sent", err, sim.Count(simulator.EndpointLogout))
	}
	if _, err := c.RequestStatus(ctx, simulator.DefaultAccount, id); err != nil {
		t.Fatal(err)
	}
	if got := sim.Count(simulator.EndpointLogin); got != 2 {
		t.Errorf("logins = %d, want 2: a call after logout logs in again", got)
	}
}

func TestRequestsTheClientCanJudgeAreRefusedBeforeSending(t *testing.T) {
	sim := startSimulator(t, simulator.Options{})
	cfg := simConfig(sim.URL())
	cfg.MaxDevicesPerRequest = 3
	c := newTestClient(t, cfg)
	ctx := context.Background()
	cases := map[string]struct {
		action thingspace.ProfileAction
		req    thingspace.ProfileRequest
		want   string
	}{
		"too many devices": {thingspace.ActionEnable, enableRequest(4), "more than the 3 allowed"},
		"no device":        {thingspace.ActionDisable, enableRequest(0), "no device"},
		"unknown action":   {"activate", enableRequest(1), `unknown profile action "activate"`},
		"no account":       {thingspace.ActionDelete, thingspace.ProfileRequest{Devices: enableRequest(1).Devices}, "account_name"},
	}
	for name, tc := range cases {
		if _, err := c.ProfileAction(ctx, tc.action, tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to say %q", name, err, tc.want)
		}
	}
	if n := len(sim.Requests()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// TestNoSecretInLogsOrErrors runs renewals, retries and failures with a logger attached and
// checks that neither the log nor any error holds a configured secret or a learned token.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	srv := startObservedServer(t)
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	c := newTestClient(t, simConfig(srv.URL))
	var errs []error
	call := func() {
		_, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1))
		errs = append(errs, err)
	}
	call()
	srv.sim.ExpireSessions()
	call()
	srv.sim.RevokeBearers()
	call()
	srv.sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: 500,
		Body: `{"errorCode":"X.REQUEST_FAILED.UnexpectedError","errorMessage":"echo ` + simulator.DefaultPassword + `"}`})
	call()
	_ = c.Logout(ctx)

	bad := simConfig(srv.URL)
	bad.Password = "another-wrong-password"
	_, err := newTestClient(t, bad).CallbackListeners(ctx, simulator.DefaultAccount)
	errs = append(errs, err)
	bad = simConfig(srv.URL)
	bad.ClientSecret = "another-wrong-secret"
	_, err = newTestClient(t, bad).CallbackListeners(ctx, simulator.DefaultAccount)
	errs = append(errs, err)

	secrets := append(srv.learnedTokens(), simulator.DefaultClientSecret, simulator.DefaultPassword,
		"another-wrong-password", "another-wrong-secret")
	if len(secrets) < 8 {
		t.Fatalf("only %d secrets observed: the scenario did not renew its tokens", len(secrets))
	}
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil {
		t.Fatal(err)
	}
	if !hasRequestLog(entries) {
		t.Fatalf("no request log entry with method, path, status, attempt and duration among %d entries", len(entries))
	}
	for _, secret := range secrets {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log contains a secret (%d characters)", len(secret))
		}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains a secret", err)
			}
		}
	}
	if errs[3] == nil || !strings.Contains(errs[3].Error(), "echo ***") {
		t.Errorf("the server's echo of the password was not scrubbed: %v", errs[3])
	}
}

func hasRequestLog(entries []map[string]any) bool {
	for _, e := range entries {
		_, hasDuration := e["duration_ms"]
		if e["method"] != nil && e["path"] != nil && e["status"] != nil && e["attempt"] != nil && hasDuration {
			return true
		}
	}
	return false
}

func TestUserAgentOnEveryRequest(t *testing.T) {
	srv := startObservedServer(t)
	c := newTestClient(t, simConfig(srv.URL))
	if _, err := c.ProfileAction(context.Background(), thingspace.ActionEnable, enableRequest(1)); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.userAgents) != 1 || !srv.userAgents["thingspace-client-test/1.0"] {
		t.Errorf("user agents seen = %v, want only the configured one", srv.userAgents)
	}
}
