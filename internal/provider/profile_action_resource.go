package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
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
	_ resource.Resource                = (*profileActionResource)(nil)
	_ resource.ResourceWithConfigure   = (*profileActionResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*profileActionResource)(nil)
	_ resource.ResourceWithImportState = (*profileActionResource)(nil)
)

// defaultWaitTimeout bounds the wait for callbacks when timeouts.create / .delete are unset.
const defaultWaitTimeout = 30 * time.Minute

// profileActionKind is what one profile-action resource adds to the shared core: its name, its
// wording, its own attributes and its model. The core sends the action the model chooses, waits
// for every device's callback and reports per device, the same way for every resource.
type profileActionKind struct {
	// name follows the provider's type name, for example "euicc_profile_enablement".
	name        string
	description string
	// request names the request Create sends, as in "the enable request".
	request string
	// devicesPurpose and iccidPurpose begin the descriptions of devices and of a device's iccid.
	devicesPurpose, iccidPurpose string
	// deviceStateHint says what state a device must be in, for a refused action.
	deviceStateHint string
	// createGoal and destroyGoal finish "Cannot ..." when the provider is not configured yet.
	createGoal, destroyGoal string
	// destroyAttribute names the bool among attributes that makes a destroy send destroyAction
	// and wait for it.
	destroyAttribute string
	destroyAction    thingspace.ProfileAction
	// destroyGerund and destroyParticiple describe what destroyAction does to the profile
	// ("disabling", "disabled").
	destroyGerund, destroyParticiple string
	// forgotten is logged when a destroy only removes the resource from state.
	forgotten string
	// attributes are the resource's own attributes, destroyAttribute included.
	attributes map[string]schema.Attribute
	newModel   func() profileActionModel
}

// typeName is the resource type as configurations name it.
func (k profileActionKind) typeName() string { return TypeName + "_" + k.name }

// createPhase and destroyPhase word the diagnostics of the action each operation sends.
func (k profileActionKind) createPhase(action thingspace.ProfileAction) phase {
	return createPhase(k.typeName(), action, k.deviceStateHint)
}

func (k profileActionKind) destroyPhase() phase {
	return destroyPhase(k.typeName(), k.destroyAction, k.destroyAttribute, k.destroyGerund, k.destroyParticiple,
		k.deviceStateHint)
}

// profileActionResource is one profile-action resource: one request for a set of devices,
// followed until every device has answered.
type profileActionResource struct {
	kind profileActionKind
	data *providerData
}

func (r *profileActionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.kind.name
}

func (r *profileActionResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: fmt.Sprintf("The ThingSpace requestId of the %s request (same as `request_id`).", r.kind.request),
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"request_id": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: fmt.Sprintf("The requestId ThingSpace answered to the %s request. Every callback of the "+
				"request carries it; it is saved before the provider starts waiting.", r.kind.request),
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		devicesAttributeName: devicesAttribute(r.kind),
		"account_name":       defaultedString(settingAccountName, importGuesses, accountNameWhat),
		"smsr_oid":           defaultedString(settingSmsrOid, importGuesses, smsrOidWhat),
		"timeouts":           timeoutsAttribute(ctx, r.kind),
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
	}
	for name, attribute := range r.kind.attributes {
		attributes[name] = attribute
	}
	resp.Schema = schema.Schema{MarkdownDescription: r.kind.description, Attributes: attributes}
}

