package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/terraformcmd"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// waitLimit bounds each resource's wait (timeouts.create and .delete): far above a cycle's few
// seconds, so only a lost callback or a stuck wait reaches it, and then the cycle fails instead
// of hanging for the default 30 minutes.
const waitLimit = 90 * time.Second

// soak runs the cycles in one Terraform working directory against one stack.
type soak struct {
	tf    terraform
	stack *stack
	// verified are the final callbacks already found in the relay.
	verified map[deliveryKey]bool
}

// cycleOutcome is what one cycle did and found.
type cycleOutcome struct {
	plan                   cyclePlan
	check                  cycleCheck
	applyFailed, destroyed bool
	// destroys counts the destroy commands run: a second one empties the state after a failure.
	destroys int
	// injected counts the disturbances that happened (see faultKind's unit in the report).
	injected int
}

// runCycle applies the plan's configuration and destroys it, with the plan's disturbance, then
// checks the simulator's request log, Terraform's output and the relay's stored callbacks.
func (s *soak) runCycle(ctx context.Context, p cyclePlan) (*cycleOutcome, error) {
	sim := s.stack.sim
	for _, d := range p.devices() {
		sim.SetDevice(d.EID, p.behavior(d.EID))
	}
	if err := os.WriteFile(filepath.Join(s.tf.dir, "main.tf"), []byte(configuration(p)), 0o644); err != nil {
		return nil, err
	}
	out := &cycleOutcome{plan: p}
	logStart := len(sim.Requests())
	if f, ok := p.fault(); ok {
		sim.InjectFault(f)
	}
	applying, applied := context.WithCancel(ctx)
	disturbed := s.disturbMidApply(ctx, applying, p, logStart)
	apply, err := s.tf.run(ctx, "apply", "-auto-approve", fmt.Sprintf("-parallelism=%d", p.parallelism))
	applied()
	if err != nil {
		return nil, err
	}
	happened, err := disturbed()
	if err != nil {
		return nil, err
	}
	// A failed device answers the disable like any other, so the destroy is not disturbed.
	for _, eid := range p.failing {
		sim.SetDevice(eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(p.callbackDelay)})
	}
	destroy, err := s.tf.run(ctx, "destroy", "-auto-approve")
	if err != nil {
		return nil, err
	}
	log := sim.Requests()[logStart:]
	out.applyFailed, out.destroyed, out.destroys = apply.failed, !destroy.failed, 1
	out.check = checkCycle(p, log, apply, destroy)
	out.injected = injected(p, log, happened)
	if err := s.checkCallbacks(ctx, &out.check); err != nil {
		return nil, err
	}
	if destroy.failed {
		// Leave nothing behind for the next cycle: its checks assume an empty state.
		out.destroys++
		if cleanup, err := s.tf.run(ctx, "destroy", "-auto-approve"); err != nil || cleanup.failed {
			return nil, errors.Join(fmt.Errorf("a second destroy could not empty the state either:\n%s", cleanup.output), err)
		}
	}
	return out, nil
}

// disturbMidApply arranges the cycle's disturbances that must happen while the apply runs, once
// ThingSpace has accepted the first enable; watching stops when applying ends. The returned
// function waits for the disturbance, says whether it happened, and reports a relay that did not
// come back.
func (s *soak) disturbMidApply(ctx, applying context.Context, p cyclePlan, logStart int) func() (bool, error) {
	var do func()
	var restartErr error
	switch p.kind {
	case kindSessionExpired:
		do = s.stack.sim.ExpireSessions
	case kindBearerRevoked:
		do = s.stack.sim.RevokeBearers
	case kindRelayRestart:
		do = func() {
			restartErr = s.stack.relay.Stop()
			time.Sleep(p.relayDown)
			restartErr = errors.Join(restartErr, s.stack.relay.Start(ctx, rebindLimit))
		}
	default:
		return func() (bool, error) { return false, nil }
	}
	wait := s.stack.afterFirstEnable(applying, logStart, do)
	return func() (bool, error) {
		happened := wait()
		return happened, restartErr
	}
}

