package provider_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The action's tests drive the real CLI (`terraform apply -invoke=...`), because its progress
// lines are only seen in the CLI's output and terraform-plugin-testing v1.16 cannot invoke an
// action. They run on Terraform 1.14 and later only (make testacc-matrix CLIS=terraform-1.14.4).

const actionAddress = "action.thingspace_euicc_profile_action.x"

// actionConfig renders the action x with the given devices and extra arguments in its config.
func actionConfig(env *acctest.Env, action string, devices []device, extra string) string {
	var list strings.Builder
	for _, d := range devices {
		fmt.Fprintf(&list, "      { eid = %q, iccid = %q },\n", d.eid, d.iccid)
	}
	return env.ProviderConfig() + fmt.Sprintf(`
action "thingspace_euicc_profile_action" "x" {
  config {
    action  = %q
    devices = [
%s    ]
%s
  }
}
`, action, list.String(), extra)
}

// actionCLI is a real CLI that can invoke actions, or skips the test saying why not.
func actionCLI(t *testing.T) *acctest.CLI {
	t.Helper()
	acctest.SkipUnlessAcceptance(t)
	cli := acctest.NewCLI(t)
	cli.SkipUnlessActions(t)
	return cli
}

// flat is output with Terraform's line wrapping and box drawing undone, for matching sentences.
func flat(output string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(output, "│", " ")), " ")
}

// checkNothingInState fails if the run recorded anything of the provider's in the state file
// (an invocation alone may write no state file at all).
func checkNothingInState(t *testing.T, cli *acctest.CLI) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(cli.Dir, "terraform.tfstate")); errors.Is(err, os.ErrNotExist) {
		t.Log("the run wrote no state file")
		return
	}
	resources := cli.State(t).Resources
	t.Logf("the state file holds %d resource(s)", len(resources))
	for _, r := range resources {
		if strings.HasPrefix(r.Type, "thingspace_") {
			t.Errorf("the state holds %s.%s: an action must record nothing", r.Type, r.Name)
		}
	}
	if strings.Contains(string(cli.RawState(t)), "thingspace_euicc_profile_action") {
		t.Error("the state file mentions thingspace_euicc_profile_action")
	}
}