func devicesAttribute(k profileActionKind) schema.ListNestedAttribute {
	d := devicesSpec(k.devicesPurpose, k.iccidPurpose)
	return schema.ListNestedAttribute{
		Required: true,
		MarkdownDescription: fmt.Sprintf("%s Adding, removing or changing a device replaces the resource (a new %s "+
			"request); reordering the list does not, nor does completing an ICCID right after an import that could "+
			"not know it (every callback for that device failed).", d.description, k.request),
		// eid and iccid are required, but declared optional and required by a validator: see
		// validators.RequiredAttributes for the framework behaviour this avoids.
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"eid":   schema.StringAttribute{Optional: true, MarkdownDescription: d.eid, Validators: d.eidValidators},
				"iccid": schema.StringAttribute{Optional: true, MarkdownDescription: d.iccid, Validators: d.iccidValidators},
			},
			Validators: d.deviceValidators,
		},
		Validators: d.listValidators,
		PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplaceIf(devicesChanged,
			"Replaces the resource when a device is added, removed or changed; a reordered list is updated in place.",
			"Replaces the resource when a device is added, removed or changed; a reordered list is updated in place.")},
	}
}

// deviceList is what every `devices` list of profile actions says and checks, whichever schema
// package declares it: a resource's, or the action's. The framework has one attribute type per
// schema package, so the pieces are shared rather than the attribute.
type deviceList struct {
	// description, eid and iccid describe the list and a device's two attributes.
	description, eid, iccid        string
	eidValidators, iccidValidators []validator.String
	deviceValidators               []validator.Object
	listValidators                 []validator.List
}

// devicesSpec is the devices list; purpose and iccidPurpose begin the descriptions of the list
// and of a device's iccid.
func devicesSpec(purpose, iccidPurpose string) deviceList {
	return deviceList{
		description: fmt.Sprintf("%s; 1 to %d devices, no EID twice. All are sent in one request.",
			purpose, thingspace.DefaultMaxDevicesPerRequest),
		eid: "Required. The eUICC identifier: decimal digits, at most 32. A value that fails " +
			"the GSMA check (32 digits, value modulo 97 equal to 1) is accepted with a warning.",
		iccid: "Required. " + iccidPurpose + ": 18 to 22 decimal digits. " +
			"A value whose last digit is not a valid Luhn check digit is accepted with a warning.",
		eidValidators:    []validator.String{validators.EID()},
		iccidValidators:  []validator.String{validators.ICCID()},
		deviceValidators: []validator.Object{validators.RequiredAttributes("eid", "iccid")},
		listValidators: []validator.List{
			listvalidator.SizeBetween(1, thingspace.DefaultMaxDevicesPerRequest),
			validators.UniqueAttribute("eid"),
		},
	}
}

func timeoutsAttribute(ctx context.Context, k profileActionKind) schema.Attribute {
	return waitTimeoutsAttribute(ctx, "resource", timeouts.Opts{
		Create: true,
		Delete: true,
		CreateDescription: "How long `apply` waits for every device's final callback, as a duration such as `30m` or " +
			"`1h`. Default `30m`. On timeout the apply fails and the resource is saved as tainted with its requestId.",
		DeleteDescription: fmt.Sprintf("How long a destroy with `%s = true` waits for the %s callbacks. Default `30m`.",
			k.destroyAttribute, k.destroyAction),
	})
}

// waitTimeoutsAttribute is the timeouts attribute of a resource that waits on callbacks, with
// opts' per-operation descriptions and a description of the whole that names what is updated.
func waitTimeoutsAttribute(ctx context.Context, updated string, opts timeouts.Opts) schema.Attribute {
	attribute := timeouts.Attributes(ctx, opts)
	nested, ok := attribute.(schema.SingleNestedAttribute)
	if !ok {
		return attribute
	}
	nested.MarkdownDescription = "Time limits for waiting on callbacks. Changing them updates the " + updated + " in place."
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

func (r *profileActionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *profileActionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.logContext(ctx)
	model := r.kind.newModel()
	plan := model.base()
	resp.Diagnostics.Append(req.Plan.Get(ctx, model)...)
	operator, ok := r.data.requireOperator(&resp.Diagnostics, r.kind.createGoal)
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

	action := model.createAction()
	p := r.kind.createPhase(action)
	requestID, err := operator.Send(ctx, plan.profileRequest(action, devices))
	if err != nil {
		resp.Diagnostics.Append(actionNotSent(p, devices, err))
		return
	}
	ctx = tflog.SetField(ctx, profileops.FieldRequestID, requestID)
	tflog.Info(ctx, strings.ToUpper(r.kind.request[:1])+r.kind.request[1:]+" request accepted; waiting for the devices' callbacks",
		map[string]any{"devices": len(devices), "action": string(action)})
	plan.started(requestID)
	resp.Diagnostics.Append(resp.State.Set(ctx, model)...)
	if resp.Diagnostics.HasError() {
		return
	}

	report, waitErr := waitFor(ctx, operator, requestID, devices, timeout, nil)
	resp.Diagnostics.Append(plan.applyReport(report)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, model)...)
	resp.Diagnostics.Append(waitOutcome(p, requestID, timeout, report, waitErr)...)
}

