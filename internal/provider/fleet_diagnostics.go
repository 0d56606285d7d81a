package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The diagnostics of thingspace_euicc_profile_fleet_enablement. A fleet's apply reports what
// happened to its devices as warnings: an error would taint the fleet, and replacing it would
// send every device again. The errors are the cases where nothing was sent at all, and a destroy
// with disable_on_destroy, which words them as the enablement's destroy does.

// fleetDetailLimit is how many devices a warning describes one by one; beyond it they are
// counted, so a fleet of thousands of failures stays readable.
const fleetDetailLimit = 20

// fleetDestroyPhase is the fleet's destroy with disable_on_destroy.
func fleetDestroyPhase() phase {
	return destroyPhase(fleetTypeName, thingspace.ActionDisable, "disable_on_destroy", "disabling", "disabled",
		enablement.deviceStateHint)
}

// fleetNotSent: ThingSpace answered a request of the fleet without a requestId. alone says that
// no request of the apply was sent, which makes it an error (nothing is recorded, nothing
// changed); otherwise it is a warning and the devices are recorded as NotSent.
func fleetNotSent(action thingspace.ProfileAction, devices []thingspace.RequestedDevice, err error, alone bool) diag.Diagnostic {
	summary := fmt.Sprintf("Cannot send the %s request for %d device(s) of the fleet", action, len(devices))
	var next string
	switch {
	case errors.Is(err, profileops.ErrRelayUnreadable):
		return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot read the relay, so the %s requests were not sent", action),
			fmt.Sprintf("%s\n\nThe provider checks the relay before sending anything, because it could not learn the "+
				"outcome otherwise. Check that the relay is running and that relay_url / %s and relay_token / %s are right, "+
				"then run Terraform again.", sentence(causeBeyond(err, profileops.ErrRelayUnreadable)), settingRelayURL.env,
				settingRelayToken.env))
	case errors.Is(err, thingspace.ErrOutcomeUnknown):
		summary = fmt.Sprintf("Outcome of the %s request for %d device(s) of the fleet unknown", action, len(devices))
		next = fmt.Sprintf("ThingSpace may or may not have acted on it. %s", findTheRequest)
	}
	if hint := errorHint(thingspace.ErrorCode(err)); hint != "" && thingspace.ErrorCode(err) != thingspace.CodeTooManyDevices {
		next = strings.TrimSpace(next + " " + hint)
	}
	switch {
	case alone:
		next = strings.TrimSpace(next + " Nothing else was sent and the state is unchanged; fix the cause and run `terraform apply` again.")
	case action == thingspace.ActionEnable:
		next = strings.TrimSpace(next + " The devices are recorded with status " + statusNotSent + " and listed in " +
			"failed_devices; the next `terraform apply` sends enable to them again.")
	default:
		next = strings.TrimSpace(next + " The devices were removed from the fleet anyway; disable them in ThingSpace if they must be.")
	}
	detail := fmt.Sprintf("%s\n\nDevices:\n%s\n\n%s", sentence(err), listDevices(devices), next)
	if alone {
		return diag.NewErrorDiagnostic(summary, detail)
	}
	return diag.NewWarningDiagnostic(summary, detail)
}

// fleetOutcome reports, as warnings, the devices of a fleet action that failed or were still
// without a final answer when the wait ended. The first fleetDetailLimit failures get one
// warning each; the rest are counted per fault code.
func fleetOutcome(action thingspace.ProfileAction, timeoutName string, timeout time.Duration, waited []profileops.Waited) diag.Diagnostics {
	type failure struct {
		thingspace.DeviceResult
		requestID string
	}
	var failures []failure
	type pending struct {
		profileops.PendingDevice
		requestID string
	}
	var stillPending []pending
	var waitErr error
	for _, w := range waited {
		for _, f := range w.Report.Failed {
			failures = append(failures, failure{f, w.RequestID})
		}
		for _, p := range w.Report.Pending {
			stillPending = append(stillPending, pending{p, w.RequestID})
		}
		if w.Err != nil && waitErr == nil {
			waitErr = w.Err
		}
	}
	slices.SortFunc(failures, func(a, b failure) int { return cmp.Compare(a.EID, b.EID) })
	slices.SortFunc(stillPending, func(a, b pending) int { return cmp.Compare(a.EID, b.EID) })

	var diags diag.Diagnostics
	again, againMany := "The next `terraform apply` sends enable to it again, and to no other unchanged device; `failed_devices` lists it.",
		"The next `terraform apply` sends enable to them again, and to no other unchanged device; `failed_devices` lists them."
	if action == thingspace.ActionDisable {
		again, againMany = "The device was removed from the fleet anyway; disable it in ThingSpace if it must be.",
			"The devices were removed from the fleet anyway; disable them in ThingSpace if they must be."
	}
	for i, f := range failures {
		if i == fleetDetailLimit {
			diags.AddWarning(fmt.Sprintf("Profile %s failed on %d more device(s) of the fleet", action, len(failures)-fleetDetailLimit),
				fmt.Sprintf("Besides the %d devices above, by fault code:\n%s\n\nEvery other device keeps its result. %s",
					fleetDetailLimit, countByCode(failures[fleetDetailLimit:], func(f failure) string { return f.FaultCode }),
					againMany))
			break
		}
		diags.AddWarning(fmt.Sprintf("Profile %s failed on device %s", action, f.EID),
			fmt.Sprintf("%s (EID %s, ICCID %s, requestId %s).\n\nEvery other device of the fleet keeps its result. %s",
				failureReason(f.DeviceResult), f.EID, orDash(f.ICCID), f.requestID, again))
	}
	if len(stillPending) == 0 {
		return diags
	}
	lines := make([]string, 0, min(len(stillPending), fleetDetailLimit)+1)
	for i, p := range stillPending {
		if i == fleetDetailLimit {
			lines = append(lines, fmt.Sprintf("  ... and %d more", len(stillPending)-fleetDetailLimit))
			break
		}
		last := "no callback yet"
		if p.LastStatus != "" {
			last = "last callback status " + p.LastStatus
		}
		lines = append(lines, fmt.Sprintf("  - EID %s (ICCID %s, requestId %s): %s", p.EID, orDash(p.ICCID), p.requestID, last))
	}
	why := fmt.Sprintf("After %s (timeouts.%s), %d device(s) of the fleet still had no final answer to the %s request", timeout, timeoutName, len(stillPending), action)
	summary := fmt.Sprintf("Timed out waiting for %d device(s) of the fleet", len(stillPending))
	next := "Their requestIds are saved in state with status Pending: each refresh (`terraform plan` or `apply`) reads " +
		"their callbacks from the relay and records their answers, and nothing is sent to them again."
	switch {
	case errors.Is(waitErr, context.Canceled):
		why = fmt.Sprintf("Terraform was interrupted before %d device(s) of the fleet had a final answer to the %s request", len(stillPending), action)
		summary = fmt.Sprintf("Interrupted while waiting for %d device(s) of the fleet", len(stillPending))
	case waitErr != nil && !errors.Is(waitErr, context.DeadlineExceeded):
		why = fmt.Sprintf("%s\n\n%d device(s) of the fleet have no final answer to the %s request yet", sentence(waitErr), len(stillPending), action)
		summary = fmt.Sprintf("Cannot follow %d device(s) of the fleet on the relay", len(stillPending))
		next = fmt.Sprintf("Check that the relay is running and that relay_url / %s and relay_token / %s are right. %s",
			settingRelayURL.env, settingRelayToken.env, next)
	default:
		next += " To wait longer in the apply itself, raise timeouts." + timeoutName + "."
	}
	if action == thingspace.ActionDisable {
		next = "The devices were removed from the fleet anyway; check them in ThingSpace."
	}
	diags.AddWarning(summary, fmt.Sprintf("%s:\n%s\n\n%s", why, strings.Join(lines, "\n"), next))
	return diags
}

