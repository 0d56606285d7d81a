package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

var (
	_ resource.Resource                = (*enablementResource)(nil)
	_ resource.ResourceWithConfigure   = (*enablementResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*enablementResource)(nil)
	_ resource.ResourceWithImportState = (*enablementResource)(nil)
)

const (
	resourceTypeName = TypeName + "_euicc_profile_enablement"
	// defaultWaitTimeout bounds the wait for callbacks when timeouts.create / .delete are unset.
	defaultWaitTimeout = 30 * time.Minute
)

// enablementResource is thingspace_euicc_profile_enablement: one enable request for a set of
// devices, followed until every device has answered.
type enablementResource struct {
	data *providerData
}

// NewEuiccProfileEnablementResource is the resource factory the provider registers.
func NewEuiccProfileEnablementResource() resource.Resource { return &enablementResource{} }

func (r *enablementResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_euicc_profile_enablement"
}

func (r *enablementResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Enables the downloaded eSIM (eUICC local) profile on one or more devices with a single " +
			"ThingSpace enable request, and waits until every device has reported success or failure. " +
			"The outcome arrives asynchronously through ThingSpace's `DeviceProfileService` callbacks, which the " +
			"provider reads from the `thingspace-relay` configured in the provider block.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The ThingSpace requestId of the enable request (same as `request_id`).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"request_id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The requestId ThingSpace answered to the enable request. Every callback of the " +
					"request carries it; it is saved before the provider starts waiting.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"devices":            devicesAttribute(),
			"account_name":       defaultedString(settingAccountName, "Billing account of the devices, leading zeros included (for example `0000123456-00001`)."),
			"smsr_oid":           defaultedString(settingSmsrOid, "Object id of the SM-SR system that manages the devices' eUICCs (for example `1.3.6.1.4.1.31746.1.500.200.101.5`)."),
			"disable_on_destroy": disableOnDestroyAttribute(),
			"timeouts":           timeoutsAttribute(ctx),
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`Success` once every device reported success, `Failed` if any device reported " +
					"failure, `Pending` while a device has no final answer (only after a timed-out apply that was " +
					"untainted).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"completed_at": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "When the relay received the callback that gave the last device its final answer " +
					"(RFC 3339, UTC). Unset while `status` is `Pending`.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"results": resultsAttribute(),
		},
	}
}

func devicesAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Required: true,
		MarkdownDescription: fmt.Sprintf("The devices to enable, each named by its EID and the ICCID of the profile "+
			"to enable; 1 to %d devices, no EID twice. All are sent in one request. Adding, removing or changing a "+
			"device replaces the resource (a new enable request); reordering the list does not.",
			thingspace.DefaultMaxDevicesPerRequest),
		// eid and iccid are required, but declared optional and required by a validator: see
		// validators.RequiredAttributes for the framework behaviour this avoids.
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"eid": schema.StringAttribute{
					Optional: true,
					MarkdownDescription: "Required. The eUICC identifier: decimal digits, at most 32. A value that fails " +
						"the GSMA check (32 digits, value modulo 97 equal to 1) is accepted with a warning.",
					Validators: []validator.String{validators.EID()},
				},
				"iccid": schema.StringAttribute{
					Optional: true,
					MarkdownDescription: "Required. The ICCID of the downloaded profile to enable: 18 to 22 decimal digits. " +
						"A value whose last digit is not a valid Luhn check digit is accepted with a warning.",
					Validators: []validator.String{validators.ICCID()},
				},
			},
			Validators: []validator.Object{validators.RequiredAttributes("eid", "iccid")},
		},
		Validators: []validator.List{
			listvalidator.SizeBetween(1, thingspace.DefaultMaxDevicesPerRequest),
			validators.UniqueAttribute("eid"),
		},
		PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplaceIf(devicesChanged,
			"Replaces the resource when a device is added, removed or changed; a reordered list is updated in place.",
			"Replaces the resource when a device is added, removed or changed; a reordered list is updated in place.")},
	}
}

// defaultedString is an input that falls back to the provider's default, which ModifyPlan
// copies into the plan so the reviewer sees the value that will be sent.
func defaultedString(s setting, what string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		Computed: true,
		MarkdownDescription: fmt.Sprintf("%s Defaults to the provider's `%s` (or `%s`); the plan shows the value that "+
			"will be sent. Changing it replaces the resource, except right after an import, which cannot know it: "+
			"the configured value is then recorded in place.", what, s.attr, s.env),
		Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		PlanModifiers: []planmodifier.String{
			stringplanmodifier.UseStateForUnknown(),
			requiresReplaceUnlessImportGuessed(s.attr),
		},
	}
}

func disableOnDestroyAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		Computed: true,
		Default:  booldefault.StaticBool(false),
		MarkdownDescription: "When `true`, destroying the resource sends one disable request for its devices and " +
			"waits for their callbacks (bounded by `timeouts.delete`), returning them to their bootstrap profile. " +
			"When `false` (the default), destroying only removes the resource from state and the profiles stay " +
			"enabled. Can be changed without replacing the resource.",
	}
}

