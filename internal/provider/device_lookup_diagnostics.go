package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The diagnostics of the device data sources, worded like those of diagnostics.go: the summary
// names the action and the object; the detail gives ThingSpace's answer and what to do next.

// devicesNotListed: the device list of an account failed.
func devicesNotListed(account string, err error) diag.Diagnostic {
	detail := sentence(err)
	if thingspace.ErrorCode(err) == thingspace.CodeAccountNotFound {
		detail = fmt.Sprintf("ThingSpace knows no account %q. %s", account, detail)
	}
	if hint := errorHint(thingspace.ErrorCode(err)); hint != "" {
		detail += " " + hint
	} else {
		detail += " " + readAgain
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot list the devices of account %s", account), detail)
}

// readAgain is what to do after a read that failed for a reason the user cannot fix in the
// configuration (throttling that outlasted the retries, an outage).
const readAgain = "Reading devices changes nothing in ThingSpace, so running Terraform again is safe once it answers."

// deviceNotListed: looking a device up by an identifier failed for another reason than no match.
func deviceNotListed(kind, value string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot look up the device with %s %s", identifierName(kind), value),
		sentence(err)+" "+readAgain)
}

// deviceNotFound: no device has the identifier.
func deviceNotFound(kind, value string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root(kind), fmt.Sprintf("No device with %s %s", identifierName(kind), value),
		fmt.Sprintf("ThingSpace knows no device whose %s is %q among the accounts these credentials can read. Check the "+
			"value (copy it from the device label or the ThingSpace portal), or list the account's devices with the "+
			"thingspace_devices data source.", identifierName(kind), value))
}

// deviceAmbiguous: several devices have the identifier, so the data source cannot pick one.
func deviceAmbiguous(kind, value string, devices []thingspace.Device) diag.Diagnostic {
	lines := make([]string, 0, len(devices))
	for _, d := range devices {
		s := d.Summary()
		lines = append(lines, fmt.Sprintf("  - EID %s, ICCID %s, account %s", orDash(s.EID), orDash(s.ICCID), orDash(d.AccountName)))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root(kind), fmt.Sprintf("%d devices with %s %s", len(devices), identifierName(kind), value),
		fmt.Sprintf("ThingSpace lists %d devices whose %s is %q:\n%s\n\nLook the device up by an identifier only it has "+
			"(its eid), or use the thingspace_devices data source to read them all.", len(devices), identifierName(kind), value,
			strings.Join(lines, "\n")))
}

// missingAccountName: neither the data source nor the provider names the account to list.
func missingAccountName() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root(settingAccountName.attr), "Missing "+settingAccountName.attr,
		fmt.Sprintf("ThingSpace lists devices by account. Set %s on this data source, or %s in the provider block, or "+
			"the %s environment variable.", settingAccountName.attr, settingAccountName.attr, settingAccountName.env))
}

// identifierName is how a kind of identifier is written in messages: "ICCID", "EID".
func identifierName(kind string) string { return strings.ToUpper(kind) }