// failureReason is what ThingSpace said about a failed device, as deviceFailures words it.
func failureReason(f thingspace.DeviceResult) string {
	switch {
	case f.FaultString != "":
		return fmt.Sprintf("ThingSpace reported %s: %s", orDash(f.FaultCode), strings.TrimSuffix(f.FaultString, "."))
	case f.FaultCode != "":
		return "ThingSpace reported " + f.FaultCode
	}
	return "ThingSpace reported the failure without a fault code"
}

// countByCode lists how many items have each code, most frequent first.
func countByCode[T any](items []T, code func(T) string) string {
	counts := map[string]int{}
	for _, it := range items {
		counts[cmp.Or(code(it), "(no fault code)")]++
	}
	codes := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	lines := make([]string, 0, len(codes))
	for _, c := range codes {
		lines = append(lines, fmt.Sprintf("  - %s: %d", c, counts[c]))
	}
	return strings.Join(lines, "\n")
}

// listDevices lists devices one a line, the first fleetDetailLimit of them.
func listDevices(devices []thingspace.RequestedDevice) string {
	lines := make([]string, 0, min(len(devices), fleetDetailLimit)+1)
	for i, d := range devices {
		if i == fleetDetailLimit {
			lines = append(lines, fmt.Sprintf("  ... and %d more", len(devices)-fleetDetailLimit))
			break
		}
		lines = append(lines, fmt.Sprintf("  - EID %s (ICCID %s)", d.EID, orDash(d.ICCID)))
	}
	return strings.Join(lines, "\n")
}

// fleetPlanListShown is how many EIDs per action the plan's warning lists.
const fleetPlanListShown = 100

// fleetChangePlanned: the plan sends an action to more devices than a reviewer reads from the
// unknown results at a glance.
func fleetChangePlanned(enable, disable []string) diag.Diagnostic {
	var parts []string
	for _, a := range []struct {
		action thingspace.ProfileAction
		eids   []string
	}{{thingspace.ActionEnable, enable}, {thingspace.ActionDisable, disable}} {
		if len(a.eids) == 0 {
			continue
		}
		shown := a.eids[:min(len(a.eids), fleetPlanListShown)]
		text := fmt.Sprintf("%s (%d):\n  %s", a.action, len(a.eids), strings.Join(shown, "\n  "))
		if len(a.eids) > len(shown) {
			text += fmt.Sprintf("\n  ... and %d more", len(a.eids)-len(shown))
		}
		parts = append(parts, text)
	}
	return diag.NewWarningDiagnostic(fmt.Sprintf("This apply sends a profile action to %d device(s) of the fleet", len(enable)+len(disable)),
		fmt.Sprintf("%s\n\nEvery other device of the fleet is sent nothing and keeps its result. Devices are sent "+
			"enable when added, when their ICCID changed, or when their last enable failed or was not sent.",
			strings.Join(parts, "\n\n")))
}

// fleetImportIDMissing: the import id names no requestId.
func fleetImportIDMissing(id string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Cannot import the fleet enablement",
		fmt.Sprintf("The import id %q names no requestId. Give the requestIds of the fleet's enable requests, separated "+
			"by commas (the request_id values of its results), for example "+
			"`terraform import %s.<name> 595f5c44-c31c-4552-8670-020a1545a84d,0b8e2f4a-6c1d-4e8b-9a57-3f2d1c0e9b7a`.", id, fleetTypeName))
}
