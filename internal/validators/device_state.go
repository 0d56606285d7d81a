package validators

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// DeviceState validates a device service state filter: one of ThingSpace's states, spelled as
// ThingSpace spells them (lower case, "pre-active" with its hyphen), since the filter is sent
// as written.
func DeviceState() validator.String { return deviceState{} }

type deviceState struct{}

func (deviceState) Description(context.Context) string {
	return "must be one of " + strings.Join(thingspace.DeviceStates(), ", ")
}

func (v deviceState) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (deviceState) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	if slices.Contains(thingspace.DeviceStates(), value) {
		return
	}
	hint := ""
	if lower := strings.ToLower(value); slices.Contains(thingspace.DeviceStates(), lower) {
		hint = fmt.Sprintf(" Write it in lower case: %q.", lower)
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid device state",
		fmt.Sprintf("%q is not a ThingSpace device state. Use one of %s, as ThingSpace spells them.%s",
			value, strings.Join(thingspace.DeviceStates(), ", "), hint))
}
