package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

var (
	_ action.Action              = (*profileActionAction)(nil)
	_ action.ActionWithConfigure = (*profileActionAction)(nil)
)

// profileActionAction is thingspace_euicc_profile_action: any one of the five profile actions,
// sent once to a set of devices and followed until every device has answered, with nothing
// kept in state. It is the resources' core (send, then wait on the relay) without a resource
// around it, for operations that are run rather than kept, such as a one-off disable.
type profileActionAction struct {
	data *providerData
}

// NewEuiccProfileAction is the action factory the provider registers.
func NewEuiccProfileAction() action.Action { return &profileActionAction{} }

// profileActionConfig is the action's configuration.
type profileActionConfig struct {
	Action      types.String   `tfsdk:"action"`
	Devices     types.List     `tfsdk:"devices"`
	AccountName types.String   `tfsdk:"account_name"`
	SmsrOid     types.String   `tfsdk:"smsr_oid"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

// actionStateHints say, per action, what state a device must be in when ThingSpace refuses the
// request for the device's state.
var actionStateHints = map[thingspace.ProfileAction]string{
	thingspace.ActionDownloadEnable:  download.deviceStateHint,
	thingspace.ActionDownloadDisable: download.deviceStateHint,
	thingspace.ActionDelete:          download.deviceStateHint,
	thingspace.ActionEnable:          enablement.deviceStateHint,
	thingspace.ActionDisable:         "A profile can only be disabled on an active device where it is enabled.",
}

func (a *profileActionAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_euicc_profile_action"
}

func (a *profileActionAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	names := make([]string, 0, len(thingspace.ProfileActions()))
	for _, p := range thingspace.ProfileActions() {
		names = append(names, string(p))
	}
	d := devicesSpec("The devices to send the action to, each named by its EID and the ICCID of the profile the action is for",
		"The ICCID of the profile the action is for")
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends one eSIM (eUICC local) profile action to one or more devices with a single " +
			"ThingSpace request, reports each device's callback as progress, and fails naming every device that " +
			"failed. Nothing is recorded in state: each invocation sends the request again. Needs Terraform 1.14 " +
			"or later (`terraform apply -invoke=action.thingspace_euicc_profile_action.<name>`, or an " +
			"`action_trigger` in a resource's `lifecycle`). The outcome arrives through ThingSpace's " +
			"`DeviceProfileService` callbacks, which the provider reads from the `thingspace-relay` configured in " +
			"the provider block.",
		Attributes: map[string]schema.Attribute{
			"action": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The profile action: `download_enable` (download the profile and enable it), " +
					"`download_disable` (download it disabled), `enable`, `disable` (back to the bootstrap profile) " +
					"or `delete` (remove the profile from the device).",
				Validators: []validator.String{stringvalidator.OneOf(names...)},
			},
			"devices": schema.ListNestedAttribute{
				Required:            true,
				MarkdownDescription: d.description,
				// Optional, and required by a validator, as on the resources: see devicesAttribute.
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"eid":   schema.StringAttribute{Optional: true, MarkdownDescription: d.eid, Validators: d.eidValidators},
						"iccid": schema.StringAttribute{Optional: true, MarkdownDescription: d.iccid, Validators: d.iccidValidators},
					},
					Validators: d.deviceValidators,
				},
				Validators: d.listValidators,
			},
			"account_name": defaultedActionString(settingAccountName, accountNameWhat),
			"smsr_oid":     defaultedActionString(settingSmsrOid, smsrOidWhat),
			"timeouts":     invokeTimeoutsAttribute(ctx),
		},
	}
}

func invokeTimeoutsAttribute(ctx context.Context) schema.Attribute {
	attribute := timeouts.AttributesWithOpts(ctx, timeouts.Opts{
		InvokeDescription: "How long the action waits for every device's final callback, as a duration such as " +
			"`30m` or `1h`. Default `30m`. On timeout the action fails naming the devices still without an answer " +
			"and the requestId.",
	})
	if nested, ok := attribute.(schema.SingleNestedAttribute); ok {
		nested.MarkdownDescription = "Time limit for waiting on callbacks."
		return nested
	}
	return attribute
}

func (a *profileActionAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// Invoke sends the action once and waits for every device's final callback, showing each
// callback as it arrives. It ends when every device has answered, at timeouts.invoke, or when
// Terraform is interrupted, whichever comes first.
func (a *profileActionAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	ctx = a.data.logContext(ctx)
	var config profileActionConfig
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	operator, ok := a.data.requireOperator(&resp.Diagnostics, "invoke the action")
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	timeout, diags := config.Timeouts.Invoke(ctx, defaultWaitTimeout)
	resp.Diagnostics.Append(diags...)
	accountName, diags := invokeDefault(settingAccountName, config.AccountName, a.data.accountName)
	resp.Diagnostics.Append(diags...)
	smsrOid, diags := invokeDefault(settingSmsrOid, config.SmsrOid, a.data.smsrOid)
	resp.Diagnostics.Append(diags...)
	request := profileRequestModel{Devices: config.Devices, AccountName: types.StringValue(accountName),
		SmsrOid: types.StringValue(smsrOid)}
	devices, diags := request.requestedDevices(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	kind := thingspace.ProfileAction(config.Action.ValueString())
	p := invokePhase(kind, actionStateHints[kind])
	progress := progressReporter{ctx: ctx, send: resp.SendProgress}
	requestID, err := operator.Send(ctx, request.profileRequest(kind, devices))
	if err != nil {
		resp.Diagnostics.Append(actionNotSent(p, devices, err))
		return
	}
	ctx = tflog.SetField(ctx, profileops.FieldRequestID, requestID)
	tflog.Info(ctx, "Profile action request accepted; waiting for the devices' callbacks",
		map[string]any{"devices": len(devices), "action": string(kind)})
	progress.report(fmt.Sprintf("ThingSpace accepted the %s request %s for %d device(s); waiting up to %s for their callbacks",
		kind, requestID, len(devices), timeout))

	report, err := waitFor(ctx, operator, requestID, devices, timeout, func(o profileops.Observation) {
		progress.report(describeObservation(o))
	})
	resp.Diagnostics.Append(waitOutcome(p, requestID, timeout, report, err)...)
}

// describeObservation is one line of progress: which device said what, and how many have
// answered. It shows only what an Observation carries, which holds no secret.
func describeObservation(o profileops.Observation) string {
	status := o.Status
	if status == "" {
		status = o.Outcome.String()
	}
	device := fmt.Sprintf("Device %s (ICCID %s): %s", o.Device.EID, orDash(o.Device.ICCID), status)
	switch {
	case !o.Final:
		device += ", ThingSpace is still trying"
	case o.FaultCode != "":
		device += " with " + o.FaultCode
	}
	return fmt.Sprintf("%s (%d of %d device(s) answered)", device, o.Answered, o.Total)
}

// progressReporter sends progress events while an invocation runs, and never once its context
// has ended. The framework hands each event over an unbuffered channel to a loop that stops
// reading as soon as Terraform's stream ends (an interrupt, a timeout of the whole run), so an
// event sent after that would block the invocation forever.
type progressReporter struct {
	ctx  context.Context
	send func(action.InvokeProgressEvent)
}

// report sends message, waiting for it to be taken unless the context ends first. If it ends
// while the send is on its way, the send is left behind blocked: one goroutine in a provider
// process that Terraform stops at the end of the run, rather than a hung invocation.
func (r progressReporter) report(message string) {
	if r.send == nil || r.ctx.Err() != nil {
		return
	}
	taken := make(chan struct{})
	go func() {
		defer close(taken)
		r.send(action.InvokeProgressEvent{Message: message})
	}()
	select {
	case <-taken:
	case <-r.ctx.Done():
	}
}
