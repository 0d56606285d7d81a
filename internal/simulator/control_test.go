package simulator

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestControlEndpoints(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()

	resp := f.do(http.MethodPut, controlPrefix+"devices/"+eidA, nil, `{"outcome":"failure","delay":"1ms","failureCode":"REQUEST_FAILED.X"}`)
	var st DeviceState
	resp.json(t, &st)
	if resp.status != http.StatusOK || st.Behavior.Outcome != OutcomeFailure || st.Behavior.Delay != Duration(time.Millisecond) {
		t.Fatalf("PUT device: %d %s", resp.status, resp.body)
	}
	for _, bad := range []string{`{"outcome":"explode"}`, `{"delay":5}`, `{"colour":"red"}`, `not json`} {
		if resp := f.do(http.MethodPut, controlPrefix+"devices/"+eidA, nil, bad); resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"error"`) {
			t.Errorf("PUT device %s: %d %s", bad, resp.status, resp.body)
		}
	}

	requestID := f.action(h, thingspace.ActionEnable, profileRequest(eidA))
	if cb := f.nextCallback().cb; cb.Status != "Failed" {
		t.Fatalf("behaviour set through the control endpoint was not used: %+v", cb)
	}
	f.waitIdle()
	f.do(http.MethodGet, controlPrefix+"devices/"+eidA, nil, nil).json(t, &st)
	if !st.Known || st.LastRequestID != requestID {
		t.Fatalf("GET device = %+v", st)
	}

	var reqs []RecordedRequest
	f.do(http.MethodGet, controlPrefix+"requests", nil, nil).json(t, &reqs)
	if len(reqs) != 3 || reqs[2].RequestID != requestID || reqs[2].EIDs[0] != eidA || reqs[0].Endpoint != EndpointToken {
		t.Fatalf("requests = %+v, want token, login and the action (controls are not logged)", reqs)
	}
	var deliveries []Delivery
	f.do(http.MethodGet, controlPrefix+"deliveries", nil, nil).json(t, &deliveries)
	if len(deliveries) != 1 || deliveries[0].RequestID != requestID || deliveries[0].ListenerStatus != 200 {
		t.Fatalf("deliveries = %+v", deliveries)
	}

	if resp := f.do(http.MethodPost, controlPrefix+"faults", nil, `{"endpoint":"device_list","status":429,"retryAfter":"3"}`); resp.status != http.StatusNoContent {
		t.Fatalf("POST fault: %d %s", resp.status, resp.body)
	}
	if resp := f.do(http.MethodPost, thingspace.PathDeviceList, h, thingspace.DeviceListRequest{AccountName: DefaultAccount}); resp.status != 429 || resp.header.Get("Retry-After") != "3" {
		t.Fatalf("fault from the control endpoint not applied: %d", resp.status)
	}
	if resp := f.do(http.MethodPost, controlPrefix+"faults", nil, `{"endpoint":"teleport"}`); resp.status != http.StatusBadRequest {
		t.Fatalf("bad fault: %d", resp.status)
	}

	f.do(http.MethodPost, controlPrefix+"expire-sessions", nil, nil)
	if e := f.do(http.MethodPost, thingspace.PathDeviceList, h, thingspace.DeviceListRequest{AccountName: DefaultAccount}).m2mError(t, 400); !strings.HasSuffix(e.ErrorCode, thingspace.CodeSessionExpired) {
		t.Fatalf("after expire-sessions: %+v", e)
	}
	f.do(http.MethodPost, controlPrefix+"revoke-bearers", nil, nil)
	if code := gatewayCode(t, f.do(http.MethodPost, thingspace.PathDeviceList, h, nil)); code != thingspace.FaultInvalidCredentials {
		t.Fatalf("after revoke-bearers: %s", code)
	}
	if resp := f.do(http.MethodPost, controlPrefix+"reset", nil, nil); resp.status != http.StatusNoContent {
		t.Fatalf("reset: %d", resp.status)
	}
	if len(f.sim.Requests()) != 0 || len(f.sim.Deliveries()) != 0 || f.sim.Device(eidA).Known {
		t.Fatal("reset left state behind")
	}
	if resp := f.do(http.MethodDelete, controlPrefix+"reset", nil, nil); resp.status != http.StatusNotFound || !strings.Contains(string(resp.body), "DELETE /_simulator/reset") {
		t.Fatalf("DELETE reset: %d %s", resp.status, resp.body)
	}
}

func TestResetRestoresOptionsAndCancelsPendingCallbacks(t *testing.T) {
	f := newFixture(t, Options{
		Devices: map[string]DeviceBehavior{eidA: {Outcome: OutcomeFailure}},
		Faults:  []Fault{{Endpoint: EndpointToken, Status: 503}},
	})
	if resp := f.requestToken(); resp.status != 503 {
		t.Fatalf("initial fault not applied: %d", resp.status)
	}
	f.sim.SetDevice(eidA, DeviceBehavior{Delay: Duration(time.Hour)})
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA))
	f.sim.Reset()
	f.waitIdle() // the hour-long callback was dropped
	if resp := f.requestToken(); resp.status != 503 {
		t.Fatalf("fault from Options not restored by Reset: %d", resp.status)
	}
	if b := f.sim.Device(eidA).Behavior; b.Outcome != OutcomeFailure {
		t.Fatalf("behaviour from Options not restored: %+v", b)
	}
}

// TestCloseStopsEverything: Close returns while callbacks are pending far in the future and
// while one is being delivered to a listener that never answers, and later requests are refused.
func TestCloseStopsEverything(t *testing.T) {
	hung := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(hung) })
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(listener.Close)
	t.Cleanup(func() { close(release) })

	sim := New(Options{})
	server := httptest.NewServer(sim.Handler())
	t.Cleanup(server.Close)
	f := &fixture{t: t, sim: sim, client: http.DefaultClient}
	sim.RegisterListener(DefaultAccount, thingspace.CallbackListener{Name: thingspace.ServiceDeviceProfile, URL: listener.URL})
	sim.SetDevice(eidB, DeviceBehavior{Delay: Duration(time.Hour)})
	sim.SetDevice(eidA, DeviceBehavior{})
	f.sim.url = server.URL
	f.action(f.auth(), thingspace.ActionEnable, profileRequest(eidA, eidB))
	<-hung
	if err := sim.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	resp := f.do(http.MethodPost, thingspace.PathOAuthToken, nil, nil)
	if resp.status != http.StatusServiceUnavailable {
		t.Fatalf("request after Close answered %d", resp.status)
	}
	if err := sim.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestNoSecretsInLogs runs every kind of exchange with debug logging and checks that no
// password, secret or token reaches the log or the request log.
func TestNoSecretsInLogs(t *testing.T) {
	var buf testsupport.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, Options{Logger: logger, CallbackRetryInterval: time.Millisecond, MaxCallbackThreshold: 2})
	f.setAnswer(func(n int) int { return []int{500, 200}[min(n, 2)-1] })
	h := f.auth()
	f.loginAs(h.Get("Authorization")[len("Bearer "):], DefaultUsername, "wrong-password-s3cret")
	f.do(http.MethodPost, thingspace.CallbackListenersPath(TestAccount), h, thingspace.CallbackListener{
		Name: thingspace.ServiceDeviceProfile, URL: f.listenerURL, Username: "u", Password: "listener-s3cret"})
	f.action(h, thingspace.ActionEnable, profileRequest(eidA))
	cb := f.nextCallback()
	f.nextCallback()
	f.waitIdle()
	f.do(http.MethodPost, thingspace.PathSessionLogout, h, nil)

	deviceCred := cb.cb.DeviceResponse.DeviceProfileResponse.DeviceCredential
	secrets := []string{DefaultClientSecret, DefaultPassword, "wrong-password-s3cret", listenerPassword, "listener-s3cret",
		h.Get(thingspace.HeaderSessionToken), h.Get("Authorization")[len("Bearer "):], deviceCred.Username, deviceCred.Password}
	logged, _ := json.Marshal(f.sim.Requests())
	deliveries, _ := json.Marshal(f.sim.Deliveries())
	for _, text := range []string{buf.String(), string(logged), string(deliveries)} {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("secret %q appears in:\n%s", secret, text)
			}
		}
	}
	if !strings.Contains(buf.String(), "profile action accepted") {
		t.Fatalf("nothing was logged: %s", buf.String())
	}
}
