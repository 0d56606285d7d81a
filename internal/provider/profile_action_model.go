package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// profileRequestModel holds the attributes every profile-action resource has, embedded by value
// in each resource's model. Devices is a types.List rather than a slice because it may be
// unknown while planning.
type profileRequestModel struct {
	ID          types.String   `tfsdk:"id"`
	RequestID   types.String   `tfsdk:"request_id"`
	Devices     types.List     `tfsdk:"devices"`
	AccountName types.String   `tfsdk:"account_name"`
	SmsrOid     types.String   `tfsdk:"smsr_oid"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
	Status      types.String   `tfsdk:"status"`
	CompletedAt types.String   `tfsdk:"completed_at"`
	Results     types.Map      `tfsdk:"results"`
}

// profileActionModel is a resource's model as the shared core sees it: the common attributes,
// and the actions its own attributes choose.
type profileActionModel interface {
	base() *profileRequestModel
	// createAction is the action Create sends.
	createAction() thingspace.ProfileAction
	// sendsOnDestroy says whether Delete sends the resource's destroy action (its *_on_destroy
	// attribute) rather than only forgetting the resource.
	sendsOnDestroy() bool
	// imported sets the resource's own attributes to what an import can tell from the callbacks,
	// and names those it had to guess (see import_marker.go).
	imported(found *profileops.Discovery) (guessed []string)
}

func (m *profileRequestModel) base() *profileRequestModel { return m }

type deviceModel struct {
	EID   types.String `tfsdk:"eid"`
	ICCID types.String `tfsdk:"iccid"`
}

// The object types of the nested attributes, as the schema declares them.
// Descriptions do not change a type, so the zero wording serves every resource.
var (
	deviceObjectType   = objectType(devicesAttribute(profileActionKind{}).NestedObject)
	resultObjectType   = objectType(resultsAttribute().NestedObject)
	timeoutsObjectType = attributeTypes(timeoutsAttribute(context.Background(), profileActionKind{}).GetType())
)

func objectType(o schema.NestedAttributeObject) types.ObjectType {
	return types.ObjectType{AttrTypes: attributeTypes(o.Type())}
}

// attributeTypes are the attribute types of an object type. The schemas above declare objects
// only, so anything else is a programming error caught by every test at package load.
func attributeTypes(t attr.Type) map[string]attr.Type {
	object, ok := t.(attr.TypeWithAttributeTypes)
	if !ok {
		panic(fmt.Sprintf("schema type %s is not an object", t))
	}
	return object.AttributeTypes()
}

// requestedDevices returns the devices to send, in configuration order.
func (m *profileRequestModel) requestedDevices(ctx context.Context) ([]thingspace.RequestedDevice, diag.Diagnostics) {
	var devices []deviceModel
	diags := m.Devices.ElementsAs(ctx, &devices, false)
	out := make([]thingspace.RequestedDevice, 0, len(devices))
	for _, d := range devices {
		out = append(out, thingspace.RequestedDevice{EID: d.EID.ValueString(), ICCID: d.ICCID.ValueString()})
	}
	return out, diags
}

func (m *profileRequestModel) profileRequest(action thingspace.ProfileAction, devices []thingspace.RequestedDevice) profileops.Request {
	return profileops.Request{
		Action:      action,
		Devices:     devices,
		AccountName: m.AccountName.ValueString(),
		SmsrOid:     m.SmsrOid.ValueString(),
	}
}

// started records a request that was accepted but has no answer yet. Written to state before
// waiting, so a failed or interrupted wait leaves a tainted resource that knows its requestId.
func (m *profileRequestModel) started(requestID string) {
	m.ID = types.StringValue(requestID)
	m.RequestID = types.StringValue(requestID)
	m.Status = types.StringValue(string(profileops.StatusPending))
	m.CompletedAt = types.StringNull()
	m.Results = types.MapValueMust(resultObjectType, map[string]attr.Value{})
}

// applyReport records what the callbacks said.
func (m *profileRequestModel) applyReport(r *profileops.Report) diag.Diagnostics {
	m.Status = types.StringValue(string(r.Status))
	m.CompletedAt = types.StringNull()
	if !r.CompletedAt.IsZero() {
		m.CompletedAt = types.StringValue(r.CompletedAt.UTC().Format(time.RFC3339))
	}
	results := make(map[string]attr.Value, len(r.Results))
	var diags diag.Diagnostics
	for eid, res := range r.Results {
		var d diag.Diagnostics
		results[eid], d = newResult(res)
		diags.Append(d...)
	}
	if diags.HasError() {
		return diags
	}
	m.Results, diags = types.MapValue(resultObjectType, results)
	return diags
}

// setDevices replaces the device list (import rebuilds it from the callbacks).
func (m *profileRequestModel) setDevices(ctx context.Context, devices []thingspace.RequestedDevice) diag.Diagnostics {
	list := make([]deviceModel, 0, len(devices))
	for _, d := range devices {
		list = append(list, deviceModel{EID: types.StringValue(d.EID), ICCID: types.StringValue(d.ICCID)})
	}
	var diags diag.Diagnostics
	m.Devices, diags = types.ListValueFrom(ctx, deviceObjectType, list)
	return diags
}

// newResult is one device's final callback as a results entry.
func newResult(r thingspace.DeviceResult) (types.Object, diag.Diagnostics) {
	values := make(map[string]attr.Value, len(resultAttributes))
	for _, a := range resultAttributes {
		values[a.name] = optionalString(a.value(r))
	}
	return types.ObjectValue(resultObjectType.AttrTypes, values)
}

// optionalString maps a field the callback did not carry to null rather than "", so state and
// plan show "no value" instead of an empty string.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// nullTimeouts is the timeouts attribute when the configuration does not set it (import).
func nullTimeouts() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(timeoutsObjectType)}
}
