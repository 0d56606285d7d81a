package provider_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// One resource per device, from a map, is how fleets are written. While Terraform validates,
// each.value is one unknown object, which must not be taken for a device without an EID.
// terraform-plugin-testing cannot shim for_each instances, so this drives the CLI directly.
func TestAccEnablement_devicesFromForEachValue(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	cli := acctest.NewCLI(t)
	forEach := func(second string) string {
		return env.ProviderConfig() + fmt.Sprintf(`
locals {
  devices = {
    first  = { eid = %q, iccid = %q }
    second = %s
  }
}
resource "thingspace_euicc_profile_enablement" "test" {
  for_each = local.devices
  devices  = [each.value]
}
`, devices[0].eid, devices[0].iccid, second)
	}
	ctx := context.Background()

	cli.WriteConfig(t, forEach(fmt.Sprintf(`{ eid = %q, iccid = %q }`, devices[1].eid, devices[1].iccid)))
	if out, err := cli.Run(ctx, nil, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	state := cli.State(t)
	if len(state.Resources) != 1 || len(state.Resources[0].Instances) != 2 {
		t.Fatalf("state holds %+v, want one resource with two instances", state.Resources)
	}
	for _, instance := range state.Resources[0].Instances {
		if instance.Attributes["status"] != "Success" {
			t.Errorf("instance %v has status %v, want Success", instance.IndexKey, instance.Attributes["status"])
		}
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 2 {
		t.Errorf("the simulator accepted %d enable requests, want 2", got)
	}

	// A device that really lacks its ICCID is still refused, by name, when planning.
	cli.WriteConfig(t, forEach(fmt.Sprintf(`{ eid = %q, iccid = null }`, devices[1].eid)))
	out, err := cli.Run(ctx, nil, "plan", "-no-color")
	flat := strings.Join(strings.Fields(out), " ")
	if err == nil || !strings.Contains(flat, "Error: Missing iccid") || !strings.Contains(flat, `thingspace_euicc_profile_enablement.test["second"]`) {
		t.Errorf("plan with a device lacking its ICCID: %v, want an error naming the instance:\n%s", err, out)
	}
}
