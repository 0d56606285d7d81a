package provider_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// TestAccFleetExample applies and destroys examples/fleet with the real CLI against a simulated
// fleet of three active devices and one suspended one: the listener is registered once, the
// device list is read (one page), each active device gets one download and one enable, its IP
// address is an output, and the destroy deletes every downloaded profile and deregisters.
func TestAccFleetExample(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{Fleets: []simulator.Fleet{
		{Count: 3}, {Count: 1, State: thingspace.DeviceStateSuspend},
	}})
	cli, run, _ := exampleRun(t, env, "fleet")
	ctx := context.Background()

	if out, err := cli.Run(ctx, run, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	for action, want := range map[thingspace.ProfileAction]int{
		thingspace.ActionDownloadDisable: 3, thingspace.ActionEnable: 3, thingspace.ActionDelete: 0,
	} {
		if got := env.Sim.AcceptedActions(action); got != want {
			t.Errorf("after the apply the simulator accepted %d %s request(s), want %d", got, action, want)
		}
	}
	if got := env.Sim.Count(simulator.EndpointDeviceList); got != 1 {
		t.Errorf("the device list was read %d time(s), want 1 (one page)", got)
	}
	checkIPAddressesOutput(ctx, t, env, cli, run, simulator.FleetEID(0), simulator.FleetEID(1), simulator.FleetEID(2))

	if out, err := cli.Run(ctx, run, "destroy", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDelete); got != 3 {
		t.Errorf("the destroy sent %d delete request(s), want 3", got)
	}
	if err := checkRegistered(env, env.AccountName, thingspace.ServiceDeviceProfile, nil)(nil); err != nil {
		t.Error(err)
	}
}

// TestAccFleetResourceExample applies and destroys examples/fleet-resource with the real CLI
// against a simulated fleet of three active devices and one suspended one: the listener is
// registered once, the device list is read (one page), one enable request carries the three
// active devices, their IP addresses are an output, and the destroy sends one disable request
// for the three and deregisters the listener.
func TestAccFleetResourceExample(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{Fleets: []simulator.Fleet{
		{Count: 3}, {Count: 1, State: thingspace.DeviceStateSuspend},
	}})
	cli, run, _ := exampleRun(t, env, "fleet-resource")
	ctx := context.Background()
	active := []string{simulator.FleetEID(0), simulator.FleetEID(1), simulator.FleetEID(2)}

	if out, err := cli.Run(ctx, run, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if err := checkSent(env, thingspace.ActionEnable, 1, active...)(nil); err != nil {
		t.Error(err)
	}
	if got := env.Sim.Count(simulator.EndpointDeviceList); got != 1 {
		t.Errorf("the device list was read %d time(s), want 1 (one page)", got)
	}
	checkIPAddressesOutput(ctx, t, env, cli, run, active...)

	if out, err := cli.Run(ctx, run, "destroy", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if err := checkSent(env, thingspace.ActionDisable, 1, active...)(nil); err != nil {
		t.Error(err)
	}
	if err := checkRegistered(env, env.AccountName, thingspace.ServiceDeviceProfile, nil)(nil); err != nil {
		t.Error(err)
	}
}

// checkIPAddressesOutput asserts that an example's ip_addresses output maps exactly the active
// devices to the IP addresses the simulator gave them.
func checkIPAddressesOutput(ctx context.Context, t *testing.T, env *acctest.Env, cli *acctest.CLI, run []string, active ...string) {
	t.Helper()
	out, err := cli.Run(ctx, run, "output", "-json", "ip_addresses")
	if err != nil {
		t.Fatalf("output: %v\n%s", err, out)
	}
	var addresses map[string]string
	if err := json.Unmarshal([]byte(out), &addresses); err != nil {
		t.Fatalf("output ip_addresses is not a map: %v\n%s", err, out)
	}
	for _, eid := range active {
		if want := env.Sim.Device(eid).IPAddress; addresses[eid] != want {
			t.Errorf("ip_addresses[%s] = %q, want %q", eid, addresses[eid], want)
		}
	}
	if len(addresses) != len(active) {
		t.Errorf("ip_addresses has %d entries, want the %d active devices: %v", len(addresses), len(active), addresses)
	}
}