func (r *profileActionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.logContext(ctx)
	// Once every device has its final answer (completed_at is set) nothing can change: the first
	// final answer of each device is the one kept. Refreshing such a resource would read the
	// relay only to find the same answers, so a plan of many finished requests reads nothing.
	var completedAt types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("completed_at"), &completedAt)...)
	if resp.Diagnostics.HasError() || (!completedAt.IsNull() && !completedAt.IsUnknown()) {
		return
	}
	model := r.kind.newModel()
	state := model.base()
	resp.Diagnostics.Append(req.State.Get(ctx, model)...)
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
		// action still happened, so the resource is kept as it was.
		tflog.Warn(ctx, "The relay holds no callback for this request; keeping the state as it is")
		return
	}
	resp.Diagnostics.Append(state.applyReport(report)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, model)...)
}

// Update only changes what needs no request to ThingSpace: the destroy attribute, timeouts, the
// order of devices, and an account_name or smsr_oid that an import guessed (see
// import_marker.go). Everything else requires replacement, and the computed values are carried
// over by their plan modifiers.
func (r *profileActionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	model := r.kind.newModel()
	resp.Diagnostics.Append(req.Plan.Get(ctx, model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, model)...)
	resp.Diagnostics.Append(clearImportGuesses(ctx, resp.Private)...)
}

func (r *profileActionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.logContext(ctx)
	model := r.kind.newModel()
	state := model.base()
	resp.Diagnostics.Append(req.State.Get(ctx, model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, profileops.FieldRequestID, state.RequestID.ValueString())
	if !model.sendsOnDestroy() {
		tflog.Info(ctx, r.kind.forgotten)
		return
	}
	operator, ok := r.data.requireOperator(&resp.Diagnostics, r.kind.destroyGoal)
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
	p := r.kind.destroyPhase()
	requestID, err := operator.Send(ctx, state.profileRequest(r.kind.destroyAction, devices))
	if err != nil {
		resp.Diagnostics.Append(actionNotSent(p, devices, err))
		return
	}
	ctx = tflog.SetField(ctx, string(r.kind.destroyAction)+"_request_id", requestID)
	report, err := waitFor(ctx, operator, requestID, devices, timeout, nil)
	resp.Diagnostics.Append(waitOutcome(p, requestID, timeout, report, err)...)
}

// ImportState rebuilds the resource from the callbacks the relay holds for a requestId.
func (r *profileActionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.logContext(ctx)
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "import")
	if !ok {
		return
	}
	found, err := operator.Discover(ctx, req.ID)
	if err != nil {
		resp.Diagnostics.Append(importFailed(r.kind.request, req.ID, err))
		return
	}
	model := r.kind.newModel()
	imported := model.base()
	*imported = profileRequestModel{
		ID:          types.StringValue(req.ID),
		RequestID:   types.StringValue(req.ID),
		AccountName: optionalString(r.data.accountName.value),
		SmsrOid:     optionalString(found.SmsrOid),
		Timeouts:    nullTimeouts(),
	}
	// The callbacks never say the account, and say the SM-SR only on success: what they do not
	// say is the provider's default, a guess that the configuration may correct in place.
	guessed := append(model.imported(found), settingAccountName.attr)
	if importMissesICCIDs(found.Devices) {
		guessed = append(guessed, devicesAttributeName)
	}
	if found.SmsrOid == "" {
		imported.SmsrOid = optionalString(r.data.smsrOid.value)
		guessed = append(guessed, settingSmsrOid.attr)
	}
	resp.Diagnostics.Append(imported.setDevices(ctx, found.Devices)...)
	resp.Diagnostics.Append(imported.applyReport(found.Report)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, model)...)
	resp.Diagnostics.Append(recordImportGuesses(ctx, resp.Private, guessed)...)
}

