package thingspace_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
)

// A failed login is never retried, and its error must send the user the right way: to the
// credentials when ThingSpace refused them, to "later" when ThingSpace failed.
func TestLoginFailureHintsMatchTheCause(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		opts      simulator.Options
		want, not string
	}{
		{"wrong password", simulator.Options{Password: "not-the-configured-one"}, "check username and password", "run Terraform again later"},
		{"500", simulator.Options{Faults: []simulator.Fault{{Endpoint: simulator.EndpointLogin, Status: http.StatusInternalServerError}}},
			"says nothing against the credentials", "check username and password"},
		{"502", simulator.Options{Faults: []simulator.Fault{{Endpoint: simulator.EndpointLogin, Status: http.StatusBadGateway}}},
			"says nothing against the credentials", "check username and password"},
		{"dropped", simulator.Options{Faults: []simulator.Fault{{Endpoint: simulator.EndpointLogin, Mode: simulator.FaultDropBeforeHandling}}},
			"says nothing against the credentials", "check username and password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSimulator(t, tc.opts)
			c := newTestClient(t, simConfig(sim.URL()))
			_, err := c.CallbackListeners(context.Background(), simulator.DefaultAccount)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.not) {
				t.Fatalf("error = %v, want one saying %q and not %q", err, tc.want, tc.not)
			}
			if strings.Contains(err.Error(), "..") {
				t.Errorf("error %q has a doubled full stop", err)
			}
		})
	}
}
