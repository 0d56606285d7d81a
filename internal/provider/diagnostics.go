package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Every diagnostic the resources report is built here, so their wording stays uniform: the
// summary names the action and the object; the detail gives ThingSpace's code, the requestId
// and what to do next.

// phase is the resource operation that sent an action; it decides what "next" means.
type phase struct {
	action thingspace.ProfileAction
	// timeoutName is the timeouts attribute that bounds the wait: "create" or "delete".
	timeoutName string
	// next says what the following Terraform run does with this resource.
	next string
	// late says how to accept devices that finish after the wait ended.
	late string
	// unknown says what to check before sending the action again when ThingSpace may or may
	// not have acted on it.
	unknown string
	// deviceStateHint says what state a device must be in for the action.
	deviceStateHint string
	// resend says where a refused request leaves things and how to try again.
	resend string
}

// findTheRequest says how to learn whether ThingSpace accepted a request whose answer was lost.
const findTheRequest = "ThingSpace sends the callbacks of an accepted request to the relay within minutes, and " +
	"the relay logs the requestId of every callback it stores (\"callback stored\"); the ThingSpace portal also " +
	"lists the account's recent requests."

// createPhase is a resource's Create sending action.
func createPhase(typeName string, action thingspace.ProfileAction, deviceStateHint string) phase {
	return phase{
		action:      action,
		timeoutName: "create",
		next: fmt.Sprintf("The resource is saved as tainted with this requestId, so the next `terraform apply` replaces it: "+
			"it sends a new %s request for all its devices.", action),
		late: "If the devices finish later (ThingSpace keeps trying unreachable devices for a while), run " +
			"`terraform untaint " + typeName + ".<name>` and then `terraform apply`: the refresh reads the " +
			"late callbacks from the relay and records the result without sending anything to ThingSpace.",
		unknown: fmt.Sprintf("No requestId came back, so nothing was saved to state, and the next `terraform apply` sends a new "+
			"%s request. Before applying again, find out whether ThingSpace accepted this one: %s If it did, adopt that "+
			"request instead of applying again: `terraform import %s.<name> <requestId>`.", action, findTheRequest, typeName),
		resend:          "Nothing was saved to state; fix the cause and run `terraform apply` again.",
		deviceStateHint: deviceStateHint,
	}
}

// destroyPhase is a resource's Delete sending action because destroyAttribute is true; gerund
// and participle say what the action does to the profile ("disabling", "disabled").
func destroyPhase(typeName string, action thingspace.ProfileAction, destroyAttribute, gerund, participle, deviceStateHint string) phase {
	return phase{
		action:      action,
		timeoutName: "delete",
		next: fmt.Sprintf("The resource stays in state, so running the destroy again sends a new %s request. To remove "+
			"it from state without %s the profile, set `%s = false` and apply first.", action, gerund, destroyAttribute),
		unknown: fmt.Sprintf("No requestId came back and the resource stays in state, so running the destroy again sends a new "+
			"%s request. Before that, find out whether ThingSpace accepted this one: %s If it did, the profiles are being "+
			"%s: remove the resource with `terraform state rm %s.<name>` instead.", action, findTheRequest, participle, typeName),
		resend:          "The resource stays in state; fix the cause and run the destroy again.",
		deviceStateHint: deviceStateHint,
	}
}

// invokePhase is the action thingspace_euicc_profile_action sending action. An action keeps
// nothing in state, so what follows is only ever the user's next invocation, which sends the
// request again to every device it lists.
func invokePhase(action thingspace.ProfileAction, deviceStateHint string) phase {
	return phase{
		action:      action,
		timeoutName: "invoke",
		next: fmt.Sprintf("An action records nothing in state: invoking it again sends a new %s request to every "+
			"device it lists, so list only the devices that still need it.", action),
		late: "ThingSpace keeps trying unreachable devices for a while, and their late callbacks still reach the " +
			"relay, whose log names the requestId of every callback it stores (\"callback stored\").",
		unknown: fmt.Sprintf("No requestId came back. Before invoking the action again, which sends a new %s request, "+
			"find out whether ThingSpace accepted this one: %s", action, findTheRequest),
		resend:          "Nothing was recorded; fix the cause and invoke the action again.",
		deviceStateHint: deviceStateHint,
	}
}

