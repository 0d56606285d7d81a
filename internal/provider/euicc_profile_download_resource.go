package provider

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// downloadEnableAttribute chooses download_enable over download_disable.
const downloadEnableAttribute = "enable"

// download is thingspace_euicc_profile_download: one download request (download_disable, or
// download_enable with enable = true) for a set of devices, followed until every device has
// answered; a destroy may delete the profiles again.
var download = profileActionKind{
	name: "euicc_profile_download",
	description: "Downloads an eSIM (eUICC local) profile to one or more devices with a single ThingSpace " +
		"download request, optionally enabling it at once, and waits until every device has reported success or " +
		"failure. The outcome arrives asynchronously through ThingSpace's `DeviceProfileService` callbacks, which " +
		"the provider reads from the `thingspace-relay` configured in the provider block. To enable a downloaded " +
		"profile later, use `thingspace_euicc_profile_enablement`.",
	request:         "download",
	devicesPurpose:  "The devices to download the profile to, each named by its EID and the ICCID of the profile to download",
	iccidPurpose:    "The ICCID of the profile to download",
	deviceStateHint: "A profile can only be downloaded to, or deleted from, an active device.",
	createGoal:      "download profiles",
	destroyGoal:     "delete profiles",
	attributes: map[string]schema.Attribute{
		downloadEnableAttribute: schema.BoolAttribute{
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
			MarkdownDescription: "When `true`, the request is `download_enable`: the profile is enabled as soon as it " +
				"is downloaded. When `false` (the default), it is `download_disable`: the profile is downloaded " +
				"disabled, and the device keeps its current profile. Changing it replaces the resource (a new " +
				"download request), except right after an import of a download on which every device failed, " +
				"whose callbacks cannot tell: the configured value is then recorded in place.",
			PlanModifiers: []planmodifier.Bool{boolRequiresReplaceUnlessImportGuessed(downloadEnableAttribute)},
		},
		"delete_on_destroy": schema.BoolAttribute{
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
			MarkdownDescription: "When `true`, destroying the resource sends one delete request for its devices and " +
				"waits for their callbacks (bounded by `timeouts.delete`), removing the profile from them. When " +
				"`false` (the default), destroying only removes the resource from state and the profiles stay on " +
				"the devices. Can be changed without replacing the resource.",
		},
	},
	destroyAttribute:  "delete_on_destroy",
	destroyAction:     thingspace.ActionDelete,
	destroyGerund:     "deleting",
	destroyParticiple: "deleted",
	forgotten:         "Removing the download from state; the profiles stay on the devices (delete_on_destroy is false)",
	newModel:          func() profileActionModel { return &downloadModel{} },
}

// NewEuiccProfileDownloadResource is the resource factory the provider registers.
func NewEuiccProfileDownloadResource() resource.Resource {
	return &profileActionResource{kind: download}
}

// downloadModel is the thingspace_euicc_profile_download resource as Terraform stores it.
type downloadModel struct {
	profileRequestModel
	Enable          types.Bool `tfsdk:"enable"`
	DeleteOnDestroy types.Bool `tfsdk:"delete_on_destroy"`
}

func (m *downloadModel) createAction() thingspace.ProfileAction {
	if m.Enable.ValueBool() {
		return thingspace.ActionDownloadEnable
	}
	return thingspace.ActionDownloadDisable
}

func (m *downloadModel) sendsOnDestroy() bool { return m.DeleteOnDestroy.ValueBool() }

// imported takes enable from the callbacks, whose profile status names the action they answer;
// the profiles stay on the devices on destroy, as a created download does by default. Only a
// success callback carries a profile status: when every device failed, enable is a guess
// (false, the default) that the configuration may correct in place.
func (m *downloadModel) imported(found *profileops.Discovery) (guessed []string) {
	enabled, told := false, false
	for _, r := range found.Report.Results {
		told = told || r.ProfileStatus != ""
		enabled = enabled || strings.EqualFold(r.ProfileStatus, string(thingspace.ActionDownloadEnable))
	}
	m.Enable = types.BoolValue(enabled)
	m.DeleteOnDestroy = types.BoolValue(false)
	if !told {
		return []string{downloadEnableAttribute}
	}
	return nil
}