func timeoutsAttribute(ctx context.Context) schema.Attribute {
	attribute := timeouts.Attributes(ctx, timeouts.Opts{
		Create: true,
		Delete: true,
		CreateDescription: "How long `apply` waits for every device's final callback, as a duration such as `30m` or " +
			"`1h`. Default `30m`. On timeout the apply fails and the resource is saved as tainted with its requestId.",
		DeleteDescription: "How long a destroy with `disable_on_destroy = true` waits for the disable callbacks. Default `30m`.",
	})
	nested, ok := attribute.(schema.SingleNestedAttribute)
	if !ok {
		return attribute
	}
	nested.MarkdownDescription = "Time limits for waiting on callbacks. Changing them updates the resource in place."
	return nested
}

// resultAttributes are the attributes of a results entry, each with the DeviceResult field it
// shows. The schema, the state's object type and the values in state are all derived from this
// list, so adding an attribute is one line here (and the field in thingspace.DeviceResult).
var resultAttributes = []struct {
	name, description string
	sensitive         bool
	value             func(thingspace.DeviceResult) string
}{
	{"iccid", "ICCID of the profile on the device.", false, func(r thingspace.DeviceResult) string { return r.ICCID }},
	{"imei", "IMEI of the device.", false, func(r thingspace.DeviceResult) string { return r.IMEI }},
	{"mdn", "Mobile directory number (phone number) of the device.", false, func(r thingspace.DeviceResult) string { return r.MDN }},
	{"ip_address", "IP address of the device after the action.", false, func(r thingspace.DeviceResult) string { return r.IPAddress }},
	{"state", "Service state of the device, for example `Active`.", false, func(r thingspace.DeviceResult) string { return r.State }},
	{"service_plan", "Service plan code of the device.", false, func(r thingspace.DeviceResult) string { return r.ServicePlan }},
	{"profile_status", "Profile status the SM-SR reported, for example `enable` (compare case-insensitively).", false,
		func(r thingspace.DeviceResult) string { return r.ProfileStatus }},
	{"euicc_status", "eUICC operation status, for example `EXECUTED_SUCCESS`.", false,
		func(r thingspace.DeviceResult) string { return r.EuiccStatus }},
	{"euicc_status_code", "eUICC operation status code.", false, func(r thingspace.DeviceResult) string { return r.EuiccStatusCode }},
	{"euicc_status_desc", "eUICC operation status description.", false, func(r thingspace.DeviceResult) string { return r.EuiccStatusDesc }},
	{"status", "Status of the device's final callback: `Success` or `Failed`.", false,
		func(r thingspace.DeviceResult) string { return r.Status }},
	{"credential_username", "User name of the device's network credential.", false,
		func(r thingspace.DeviceResult) string { return r.CredentialUsername }},
	{"credential_password", "Password of the device's network credential (sensitive).", true,
		func(r thingspace.DeviceResult) string { return r.CredentialPassword }},
}

func resultsAttribute() schema.MapNestedAttribute {
	attributes := make(map[string]schema.Attribute, len(resultAttributes))
	for _, a := range resultAttributes {
		attributes[a.name] = schema.StringAttribute{Computed: true, Sensitive: a.sensitive, MarkdownDescription: a.description}
	}
	return schema.MapNestedAttribute{
		Computed: true,
		MarkdownDescription: "What each device's final callback reported, keyed by EID. A device without a final " +
			"answer yet has no entry.",
		PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
		NestedObject:  schema.NestedAttributeObject{Attributes: attributes},
	}
}

func (r *enablementResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return // the provider is not configured yet (validation); plan and apply configure it again
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.Append(unexpectedProviderData())
		return
	}
	r.data = data
}

func (r *enablementResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.logContext(ctx)
	var plan enablementModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "enable profiles")
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	devices, diags := plan.requestedDevices(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	requestID, err := operator.Send(ctx, plan.profileRequest(thingspace.ActionEnable, devices))
	if err != nil {
		resp.Diagnostics.Append(actionNotSent(phaseCreate, devices, err))
		return
	}
	ctx = tflog.SetField(ctx, profileops.FieldRequestID, requestID)
	tflog.Info(ctx, "Enable request accepted; waiting for the devices' callbacks", map[string]any{"devices": len(devices)})
	plan.started(requestID)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}

	report, waitErr := r.wait(ctx, operator, requestID, devices, timeout)
	resp.Diagnostics.Append(plan.applyReport(report)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(waitOutcome(phaseCreate, requestID, timeout, report, waitErr)...)
}

