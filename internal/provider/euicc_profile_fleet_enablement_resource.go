package provider

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
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
	_ resource.Resource                = (*fleetEnablementResource)(nil)
	_ resource.ResourceWithConfigure   = (*fleetEnablementResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*fleetEnablementResource)(nil)
	_ resource.ResourceWithImportState = (*fleetEnablementResource)(nil)
)

// fleetTypeName is the resource type, for diagnostics.
const fleetTypeName = TypeName + "_euicc_profile_fleet_enablement"

// statusNotSent is a device's results status when ThingSpace answered its request without a
// requestId: nothing can be followed for it, and the next apply sends it again, as it does a
// failed device.
const statusNotSent = "NotSent"

// fleetPlanListLimit is how many devices the plan may send an action to before ModifyPlan lists
// them in a warning: a few show well enough as unknown results, many deserve a reviewer's eye.
const fleetPlanListLimit = 5

// fleetEnablementResource is thingspace_euicc_profile_fleet_enablement: the enable action for a
// fleet, as many requests as the devices need, where each device is followed on its own. Unlike
// thingspace_euicc_profile_enablement, a device's failure is a warning and a results entry, never
// an error: an error would taint the fleet, and replacing a tainted fleet re-sends every device.
type fleetEnablementResource struct {
	data *providerData
}

// NewEuiccProfileFleetEnablementResource is the resource factory the provider registers.
func NewEuiccProfileFleetEnablementResource() resource.Resource { return &fleetEnablementResource{} }

