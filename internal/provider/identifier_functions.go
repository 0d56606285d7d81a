package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

var _ function.Function = identifierFunction{}

// identifierFunction is eid_valid or iccid_valid: the check the resources only warn about,
// offered as a function so a module can refuse a bad identifier in a `variable` validation
// block. Both functions are one type because they differ only in their check and their words.
type identifierFunction struct {
	name, summary, description, parameter string
	valid                                 func(string) bool
}

// NewEIDValidFunction is provider::thingspace::eid_valid.
func NewEIDValidFunction() function.Function {
	return identifierFunction{
		name:    "eid_valid",
		summary: "Whether a string is an EID that passes the GSMA check",
		description: "Returns `true` when the argument is an eUICC identifier of exactly 32 decimal digits whose " +
			"value, read as one number, is 1 modulo 97 (GSMA SGP.02), and `false` otherwise. The " +
			"`thingspace_euicc_profile_enablement` resource accepts an EID that fails this check with a " +
			"warning, because some real identifiers do; use this function in a `variable` validation block to " +
			"refuse them instead.",
		parameter: "eid",
		valid: func(s string) bool {
			return thingspace.ValidateEID(s) == nil && thingspace.EIDChecksumOK(s)
		},
	}
}

// NewICCIDValidFunction is provider::thingspace::iccid_valid.
func NewICCIDValidFunction() function.Function {
	return identifierFunction{
		name:    "iccid_valid",
		summary: "Whether a string is an ICCID with a valid Luhn check digit",
		description: "Returns `true` when the argument is an ICCID of 18 to 22 decimal digits whose last digit is a " +
			"valid Luhn check digit (ITU-T E.118), and `false` otherwise. The resources accept an ICCID that " +
			"fails the Luhn check with a warning; use this function in a `variable` validation block to refuse " +
			"them instead.",
		parameter: "iccid",
		valid: func(s string) bool {
			return thingspace.ValidateICCID(s) == nil && thingspace.ICCIDLuhnOK(s)
		},
	}
}

func (f identifierFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = f.name
}

func (f identifierFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary:             f.summary,
		MarkdownDescription: f.description,
		Parameters: []function.Parameter{function.StringParameter{
			Name:                f.parameter,
			MarkdownDescription: "The identifier to check, as a string of digits (leading zeros kept).",
		}},
		Return: function.BoolReturn{},
	}
}

func (f identifierFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var value string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &value))
	if resp.Error != nil {
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Error, resp.Result.Set(ctx, f.valid(value)))
}