func (r *enablementResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.logContext(ctx)
	// Once every device has its final answer (completed_at is set) nothing can change: the first
	// final answer of each device is the one kept. Refreshing such a resource would read the
	// relay only to find the same answers, so a plan of many finished enablements reads nothing.
	var completedAt types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("completed_at"), &completedAt)...)
	if resp.Diagnostics.HasError() || (!completedAt.IsNull() && !completedAt.IsUnknown()) {
		return
	}
	var state enablementModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.data == nil || r.data.operator == nil {
		tflog.Info(ctx, "Provider configuration not known yet; keeping the state as it is")
		return
	}
	requestID := state.RequestID.ValueString()
	ctx = tflog.SetField(ctx, profileops.FieldRequestID, requestID)
	devices, diags := state.requestedDevices(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	report, err := r.data.operator.Refresh(ctx, requestID, devices)
	if err != nil {
		resp.Diagnostics.Append(refreshFailed(requestID, err))
		return
	}
	if report.Callbacks == 0 {
		// The relay may have purged the request (retention) or be a new, empty relay. The
		// enablement still happened, so the resource is kept as it was.
		tflog.Warn(ctx, "The relay holds no callback for this request; keeping the state as it is")
		return
	}
	resp.Diagnostics.Append(state.applyReport(report)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update only changes what needs no request to ThingSpace: disable_on_destroy, timeouts, the
// order of devices, and an account_name or smsr_oid that an import guessed (see
// import_marker.go). Everything else requires replacement, and the computed values are carried
// over by their plan modifiers.
func (r *enablementResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan enablementModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(clearImportGuesses(ctx, resp.Private)...)
}

func (r *enablementResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.logContext(ctx)
	var state enablementModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, profileops.FieldRequestID, state.RequestID.ValueString())
	if !state.DisableOnDestroy.ValueBool() {
		tflog.Info(ctx, "Removing the enablement from state; the profiles stay enabled (disable_on_destroy is false)")
		return
	}
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "disable profiles")
	if !ok {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	devices, diags := state.requestedDevices(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	requestID, err := operator.Send(ctx, state.profileRequest(thingspace.ActionDisable, devices))
	if err != nil {
		resp.Diagnostics.Append(actionNotSent(phaseDelete, devices, err))
		return
	}
	ctx = tflog.SetField(ctx, "disable_request_id", requestID)
	report, err := r.wait(ctx, operator, requestID, devices, timeout)
	resp.Diagnostics.Append(waitOutcome(phaseDelete, requestID, timeout, report, err)...)
}

// ImportState rebuilds the resource from the callbacks the relay holds for a requestId.
func (r *enablementResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.logContext(ctx)
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "import")
	if !ok {
		return
	}
	found, err := operator.Discover(ctx, req.ID)
	if err != nil {
		resp.Diagnostics.Append(importFailed(req.ID, err))
		return
	}
	model := enablementModel{
		ID:               types.StringValue(req.ID),
		RequestID:        types.StringValue(req.ID),
		AccountName:      optionalString(r.data.accountName.value),
		SmsrOid:          optionalString(found.SmsrOid),
		DisableOnDestroy: types.BoolValue(false),
		Timeouts:         nullTimeouts(),
	}
	// The callbacks never say the account, and say the SM-SR only on success: what they do not
	// say is the provider's default, a guess that the configuration may correct in place.
	guessed := []string{settingAccountName.attr}
	if found.SmsrOid == "" {
		model.SmsrOid = optionalString(r.data.smsrOid.value)
		guessed = append(guessed, settingSmsrOid.attr)
	}
	resp.Diagnostics.Append(model.setDevices(ctx, found.Devices)...)
	resp.Diagnostics.Append(model.applyReport(found.Report)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
	resp.Diagnostics.Append(recordImportGuesses(ctx, resp.Private, guessed)...)
}

// ModifyPlan puts the provider's account_name and smsr_oid into the plan when the resource does
// not set them, so the plan shows the values that will be sent, and a changed provider default
// is reviewed as the replacement it causes.
func (r *enablementResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation before the provider is configured
	}
	for _, d := range []struct {
		s     setting
		value resolved
	}{{settingAccountName, r.data.accountName}, {settingSmsrOid, r.data.smsrOid}} {
		r.planDefault(ctx, req, resp, d.s, d.value)
	}
}

func (r *enablementResource) planDefault(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse,
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
		resp.Diagnostics.Append(missingDefault(s))
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

// wait follows a request until every device answered or the timeout passed.
func (r *enablementResource) wait(ctx context.Context, operator *profileops.Operator, requestID string,
	devices []thingspace.RequestedDevice, timeout time.Duration) (*profileops.Report, error) {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return operator.Wait(waitCtx, requestID, devices)
}

// devicesChanged asks for replacement unless the planned devices are the prior ones reordered:
// a reordered list enables nothing new, so sending a new request for it would be wrong.
func devicesChanged(ctx context.Context, req planmodifier.ListRequest, resp *listplanmodifier.RequiresReplaceIfFuncResponse) {
	if req.PlanValue.IsUnknown() || req.StateValue.IsUnknown() {
		resp.RequiresReplace = true
		return
	}
	var planned, prior []deviceModel
	resp.Diagnostics.Append(req.PlanValue.ElementsAs(ctx, &planned, false)...)
	resp.Diagnostics.Append(req.StateValue.ElementsAs(ctx, &prior, false)...)
	resp.RequiresReplace = !sameDevices(planned, prior)
}

func sameDevices(a, b []deviceModel) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[deviceModel]int{}
	for _, d := range a {
		count[d]++
	}
	for _, d := range b {
		if count[d] == 0 {
			return false
		}
		count[d]--
	}
	return true
}