// actionNotSent: ThingSpace did not answer with a requestId.
func actionNotSent(p phase, devices []thingspace.RequestedDevice, err error) diag.Diagnostic {
	if errors.Is(err, thingspace.ErrOutcomeUnknown) {
		return outcomeUnknown(p, devices, err)
	}
	if errors.Is(err, profileops.ErrRelayUnreadable) {
		// The summary says nothing was sent; the detail gives only why the relay could not be read.
		return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot read the relay, so the %s request was not sent", p.action),
			fmt.Sprintf("%s\n\nThe provider checks the relay before sending anything, because it could not learn the "+
				"outcome otherwise. Check that the relay is running and that relay_url / %s and relay_token / %s are right, "+
				"then run Terraform again.", sentence(causeBeyond(err, profileops.ErrRelayUnreadable)), settingRelayURL.env,
				settingRelayToken.env))
	}
	detail := fmt.Sprintf("%s\n\nThingSpace returned no requestId, so there is nothing to follow.", sentence(err))
	if hint := p.actionHint(thingspace.ErrorCode(err)); hint != "" {
		detail += " " + hint
	}
	detail += " " + p.resend
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot send the %s request to ThingSpace", p.action), detail)
}

// outcomeUnknown: the action failed in a way that leaves open whether ThingSpace acted on it
// (a 500, 502 or 504, a lost connection, an interruption while it was on its way). Saying
// "apply again" here could act on the devices twice.
func outcomeUnknown(p phase, devices []thingspace.RequestedDevice, err error) diag.Diagnostic {
	lines := make([]string, 0, len(devices))
	for _, d := range devices {
		lines = append(lines, fmt.Sprintf("  - EID %s (ICCID %s)", d.EID, orDash(d.ICCID)))
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Outcome of the %s request unknown", p.action),
		fmt.Sprintf("%s\n\nThingSpace may or may not have accepted the %s request for these devices:\n%s\n\n%s",
			sentence(err), p.action, strings.Join(lines, "\n"), p.unknown))
}

// errorHint says what to check for the ThingSpace codes a user can fix in the resource; the
// client's own hints (credentials, login lockout, "may have acted") are already in its error.
func errorHint(code string) string {
	switch code {
	case thingspace.CodeAccountNotFound:
		return "Check account_name (or THINGSPACE_ACCOUNT_NAME): account names keep their leading zeros."
	case thingspace.CodeIdentifierInvalid, thingspace.CodeDeviceNotFound:
		return "Check the EID and ICCID of every device: each must belong to the account."
	case thingspace.CodeTooManyDevices:
		return "Split the devices across several resources."
	}
	return ""
}

// actionHint is errorHint for a profile action, which also knows what state its devices must be in.
func (p phase) actionHint(code string) string {
	if code == thingspace.CodeDeviceStateInvalid {
		return p.deviceStateHint
	}
	return errorHint(code)
}

// deviceFailures reports one error per device whose final callback is a failure.
func deviceFailures(p phase, requestID string, failed []thingspace.DeviceResult) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, f := range failed {
		reason := "ThingSpace reported the failure without a fault code"
		switch {
		case f.FaultString != "":
			// The device's identifiers follow in parentheses, so the fault string's own full
			// stop would end the sentence too early.
			reason = fmt.Sprintf("ThingSpace reported %s: %s", orDash(f.FaultCode), strings.TrimSuffix(f.FaultString, "."))
		case f.FaultCode != "":
			reason = "ThingSpace reported " + f.FaultCode
		}
		diags.AddError(fmt.Sprintf("Profile %s failed on device %s", p.action, f.EID),
			fmt.Sprintf("%s (EID %s, ICCID %s, requestId %s).\n\n%s", reason, f.EID, orDash(f.ICCID), requestID, p.next))
	}
	return diags
}

