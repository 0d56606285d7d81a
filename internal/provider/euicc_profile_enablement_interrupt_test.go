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

// waitingLine is what the provider logs (INFO) once the enable was accepted and it starts
// waiting for the devices' callbacks.
const waitingLine = "Enable request accepted; waiting for the devices' callbacks"

func TestAccFaults_sigintWhileWaitingExitsPromptlyAndKeepsTheRequestID(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	// The device would answer long after the run must have ended (acctest bounds that wait).
	env.Sim.SetDevice(d.eid, succeedsAfter(10*time.Minute))
	cli := acctest.NewCLI(t)
	cli.WriteConfig(t, env.ProviderConfig()+resourceOnly(d))

	// The provider's INFO lines go to stderr, where the test watches for the wait to begin.
	run := cli.Start(t, []string{"TF_LOG_PROVIDER=INFO"}, "apply", "-auto-approve", "-no-color")
	run.AwaitLine(waitingLine)
	interrupted := time.Now()
	run.Interrupt() // Ctrl-C: SIGINT to terraform and its provider plugin
	if err := run.Wait(); err == nil {
		t.Fatalf("the interrupted apply succeeded:\n%s", run.Output())
	}
	t.Logf("terraform exited %s after the interrupt", time.Since(interrupted).Round(time.Millisecond))
	run.AwaitGroupGone()

	requestID := env.Sim.Device(d.eid).LastRequestID
	output := run.Output()
	for _, want := range []string{"Interrupted while waiting for the enable request " + requestID, "EID " + d.eid, "no callback yet",
		"saved as tainted"} {
		if !strings.Contains(strings.Join(strings.Fields(output), " "), want) {
			t.Errorf("the output does not say %q:\n%s", want, output)
		}
	}
	if got := env.Delivered(d.eid, thingspace.CallbackStatusSuccess); got != 0 {
		t.Errorf("the device answered (%d callbacks) before the run ended: the interrupt was not honoured promptly", got)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("the simulator accepted %d enable requests, want 1", got)
	}

	state := cli.State(t)
	if len(state.Resources) != 1 || len(state.Resources[0].Instances) != 1 {
		t.Fatalf("state holds %+v, want the one resource", state.Resources)
	}
	instance := state.Resources[0].Instances[0]
	if instance.Status != "tainted" {
		t.Errorf("instance status %q, want tainted (so the next apply replaces it)", instance.Status)
	}
	if got := instance.Attributes["request_id"]; got != requestID {
		t.Errorf("request_id in state = %v, want the accepted request %s", got, requestID)
	}
	if got := instance.Attributes["status"]; got != "Pending" {
		t.Errorf("status in state = %v, want Pending", got)
	}
}
