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

// Ctrl-C while the action waits ends it at once, and nothing of the run is left behind.
//
// Terraform 1.14.4 does not show the action's "Interrupted while waiting" error, and may even end
// with "Apply complete!": once a run is stopped, terraform-plugin-go (v0.31, tf6server) forwards
// no more events of an action's stream, the completed event with the diagnostics included. The
// user still has the requestId, from the progress line printed when the request was accepted;
// TestAccProfileAction_protocolCancelEndsTheWait checks the diagnostic the provider returns.
func TestAccProfileAction_sigintWhileWaitingExitsPromptly(t *testing.T) {
	cli := actionCLI(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	// The device would answer long after the run must have ended (acctest bounds that wait).
	env.Sim.SetDevice(d.eid, succeedsAfter(10*time.Minute))
	cli.WriteConfig(t, actionConfig(env, "enable", []device{d}, ""))

	run := cli.Start(t, nil, "apply", "-invoke="+actionAddress, "-auto-approve", "-no-color")
	run.AwaitLine("ThingSpace accepted the enable request")
	interrupted := time.Now()
	run.Interrupt()
	err := run.Wait() // fails the test if terraform does not exit: the provider kept waiting
	t.Logf("terraform exited %s after the interrupt (%v)", time.Since(interrupted).Round(time.Millisecond), err)
	run.AwaitGroupGone()

	requestID := env.Sim.Device(d.eid).LastRequestID
	if text := flat(run.Output()); !strings.Contains(text, "ThingSpace accepted the enable request "+requestID) {
		t.Errorf("the output does not name the request %s:\n%s", requestID, run.Output())
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("the simulator accepted %d enable requests, want 1", got)
	}
	checkNothingInState(t, cli)
}
