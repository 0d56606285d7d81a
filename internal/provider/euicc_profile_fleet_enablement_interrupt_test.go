//go:build unix

package provider_test

import (
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// fleetWaitingLine is what the provider logs (INFO) once the fleet's requests were accepted and
// it starts waiting for the devices' callbacks.
const fleetWaitingLine = "Fleet requests accepted; waiting for the devices' callbacks"

func TestAccFleet_sigintWhileWaitingKeepsEveryRequestIDUntainted(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	// One device a request, so the fleet of two is two requests; neither device answers before
	// the run must have ended (acctest bounds that wait).
	env := acctest.NewEnv(t, simulator.Options{MaxDevicesPerRequest: 1})
	devices := eids(2)
	for _, d := range devices {
		env.Sim.SetDevice(d.eid, succeedsAfter(10*time.Minute))
	}
	cli := acctest.NewCLI(t)
	cli.WriteConfig(t, fleetConfig(env, devices, ""))

	run := cli.Start(t, []string{"TF_LOG_PROVIDER=INFO"}, "apply", "-auto-approve", "-no-color")
	run.AwaitLine(fleetWaitingLine)
	interrupted := time.Now()
	run.Interrupt() // Ctrl-C: SIGINT to terraform and its provider plugin
	if err := run.Wait(); err == nil {
		t.Logf("the interrupted apply exited 0:\n%s", run.Output())
	}
	t.Logf("terraform exited %s after the interrupt", time.Since(interrupted).Round(time.Millisecond))
	run.AwaitGroupGone()

	output := strings.Join(strings.Fields(run.Output()), " ")
	if !strings.Contains(output, "Interrupted while waiting for 2 device(s) of the fleet") {
		t.Errorf("the output does not say the wait was interrupted:\n%s", run.Output())
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 2 {
		t.Errorf("the simulator accepted %d enable requests, want 2", got)
	}
	state := cli.State(t)
	if len(state.Resources) != 1 || len(state.Resources[0].Instances) != 1 {
		t.Fatalf("state holds %+v, want the fleet", state.Resources)
	}
	instance := state.Resources[0].Instances[0]
	if instance.Status == "tainted" {
		t.Error("the interrupted fleet is tainted: the next apply would replace it and send every device again")
	}
	if got := instance.Attributes["status"]; got != "Pending" {
		t.Errorf("status in state = %v, want Pending", got)
	}
	results, _ := instance.Attributes["results"].(map[string]any)
	for _, d := range devices {
		entry, err := decodeResult(results[d.eid])
		if err != nil {
			t.Fatalf("results[%s]: %v", d.eid, err)
		}
		if want := env.Sim.Device(d.eid).LastRequestID; entry["request_id"] != want || entry["status"] != "Pending" {
			t.Errorf("results[%s] = %v, want Pending on request %s", d.eid, entry, want)
		}
	}
}