// injected counts the cycle's disturbances that took effect, in the unit kindUnits gives.
func injected(p cyclePlan, log []simulator.RecordedRequest, disturbed bool) int {
	n := 0
	switch p.kind {
	case kindNone:
	case kindSessionExpired, kindBearerRevoked:
		// Enables refused for the expired session or the revoked bearer: the client had to log
		// in or get a token again.
		for _, r := range log {
			if isAction(r, thingspace.ActionEnable) && r.RequestID == "" && r.Status/100 == 4 {
				n++
			}
		}
	case kindRelayRestart:
		if disturbed {
			n = 1
		}
	case kindDeviceFailure:
		n = len(p.failing)
	default:
		if f, ok := p.fault(); ok {
			// Enables answered with the fault's status; a dropped connection is logged with status 0,
			// as a drop fault has.
			for _, r := range log {
				if isAction(r, thingspace.ActionEnable) && r.Status == f.Status {
					n++
				}
			}
			break
		}
		n = len(p.devices())
	}
	return n
}

// checkCallbacks reads back from the relay every final callback the simulator delivered and the
// relay acknowledged since the last check, and records those it does not hold.
func (s *soak) checkCallbacks(ctx context.Context, c *cycleCheck) error {
	delivered := finalDeliveries(s.stack.sim.Deliveries(), s.verified)
	stored := map[string]map[deliveryKey]thingspace.Outcome{}
	for key, outcome := range delivered {
		held, ok := stored[key.requestID]
		if !ok {
			callbacks, err := s.stack.reader.ReadAll(ctx, key.requestID)
			if err != nil {
				return fmt.Errorf("reading request %s back from the relay: %w", key.requestID, err)
			}
			held = map[deliveryKey]thingspace.Outcome{}
			for _, cb := range callbacks {
				parsed, err := thingspace.ParseCallback(cb.Payload)
				if err != nil {
					return fmt.Errorf("the relay holds a callback of request %s that does not parse: %w", key.requestID, err)
				}
				if parsed.Outcome().Final() {
					held[deliveryKey{key.requestID, parsed.Result().EID}] = parsed.Outcome()
				}
			}
			stored[key.requestID] = held
		}
		if got, ok := held[key]; !ok || got != outcome {
			c.add(problemLost, "the relay acknowledged the %s callback of request %s for EID %s but does not hold it", outcome, key.requestID, key.eid)
			continue
		}
		s.verified[key] = true
	}
	return nil
}

// configuration is the cycle's Terraform configuration: one resource per device group.
func configuration(p cyclePlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "terraform {\n  required_providers {\n    thingspace = { source = %q }\n  }\n}\n\n", localprovider.Source)
	b.WriteString("# Configured through the THINGSPACE_* environment variables.\nprovider \"thingspace\" {}\n")
	for i, devices := range p.resources {
		fmt.Fprintf(&b, "\nresource \"thingspace_euicc_profile_enablement\" \"r%d\" {\n  devices = [\n", i)
		for _, d := range devices {
			fmt.Fprintf(&b, "    { eid = %q, iccid = %q },\n", d.EID, d.ICCID)
		}
		fmt.Fprintf(&b, "  ]\n  disable_on_destroy = %t\n  timeouts = { create = %q, delete = %q }\n}\n",
			p.disableOnDestroy, waitLimit, waitLimit)
	}
	return b.String()
}

// terraform runs one Terraform CLI in one working directory.
type terraform struct {
	path, dir string
	env       []string
}

// run runs a command to its end. A non-zero exit is a failed command, not an error: the error
// is for Terraform not running at all, or the soak being interrupted.
func (t terraform) run(ctx context.Context, args ...string) (commandResult, error) {
	args = append(args, "-input=false", "-no-color")
	cmd := terraformcmd.Command(ctx, t.path, t.dir, t.env, args...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	var exitErr *exec.ExitError
	if ctx.Err() != nil {
		return commandResult{}, fmt.Errorf("terraform %s: %w", args[0], ctx.Err())
	}
	if err != nil && !errors.As(err, &exitErr) {
		return commandResult{}, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return commandResult{failed: err != nil, output: output.String()}, nil
}
