package thingspace_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The provider tells "nothing was done, apply again" from "ThingSpace may have acted, check
// before applying again" by ErrOutcomeUnknown alone, so every failure must be on the right side.

func TestActionFailuresSayWhetherThingSpaceMayHaveActed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fault   simulator.Fault
		unknown bool
	}{
		{"500", simulator.Fault{Status: 500}, true},
		{"502", simulator.Fault{Status: 502}, true},
		{"504", simulator.Fault{Status: 504}, true},
		{"dropped before handling", simulator.Fault{Mode: simulator.FaultDropBeforeHandling}, true},
		{"dropped after handling", simulator.Fault{Mode: simulator.FaultDropAfterHandling}, true},
		{"400 account not found", simulator.Fault{Status: 400,
			Body: `{"errorCode":"DeviceService.` + thingspace.CodeAccountNotFound + `","errorMessage":"no such account"}`}, false},
		{"429 until the retries run out", simulator.Fault{Status: 429, Times: 10}, false},
		{"503 until the retries run out", simulator.Fault{Status: 503, Times: 10}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSimulator(t, simulator.Options{})
			c := newTestClient(t, simConfig(sim.URL()))
			tc.fault.Endpoint = simulator.EndpointProfileAction
			sim.InjectFault(tc.fault)
			_, err := c.ProfileAction(context.Background(), thingspace.ActionEnable, enableRequest(1))
			if err == nil {
				t.Fatal("ProfileAction succeeded through a fault")
			}
			if got := errors.Is(err, thingspace.ErrOutcomeUnknown); got != tc.unknown {
				t.Errorf("errors.Is(%v, ErrOutcomeUnknown) = %t, want %t", err, got, tc.unknown)
			}
		})
	}
}

func TestActionInterruptedOnItsWayLeavesTheOutcomeUnknown(t *testing.T) {
	t.Parallel()
	sim := startSimulator(t, simulator.Options{})
	arrived := make(chan struct{})
	release := make(chan struct{})
	// A gateway in front of the simulator that holds the enable request, as a slow ThingSpace
	// would, until the caller has given up.
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == thingspace.ProfileActionPath(thingspace.ActionEnable) {
			close(arrived)
			<-release
			return
		}
		proxyTo(t, sim.URL(), w, r)
	}))
	t.Cleanup(gateway.Close)
	t.Cleanup(func() { close(release) })

	c := newTestClient(t, simConfig(gateway.URL))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.ProfileAction(ctx, thingspace.ActionEnable, enableRequest(1))
		done <- err
	}()
	<-arrived
	cancel()
	err := awaitResult(t, done)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, thingspace.ErrOutcomeUnknown) {
		t.Fatalf("error = %v, want one wrapping context.Canceled and ErrOutcomeUnknown", err)
	}
}

// proxyTo forwards one request to base and copies the answer back.
func proxyTo(t *testing.T, base string, w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.RequestURI(), r.Body)
	if err != nil {
		t.Errorf("proxy: %v", err)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
