package validators

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// identifier checks one kind of device identifier. The hard rule (digits, length) is an error
// because ThingSpace refuses the request; the GSMA check digit is only a warning because real
// Verizon examples fail it (the source document's EID and ICCID must plan and apply).
type identifier struct {
	kind       string // "EID" or "ICCID", for messages
	rule       string // the hard rule, for descriptions
	validate   func(string) error
	checksumOK func(string) bool
	checksum   string // what the GSMA check is, for the warning
}

// EID validates an eUICC identifier: digits only, at most 32 (error); a warning when it fails
// the GSMA check (32 digits whose value mod 97 is 1).
func EID() validator.String {
	return identifier{
		kind:       "EID",
		rule:       fmt.Sprintf("must be 1 to %d decimal digits", thingspace.MaxEIDDigits),
		validate:   thingspace.ValidateEID,
		checksumOK: thingspace.EIDChecksumOK,
		checksum:   "GSMA SGP.02 expects 32 digits whose value modulo 97 is 1",
	}
}

// ICCID validates a SIM profile identifier: 18 to 22 digits (error); a warning when its last
// digit is not a valid Luhn check digit.
func ICCID() validator.String {
	return identifier{
		kind:       "ICCID",
		rule:       fmt.Sprintf("must be %d to %d decimal digits", thingspace.MinICCIDDigits, thingspace.MaxICCIDDigits),
		validate:   thingspace.ValidateICCID,
		checksumOK: thingspace.ICCIDLuhnOK,
		checksum:   "ITU-T E.118 expects the last digit to be a Luhn check digit",
	}
}

func (v identifier) Description(context.Context) string {
	return fmt.Sprintf("%s %s; a failed check digit is reported as a warning only", v.kind, v.rule)
}

func (v identifier) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v identifier) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	if err := v.validate(value); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.kind,
			fmt.Sprintf("%q is not a valid %s: %s. The %s %s; copy it from the device label or the ThingSpace portal.",
				value, v.kind, err, v.kind, v.rule))
		return
	}
	if !v.checksumOK(value) {
		resp.Diagnostics.AddAttributeWarning(req.Path, v.kind+" fails its check digit",
			fmt.Sprintf("%q does not pass the standard check (%s). ThingSpace accepts identifiers like this "+
				"(Verizon's own examples fail it), so the plan continues; double-check the value if it was typed by hand.",
				value, v.checksum))
	}
}
