package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	actionschema "github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource inputs that default to a provider setting (account_name, smsr_oid): every resource
// declares them with defaultedString and plans them with planProviderDefault, so they read and
// behave the same on every resource.

// importKnowledge says whether a resource's import can know a defaulted input.
type importKnowledge bool

const (
	// importKnows: the import id names the value (a listener's ACCOUNT/SERVICE).
	importKnows importKnowledge = false
	// importGuesses: import must take the provider's default, so a configured value corrects the
	// guess in place once, instead of replacing the resource (see import_marker.go).
	importGuesses importKnowledge = true
)

// defaultedString is an input that falls back to the provider's default, which ModifyPlan
// copies into the plan so the reviewer sees the value that will be sent.
func defaultedString(s setting, imported importKnowledge, what string) schema.StringAttribute {
	description := fmt.Sprintf("%s; the plan shows the value that will be sent. Changing it replaces the resource",
		defaultedDescription(s, what))
	replace := stringplanmodifier.RequiresReplace()
	if imported == importGuesses {
		description += ", except right after an import, which cannot know it: the configured value is then recorded in place"
		replace = requiresReplaceUnlessImportGuessed(s.attr)
	}
	return schema.StringAttribute{
		Optional:            true,
		Computed:            true,
		MarkdownDescription: description + ".",
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown(), replace},
	}
}

// planProviderDefault plans the provider's value of s for an attribute built by defaultedString
// that the resource leaves unset, so the plan shows the value that will be sent, and a changed
// provider default is reviewed as the replacement it causes. Resources call it from ModifyPlan.
func planProviderDefault(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse,
	s setting, providerValue resolved) {
	attr := path.Root(s.attr)
	var configured, prior types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, attr, &configured)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, attr, &prior)...)
	}
	if resp.Diagnostics.HasError() || !configured.IsNull() {
		return // set on the resource: planned as written
	}
	switch {
	case providerValue.unknown:
		// Known by apply time. An existing resource keeps its value rather than being replaced
		// on a guess; a new one shows "known after apply".
		return
	case providerValue.value == "":
		resp.Diagnostics.Append(missingDefault(s, "resource"))
		return
	}
	planned := types.StringValue(providerValue.value)
	if prior.Equal(planned) {
		// UseStateForUnknown has already planned the prior value, which is the provider's: the
		// common case of a plan with nothing to do, so it is worth not writing it again.
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, attr, planned)...)
	if !prior.IsNull() && !prior.IsUnknown() {
		resp.RequiresReplace = append(resp.RequiresReplace, attr)
	}
}

// What account_name and smsr_oid are, for every resource and action that declares them.
const (
	accountNameWhat = "Billing account of the devices, leading zeros included (for example `0000123456-00001`)."
	smsrOidWhat     = "Object id of the SM-SR system that manages the devices' eUICCs (for example `1.3.6.1.4.1.31746.1.500.200.101.5`)."
)

// defaultedDescription begins the description of an input that falls back to the provider's s.
func defaultedDescription(s setting, what string) string {
	return fmt.Sprintf("%s Defaults to the provider's `%s` (or `%s`)", what, s.attr, s.env)
}

// defaultedActionString is defaultedString for an action: it has no plan to show the value in,
// and nothing to replace.
func defaultedActionString(s setting, what string) actionschema.StringAttribute {
	return actionschema.StringAttribute{
		Optional:            true,
		MarkdownDescription: defaultedDescription(s, what) + ".",
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

// invokeDefault is the value an action sends for an input built by defaultedActionString: the
// configured one, or else the provider's. The provider is configured with known values by the
// time an action runs, so an unknown provider value is not expected; it reads as missing.
func invokeDefault(s setting, configured types.String, providerValue resolved) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	switch {
	case !configured.IsNull() && !configured.IsUnknown():
		return configured.ValueString(), nil
	case providerValue.unknown || providerValue.value == "":
		diags.Append(missingDefault(s, "action"))
		return "", diags
	}
	return providerValue.value, nil
}
