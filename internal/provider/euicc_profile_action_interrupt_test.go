//go:build unix

package provider_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Ctrl-C while the action waits ends it at once, naming the request and the devices still
// waiting, and nothing of the run is left behind.
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
	if err := run.Wait(); err == nil {
		t.Fatalf("the interrupted invocation succeeded:\n%s", run.Output())
	}
	t.Logf("terraform exited %s after the interrupt", time.Since(interrupted).Round(time.Millisecond))
	run.AwaitGroupGone()

	requestID := env.Sim.Device(d.eid).LastRequestID
	text := flat(run.Output())
	for _, want := range []string{"Interrupted while waiting for the enable request " + requestID,
		fmt.Sprintf("EID %s (ICCID %s): no callback yet", d.eid, d.iccid)} {
		if !strings.Contains(text, want) {
			t.Errorf("the output does not say %q:\n%s", want, run.Output())
		}
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("the simulator accepted %d enable requests, want 1", got)
	}
	checkNothingInState(t, cli)
}