// waitOutcome reports how a wait for an action's callbacks ended: nothing when every device
// succeeded, one error per failed device, or why the wait stopped early.
func waitOutcome(p phase, requestID string, timeout time.Duration, report *profileops.Report, err error) diag.Diagnostics {
	diags := deviceFailures(p, requestID, report.Failed)
	if err != nil {
		diags.Append(waitEnded(p, requestID, timeout, report, err))
	}
	return diags
}

// waitEnded reports a wait that stopped before every device had a final answer.
func waitEnded(p phase, requestID string, timeout time.Duration, report *profileops.Report, err error) diag.Diagnostic {
	pending := describePending(report)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return diag.NewErrorDiagnostic(fmt.Sprintf("Timed out waiting for the %s request %s", p.action, requestID),
			fmt.Sprintf("After %s (timeouts.%s), these devices still have no final answer:\n%s\n\n%s To wait longer, raise timeouts.%s.",
				timeout, p.timeoutName, pending, p.whatNext(), p.timeoutName))
	case errors.Is(err, context.Canceled):
		return diag.NewErrorDiagnostic(fmt.Sprintf("Interrupted while waiting for the %s request %s", p.action, requestID),
			fmt.Sprintf("Terraform was interrupted before these devices had a final answer:\n%s\n\n%s", pending, p.whatNext()))
	default:
		return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot follow the %s request %s on the relay", p.action, requestID),
			fmt.Sprintf("%s\n\nCheck that the relay is running and that relay_url / %s and relay_token / %s are right. "+
				"Devices still without a final answer:\n%s\n\n%s", sentence(err), settingRelayURL.env, settingRelayToken.env, pending, p.whatNext()))
	}
}

// whatNext is p.next, plus how to accept a late answer where that applies.
func (p phase) whatNext() string {
	if p.late == "" {
		return p.next
	}
	return p.next + " " + p.late
}

func describePending(report *profileops.Report) string {
	if report == nil || len(report.Pending) == 0 {
		return "  (none)"
	}
	lines := make([]string, 0, len(report.Pending))
	for _, d := range report.Pending {
		last := "no callback yet"
		if d.LastStatus != "" {
			last = "last callback status " + d.LastStatus
		}
		lines = append(lines, fmt.Sprintf("  - EID %s (ICCID %s): %s", d.EID, orDash(d.ICCID), last))
	}
	return strings.Join(lines, "\n")
}

// providerNotReady: a resource needs the clients but the provider configuration was not known.
// A provider block may depend on resources created in the same run: planning works with the
// values unknown, and apply configures the provider again once they are known. What cannot
// work is an operation that has to talk to ThingSpace or the relay before they are known,
// which in practice is an import.
func providerNotReady(action string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Provider configuration not known yet",
		fmt.Sprintf("Cannot %s: the provider block still has values that are not known, because they come from "+
			"resources that do not exist yet. That is fine while planning, and `terraform apply` creates those "+
			"resources before it needs the provider; but to %s now the values must be known. Apply the resources "+
			"the provider block depends on first (for example with `terraform apply -target=ADDRESS`), then run "+
			"this again.", action, action))
}

// refreshFailed: Read could not reach the relay.
func refreshFailed(requestID string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot refresh request %s from the relay", requestID),
		fmt.Sprintf("%s\n\nCheck that the relay is running and that relay_url / %s and relay_token / %s are right. "+
			"Nothing was sent to ThingSpace and the state is unchanged.", sentence(err), settingRelayURL.env, settingRelayToken.env))
}

// importFailed: the relay could not rebuild the request; request names the request the id
// answered ("enable").
func importFailed(request, requestID string, err error) diag.Diagnostic {
	if errors.Is(err, profileops.ErrNothingStored) {
		return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot import request %s", requestID),
			fmt.Sprintf("The relay at relay_url holds no callback for requestId %q. Check the id (it is the requestId "+
				"ThingSpace answered to the %s request), that relay_url points at the relay registered as the "+
				"account's %s listener, and that the callbacks are younger than the relay's --retention.",
				requestID, request, thingspace.ServiceDeviceProfile))
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot import request %s", requestID), sentence(err))
}

