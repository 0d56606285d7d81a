package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The diagnostics of thingspace_callback_listener, worded like those of diagnostics.go: the
// summary names the action and the listener; the detail gives ThingSpace's answer and what to
// do next.

// listenerNotRegistered: ThingSpace did not confirm a registration. Registering is not repeated
// by the client after an answer that leaves the outcome open, but registering again only
// replaces the listener, so the next apply may safely do it. The client scrubs the secrets it
// knows from ThingSpace's answer, not the listener's password, which a server could echo.
func listenerNotRegistered(id string, op listenerOperation, err error, password string) diag.Diagnostic {
	message := err.Error()
	if password != "" {
		message = strings.ReplaceAll(message, password, "(password)")
	}
	left := "Nothing was saved to state, so the next `terraform apply` registers the listener again."
	if op == listenerUpdate {
		left = "The state keeps the listener as it was, so the next `terraform apply` registers it again."
	}
	if errors.Is(err, thingspace.ErrOutcomeUnknown) {
		return diag.NewErrorDiagnostic(fmt.Sprintf("Outcome of registering the callback listener %s unknown", id),
			fmt.Sprintf("%s.\n\nThingSpace may or may not have registered the listener. Registering again replaces "+
				"whatever is registered, so it is safe: %s", message, left))
	}
	detail := fmt.Sprintf("%s.\n\n", message)
	if hint := errorHint(thingspace.ErrorCode(err)); hint != "" {
		detail += hint + " "
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot register the callback listener %s", id),
		detail+"Fix the cause and run `terraform apply` again. "+left)
}

// listenerNotRead: the listener list could not be read, so nothing is known about drift.
func listenerNotRead(id string, err error) diag.Diagnostic {
	detail := fmt.Sprintf("%s.\n\n", err)
	if hint := errorHint(thingspace.ErrorCode(err)); hint != "" {
		detail += hint + " "
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot read the callback listener %s from ThingSpace", id),
		detail+"The state is unchanged; fix the cause and run Terraform again.")
}

// listenerNotDeregistered: the listener may still be registered.
func listenerNotDeregistered(id string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot deregister the callback listener %s", id),
		fmt.Sprintf("%s.\n\nThe resource stays in state and ThingSpace may still send callbacks to it; fix the cause "+
			"and run the destroy again. Deregistering a listener that is already gone succeeds.", err))
}

// listenerImportIDInvalid: the import id is not ACCOUNT/SERVICE.
func listenerImportIDInvalid(id string) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot import callback listener %q", id),
		fmt.Sprintf("The import id is the account name and the service name joined by \"/\", for example "+
			"\"0000123456-00001/%s\" (account names keep their leading zeros).", thingspace.ServiceDeviceProfile))
}

// listenerWriteOnlyUnsupported: a CLI before Terraform 1.11 would store password_wo in state.
func listenerWriteOnlyUnsupported() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("password_wo"), "Cannot use password_wo with this Terraform CLI",
		"password_wo is a write-only attribute, which Terraform supports from version 1.11: older versions would store "+
			"the password in state. Set password instead (stored in state, marked sensitive), or upgrade Terraform "+
			"to 1.11 or later.")
}

// listenerPasswordTwice: both forms of the password are set.
func listenerPasswordTwice() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("password"), "Cannot register the callback listener with two passwords",
		"Both password and password_wo are set. Keep exactly one: password_wo (Terraform 1.11 or later, with "+
			"password_wo_version) keeps the password out of state; password stores it in state, marked sensitive.")
}

// listenerPasswordMissing: ThingSpace would send callbacks the relay refuses.
func listenerPasswordMissing() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("password"), "Cannot register the callback listener without a password",
		"ThingSpace copies the listener's username and password into every callback, and that is how the relay "+
			"knows a callback is genuine. Set password_wo (Terraform 1.11 or later, with password_wo_version) or password "+
			"to the relay's --callback-password.")
}

// listenerPasswordVersionAlone: password_wo_version does nothing without password_wo.
func listenerPasswordVersionAlone() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("password_wo_version"), "password_wo_version without password_wo",
		"password_wo_version only says when to send password_wo again. Set password_wo, or remove password_wo_version.")
}