// ModifyPlan puts the provider's account_name and smsr_oid into the plan when the resource does
// not set them, so the plan shows the values that will be sent, and a changed provider default
// is reviewed as the replacement it causes.
func (r *profileActionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation before the provider is configured
	}
	for _, d := range []struct {
		s     setting
		value resolved
	}{{settingAccountName, r.data.accountName}, {settingSmsrOid, r.data.smsrOid}} {
		planProviderDefault(ctx, req, resp, d.s, d.value)
	}
}

// waitFor follows a request until every device answered or the timeout passed, telling observe
// (if not nil) about each callback that moved a device on.
func waitFor(ctx context.Context, operator *profileops.Operator, requestID string,
	devices []thingspace.RequestedDevice, timeout time.Duration, observe profileops.Observer) (*profileops.Report, error) {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return operator.WaitObserved(waitCtx, requestID, devices, observe)
}

// devicesChanged asks for replacement unless the planned devices are the prior ones reordered:
// a reordered list asks for nothing new, so sending a new request for it would be wrong.
func devicesChanged(ctx context.Context, req planmodifier.ListRequest, resp *listplanmodifier.RequiresReplaceIfFuncResponse) {
	if req.PlanValue.IsUnknown() || req.StateValue.IsUnknown() {
		resp.RequiresReplace = true
		return
	}
	var planned, prior []deviceModel
	resp.Diagnostics.Append(req.PlanValue.ElementsAs(ctx, &planned, false)...)
	resp.Diagnostics.Append(req.StateValue.ElementsAs(ctx, &prior, false)...)
	resp.RequiresReplace = !sameDevices(planned, prior)
	if resp.RequiresReplace && req.Private != nil {
		// An import learns a device's ICCID only from a callback that names it, and a failure
		// callback may name the EID alone: the configured ICCID then completes it in place.
		guessed, diags := importGuessed(ctx, req.Private, devicesAttributeName)
		resp.Diagnostics.Append(diags...)
		resp.RequiresReplace = !guessed || !sameDevicesCompletingICCIDs(planned, prior)
	}
}

// devicesAttributeName is the list of devices a profile action names.
const devicesAttributeName = "devices"

// importMissesICCIDs reports whether an import rebuilt a device without its ICCID.
func importMissesICCIDs(devices []thingspace.RequestedDevice) bool {
	return slices.ContainsFunc(devices, func(d thingspace.RequestedDevice) bool { return d.ICCID == "" })
}

// sameDevicesCompletingICCIDs is sameDevices where a prior device without an ICCID matches the
// planned device with its EID.
func sameDevicesCompletingICCIDs(planned, prior []deviceModel) bool {
	byEID := make(map[string]deviceModel, len(prior))
	for _, d := range prior {
		byEID[d.EID.ValueString()] = d
	}
	completed := make([]deviceModel, 0, len(prior))
	for _, d := range planned {
		p, ok := byEID[d.EID.ValueString()]
		if ok && p.ICCID.ValueString() == "" {
			p.ICCID = d.ICCID
		}
		completed = append(completed, p)
	}
	return len(byEID) == len(prior) && sameDevices(planned, completed)
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