// missingSetting: a provider setting without which nothing can be done.
func missingSetting(s setting, what string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root(s.attr), "Missing "+s.attr,
		fmt.Sprintf("The provider needs %s, %s: set %s in the provider block or the %s environment variable.",
			s.attr, what, s.attr, s.env))
}

// missingCredential: one of the settings a credential pair still needs (see
// thingspace.CredentialPair.Missing). tokenSet says the pair's token is set, so the value is
// missing from a half-set pair rather than from no credentials at all.
func missingCredential(pair thingspace.CredentialPair, missing string, tokenSet bool) diag.Diagnostic {
	s, token := settingNamed(missing), settingNamed(pair.Token)
	other := settingNamed(pair.Name)
	if missing == pair.Name {
		other = settingNamed(pair.Secret)
	}
	if tokenSet {
		return diag.NewAttributeErrorDiagnostic(path.Root(s.attr), "Missing "+s.attr,
			fmt.Sprintf("%s is set without %s, which the provider needs with it for its %s: set %s in the provider "+
				"block or the %s environment variable, or unset %s / %s to use %s alone.",
				other.attr, s.attr, pair.What, s.attr, s.env, other.attr, other.env, token.attr))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root(s.attr), "Missing "+s.attr,
		fmt.Sprintf("The provider needs %s for its %s: set %s in the provider block or the %s environment variable "+
			"(together with %s / %s), or instead set %s / %s to a token obtained elsewhere.",
			s.attr, pair.What, s.attr, s.env, other.attr, other.env, token.attr, token.env))
}

// invalidSetting: a provider setting that internal/thingspace refuses, with where it is set.
func invalidSetting(s setting, err error) diag.Diagnostic {
	where := fmt.Sprintf("It is set by %s in the provider block or the %s environment variable.", s.attr, s.env)
	if s.env == "" {
		where = fmt.Sprintf("It is set by %s in the provider block.", s.attr)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root(s.attr), "Invalid "+s.attr, sentence(err)+" "+where)
}

// settingInClear: a URL setting that sends secrets over the network unencrypted. A warning,
// since a relay on a private network may be meant to work this way.
func settingInClear(s setting) diag.Diagnostic {
	return diag.NewAttributeWarningDiagnostic(path.Root(s.attr), s.attr+" is not encrypted",
		fmt.Sprintf("%s is a plain http:// URL to another machine, so the tokens the provider sends there, and the "+
			"device credentials that come back in callbacks, cross the network unencrypted. Use an https:// URL (set by %s "+
			"in the provider block or the %s environment variable); plain http:// is meant for a relay or simulator on "+
			"this machine.", s.attr, s.attr, s.env))
}

// missingDefault: neither the resource (or action: object says which) nor the provider sets a
// value ThingSpace requires.
func missingDefault(s setting, object string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root(s.attr), "Missing "+s.attr,
		fmt.Sprintf("ThingSpace needs %s, and neither this %s nor the provider sets it. Set %s on this %s, or %s "+
			"in the provider block, or the %s environment variable.", s.attr, object, s.attr, object, s.attr, s.env))
}

// unexpectedProviderData: the resource was handed something Configure never hands out.
func unexpectedProviderData() diag.Diagnostic {
	return diag.NewErrorDiagnostic("Unexpected provider data",
		"The resource received provider data of an unexpected kind. This is a bug in the provider; please report "+
			"it with the provider version and the command that was running.")
}

// clientNotBuilt: a client refused settings that validate accepted, which the settings rules
// should have made impossible. what is "ThingSpace" or "relay".
func clientNotBuilt(what string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Invalid %s configuration", what),
		sentence(err)+" Check the provider block and the THINGSPACE_* environment variables.")
}

// sentence is an error's text as a sentence of a detail, ending with exactly one full stop.
func sentence(err error) string { return thingspace.Sentence(err.Error()) }

// causeBeyond returns what err wraps besides sentinel, for a diagnostic whose summary already
// says what sentinel says; err itself when it wraps nothing else.
func causeBeyond(err, sentinel error) error {
	if wrapped, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range wrapped.Unwrap() {
			if e != sentinel {
				return e
			}
		}
	}
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
