package provider_test

import (
	"context"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// TestAccFleet_planListsTheDevicesAChangeSends runs `terraform plan` on the real CLI: a change
// that sends an action to more than five devices lists each of them, by action, in a warning,
// and names no device that is sent nothing.
func TestAccFleet_planListsTheDevicesAChangeSends(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(9)
	kept, removed, added := devices[0], devices[1], devices[2:]
	cli := acctest.NewCLI(t)
	ctx := context.Background()
	cli.WriteConfig(t, fleetConfig(env, []device{kept, removed}, "  disable_on_remove = true"))
	if out, err := cli.Run(ctx, nil, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}

	cli.WriteConfig(t, fleetConfig(env, append([]device{kept}, added...), "  disable_on_remove = true"))
	out, err := cli.Run(ctx, nil, "plan", "-no-color")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	text := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(text, "This apply sends a profile action to 8 device(s) of the fleet") {
		t.Fatalf("the plan does not warn about the 8 devices it sends an action to:\n%s", out)
	}
	enable := "enable (7): " + strings.Join(eidList(added...), " ")
	if !strings.Contains(text, enable) || !strings.Contains(text, "disable (1): "+removed.eid) {
		t.Errorf("the warning does not list the devices by action (want %q and disable %s):\n%s", enable, removed.eid, out)
	}
	warning := text[strings.Index(text, "This apply sends"):]
	warning = warning[:strings.Index(warning, "Every other device")]
	if strings.Contains(warning, kept.eid) {
		t.Errorf("the warning names %s, which is sent nothing:\n%s", kept.eid, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("the simulator accepted %d enable requests, want the apply's 1 (a plan sends nothing)", got)
	}
}