// One invocation sends one request for all its devices, shows each device's callbacks as they
// come (a warning first for the slow one), and fails with one error per failed device.
func TestAccProfileAction_invokeSendsOnceShowsProgressAndFailsPerFailedDevice(t *testing.T) {
	cli := actionCLI(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(3)
	quick, slow, failing := devices[0], devices[1], devices[2]
	env.Sim.SetDevice(slow.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(10 * time.Millisecond), Delay: simulator.Duration(300 * time.Millisecond)})
	env.Sim.SetDevice(failing.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeFailure,
		FailureCode: "REQUEST_FAILED.UnexpectedError", FailureMessage: "The SM-SR could not reach the device."})
	cli.WriteConfig(t, actionConfig(env, "enable", devices, ""))

	out, err := cli.Run(context.Background(), nil, "apply", "-invoke="+actionAddress, "-auto-approve", "-no-color")
	if err == nil {
		t.Fatalf("the invocation succeeded although a device failed:\n%s", out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 1 {
		t.Errorf("the simulator accepted %d enable requests, want exactly 1", got)
	}
	if got := env.Sim.Count(simulator.EndpointProfileAction); got != 1 {
		t.Errorf("the simulator received %d profile action requests, want 1", got)
	}
	requestID := env.Sim.Device(quick.eid).LastRequestID
	text := flat(out)
	for _, want := range []string{
		fmt.Sprintf("ThingSpace accepted the enable request %s for 3 device(s)", requestID),
		fmt.Sprintf("Device %s (ICCID %s): Success", quick.eid, quick.iccid),
		fmt.Sprintf("Device %s (ICCID %s): Warning, ThingSpace is still trying", slow.eid, slow.iccid),
		fmt.Sprintf("Device %s (ICCID %s): Success", slow.eid, slow.iccid),
		fmt.Sprintf("Device %s (ICCID %s): Failed with DeviceService.REQUEST_FAILED.UnexpectedError", failing.eid, failing.iccid),
		"(3 of 3 device(s) answered)",
		fmt.Sprintf("Profile enable failed on device %s", failing.eid),
		fmt.Sprintf("The SM-SR could not reach the device (EID %s, ICCID %s, requestId %s)", failing.eid, failing.iccid, requestID),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	// Terraform 1.14 shows each error of an action twice: in an "Action failed" line, and as an
	// "Error when invoking action" diagnostic.
	if got := strings.Count(text, "Error: Error when invoking action"); got != 1 {
		t.Errorf("%d error diagnostics, want 1 (the failed device's):\n%s", got, out)
	}
	for _, d := range []device{quick, slow} {
		if strings.Contains(text, "failed on device "+d.eid) {
			t.Errorf("device %s succeeded but an error names it:\n%s", d.eid, out)
		}
	}
	// The warning is progress, shown before the slow device's success.
	warned := strings.Index(text, fmt.Sprintf("Device %s (ICCID %s): Warning", slow.eid, slow.iccid))
	succeeded := strings.Index(text, fmt.Sprintf("Device %s (ICCID %s): Success", slow.eid, slow.iccid))
	if warned < 0 || succeeded < warned {
		t.Errorf("the slow device's warning is not shown before its success:\n%s", out)
	}
	checkNothingInState(t, cli)
}

// A device that never answers ends the invocation at timeouts.invoke, naming the device and the
// requestId; the device that answered is shown, and nothing is sent again.
func TestAccProfileAction_timeoutNamesThePendingDevicesAndTheRequest(t *testing.T) {
	cli := actionCLI(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	answers, silent := devices[0], devices[1]
	env.Sim.SetDevice(silent.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSilence})
	cli.WriteConfig(t, actionConfig(env, "download_enable", devices, fmt.Sprintf(`    account_name = %q
    smsr_oid     = %q
    timeouts     = { invoke = "2s" }`, env.AccountName, acctest.SmsrOid)))

	out, err := cli.Run(context.Background(), nil, "apply", "-invoke="+actionAddress, "-auto-approve", "-no-color")
	if err == nil {
		t.Fatalf("the invocation succeeded although a device never answered:\n%s", out)
	}
	requestID := env.Sim.Device(answers.eid).LastRequestID
	text := flat(out)
	for _, want := range []string{
		fmt.Sprintf("Device %s (ICCID %s): Success (1 of 2 device(s) answered)", answers.eid, answers.iccid),
		"Timed out waiting for the download_enable request " + requestID,
		"After 2s (timeouts.invoke), these devices still have no final answer:",
		fmt.Sprintf("EID %s (ICCID %s): no callback yet", silent.eid, silent.iccid),
		"raise timeouts.invoke",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(text, fmt.Sprintf("EID %s (ICCID %s): no callback yet", answers.eid, answers.iccid)) {
		t.Errorf("the device that answered is listed as pending:\n%s", out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDownloadEnable); got != 1 {
		t.Errorf("the simulator accepted %d download_enable requests, want 1", got)
	}
	checkNothingInState(t, cli)
}

// An action_trigger runs the action when the resource it belongs to is created, once: a later
// apply that changes nothing sends nothing. account_name and smsr_oid come from the provider.
func TestAccProfileAction_actionTriggerRunsAfterCreateOnly(t *testing.T) {
	cli := actionCLI(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	cli.WriteConfig(t, actionConfig(env, "disable", devices, "")+`
resource "terraform_data" "rollout" {
  input = "wave-1"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.thingspace_euicc_profile_action.x]
    }
  }
}
`)
	ctx := context.Background()
	out, err := cli.Run(ctx, nil, "apply", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDisable); got != 1 {
		t.Errorf("the create sent %d disable requests, want 1", got)
	}
	text := flat(out)
	for _, d := range devices {
		if want := fmt.Sprintf("Device %s (ICCID %s): Success", d.eid, d.iccid); !strings.Contains(text, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	for _, r := range env.Sim.Requests() {
		if r.Endpoint == simulator.EndpointProfileAction && r.RequestID == "" {
			t.Errorf("a profile action request was not acted on: %+v", r)
		}
	}

	if out, err := cli.Run(ctx, nil, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("second apply: %v\n%s", err, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDisable); got != 1 {
		t.Errorf("after an apply that changed nothing the simulator accepted %d disable requests, want still 1", got)
	}
	state := cli.State(t)
	if len(state.Resources) != 1 || state.Resources[0].Type != "terraform_data" {
		t.Errorf("the state holds %+v, want only terraform_data.rollout", state.Resources)
	}
	checkNothingInState(t, cli)
}

// A plan-time check: the action's devices are checked as the resources' are, before anything
// is sent.
func TestAccProfileAction_devicesAreValidatedAsOnTheResources(t *testing.T) {
	cli := actionCLI(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	cli.WriteConfig(t, actionConfig(env, "enable", []device{d, d}, ""))
	out, err := cli.Run(context.Background(), nil, "apply", "-invoke="+actionAddress, "-auto-approve", "-no-color")
	if err == nil {
		t.Fatalf("an action listing one EID twice was invoked:\n%s", out)
	}
	if !strings.Contains(flat(out), d.eid) {
		t.Errorf("the error does not name the repeated EID:\n%s", out)
	}
	cli.WriteConfig(t, actionConfig(env, "activate", []device{d}, ""))
	out, err = cli.Run(context.Background(), nil, "apply", "-invoke="+actionAddress, "-auto-approve", "-no-color")
	if err == nil || !strings.Contains(flat(out), "download_enable") {
		t.Fatalf("an unknown action was not refused with the list of actions (err %v):\n%s", err, out)
	}
	if got := env.Sim.Count(simulator.EndpointProfileAction); got != 0 {
		t.Errorf("the simulator received %d profile action requests, want none", got)
	}
}

// The documented example works as its comments say: applying it creates terraform_data.wave_2,
// whose action_trigger downloads and enables the profile of wave 2; invoking disable_wave_1
// disables the profile on the two devices of wave 1, one request each.
func TestAccProfileAction_example(t *testing.T) {
	cli := actionCLI(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	cli.WriteConfig(t, env.ProviderConfig())
	copyConfiguration(t, filepath.Join("..", "..", "examples", "actions", "thingspace_euicc_profile_action"), cli.Dir)
	ctx := context.Background()

	if out, err := cli.Run(ctx, nil, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDownloadEnable); got != 1 {
		t.Errorf("the apply sent %d download_enable requests, want 1 (the action_trigger)", got)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDisable); got != 0 {
		t.Errorf("the apply sent %d disable requests, want none: disable_wave_1 runs only when invoked", got)
	}
	out, err := cli.Run(ctx, nil, "apply", "-invoke=action.thingspace_euicc_profile_action.disable_wave_1", "-auto-approve", "-no-color")
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDisable); got != 1 {
		t.Errorf("the invocation sent %d disable requests, want 1", got)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDownloadEnable); got != 1 {
		t.Errorf("the invocation sent download_enable again (%d in all)", got)
	}
	if text := flat(out); !strings.Contains(text, "(2 of 2 device(s) answered)") {
		t.Errorf("the invocation does not show both devices' answers:\n%s", out)
	}
	checkNothingInState(t, cli)
}
