package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// enablement is thingspace_euicc_profile_enablement: one enable request for a set of devices,
// followed until every device has answered; a destroy may disable the profiles again.
var enablement = profileActionKind{
	name: "euicc_profile_enablement",
	description: "Enables the downloaded eSIM (eUICC local) profile on one or more devices with a single " +
		"ThingSpace enable request, and waits until every device has reported success or failure. " +
		"The outcome arrives asynchronously through ThingSpace's `DeviceProfileService` callbacks, which the " +
		"provider reads from the `thingspace-relay` configured in the provider block.",
	request:          "enable",
	devicesPurpose:   "The devices to enable, each named by its EID and the ICCID of the profile to enable",
	iccidPurpose:     "The ICCID of the downloaded profile to enable",
	deviceStateHint:  "A profile can only be enabled on an active device whose profile is already downloaded.",
	createGoal:       "enable profiles",
	destroyGoal:      "disable profiles",
	destroyAttribute: "disable_on_destroy",
	attributes: map[string]schema.Attribute{
		"disable_on_destroy": schema.BoolAttribute{
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
			MarkdownDescription: "When `true`, destroying the resource sends one disable request for its devices and " +
				"waits for their callbacks (bounded by `timeouts.delete`), returning them to their bootstrap profile. " +
				"When `false` (the default), destroying only removes the resource from state and the profiles stay " +
				"enabled. Can be changed without replacing the resource.",
		},
	},
	destroyAction:     thingspace.ActionDisable,
	destroyGerund:     "disabling",
	destroyParticiple: "disabled",
	forgotten:         "Removing the enablement from state; the profiles stay enabled (disable_on_destroy is false)",
	newModel:          func() profileActionModel { return &enablementModel{} },
}

// NewEuiccProfileEnablementResource is the resource factory the provider registers.
func NewEuiccProfileEnablementResource() resource.Resource {
	return &profileActionResource{kind: enablement}
}

// enablementModel is the thingspace_euicc_profile_enablement resource as Terraform stores it.
type enablementModel struct {
	profileRequestModel
	DisableOnDestroy types.Bool `tfsdk:"disable_on_destroy"`
}

func (m *enablementModel) createAction() thingspace.ProfileAction { return thingspace.ActionEnable }

func (m *enablementModel) sendsOnDestroy() bool { return m.DisableOnDestroy.ValueBool() }

// imported leaves the profiles enabled on destroy, as a created enablement does by default.
func (m *enablementModel) imported(*profileops.Discovery) []string {
	m.DisableOnDestroy = types.BoolValue(false)
	return nil
}