// fleetModel is the resource as Terraform stores it.
type fleetModel struct {
	ID               types.String   `tfsdk:"id"`
	Devices          types.Map      `tfsdk:"devices"`
	AccountName      types.String   `tfsdk:"account_name"`
	SmsrOid          types.String   `tfsdk:"smsr_oid"`
	DisableOnRemove  types.Bool     `tfsdk:"disable_on_remove"`
	DisableOnDestroy types.Bool     `tfsdk:"disable_on_destroy"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
	Status           types.String   `tfsdk:"status"`
	FailedDevices    types.List     `tfsdk:"failed_devices"`
	Results          types.Map      `tfsdk:"results"`
}

func (r *fleetEnablementResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_euicc_profile_fleet_enablement"
}

func (r *fleetEnablementResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Enables the downloaded eSIM (eUICC local) profile on a fleet of devices, as many ThingSpace " +
			"enable requests as the fleet needs, and follows every device until it has reported success or failure. " +
			"A change touches only the devices that changed. A device that fails is a warning and an entry in " +
			"`results` and `failed_devices`, never an error, so the rest of the fleet is kept and the next apply sends " +
			"the failed devices again; use a `postcondition` on `status` to fail the apply. Outcomes arrive through " +
			"ThingSpace's `DeviceProfileService` callbacks, which the provider reads from the `thingspace-relay` " +
			"configured in the provider block.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "A random identifier generated when the fleet is created; it never changes.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"devices": schema.MapAttribute{
				Required:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The fleet: a map of EID to the ICCID of the downloaded profile to enable on " +
					"that device, at least one. An EID is decimal digits, at most 32; an ICCID 18 to 22 decimal digits " +
					"(values failing the GSMA or Luhn checks are accepted with a warning). Devices are sent in requests " +
					"of at most " + strconv.Itoa(thingspace.DefaultMaxDevicesPerRequest) + ". Adding a device or changing its " +
					"ICCID sends enable to that device only; removing one forgets it (or disables it, with " +
					"`disable_on_remove`).",
				Validators: []validator.Map{
					mapvalidator.SizeAtLeast(1),
					mapvalidator.KeysAre(validators.EID()),
					mapvalidator.ValueStringsAre(validators.ICCID()),
				},
			},
			"account_name": defaultedString(settingAccountName, importGuesses, "Billing account of the devices, leading zeros included (for example `0000123456-00001`)."),
			"smsr_oid":     defaultedString(settingSmsrOid, importGuesses, "Object id of the SM-SR system that manages the devices' eUICCs (for example `1.3.6.1.4.1.31746.1.500.200.101.5`)."),
			"disable_on_remove": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "When `true`, a device removed from `devices` is sent the disable action (and " +
					"waited for, bounded by `timeouts.update`), returning it to its bootstrap profile. When `false` (the " +
					"default), a removed device is only forgotten and its profile stays enabled.",
			},
			"disable_on_destroy": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "When `true`, destroying the fleet sends the disable action to every device and " +
					"waits for their callbacks (bounded by `timeouts.delete`). When `false` (the default), destroying " +
					"only removes the fleet from state and the profiles stay enabled. Can be changed without replacing " +
					"the fleet.",
			},
			"timeouts": fleetTimeoutsAttribute(ctx),
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`Success` once every device reported success, `Failed` if any device failed " +
					"(or could not be sent), `Pending` while any other device has no final answer yet.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"failed_devices": schema.ListAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The EIDs of the devices whose last enable failed or could not be sent, sorted. " +
					"The next apply sends enable to these devices again, and to no other unchanged device.",
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"results": fleetResultsAttribute(),
		},
	}
}

func fleetTimeoutsAttribute(ctx context.Context) schema.Attribute {
	return waitTimeoutsAttribute(ctx, "fleet", timeouts.Opts{
		Create: true,
		Update: true,
		Delete: true,
		CreateDescription: "How long `apply` waits for every device's final callback after creating the fleet, as a " +
			"duration such as `30m` or `1h`. Default `30m`. Devices still without an answer then are a warning and stay " +
			"`Pending`; a refresh reads their answers later.",
		UpdateDescription: "How long `apply` waits for the devices a change sends an action to. Default `30m`.",
		DeleteDescription: "How long a destroy with `disable_on_destroy = true` waits for the disable callbacks. Default `30m`.",
	})
}

func (r *fleetEnablementResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *fleetEnablementResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	ctx = r.data.logContext(ctx)
	var plan fleetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "enable profiles")
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	devices, diags := fleetDevices(ctx, plan.Devices)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = types.StringValue(uuid.NewString())
	ctx = tflog.SetField(ctx, "fleet_id", plan.ID.ValueString())
	state := fleetEntries{}
	r.run(ctx, operator, &plan, state, "create", timeout, devices, nil, &resp.Diagnostics, &resp.State)
}

func (r *fleetEnablementResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.logContext(ctx)
	// A device with a final answer never changes (its first final answer is kept), so only the
	// requests that still have pending devices are read, and only for those devices. The results
	// alone say whether there are any: a finished fleet is left as it is without converting the
	// rest of its state, which for thousands of devices is most of a refresh's cost.
	var results types.Map
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("results"), &results)...)
	entries, diags := readEntries(results)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || !entries.anyPending() {
		return
	}
	var state fleetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	iccids, diags := fleetICCIDs(ctx, state.Devices)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	pending := entries.pendingByRequest(iccids)
	if r.data == nil || r.data.operator == nil {
		tflog.Info(ctx, "Provider configuration not known yet; keeping the state as it is")
		return
	}
	for _, requestID := range slices.Sorted(maps.Keys(pending)) {
		report, err := r.data.operator.Refresh(ctx, requestID, pending[requestID])
		if err != nil {
			resp.Diagnostics.Append(refreshFailed(requestID, err))
			return
		}
		if report.Callbacks == 0 {
			tflog.Warn(ctx, "The relay holds no callback for this request; keeping its devices pending",
				map[string]any{profileops.FieldRequestID: requestID})
			continue
		}
		entries.record(requestID, report)
	}
	resp.Diagnostics.Append(state.setEntries(entries)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update sends enable to the devices ModifyPlan said it would (added, ICCID changed, failed or
// not sent before) and disable to removed devices with disable_on_remove; every other device
// keeps its result untouched.
func (r *fleetEnablementResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	ctx = r.data.logContext(ctx)
	var plan, prior fleetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	change, diags := planFleetChange(ctx, &prior, &plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, "fleet_id", prior.ID.ValueString())
	plan.ID = prior.ID
	if len(change.enable) == 0 && len(change.disable) == 0 {
		resp.Diagnostics.Append(plan.setEntries(change.kept)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.Append(clearImportGuesses(ctx, resp.Private)...)
		return
	}
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "enable profiles")
	if !ok {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.run(ctx, operator, &plan, change.kept, "update", timeout, change.enable, change.disable, &resp.Diagnostics, &resp.State) {
		resp.Diagnostics.Append(clearImportGuesses(ctx, resp.Private)...)
	}
}

func (r *fleetEnablementResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.logContext(ctx)
	var state fleetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, "fleet_id", state.ID.ValueString())
	if !state.DisableOnDestroy.ValueBool() {
		tflog.Info(ctx, "Removing the fleet enablement from state; the profiles stay enabled (disable_on_destroy is false)")
		return
	}
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "disable profiles")
	if !ok {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	devices, diags := fleetDevices(ctx, state.Devices)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	p := fleetDestroyPhase()
	sent, unsent := operator.SendFleet(ctx, state.fleetRequest(thingspace.ActionDisable, devices), nil)
	for _, u := range unsent {
		resp.Diagnostics.Append(actionNotSent(p, u.Devices, u.Err))
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, w := range operator.WaitFleet(waitCtx, sent) {
		resp.Diagnostics.Append(waitOutcome(p, w.RequestID, timeout, w.Report, w.Err)...)
	}
}

// ImportState rebuilds a fleet from the callbacks the relay holds for a comma-separated list
// of requestIds (the request_id values of its results).
func (r *fleetEnablementResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ctx = r.data.logContext(ctx)
	operator, ok := r.data.requireOperator(&resp.Diagnostics, "import")
	if !ok {
		return
	}
	var requestIDs []string
	for _, id := range strings.Split(req.ID, ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(requestIDs, id) {
			requestIDs = append(requestIDs, id)
		}
	}
	if len(requestIDs) == 0 {
		resp.Diagnostics.Append(fleetImportIDMissing(req.ID))
		return
	}
	entries := fleetEntries{}
	iccids := map[string]string{}
	smsrOid := ""
	for _, id := range requestIDs {
		found, err := operator.Discover(ctx, id)
		if err != nil {
			resp.Diagnostics.Append(importFailed("enable", id, err))
			return
		}
		for _, d := range found.Devices {
			iccids[d.EID] = d.ICCID
		}
		smsrOid = cmp.Or(smsrOid, found.SmsrOid)
		for _, d := range found.Report.Pending {
			entries[d.EID] = pendingEntry(id, d.RequestedDevice)
		}
		entries.record(id, found.Report)
	}
	imported := fleetModel{
		ID:               types.StringValue(uuid.NewString()),
		AccountName:      optionalString(r.data.accountName.value),
		SmsrOid:          optionalString(smsrOid),
		DisableOnRemove:  types.BoolValue(false),
		DisableOnDestroy: types.BoolValue(false),
		Timeouts:         fleetNullTimeouts(),
	}
	// As for the enablement: what the callbacks do not say is the provider's default, a guess the
	// configuration may correct in place (import_marker.go).
	guessed := []string{settingAccountName.attr}
	if smsrOid == "" {
		imported.SmsrOid = optionalString(r.data.smsrOid.value)
		guessed = append(guessed, settingSmsrOid.attr)
	}
	var diags diag.Diagnostics
	imported.Devices, diags = types.MapValueFrom(ctx, types.StringType, iccids)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(imported.setEntries(entries)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &imported)...)
	resp.Diagnostics.Append(recordImportGuesses(ctx, resp.Private, guessed)...)
}

// ModifyPlan plans the provider's defaults (as every profile-action resource does) and, for a
// change of an existing fleet, exactly which devices the apply will send an action to: their
// results become unknown, every other device keeps its known result, and a long list is also
// shown as a warning so a reviewer sees how many devices the apply touches.
func (r *fleetEnablementResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation before the provider is configured
	}
	for _, d := range []struct {
		s     setting
		value resolved
	}{{settingAccountName, r.data.accountName}, {settingSmsrOid, r.data.smsrOid}} {
		planProviderDefault(ctx, req, resp, d.s, d.value)
	}
	if req.State.Raw.IsNull() || resp.Diagnostics.HasError() {
		return // a new fleet: every device is sent, and its computed values are unknown
	}
	var plan, prior fleetModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !fullyKnown(plan.Devices) {
		// Which devices change is known at apply time only: so is every computed value.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("results"), types.MapUnknown(types.StringType))...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("failed_devices"), types.ListUnknown(types.StringType))...)
		return
	}
	change, diags := planFleetChange(ctx, &prior, &plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if len(change.enable) == 0 && len(change.kept) == len(prior.Results.Elements()) {
		// Nothing is sent and no device left: UseStateForUnknown has already planned the prior
		// results, status and failed devices, and writing a fleet's results into the plan costs
		// the framework a walk of every value.
		return
	}
	planned := make(map[string]attr.Value, len(change.kept)+len(change.enable))
	for eid, entry := range change.kept {
		planned[eid] = types.StringValue(entry.encode())
	}
	for _, d := range change.enable {
		planned[d.EID] = types.StringUnknown()
	}
	results, diags := types.MapValue(types.StringType, planned)
	resp.Diagnostics.Append(diags...)
	plan.Results = results
	if len(change.enable) > 0 {
		plan.Status, plan.FailedDevices = types.StringUnknown(), types.ListUnknown(types.StringType)
	} else {
		status, failed, diags := change.kept.summary()
		resp.Diagnostics.Append(diags...)
		plan.Status, plan.FailedDevices = status, failed
	}
	// One Set rather than an attribute at a time: each write walks the whole plan.
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if len(change.enable)+len(change.disable) > fleetPlanListLimit {
		resp.Diagnostics.Append(fleetChangePlanned(eidsOf(change.enable), eidsOf(change.disable)))
	}
}

// run sends enable to enable and disable to disable, records every requestId in state before it
// waits for them all, then records what the callbacks said. It reports whether anything was
// recorded in state: when nothing could be sent at all, the error says why and the state is left
// alone (a new fleet is not created, a changed one keeps its prior state).
//
// Once something was sent, nothing is an error: a failed, unsent or unanswered device is a
// warning and an entry in results, because an error would taint a new fleet, and the next apply
// would replace it and send every device again.
func (r *fleetEnablementResource) run(ctx context.Context, operator *profileops.Operator, model *fleetModel,
	entries fleetEntries, timeoutName string, timeout time.Duration, enable, disable []thingspace.RequestedDevice,
	diags *diag.Diagnostics, state stateSetter) bool {
	// Each requestId is logged the moment ThingSpace answers it: the state can only be written
	// once every request was sent, and should the provider die before that, the log still says
	// which requests were accepted, for `terraform import`.
	accepted := func(action thingspace.ProfileAction) func(profileops.Sent) {
		// The callbacks run one at a time, while SendFleet's goroutines copy ctx's log fields,
		// which tflog masks in place when logging: the callbacks log through their own copy.
		logCtx := tflog.SetField(ctx, "action", string(action))
		return func(s profileops.Sent) {
			tflog.Info(logCtx, "Fleet request accepted", map[string]any{
				profileops.FieldRequestID: s.RequestID, "devices": len(s.Devices),
			})
		}
	}
	sent, unsent := operator.SendFleet(ctx, model.fleetRequest(thingspace.ActionEnable, enable), accepted(thingspace.ActionEnable))
	disabled, undisabled := operator.SendFleet(ctx, model.fleetRequest(thingspace.ActionDisable, disable), accepted(thingspace.ActionDisable))
	if len(sent) == 0 && len(disabled) == 0 {
		for _, u := range unsent {
			diags.Append(fleetNotSent(thingspace.ActionEnable, u.Devices, u.Err, true))
		}
		for _, u := range undisabled {
			diags.Append(fleetNotSent(thingspace.ActionDisable, u.Devices, u.Err, true))
		}
		return false
	}
	for _, s := range sent {
		for _, d := range s.Devices {
			entries[d.EID] = pendingEntry(s.RequestID, d)
		}
	}
	for _, u := range unsent {
		diags.Append(fleetNotSent(thingspace.ActionEnable, u.Devices, u.Err, false))
		for _, d := range u.Devices {
			entries[d.EID] = notSentEntry(d)
		}
	}
	for _, u := range undisabled {
		diags.Append(fleetNotSent(thingspace.ActionDisable, u.Devices, u.Err, false))
	}
	tflog.Info(ctx, "Fleet requests accepted; waiting for the devices' callbacks", map[string]any{
		"enable_requests": len(sent), "disable_requests": len(disabled), "devices": len(enable) + len(disable),
	})
	// Written before waiting, as the enablement does, so that whatever ends the wait, the state
	// holds every requestId and the devices still pending on it.
	diags.Append(model.setEntries(entries)...)
	diags.Append(state.Set(ctx, model)...)
	if diags.HasError() {
		return true
	}

	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	waited := operator.WaitFleet(waitCtx, append(slices.Clone(sent), disabled...))
	for _, w := range waited[:len(sent)] {
		entries.record(w.RequestID, w.Report)
	}
	diags.Append(fleetOutcome(thingspace.ActionEnable, timeoutName, timeout, waited[:len(sent)])...)
	diags.Append(fleetOutcome(thingspace.ActionDisable, timeoutName, timeout, waited[len(sent):])...)
	diags.Append(model.setEntries(entries)...)
	diags.Append(state.Set(ctx, model)...)
	return true
}

// stateSetter is the response state of Create and Update.
type stateSetter interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

func (m *fleetModel) fleetRequest(action thingspace.ProfileAction, devices []thingspace.RequestedDevice) profileops.FleetRequest {
	return profileops.FleetRequest{
		Action:      action,
		Devices:     devices,
		AccountName: m.AccountName.ValueString(),
		SmsrOid:     m.SmsrOid.ValueString(),
	}
}

// setEntries records the devices' results, and the status and failed devices they add up to.
func (m *fleetModel) setEntries(entries fleetEntries) diag.Diagnostics {
	var diags diag.Diagnostics
	m.Results, diags = types.MapValue(types.StringType, entries.values())
	status, failed, d := entries.summary()
	diags.Append(d...)
	m.Status, m.FailedDevices = status, failed
	return diags
}

// fleetDevices returns the devices of a devices map, in EID order: the one order a map has,
// so a fleet is always split into the same requests.
func fleetDevices(ctx context.Context, devices types.Map) ([]thingspace.RequestedDevice, diag.Diagnostics) {
	iccids, diags := fleetICCIDs(ctx, devices)
	out := make([]thingspace.RequestedDevice, 0, len(iccids))
	for _, eid := range slices.Sorted(maps.Keys(iccids)) {
		out = append(out, thingspace.RequestedDevice{EID: eid, ICCID: iccids[eid]})
	}
	return out, diags
}

func fleetICCIDs(ctx context.Context, devices types.Map) (map[string]string, diag.Diagnostics) {
	iccids := map[string]string{}
	if devices.IsNull() || devices.IsUnknown() {
		return iccids, nil
	}
	diags := devices.ElementsAs(ctx, &iccids, false)
	return iccids, diags
}

// fullyKnown reports whether a map and every value in it are known.
func fullyKnown(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// fleetChange is what an apply does to an existing fleet.
type fleetChange struct {
	// enable are the devices sent enable: added, ICCID changed, or failed or not sent before.
	enable []thingspace.RequestedDevice
	// disable are removed devices, with the ICCID they had, when disable_on_remove is set.
	disable []thingspace.RequestedDevice
	// kept are the results of every other planned device, unchanged.
	kept fleetEntries
}

// planFleetChange compares the planned devices with the prior state. ModifyPlan and Update both
// call it, so the apply sends exactly what the plan showed.
func planFleetChange(ctx context.Context, prior, plan *fleetModel) (fleetChange, diag.Diagnostics) {
	var diags diag.Diagnostics
	before, d := fleetICCIDs(ctx, prior.Devices)
	diags.Append(d...)
	after, d := fleetDevices(ctx, plan.Devices)
	diags.Append(d...)
	entries, d := readEntries(prior.Results)
	diags.Append(d...)
	change := fleetChange{kept: fleetEntries{}}
	planned := map[string]bool{}
	for _, dev := range after {
		planned[dev.EID] = true
		iccid, known := before[dev.EID]
		entry, answered := entries[dev.EID]
		if !known || iccid != dev.ICCID || !answered || retried(entry) {
			change.enable = append(change.enable, dev)
			continue
		}
		change.kept[dev.EID] = entry
	}
	if plan.DisableOnRemove.ValueBool() {
		for _, eid := range slices.Sorted(maps.Keys(before)) {
			if !planned[eid] {
				change.disable = append(change.disable, thingspace.RequestedDevice{EID: eid, ICCID: before[eid]})
			}
		}
	}
	return change, diags
}

// retried reports whether the next apply sends enable to the device again: its last enable
// failed, or never reached ThingSpace. A pending device is not: its answer is still to come.
func retried(e fleetEntry) bool {
	status := e.fields["status"]
	return status == string(profileops.StatusFailed) || status == statusNotSent
}

// anyPending reports whether any device still waits for its final answer.
func (es fleetEntries) anyPending() bool {
	for _, e := range es {
		if e.fields["status"] == string(profileops.StatusPending) {
			return true
		}
	}
	return false
}

// pendingByRequest groups the pending devices by the request that carries them.
func (es fleetEntries) pendingByRequest(iccids map[string]string) map[string][]thingspace.RequestedDevice {
	out := map[string][]thingspace.RequestedDevice{}
	for _, eid := range slices.Sorted(maps.Keys(es)) {
		e := es[eid]
		if e.fields["status"] != string(profileops.StatusPending) {
			continue
		}
		id := e.fields["request_id"]
		out[id] = append(out[id], thingspace.RequestedDevice{EID: eid, ICCID: cmp.Or(iccids[eid], e.fields["iccid"])})
	}
	return out
}

// record takes the final answers of a request's report; pending devices keep their entries.
func (es fleetEntries) record(requestID string, report *profileops.Report) {
	failed := map[string]bool{}
	for _, f := range report.Failed {
		failed[f.EID] = true
	}
	for eid, result := range report.Results {
		es[eid] = finalEntry(requestID, result, failed[eid])
	}
}

// summary is the fleet's status and its failed devices. Failed wins over Pending, as for one
// request: once a device has failed the fleet cannot end in success.
func (es fleetEntries) summary() (types.String, types.List, diag.Diagnostics) {
	var failed []string
	pending := 0
	for _, eid := range slices.Sorted(maps.Keys(es)) {
		switch {
		case retried(es[eid]):
			failed = append(failed, eid)
		case es[eid].fields["status"] == string(profileops.StatusPending):
			pending++
		}
	}
	status := profileops.StatusSuccess
	switch {
	case len(failed) > 0:
		status = profileops.StatusFailed
	case pending > 0:
		status = profileops.StatusPending
	}
	if failed == nil {
		failed = []string{} // an empty list, not null: nothing failed
	}
	list, diags := types.ListValueFrom(context.Background(), types.StringType, failed)
	return types.StringValue(string(status)), list, diags
}

func eidsOf(devices []thingspace.RequestedDevice) []string {
	out := make([]string, 0, len(devices))
	for _, d := range devices {
		out = append(out, d.EID)
	}
	return out
}

// fleetNullTimeouts is the timeouts attribute when the configuration does not set it (import).
func fleetNullTimeouts() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(attributeTypes(fleetTimeoutsAttribute(context.Background()).GetType()))}
}
